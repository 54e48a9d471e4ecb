#include "collector/ha/shard_link.h"

#include "collector/core/log.h"

namespace mimamori::collector {
namespace {

constexpr std::chrono::milliseconds kTurn{200};
// A ledger that failed is tried again after this; the changes wait here.
constexpr std::chrono::seconds kRetry{1};

}  // namespace

ShardLink::ShardLink(Ledger ledger, EventQueue& events, const Clock& clock, std::string collector)
    : ledger_(std::move(ledger)),
      events_(events),
      clock_(clock),
      collector_(std::move(collector)) {}

ShardLink::~ShardLink() { Stop(); }

void ShardLink::Start(bool forwarding) {
  forwarding_ = forwarding;
  handed_back_ = !forwarding;
  thread_ = std::thread([this] { Loop(); });
}

void ShardLink::StopForwarding() {
  std::unique_lock lock(mutex_);
  if (!forwarding_) return;
  forwarding_ = false;
  handed_back_ = false;
  wake_.notify_all();
  // The thread's next turn flushes and hands back what is left.
  if (thread_.joinable()) wake_.wait(lock, [this] { return handed_back_ || stopped_; });
}

void ShardLink::ReadInherited(std::set<std::string> nodes,
                              std::function<void(std::vector<InheritedState>)> done) {
  std::lock_guard lock(mutex_);
  requests_.push_back({std::move(nodes), std::move(done)});
  wake_.notify_all();
}

void ShardLink::Stop() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  wake_.notify_all();
  if (thread_.joinable()) thread_.join();
}

bool ShardLink::Flush() {
  if (unsent_.empty()) return true;
  auto ids = ledger_.RecordForwardedChanges(unsent_, clock_.Now(), collector_);
  const std::string problem = ids ? std::string() : ids.error().message;
  if (problem != problem_ && !problem.empty()) {
    Log(LogLevel::kWarning, "collector " + collector_ + ": " + std::to_string(unsent_.size()) +
                                " state changes wait for the ledger: " + problem);
  }
  problem_ = problem;
  if (!ids) return false;
  for (std::size_t i = 0; i < unsent_.size(); ++i) {
    if ((*ids)[i] != 0) continue;
    // Not lost: the node's new collector checks it again, carrying on from
    // the ledger.
    const StateChange& c = unsent_[i];
    Log(LogLevel::kInfo, {c.node, c.monitor, {}},
        "collector " + collector_ +
            ": the node was given to another collector; its change is left to it");
  }
  unsent_.clear();
  return true;
}

void ShardLink::Loop() {
  auto retry_at = std::chrono::steady_clock::now();
  for (;;) {
    std::unique_lock lock(mutex_);
    wake_.wait_for(lock, kTurn, [this] { return stopping_ || forwarding_ || !requests_.empty(); });
    const bool stopping = stopping_;
    const bool forwarding = forwarding_;
    const bool handing_back = !handed_back_;
    lock.unlock();

    if (forwarding || handing_back) {
      auto drained = forwarding && !stopping ? events_.WaitAndDrain(kTurn) : events_.Drain();
      // UNKNOWN only annotates an open incident: not worth a pending row
      // (the engine keeps none for it either).
      for (StateChange& c : drained) {
        if (c.to != Status::kUnknown) unsent_.push_back(std::move(c));
      }
      const auto now = std::chrono::steady_clock::now();
      if (!unsent_.empty() && (now >= retry_at || !forwarding || stopping)) {
        if (!Flush()) retry_at = now + kRetry;
      }
      if (!forwarding && !unsent_.empty()) {
        // Forwarding stopped (this collector leads now): its own engine
        // takes what the ledger would not, from the queue.
        for (StateChange& c : unsent_) events_.Push(std::move(c));
        unsent_.clear();
      }
      if (!forwarding) {
        lock.lock();
        handed_back_ = true;
        lock.unlock();
        wake_.notify_all();
      }
    }
    if (stopping) break;

    std::optional<Request> request;
    lock.lock();
    if (!requests_.empty()) {
      request = std::move(requests_.front());
      requests_.pop_front();
    }
    lock.unlock();
    if (request) {
      auto states = InheritedStates(ledger_);
      if (!states) {
        Log(LogLevel::kWarning, "collector " + collector_ +
                                    ": reading what the ledger says of newly assigned nodes: " +
                                    states.error().message + "; trying again");
        lock.lock();
        requests_.push_front(std::move(*request));
        lock.unlock();
        std::this_thread::sleep_for(kRetry);
      } else {
        std::vector<InheritedState> mine;
        for (InheritedState& s : *states) {
          if (request->nodes.contains(s.node)) mine.push_back(std::move(s));
        }
        request->done(std::move(mine));
      }
    }
  }
  std::lock_guard lock(mutex_);
  stopped_ = true;
  wake_.notify_all();
}

}  // namespace mimamori::collector
