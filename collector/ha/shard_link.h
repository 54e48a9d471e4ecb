// A member's link to the ledger for its share of the polling (shard_plan.h),
// on a thread of its own so that a slow PostgreSQL never stalls monitoring:
//   - while it follows, it hands the state tracker's confirmed changes to the
//     leader's incident engine by recording them as pending changes, each
//     only while the node is still this collector's (RecordForwardedChanges);
//     a change that cannot be written stays queued here and is retried;
//   - when its share grows, it reads what the ledger says of the new nodes
//     (InheritedStates: the monitors of their open incidents and pending
//     failures), so the tracker carries on where the node's previous
//     collector stopped, exactly as after a restart.
#pragma once

#include <condition_variable>
#include <deque>
#include <functional>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "collector/alerting/incident_engine.h"
#include "collector/core/clock.h"
#include "collector/core/state_change.h"
#include "collector/ledger/ledger.h"

namespace mimamori::collector {

class ShardLink {
 public:
  /// `events` and `clock` must outlive the link; `collector` is this
  /// collector's name in the pair.
  ShardLink(Ledger ledger, EventQueue& events, const Clock& clock, std::string collector);
  ~ShardLink();
  ShardLink(const ShardLink&) = delete;
  ShardLink& operator=(const ShardLink&) = delete;

  /// Starts the thread; forwards the queue's changes while `forwarding`.
  void Start(bool forwarding);
  /// Stops forwarding (this collector now leads: its own engine drains the
  /// queue). Waits for the write in progress; changes it could not write go
  /// back to the front of the queue, oldest first, so none is lost.
  void StopForwarding();
  /// Reads the inherited states of `nodes` and calls `done` with them on the
  /// link's thread (post it to the loop). Retried until the ledger answers.
  void ReadInherited(std::set<std::string> nodes,
                     std::function<void(std::vector<InheritedState>)> done);
  /// Stops the thread (after StopForwarding's flush when still forwarding).
  void Stop();

 private:
  struct Request {
    std::set<std::string> nodes;
    std::function<void(std::vector<InheritedState>)> done;
  };
  void Loop();
  // One attempt to write `unsent_`; false when the ledger failed.
  bool Flush();

  Ledger ledger_;
  EventQueue& events_;
  const Clock& clock_;
  const std::string collector_;
  std::mutex mutex_;
  std::condition_variable wake_;
  bool forwarding_ = false;
  bool stopping_ = false;
  // Forwarding stopped and the thread has flushed what it held: StopForwarding
  // waits for it. True while forwarding never ran.
  bool handed_back_ = true;
  bool stopped_ = false;
  std::vector<StateChange> unsent_;
  std::deque<Request> requests_;
  std::string problem_;  // the last ledger error logged (the thread's own)
  std::thread thread_;
};

}  // namespace mimamori::collector
