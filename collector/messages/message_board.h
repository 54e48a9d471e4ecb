// What the receivers heard, kept for the message monitors: per node and
// rule the current state and every state change not yet reported, per node
// when it last sent syslog, and for the backup monitor the last match of
// each `records` rule (a backup product's success or failure message).
#pragma once

#include <chrono>
#include <deque>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "collector/core/check.h"
#include "collector/core/clock.h"
#include "collector/inventory/inventory.h"

namespace mimamori::collector {

/// Thread-safe: the receiver thread records, the scheduler's thread
/// reports. Lives for the whole run (across reloads), so a rule's open
/// state is not forgotten when the inventory is reloaded.
class MessageBoard {
 public:
  explicit MessageBoard(TimePoint started) : started_(started) {}

  /// Any syslog message from `node`.
  void Seen(const std::string& node, TimePoint at);

  /// `rule` matched (its failure or, `recovered`, its recovered message).
  /// A state change is always kept until reported, however many come;
  /// `repeat_detail` false (the source is over its rate) records a repeat
  /// of the current state only as its time, not its text. Returns whether
  /// the rule's state changed.
  bool Matched(const std::string& node, const MessageRule& rule, bool recovered,
               const std::string& reason, TimePoint at, bool repeat_detail = true);

  /// The results of `rules` for `node` at `now`: each state change since
  /// the last report in order (so a failure that recovered in between is
  /// still seen, opening and closing its incident), else the current state.
  /// Applies auto-clear. Monitor names are "message:<rule name>".
  std::vector<CheckResult> Report(const std::string& node,
                                  const std::vector<const MessageRule*>& rules,
                                  std::chrono::seconds default_auto_clear, TimePoint now);

  /// "message:silence" for `node`: CRITICAL when no syslog came for `limit`
  /// (counting from the collector's start when none ever came).
  CheckResult Silence(const std::string& node, std::chrono::seconds limit, TimePoint now) const;

  std::optional<TimePoint> LastSeen(const std::string& node) const;

  /// A `records` rule's message: its last match per node and rule, nothing
  /// else (no state, no incident; the backup job naming the rule judges it).
  struct Record {
    TimePoint at;
    std::string reason;  ///< the message, as in a rule's reason
  };
  void Recorded(const std::string& node, const MessageRule& rule, const std::string& reason,
                TimePoint at);
  /// nullopt when `rule` has not matched for `node` since the collector
  /// started: records are kept in memory only.
  std::optional<Record> LastRecorded(const std::string& node, const std::string& rule) const;

  /// When the receivers started listening: nothing before it is known.
  TimePoint started() const { return started_; }

 private:
  struct RuleState {
    Status current = Status::kOk;
    std::string reason;
    TimePoint first_match{};
    TimePoint last_match{};
    std::uint64_t matches = 0;  // since the current failure began
    std::deque<CheckResult> pending;
  };

  mutable std::mutex mutex_;
  TimePoint started_;
  std::unordered_map<std::string, TimePoint> last_seen_;
  std::map<std::pair<std::string, std::string>, RuleState> rules_;
  std::map<std::pair<std::string, std::string>, Record> records_;
};

/// "HH:MM:SS" Asia/Tokyo, for reasons an operator reads.
std::string TokyoClock(TimePoint at);

}  // namespace mimamori::collector
