// The collector's core with a manual clock and scripted monitors: the
// failure rule, node-down masking, the event queue, and the scheduler's
// timing (spread, intervals, overruns, monitoring hours, reloads) -- an hour
// of checks in milliseconds, no sleeping.
#include <gtest/gtest.h>

#include <deque>

#include "collector/core/scheduler.h"
#include "collector/core/state_tracker.h"

namespace mimamori::collector {
namespace {

using namespace std::chrono_literals;

TimePoint At(int y, unsigned m, unsigned d, int hh, int mm, int ss = 0) {
  // Tokyo local time to UTC.
  return BusinessCalendar::FromTokyo(
      std::chrono::local_days{std::chrono::year{y} / std::chrono::month{m} / std::chrono::day{d}} +
      std::chrono::hours{hh} + std::chrono::minutes{mm} + std::chrono::seconds{ss});
}

CheckResult R(std::string monitor, Status status, std::string reason = "r") {
  return {std::move(monitor), status, std::move(reason), std::nullopt};
}

TEST(StateTracker, PingIsDownAfterTwoConsecutiveMissesAndUpOnFirstReply) {
  EventQueue events;
  StateTracker tracker(events);
  const TimePoint t0 = At(2026, 11, 24, 10, 0);
  tracker.Apply("web01", "ping", 2, {R("ping", Status::kCritical)}, t0);
  EXPECT_TRUE(events.Drain().empty()) << "one miss is not yet a failure";
  tracker.Apply("web01", "ping", 2, {R("ping", Status::kCritical, "no reply")}, t0 + 60s);
  auto down = events.Drain();
  ASSERT_EQ(down.size(), 1u);
  EXPECT_EQ(down[0].node, "web01");
  EXPECT_EQ(down[0].monitor, "ping");
  EXPECT_EQ(down[0].from, Status::kOk);
  EXPECT_EQ(down[0].to, Status::kCritical);
  EXPECT_EQ(down[0].detected_at, t0 + 60s);
  EXPECT_EQ(down[0].first_seen_at, t0);
  EXPECT_EQ(down[0].reason, "no reply");
  EXPECT_TRUE(tracker.NodeDown("web01"));

  tracker.Apply("web01", "ping", 2, {R("ping", Status::kOk)}, t0 + 120s);
  auto up = events.Drain();
  ASSERT_EQ(up.size(), 1u);
  EXPECT_EQ(up[0].to, Status::kOk);
  EXPECT_GT(up[0].sequence, down[0].sequence);
  EXPECT_FALSE(tracker.NodeDown("web01"));
}

TEST(StateTracker, AMissBetweenRepliesIsNotAFailure) {
  EventQueue events;
  StateTracker tracker(events);
  TimePoint t = At(2026, 11, 24, 10, 0);
  for (Status s : {Status::kCritical, Status::kOk, Status::kCritical, Status::kOk}) {
    tracker.Apply("web01", "ping", 2, {R("ping", s)}, t);
    t += 60s;
  }
  EXPECT_TRUE(events.Drain().empty());
}

TEST(StateTracker, ThresholdOneAndEscalationInPlace) {
  EventQueue events;
  StateTracker tracker(events);
  const TimePoint t = At(2026, 11, 24, 10, 0);
  tracker.Apply("db01", "resource", 1, {R("cpu", Status::kWarning), R("memory", Status::kOk)}, t);
  tracker.Apply("db01", "resource", 1, {R("cpu", Status::kCritical), R("memory", Status::kOk)},
                t + 300s);
  tracker.Apply("db01", "resource", 1, {R("cpu", Status::kCritical), R("memory", Status::kOk)},
                t + 600s);
  auto changes = events.Drain();
  ASSERT_EQ(changes.size(), 2u);
  EXPECT_EQ(changes[0].to, Status::kWarning);
  EXPECT_EQ(changes[1].from, Status::kWarning);
  EXPECT_EQ(changes[1].to, Status::kCritical);
  EXPECT_EQ(changes[1].first_seen_at, t);
}

TEST(StateTracker, ADownNodesOtherFailuresBecomeUnknown) {
  EventQueue events;
  StateTracker tracker(events);
  const TimePoint t = At(2026, 11, 24, 10, 0);
  tracker.Apply("web01", "ping", 2, {R("ping", Status::kCritical)}, t);
  tracker.Apply("web01", "ping", 2, {R("ping", Status::kCritical)}, t + 60s);
  events.Drain();
  tracker.Apply("web01", "process", 1,
                {R("process:httpd", Status::kUnknown, "snmp timeout"),
                 R("process:sshd", Status::kCritical, "0 processes")},
                t + 61s);
  auto changes = events.Drain();
  ASSERT_EQ(changes.size(), 2u);
  for (const auto& c : changes) {
    EXPECT_EQ(c.to, Status::kUnknown) << c.monitor;
    EXPECT_NE(c.reason.find("node is down"), std::string::npos);
  }
}

// Issue 13: after a restart the first check decides, with its own time.
TEST(StateTracker, PresumedFailureRecoversOnTheFirstOkCheckWithThatChecksTime) {
  EventQueue events;
  StateTracker tracker(events);
  const TimePoint t = At(2026, 11, 24, 10, 0);
  tracker.Presume("web01", "ping", "ping", Status::kCritical, t - 600s);
  EXPECT_TRUE(tracker.NodeDown("web01"));
  EXPECT_TRUE(events.Drain().empty()) << "presuming is not a change";
  tracker.Apply("web01", "ping", 2, {R("ping", Status::kOk)}, t);
  auto up = events.Drain();
  ASSERT_EQ(up.size(), 1u);
  EXPECT_EQ(up[0].from, Status::kCritical);
  EXPECT_EQ(up[0].to, Status::kOk);
  EXPECT_EQ(up[0].detected_at, t);
  EXPECT_EQ(tracker.Current()[0].ok_since, t);
}

TEST(StateTracker, PresumedFailureStaysConfirmedOnAFailingFirstCheck) {
  EventQueue events;
  StateTracker tracker(events);
  const TimePoint t = At(2026, 11, 24, 10, 0);
  tracker.Presume("web01", "port:80", "port", Status::kCritical, t - 600s);
  // One miss of a two-miss rule: no recovery, no new failure.
  tracker.Apply("web01", "port", 2, {R("port:80", Status::kCritical)}, t);
  EXPECT_TRUE(events.Drain().empty());
  EXPECT_EQ(tracker.Current()[0].confirmed, Status::kCritical);
  // A monitor already checked in this run is not overwritten.
  tracker.Presume("web01", "port:80", "port", Status::kWarning, t);
  EXPECT_EQ(tracker.Current()[0].confirmed, Status::kCritical);
}

TEST(StateTracker, RetainForgetsRemovedMonitors) {
  EventQueue events;
  StateTracker tracker(events);
  const TimePoint t = At(2026, 11, 24, 10, 0);
  tracker.Apply("a", "ping", 2, {R("ping", Status::kOk)}, t);
  tracker.Apply("b", "ping", 2, {R("ping", Status::kOk)}, t);
  tracker.Retain({{"a", "ping"}});
  auto current = tracker.Current();
  ASSERT_EQ(current.size(), 1u);
  EXPECT_EQ(current[0].node, "a");
}

TEST(EventQueue, OverflowDropsTheOldestAndCountsIt) {
  EventQueue events(3);
  for (int i = 1; i <= 5; ++i) {
    StateChange c;
    c.sequence = static_cast<std::uint64_t>(i);
    events.Push(c);
  }
  auto drained = events.Drain();
  ASSERT_EQ(drained.size(), 3u);
  EXPECT_EQ(drained[0].sequence, 3u);
  EXPECT_EQ(events.dropped(), 2u);
}

// ---------------------------------------------------------------- scheduler

// A monitor whose checks complete when the test says so.
class ScriptedMonitor : public Monitor {
 public:
  ScriptedMonitor(std::string node, std::string kind, std::chrono::seconds interval, int threshold)
      : node_(std::move(node)),
        kind_(std::move(kind)),
        interval_(interval),
        threshold_(threshold) {}
  std::string_view Kind() const override { return kind_; }
  const std::string& NodeName() const override { return node_; }
  std::chrono::seconds Interval() const override { return interval_; }
  int FailureThreshold() const override { return threshold_; }
  void Start(std::function<void(CheckReport)> done) override {
    ++starts;
    if (hold) {
      pending.push_back(std::move(done));
      return;
    }
    CheckReport report;
    report.results.push_back(R(kind_, next_status));
    done(report);
  }

  Status next_status = Status::kOk;
  bool hold = false;
  int starts = 0;
  std::vector<std::function<void(CheckReport)>> pending;

 private:
  std::string node_, kind_;
  std::chrono::seconds interval_;
  int threshold_;
};

class SchedulerTest : public ::testing::Test {
 protected:
  SchedulerTest()
      : clock_(At(2026, 11, 24, 10, 0)),  // a Tuesday, business hours
        tracker_(events_),
        scheduler_(clock_, tracker_, metrics_,
                   [this](std::function<void()> f) { posted_.push_back(std::move(f)); }) {
    inventory_ = std::make_shared<Inventory>();
    inventory_->systems = {{"dev", ServiceLevel::kCDev, {}, {}},
                           {"prod", ServiceLevel::kA, {}, {}}};
    Node a;
    a.name = "prod01";
    a.system = "prod";
    Node c;
    c.name = "dev01";
    c.system = "dev";
    inventory_->nodes = {a, c};
    calendar_ = std::make_shared<BusinessCalendar>();
  }

  std::shared_ptr<ScriptedMonitor> Add(std::string node, std::string kind,
                                       std::chrono::seconds interval, int threshold = 1) {
    auto m =
        std::make_shared<ScriptedMonitor>(std::move(node), std::move(kind), interval, threshold);
    monitors_.push_back(m);
    return m;
  }
  void Install() {
    std::vector<std::shared_ptr<Monitor>> plan(monitors_.begin(), monitors_.end());
    scheduler_.SetPlan(plan, inventory_, calendar_);
  }
  void Pump() {
    while (!posted_.empty()) {
      auto f = std::move(posted_.front());
      posted_.pop_front();
      f();
    }
  }
  // Advances the clock second by second, running whatever is due.
  void RunFor(std::chrono::seconds span) {
    for (std::chrono::seconds s{0}; s < span; s += 1s) {
      scheduler_.RunDue();
      Pump();
      clock_.Advance(1s);
    }
  }

  ManualClock clock_;
  EventQueue events_;
  StateTracker tracker_;
  CollectorMetrics metrics_;
  std::deque<std::function<void()>> posted_;
  Scheduler scheduler_;
  std::shared_ptr<Inventory> inventory_;
  std::shared_ptr<BusinessCalendar> calendar_;
  std::vector<std::shared_ptr<ScriptedMonitor>> monitors_;
};

TEST_F(SchedulerTest, CheckSoonRunsTheGivenMonitorsFirst) {
  std::vector<std::shared_ptr<ScriptedMonitor>> many;
  for (int i = 0; i < 50; ++i) many.push_back(Add("prod01", "k" + std::to_string(i), 300s));
  Install();
  scheduler_.CheckSoon({{"prod01", "k7"}, {"prod01", "k31"}, {"nobody", "k7"}});
  RunFor(1s);
  EXPECT_EQ(many[7]->starts, 1);
  EXPECT_EQ(many[31]->starts, 1);
  RunFor(299s);
  // Then back on their grid: no second run inside the interval.
  EXPECT_EQ(many[7]->starts, 1);
  for (auto& m : many) EXPECT_LE(m->starts, 2);
}

TEST_F(SchedulerTest, AnHourOfPingChecksRunsOncePerMinute) {
  auto ping = Add("prod01", "ping", 60s, 2);
  Install();
  RunFor(3600s);
  EXPECT_EQ(ping->starts, 60);
}

TEST_F(SchedulerTest, ChecksAreSpreadOverTheInterval) {
  std::vector<std::shared_ptr<ScriptedMonitor>> many;
  for (int i = 0; i < 300; ++i) many.push_back(Add("prod01", "k" + std::to_string(i), 300s));
  Install();
  int started_in_first_minute = 0;
  RunFor(60s);
  for (auto& m : many) started_in_first_minute += m->starts;
  // Uniform spread: about a fifth start in the first of five minutes.
  EXPECT_GT(started_in_first_minute, 30);
  EXPECT_LT(started_in_first_minute, 90);
  RunFor(240s);
  for (auto& m : many) EXPECT_EQ(m->starts, 1);
}

TEST_F(SchedulerTest, DownAfterExactlyTwoFailedPingCycles) {
  auto ping = Add("prod01", "ping", 60s, 2);
  ping->next_status = Status::kCritical;
  Install();
  RunFor(60s);
  EXPECT_EQ(ping->starts, 1);
  EXPECT_TRUE(events_.Drain().empty());
  RunFor(60s);
  EXPECT_EQ(ping->starts, 2);
  auto changes = events_.Drain();
  ASSERT_EQ(changes.size(), 1u);
  EXPECT_EQ(changes[0].to, Status::kCritical);
}

TEST_F(SchedulerTest, ASlowCheckIsSkippedNotQueuedAndDelaysNoOther) {
  auto slow = Add("prod01", "web", 60s);
  auto fast = Add("prod01", "ping", 60s);
  slow->hold = true;
  Install();
  RunFor(600s);
  EXPECT_EQ(slow->starts, 1);
  EXPECT_EQ(fast->starts, 10);
  EXPECT_EQ(scheduler_.running(), 1u);
  slow->pending[0](CheckReport{});
  Pump();
  EXPECT_EQ(scheduler_.running(), 0u);
}

TEST_F(SchedulerTest, LevelCDevIsWatchedOnlyInBusinessHours) {
  auto dev = Add("dev01", "resource", 300s);
  auto prod = Add("prod01", "resource", 300s);
  clock_.Set(At(2026, 11, 28, 10, 0));  // Saturday
  Install();
  RunFor(3600s);
  EXPECT_EQ(dev->starts, 0);
  EXPECT_EQ(prod->starts, 12);
  clock_.Set(At(2026, 11, 30, 17, 30));  // Monday 17:30: 15 minutes left
  RunFor(3600s);
  EXPECT_GE(dev->starts, 2);
  EXPECT_LE(dev->starts, 3);
}

std::string MetricsText(CollectorMetrics& metrics) { return metrics.Text(); }

// A node added ahead of its go-live runs nothing until 00:00 Tokyo of
// monitoring_starts, then starts without a reload; one in acceptance
// testing runs from the start; /metrics counts each state.
TEST_F(SchedulerTest, NodesWaitForGoLiveAndAcceptanceTestsRun) {
  Node later;
  later.name = "new01";
  later.system = "prod";
  later.monitoring_starts = At(2026, 11, 25, 0, 0);
  later.monitoring_starts_text = "2026-11-25";
  Node testing = later;
  testing.name = "accept01";
  testing.acceptance_testing = true;
  Node off;
  off.name = "off01";
  off.enabled = false;
  inventory_->nodes.push_back(later);
  inventory_->nodes.push_back(testing);
  inventory_->nodes.push_back(off);
  auto waiting = Add("new01", "ping", 60s, 2);
  auto accepting = Add("accept01", "ping", 60s, 2);
  clock_.Set(At(2026, 11, 24, 23, 0));
  Install();
  std::string text = MetricsText(metrics_);
  EXPECT_NE(text.find("mimamori_nodes{state=\"before-go-live\"} 1"), std::string::npos) << text;
  EXPECT_NE(text.find("mimamori_nodes{state=\"acceptance-testing\"} 1"), std::string::npos);
  EXPECT_NE(text.find("mimamori_nodes{state=\"disabled\"} 1"), std::string::npos);
  EXPECT_NE(text.find("mimamori_nodes{state=\"monitored\"} 2"), std::string::npos);
  EXPECT_NE(text.find("mimamori_node_checks{state=\"before-go-live\"} 3"), std::string::npos)
      << text;  // ping, resource and time

  RunFor(3600s);  // 23:00-24:00
  EXPECT_EQ(waiting->starts, 0);
  EXPECT_EQ(accepting->starts, 60);
  text = MetricsText(metrics_);
  EXPECT_NE(text.find("mimamori_checks_skipped_total{kind=\"ping\",reason=\"before_go_live\"} 60"),
            std::string::npos)
      << text;
  RunFor(3600s);  // the first hour after go-live
  EXPECT_EQ(waiting->starts, 60);
  text = MetricsText(metrics_);
  EXPECT_NE(text.find("mimamori_nodes{state=\"before-go-live\"} 0"), std::string::npos) << text;
  EXPECT_NE(text.find("mimamori_nodes{state=\"monitored\"} 4"), std::string::npos) << text;
}

TEST(NodeState, DisabledAcceptanceAndGoLive) {
  const TimePoint go_live = At(2027, 1, 4, 0, 0);
  Node node;
  EXPECT_EQ(node.StateAt(go_live), NodeState::kMonitored);
  node.acceptance_testing = true;
  EXPECT_EQ(node.StateAt(go_live + std::chrono::hours(24 * 365)), NodeState::kAcceptanceTesting)
      << "acceptance without a date lasts until the operator ends it";
  node.monitoring_starts = go_live;
  EXPECT_EQ(node.StateAt(go_live - 1ms), NodeState::kAcceptanceTesting);
  EXPECT_EQ(node.StateAt(go_live), NodeState::kMonitored) << "acceptance ends on go-live";
  node.acceptance_testing = false;
  EXPECT_EQ(node.StateAt(go_live - 1ms), NodeState::kBeforeGoLive);
  EXPECT_FALSE(node.ChecksRunAt(go_live - 1ms));
  EXPECT_TRUE(node.ChecksRunAt(go_live));
  node.enabled = false;
  EXPECT_EQ(node.StateAt(go_live), NodeState::kDisabled);
  EXPECT_FALSE(node.ChecksRunAt(go_live));
}

TEST_F(SchedulerTest, ReloadKeepsScheduleAndState) {
  auto ping = Add("prod01", "ping", 60s, 2);
  ping->next_status = Status::kCritical;
  Install();
  RunFor(60s);  // one miss
  const TimePoint due = scheduler_.NextDue();
  // The new config creates new monitor objects for the same node and kind.
  monitors_.clear();
  auto again = Add("prod01", "ping", 60s, 2);
  again->next_status = Status::kCritical;
  Install();
  EXPECT_EQ(scheduler_.NextDue(), due);
  RunFor(60s);  // second miss: the streak survived the reload
  auto changes = events_.Drain();
  ASSERT_EQ(changes.size(), 1u);
  EXPECT_EQ(changes[0].to, Status::kCritical);
}

// A reload while a check is in flight: the new monitor waits for that
// check, and runs again once it completed (it used to wait forever: the
// completion cleared only the old monitor's mark).
TEST_F(SchedulerTest, AReloadDuringACheckKeepsTheMonitorRunningAfterIt) {
  auto slow = Add("prod01", "process", 60s);
  slow->hold = true;
  Install();
  RunFor(61s);
  ASSERT_EQ(slow->starts, 1);
  monitors_.clear();
  auto again = Add("prod01", "process", 60s);
  Install();
  RunFor(60s);
  EXPECT_EQ(again->starts, 0) << "must not overlap the old monitor's check";
  slow->pending[0](CheckReport{});
  Pump();
  RunFor(61s);
  EXPECT_GE(again->starts, 1) << "the monitor stopped after a reload during its check";
  EXPECT_EQ(scheduler_.running(), 0u);
}

TEST_F(SchedulerTest, RunAllOnceStartsEverythingAndReportsCompletion) {
  auto a = Add("prod01", "ping", 60s);
  auto b = Add("dev01", "resource", 300s);
  clock_.Set(At(2026, 11, 28, 10, 0));  // outside hours: --once ignores hours
  Install();
  bool done = false;
  scheduler_.RunAllOnce([&] { done = true; });
  Pump();
  EXPECT_TRUE(done);
  EXPECT_EQ(a->starts, 1);
  EXPECT_EQ(b->starts, 1);
}

}  // namespace
}  // namespace mimamori::collector
