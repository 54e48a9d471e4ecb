// The boundary between monitoring and alerting: confirmed state changes.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "collector/core/check.h"
#include "collector/core/clock.h"

namespace mimamori::collector {

/// A monitor's confirmed state moved from `from` to `to`. Confirmed means the
/// failure rule held (2 consecutive misses for ping and port); recovery is
/// confirmed by the first good check.
struct StateChange {
  std::uint64_t sequence = 0;  ///< increasing per collector run
  std::string node;
  std::string monitor;  ///< "ping", "process:httpd", "disk:/var", ...
  std::string kind;     ///< the monitor kind: "ping", "process", "resource", ...
  Status from = Status::kOk;
  Status to = Status::kOk;
  TimePoint detected_at;    ///< when `to` was confirmed (the check that completed the rule)
  TimePoint first_seen_at;  ///< the first check of the run that led to it
  std::string reason;
  std::optional<double> value;
};

/// A bounded, thread-safe queue of state changes from the monitoring half to
/// the alerting half. Producers never block: if the consumer falls more than
/// `capacity` events behind, the oldest events are dropped and counted, and
/// the consumer must then re-read the current states (StateTracker::Current)
/// to reconcile; the dropped count is published on /metrics and logged.
class EventQueue {
 public:
  explicit EventQueue(std::size_t capacity = 100000) : capacity_(capacity) {}

  void Push(StateChange change);

  /// Everything queued, oldest first (empty when nothing is).
  std::vector<StateChange> Drain();

  /// Waits up to `timeout` for at least one event; then drains.
  std::vector<StateChange> WaitAndDrain(std::chrono::milliseconds timeout);

  std::uint64_t dropped() const;
  std::size_t size() const;

 private:
  mutable std::mutex mutex_;
  std::condition_variable ready_;
  std::deque<StateChange> events_;
  std::size_t capacity_;
  std::uint64_t dropped_ = 0;
};

}  // namespace mimamori::collector
