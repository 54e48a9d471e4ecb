// Turns check results into confirmed states and state-change events.
#pragma once

#include <map>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "collector/core/check.h"
#include "collector/core/state_change.h"

namespace mimamori::collector {

/// The current confirmed state of one monitor, for /metrics and --once.
struct MonitorState {
  std::string node;
  std::string monitor;
  std::string kind;
  Status confirmed = Status::kOk;
  Status last_result = Status::kUnknown;  ///< of the most recent check (unknown before any)
  std::string reason;
  std::optional<double> value;
  int streak = 0;  ///< consecutive non-OK checks
  TimePoint streak_started{};
  TimePoint last_checked{};
  /// The first check of the current run of OK results ({} while not OK).
  TimePoint ok_since{};
};

/// Applies the failure rule per monitor and masks a down node's other
/// monitors. Single-threaded: the scheduler's loop calls it.
///
/// Rules: a non-OK result is confirmed once `failure_threshold` consecutive
/// checks were non-OK (the first miss counts); the confirmed status is then
/// the latest result's (so WARNING -> CRITICAL escalates in place). One OK
/// result confirms recovery. While a node's ping is confirmed CRITICAL, its
/// other monitors' failures are reported UNKNOWN ("node is down"), so a dead
/// VM raises one alarm, not one per process and port.
class StateTracker {
 public:
  explicit StateTracker(EventQueue& events) : events_(events) {}

  /// Feeds one check's results for `node`. Emits StateChange events and
  /// returns the states it touched (for incremental /metrics updates).
  std::vector<MonitorState> Apply(const std::string& node, std::string_view kind,
                                  int failure_threshold, const std::vector<CheckResult>& results,
                                  TimePoint now);

  /// Carries a state over from the previous run (see InheritedStates): the
  /// monitor is taken as confirmed `status` until its first check says
  /// otherwise; an OK check then emits the recovery with that check's time.
  /// No event. A monitor already checked in this run is left alone.
  void Presume(const std::string& node, const std::string& monitor, const std::string& kind,
               Status status, TimePoint since);

  /// True while the node's ping is confirmed CRITICAL.
  bool NodeDown(const std::string& node) const;

  /// Forgets the states of monitors whose (node, kind) is not in `keep`
  /// after a reload, so removed monitors do not linger. No events.
  void Retain(const std::set<std::pair<std::string, std::string>>& keep);

  /// Every known monitor's state, ordered by node then monitor.
  std::vector<MonitorState> Current() const;

 private:
  using Key = std::pair<std::string, std::string>;
  std::map<Key, MonitorState> states_;
  EventQueue& events_;
  std::uint64_t sequence_ = 0;
};

}  // namespace mimamori::collector
