#include "collector/core/state_tracker.h"

#include <algorithm>
#include <set>

#include "collector/core/log.h"

namespace mimamori::collector {

void EventQueue::Push(StateChange change) {
  {
    std::lock_guard lock(mutex_);
    if (events_.size() >= capacity_) {
      events_.pop_front();
      ++dropped_;
      Log(LogLevel::kError, {change.node, change.monitor, {}},
          "state-change queue full: dropped the oldest event; alerting must resynchronise");
    }
    events_.push_back(std::move(change));
  }
  ready_.notify_one();
}

std::vector<StateChange> EventQueue::Drain() {
  std::lock_guard lock(mutex_);
  std::vector<StateChange> out(std::make_move_iterator(events_.begin()),
                               std::make_move_iterator(events_.end()));
  events_.clear();
  return out;
}

std::vector<StateChange> EventQueue::WaitAndDrain(std::chrono::milliseconds timeout) {
  std::unique_lock lock(mutex_);
  ready_.wait_for(lock, timeout, [this] { return !events_.empty(); });
  std::vector<StateChange> out(std::make_move_iterator(events_.begin()),
                               std::make_move_iterator(events_.end()));
  events_.clear();
  return out;
}

std::uint64_t EventQueue::dropped() const {
  std::lock_guard lock(mutex_);
  return dropped_;
}

std::size_t EventQueue::size() const {
  std::lock_guard lock(mutex_);
  return events_.size();
}

bool StateTracker::NodeDown(const std::string& node) const {
  auto it = states_.find({node, "ping"});
  return it != states_.end() && it->second.confirmed == Status::kCritical;
}

std::vector<MonitorState> StateTracker::Apply(const std::string& node, std::string_view kind,
                                              int failure_threshold,
                                              const std::vector<CheckResult>& results,
                                              TimePoint now) {
  std::vector<MonitorState> touched;
  const bool masked = kind != "ping" && NodeDown(node);
  for (const CheckResult& raw : results) {
    CheckResult result = raw;
    if (masked && result.status != Status::kOk) {
      result.status = Status::kUnknown;
      result.reason = "node is down (no ping reply); not judged: " + raw.reason;
    }
    auto [it, inserted] = states_.try_emplace({node, result.monitor});
    MonitorState& state = it->second;
    if (inserted) {
      state.node = node;
      state.monitor = result.monitor;
      state.kind = std::string(kind);
    }
    if (result.status != Status::kOk) {
      state.ok_since = {};
    } else if (state.last_result != Status::kOk) {
      state.ok_since = now;
    }
    state.last_result = result.status;
    state.last_checked = now;
    state.reason = result.reason;
    state.value = result.value;

    Status next = state.confirmed;
    if (result.status == Status::kOk) {
      state.streak = 0;
      next = Status::kOk;
    } else {
      if (state.streak == 0) state.streak_started = now;
      ++state.streak;
      if (state.streak >= std::max(1, failure_threshold)) next = result.status;
    }
    if (next == state.confirmed) {
      touched.push_back(state);
      continue;
    }

    StateChange change;
    change.sequence = ++sequence_;
    change.node = node;
    change.monitor = result.monitor;
    change.kind = std::string(kind);
    change.from = state.confirmed;
    change.to = next;
    change.detected_at = now;
    change.first_seen_at = next == Status::kOk ? now : state.streak_started;
    change.reason = result.reason;
    change.value = result.value;
    state.confirmed = next;
    Log(next == Status::kOk ? LogLevel::kInfo : LogLevel::kWarning, {node, result.monitor, {}},
        std::string(StatusName(change.from)) + " -> " + std::string(StatusName(next)) + ": " +
            result.reason);
    events_.Push(std::move(change));
    touched.push_back(state);
  }
  return touched;
}

void StateTracker::Presume(const std::string& node, const std::string& monitor,
                           const std::string& kind, Status status, TimePoint since) {
  auto [it, inserted] = states_.try_emplace({node, monitor});
  if (!inserted) return;
  MonitorState& state = it->second;
  state.node = node;
  state.monitor = monitor;
  state.kind = kind;
  state.confirmed = status;
  state.streak_started = since;
  state.reason = "as recorded before the restart; not yet checked";
}

void StateTracker::Retain(const std::set<std::pair<std::string, std::string>>& keep) {
  std::erase_if(states_, [&](const auto& entry) {
    return !keep.count({entry.second.node, entry.second.kind});
  });
}

std::vector<MonitorState> StateTracker::Current() const {
  std::vector<MonitorState> out;
  out.reserve(states_.size());
  for (const auto& [key, state] : states_) out.push_back(state);
  return out;
}

}  // namespace mimamori::collector
