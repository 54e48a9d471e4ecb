// This collector's place in an HA pair, as the run loop uses it (the
// leadership itself is leadership.h): a heartbeat every few seconds, the
// changes logged, and the pair on /metrics: who leads, since when, under
// which term, and how far behind each member's heartbeat is.
//
// The rule the run loop follows: every member polls its share of the nodes
// (shard_plan.h), which the leader assigns at its heartbeats; a follower
// hands its confirmed state changes to the leader through the ledger
// (ShardLink). On taking the lead a collector starts the incident engine and
// the outbox exactly as a restarted collector does, carrying on from the
// ledger; a leader that loses the lead exits at once (systemd starts it
// again, as a follower), so two engines never run on one ledger longer than
// one heartbeat.
#pragma once

#include <prometheus/family.h>
#include <prometheus/gauge.h>
#include <prometheus/registry.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "collector/core/clock.h"
#include "collector/ha/leadership.h"

namespace mimamori::collector {

class PairMember {
 public:
  /// How often Beat is called: the longest a takeover waits after the
  /// leader's session ended, well inside one ping cycle (60 s).
  static constexpr std::chrono::seconds kHeartbeat{5};

  PairMember(Leadership leadership, const Clock& clock, prometheus::Registry& registry);
  ~PairMember();
  PairMember(const PairMember&) = delete;
  PairMember& operator=(const PairMember&) = delete;

  /// One heartbeat: Tick, log what changed (naming the collector and the
  /// term), update the fencing term and the gauges; the leader shares the
  /// nodes (Rebalance) and every member reads its share.
  LeadershipState Beat();
  /// Beats at once, then every kHeartbeat, on a thread of its own, so a
  /// PostgreSQL that does not answer (a beat may wait for connect_timeout)
  /// never stalls monitoring. The run loop asks leading(), lost_lead() and
  /// share_generation() at each turn.
  void StartHeartbeat();
  void StopHeartbeat();
  /// As of the latest beat.
  bool leading() const { return leading_now_.load(); }
  /// Set by the heartbeat thread when another collector took the lead after
  /// this one led (not when PostgreSQL is out of reach: then the lead comes
  /// back with it).
  bool lost_lead() const { return lost_lead_.load(); }

  /// The nodes of the inventory in force: what the leader shares. Any thread.
  void SetNodes(std::vector<std::string> nodes);
  /// This collector's share as last read (generation 0: none yet), and its
  /// generation without the lock, for the run loop's cheap check.
  std::shared_ptr<const ShardShare> share() const;
  std::int64_t share_generation() const { return share_generation_.load(); }
  /// Leaves the pair cleanly (stopping on a signal): the lead is handed over
  /// at once instead of when the server notices the session is gone.
  void Leave();
  const std::string& name() const { return leadership_.collector_name(); }
  /// "following col-a (term 4)" / "leading (term 5)" / "no leader: why".
  std::string describe() const;
  /// The term the ledger's writes are fenced with (LedgerOptions), kept
  /// current by Beat: 0 while not leading.
  std::shared_ptr<const std::atomic<std::int64_t>> fencing_term() const { return term_now_; }

 private:
  void PublishMembers(TimePoint now);
  void ShareNodes(const LeadershipState& state, TimePoint now);

  Leadership leadership_;
  const Clock& clock_;
  std::string description_;
  prometheus::Family<prometheus::Gauge>& leading_;
  prometheus::Family<prometheus::Gauge>& term_;
  prometheus::Family<prometheus::Gauge>& leader_since_;
  prometheus::Family<prometheus::Gauge>& leader_;
  prometheus::Family<prometheus::Gauge>& heartbeat_age_;
  prometheus::Family<prometheus::Gauge>& shard_nodes_;
  prometheus::Family<prometheus::Gauge>& member_nodes_;
  // Under state_mutex_ (the run loop reads them; a beat holds mutex_ for its
  // round trips, which must never stall monitoring):
  std::shared_ptr<const std::vector<std::string>> nodes_ =
      std::make_shared<const std::vector<std::string>>();
  std::shared_ptr<const ShardShare> share_ = std::make_shared<const ShardShare>();
  std::string shard_problem_;  // the last sharding error logged (beats only)
  std::atomic<std::int64_t> share_generation_{0};
  std::atomic<bool> leading_now_{false};
  bool led_ = false;  // heartbeat thread
  std::string published_leader_;
  std::shared_ptr<std::atomic<std::int64_t>> term_now_ =
      std::make_shared<std::atomic<std::int64_t>>(0);
  mutable std::mutex mutex_;        // Beat and Leave (leadership_)
  mutable std::mutex state_mutex_;  // description_, nodes_, share_
  std::mutex wake_mutex_;
  std::condition_variable wake_;
  bool stopping_ = false;
  std::atomic<bool> lost_lead_{false};
  std::thread heartbeat_;
};

/// The collector's name in the pair: `configured`, else the host name.
std::string CollectorName(const std::string& configured);

}  // namespace mimamori::collector
