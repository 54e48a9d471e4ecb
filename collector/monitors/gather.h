// Waiting for several concurrent requests of one check.
#pragma once

#include <cstddef>
#include <functional>
#include <mutex>
#include <string>
#include <utility>
#include <vector>

namespace mimamori::collector {

/// Collects the answers to `count` requests started together (all ports or
/// all URLs of a node), which arrive on an engine's thread in any order, and
/// hands them over in request order once the last is in. Thread-safe; hold it
/// in a shared_ptr captured by every request's callback.
template <typename Outcome>
class Gather {
 public:
  struct Answer {
    Outcome outcome{};
    /// Set when the engine refused the request (misuse such as a zero
    /// timeout): nothing is known about the target, so the result is UNKNOWN.
    std::string cannot_check;
  };

  Gather(std::size_t count, std::function<void(std::vector<Answer>)> done)
      : done_(std::move(done)), answers_(count), remaining_(count) {}

  void Record(std::size_t index, Outcome outcome) { Fill(index, Answer{std::move(outcome), ""}); }
  void RecordError(std::size_t index, std::string error) {
    Fill(index, Answer{Outcome{}, std::move(error)});
  }

 private:
  void Fill(std::size_t index, Answer answer) {
    {
      std::lock_guard lock(mutex_);
      answers_[index] = std::move(answer);
      if (--remaining_ != 0) return;
    }
    // The last answer: every slot is written and no one else touches them.
    done_(std::move(answers_));
  }

  std::function<void(std::vector<Answer>)> done_;
  std::mutex mutex_;
  std::vector<Answer> answers_;  // guarded by mutex_ until the last answer
  std::size_t remaining_;        // guarded by mutex_
};

}  // namespace mimamori::collector
