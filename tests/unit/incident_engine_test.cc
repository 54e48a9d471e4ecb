// The incident engine against a real SQLite ledger in a temporary directory,
// the real templates of packaging/templates and a ManualClock: grouping
// windows, the first/continuing/final reports of the spec's timetable
// (MONITORING-SPEC.md section 4), suppression windows (section 5), restarts
// and ledger outages. An hour of escalation runs in milliseconds.
#include "collector/alerting/incident_engine.h"

#include <gtest/gtest.h>
#include <libpq-fe.h>
#include <sqlite3.h>
#include <stdlib.h>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "collector/alerting/incident_actions.h"
#include "collector/alerting/report_wording.h"
#include "collector/calendar/business_calendar.h"
#include "collector/core/clock.h"
#include "tests/support/test_ledger.h"
#include "tests/unit/alerting_test_support.h"

namespace mimamori::collector {
namespace {

namespace chrono = std::chrono;
using chrono::hours;
using chrono::minutes;
using chrono::seconds;

using testing::Contains;
using testing::kSaturday10;
using testing::kTuesday10;
using testing::Tokyo;

Owner Person(std::string name, std::string mail, std::string phone = {}) {
  return Owner{std::move(name), std::move(mail), std::move(phone)};
}

Node MakeNode(std::string name, NodeKind kind, std::string system = {}, std::string host = {}) {
  Node n;
  n.name = name;
  n.address = name + ".example.jp";
  n.kind = kind;
  n.system = std::move(system);
  n.host = std::move(host);
  return n;
}

const std::string kPmMail = "pm@example.jp";
const std::string kIctMail = "ict@example.jp";
const std::string kJukiMail = "juki@example.jp";
const std::string kZeimuMail = "zeimu@example.jp";
const std::string kToshoMail = "tosho@example.jp";
const std::string kPmPhone = "統括 太郎 <+81-59-000-0001>";
const std::string kIctPhone = "ICT 花子 <+81-59-000-0003>";
const std::string kJukiPhone = "住基 一郎 <+81-59-000-0010>";

/// Two ESXi hosts, one storage, systems of every level:
///   esx01: juki-ap01, juki-db01 (juki, A), zeimu-ap01 (zeimu, B), juki-bat01 (juki, A)
///   esx02: tosho-ap01 (tosho, C), dev01 (kaihatsu, C-dev), zeimu-db01 (zeimu, B),
///          kokuho-ap01 (kokuho, A, resource-warning is high)
std::shared_ptr<Inventory> MakeInventory() {
  auto inv = std::make_shared<Inventory>();
  inv->source = "test-inventory.yaml";
  inv->alerting.templates = MIMAMORI_FIXTURES "/../../packaging/templates";
  inv->alerting.platform_managers = {Person("統括 太郎", kPmMail, "+81-59-000-0001")};
  inv->alerting.ict_service_center = {Person("ICT 花子", kIctMail, "+81-59-000-0003")};
  // The platform manager is also an owner of juki: mailed once.
  inv->systems.push_back({"juki",
                          ServiceLevel::kA,
                          {Person("住基 一郎", kJukiMail, "+81-59-000-0010"),
                           Person("統括 太郎", kPmMail, "+81-59-000-0001")},
                          {}});
  inv->systems.push_back({"zeimu", ServiceLevel::kB, {Person("税務 二郎", kZeimuMail)}, {}});
  inv->systems.push_back(
      {"tosho", ServiceLevel::kC, {Person("図書 三郎", kToshoMail, "+81-59-000-0030")}, {}});
  inv->systems.push_back(
      {"kaihatsu", ServiceLevel::kCDev, {Person("開発 四郎", "dev@example.jp")}, {}});
  inv->systems.push_back({"kokuho",
                          ServiceLevel::kA,
                          {Person("国保 五郎", "kokuho@example.jp")},
                          {{FailureClass::kResourceWarning, Priority::kHigh}}});
  inv->nodes.push_back(MakeNode("esx01", NodeKind::kEsxiHost));
  inv->nodes.push_back(MakeNode("esx02", NodeKind::kEsxiHost));
  inv->nodes.push_back(MakeNode("storage01", NodeKind::kStorage));
  inv->nodes.push_back(MakeNode("juki-ap01", NodeKind::kVm, "juki", "esx01"));
  inv->nodes.push_back(MakeNode("juki-db01", NodeKind::kVm, "juki", "esx01"));
  inv->nodes.push_back(MakeNode("zeimu-ap01", NodeKind::kVm, "zeimu", "esx01"));
  inv->nodes.push_back(MakeNode("juki-bat01", NodeKind::kVm, "juki", "esx01"));
  inv->nodes.push_back(MakeNode("tosho-ap01", NodeKind::kVm, "tosho", "esx02"));
  inv->nodes.push_back(MakeNode("dev01", NodeKind::kVm, "kaihatsu", "esx02"));
  inv->nodes.push_back(MakeNode("zeimu-db01", NodeKind::kVm, "zeimu", "esx02"));
  inv->nodes.push_back(MakeNode("kokuho-ap01", NodeKind::kVm, "kokuho", "esx02"));
  return inv;
}

AlertingContext MakeContext(std::shared_ptr<const Inventory> inventory) {
  std::vector<std::string> errors;
  auto ctx = AlertingContext::Make(std::move(inventory), "test.invalid", errors);
  for (const std::string& e : errors) ADD_FAILURE() << e;
  if (!ctx) {
    ADD_FAILURE() << "AlertingContext::Make failed";
    return AlertingContext{};
  }
  return *ctx;
}

std::string KindOf(const std::string& monitor) {
  if (monitor == "ping") return "ping";
  if (monitor.starts_with("port:")) return "port";
  if (monitor.starts_with("process:")) return "process";
  return "resource";
}

StateChange Change(const std::string& node, const std::string& monitor, Status to, TimePoint at,
                   Status from = Status::kOk) {
  StateChange c;
  c.node = node;
  c.monitor = monitor;
  c.kind = KindOf(monitor);
  c.from = from;
  c.to = to;
  c.detected_at = at;
  c.first_seen_at = at - minutes(1);
  c.reason = to == Status::kOk ? "recovered" : "no reply";
  return c;
}

StateChange Fail(const std::string& node, TimePoint at, const std::string& monitor = "ping",
                 Status to = Status::kCritical) {
  return Change(node, monitor, to, at);
}

StateChange Recover(const std::string& node, TimePoint at, const std::string& monitor = "ping") {
  return Change(node, monitor, Status::kOk, at, Status::kCritical);
}

MonitorState StateOf(const std::string& node, const std::string& monitor, Status status,
                     TimePoint checked) {
  MonitorState s;
  s.node = node;
  s.monitor = monitor;
  s.kind = KindOf(monitor);
  s.confirmed = status;
  s.last_result = status;
  s.streak = status == Status::kOk ? 0 : 2;
  s.streak_started = checked - minutes(1);
  s.last_checked = checked;
  return s;
}

std::vector<std::string> Sorted(std::vector<std::string> v) {
  std::sort(v.begin(), v.end());
  return v;
}

class IncidentEngineTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string pattern = ::testing::TempDir() + "incident_engine_test.XXXXXX";
    ASSERT_NE(mkdtemp(pattern.data()), nullptr);
    dir_ = pattern;
    std::string skip;
    path_ = ::mimamori::testing::TestLedgerLocation(dir_, &skip);
    if (path_.empty()) GTEST_SKIP() << skip;
    inventory_ = MakeInventory();
    auto opened = Ledger::Open(path_);
    ASSERT_TRUE(opened) << opened.error().message;
    ledger_ = std::make_unique<Ledger>(std::move(*opened));
    clock_.Set(kTuesday10);
  }
  void TearDown() override {
    engine_.reset();
    ledger_.reset();
    std::filesystem::remove_all(dir_);
  }

  /// Builds the context from inventory_ (change it first) and an engine.
  IncidentEngine& Start() {
    ctx_ = MakeContext(inventory_);
    engine_ = std::make_unique<IncidentEngine>(*ledger_, clock_, ctx_);
    return *engine_;
  }
  /// A new engine on the same ledger, as after a restart.
  IncidentEngine& Restart() {
    engine_.reset();
    engine_ = std::make_unique<IncidentEngine>(*ledger_, clock_, ctx_);
    return *engine_;
  }

  /// Advances the clock by `step` and ticks until `until` (inclusive).
  void TickUntil(TimePoint until, chrono::seconds step = seconds(1)) {
    while (clock_.Now() + step <= until) {
      clock_.Advance(step);
      engine_->Tick();
    }
  }

  std::vector<Incident> Open() {
    auto open = ledger_->OpenIncidents();
    EXPECT_TRUE(open) << open.error().message;
    return open ? *open : std::vector<Incident>{};
  }
  std::vector<Incident> All() {
    auto all = ledger_->RecentIncidents(TimePoint{}, 100000);
    EXPECT_TRUE(all) << all.error().message;
    return all ? *all : std::vector<Incident>{};
  }
  IncidentTimeline TimelineOf(IncidentId id) {
    auto t = ledger_->Timeline(id);
    EXPECT_TRUE(t) << t.error().message;
    return t ? *t : IncidentTimeline{};
  }
  std::vector<Report> ReportsOf(IncidentId id, std::optional<ReportKind> kind = {}) {
    std::vector<Report> out;
    for (const Report& r : TimelineOf(id).reports) {
      if (!kind || r.kind == *kind) out.push_back(r);
    }
    return out;
  }
  /// Every report still pending (nothing sends in these tests).
  std::vector<Report> Pending() {
    auto due = ledger_->DueReports(Tokyo(2100, 1, 1, 0, 0), 1000000);
    EXPECT_TRUE(due) << due.error().message;
    return due ? *due : std::vector<Report>{};
  }
  std::vector<Report> SuppressionMails() {
    std::vector<Report> out;
    for (const Report& r : Pending()) {
      if (r.suppression_id) out.push_back(r);
    }
    return out;
  }
  static const Report* ByChannel(const std::vector<Report>& reports, Channel channel) {
    for (const Report& r : reports) {
      if (r.channel == channel) return &r;
    }
    return nullptr;
  }
  static std::vector<std::string> AffectedVms(const IncidentTimeline& t) {
    std::vector<std::string> vms;
    for (const AffectedVm& vm : t.affected_vms) vms.push_back(vm.vm);
    return Sorted(vms);
  }

  /// Accepts one failure now and ticks through the grouping window; returns
  /// the single incident it opened.
  IncidentId OpenOne(const StateChange& change) {
    engine_->Accept({change});
    TickUntil(clock_.Now() + seconds(60));
    auto open = Open();
    EXPECT_FALSE(open.empty());
    return open.empty() ? 0 : open.back().id;
  }

  std::string dir_, path_;
  std::shared_ptr<Inventory> inventory_;
  AlertingContext ctx_;
  std::unique_ptr<Ledger> ledger_;
  ManualClock clock_;
  std::unique_ptr<IncidentEngine> engine_;
};

// ---------------------------------------------------------------------------
// 1. Grouping window and the first report

TEST_F(IncidentEngineTest, PingFailureWaitsForTheGroupingWindow) {
  IncidentEngine& engine = Start();
  engine.Accept({Fail("juki-ap01", kTuesday10)});
  EXPECT_EQ(engine.waiting(), 1u);
  ASSERT_TRUE(engine.NextGroupDeadline());
  EXPECT_EQ(*engine.NextGroupDeadline(), kTuesday10 + seconds(60));

  TickUntil(kTuesday10 + seconds(59));
  EXPECT_TRUE(Open().empty());
  EXPECT_EQ(engine.waiting(), 1u);

  TickUntil(kTuesday10 + seconds(60));
  auto open = Open();
  ASSERT_EQ(open.size(), 1u);
  EXPECT_EQ(engine.waiting(), 0u);
  EXPECT_FALSE(engine.NextGroupDeadline());
  EXPECT_EQ(engine.stats().incidents_opened, 1u);
  EXPECT_EQ(engine.stats().platform_incidents_opened, 0u);

  const Incident& incident = open.front();
  EXPECT_EQ(incident.scope, IncidentScope::kVm);
  EXPECT_EQ(incident.service_level, "A");
  EXPECT_EQ(incident.priority, Priority::kHigh);
  EXPECT_EQ(incident.detected_at, kTuesday10);
  EXPECT_EQ(incident.opened_at, kTuesday10 + seconds(60));
  EXPECT_EQ(incident.incident_class, "trouble");

  IncidentTimeline t = TimelineOf(incident.id);
  ASSERT_EQ(t.monitors.size(), 1u);
  EXPECT_EQ(t.monitors[0].node, "juki-ap01");
  EXPECT_EQ(t.monitors[0].monitor, "ping");
  EXPECT_EQ(t.monitors[0].system, "juki");
  EXPECT_EQ(AffectedVms(t), std::vector<std::string>{"juki-ap01"});

  // Level A, high, business hours: within 15 min, phone and mail; both
  // copies are report number 1, queued in the incident's transaction.
  ASSERT_EQ(t.reports.size(), 2u);
  const Report* mail = ByChannel(t.reports, Channel::kMail);
  const Report* phone = ByChannel(t.reports, Channel::kPhone);
  ASSERT_TRUE(mail && phone);
  for (const Report* r : {mail, phone}) {
    EXPECT_EQ(r->kind, ReportKind::kFirst);
    EXPECT_EQ(r->report_number, 1);
    EXPECT_EQ(r->due_at, kTuesday10 + minutes(15));
    EXPECT_EQ(r->created_at, incident.opened_at);
    EXPECT_EQ(r->status, ReportStatus::kPending);
  }
  EXPECT_EQ(mail->recipients, (std::vector<std::string>{kPmMail, kJukiMail, kIctMail}));
  EXPECT_EQ(phone->recipients, (std::vector<std::string>{kPmPhone, kJukiPhone, kIctPhone}));
  EXPECT_EQ(mail->subject, "【第三期サーバ仮想基盤障害発生】");
  EXPECT_TRUE(Contains(mail->body, "第一報"));
  EXPECT_TRUE(Contains(mail->body, "2026/12/01 10:00"));
  EXPECT_TRUE(Contains(mail->body, "- juki-ap01 (juki, ホスト esx01)"));
  EXPECT_NE(mail->message_id, phone->message_id);
}

struct FirstReportCase {
  const char* name;
  TimePoint detected;
  std::string node;
  std::string monitor;
  Status to;
  std::optional<minutes> due_after;  // nullopt: no first report
  Channels channels;
};

TEST_F(IncidentEngineTest, FirstReportFollowsTheTimetableRow) {
  const std::vector<FirstReportCase> cases = {
      {"A high Tuesday 10:00", kTuesday10, "juki-ap01", "ping", Status::kCritical, minutes(15),
       kPhoneAndMail},
      {"A high Saturday", kSaturday10, "juki-ap01", "ping", Status::kCritical, minutes(30),
       kPhoneOnly},
      {"A high 勤労感謝の日", Tokyo(2026, 11, 23, 10, 0), "juki-ap01", "ping", Status::kCritical,
       minutes(30), kPhoneOnly},
      {"A high 17:44", Tokyo(2026, 12, 1, 17, 44), "juki-ap01", "ping", Status::kCritical,
       minutes(15), kPhoneAndMail},
      {"A high 17:46", Tokyo(2026, 12, 1, 17, 46), "juki-ap01", "ping", Status::kCritical,
       minutes(30), kPhoneOnly},
      {"B high business", kTuesday10, "zeimu-ap01", "ping", Status::kCritical, minutes(30),
       kPhoneAndMail},
      {"B high outside", kSaturday10, "zeimu-ap01", "ping", Status::kCritical, minutes(60),
       kPhoneOnly},
      {"B low business", kTuesday10, "zeimu-ap01", "cpu", Status::kWarning, minutes(60),
       kPhoneAndMail},
      {"B low outside", kSaturday10, "zeimu-ap01", "cpu", Status::kWarning, std::nullopt,
       kNoChannels},
      {"A low business", kTuesday10, "juki-ap01", "cpu", Status::kWarning, minutes(30),
       kPhoneAndMail},
      {"C high business", kTuesday10, "tosho-ap01", "ping", Status::kCritical, minutes(60),
       kPhoneAndMail},
      {"C high outside", kSaturday10, "tosho-ap01", "ping", Status::kCritical, std::nullopt,
       kNoChannels},
      {"C low business", kTuesday10, "tosho-ap01", "cpu", Status::kWarning, std::nullopt,
       kNoChannels},
      {"C-dev high business (C rows)", kTuesday10, "dev01", "cpu", Status::kCritical, minutes(60),
       kPhoneAndMail},
  };
  for (const FirstReportCase& c : cases) {
    SCOPED_TRACE(c.name);
    TearDown();
    SetUp();
    clock_.Set(c.detected);
    IncidentEngine& engine = Start();
    engine.Accept({Fail(c.node, c.detected, c.monitor, c.to)});
    TickUntil(c.detected + seconds(60));
    auto open = Open();
    ASSERT_EQ(open.size(), 1u);
    auto reports = ReportsOf(open[0].id);
    if (!c.due_after) {
      EXPECT_TRUE(reports.empty());
      continue;
    }
    ASSERT_EQ(reports.size(), static_cast<std::size_t>(c.channels.phone + c.channels.mail));
    for (const Report& r : reports) {
      EXPECT_EQ(r.kind, ReportKind::kFirst);
      EXPECT_EQ(r.report_number, 1);
      EXPECT_EQ(r.due_at, c.detected + *c.due_after);
    }
    EXPECT_EQ(ByChannel(reports, Channel::kPhone) != nullptr, c.channels.phone);
    EXPECT_EQ(ByChannel(reports, Channel::kMail) != nullptr, c.channels.mail);
  }
}

TEST_F(IncidentEngineTest, PhoneTargetWithoutNumberNamesThePerson) {
  IncidentEngine& engine = Start();
  engine.Accept({Fail("zeimu-ap01", kTuesday10, "cpu", Status::kWarning)});
  TickUntil(kTuesday10 + seconds(60));
  auto open = Open();
  ASSERT_EQ(open.size(), 1u);
  EXPECT_EQ(open[0].priority, Priority::kLow);
  EXPECT_EQ(open[0].service_level, "B");
  auto reports = ReportsOf(open[0].id);
  const Report* phone = ByChannel(reports, Channel::kPhone);
  const Report* mail = ByChannel(reports, Channel::kMail);
  ASSERT_TRUE(phone && mail);
  EXPECT_EQ(phone->recipients, (std::vector<std::string>{kPmPhone, "税務 二郎", kIctPhone}));
  EXPECT_EQ(mail->recipients, (std::vector<std::string>{kPmMail, kZeimuMail, kIctMail}));
}

// ---------------------------------------------------------------------------
// 2. Priority rules

TEST_F(IncidentEngineTest, ResourceWarningThenCriticalRaisesThePriorityOfOneIncident) {
  clock_.Set(kSaturday10);
  IncidentEngine& engine = Start();
  const IncidentId id = OpenOne(Fail("juki-ap01", kSaturday10, "cpu", Status::kWarning));
  ASSERT_NE(id, 0);
  EXPECT_EQ(TimelineOf(id).incident.priority, Priority::kLow);
  // A, low, outside business hours: no first report.
  EXPECT_TRUE(ReportsOf(id).empty());

  clock_.Set(kSaturday10 + minutes(5));
  engine.Accept(
      {Change("juki-ap01", "cpu", Status::kCritical, kSaturday10 + minutes(5), Status::kWarning)});
  EXPECT_EQ(engine.waiting(), 0u) << "a failure of a node with an open incident joins at once";
  ASSERT_EQ(Open().size(), 1u);
  EXPECT_EQ(engine.stats().incidents_updated, 1u);
  IncidentTimeline t = TimelineOf(id);
  EXPECT_EQ(t.incident.priority, Priority::kHigh);
  // The plan of A/high/outside (judged at the ORIGINAL detection): within
  // 30 min, by phone.
  auto first = ReportsOf(id, ReportKind::kFirst);
  ASSERT_EQ(first.size(), 1u);
  EXPECT_EQ(first[0].channel, Channel::kPhone);
  EXPECT_EQ(first[0].due_at, kSaturday10 + minutes(30));
  bool priority_event = false;
  for (const IncidentEvent& e : t.events) priority_event |= e.kind == EventKind::kPriorityChange;
  EXPECT_TRUE(priority_event);

  // Another critical failure: still one incident, still one first report.
  clock_.Advance(minutes(1));
  engine.Accept({Fail("juki-ap01", clock_.Now(), "disk:/var", Status::kCritical)});
  TickUntil(clock_.Now() + minutes(2));
  EXPECT_EQ(Open().size(), 1u);
  EXPECT_EQ(ReportsOf(id, ReportKind::kFirst).size(), 1u);
  EXPECT_EQ(TimelineOf(id).monitors.size(), 2u);
}

TEST_F(IncidentEngineTest, WarningAndCriticalInsideOneWindowOpenOneHighIncident) {
  IncidentEngine& engine = Start();
  engine.Accept({Fail("juki-ap01", kTuesday10, "cpu", Status::kWarning)});
  clock_.Advance(seconds(20));
  engine.Accept({Change("juki-ap01", "cpu", Status::kCritical, clock_.Now(), Status::kWarning)});
  TickUntil(kTuesday10 + seconds(60));
  auto open = Open();
  ASSERT_EQ(open.size(), 1u);
  EXPECT_EQ(open[0].priority, Priority::kHigh);
  EXPECT_EQ(TimelineOf(open[0].id).monitors.size(), 1u);
}

TEST_F(IncidentEngineTest, PerSystemPriorityOverrideGivesHighAtOnce) {
  IncidentEngine& engine = Start();
  engine.Accept({Fail("kokuho-ap01", kTuesday10, "memory", Status::kWarning)});
  TickUntil(kTuesday10 + seconds(60));
  auto open = Open();
  ASSERT_EQ(open.size(), 1u);
  EXPECT_EQ(open[0].priority, Priority::kHigh);
  auto first = ReportsOf(open[0].id, ReportKind::kFirst);
  ASSERT_EQ(first.size(), 2u);
  EXPECT_EQ(first[0].due_at, kTuesday10 + minutes(15));
}

// ---------------------------------------------------------------------------
// 3. Recovery

TEST_F(IncidentEngineTest, RecoveryOfEveryMonitorClosesWithAFinalReport) {
  IncidentEngine& engine = Start();
  engine.Accept({Fail("juki-ap01", kTuesday10), Fail("juki-ap01", kTuesday10, "port:80")});
  TickUntil(kTuesday10 + seconds(60));
  auto open = Open();
  ASSERT_EQ(open.size(), 1u);
  const IncidentId id = open[0].id;
  EXPECT_EQ(TimelineOf(id).monitors.size(), 2u);

  clock_.Set(kTuesday10 + minutes(20));
  engine.Accept({Recover("juki-ap01", clock_.Now())});
  EXPECT_EQ(Open().size(), 1u) << "a partial recovery does not close";
  EXPECT_TRUE(ReportsOf(id, ReportKind::kFinal).empty());
  EXPECT_EQ(engine.stats().incidents_closed, 0u);

  const TimePoint recovered = kTuesday10 + minutes(42);
  clock_.Set(recovered + seconds(3));
  engine.Accept({Recover("juki-ap01", recovered, "port:80")});
  EXPECT_TRUE(Open().empty());
  EXPECT_EQ(engine.stats().incidents_closed, 1u);
  IncidentTimeline t = TimelineOf(id);
  EXPECT_EQ(t.incident.status, IncidentStatus::kClosed);
  ASSERT_TRUE(t.incident.closed_at);
  EXPECT_EQ(*t.incident.closed_at, recovered);
  auto final_reports = ReportsOf(id, ReportKind::kFinal);
  ASSERT_EQ(final_reports.size(), 1u);
  const Report& fin = final_reports[0];
  EXPECT_EQ(fin.channel, Channel::kMail);
  EXPECT_EQ(fin.report_number, 2);
  EXPECT_EQ(fin.recipients, (std::vector<std::string>{kPmMail, kJukiMail, kIctMail}));
  EXPECT_TRUE(Contains(fin.body, "■復旧完了時間\n2026/12/01 10:42"));
  EXPECT_TRUE(Contains(fin.body, "最終報"));

  // Nothing more after closing, however long we tick.
  TickUntil(clock_.Now() + hours(3), seconds(60));
  EXPECT_EQ(TimelineOf(id).reports.size(), 3u);
}

TEST_F(IncidentEngineTest, RecoveryInsideTheWindowStillRecordsTheIncidentAndClosesIt) {
  IncidentEngine& engine = Start();
  engine.Accept({Fail("juki-ap01", kTuesday10)});
  clock_.Advance(seconds(30));
  engine.Accept({Recover("juki-ap01", clock_.Now())});
  TickUntil(kTuesday10 + seconds(60));
  auto all = All();
  ASSERT_EQ(all.size(), 1u);
  EXPECT_EQ(all[0].status, IncidentStatus::kClosed);
  EXPECT_EQ(ReportsOf(all[0].id, ReportKind::kFinal).size(), 1u);
}

// ---------------------------------------------------------------------------
// 4. Continuing reports

TEST_F(IncidentEngineTest, HighIncidentGetsHourlyContinuingReportsOnTheGrid) {
  IncidentEngine& engine = Start();
  engine.Accept({Fail("juki-ap01", kTuesday10)});
  // Minute by minute over three and a half hours.
  std::vector<std::pair<TimePoint, std::size_t>> seen;  // when queued, how many rows then
  std::size_t last_count = 0;
  IncidentId id = 0;
  for (int m = 1; m <= 210; ++m) {
    clock_.Set(kTuesday10 + minutes(m));
    engine.Tick();
    if (id == 0) {
      auto open = Open();
      if (!open.empty()) id = open[0].id;
    }
    if (id == 0) continue;
    const std::size_t count = ReportsOf(id, ReportKind::kContinuing).size();
    if (count != last_count) seen.emplace_back(clock_.Now(), count);
    last_count = count;
  }
  ASSERT_NE(id, 0);
  // First report due 10:15; continuing reports due 11:15, 12:15, 13:15,
  // each queued one minute early, phone and mail.
  auto continuing = ReportsOf(id, ReportKind::kContinuing);
  ASSERT_EQ(continuing.size(), 6u);
  const std::vector<TimePoint> due = {Tokyo(2026, 12, 1, 11, 15), Tokyo(2026, 12, 1, 12, 15),
                                      Tokyo(2026, 12, 1, 13, 15)};
  ASSERT_EQ(seen.size(), 3u);
  for (std::size_t i = 0; i < 3; ++i) {
    EXPECT_EQ(seen[i].first, due[i] - minutes(1));
    EXPECT_EQ(seen[i].second, 2 * (i + 1));
    int number = static_cast<int>(i) + 2;
    std::vector<Report> of_number;
    for (const Report& r : continuing) {
      if (r.report_number == number) of_number.push_back(r);
    }
    ASSERT_EQ(of_number.size(), 2u) << "report " << number;
    EXPECT_TRUE(ByChannel(of_number, Channel::kMail));
    EXPECT_TRUE(ByChannel(of_number, Channel::kPhone));
    for (const Report& r : of_number) {
      EXPECT_EQ(r.due_at, due[i]);
      EXPECT_EQ(r.created_at, due[i] - minutes(1));
    }
  }
  EXPECT_EQ(engine.stats().reports_queued, 3u);
  const Report* mail = ByChannel(continuing, Channel::kMail);
  ASSERT_TRUE(mail);
  EXPECT_TRUE(Contains(mail->body, "継続報"));
  EXPECT_TRUE(Contains(mail->body, "■復旧予定時間\n未定"));

  // A restart right after a report was queued does not queue it again.
  clock_.Set(Tokyo(2026, 12, 1, 13, 31));
  Restart();
  TickUntil(Tokyo(2026, 12, 1, 14, 13), seconds(60));
  EXPECT_EQ(ReportsOf(id, ReportKind::kContinuing).size(), 6u);
  TickUntil(Tokyo(2026, 12, 1, 14, 14), seconds(60));
  EXPECT_EQ(ReportsOf(id, ReportKind::kContinuing).size(), 8u);
}

TEST_F(IncidentEngineTest, HighIncidentOutsideBusinessHoursContinuesByPhone) {
  clock_.Set(kSaturday10);
  Start();
  const IncidentId id = OpenOne(Fail("juki-ap01", kSaturday10));
  TickUntil(kSaturday10 + minutes(150), seconds(60));
  // First due 10:30 (phone); continuing due 11:30 and 12:30, phone only.
  auto continuing = ReportsOf(id, ReportKind::kContinuing);
  ASSERT_EQ(continuing.size(), 2u);
  for (const Report& r : continuing) EXPECT_EQ(r.channel, Channel::kPhone);
  EXPECT_EQ(continuing[0].due_at, kSaturday10 + minutes(90));
  EXPECT_EQ(continuing[1].due_at, kSaturday10 + minutes(150));
}

TEST_F(IncidentEngineTest, LowBusinessHoursIncidentContinuesOnEachProgressNote) {
  IncidentEngine& engine = Start();
  const IncidentId id = OpenOne(Fail("zeimu-ap01", kTuesday10, "cpu", Status::kWarning));
  ASSERT_NE(id, 0);
  TickUntil(kTuesday10 + hours(3), seconds(60));
  EXPECT_TRUE(ReportsOf(id, ReportKind::kContinuing).empty()) << "no hourly reports when low";

  for (int i = 0; i < 2; ++i) {
    auto queued = AddProgressNote(*ledger_, ctx_, id, "suzuki", "調査中 " + std::to_string(i), {},
                                  clock_.Now());
    ASSERT_TRUE(queued) << queued.error().message;
    EXPECT_TRUE(*queued);
  }
  auto continuing = ReportsOf(id, ReportKind::kContinuing);
  ASSERT_EQ(continuing.size(), 2u);
  for (const Report& r : continuing) {
    EXPECT_EQ(r.channel, Channel::kMail);  // "on each progress | mail"
    EXPECT_EQ(r.due_at, clock_.Now() + minutes(5));
  }
  EXPECT_EQ(continuing[0].report_number, 2);
  EXPECT_EQ(continuing[1].report_number, 3);
  TickUntil(clock_.Now() + hours(2), seconds(60));
  EXPECT_EQ(ReportsOf(id, ReportKind::kContinuing).size(), 2u);
  (void)engine;
}

TEST_F(IncidentEngineTest, ProgressNoteOnAHighIncidentQueuesNothingExtra) {
  Start();
  const IncidentId id = OpenOne(Fail("juki-ap01", kTuesday10));
  const std::size_t before = ReportsOf(id).size();
  auto queued = AddProgressNote(*ledger_, ctx_, id, "suzuki", "再起動中", {}, clock_.Now());
  ASSERT_TRUE(queued) << queued.error().message;
  EXPECT_FALSE(*queued);
  EXPECT_EQ(ReportsOf(id).size(), before);
}

// ---------------------------------------------------------------------------
// 5. Grouping by host

TEST_F(IncidentEngineTest, ThreeVmsOfOneHostMakeOnePlatformIncident) {
  IncidentEngine& engine = Start();
  engine.Accept({Fail("juki-ap01", kTuesday10)});
  clock_.Advance(seconds(20));
  engine.Accept({Fail("juki-db01", clock_.Now())});
  clock_.Advance(seconds(20));
  engine.Accept({Fail("zeimu-ap01", clock_.Now())});
  EXPECT_EQ(engine.waiting(), 3u);
  TickUntil(kTuesday10 + seconds(60));
  auto open = Open();
  ASSERT_EQ(open.size(), 1u);
  EXPECT_EQ(engine.stats().platform_incidents_opened, 1u);
  const Incident& incident = open[0];
  EXPECT_EQ(incident.scope, IncidentScope::kPlatform);
  EXPECT_EQ(incident.service_level, "");
  EXPECT_EQ(incident.priority, Priority::kHigh);
  EXPECT_EQ(incident.detected_at, kTuesday10);
  IncidentTimeline t = TimelineOf(incident.id);
  EXPECT_EQ(AffectedVms(t), Sorted({"juki-ap01", "juki-db01", "zeimu-ap01"}));
  EXPECT_EQ(t.monitors.size(), 3u);
  // Platform, high, business hours: within 5 min, phone and mail, to the
  // owners of every affected system.
  auto first = ReportsOf(incident.id, ReportKind::kFirst);
  ASSERT_EQ(first.size(), 2u);
  const Report* mail = ByChannel(first, Channel::kMail);
  ASSERT_TRUE(mail);
  EXPECT_EQ(mail->due_at, kTuesday10 + minutes(5));
  EXPECT_EQ(mail->recipients, (std::vector<std::string>{kPmMail, kJukiMail, kZeimuMail, kIctMail}));
  EXPECT_TRUE(Contains(mail->body, "juki-db01"));
  EXPECT_TRUE(Contains(mail->body, "zeimu-ap01"));

  // A VM of the same host failing later joins it at once.
  clock_.Set(kTuesday10 + minutes(10));
  engine.Accept({Fail("juki-bat01", clock_.Now())});
  EXPECT_EQ(engine.waiting(), 0u);
  EXPECT_EQ(Open().size(), 1u);
  EXPECT_EQ(AffectedVms(TimelineOf(incident.id)),
            Sorted({"juki-ap01", "juki-db01", "zeimu-ap01", "juki-bat01"}));
  EXPECT_EQ(engine.stats().incidents_updated, 1u);
}

TEST_F(IncidentEngineTest, TwoVmsOfOneHostMakeTwoVmIncidents) {
  IncidentEngine& engine = Start();
  engine.Accept({Fail("juki-ap01", kTuesday10), Fail("zeimu-ap01", kTuesday10)});
  TickUntil(kTuesday10 + seconds(60));
  auto open = Open();
  ASSERT_EQ(open.size(), 2u);
  EXPECT_EQ(engine.stats().platform_incidents_opened, 0u);
  std::set<std::string> levels;
  for (const Incident& i : open) {
    EXPECT_EQ(i.scope, IncidentScope::kVm);
    levels.insert(i.service_level);
  }
  EXPECT_EQ(levels, (std::set<std::string>{"A", "B"}));
}

TEST_F(IncidentEngineTest, FailedHostListsEveryVmOnIt) {
  IncidentEngine& engine = Start();
  engine.Accept({Fail("esx01", kTuesday10), Fail("juki-ap01", kTuesday10 + seconds(5))});
  TickUntil(kTuesday10 + seconds(60));
  auto open = Open();
  ASSERT_EQ(open.size(), 1u);
  EXPECT_EQ(open[0].scope, IncidentScope::kPlatform);
  EXPECT_TRUE(Contains(open[0].title, "esx01"));
  IncidentTimeline t = TimelineOf(open[0].id);
  EXPECT_EQ(AffectedVms(t), Sorted({"juki-ap01", "juki-db01", "zeimu-ap01", "juki-bat01"}));
  // Kept: ByChannel points into it.
  const std::vector<Report> first = ReportsOf(open[0].id, ReportKind::kFirst);
  auto mail = ByChannel(first, Channel::kMail);
  ASSERT_TRUE(mail);
  EXPECT_EQ(mail->recipients, (std::vector<std::string>{kPmMail, kJukiMail, kZeimuMail, kIctMail}));
  // A VM of that host failing later joins (no second incident).
  clock_.Advance(minutes(3));
  engine.Accept({Fail("juki-db01", clock_.Now())});
  TickUntil(clock_.Now() + minutes(2));
  EXPECT_EQ(Open().size(), 1u);
  EXPECT_EQ(engine.stats().incidents_opened, 1u);
}

// BUG: a host failing AFTER a platform incident of its VMs was opened joins
// that incident, but JoinIncident adds only the failing node itself as
// affected; the other VMs on the host (juki-bat01 here) are never listed, so
// their owners get no reports (incident_engine.cc JoinIncident).
TEST_F(IncidentEngineTest, HostFailingAfterItsVmsIncidentAddsEveryVmOnIt) {
  IncidentEngine& engine = Start();
  engine.Accept({Fail("juki-ap01", kTuesday10), Fail("juki-db01", kTuesday10),
                 Fail("zeimu-ap01", kTuesday10)});
  TickUntil(kTuesday10 + seconds(60));
  ASSERT_EQ(Open().size(), 1u);
  const IncidentId id = Open()[0].id;
  clock_.Advance(minutes(2));
  engine.Accept({Fail("esx01", clock_.Now())});
  TickUntil(clock_.Now() + minutes(2));
  EXPECT_EQ(Open().size(), 1u);
  EXPECT_EQ(AffectedVms(TimelineOf(id)),
            Sorted({"juki-ap01", "juki-db01", "zeimu-ap01", "juki-bat01"}));
}

TEST_F(IncidentEngineTest, StorageFailureAbsorbsVmFailuresWaitingOnOtherHosts) {
  IncidentEngine& engine = Start();
  engine.Accept({Fail("storage01", kTuesday10)});
  clock_.Advance(seconds(10));
  engine.Accept({Fail("tosho-ap01", clock_.Now()), Fail("juki-ap01", clock_.Now())});
  TickUntil(kTuesday10 + seconds(70));
  auto open = Open();
  ASSERT_EQ(open.size(), 1u);
  EXPECT_EQ(open[0].scope, IncidentScope::kPlatform);
  EXPECT_EQ(AffectedVms(TimelineOf(open[0].id)), Sorted({"tosho-ap01", "juki-ap01"}));
  EXPECT_EQ(engine.waiting(), 0u);
}

// BUG: when a storage failure and VM failures arrive in the same moment, the
// groups fall due in the same Tick and are flushed in std::map key order:
// "esx01" < "storage01", so the VMs' group is flushed (as VM incidents)
// before the storage group gets to absorb it (incident_engine.cc Tick, the
// `due` loop).
TEST_F(IncidentEngineTest, StorageFailureAbsorbsVmFailuresOfTheSameMoment) {
  IncidentEngine& engine = Start();
  engine.Accept({Fail("juki-ap01", kTuesday10), Fail("tosho-ap01", kTuesday10),
                 Fail("storage01", kTuesday10)});
  TickUntil(kTuesday10 + seconds(60));
  auto open = Open();
  EXPECT_EQ(open.size(), 1u);
  EXPECT_EQ(engine.stats().platform_incidents_opened, 1u);
  for (const Incident& i : open) EXPECT_EQ(i.scope, IncidentScope::kPlatform);
}

TEST_F(IncidentEngineTest, StormOfAThousandVmsMakesOneIncidentPerHost) {
  inventory_->nodes.clear();
  inventory_->systems.clear();
  std::vector<StateChange> failures;
  for (int h = 0; h < 10; ++h) {
    const std::string host = "esx" + std::to_string(10 + h);
    const std::string system = "sys" + std::to_string(h);
    inventory_->systems.push_back(
        {system, ServiceLevel::kA, {Person("owner " + system, system + "@example.jp")}, {}});
    inventory_->nodes.push_back(MakeNode(host, NodeKind::kEsxiHost));
    for (int v = 0; v < 100; ++v) {
      const std::string vm = "vm" + std::to_string(h * 100 + v);
      inventory_->nodes.push_back(MakeNode(vm, NodeKind::kVm, system, host));
      failures.push_back(Fail(vm, kTuesday10 + seconds((h * 100 + v) % 50)));
    }
  }
  IncidentEngine& engine = Start();
  for (std::size_t i = 0; i < failures.size(); i += 100) {
    engine.Accept(
        std::vector<StateChange>(failures.begin() + static_cast<std::ptrdiff_t>(i),
                                 failures.begin() + static_cast<std::ptrdiff_t>(i) + 100));
  }
  EXPECT_EQ(engine.waiting(), 1000u);
  TickUntil(kTuesday10 + seconds(60));
  auto open = Open();
  EXPECT_EQ(open.size(), 10u);
  EXPECT_EQ(engine.stats().platform_incidents_opened, 10u);
  std::size_t mails = 0, phones = 0;
  for (const Report& r : Pending()) {
    EXPECT_EQ(r.kind, ReportKind::kFirst);
    (r.channel == Channel::kMail ? mails : phones)++;
  }
  EXPECT_EQ(mails, 10u);
  EXPECT_EQ(phones, 10u);
  for (const Incident& i : open) EXPECT_EQ(TimelineOf(i.id).affected_vms.size(), 100u);
}

// ---------------------------------------------------------------------------
// 6. Suppression

NewSuppression NodeSuppression(const std::string& node, TimePoint from, TimePoint to,
                               TimePoint created) {
  NewSuppression s;
  s.target_kind = SuppressionTarget::kNode;
  s.target = node;
  s.starts_at = from;
  s.ends_at = to;
  s.reason = "定期点検";
  s.requested_by = "owner";
  s.created_at = created;
  return s;
}

TEST_F(IncidentEngineTest, SuppressedNodeOpensNothingOthersDo) {
  IncidentEngine& engine = Start();
  auto added = AddSuppressionWindow(*ledger_, *inventory_,
                                    NodeSuppression("juki-ap01", kTuesday10 - hours(1),
                                                    kTuesday10 + hours(2), kTuesday10 - hours(2)));
  ASSERT_TRUE(added) << added.error().message;
  engine.Tick();
  engine.Accept({Fail("juki-ap01", kTuesday10), Fail("tosho-ap01", kTuesday10)});
  EXPECT_EQ(engine.stats().suppressed_changes, 1u);
  TickUntil(kTuesday10 + minutes(5));
  auto open = Open();
  ASSERT_EQ(open.size(), 1u);
  EXPECT_EQ(TimelineOf(open[0].id).monitors[0].node, "tosho-ap01");
}

TEST_F(IncidentEngineTest, SystemSuppressionCoversItsNodes) {
  IncidentEngine& engine = Start();
  NewSuppression s =
      NodeSuppression("zeimu", kTuesday10 - hours(1), kTuesday10 + hours(2), kTuesday10 - hours(2));
  s.target_kind = SuppressionTarget::kSystem;
  ASSERT_TRUE(AddSuppressionWindow(*ledger_, *inventory_, s));
  engine.Tick();
  engine.Accept({Fail("zeimu-ap01", kTuesday10), Fail("zeimu-db01", kTuesday10)});
  EXPECT_EQ(engine.stats().suppressed_changes, 2u);
  TickUntil(kTuesday10 + minutes(2));
  EXPECT_TRUE(Open().empty());
}

// BUG: the engine reads the active suppressions only in Tick, and the
// service's loop calls Accept before Tick; a failure accepted before the
// first Tick after a (re)start is not suppressed (incident_engine.cc: the
// constructor never fills active_suppressions_; Suppressed() reads only that
// cache).
TEST_F(IncidentEngineTest, SuppressionHoldsForAFailureAcceptedBeforeTheFirstTick) {
  ASSERT_TRUE(AddSuppressionWindow(*ledger_, *inventory_,
                                   NodeSuppression("juki-ap01", kTuesday10 - hours(1),
                                                   kTuesday10 + hours(2), kTuesday10 - hours(2))));
  IncidentEngine& engine = Start();
  engine.Accept({Fail("juki-ap01", kTuesday10)});
  EXPECT_EQ(engine.stats().suppressed_changes, 1u);
  TickUntil(kTuesday10 + minutes(2));
  EXPECT_TRUE(Open().empty());
}

TEST_F(IncidentEngineTest, SuppressionStartAndResumptionMailsGoOutOnceEach) {
  clock_.Set(Tokyo(2026, 12, 1, 9, 30));
  Start();
  auto id = AddSuppressionWindow(*ledger_, *inventory_,
                                 NodeSuppression("juki-ap01", Tokyo(2026, 12, 1, 10, 0),
                                                 Tokyo(2026, 12, 1, 12, 0), clock_.Now()));
  ASSERT_TRUE(id) << id.error().message;
  // The start notice is queued suppression_notice_lead (5 min) ahead and is
  // due at the start itself: the owners hear of it before monitoring stops.
  TickUntil(Tokyo(2026, 12, 1, 9, 54, 59), seconds(30));
  EXPECT_TRUE(SuppressionMails().empty()) << "nothing before the lead";

  TickUntil(Tokyo(2026, 12, 1, 9, 55));
  auto mails = SuppressionMails();
  ASSERT_EQ(mails.size(), 1u);
  const Report& start = mails[0];
  EXPECT_EQ(start.created_at, Tokyo(2026, 12, 1, 9, 55));
  EXPECT_EQ(start.due_at, Tokyo(2026, 12, 1, 10, 0));
  TickUntil(Tokyo(2026, 12, 1, 10, 0));
  EXPECT_EQ(SuppressionMails().size(), 1u);
  EXPECT_EQ(start.kind, ReportKind::kSuppressionStart);
  EXPECT_EQ(start.suppression_id, *id);
  EXPECT_EQ(start.channel, Channel::kMail);
  EXPECT_EQ(start.subject, "【第三期サーバ仮想基盤】監視一時抑止開始連絡");
  EXPECT_TRUE(Contains(start.body, "261201 10:00 より、監視一時抑止を開始します。"));
  EXPECT_TRUE(Contains(start.body, "261201 10:00～261201 12:00"));
  EXPECT_TRUE(Contains(start.body, "juki"));
  // To: the system owners (not the platform managers as such).
  EXPECT_EQ(Sorted(start.recipients), Sorted({kJukiMail, kPmMail}));

  // Many ticks, and a restart on the same ledger: still one.
  TickUntil(Tokyo(2026, 12, 1, 11, 0), seconds(10));
  Restart();
  TickUntil(Tokyo(2026, 12, 1, 11, 59, 59), seconds(10));
  EXPECT_EQ(SuppressionMails().size(), 1u);

  TickUntil(Tokyo(2026, 12, 1, 12, 0));
  mails = SuppressionMails();
  ASSERT_EQ(mails.size(), 2u);
  const Report& resumed = mails[1].kind == ReportKind::kMonitoringResumed ? mails[1] : mails[0];
  EXPECT_EQ(resumed.kind, ReportKind::kMonitoringResumed);
  EXPECT_EQ(resumed.subject, "【第三期サーバ仮想基盤】監視再開連絡");
  EXPECT_TRUE(Contains(resumed.body, "261201 12:00 より、監視を再開します。"));
  EXPECT_TRUE(Contains(resumed.body, "261201 10:00～261201 12:00"));
  EXPECT_EQ(resumed.due_at, Tokyo(2026, 12, 1, 12, 0) + kPromptReportDeadline);

  TickUntil(Tokyo(2026, 12, 1, 13, 0), seconds(10));
  Restart();
  TickUntil(Tokyo(2026, 12, 1, 14, 0), seconds(10));
  EXPECT_EQ(SuppressionMails().size(), 2u);
  EXPECT_TRUE(All().empty());
}

TEST_F(IncidentEngineTest, SuppressionMailsUseTheirOwnPlatformNameAndLead) {
  inventory_->alerting.suppression_platform_name = "第三期サーバ仮想化統合基盤";
  inventory_->alerting.suppression_notice_lead = minutes(30);
  clock_.Set(Tokyo(2026, 12, 1, 9, 0));
  Start();
  ASSERT_TRUE(AddSuppressionWindow(*ledger_, *inventory_,
                                   NodeSuppression("juki-ap01", Tokyo(2026, 12, 1, 10, 0),
                                                   Tokyo(2026, 12, 1, 11, 0), clock_.Now())));
  TickUntil(Tokyo(2026, 12, 1, 9, 29, 59), seconds(30));
  EXPECT_TRUE(SuppressionMails().empty());
  TickUntil(Tokyo(2026, 12, 1, 9, 30));
  auto mails = SuppressionMails();
  ASSERT_EQ(mails.size(), 1u);
  EXPECT_EQ(mails[0].subject, "【第三期サーバ仮想化統合基盤】監視一時抑止開始連絡");
  EXPECT_EQ(mails[0].due_at, Tokyo(2026, 12, 1, 10, 0));
  TickUntil(Tokyo(2026, 12, 1, 11, 0), seconds(30));
  mails = SuppressionMails();
  ASSERT_EQ(mails.size(), 2u);
  EXPECT_EQ(mails[1].subject, "【第三期サーバ仮想化統合基盤】監視再開連絡");
}

// A window learnt of only after its start (added late): the start notice
// goes at once with the usual grace, so its lateness is measured fairly.
TEST_F(IncidentEngineTest, SuppressionStartNoticeForAWindowAlreadyStartedIsDueAfterGrace) {
  clock_.Set(Tokyo(2026, 12, 1, 10, 20));
  Start();
  ASSERT_TRUE(AddSuppressionWindow(*ledger_, *inventory_,
                                   NodeSuppression("juki-ap01", Tokyo(2026, 12, 1, 10, 0),
                                                   Tokyo(2026, 12, 1, 11, 0), clock_.Now())));
  TickUntil(Tokyo(2026, 12, 1, 10, 21), seconds(30));
  auto mails = SuppressionMails();
  ASSERT_EQ(mails.size(), 1u);
  EXPECT_EQ(mails[0].due_at, Tokyo(2026, 12, 1, 10, 0) + kPromptReportDeadline);
}

// Cancelled after the notice went out ahead, before the start: the owners
// get the resumption notice too, not a start notice left hanging.
TEST_F(IncidentEngineTest, WindowCancelledAfterItsNoticeBeforeItsStartSendsTheResumption) {
  clock_.Set(Tokyo(2026, 12, 1, 9, 50));
  Start();
  auto id = AddSuppressionWindow(*ledger_, *inventory_,
                                 NodeSuppression("juki-ap01", Tokyo(2026, 12, 1, 10, 0),
                                                 Tokyo(2026, 12, 1, 11, 0), clock_.Now()));
  ASSERT_TRUE(id);
  TickUntil(Tokyo(2026, 12, 1, 9, 56), seconds(30));
  ASSERT_EQ(SuppressionMails().size(), 1u);
  ASSERT_FALSE(CancelSuppressionWindow(*ledger_, *id, Tokyo(2026, 12, 1, 9, 57)));
  TickUntil(Tokyo(2026, 12, 1, 9, 58), seconds(30));
  auto mails = SuppressionMails();
  ASSERT_EQ(mails.size(), 2u);
  EXPECT_EQ(mails[1].kind, ReportKind::kMonitoringResumed);
}

TEST_F(IncidentEngineTest, FailureStillPresentWhenTheWindowEndsOpensAnIncident) {
  clock_.Set(Tokyo(2026, 12, 1, 9, 59));
  IncidentEngine& engine = Start();
  ASSERT_TRUE(AddSuppressionWindow(*ledger_, *inventory_,
                                   NodeSuppression("juki-ap01", Tokyo(2026, 12, 1, 10, 0),
                                                   Tokyo(2026, 12, 1, 12, 0), clock_.Now())));
  TickUntil(Tokyo(2026, 12, 1, 10, 30), seconds(30));
  engine.Accept({Fail("juki-ap01", clock_.Now())});
  EXPECT_EQ(engine.stats().suppressed_changes, 1u);
  TickUntil(Tokyo(2026, 12, 1, 12, 0), seconds(30));
  EXPECT_TRUE(Open().empty());
  TickUntil(Tokyo(2026, 12, 1, 12, 1), seconds(30));
  auto open = Open();
  ASSERT_EQ(open.size(), 1u);
  EXPECT_EQ(open[0].detected_at, Tokyo(2026, 12, 1, 12, 0));
  auto first = ReportsOf(open[0].id, ReportKind::kFirst);
  ASSERT_EQ(first.size(), 2u);
  EXPECT_EQ(first[0].due_at, Tokyo(2026, 12, 1, 12, 15));
}

TEST_F(IncidentEngineTest, FailureRecoveredInsideTheWindowOpensNothing) {
  clock_.Set(Tokyo(2026, 12, 1, 9, 59));
  IncidentEngine& engine = Start();
  ASSERT_TRUE(AddSuppressionWindow(*ledger_, *inventory_,
                                   NodeSuppression("juki-ap01", Tokyo(2026, 12, 1, 10, 0),
                                                   Tokyo(2026, 12, 1, 12, 0), clock_.Now())));
  TickUntil(Tokyo(2026, 12, 1, 10, 30), seconds(30));
  engine.Accept({Fail("juki-ap01", clock_.Now())});
  TickUntil(Tokyo(2026, 12, 1, 11, 0), seconds(30));
  engine.Accept({Recover("juki-ap01", clock_.Now())});
  TickUntil(Tokyo(2026, 12, 1, 12, 30), seconds(30));
  EXPECT_TRUE(All().empty());
}

TEST_F(IncidentEngineTest, IncidentOpenWhenTheWindowStartsKeepsItsReports) {
  clock_.Set(Tokyo(2026, 12, 1, 9, 30));
  IncidentEngine& engine = Start();
  const IncidentId id = OpenOne(Fail("juki-ap01", Tokyo(2026, 12, 1, 9, 30)));
  ASSERT_TRUE(AddSuppressionWindow(*ledger_, *inventory_,
                                   NodeSuppression("juki-ap01", Tokyo(2026, 12, 1, 10, 0),
                                                   Tokyo(2026, 12, 1, 13, 0), clock_.Now())));
  // Another monitor failing inside the window joins the open incident.
  TickUntil(Tokyo(2026, 12, 1, 10, 30), seconds(60));
  engine.Accept({Fail("juki-ap01", clock_.Now(), "port:80")});
  TickUntil(Tokyo(2026, 12, 1, 12, 50), seconds(60));
  // First due 09:45; continuing due 10:45, 11:45, 12:45 (phone and mail).
  EXPECT_EQ(ReportsOf(id, ReportKind::kContinuing).size(), 6u);
  EXPECT_EQ(TimelineOf(id).monitors.size(), 2u);
  EXPECT_EQ(Open().size(), 1u);
}

// Acceptance testing: the failure is recorded by the tracker, the engine
// opens nothing; after go-live a failure still present is offered again by
// the reconcile and opens its incident, detected after go-live.
TEST_F(IncidentEngineTest, AcceptanceTestingOpensNothingUntilGoLive) {
  const TimePoint go_live = Tokyo(2026, 12, 2, 0, 0);
  for (Node& n : inventory_->nodes) {
    if (n.name == "juki-ap01") {
      n.acceptance_testing = true;
      n.monitoring_starts = go_live;
    }
  }
  clock_.Set(Tokyo(2026, 12, 1, 23, 0));
  IncidentEngine& engine = Start();
  engine.Accept({Fail("juki-ap01", clock_.Now())});
  engine.Accept({Fail("juki-db01", clock_.Now())});  // a monitored node still opens
  TickUntil(Tokyo(2026, 12, 1, 23, 30), seconds(10));
  const auto opened = Open();
  ASSERT_EQ(opened.size(), 1u);
  EXPECT_EQ(TimelineOf(opened[0].id).monitors.size(), 1u);
  EXPECT_EQ(TimelineOf(opened[0].id).monitors[0].node, "juki-db01");

  clock_.Set(go_live + minutes(1));
  engine.Reconcile({StateOf("juki-ap01", "ping", Status::kCritical, clock_.Now())},
                   Tokyo(2026, 12, 1, 23, 0));
  TickUntil(go_live + minutes(3), seconds(10));
  bool found = false;
  for (const Incident& i : Open()) {
    for (const auto& m : TimelineOf(i.id).monitors) {
      if (m.node != "juki-ap01") continue;
      found = true;
      EXPECT_GE(i.detected_at, go_live);
    }
  }
  EXPECT_TRUE(found) << "the failure still there at go-live opens its incident";
}

TEST_F(IncidentEngineTest, ConfiguredSuppressionIsAddedOnce) {
  ConfiguredSuppression cs;
  cs.node = "juki-ap01";
  cs.start = "2026-12-01 13:00";
  cs.end = "2026-12-01 14:00";
  cs.reason = "法定点検";
  inventory_->alerting.suppressions.push_back(cs);
  ConfiguredSuppression by_system;
  by_system.system = "zeimu";
  by_system.start = "2026-12-02 09:00";
  by_system.end = "2026-12-02 10:00";
  inventory_->alerting.suppressions.push_back(by_system);
  IncidentEngine& engine = Start();
  auto list = ledger_->ListSuppressions(kTuesday10);
  ASSERT_TRUE(list);
  ASSERT_EQ(list->size(), 2u);
  EXPECT_EQ((*list)[0].target, "juki-ap01");
  EXPECT_EQ((*list)[0].target_kind, SuppressionTarget::kNode);
  EXPECT_EQ((*list)[0].starts_at, Tokyo(2026, 12, 1, 13, 0));
  EXPECT_EQ((*list)[0].requested_by, "config");
  EXPECT_EQ((*list)[1].target_kind, SuppressionTarget::kSystem);

  engine.SetContext(MakeContext(inventory_));
  engine.SetContext(MakeContext(inventory_));
  Restart();
  clock_.Set(Tokyo(2026, 12, 1, 13, 30));
  Restart();
  list = ledger_->ListSuppressions(kTuesday10);
  ASSERT_TRUE(list);
  EXPECT_EQ(list->size(), 2u);

  // And it works: the node's failure at 13:30 is suppressed.
  engine_->Tick();
  engine_->Accept({Fail("juki-ap01", clock_.Now())});
  EXPECT_EQ(engine_->stats().suppressed_changes, 1u);
}

// ---------------------------------------------------------------------------
// 7. Restart

TEST_F(IncidentEngineTest, RestartReindexesOpenIncidents) {
  Start();
  const IncidentId id = OpenOne(Fail("juki-ap01", kTuesday10));
  clock_.Advance(minutes(5));
  IncidentEngine& engine = Restart();
  // Its ping is not checked since the restart: the new failure waits in its
  // group instead of joining an incident that may be stale ...
  engine.Accept({Fail("juki-ap01", clock_.Now(), "port:80")});
  EXPECT_EQ(engine.waiting(), 1u);
  EXPECT_EQ(engine.stats().incidents_updated, 0u);
  // ... and joins at the window's end, the incident being still open.
  TickUntil(clock_.Now() + minutes(2));
  EXPECT_EQ(engine.stats().incidents_updated, 1u);
  ASSERT_EQ(Open().size(), 1u);
  EXPECT_EQ(TimelineOf(id).monitors.size(), 2u);
}

TEST_F(IncidentEngineTest, RestartDoesNotJoinANewFailureToAnIncidentSeenOkSince) {
  Start();
  const IncidentId old_id = OpenOne(Fail("juki-ap01", kTuesday10));
  clock_.Advance(minutes(5));
  IncidentEngine& engine = Restart();
  const TimePoint port_failed = clock_.Now() + seconds(5);
  clock_.Set(port_failed);
  engine.Accept({Fail("juki-ap01", port_failed, "port:80")});
  // The first ping check after the restart is OK: the old incident closes
  // with that check's time, and the port failure is a story of its own.
  const TimePoint ping_ok = port_failed + seconds(10);
  clock_.Set(ping_ok);
  engine.Accept({Recover("juki-ap01", ping_ok)});
  EXPECT_EQ(TimelineOf(old_id).incident.closed_at, std::optional<TimePoint>(ping_ok));
  TickUntil(clock_.Now() + minutes(2));
  auto open = Open();
  ASSERT_EQ(open.size(), 1u);
  EXPECT_NE(open[0].id, old_id);
  EXPECT_EQ(open[0].detected_at, port_failed);
  EXPECT_EQ(TimelineOf(old_id).monitors.size(), 1u);
  EXPECT_EQ(ReportsOf(open[0].id, ReportKind::kFirst).size(), 2u) << "its own first report";
}

TEST_F(IncidentEngineTest, RestartReindexesPlatformIncidentsByHost) {
  IncidentEngine& first = Start();
  first.Accept({Fail("juki-ap01", kTuesday10), Fail("juki-db01", kTuesday10),
                Fail("zeimu-ap01", kTuesday10)});
  TickUntil(kTuesday10 + seconds(60));
  ASSERT_EQ(Open().size(), 1u);
  IncidentEngine& engine = Restart();
  clock_.Advance(minutes(5));
  engine.Accept({Fail("juki-bat01", clock_.Now())});
  EXPECT_EQ(engine.waiting(), 1u) << "the incident's monitors are not checked since the restart";
  TickUntil(clock_.Now() + minutes(2));
  EXPECT_EQ(Open().size(), 1u);
  EXPECT_EQ(engine.stats().incidents_updated, 1u);
}

// Issue 13: a confirmed failure is durable before it waits in its window.
TEST_F(IncidentEngineTest, FailureKilledInsideTheWindowOpensItsIncidentAfterRestart) {
  IncidentEngine& engine = Start();
  engine.Accept({Fail("juki-ap01", kTuesday10)});
  ASSERT_EQ(engine.waiting(), 1u);
  auto pending = ledger_->PendingChanges();
  ASSERT_TRUE(pending) << pending.error().message;
  ASSERT_EQ(pending->size(), 1u) << "written before it waits";
  TickUntil(kTuesday10 + seconds(20));
  EXPECT_TRUE(All().empty());

  // Killed at +20 s, back at +30 s: the group waits again with the window
  // it had, so it opens at +60 s, not +90 s.
  clock_.Set(kTuesday10 + seconds(30));
  IncidentEngine& again = Restart();
  EXPECT_EQ(again.waiting(), 1u);
  EXPECT_EQ(again.NextGroupDeadline(), std::optional<TimePoint>(kTuesday10 + seconds(60)));
  TickUntil(kTuesday10 + seconds(60));
  auto open = Open();
  ASSERT_EQ(open.size(), 1u);
  EXPECT_EQ(open[0].detected_at, kTuesday10);
  EXPECT_EQ(ReportsOf(open[0].id, ReportKind::kFirst).size(), 2u);
  EXPECT_TRUE(ledger_->PendingChanges()->empty()) << "consumed with the incident it opened";
  Restart();
  TickUntil(kTuesday10 + minutes(5));
  EXPECT_EQ(All().size(), 1u) << "nothing replayed twice";
}

TEST_F(IncidentEngineTest, RecordDelayIsFromDetectionToTheCommit) {
  IncidentEngine& engine = Start();
  clock_.Set(kTuesday10 + seconds(2));
  engine.Accept({Fail("juki-ap01", kTuesday10),
                 Change("juki-ap01", "ping", Status::kUnknown, kTuesday10, Status::kCritical)});
  // The UNKNOWN is not recorded (it opens nothing), so one delay.
  EXPECT_EQ(engine.TakeRecordDelays(), (std::vector<double>{2.0}));
  EXPECT_TRUE(engine.TakeRecordDelays().empty());
}

TEST_F(IncidentEngineTest, FailureAndRecoveryKilledInsideTheWindowAreBothKept) {
  IncidentEngine& engine = Start();
  engine.Accept({Fail("juki-ap01", kTuesday10)});
  clock_.Set(kTuesday10 + seconds(20));
  engine.Accept({Recover("juki-ap01", clock_.Now())});
  // The failure ended before the restarted collector could see it: only
  // the ledger knows it happened.
  clock_.Set(kTuesday10 + seconds(25));
  Restart();
  TickUntil(kTuesday10 + seconds(70));
  auto all = All();
  ASSERT_EQ(all.size(), 1u);
  EXPECT_EQ(all[0].status, IncidentStatus::kClosed);
  EXPECT_EQ(all[0].detected_at, kTuesday10);
  EXPECT_EQ(all[0].closed_at, std::optional<TimePoint>(kTuesday10 + seconds(20)));
  EXPECT_EQ(ReportsOf(all[0].id, ReportKind::kFinal).size(), 1u);
  EXPECT_TRUE(ledger_->PendingChanges()->empty());
}

TEST_F(IncidentEngineTest, RecoveryKilledBeforeItsIncidentClosedIsReplayed) {
  Start();
  const IncidentId id = OpenOne(Fail("juki-ap01", kTuesday10));
  const TimePoint ok = kTuesday10 + minutes(7);
  // Recorded, then killed before the engine processed it.
  ASSERT_TRUE(ledger_->RecordPendingChanges({Recover("juki-ap01", ok)}, ok));
  clock_.Set(ok + seconds(40));
  Restart();
  EXPECT_EQ(TimelineOf(id).incident.closed_at, std::optional<TimePoint>(ok));
  EXPECT_TRUE(ledger_->PendingChanges()->empty());
}

TEST_F(IncidentEngineTest, SuppressedFailureLeavesNothingPending) {
  NewSuppression s;
  s.target = "juki-ap01";
  s.starts_at = kTuesday10 - hours(1);
  s.ends_at = kTuesday10 + hours(1);
  s.requested_by = "suzuki";
  s.created_at = kTuesday10 - hours(2);
  ASSERT_TRUE(ledger_->AddSuppression(s));
  IncidentEngine& engine = Start();
  engine.Accept({Fail("juki-ap01", kTuesday10)});
  EXPECT_EQ(engine.stats().suppressed_changes, 1u);
  EXPECT_TRUE(ledger_->PendingChanges()->empty());
}

TEST_F(IncidentEngineTest, InheritedStatesAreTheFailingMonitorsOfOpenIncidentsAndPending) {
  IncidentEngine& engine = Start();
  engine.Accept({Fail("juki-ap01", kTuesday10), Fail("juki-ap01", kTuesday10, "port:80"),
                 Fail("juki-ap01", kTuesday10, "cpu", Status::kWarning)});
  TickUntil(kTuesday10 + seconds(60));
  ASSERT_EQ(Open().size(), 1u);
  // port:80 recovers; juki-db01 fails and waits; zeimu-ap01 failed and
  // recovered inside its window.
  clock_.Set(kTuesday10 + minutes(2));
  engine.Accept({Recover("juki-ap01", clock_.Now(), "port:80"), Fail("juki-db01", clock_.Now()),
                 Fail("zeimu-ap01", clock_.Now()), Recover("zeimu-ap01", clock_.Now())});
  auto inherited = InheritedStates(*ledger_);
  ASSERT_TRUE(inherited) << inherited.error().message;
  std::vector<std::string> seen;
  for (const InheritedState& s : *inherited) {
    seen.push_back(s.node + " " + s.monitor + " " + s.kind + " " +
                   std::string(StatusName(s.status)));
  }
  EXPECT_EQ(Sorted(seen), (std::vector<std::string>{"juki-ap01 cpu resource WARNING",
                                                    "juki-ap01 ping ping CRITICAL",
                                                    "juki-db01 ping ping CRITICAL"}));
}

TEST(MonitorKindOf, NamesTheSchedulersKind) {
  EXPECT_EQ(MonitorKindOf("ping"), "ping");
  EXPECT_EQ(MonitorKindOf("process:httpd"), "process");
  EXPECT_EQ(MonitorKindOf("port:80"), "port");
  EXPECT_EQ(MonitorKindOf("web:top"), "web");
  EXPECT_EQ(MonitorKindOf("service:W3SVC"), "service");
  EXPECT_EQ(MonitorKindOf("cpu"), "resource");
  EXPECT_EQ(MonitorKindOf("memory"), "resource");
  EXPECT_EQ(MonitorKindOf("disk:/var"), "resource");
}

TEST_F(IncidentEngineTest, FinalReportSymptomIsTheFailureNotTheRecovery) {
  Start();
  const IncidentId id = OpenOne(Fail("juki-ap01", kTuesday10));
  clock_.Set(kTuesday10 + minutes(9));
  engine_->Accept({Recover("juki-ap01", clock_.Now())});
  auto finals = ReportsOf(id, ReportKind::kFinal);
  ASSERT_FALSE(finals.empty());
  const std::string& body = finals.front().body;
  const auto symptom = body.find("■現象");
  ASSERT_NE(symptom, std::string::npos) << body;
  const std::string section = body.substr(symptom, body.find("■", symptom + 3) - symptom);
  EXPECT_NE(section.find("OK → CRITICAL: no reply"), std::string::npos) << section;
  EXPECT_EQ(section.find("CRITICAL → OK"), std::string::npos) << section;
}

TEST_F(IncidentEngineTest, ReconcileClosesAnIncidentWhoseMonitorsAreAllOk) {
  Start();
  const IncidentId id = OpenOne(Fail("juki-ap01", kTuesday10));
  clock_.Set(kTuesday10 + minutes(30));
  IncidentEngine& engine = Restart();
  const TimePoint since = clock_.Now();
  // Checked OK before the restart: not enough.
  engine.Reconcile({StateOf("juki-ap01", "ping", Status::kOk, since - seconds(1))}, since);
  EXPECT_EQ(Open().size(), 1u);
  clock_.Advance(minutes(1));
  engine.Reconcile({StateOf("juki-ap01", "ping", Status::kOk, clock_.Now())}, since);
  EXPECT_TRUE(Open().empty());
  EXPECT_EQ(engine.stats().incidents_closed, 1u);
  EXPECT_EQ(ReportsOf(id, ReportKind::kFinal).size(), 1u);
}

TEST_F(IncidentEngineTest, StaleSnapshotDoesNotUndoARecordedChange) {
  Start();
  const IncidentId id = OpenOne(Fail("juki-ap01", kTuesday10));
  clock_.Set(kTuesday10 + minutes(10));
  IncidentEngine& engine = Restart();
  const TimePoint since = clock_.Now();
  // The ping checked still failing at +11 min, a new failure recorded at
  // +12 min; a snapshot of +11 min says OK.
  clock_.Set(kTuesday10 + minutes(11));
  engine.Accept({Change("juki-ap01", "ping", Status::kCritical, clock_.Now(), Status::kWarning)});
  clock_.Set(kTuesday10 + minutes(12));
  engine.Accept({Fail("juki-ap01", clock_.Now(), "port:80")});
  ASSERT_EQ(engine.waiting(), 0u);
  engine.Reconcile({StateOf("juki-ap01", "ping", Status::kOk, kTuesday10 + minutes(11)),
                    StateOf("juki-ap01", "port:80", Status::kOk, kTuesday10 + minutes(11))},
                   since);
  EXPECT_EQ(Open().size(), 1u);

  // The recovery recorded at +20 min closes it; a snapshot of +15 min that
  // still says CRITICAL opens nothing new.
  clock_.Set(kTuesday10 + minutes(20));
  engine.Accept(
      {Recover("juki-ap01", clock_.Now()), Recover("juki-ap01", clock_.Now(), "port:80")});
  ASSERT_TRUE(Open().empty());
  engine.Reconcile({StateOf("juki-ap01", "ping", Status::kCritical, kTuesday10 + minutes(15)),
                    StateOf("juki-ap01", "port:80", Status::kCritical, kTuesday10 + minutes(15))},
                   since);
  TickUntil(clock_.Now() + minutes(3));
  EXPECT_TRUE(Open().empty());
  EXPECT_EQ(All().size(), 1u);
  EXPECT_EQ(ReportsOf(id, ReportKind::kFinal).size(), 1u);
}

TEST_F(IncidentEngineTest, ReconcileTakesAnUnseenFailureAsNew) {
  IncidentEngine& engine = Start();
  clock_.Advance(minutes(1));
  engine.Reconcile({StateOf("juki-ap01", "ping", Status::kCritical, clock_.Now())}, kTuesday10);
  EXPECT_EQ(engine.waiting(), 1u);
  TickUntil(clock_.Now() + seconds(60));
  EXPECT_EQ(Open().size(), 1u);
  // Offered again (every 30 s): nothing more.
  engine.Reconcile({StateOf("juki-ap01", "ping", Status::kCritical, clock_.Now())}, kTuesday10);
  TickUntil(clock_.Now() + minutes(2));
  EXPECT_EQ(All().size(), 1u);
}

// BUG: after a restart failing_ is empty, so the first recovery of ANY
// monitor of a re-indexed incident closes it, although its other monitors
// were never seen OK (port:80 here; a port check needs 10 minutes to
// re-confirm, a ping 2). The final report says 復旧 while port:80 is still
// down, and the port's re-confirmation then opens a second incident
// (incident_engine.cc OnRecovery: `failing_.contains` is the only test).
TEST_F(IncidentEngineTest, RecoveryAfterRestartDoesNotCloseOnMonitorsNeverSeenOk) {
  Start();
  engine_->Accept({Fail("juki-ap01", kTuesday10), Fail("juki-ap01", kTuesday10, "port:80")});
  TickUntil(kTuesday10 + seconds(60));
  ASSERT_EQ(Open().size(), 1u);
  clock_.Set(kTuesday10 + minutes(10));
  IncidentEngine& engine = Restart();
  clock_.Set(kTuesday10 + minutes(12));
  engine.Accept({Fail("juki-ap01", clock_.Now())});
  clock_.Set(kTuesday10 + minutes(14));
  engine.Accept({Recover("juki-ap01", clock_.Now())});
  EXPECT_EQ(Open().size(), 1u) << "port:80 was never seen OK since the restart";
}

// BUG (race with the CLI): an incident closed by an operator stays in the
// engine's index until the next Tick; a failure accepted meanwhile is
// attached to the CLOSED incident and never reported (incident_engine.cc
// JoinIncident does not check the incident's status).
TEST_F(IncidentEngineTest, FailureAfterAnOperatorClosedTheIncidentOpensANewOne) {
  IncidentEngine& engine = Start();
  const IncidentId id = OpenOne(Fail("juki-ap01", kTuesday10));
  clock_.Advance(minutes(5));
  ASSERT_FALSE(
      CloseIncidentByOperator(*ledger_, ctx_, id, "suzuki", "手動で復旧確認", clock_.Now()));
  engine.Accept({Fail("juki-ap01", clock_.Now(), "port:80")});
  TickUntil(clock_.Now() + minutes(2));
  EXPECT_EQ(Open().size(), 1u) << "the port failure must have an open incident";
}

// ---------------------------------------------------------------------------
// 9. Ledger failure

// Another writer that holds the ledger: SQLite's write lock, or on
// PostgreSQL the ledger writers' advisory lock (postgres_connection.cc).
class LockHolder {
 public:
  explicit LockHolder(const std::string& path) {
    if (IsPostgresLocation(path)) {
      pg_ = PQconnectdb(path.c_str());
      PGresult* r = PQexec(pg_, "BEGIN; SELECT pg_advisory_xact_lock(1835625837, 1)");
      rc_ = PQresultStatus(r) == PGRES_TUPLES_OK ? SQLITE_OK : SQLITE_ERROR;
      PQclear(r);
      return;
    }
    sqlite3_open_v2(path.c_str(), &db_, SQLITE_OPEN_READWRITE, nullptr);
    char* err = nullptr;
    rc_ = sqlite3_exec(db_, "BEGIN IMMEDIATE", nullptr, nullptr, &err);
    sqlite3_free(err);
  }
  ~LockHolder() { Release(); }
  void Release() {
    if (pg_ != nullptr) PQfinish(pg_);
    pg_ = nullptr;
    if (!db_) return;
    sqlite3_exec(db_, "ROLLBACK", nullptr, nullptr, nullptr);
    sqlite3_close(db_);
    db_ = nullptr;
  }
  bool locked() const { return rc_ == SQLITE_OK; }

 private:
  sqlite3* db_ = nullptr;
  PGconn* pg_ = nullptr;
  int rc_ = SQLITE_ERROR;
};

class IncidentEngineLedgerFailureTest : public IncidentEngineTest {
 protected:
  void SetUp() override {
    IncidentEngineTest::SetUp();
    ledger_.reset();
    LedgerOptions options;
    options.busy_timeout = chrono::milliseconds(20);
    auto opened = Ledger::Open(path_, options);
    ASSERT_TRUE(opened) << opened.error().message;
    ledger_ = std::make_unique<Ledger>(std::move(*opened));
  }
};

TEST_F(IncidentEngineLedgerFailureTest, FailingGroupIsRetriedWhenTheLedgerWorksAgain) {
  IncidentEngine& engine = Start();
  engine.Accept({Fail("juki-ap01", kTuesday10)});
  LockHolder lock(path_);
  ASSERT_TRUE(lock.locked());
  TickUntil(kTuesday10 + seconds(60));
  EXPECT_GE(engine.stats().ledger_errors, 1u);
  EXPECT_TRUE(Open().empty());
  EXPECT_EQ(engine.waiting(), 1u) << "the group waits again, not lost";
  TickUntil(kTuesday10 + seconds(80));
  EXPECT_TRUE(Open().empty());

  lock.Release();
  TickUntil(kTuesday10 + seconds(90));
  auto open = Open();
  ASSERT_EQ(open.size(), 1u);
  EXPECT_EQ(open[0].detected_at, kTuesday10);
  EXPECT_EQ(engine.waiting(), 0u);
  EXPECT_EQ(ReportsOf(open[0].id, ReportKind::kFirst).size(), 2u);
  EXPECT_EQ(engine.stats().incidents_opened, 1u);
  TickUntil(kTuesday10 + minutes(5));
  EXPECT_EQ(All().size(), 1u);
}

TEST_F(IncidentEngineLedgerFailureTest, ContinuingReportIsRetriedAfterAnOutage) {
  Start();
  const IncidentId id = OpenOne(Fail("juki-ap01", kTuesday10));
  TickUntil(Tokyo(2026, 12, 1, 11, 10), seconds(60));
  {
    LockHolder lock(path_);
    ASSERT_TRUE(lock.locked());
    TickUntil(Tokyo(2026, 12, 1, 11, 20), seconds(60));
    EXPECT_TRUE(ReportsOf(id, ReportKind::kContinuing).empty());
    EXPECT_GE(engine_->stats().ledger_errors, 1u);
  }
  TickUntil(Tokyo(2026, 12, 1, 11, 21), seconds(60));
  auto continuing = ReportsOf(id, ReportKind::kContinuing);
  ASSERT_EQ(continuing.size(), 2u);
  EXPECT_EQ(continuing[0].due_at, Tokyo(2026, 12, 1, 11, 15));
}

TEST_F(IncidentEngineLedgerFailureTest, RecoveryLostInAnOutageIsCaughtByReconcile) {
  IncidentEngine& engine = Start();
  const TimePoint since = clock_.Now();
  const IncidentId id = OpenOne(Fail("juki-ap01", kTuesday10));
  clock_.Set(kTuesday10 + minutes(10));
  {
    LockHolder lock(path_);
    ASSERT_TRUE(lock.locked());
    engine.Accept({Recover("juki-ap01", clock_.Now())});
    EXPECT_GE(engine.stats().ledger_errors, 1u);
  }
  EXPECT_EQ(Open().size(), 1u);
  clock_.Advance(seconds(30));
  engine.Reconcile({StateOf("juki-ap01", "ping", Status::kOk, clock_.Now())}, since);
  EXPECT_TRUE(Open().empty());
  EXPECT_EQ(ReportsOf(id, ReportKind::kFinal).size(), 1u);
}

// BUG: a failure that joins an open incident while the ledger is busy is
// dropped: failing_ already holds it (so Reconcile never offers it again) and
// nothing retries JoinIncident; the priority raise and the first report the
// new plan owes are lost for good (incident_engine.cc OnFailure/JoinIncident).
TEST_F(IncidentEngineLedgerFailureTest, PriorityRaiseLostInAnOutageIsRetried) {
  clock_.Set(kSaturday10);
  IncidentEngine& engine = Start();
  const TimePoint since = clock_.Now();
  const IncidentId id = OpenOne(Fail("juki-ap01", kSaturday10, "cpu", Status::kWarning));
  ASSERT_TRUE(ReportsOf(id).empty());
  clock_.Advance(minutes(5));
  {
    LockHolder lock(path_);
    ASSERT_TRUE(lock.locked());
    engine.Accept({Change("juki-ap01", "cpu", Status::kCritical, clock_.Now(), Status::kWarning)});
    EXPECT_GE(engine.stats().ledger_errors, 1u);
  }
  TickUntil(clock_.Now() + minutes(2));
  engine.Reconcile({StateOf("juki-ap01", "cpu", Status::kCritical, clock_.Now())}, since);
  TickUntil(clock_.Now() + minutes(2));
  EXPECT_EQ(TimelineOf(id).incident.priority, Priority::kHigh);
  EXPECT_EQ(ReportsOf(id, ReportKind::kFirst).size(), 1u);
}

// --- cause and recovery targets (issue 11)

TEST_F(IncidentEngineTest, TheCauseIsDefaultedFromScopeAndMonitorKind) {
  Start();
  // A process inside the VM: the owner's side.
  const IncidentId process = OpenOne(Fail("juki-ap01", kTuesday10, "process:httpd"));
  ASSERT_NE(process, 0);
  EXPECT_EQ(TimelineOf(process).incident.cause, IncidentCause::kSystem);
  // A VM that stopped answering: nobody knows yet whose fault it is.
  const IncidentId ping = OpenOne(Fail("zeimu-ap01", clock_.Now()));
  ASSERT_NE(ping, 0);
  EXPECT_EQ(TimelineOf(ping).incident.cause, IncidentCause::kUnknown);
  // A host: the platform.
  const IncidentId host = OpenOne(Fail("esx02", clock_.Now()));
  ASSERT_NE(host, 0);
  EXPECT_EQ(TimelineOf(host).incident.scope, IncidentScope::kPlatform);
  EXPECT_EQ(TimelineOf(host).incident.cause, IncidentCause::kPlatform);

  // The VM with the failed process then stops answering: the cause is no
  // longer the owner's by default, and the change is on the timeline.
  clock_.Advance(minutes(5));
  engine_->Accept({Fail("juki-ap01", clock_.Now())});
  IncidentTimeline t = TimelineOf(process);
  EXPECT_EQ(t.incident.cause, IncidentCause::kUnknown);
  bool recorded = false;
  for (const IncidentEvent& e : t.events) {
    if (e.kind == EventKind::kCauseChange) {
      recorded = true;
      EXPECT_EQ(e.actor, "mimamori");
      EXPECT_TRUE(Contains(e.text, "unknown"));
    }
  }
  EXPECT_TRUE(recorded);
}

TEST_F(IncidentEngineTest, AnIncidentPastItsRecoveryTargetIsCountedAndRaisedWhenConfigured) {
  inventory_->alerting.recovery_targets.raise_priority = true;
  Start();
  // zeimu is level B: recovery within 4 h. A CPU warning is low priority.
  const IncidentId id = OpenOne(Fail("zeimu-ap01", kTuesday10, "cpu", Status::kWarning));
  ASSERT_NE(id, 0);
  ASSERT_EQ(TimelineOf(id).incident.priority, Priority::kLow);

  TickUntil(kTuesday10 + hours(4) - seconds(1), minutes(1));
  EXPECT_EQ(TimelineOf(id).incident.priority, Priority::kLow);
  EXPECT_TRUE(engine_->stats().past_recovery_target.empty() ||
              engine_->stats().past_recovery_target.at("B") == 0);

  TickUntil(kTuesday10 + hours(4) + minutes(1), minutes(1));
  IncidentTimeline t = TimelineOf(id);
  EXPECT_EQ(t.incident.priority, Priority::kHigh);
  EXPECT_EQ(engine_->stats().past_recovery_target.at("B"), 1);
  int raises = 0;
  for (const IncidentEvent& e : t.events) {
    if (e.kind == EventKind::kPriorityChange) {
      ++raises;
      EXPECT_EQ(e.actor, "mimamori");
      EXPECT_TRUE(Contains(e.text, "recovery target"));
    }
  }
  EXPECT_EQ(raises, 1);

  // An operator lowers it again: the engine does not fight them.
  ASSERT_EQ(ledger_->ChangePriority(id, Priority::kLow, clock_.Now(), "suzuki", "handled"),
            std::nullopt);
  TickUntil(clock_.Now() + minutes(10), minutes(1));
  EXPECT_EQ(TimelineOf(id).incident.priority, Priority::kLow);
  EXPECT_EQ(engine_->stats().past_recovery_target.at("B"), 1);
  // Nor after a restart: the raise is in the ledger.
  Restart();
  TickUntil(clock_.Now() + minutes(10), minutes(1));
  EXPECT_EQ(TimelineOf(id).incident.priority, Priority::kLow);
}

TEST_F(IncidentEngineTest, WithoutRaisePriorityAPastTargetIsOnlyCounted) {
  Start();
  const IncidentId id = OpenOne(Fail("zeimu-ap01", kTuesday10, "cpu", Status::kWarning));
  ASSERT_NE(id, 0);
  TickUntil(kTuesday10 + hours(4) + minutes(1), minutes(1));
  EXPECT_EQ(TimelineOf(id).incident.priority, Priority::kLow);
  EXPECT_EQ(engine_->stats().past_recovery_target.at("B"), 1);
}

TEST_F(IncidentEngineTest, FailuresDoNotJoinAnIncidentAnOperatorOpened) {
  Start();
  // A resident's call about juki-ap01, recorded by hand as a question.
  ManualIncident manual;
  manual.incident_class = "question";
  manual.title = "住民からの問い合わせ: 画面が遅い";
  manual.node = "juki-ap01";
  manual.actor = "suzuki";
  auto question = OpenIncidentByOperator(*ledger_, ctx_, manual, clock_.Now());
  ASSERT_TRUE(question) << question.error().message;
  EXPECT_TRUE(ReportsOf(*question).empty()) << "a question is not reported";

  const IncidentId failure = OpenOne(Fail("juki-ap01", clock_.Now()));
  ASSERT_NE(failure, 0);
  EXPECT_NE(failure, *question);
  EXPECT_TRUE(TimelineOf(*question).monitors.empty());
  Restart();
  clock_.Advance(minutes(5));
  engine_->Accept({Fail("juki-ap01", clock_.Now(), "process:httpd")});
  TickUntil(clock_.Now() + minutes(2));
  EXPECT_TRUE(TimelineOf(*question).monitors.empty());
}

}  // namespace
}  // namespace mimamori::collector
