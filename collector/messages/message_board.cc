#include "collector/messages/message_board.h"

#include <cstdio>

namespace mimamori::collector {
namespace {

Status StatusOf(const MessageRule& rule) {
  return rule.status == "warning" ? Status::kWarning : Status::kCritical;
}

std::string Span(std::chrono::seconds s) {
  const long long n = s.count();
  if (n % 3600 == 0) return std::to_string(n / 3600) + "h";
  if (n % 60 == 0) return std::to_string(n / 60) + "m";
  return std::to_string(n) + "s";
}

}  // namespace

std::string TokyoClock(TimePoint at) {
  const auto tokyo = at + std::chrono::hours(9);
  const auto day = std::chrono::floor<std::chrono::days>(tokyo);
  const std::chrono::hh_mm_ss hms(std::chrono::duration_cast<std::chrono::seconds>(tokyo - day));
  const std::chrono::year_month_day date(day);
  char buf[32];
  std::snprintf(buf, sizeof buf, "%04d-%02u-%02u %02lld:%02lld:%02lld",
                static_cast<int>(date.year()), static_cast<unsigned>(date.month()),
                static_cast<unsigned>(date.day()), static_cast<long long>(hms.hours().count()),
                static_cast<long long>(hms.minutes().count()),
                static_cast<long long>(hms.seconds().count()));
  return buf;
}

void MessageBoard::Seen(const std::string& node, TimePoint at) {
  std::lock_guard lock(mutex_);
  last_seen_[node] = at;
}

bool MessageBoard::Matched(const std::string& node, const MessageRule& rule, bool recovered,
                           const std::string& reason, TimePoint at, bool repeat_detail) {
  std::lock_guard lock(mutex_);
  RuleState& state = rules_[{node, rule.name}];
  const Status next = recovered ? Status::kOk : StatusOf(rule);
  const std::string monitor = "message:" + rule.name;
  if (next == state.current) {
    if (next == Status::kOk) return false;
    state.last_match = at;
    ++state.matches;
    if (repeat_detail) state.reason = reason;
    return false;
  }
  state.current = next;
  state.reason = reason;
  state.matches = next == Status::kOk ? 0 : 1;
  state.first_match = at;
  state.last_match = at;
  state.pending.push_back({monitor, next, recovered ? "recovered: " + reason : reason, {}});
  return true;
}

std::vector<CheckResult> MessageBoard::Report(const std::string& node,
                                              const std::vector<const MessageRule*>& rules,
                                              std::chrono::seconds default_auto_clear,
                                              TimePoint now) {
  std::lock_guard lock(mutex_);
  std::vector<CheckResult> results;
  for (const MessageRule* rule : rules) {
    const std::string monitor = "message:" + rule->name;
    auto it = rules_.find({node, rule->name});
    if (it == rules_.end()) {
      results.push_back({monitor, Status::kOk, "no matching message", {}});
      continue;
    }
    RuleState& state = it->second;
    const auto clear = rule->auto_clear.value_or(default_auto_clear);
    if (state.current != Status::kOk && !rule->recovered && now - state.last_match >= clear) {
      state.current = Status::kOk;
      state.matches = 0;
      state.pending.push_back({monitor,
                               Status::kOk,
                               "no matching message for " + Span(clear) + " (last at " +
                                   TokyoClock(state.last_match) + "); cleared automatically",
                               {}});
    }
    if (!state.pending.empty()) {
      for (CheckResult& r : state.pending) results.push_back(std::move(r));
      state.pending.clear();
      continue;
    }
    if (state.current == Status::kOk) {
      results.push_back(
          {monitor, Status::kOk, "no matching message since " + TokyoClock(state.first_match), {}});
    } else {
      std::string reason = state.reason;
      if (state.matches > 1) {
        reason += " (" + std::to_string(state.matches) + " matching messages since " +
                  TokyoClock(state.first_match) + ")";
      }
      results.push_back({monitor, state.current, reason, static_cast<double>(state.matches)});
    }
  }
  return results;
}

CheckResult MessageBoard::Silence(const std::string& node, std::chrono::seconds limit,
                                  TimePoint now) const {
  std::lock_guard lock(mutex_);
  auto it = last_seen_.find(node);
  const TimePoint since = it == last_seen_.end() ? started_ : it->second;
  const auto quiet = std::chrono::duration_cast<std::chrono::seconds>(now - since);
  CheckResult result{"message:silence", Status::kOk, "", static_cast<double>(quiet.count())};
  if (quiet >= limit) {
    result.status = Status::kCritical;
    result.reason =
        "no syslog message for " + Span(limit) +
        (it == last_seen_.end() ? " (none since the collector started at " : " (last at ") +
        TokyoClock(since) + ")";
  } else {
    result.reason = it == last_seen_.end() ? "no syslog message yet; limit " + Span(limit)
                                           : "last syslog message at " + TokyoClock(since);
  }
  return result;
}

void MessageBoard::Recorded(const std::string& node, const MessageRule& rule,
                            const std::string& reason, TimePoint at) {
  std::lock_guard lock(mutex_);
  records_[{node, rule.name}] = {at, reason};
}

std::optional<MessageBoard::Record> MessageBoard::LastRecorded(const std::string& node,
                                                               const std::string& rule) const {
  std::lock_guard lock(mutex_);
  auto it = records_.find({node, rule});
  if (it == records_.end()) return std::nullopt;
  return it->second;
}

std::optional<TimePoint> MessageBoard::LastSeen(const std::string& node) const {
  std::lock_guard lock(mutex_);
  auto it = last_seen_.find(node);
  if (it == last_seen_.end()) return std::nullopt;
  return it->second;
}

}  // namespace mimamori::collector
