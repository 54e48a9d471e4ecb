// Operations as the documents run them (issue 11), against real SQLite files
// in a temporary directory: the incident's cause and the availability it
// feeds, classes and the provisional close, recovery-completion targets on
// the business calendar, the inventory change log, threshold breach classes,
// and the schema migration that brought them. Every figure is counted by
// hand in the comment next to the data that makes it. No test reads the
// clock.
#include <gtest/gtest.h>
#include <sqlite3.h>
#include <stdlib.h>

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <map>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "collector/alerting/inventory_log.h"
#include "collector/alerting/monthly_report.h"
#include "collector/alerting/recovery_target.h"
#include "collector/calendar/business_calendar.h"
#include "collector/inventory/inventory.h"
#include "collector/ledger/ledger.h"
#include "tests/support/test_ledger.h"
#include "tests/unit/alerting_test_support.h"

namespace mimamori::collector {
namespace {

using std::chrono::hours;
using std::chrono::milliseconds;
using std::chrono::minutes;

using testing::Contains;

/// 2025-MM-DD hh:mm, Tokyo time.
LedgerTime Tokyo(unsigned month, unsigned day, int hour, int minute = 0) {
  return testing::Tokyo(2025, month, day, hour, minute);
}

class OperationsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string pattern = ::testing::TempDir() + "operations_test.XXXXXX";
    ASSERT_NE(mkdtemp(pattern.data()), nullptr);
    dir_ = pattern;
    std::string skip;
    path_ = ::mimamori::testing::TestLedgerLocation(dir_, &skip);
    if (path_.empty()) GTEST_SKIP() << skip;
    inventory_.platform_name = "第三期サーバ仮想基盤";
    inventory_.source = "/etc/mimamori/inventory.yaml";
    inventory_.systems = {
        System{"juki", ServiceLevel::kA, {}, {}}, System{"kokuho", ServiceLevel::kA, {}, {}, false},
        System{"zeimu", ServiceLevel::kB, {}, {}}, System{"tosho", ServiceLevel::kC, {}, {}}};
    AddNode("esx01", NodeKind::kEsxiHost, "");
    AddNode("juki-ap01", NodeKind::kVm, "juki");
    AddNode("kokuho-ap01", NodeKind::kVm, "kokuho");
    AddNode("zeimu-ap01", NodeKind::kVm, "zeimu");
    AddNode("tosho-ap01", NodeKind::kVm, "tosho");
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  void AddNode(std::string name, NodeKind kind, std::string system) {
    Node node;
    node.name = std::move(name);
    node.address = node.name + ".example.jp";
    node.kind = kind;
    node.system = std::move(system);
    node.host = kind == NodeKind::kVm ? "esx01" : "";
    inventory_.nodes.push_back(std::move(node));
  }

  Ledger OpenOrDie(LedgerOptions options = {}) {
    auto ledger = Ledger::Open(path_, std::move(options));
    if (!ledger) ADD_FAILURE() << ledger.error().message;
    return std::move(*ledger);
  }

  /// An incident detected at `detected`, recovered (closed) `minutes_down`
  /// later unless 0, with the given affected VMs.
  IncidentId AddIncident(Ledger& ledger, IncidentScope scope, std::string level,
                         IncidentCause cause, LedgerTime detected, int minutes_down,
                         const std::vector<std::string>& vms) {
    NewIncident in;
    in.scope = scope;
    in.title = "failure";
    in.priority = Priority::kHigh;
    in.service_level = std::move(level);
    in.detected_at = detected;
    in.opened_at = detected;
    in.cause = cause;
    auto id = ledger.OpenIncident(in);
    EXPECT_TRUE(id) << id.error().message;
    for (const std::string& vm : vms) {
      const Node* node = inventory_.FindNode(vm);
      EXPECT_NE(node, nullptr) << vm;
      EXPECT_EQ(ledger.AddAffectedVm({*id, vm, node->system, "esx01", detected}), std::nullopt);
    }
    if (minutes_down > 0) {
      EXPECT_EQ(ledger.CloseIncident(*id, detected + minutes(minutes_down), "mimamori", ""),
                std::nullopt);
    }
    return *id;
  }

  const MonthlyLevelRow& Level(const MonthlyReport& r, const std::string& level) {
    for (const MonthlyLevelRow& row : r.levels) {
      if (row.level == level) return row;
    }
    ADD_FAILURE() << "no level " << level;
    return r.levels.front();
  }

  std::string dir_, path_;
  Inventory inventory_;
};

// --- availability counts the platform's causes against every affected level

TEST_F(OperationsTest, APlatformFailureCountsAgainstEveryAffectedSystemsLevel) {
  Ledger ledger = OpenOrDie();
  // esx01 down 30 min on Wednesday 2025-04-02 10:00 (a business day, inside
  // business hours): juki (A), zeimu (B) and tosho (C) each lose 30 min.
  AddIncident(ledger, IncidentScope::kPlatform, "", IncidentCause::kPlatform, Tokyo(4, 2, 10), 30,
              {"juki-ap01", "zeimu-ap01", "tosho-ap01"});
  // An httpd failure inside juki-ap01 for 2 h: the owner's side, not counted.
  AddIncident(ledger, IncidentScope::kVm, "A", IncidentCause::kSystem, Tokyo(4, 3, 10), 120,
              {"juki-ap01"});
  // zeimu-ap01 stopped for 10 min, cause not yet known: counted, shown apart.
  AddIncident(ledger, IncidentScope::kVm, "B", IncidentCause::kUnknown, Tokyo(4, 4, 1), 10,
              {"zeimu-ap01"});

  auto report = BuildMonthlyReport(ledger, inventory_, 2025, 4);
  ASSERT_TRUE(report) << report.error().message;
  const MonthlyLevelRow& a = Level(*report, "A");
  EXPECT_EQ(a.systems, 2);  // juki, kokuho (redundant: false, but not counted as B here)
  EXPECT_EQ(a.outage, minutes(30));
  EXPECT_EQ(a.outage_in_service_hours, minutes(30));
  EXPECT_EQ(a.outage_unknown_cause, minutes(0));
  // T = 30 days x 24 h x 2 systems = 86,400 min; (86,400 - 30) / 86,400.
  ASSERT_TRUE(a.availability_percent);
  EXPECT_NEAR(*a.availability_percent, 100.0 * (86400 - 30) / 86400, 1e-9);
  const MonthlyLevelRow& b = Level(*report, "B");
  EXPECT_EQ(b.outage, minutes(40));
  EXPECT_EQ(b.outage_unknown_cause, minutes(10));
  const MonthlyLevelRow& c = Level(*report, "C");
  EXPECT_EQ(c.outage_in_service_hours, minutes(30));  // 10:00-10:30 on a business day
  const MonthlyLevelRow& platform = Level(*report, "");
  EXPECT_EQ(platform.outage, minutes(30));

  // Detections per cause and class: 1 platform, 1 system, 1 unknown.
  ASSERT_EQ(report->by_cause.size(), 3u);
  EXPECT_EQ(report->by_cause[0].name, "platform");
  EXPECT_EQ(report->by_cause[0].count, 1);
  EXPECT_EQ(report->by_cause[1].count, 1);
  EXPECT_EQ(report->by_cause[2].count, 1);
  ASSERT_EQ(report->by_class.size(), 3u);
  EXPECT_EQ(report->by_class[0].name, "trouble");
  EXPECT_EQ(report->by_class[0].count, 3);

  // The operator finds the platform caused the httpd failure too (storage
  // latency): it now counts, 2 h more for A.
  auto incidents = ledger.RecentIncidents(Tokyo(4, 1, 0), 10);
  ASSERT_TRUE(incidents);
  IncidentId httpd = 0;
  for (const auto& i : *incidents) {
    if (i.cause == IncidentCause::kSystem) httpd = i.id;
  }
  ASSERT_EQ(
      ledger.SetCause(httpd, IncidentCause::kPlatform, Tokyo(5, 1, 9), "suzuki", "storage latency"),
      std::nullopt);
  report = BuildMonthlyReport(ledger, inventory_, 2025, 4);
  ASSERT_TRUE(report);
  EXPECT_EQ(Level(*report, "A").outage, minutes(150));

  const std::string text = MonthlyReportText(*report);
  EXPECT_TRUE(Contains(text, "うち原因不明"));
  EXPECT_TRUE(Contains(text, "■ 分類別・原因別 検知数"));
}

TEST_F(OperationsTest, ALevelASystemWithoutRedundancyCountsAsBWhenConfigured) {
  inventory_.alerting.a_without_redundancy_as_b = true;
  Ledger ledger = OpenOrDie();
  AddIncident(ledger, IncidentScope::kPlatform, "", IncidentCause::kPlatform, Tokyo(4, 2, 10), 60,
              {"kokuho-ap01"});
  auto report = BuildMonthlyReport(ledger, inventory_, 2025, 4);
  ASSERT_TRUE(report) << report.error().message;
  EXPECT_EQ(Level(*report, "A").systems, 1);  // juki only
  EXPECT_EQ(Level(*report, "A").outage, minutes(0));
  EXPECT_EQ(Level(*report, "B").systems, 2);  // zeimu and kokuho
  EXPECT_EQ(Level(*report, "B").outage, minutes(60));
}

TEST_F(OperationsTest, OutageEndsAtTheProvisionalCloseNotTheManagersClose) {
  Ledger ledger = OpenOrDie();
  const IncidentId id = AddIncident(ledger, IncidentScope::kVm, "A", IncidentCause::kUnknown,
                                    Tokyo(4, 2, 10), 0, {"juki-ap01"});
  // The operator sees service back at 10:20 (仮クローズ); the manager closes
  // the next morning.
  ASSERT_EQ(ledger.ProvisionalClose(id, Tokyo(4, 2, 10, 20), "suzuki", "restarted"), std::nullopt);
  auto again = ledger.ProvisionalClose(id, Tokyo(4, 2, 10, 25), "suzuki", "");
  ASSERT_TRUE(again);
  EXPECT_EQ(again->kind, LedgerErrorKind::kWrongState);
  ASSERT_EQ(ledger.CloseIncident(id, Tokyo(4, 3, 9), "manager", "confirmed"), std::nullopt);

  auto incident = ledger.GetIncident(id);
  ASSERT_TRUE(incident);
  EXPECT_EQ(incident->provisional_closed_by, "suzuki");
  EXPECT_EQ(incident->closed_by, "manager");
  EXPECT_EQ(incident->RecoveredAt(), Tokyo(4, 2, 10, 20));
  auto report = BuildMonthlyReport(ledger, inventory_, 2025, 4);
  ASSERT_TRUE(report);
  EXPECT_EQ(Level(*report, "A").outage, minutes(20));

  auto timeline = ledger.Timeline(id);
  ASSERT_TRUE(timeline);
  bool provisional = false;
  for (const IncidentEvent& e : timeline->events) {
    provisional |= e.kind == EventKind::kProvisionalClose && e.actor == "suzuki";
  }
  EXPECT_TRUE(provisional);
}

TEST_F(OperationsTest, RequestsAndQuestionsAreNeitherDetectionsNorOutage) {
  Ledger ledger = OpenOrDie();
  NewIncident question;
  question.scope = IncidentScope::kVm;
  question.title = "住民からの問い合わせ";
  question.service_level = "A";
  question.detected_at = Tokyo(4, 2, 10);
  question.opened_at = question.detected_at;
  question.opened_by = "suzuki";
  question.incident_class = "question";
  ASSERT_TRUE(ledger.OpenIncident(question));
  question.incident_class = "complaint";
  auto refused = ledger.OpenIncident(question);
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().kind, LedgerErrorKind::kInvalidArgument);
  EXPECT_TRUE(Contains(refused.error().message, "trouble, request or question"));

  auto report = BuildMonthlyReport(ledger, inventory_, 2025, 4);
  ASSERT_TRUE(report);
  EXPECT_EQ(Level(*report, "A").detections, 0);
  EXPECT_EQ(Level(*report, "A").outage, minutes(0));
  EXPECT_EQ(report->by_class[2].name, "question");
  EXPECT_EQ(report->by_class[2].count, 1);
}

// --- recovery-completion targets

TEST_F(OperationsTest, RecoveryTargetsFollowTheLevelAndTheBusinessCalendar) {
  const BusinessCalendar calendar;
  const RecoveryTargets targets;
  Incident a;
  a.service_level = "A";
  a.detected_at = Tokyo(4, 2, 10);
  auto t = RecoveryTargetOf(a, targets, calendar, Tokyo(4, 2, 10, 59));
  EXPECT_EQ(t.state, RecoveryTargetState::kPending);
  EXPECT_EQ(t.due, Tokyo(4, 2, 11));
  EXPECT_EQ(RecoveryTargetOf(a, targets, calendar, Tokyo(4, 2, 11)).state,
            RecoveryTargetState::kPast);
  a.closed_at = Tokyo(4, 2, 11);
  EXPECT_EQ(RecoveryTargetOf(a, targets, calendar, Tokyo(4, 9, 0)).state,
            RecoveryTargetState::kMet);
  a.closed_at = Tokyo(4, 2, 11, 1);
  EXPECT_EQ(RecoveryTargetOf(a, targets, calendar, Tokyo(4, 9, 0)).state,
            RecoveryTargetState::kMissed);

  // C, detected Friday 2025-05-02 16:00: 3 (Constitution Day, Saturday), 4
  // (Sunday, Greenery Day), 5 (Children's Day), 6 (substitute holiday): the
  // next business day is Wednesday 5-07, due at its 17:45 close.
  Incident c;
  c.service_level = "C";
  c.detected_at = Tokyo(5, 2, 16);
  EXPECT_EQ(RecoveryTargetOf(c, targets, calendar, Tokyo(5, 2, 16)).due, Tokyo(5, 7, 17, 45));
  // Detected on a Sunday: Monday's close.
  c.detected_at = Tokyo(4, 6, 3);
  EXPECT_EQ(RecoveryTargetOf(c, targets, calendar, Tokyo(4, 6, 3)).due, Tokyo(4, 7, 17, 45));

  // B 4 h; platform-wide 60 min; a configured B of 2 h.
  Incident b;
  b.service_level = "B";
  b.detected_at = Tokyo(4, 2, 10);
  EXPECT_EQ(RecoveryTargetOf(b, targets, calendar, b.detected_at).due, Tokyo(4, 2, 14));
  RecoveryTargets custom;
  custom.b.within = hours(2);
  EXPECT_EQ(RecoveryTargetOf(b, custom, calendar, b.detected_at).due, Tokyo(4, 2, 12));
  Incident platform;
  platform.detected_at = Tokyo(4, 2, 10);
  EXPECT_EQ(RecoveryTargetOf(platform, targets, calendar, platform.detected_at).due,
            Tokyo(4, 2, 11));
  // A request has none.
  Incident request;
  request.incident_class = "request";
  request.service_level = "A";
  EXPECT_EQ(RecoveryTargetOf(request, targets, calendar, Tokyo(4, 2, 10)).state,
            RecoveryTargetState::kNone);
}

TEST_F(OperationsTest, TheMonthlyReportCountsMetMissedAndOpenTargets) {
  Ledger ledger = OpenOrDie();
  // A: 30 min (met), 90 min (missed), open since 4-30 23:00 (past at month end).
  AddIncident(ledger, IncidentScope::kVm, "A", IncidentCause::kUnknown, Tokyo(4, 2, 10), 30,
              {"juki-ap01"});
  AddIncident(ledger, IncidentScope::kVm, "A", IncidentCause::kUnknown, Tokyo(4, 3, 10), 90,
              {"juki-ap01"});
  AddIncident(ledger, IncidentScope::kVm, "A", IncidentCause::kUnknown, Tokyo(4, 30, 22), 0,
              {"juki-ap01"});
  // B open since 4-30 23:00: its 4 h are not over at the end of April.
  AddIncident(ledger, IncidentScope::kVm, "B", IncidentCause::kUnknown, Tokyo(4, 30, 23), 0,
              {"zeimu-ap01"});
  auto report = BuildMonthlyReport(ledger, inventory_, 2025, 4);
  ASSERT_TRUE(report) << report.error().message;
  ASSERT_EQ(report->recovery.size(), 5u);
  EXPECT_EQ(report->recovery[0].level, "A");
  EXPECT_EQ(report->recovery[0].met, 1);
  EXPECT_EQ(report->recovery[0].missed, 1);
  EXPECT_EQ(report->recovery[0].open_past, 1);
  EXPECT_EQ(report->recovery[1].open_pending, 1);
  // Built on 4-30 22:30, the open A incident was not yet past.
  report = BuildMonthlyReport(ledger, inventory_, 2025, 4, Tokyo(4, 30, 22, 30));
  ASSERT_TRUE(report);
  EXPECT_EQ(report->recovery[0].open_past, 0);
  EXPECT_EQ(report->recovery[0].open_pending, 1);
  EXPECT_TRUE(Contains(MonthlyReportText(*report), "■ 復旧完了目標"));
}

// --- suppression windows and the inventory change log in the report

TEST_F(OperationsTest, TheMonthsSuppressionsAndMonitoringChangesAreListed) {
  Ledger ledger = OpenOrDie();
  ASSERT_TRUE(ledger.AddSuppression({SuppressionTarget::kSystem, "juki", Tokyo(4, 12, 8),
                                     Tokyo(4, 12, 18), "法定点検", "住基 一郎", Tokyo(4, 1, 9)}));
  // Outside April: not listed.
  ASSERT_TRUE(ledger.AddSuppression({SuppressionTarget::kNode, "tosho-ap01", Tokyo(5, 12, 8),
                                     Tokyo(5, 12, 18), "作業", "図書 三郎", Tokyo(4, 1, 9)}));

  // The first load records every item; the next one what changed.
  auto first = RecordInventoryChanges(ledger, inventory_, Tokyo(3, 31, 9));
  ASSERT_TRUE(first) << first.error().message;
  EXPECT_FALSE(first->empty());
  for (const InventoryChange& c : *first) EXPECT_EQ(c.change, InventoryChangeKind::kAdded);
  auto none = RecordInventoryChanges(ledger, inventory_, Tokyo(4, 1, 9));
  ASSERT_TRUE(none);
  EXPECT_TRUE(none->empty()) << "an unchanged reload records nothing";

  Inventory changed = inventory_;
  changed.nodes[1].processes.push_back({"httpd", "/usr/sbin/httpd", ".*", false, 1, 99});
  changed.nodes[3].thresholds.cpu = {80, 95};
  changed.nodes.pop_back();  // tosho-ap01 leaves the platform
  changed.BuildIndex();
  auto second = RecordInventoryChanges(ledger, changed, Tokyo(4, 15, 9));
  ASSERT_TRUE(second) << second.error().message;
  int added = 0, changed_items = 0, removed = 0;
  for (const InventoryChange& c : *second) {
    EXPECT_EQ(c.source, "/etc/mimamori/inventory.yaml");
    if (c.change == InventoryChangeKind::kAdded) {
      ++added;
      EXPECT_EQ(c.node, "juki-ap01");
      EXPECT_EQ(c.item, "process:httpd");
    } else if (c.change == InventoryChangeKind::kChanged) {
      ++changed_items;
      EXPECT_EQ(c.node, "zeimu-ap01");
      EXPECT_EQ(c.item, "resource");
      EXPECT_TRUE(Contains(c.before, "cpu=75/90"));
      EXPECT_TRUE(Contains(c.after, "cpu=80/95"));
    } else {
      ++removed;
      EXPECT_EQ(c.node, "tosho-ap01");
    }
  }
  EXPECT_EQ(added, 1);
  EXPECT_EQ(changed_items, 1);
  EXPECT_GE(removed, 2);  // its node settings, ping and resource

  auto report = BuildMonthlyReport(ledger, changed, 2025, 4);
  ASSERT_TRUE(report) << report.error().message;
  ASSERT_EQ(report->suppressions.size(), 1u);
  EXPECT_EQ(report->suppressions[0].target, "system juki");
  EXPECT_EQ(report->suppressions[0].reason, "法定点検");
  // March's first load is not April's change; April's are.
  EXPECT_EQ(report->inventory_changes.size(), second->size());
  const std::string text = MonthlyReportText(*report);
  EXPECT_TRUE(Contains(text, "法定点検"));
  EXPECT_TRUE(Contains(text, "process:httpd"));
  EXPECT_TRUE(Contains(text, "cpu=75/90"));
  const std::string csv = MonthlyReportCsv(*report);
  EXPECT_TRUE(Contains(csv, "inventory-change,2025-04,"));
  EXPECT_TRUE(Contains(csv, "suppression,2025-04,"));
}

TEST_F(OperationsTest, RecordingTheSameItemTwiceIsRefusedAndNothingIsKept) {
  Ledger ledger = OpenOrDie();
  auto refused = ledger.RecordInventory({{"web01", "ping", "a"}, {"web01", "ping", "b"}},
                                        Tokyo(4, 1, 9), "x.yaml");
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().kind, LedgerErrorKind::kInvalidArgument);
  auto changes = ledger.InventoryChanges(Tokyo(1, 1, 0), Tokyo(12, 1, 0));
  ASSERT_TRUE(changes);
  EXPECT_TRUE(changes->empty());
}

TEST_F(OperationsTest, ALargeLoadIsLoggedRowByRowWithItsIdsAndTheNextLoadSeesIt) {
  Ledger ledger = OpenOrDie();
  // 450 items: statements of many rows, the last one partial.
  std::vector<InventoryItem> items;
  for (int i = 0; i < 150; ++i) {
    const std::string node = "vm" + std::to_string(1000 + i);
    for (const char* item : {"ping", "cpu", "process:httpd"}) items.push_back({node, item, "a"});
  }
  auto first = ledger.RecordInventory(items, Tokyo(4, 1, 9), "big.yaml");
  ASSERT_TRUE(first) << first.error().message;
  ASSERT_EQ(first->size(), 450u);
  std::set<std::int64_t> ids;
  for (const InventoryChange& c : *first) {
    EXPECT_EQ(c.change, InventoryChangeKind::kAdded);
    ids.insert(c.id);
  }
  EXPECT_EQ(ids.size(), 450u);
  EXPECT_FALSE(ids.contains(0));

  // Then: 250 removed (every item of the first 83 nodes and one more), one changed, one added.
  std::vector<InventoryItem> next(items.begin() + 250, items.end());
  next[0].definition = "b";
  next.push_back({"vm9999", "ping", "a"});
  auto second = ledger.RecordInventory(next, Tokyo(4, 2, 9), "big.yaml");
  ASSERT_TRUE(second) << second.error().message;
  std::map<InventoryChangeKind, int> kinds;
  for (const InventoryChange& c : *second) ++kinds[c.change];
  EXPECT_EQ(kinds[InventoryChangeKind::kRemoved], 250);
  EXPECT_EQ(kinds[InventoryChangeKind::kChanged], 1);
  EXPECT_EQ(kinds[InventoryChangeKind::kAdded], 1);

  // The log in the ledger is what the calls returned, ids included.
  auto logged = ledger.InventoryChanges(Tokyo(4, 1, 0), Tokyo(4, 3, 0));
  ASSERT_TRUE(logged);
  ASSERT_EQ(logged->size(), 450u + 252u);
  std::map<std::int64_t, const InventoryChange*> by_id;
  for (const InventoryChange& c : *logged) by_id[c.id] = &c;
  for (const auto* run : {&*first, &*second}) {
    for (const InventoryChange& c : *run) {
      ASSERT_TRUE(by_id.contains(c.id)) << c.node << " " << c.item;
      EXPECT_EQ(by_id[c.id]->node, c.node);
      EXPECT_EQ(by_id[c.id]->item, c.item);
      EXPECT_EQ(by_id[c.id]->change, c.change);
      EXPECT_EQ(by_id[c.id]->after, c.after);
    }
  }
  // Loading the same again changes nothing: the items table holds the second load.
  auto again = ledger.RecordInventory(next, Tokyo(4, 3, 9), "big.yaml");
  ASSERT_TRUE(again);
  EXPECT_TRUE(again->empty());
}

// --- threshold breach classes

TEST(BreachClass, SingleContinuousAndRepeatedSingle) {
  const milliseconds five(5 * 60 * 1000);
  EXPECT_EQ(ClassifyBreaches({five}, five), BreachClass::kSingle);
  EXPECT_EQ(ClassifyBreaches({2 * five}, five), BreachClass::kContinuous);
  EXPECT_EQ(ClassifyBreaches({five, five, five}, five), BreachClass::kRepeatedSingle);
  EXPECT_EQ(ClassifyBreaches({five, 3 * five}, five), BreachClass::kContinuous);
}

TEST_F(OperationsTest, TheReportClassifiesEachResourcesBreaches) {
  Ledger ledger = OpenOrDie();
  const auto breach = [&](const std::string& node, const std::string& monitor, LedgerTime at,
                          int minutes_long) {
    NewIncident in;
    in.scope = IncidentScope::kVm;
    in.title = node + " " + monitor;
    in.service_level = "A";
    in.detected_at = at;
    in.opened_at = at;
    in.cause = IncidentCause::kSystem;
    auto id = ledger.OpenIncident(in);
    ASSERT_TRUE(id);
    ASSERT_EQ(ledger.AttachMonitor({*id, node, monitor, "juki", at, "resource", Status::kWarning}),
              std::nullopt);
    IncidentEvent failed{0,
                         *id,
                         at,
                         EventKind::kStateChange,
                         "mimamori",
                         node,
                         monitor,
                         "OK → WARNING",
                         Status::kWarning};
    ASSERT_TRUE(ledger.AppendEvent(failed));
    const LedgerTime end = at + minutes(minutes_long);
    IncidentEvent recovered{0,          *id,  end,     EventKind::kStateChange,
                            "mimamori", node, monitor, "WARNING → OK",
                            Status::kOk};
    ASSERT_TRUE(ledger.AppendEvent(recovered));
    ASSERT_EQ(ledger.CloseIncident(*id, end, "mimamori", ""), std::nullopt);
  };
  // juki-ap01 cpu: three one-check breaches (5 min each): repeated-single.
  breach("juki-ap01", "cpu", Tokyo(4, 2, 10), 5);
  breach("juki-ap01", "cpu", Tokyo(4, 9, 10), 5);
  breach("juki-ap01", "cpu", Tokyo(4, 16, 10), 5);
  // juki-ap01 memory: one breach of 45 min: continuous.
  breach("juki-ap01", "memory", Tokyo(4, 3, 10), 45);
  // kokuho-ap01 disk:/var: one breach, one check: single.
  breach("kokuho-ap01", "disk:/var", Tokyo(4, 4, 10), 5);

  auto report = BuildMonthlyReport(ledger, inventory_, 2025, 4);
  ASSERT_TRUE(report) << report.error().message;
  ASSERT_EQ(report->breaches.size(), 3u);
  EXPECT_EQ(report->breaches[0].monitor, "cpu");
  EXPECT_EQ(report->breaches[0].breach_class, BreachClass::kRepeatedSingle);
  EXPECT_EQ(report->breaches[0].breaches, 3);
  EXPECT_EQ(report->breaches[1].monitor, "memory");
  EXPECT_EQ(report->breaches[1].breach_class, BreachClass::kContinuous);
  EXPECT_EQ(report->breaches[1].longest, minutes(45));
  EXPECT_EQ(report->breaches[2].node, "kokuho-ap01");
  EXPECT_EQ(report->breaches[2].breach_class, BreachClass::kSingle);
  EXPECT_TRUE(Contains(MonthlyReportText(*report), "repeated-single"));
}

// --- the migration to schema v4

TEST_F(OperationsTest, AVersion3LedgerMigratesKeepingIdsEventsAndDerivingTheCause) {
  if (IsPostgresLocation(path_)) GTEST_SKIP() << "PostgreSQL ledgers began at version 4";
  ASSERT_GE(LedgerMigrations().size(), 4u);
  {
    LedgerOptions v3;
    v3.migrations = {LedgerMigrations()[0], LedgerMigrations()[1], LedgerMigrations()[2]};
    Ledger ledger = OpenOrDie(v3);
    ASSERT_EQ(*ledger.SchemaVersion(), 3);
  }
  // Rows as the v3 program wrote them, through the sqlite3 C API.
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open(path_.c_str(), &db), SQLITE_OK);
  const char* rows = R"sql(
    PRAGMA foreign_keys = ON;
    INSERT INTO incidents (id, scope, title, priority, service_level, opened_at, detected_at)
      VALUES (7, 'platform', 'esx01 down', 'high', '', 1000, 1000),
             (8, 'vm', 'httpd down', 'low', 'A', 2000, 2000),
             (9, 'vm', 'web01 ping', 'high', 'B', 3000, 3000);
    INSERT INTO incident_monitors (incident_id, node, monitor, system, attached_at, kind)
      VALUES (8, 'web01', 'process:httpd', 'juki', 2000, 'process'),
             (9, 'web01', 'ping', 'zeimu', 3000, 'ping');
    INSERT INTO incident_events (id, incident_id, at, kind, actor, text, to_status)
      VALUES (41, 8, 2000, 'opened', 'mimamori', 'httpd', NULL),
             (42, 8, 2000, 'state-change', 'mimamori', 'OK → CRITICAL', 'CRITICAL');
  )sql";
  ASSERT_EQ(sqlite3_exec(db, rows, nullptr, nullptr, nullptr), SQLITE_OK) << sqlite3_errmsg(db);
  sqlite3_close(db);

  Ledger ledger = OpenOrDie();
  EXPECT_EQ(*ledger.SchemaVersion(), static_cast<int>(LedgerMigrations().size()));
  auto platform = ledger.GetIncident(7);
  ASSERT_TRUE(platform) << platform.error().message;
  EXPECT_EQ(platform->cause, IncidentCause::kPlatform);
  EXPECT_EQ(platform->opened_by, "mimamori");
  EXPECT_EQ(ledger.GetIncident(8)->cause, IncidentCause::kSystem);
  EXPECT_EQ(ledger.GetIncident(9)->cause, IncidentCause::kUnknown);
  auto timeline = ledger.Timeline(8);
  ASSERT_TRUE(timeline) << timeline.error().message;
  ASSERT_EQ(timeline->events.size(), 2u);
  EXPECT_EQ(timeline->events[1].id, 42);
  EXPECT_EQ(timeline->events[1].to_status, Status::kCritical);
  ASSERT_EQ(timeline->monitors.size(), 1u);
  // Ids are never reused: the next incident and event come after the old ones.
  NewIncident next;
  next.scope = IncidentScope::kVm;
  next.title = "next";
  next.service_level = "A";
  next.detected_at = next.opened_at = LedgerTime(milliseconds(4000));
  auto id = ledger.OpenIncident(next);
  ASSERT_TRUE(id);
  EXPECT_EQ(*id, 10);
  auto event = ledger.AppendEvent({0, 8, LedgerTime(milliseconds(5000)), EventKind::kProgress,
                                   "suzuki", "", "", "note", std::nullopt});
  ASSERT_TRUE(event);
  EXPECT_GT(*event, 42);
  // The new kinds are accepted now.
  EXPECT_EQ(ledger.SetCause(9, IncidentCause::kPlatform, LedgerTime(milliseconds(6000)), "suzuki",
                            "host failure"),
            std::nullopt);
  auto same =
      ledger.SetCause(9, IncidentCause::kPlatform, LedgerTime(milliseconds(6000)), "suzuki", "");
  ASSERT_TRUE(same);
  EXPECT_EQ(same->kind, LedgerErrorKind::kWrongState);
}

}  // namespace
}  // namespace mimamori::collector
