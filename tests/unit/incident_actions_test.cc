// Operator actions (incident_actions.h) and the wording of reports
// (report_wording.h) against a real SQLite ledger in a temporary directory
// and the real templates of packaging/templates. Times in Tokyo.
#include "collector/alerting/incident_actions.h"

#include <gtest/gtest.h>
#include <stdlib.h>

#include <chrono>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "collector/alerting/report_wording.h"
#include "collector/calendar/business_calendar.h"
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

Node MakeNode(std::string name, NodeKind kind, std::string system = {}, std::string host = {}) {
  Node n;
  n.name = name;
  n.address = name + ".example.jp";
  n.kind = kind;
  n.system = std::move(system);
  n.host = std::move(host);
  return n;
}

std::shared_ptr<Inventory> MakeInventory() {
  auto inv = std::make_shared<Inventory>();
  inv->source = "test-inventory.yaml";
  inv->alerting.templates = MIMAMORI_FIXTURES "/../../packaging/templates";
  inv->alerting.platform_managers = {{"統括 太郎", "pm@example.jp", "+81-59-000-0001"}};
  inv->alerting.ict_service_center = {{"ICT 花子", "ict@example.jp", "+81-59-000-0003"}};
  inv->systems.push_back(
      {"juki", ServiceLevel::kA, {{"住基 一郎", "juki@example.jp", "+81-59-000-0010"}}, {}});
  inv->systems.push_back({"zeimu", ServiceLevel::kB, {{"税務 二郎", "zeimu@example.jp", ""}}, {}});
  inv->nodes.push_back(MakeNode("esx01", NodeKind::kEsxiHost));
  inv->nodes.push_back(MakeNode("juki-ap01", NodeKind::kVm, "juki", "esx01"));
  inv->nodes.push_back(MakeNode("zeimu-ap01", NodeKind::kVm, "zeimu", "esx01"));
  return inv;
}

class IncidentActionsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string pattern = ::testing::TempDir() + "incident_actions_test.XXXXXX";
    ASSERT_NE(mkdtemp(pattern.data()), nullptr);
    dir_ = pattern;
    inventory_ = MakeInventory();
    std::vector<std::string> errors;
    auto ctx = AlertingContext::Make(inventory_, "test.invalid", errors);
    for (const std::string& e : errors) ADD_FAILURE() << e;
    ASSERT_TRUE(ctx);
    ctx_ = *ctx;
    std::string skip;
    const std::string location = ::mimamori::testing::TestLedgerLocation(dir_, &skip);
    if (location.empty()) GTEST_SKIP() << skip;
    auto opened = Ledger::Open(location);
    ASSERT_TRUE(opened) << opened.error().message;
    ledger_ = std::make_unique<Ledger>(std::move(*opened));
  }
  void TearDown() override {
    ledger_.reset();
    std::filesystem::remove_all(dir_);
  }

  /// A VM incident as the engine opens it: monitor, affected VM and the
  /// first report its plan owes, in one transaction.
  IncidentId OpenVm(const std::string& vm, Priority priority, TimePoint detected,
                    const std::string& monitor = "ping") {
    const Node* node = inventory_->FindNode(vm);
    EXPECT_TRUE(node);
    IncidentId id = 0;
    LedgerStatus status = ledger_->Transaction([&](Ledger& l) -> LedgerStatus {
      NewIncident in;
      in.scope = IncidentScope::kVm;
      in.title = vm + ": " + monitor + " CRITICAL";
      in.priority = priority;
      in.service_level = std::string(ServiceLevelName(inventory_->LevelOf(*node)));
      in.detected_at = detected;
      in.opened_at = detected + minutes(1);
      in.text = vm + " " + monitor + ": OK → CRITICAL: no reply";
      auto opened = l.OpenIncident(in);
      if (!opened) return opened.error();
      id = *opened;
      IncidentMonitor attached{id,           vm,     monitor,          node->system,
                               in.opened_at, "ping", Status::kCritical};
      if (auto e = l.AttachMonitor(attached)) return e;
      IncidentEvent ev{0,
                       id,
                       in.opened_at,
                       EventKind::kStateChange,
                       "mimamori",
                       vm,
                       monitor,
                       "OK → CRITICAL: no reply",
                       Status::kCritical};
      if (auto e = l.AppendEvent(ev); !e) return e.error();
      if (auto e = l.AddAffectedVm({id, vm, node->system, node->host, in.opened_at})) return e;
      auto row = l.GetIncident(id);
      if (!row) return row.error();
      return QueueOwedFirstReport(l, ctx_, *row, in.opened_at);
    });
    EXPECT_FALSE(status) << status->message;
    return id;
  }

  IncidentTimeline TimelineOf(IncidentId id) {
    auto t = ledger_->Timeline(id);
    EXPECT_TRUE(t) << t.error().message;
    return t ? *t : IncidentTimeline{};
  }
  std::vector<Report> ReportsOf(IncidentId id, ReportKind kind) {
    std::vector<Report> out;
    for (const Report& r : TimelineOf(id).reports) {
      if (r.kind == kind) out.push_back(r);
    }
    return out;
  }

  std::string dir_;
  std::shared_ptr<Inventory> inventory_;
  AlertingContext ctx_;
  std::unique_ptr<Ledger> ledger_;
};

TEST_F(IncidentActionsTest, AcknowledgeRecordsWhoAndWhen) {
  const IncidentId id = OpenVm("juki-ap01", Priority::kHigh, kTuesday10);
  ASSERT_FALSE(
      AcknowledgeIncident(*ledger_, id, "suzuki", "受付しました", kTuesday10 + minutes(3)));
  ASSERT_FALSE(AcknowledgeIncident(*ledger_, id, "tanaka", "引継ぎ", kTuesday10 + minutes(9)));
  IncidentTimeline t = TimelineOf(id);
  ASSERT_TRUE(t.incident.acknowledged_at);
  EXPECT_EQ(*t.incident.acknowledged_at, kTuesday10 + minutes(3));
  EXPECT_EQ(t.incident.acknowledged_by, "suzuki");
  int acks = 0;
  for (const IncidentEvent& e : t.events) acks += e.kind == EventKind::kAcknowledged;
  EXPECT_EQ(acks, 2);
  EXPECT_EQ(AcknowledgeIncident(*ledger_, 9999, "suzuki", "", kTuesday10)->kind,
            LedgerErrorKind::kNotFound);
}

TEST_F(IncidentActionsTest, RaisingThePriorityQueuesTheOwedFirstReportAtItsOriginalDeadline) {
  // A, low, outside business hours: no first report.
  const IncidentId id = OpenVm("juki-ap01", Priority::kLow, kSaturday10, "cpu");
  EXPECT_TRUE(ReportsOf(id, ReportKind::kFirst).empty());
  const TimePoint now = kSaturday10 + minutes(45);
  ASSERT_FALSE(ChangeIncidentPriority(*ledger_, ctx_, id, Priority::kHigh, "suzuki",
                                      "住民サービス停止のおそれ", now));
  IncidentTimeline t = TimelineOf(id);
  EXPECT_EQ(t.incident.priority, Priority::kHigh);
  auto first = ReportsOf(id, ReportKind::kFirst);
  // A, high, outside (judged at detection): within 30 min, phone; due at
  // the ORIGINAL deadline, so already late.
  ASSERT_EQ(first.size(), 1u);
  EXPECT_EQ(first[0].channel, Channel::kPhone);
  EXPECT_EQ(first[0].due_at, kSaturday10 + minutes(30));
  EXPECT_EQ(first[0].created_at, now);
  EXPECT_LT(first[0].due_at, now);

  // Down and up again: no second first report.
  ASSERT_FALSE(ChangeIncidentPriority(*ledger_, ctx_, id, Priority::kLow, "suzuki", "誤判定",
                                      now + minutes(1)));
  ASSERT_FALSE(ChangeIncidentPriority(*ledger_, ctx_, id, Priority::kHigh, "suzuki", "再判定",
                                      now + minutes(2)));
  EXPECT_EQ(ReportsOf(id, ReportKind::kFirst).size(), 1u);
  // The same priority again is refused.
  auto same =
      ChangeIncidentPriority(*ledger_, ctx_, id, Priority::kHigh, "suzuki", "", now + minutes(3));
  ASSERT_TRUE(same);
  EXPECT_EQ(same->kind, LedgerErrorKind::kWrongState);
}

TEST_F(IncidentActionsTest, CloseByOperatorQueuesTheFinalReport) {
  const IncidentId id = OpenVm("juki-ap01", Priority::kHigh, kTuesday10);
  const TimePoint at = kTuesday10 + minutes(50);
  ASSERT_FALSE(CloseIncidentByOperator(*ledger_, ctx_, id, "suzuki", "再起動で復旧", at));
  IncidentTimeline t = TimelineOf(id);
  EXPECT_EQ(t.incident.status, IncidentStatus::kClosed);
  EXPECT_EQ(t.incident.closed_by, "suzuki");
  ASSERT_TRUE(t.incident.closed_at);
  EXPECT_EQ(*t.incident.closed_at, at);
  auto fin = ReportsOf(id, ReportKind::kFinal);
  ASSERT_EQ(fin.size(), 1u);
  EXPECT_EQ(fin[0].channel, Channel::kMail);
  EXPECT_EQ(fin[0].report_number, 2);
  EXPECT_EQ(fin[0].due_at, at + kPromptReportDeadline);
  EXPECT_EQ(fin[0].subject, "【第三期サーバ仮想基盤障害発生】");
  EXPECT_TRUE(Contains(fin[0].body, "■復旧完了時間\n2026/12/01 10:50"));
  EXPECT_TRUE(Contains(fin[0].body, "■発生日時\n2026/12/01 10:00"));
  EXPECT_EQ(fin[0].recipients,
            (std::vector<std::string>{"pm@example.jp", "juki@example.jp", "ict@example.jp"}));
}

TEST_F(IncidentActionsTest, ActionsOnAClosedIncidentAreRefused) {
  const IncidentId id = OpenVm("juki-ap01", Priority::kHigh, kTuesday10);
  const TimePoint at = kTuesday10 + minutes(50);
  ASSERT_FALSE(CloseIncidentByOperator(*ledger_, ctx_, id, "suzuki", "復旧", at));
  const std::size_t reports = TimelineOf(id).reports.size();
  const std::size_t events = TimelineOf(id).events.size();

  auto ack = AcknowledgeIncident(*ledger_, id, "suzuki", "", at);
  ASSERT_TRUE(ack);
  EXPECT_EQ(ack->kind, LedgerErrorKind::kWrongState);
  auto prio = ChangeIncidentPriority(*ledger_, ctx_, id, Priority::kLow, "suzuki", "", at);
  ASSERT_TRUE(prio);
  EXPECT_EQ(prio->kind, LedgerErrorKind::kWrongState);
  auto close = CloseIncidentByOperator(*ledger_, ctx_, id, "suzuki", "", at);
  ASSERT_TRUE(close);
  EXPECT_EQ(close->kind, LedgerErrorKind::kWrongState);
  auto note = AddProgressNote(*ledger_, ctx_, id, "suzuki", "メモ", {}, at);
  ASSERT_FALSE(note);
  EXPECT_EQ(note.error().kind, LedgerErrorKind::kWrongState);
  EXPECT_EQ(TimelineOf(id).reports.size(), reports);
  EXPECT_EQ(TimelineOf(id).events.size(), events);
}

TEST_F(IncidentActionsTest, AnnounceWorkQueuesTheWorkMails) {
  const IncidentId id = OpenVm("juki-ap01", Priority::kHigh, kTuesday10);
  WorkNotice start;
  start.worker = "基盤保守 山田";
  start.content = "ESXiホストの再起動";
  start.impact = "住基システムが約10分停止";
  start.work_at = Tokyo(2026, 12, 1, 10, 30);
  auto started = AnnounceWork(*ledger_, ctx_, id, "yamada", start, kTuesday10 + minutes(20));
  ASSERT_TRUE(started) << started.error().message;
  auto r = ledger_->GetReport(*started);
  ASSERT_TRUE(r);
  EXPECT_EQ(r->kind, ReportKind::kWorkStart);
  EXPECT_EQ(r->channel, Channel::kMail);
  EXPECT_EQ(r->subject, "【第三期サーバ仮想基盤障害発生】復旧作業開始連絡");
  EXPECT_TRUE(Contains(r->body, "■作業日時（予定）\n2026/12/01 10:30"));
  EXPECT_TRUE(Contains(r->body, "■作業担当者\n基盤保守 山田"));
  EXPECT_TRUE(Contains(r->body, "■作業内容\nESXiホストの再起動"));
  EXPECT_TRUE(Contains(r->body, "■業務影響\n住基システムが約10分停止"));
  EXPECT_TRUE(Contains(r->body, "インシデント番号: " + std::to_string(id)));
  EXPECT_EQ(r->due_at, kTuesday10 + minutes(20) + kPromptReportDeadline);
  EXPECT_EQ(r->recipients,
            (std::vector<std::string>{"pm@example.jp", "juki@example.jp", "ict@example.jp"}));

  WorkNotice done = start;
  done.done = true;
  done.work_at.reset();  // defaults to now
  auto finished = AnnounceWork(*ledger_, ctx_, id, "yamada", done, kTuesday10 + minutes(41));
  ASSERT_TRUE(finished) << finished.error().message;
  auto d = ledger_->GetReport(*finished);
  ASSERT_TRUE(d);
  EXPECT_EQ(d->kind, ReportKind::kWorkDone);
  EXPECT_EQ(d->subject, "【第三期サーバ仮想基盤障害発生】復旧作業完了連絡");
  EXPECT_TRUE(Contains(d->body, "■作業日時（実績）\n2026/12/01 10:41"));
  EXPECT_GT(d->report_number, r->report_number);

  IncidentTimeline t = TimelineOf(id);
  int work_events = 0;
  for (const IncidentEvent& e : t.events) {
    work_events += e.kind == EventKind::kWorkStart || e.kind == EventKind::kWorkDone;
  }
  EXPECT_EQ(work_events, 2);
}

TEST_F(IncidentActionsTest, SuppressionWindowRefusesUnknownTargets) {
  NewSuppression s;
  s.target_kind = SuppressionTarget::kNode;
  s.target = "no-such-vm";
  s.starts_at = kTuesday10;
  s.ends_at = kTuesday10 + hours(2);
  s.requested_by = "owner";
  s.created_at = kTuesday10;
  auto refused = AddSuppressionWindow(*ledger_, *inventory_, s);
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().kind, LedgerErrorKind::kInvalidArgument);
  EXPECT_TRUE(Contains(refused.error().message, "no-such-vm"));

  s.target_kind = SuppressionTarget::kSystem;
  s.target = "juki-ap01";  // a node, not a system
  EXPECT_FALSE(AddSuppressionWindow(*ledger_, *inventory_, s));

  s.target = "juki";
  auto added = AddSuppressionWindow(*ledger_, *inventory_, s);
  ASSERT_TRUE(added) << added.error().message;
  auto active = ledger_->ActiveSuppressions(kTuesday10 + minutes(1));
  ASSERT_TRUE(active);
  ASSERT_EQ(active->size(), 1u);
  EXPECT_FALSE(CancelSuppressionWindow(*ledger_, *added, kTuesday10 + minutes(30)));
  active = ledger_->ActiveSuppressions(kTuesday10 + minutes(31));
  ASSERT_TRUE(active);
  EXPECT_TRUE(active->empty());
}

TEST_F(IncidentActionsTest, ProgressNotesRoundTrip) {
  ProgressFacts facts{"窓口業務が停止", "12:00 頃", "ストレージ障害"};
  std::string stored = EncodeProgressNote("再起動を実施\n経過観察中", facts);
  DecodedNote decoded = DecodeProgressNote(stored);
  EXPECT_EQ(decoded.text, "再起動を実施\n経過観察中");
  EXPECT_EQ(decoded.facts.business_impact, "窓口業務が停止");
  EXPECT_EQ(decoded.facts.expected_recovery, "12:00 頃");
  EXPECT_EQ(decoded.facts.presumed_cause, "ストレージ障害");

  // Empty facts are left out; a fact's line break is flattened.
  stored = EncodeProgressNote("メモ", {"", "", "原因1\n原因2"});
  decoded = DecodeProgressNote(stored);
  EXPECT_EQ(decoded.text, "メモ");
  EXPECT_EQ(decoded.facts.business_impact, "");
  EXPECT_EQ(decoded.facts.presumed_cause, "原因1 原因2");

  decoded = DecodeProgressNote(EncodeProgressNote("", {"影響なし", "", ""}));
  EXPECT_EQ(decoded.text, "");
  EXPECT_EQ(decoded.facts.business_impact, "影響なし");

  decoded = DecodeProgressNote(EncodeProgressNote("末尾改行\n", {}));
  EXPECT_EQ(decoded.text, "末尾改行\n");
}

TEST_F(IncidentActionsTest, ContinuingReportCarriesTheLatestFactsAndTheTimeline) {
  // B, low, business hours: continuing reports on each progress, by mail.
  const IncidentId id = OpenVm("zeimu-ap01", Priority::kLow, kTuesday10, "cpu");
  ASSERT_FALSE(AcknowledgeIncident(*ledger_, id, "suzuki", "受付", kTuesday10 + minutes(5)));
  auto first = AddProgressNote(*ledger_, ctx_, id, "suzuki", "CPU使用率を調査",
                               {"一部画面の応答遅延", "11:00", "バッチ処理の集中"},
                               kTuesday10 + minutes(10));
  ASSERT_TRUE(first) << first.error().message;
  ASSERT_TRUE(*first);
  auto second = AddProgressNote(*ledger_, ctx_, id, "tanaka", "バッチを停止",
                                {"", "", "バッチ処理の暴走"}, kTuesday10 + minutes(20));
  ASSERT_TRUE(second) << second.error().message;
  ASSERT_TRUE(*second);
  auto report = ledger_->GetReport(**second);
  ASSERT_TRUE(report);
  EXPECT_EQ(report->kind, ReportKind::kContinuing);
  EXPECT_EQ(report->channel, Channel::kMail);
  const std::string& body = report->body;
  EXPECT_TRUE(Contains(body, "■業務への影響\n一部画面の応答遅延"));
  EXPECT_TRUE(Contains(body, "■復旧予定時間\n11:00"));
  EXPECT_TRUE(Contains(body, "■想定される原因\nバッチ処理の暴走"));
  EXPECT_TRUE(Contains(body, "2026/12/01 10:05 受付 (suzuki) 受付"));
  EXPECT_TRUE(Contains(body, "2026/12/01 10:10 経過 (suzuki) CPU使用率を調査"));
  EXPECT_TRUE(Contains(body, "2026/12/01 10:20 経過 (tanaka) バッチを停止"));
  EXPECT_TRUE(Contains(body, "■現象\nzeimu-ap01 cpu: OK → CRITICAL: no reply"));
  EXPECT_FALSE(Contains(body, "[想定される原因]")) << "the tags stay in the ledger";

  // The first note's report had the first values.
  auto earlier = ledger_->GetReport(**first);
  ASSERT_TRUE(earlier);
  EXPECT_TRUE(Contains(earlier->body, "■想定される原因\nバッチ処理の集中"));

  // The final report carries them too.
  ASSERT_FALSE(
      CloseIncidentByOperator(*ledger_, ctx_, id, "tanaka", "復旧確認", kTuesday10 + minutes(30)));
  auto fin = ReportsOf(id, ReportKind::kFinal);
  ASSERT_EQ(fin.size(), 1u);
  EXPECT_TRUE(Contains(fin[0].body, "■想定される原因\nバッチ処理の暴走"));
  EXPECT_TRUE(Contains(fin[0].body, "■復旧完了時間\n2026/12/01 10:30"));
}

TEST_F(IncidentActionsTest, ReportValuesWithoutNotesLeaveTheFactsToTheTemplate) {
  const IncidentId id = OpenVm("juki-ap01", Priority::kHigh, kTuesday10);
  MailValues v = ReportValues(TimelineOf(id), *inventory_);
  EXPECT_EQ(v["platform_name"], "第三期サーバ仮想基盤");
  EXPECT_EQ(v["incident_id"], std::to_string(id));
  EXPECT_EQ(v["occurred_at"], "2026/12/01 10:00");
  EXPECT_EQ(v["affected_vms"], "- juki-ap01 (juki, ホスト esx01)");
  EXPECT_FALSE(v.contains("business_impact"));
  EXPECT_FALSE(v.contains("expected_recovery"));
  EXPECT_FALSE(v.contains("presumed_cause"));
  EXPECT_FALSE(v.contains("recovered_at"));
  auto first = ReportsOf(id, ReportKind::kFirst);
  ASSERT_EQ(first.size(), 2u);
}

TEST_F(IncidentActionsTest, RecipientsFollowTheVmsCurrentSystem) {
  const IncidentId id = OpenVm("juki-ap01", Priority::kHigh, kTuesday10);
  // The VM now belongs to zeimu (a reload changed the inventory).
  auto moved = std::make_shared<Inventory>(*inventory_);
  for (Node& n : moved->nodes) {
    if (n.name == "juki-ap01") n.system = "zeimu";
  }
  Recipients to = RecipientsFor(TimelineOf(id), *moved);
  EXPECT_EQ(to.mail,
            (std::vector<std::string>{"pm@example.jp", "zeimu@example.jp", "ict@example.jp"}));
  EXPECT_EQ(to.phone, (std::vector<std::string>{"統括 太郎 <+81-59-000-0001>", "税務 二郎",
                                                "ICT 花子 <+81-59-000-0003>"}));
}

}  // namespace
}  // namespace mimamori::collector
