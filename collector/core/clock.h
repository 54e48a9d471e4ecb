// The one source of time for scheduling and judging, so tests can drive a
// day of checks in milliseconds.
#pragma once

#include <chrono>
#include <mutex>

namespace mimamori::collector {

using TimePoint = std::chrono::system_clock::time_point;

/// Thread-safe.
class Clock {
 public:
  virtual ~Clock() = default;
  virtual TimePoint Now() const = 0;
};

class SystemClock final : public Clock {
 public:
  TimePoint Now() const override { return std::chrono::system_clock::now(); }
};

/// A clock that moves only when told (tests).
class ManualClock final : public Clock {
 public:
  explicit ManualClock(TimePoint start = TimePoint{}) : now_(start) {}
  TimePoint Now() const override {
    std::lock_guard lock(mutex_);
    return now_;
  }
  void Set(TimePoint t) {
    std::lock_guard lock(mutex_);
    now_ = t;
  }
  void Advance(std::chrono::nanoseconds d) {
    std::lock_guard lock(mutex_);
    now_ += d;
  }

 private:
  mutable std::mutex mutex_;
  TimePoint now_;
};

}  // namespace mimamori::collector
