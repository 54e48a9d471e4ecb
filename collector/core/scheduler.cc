#include "collector/core/scheduler.h"

#include <algorithm>
#include <functional>

#include "collector/core/log.h"

namespace mimamori::collector {

Scheduler::Scheduler(const Clock& clock, StateTracker& tracker, CollectorMetrics& metrics,
                     Post post)
    : clock_(clock), tracker_(tracker), metrics_(metrics), post_(std::move(post)) {}

std::chrono::seconds Scheduler::Offset(const std::string& node, const std::string& kind,
                                       std::chrono::seconds interval) {
  // A stable spread: the same monitor keeps its second within the interval
  // across restarts, and 10,000 nodes do not all fire at once.
  const std::size_t h = std::hash<std::string>{}(node + '\x1f' + kind);
  const auto span = static_cast<std::size_t>(std::max<std::int64_t>(interval.count(), 1));
  return std::chrono::seconds(static_cast<std::int64_t>(h % span));
}

void Scheduler::SetPlan(std::vector<std::shared_ptr<Monitor>> monitors,
                        std::shared_ptr<const Inventory> inventory,
                        std::shared_ptr<const BusinessCalendar> calendar) {
  inventory_ = std::move(inventory);
  calendar_ = std::move(calendar);
  const TimePoint now = clock_.Now();
  std::map<std::pair<std::string, std::string>, Entry> next;
  std::set<std::pair<std::string, std::string>> keep;
  for (auto& monitor : monitors) {
    Entry entry;
    entry.node = monitor->NodeName();
    entry.kind = std::string(monitor->Kind());
    const std::pair<std::string, std::string> key{entry.node, entry.kind};
    keep.insert(key);
    auto old = entries_.find(key);
    if (old != entries_.end()) {
      entry.due = old->second.due;
      entry.running = old->second.running;
    } else {
      entry.due = now + Offset(entry.node, entry.kind, monitor->Interval());
    }
    if (const Node* node = inventory_->FindNode(entry.node)) {
      auto hours = inventory_->defaults.hours.find(inventory_->LevelOf(*node));
      entry.business_hours_only =
          hours != inventory_->defaults.hours.end() && hours->second.business_hours_only;
      // Acceptance tests run before go-live; other nodes wait for it.
      if (node->monitoring_starts && !node->acceptance_testing) {
        entry.runs_from = node->monitoring_starts;
      }
    }
    entry.monitor = std::move(monitor);
    next[key] = std::move(entry);
  }
  entries_ = std::move(next);
  by_due_.clear();
  for (auto& [key, entry] : entries_) by_due_.insert(&entry);
  tracker_.Retain(keep);
  metrics_.PublishStates(tracker_.Current());
  PublishNodeStates(now);
}

void Scheduler::PublishNodeStates(TimePoint now) {
  if (!inventory_) return;
  metrics_.PublishNodeStates(*inventory_, now);
  node_states_at_ = now;
  next_go_live_.reset();
  for (const Node& node : inventory_->nodes) {
    if (node.enabled && node.monitoring_starts && *node.monitoring_starts > now) {
      next_go_live_ = std::min(next_go_live_.value_or(TimePoint::max()), *node.monitoring_starts);
    }
  }
}

void Scheduler::CheckSoon(const std::set<std::pair<std::string, std::string>>& monitors) {
  const TimePoint now = clock_.Now();
  for (const auto& key : monitors) {
    auto it = entries_.find(key);
    if (it == entries_.end() || it->second.due <= now) continue;
    by_due_.erase(&it->second);
    it->second.due = now;
    by_due_.insert(&it->second);
  }
}

TimePoint Scheduler::NextDue() const {
  return by_due_.empty() ? TimePoint::max() : (*by_due_.begin())->due;
}

void Scheduler::RunDue() {
  const TimePoint now = clock_.Now();
  if (next_go_live_ && now >= *next_go_live_) {
    for (const Node& node : inventory_->nodes) {
      if (node.enabled && node.monitoring_starts && *node.monitoring_starts <= now &&
          *node.monitoring_starts > node_states_at_) {
        Log(LogLevel::kInfo, {node.name, {}, {}},
            "go-live " + node.monitoring_starts_text + ": now " +
                std::string(NodeStateName(node.StateAt(now))));
      }
    }
    PublishNodeStates(now);
  }
  // Earliest first; each entry goes back with a due time after now, so the
  // loop ends.
  while (!by_due_.empty() && (*by_due_.begin())->due <= now) {
    Entry& entry = **by_due_.begin();
    by_due_.erase(by_due_.begin());
    const auto interval = entry.monitor->Interval();
    const TimePoint due = entry.due;
    // Next slot on the fixed grid; after a long stall (suspend, clock jump)
    // skip the missed rounds instead of firing them in a burst.
    entry.due += interval;
    if (entry.due <= now) entry.due = now + std::max(interval, std::chrono::seconds(1));
    by_due_.insert(&entry);
    if (entry.running) {
      metrics_.CheckSkipped(entry.kind, "overrun");
      Log(LogLevel::kWarning, {entry.node, entry.kind, {}},
          "previous check still running; skipping this round");
      continue;
    }
    if (entry.runs_from && now < *entry.runs_from) {
      metrics_.CheckSkipped(entry.kind, "before_go_live");
      continue;
    }
    if (entry.business_hours_only && calendar_ && !calendar_->IsBusinessHours(now)) {
      metrics_.CheckSkipped(entry.kind, "outside_hours");
      continue;
    }
    metrics_.CheckStarted(entry.kind, now - due);
    Start(entry, now, nullptr);
  }
}

void Scheduler::RunAllOnce(std::function<void()> all_done) {
  const TimePoint now = clock_.Now();
  auto remaining = std::make_shared<std::size_t>(0);
  auto finish = std::make_shared<std::function<void()>>();
  for (auto& [key, entry] : entries_) {
    if (!entry.running) ++*remaining;
  }
  if (*remaining == 0) {
    post_(std::move(all_done));
    return;
  }
  *finish = [remaining, all_done = std::move(all_done)] {
    if (--*remaining == 0) all_done();
  };
  for (auto& [key, entry] : entries_) {
    if (!entry.running) Start(entry, now, finish);
  }
}

void Scheduler::Start(Entry& entry, TimePoint now, std::shared_ptr<std::function<void()>> on_done) {
  entry.running = true;
  ++running_;
  // The completion may arrive after a reload replaced this entry: it holds
  // the monitor alive and looks the entry up again by key.
  std::shared_ptr<Monitor> monitor = entry.monitor;
  const std::pair<std::string, std::string> key{entry.node, entry.kind};
  const auto started = std::chrono::steady_clock::now();
  monitor->Start([this, monitor, key, now, started, on_done](CheckReport report) {
    post_([this, monitor, key, now, started, on_done, report = std::move(report)] {
      --running_;
      const auto duration = std::chrono::steady_clock::now() - started;
      // Whichever monitor holds the key now: a reload during the check
      // carried `running` over to its new monitor, which waits for this
      // completion (a check of the old one overlapping a check of the new
      // one would judge the node twice).
      auto it = entries_.find(key);
      if (it != entries_.end()) it->second.running = false;
      const bool current = it != entries_.end();
      if (current) {
        // Judged at completion time (never before the start, even if the
        // clock stepped back).
        auto touched = tracker_.Apply(key.first, key.second, monitor->FailureThreshold(),
                                      report.results, std::max(now, clock_.Now()));
        metrics_.CheckFinished(key.first, key.second, duration, report);
        metrics_.UpdateStates(touched);
      }
      if (on_done) (*on_done)();
    });
  });
}

}  // namespace mimamori::collector
