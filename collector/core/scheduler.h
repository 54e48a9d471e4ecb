// Runs every monitor on its interval, spread over the interval, within its
// monitoring hours, and feeds the results to the state tracker and /metrics.
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <tuple>
#include <vector>

#include "collector/calendar/business_calendar.h"
#include "collector/core/clock.h"
#include "collector/core/monitor.h"
#include "collector/core/state_tracker.h"
#include "collector/metrics/collector_metrics.h"

namespace mimamori::collector {

/// Single-threaded: RunDue(), SetPlan() and the posted completions all run on
/// one loop thread. Monitors complete on engine threads; their results come
/// back through `post`, which must run the given function on that loop thread
/// (boost::asio::post in the daemon; a queue the test drains in tests).
///
/// A slow or dead target never delays others: checks are asynchronous, and a
/// monitor whose previous check is still running when it is due again is
/// skipped for that round (counted as an overrun), not queued.
class Scheduler {
 public:
  using Post = std::function<void(std::function<void()>)>;

  Scheduler(const Clock& clock, StateTracker& tracker, CollectorMetrics& metrics, Post post);

  /// Installs a (new) set of monitors. A monitor that existed before (same
  /// node and kind) keeps its place in the schedule and its state; states of
  /// removed monitors are forgotten. Checks already running finish and are
  /// applied (their monitor objects stay alive until then).
  void SetPlan(std::vector<std::shared_ptr<Monitor>> monitors,
               std::shared_ptr<const Inventory> inventory,
               std::shared_ptr<const BusinessCalendar> calendar);

  /// Makes these monitors (node, kind) due now instead of at their place in
  /// the spread: after a restart, the monitors the previous run left failing
  /// are checked first, so their incidents are decided within seconds.
  void CheckSoon(const std::set<std::pair<std::string, std::string>>& monitors);

  /// Starts every monitor whose time has come (now = clock.Now()).
  void RunDue();

  /// The earliest due time (max() when there is nothing to run).
  TimePoint NextDue() const;

  /// Starts every monitor now, ignoring schedule and monitoring hours, and
  /// calls `all_done` on the loop once they all completed (--once).
  void RunAllOnce(std::function<void()> all_done);

  std::size_t running() const { return running_; }
  std::size_t size() const { return entries_.size(); }

 private:
  struct Entry {
    std::shared_ptr<Monitor> monitor;
    std::string node;
    std::string kind;
    TimePoint due{};
    bool running = false;
    bool business_hours_only = false;
    /// Go-live of a node that does not test before it: nothing runs until.
    std::optional<TimePoint> runs_from;
  };

  void Start(Entry& entry, TimePoint now, std::shared_ptr<std::function<void()>> on_done);
  void PublishNodeStates(TimePoint now);
  static std::chrono::seconds Offset(const std::string& node, const std::string& kind,
                                     std::chrono::seconds interval);

  const Clock& clock_;
  StateTracker& tracker_;
  CollectorMetrics& metrics_;
  Post post_;
  std::shared_ptr<const Inventory> inventory_;
  std::shared_ptr<const BusinessCalendar> calendar_;
  // Keyed by (node, kind): stable across reloads.
  std::map<std::pair<std::string, std::string>, Entry> entries_;
  // The same entries by due time (then key): RunDue and NextDue look at the
  // front only. Scanning every entry twice per turn was about 4 % of a
  // collector's CPU at 200,000 monitors (perf). An entry leaves it while its
  // due time changes.
  struct DueOrder {
    bool operator()(const Entry* a, const Entry* b) const {
      return std::tie(a->due, a->node, a->kind) < std::tie(b->due, b->node, b->kind);
    }
  };
  std::set<Entry*, DueOrder> by_due_;
  std::size_t running_ = 0;
  // The next go-live among the entries, when /metrics' node states change.
  std::optional<TimePoint> next_go_live_;
  TimePoint node_states_at_{};
};

}  // namespace mimamori::collector
