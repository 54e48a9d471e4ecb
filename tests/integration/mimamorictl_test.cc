// mimamorictl as the operator runs it: the real binary against a temporary
// inventory and ledger. Incidents are set up through the Ledger API, the
// CLI acts on them, and the test checks both what it printed and what it
// left in the ledger. Detection times are fixed dates in the past, so the
// timetable's answers do not depend on when the test runs.
#include <gtest/gtest.h>

#include <algorithm>

#include "collector/alerting/timetable.h"
#include "collector/ledger/ledger.h"
#include "tests/integration/agent_process.h"

namespace mimamori::testing {
namespace {

using collector::Channel;
using collector::EventKind;
using collector::IncidentId;
using collector::IncidentScope;
using collector::IncidentStatus;
using collector::Ledger;
using collector::Priority;
using collector::Report;
using collector::ReportKind;
using collector::ReportStatus;
using collector::TimePoint;

std::string CtlBinary() {
  if (const char* env = std::getenv("MIMAMORI_CTL_BINARY")) return env;
  return MIMAMORI_CTL_BINARY;
}

TimePoint Tokyo(const char* text) {
  auto t = collector::ParseTokyoTime(text);
  EXPECT_TRUE(t) << text;
  return t.value_or(TimePoint{});
}

std::string InventoryYaml(const std::filesystem::path& ledger) {
  return R"(platform_name: テスト基盤
systems:
  - name: 住民記録システム
    level: A
    owners: [{name: 山田太郎, mail: yamada@example.lg.jp}]
  - name: 税務システム
    level: B
    owners: [{name: 佐藤花子, mail: sato@example.lg.jp}]
nodes:
  - name: esx01
    address: 10.0.0.11
    kind: esxi-host
  - name: web01
    address: 10.0.1.21
    host: esx01
    system: 住民記録システム
  - name: tax-db01
    address: 10.0.2.31
    host: esx01
    system: 税務システム
alerting:
  platform_managers: [{name: 統括責任者, mail: manager@example.lg.jp, phone: "+81-59-000-0001"}]
  ict_service_center: [{name: ICTセンター, mail: ict@example.lg.jp}]
  ledger: )" +
         ledger.string() +
         R"(
  templates: )" MIMAMORI_SOURCE_DIR R"(/packaging/templates
)";
}

class MimamorictlTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ledger_path_ = dir_.path() / "ledger.db";
    config_ = dir_.Write("inventory.yaml", InventoryYaml(ledger_path_));
    auto ledger = Ledger::Open(ledger_path_.string());
    ASSERT_TRUE(ledger) << ledger.error().message;
    ledger_.emplace(std::move(*ledger));
  }

  /// Runs mimamorictl with the test's inventory, as operator "alice".
  CommandResult Ctl(std::vector<std::string> args) {
    std::vector<std::string> argv = {CtlBinary(), "--config", config_.string(), "--as", "alice"};
    argv.insert(argv.end(), args.begin(), args.end());
    return RunCommand(argv, std::chrono::seconds(60));
  }

  /// An open VM incident of `level` with one monitor and one affected VM.
  IncidentId OpenIncident(const std::string& level, Priority priority, TimePoint detected,
                          const std::string& title = "web01 ping 応答なし") {
    collector::NewIncident incident;
    incident.scope = IncidentScope::kVm;
    incident.title = title;
    incident.priority = priority;
    incident.service_level = level;
    incident.detected_at = detected;
    incident.opened_at = detected;
    incident.text = "ping: 2 replies missed";
    auto id = ledger_->OpenIncident(incident);
    EXPECT_TRUE(id) << id.error().message;
    const std::string system = level == "A" ? "住民記録システム" : "税務システム";
    const std::string vm = level == "A" ? "web01" : "tax-db01";
    EXPECT_FALSE(ledger_->AttachMonitor(
        {*id, vm, "ping", system, detected, "ping", collector::Status::kCritical}));
    EXPECT_FALSE(ledger_->AddAffectedVm({*id, vm, system, "esx01", detected}));
    return *id;
  }

  collector::ReportId Enqueue(IncidentId id, ReportKind kind, Channel channel, TimePoint due,
                              int number = 1) {
    collector::NewReport report;
    report.incident_id = id;
    report.report_number = number;
    report.kind = kind;
    report.channel = channel;
    report.recipients = {channel == Channel::kMail ? "manager@example.lg.jp"
                                                   : "統括責任者 <+81-59-000-0001>"};
    report.subject = "【テスト基盤障害発生】";
    report.body = "body";
    report.due_at = due;
    report.created_at = due - std::chrono::minutes(20);
    auto queued = ledger_->EnqueueReport(report);
    EXPECT_TRUE(queued) << queued.error().message;
    return *queued;
  }

  std::vector<Report> Reports(IncidentId id, ReportKind kind) {
    auto timeline = ledger_->Timeline(id);
    EXPECT_TRUE(timeline);
    std::vector<Report> out;
    for (const Report& r : timeline->reports) {
      if (r.kind == kind) out.push_back(r);
    }
    return out;
  }

  bool HasEvent(IncidentId id, EventKind kind, const std::string& text_part = "") {
    auto timeline = ledger_->Timeline(id);
    EXPECT_TRUE(timeline);
    return std::any_of(timeline->events.begin(), timeline->events.end(), [&](const auto& e) {
      return e.kind == kind && e.text.find(text_part) != std::string::npos;
    });
  }

  TempDir dir_;
  std::filesystem::path ledger_path_;
  std::filesystem::path config_;
  std::optional<Ledger> ledger_;
};

// 2025-12-01 is a Monday and no holiday: 10:00 is inside business hours.
constexpr const char* kBusinessMorning = "2025-12-01 10:00";

TEST_F(MimamorictlTest, IncidentsListsOpenOnesWithTheirSla) {
  const TimePoint detected = Tokyo(kBusinessMorning);
  const IncidentId open = OpenIncident("B", Priority::kHigh, detected);
  // B high in business hours: first report within 30 min by phone and mail;
  // both copies sent before 10:30.
  for (Channel channel : {Channel::kPhone, Channel::kMail}) {
    const auto report = Enqueue(open, ReportKind::kFirst, channel, Tokyo("2025-12-01 10:30"));
    ASSERT_TRUE(ledger_->ClaimForSending(report, Tokyo("2025-12-01 10:05")));
    ASSERT_FALSE(ledger_->MarkSent(report, Tokyo("2025-12-01 10:06"), "250 ok"));
  }
  const IncidentId closed = OpenIncident("A", Priority::kLow, detected, "閉じた障害");
  ASSERT_FALSE(ledger_->CloseIncident(closed, Tokyo("2025-12-01 11:00"), "bob", "復旧"));

  const CommandResult result = Ctl({"incidents"});
  ASSERT_EQ(result.exit_code, 0) << result.Describe();
  EXPECT_NE(result.out.find("web01 ping 応答なし"), std::string::npos) << result.out;
  EXPECT_EQ(result.out.find("閉じた障害"), std::string::npos) << result.out;
  EXPECT_NE(result.out.find("2025-12-01 10:00"), std::string::npos) << result.out;
  EXPECT_NE(result.out.find("first report: due 2025-12-01 10:30 (phone and mail): sent "
                            "2025-12-01 10:06, on time"),
            std::string::npos)
      << result.out;
  // Hourly continuing reports on the grid of the first report's due time.
  EXPECT_NE(result.out.find("next continuing report: 2025-12-01 11:30"), std::string::npos)
      << result.out;

  const CommandResult all = Ctl({"incidents", "--all"});
  ASSERT_EQ(all.exit_code, 0) << all.Describe();
  EXPECT_NE(all.out.find("閉じた障害"), std::string::npos) << all.out;
  EXPECT_NE(all.out.find("closed"), std::string::npos) << all.out;

  const CommandResult json = Ctl({"--json", "incidents"});
  ASSERT_EQ(json.exit_code, 0) << json.Describe();
  EXPECT_EQ(json.out.front(), '[');
  EXPECT_NE(json.out.find("\"id\":" + std::to_string(open)), std::string::npos) << json.out;
  EXPECT_NE(json.out.find("\"detected_at\":\"2025-12-01T10:00:00+09:00\""), std::string::npos)
      << json.out;
  EXPECT_NE(json.out.find("\"state\":\"sent\",\"sent_at\":\"2025-12-01T10:06:00+09:00\","
                          "\"late\":false"),
            std::string::npos)
      << json.out;
}

TEST_F(MimamorictlTest, IncidentsShowsAnUnsentFirstReportAsOverdue) {
  const IncidentId id = OpenIncident("A", Priority::kHigh, Tokyo(kBusinessMorning));
  const CommandResult result = Ctl({"incidents"});
  ASSERT_EQ(result.exit_code, 0) << result.Describe();
  // A high in business hours: 15 minutes; nothing queued, long past.
  EXPECT_NE(result.out.find("first report: due 2025-12-01 10:15 (phone and mail): not queued, "
                            "OVERDUE"),
            std::string::npos)
      << result.out;
  (void)id;
}

TEST_F(MimamorictlTest, ShowPrintsMonitorsVmsTimelineAndEveryReport) {
  const IncidentId id = OpenIncident("B", Priority::kHigh, Tokyo(kBusinessMorning));
  const auto phone = Enqueue(id, ReportKind::kFirst, Channel::kPhone, Tokyo("2025-12-01 10:30"));
  ASSERT_TRUE(ledger_->ClaimForSending(phone, Tokyo("2025-12-01 10:01")));
  ASSERT_FALSE(ledger_->MarkFailed(phone, "webhook: HTTP 503", Tokyo("2025-12-01 10:02")));
  const auto mail = Enqueue(id, ReportKind::kFirst, Channel::kMail, Tokyo("2025-12-01 10:30"));
  ASSERT_TRUE(ledger_->ClaimForSending(mail, Tokyo("2025-12-01 10:40")));
  ASSERT_FALSE(ledger_->MarkSent(mail, Tokyo("2025-12-01 10:41"), "250 2.0.0 queued as ABC"));

  const CommandResult result = Ctl({"show", std::to_string(id)});
  ASSERT_EQ(result.exit_code, 0) << result.Describe();
  const std::string& out = result.out;
  EXPECT_NE(out.find("incident " + std::to_string(id) + ": web01 ping 応答なし"), std::string::npos)
      << out;
  EXPECT_NE(out.find("(in business hours)"), std::string::npos) << out;
  // Monitor and affected VM with its system and host.
  EXPECT_NE(out.find("tax-db01  ping"), std::string::npos) << out;
  EXPECT_NE(out.find("税務システム  esx01"), std::string::npos) << out;
  EXPECT_NE(out.find("opened"), std::string::npos) << out;
  EXPECT_NE(out.find("ping: 2 replies missed"), std::string::npos) << out;
  // Every report: kind, channel, status, attempts, due, sent, timeliness.
  EXPECT_NE(out.find("first  phone    pending"), std::string::npos) << out;
  EXPECT_NE(out.find("last error: webhook: HTTP 503"), std::string::npos) << out;
  EXPECT_NE(out.find("first  mail     sent"), std::string::npos) << out;
  EXPECT_NE(out.find("2025-12-01 10:41  LATE"), std::string::npos) << out;
  EXPECT_NE(out.find("server reply: 250 2.0.0 queued as ABC"), std::string::npos) << out;
  EXPECT_NE(out.find("to: manager@example.lg.jp"), std::string::npos) << out;

  const CommandResult json = Ctl({"--json", "show", std::to_string(id)});
  ASSERT_EQ(json.exit_code, 0) << json.Describe();
  EXPECT_NE(json.out.find("\"affected_vms\":[{\"vm\":\"tax-db01\",\"system\":\"税務システム\","
                          "\"host\":\"esx01\""),
            std::string::npos)
      << json.out;
  EXPECT_NE(json.out.find("\"on_time\":false"), std::string::npos) << json.out;

  const CommandResult missing = Ctl({"show", "999"});
  EXPECT_EQ(missing.exit_code, 1) << missing.Describe();
  EXPECT_NE(missing.err.find("incident 999: not found"), std::string::npos) << missing.err;
}

TEST_F(MimamorictlTest, AckRecordsTheOperator) {
  const IncidentId id = OpenIncident("A", Priority::kHigh, Tokyo(kBusinessMorning));
  const CommandResult result = Ctl({"ack", std::to_string(id), "調査を開始します"});
  ASSERT_EQ(result.exit_code, 0) << result.Describe();
  EXPECT_NE(result.out.find("acknowledged by alice"), std::string::npos) << result.out;
  auto incident = ledger_->GetIncident(id);
  ASSERT_TRUE(incident);
  EXPECT_EQ(incident->acknowledged_by, "alice");
  EXPECT_TRUE(incident->acknowledged_at.has_value());
  EXPECT_TRUE(HasEvent(id, EventKind::kAcknowledged, "調査を開始します"));

  const CommandResult missing = Ctl({"ack", "4242"});
  EXPECT_EQ(missing.exit_code, 1) << missing.Describe();
  EXPECT_NE(missing.err.find("incident 4242: not found"), std::string::npos) << missing.err;
}

TEST_F(MimamorictlTest, NoteOnLowPriorityBusinessHoursIncidentQueuesContinuingReport) {
  // B low in business hours: continuing reports "on each progress", by mail.
  const IncidentId id = OpenIncident("B", Priority::kLow, Tokyo(kBusinessMorning));
  const CommandResult result =
      Ctl({"note", std::to_string(id), "DBサービスを再起動しました", "--impact",
           "税務窓口で照会が遅延", "--eta", "12:00頃", "--cause", "メモリ不足"});
  ASSERT_EQ(result.exit_code, 0) << result.Describe();
  EXPECT_NE(result.out.find("continuing report queued"), std::string::npos) << result.out;
  const auto continuing = Reports(id, ReportKind::kContinuing);
  ASSERT_EQ(continuing.size(), 1u);
  EXPECT_EQ(continuing[0].channel, Channel::kMail);
  EXPECT_EQ(continuing[0].status, ReportStatus::kPending);
  EXPECT_NE(continuing[0].body.find("税務窓口で照会が遅延"), std::string::npos)
      << continuing[0].body;
  EXPECT_NE(continuing[0].body.find("メモリ不足"), std::string::npos) << continuing[0].body;
  EXPECT_TRUE(HasEvent(id, EventKind::kProgress, "DBサービスを再起動しました"));
  // The queued report is shown with its recipients.
  EXPECT_NE(result.out.find("queued: 第"), std::string::npos) << result.out;
  EXPECT_NE(result.out.find("sato@example.lg.jp"), std::string::npos) << result.out;
}

TEST_F(MimamorictlTest, NoteOnHighPriorityIncidentOnlyFeedsTheHourlyReport) {
  const IncidentId id = OpenIncident("B", Priority::kHigh, Tokyo(kBusinessMorning));
  const CommandResult result = Ctl({"note", std::to_string(id), "原因調査中"});
  ASSERT_EQ(result.exit_code, 0) << result.Describe();
  EXPECT_NE(result.out.find("no continuing report queued"), std::string::npos) << result.out;
  EXPECT_TRUE(Reports(id, ReportKind::kContinuing).empty());
  EXPECT_TRUE(HasEvent(id, EventKind::kProgress, "原因調査中"));

  const CommandResult no_text = Ctl({"note", std::to_string(id)});
  EXPECT_EQ(no_text.exit_code, 2) << no_text.Describe();
}

TEST_F(MimamorictlTest, PriorityChangeIsRecorded) {
  const IncidentId id = OpenIncident("A", Priority::kHigh, Tokyo(kBusinessMorning));
  const CommandResult result =
      Ctl({"priority", std::to_string(id), "low", "--reason", "住民への影響なしと判明"});
  ASSERT_EQ(result.exit_code, 0) << result.Describe();
  EXPECT_NE(result.out.find("priority low (was high)"), std::string::npos) << result.out;
  auto incident = ledger_->GetIncident(id);
  ASSERT_TRUE(incident);
  EXPECT_EQ(incident->priority, Priority::kLow);
  EXPECT_TRUE(HasEvent(id, EventKind::kPriorityChange));

  const CommandResult same = Ctl({"priority", std::to_string(id), "low"});
  EXPECT_EQ(same.exit_code, 1) << same.Describe();
  EXPECT_NE(same.err.find("already low"), std::string::npos) << same.err;

  const CommandResult bad = Ctl({"priority", std::to_string(id), "urgent"});
  EXPECT_EQ(bad.exit_code, 2) << bad.Describe();
}

TEST_F(MimamorictlTest, CloseQueuesTheFinalReportAndIsRefusedTwice) {
  const IncidentId id = OpenIncident("A", Priority::kHigh, Tokyo(kBusinessMorning));
  const CommandResult result = Ctl({"close", std::to_string(id), "サービス再開を確認"});
  ASSERT_EQ(result.exit_code, 0) << result.Describe();
  EXPECT_NE(result.out.find("closed by alice"), std::string::npos) << result.out;
  auto incident = ledger_->GetIncident(id);
  ASSERT_TRUE(incident);
  EXPECT_EQ(incident->status, IncidentStatus::kClosed);
  EXPECT_EQ(incident->closed_by, "alice");
  const auto finals = Reports(id, ReportKind::kFinal);
  ASSERT_FALSE(finals.empty());
  EXPECT_EQ(finals[0].channel, Channel::kMail);
  EXPECT_NE(result.out.find("最終報"), std::string::npos) << result.out;

  const CommandResult again = Ctl({"close", std::to_string(id)});
  EXPECT_EQ(again.exit_code, 1) << again.Describe();
  EXPECT_NE(again.err.find("incident " + std::to_string(id) + ": already closed"),
            std::string::npos)
      << again.err;
  const CommandResult ack = Ctl({"ack", std::to_string(id)});
  EXPECT_EQ(ack.exit_code, 1) << ack.Describe();
  const CommandResult note = Ctl({"note", std::to_string(id), "遅れたメモ"});
  EXPECT_EQ(note.exit_code, 1) << note.Describe();
}

TEST_F(MimamorictlTest, OpenCauseProvisionalCloseAndTheRecoveryTarget) {
  // A resident's call: a failure opened by hand on web01 (level A) is
  // reported like a monitored one.
  const CommandResult opened =
      Ctl({"open", "--class", "trouble", "--title", "住民から: 画面が出ない", "--node", "web01",
           "--priority", "high", "--detected", "2025-12-01 10:00", "窓口から電話"});
  ASSERT_EQ(opened.exit_code, 0) << opened.Describe();
  EXPECT_NE(opened.out.find("incident 1: opened (trouble) by alice"), std::string::npos)
      << opened.out;
  auto trouble = ledger_->GetIncident(1);
  ASSERT_TRUE(trouble) << trouble.error().message;
  EXPECT_EQ(trouble->incident_class, "trouble");
  EXPECT_EQ(trouble->opened_by, "alice");
  EXPECT_EQ(trouble->service_level, "A");
  EXPECT_EQ(trouble->detected_at, Tokyo(kBusinessMorning));
  EXPECT_FALSE(Reports(1, ReportKind::kFirst).empty()) << "a trouble gets its first report";

  // A question is recorded, not reported.
  const CommandResult question =
      Ctl({"open", "--class", "question", "--title", "パスワード再発行の手順"});
  ASSERT_EQ(question.exit_code, 0) << question.Describe();
  EXPECT_TRUE(Reports(2, ReportKind::kFirst).empty());
  EXPECT_EQ(Ctl({"open", "--class", "complaint", "--title", "x"}).exit_code, 2);
  EXPECT_EQ(Ctl({"open", "--class", "trouble", "--title", "x", "--node", "nosuch"}).exit_code, 1);

  // Level A's 60 minutes ran out long ago.
  const CommandResult listed = Ctl({"incidents"});
  ASSERT_EQ(listed.exit_code, 0) << listed.Describe();
  EXPECT_NE(listed.out.find("PAST"), std::string::npos) << listed.out;
  EXPECT_NE(listed.out.find("recovery target: due 2025-12-01 11:00 (PAST"), std::string::npos)
      << listed.out;
  EXPECT_NE(listed.out.find("question"), std::string::npos) << listed.out;

  // Whose side: the operator says the platform.
  EXPECT_EQ(Ctl({"cause", "1", "guilty"}).exit_code, 2);
  const CommandResult cause = Ctl({"cause", "1", "platform", "--reason", "ホスト障害"});
  ASSERT_EQ(cause.exit_code, 0) << cause.Describe();
  EXPECT_EQ(ledger_->GetIncident(1)->cause, collector::IncidentCause::kPlatform);
  EXPECT_TRUE(HasEvent(1, EventKind::kCauseChange, "ホスト障害"));
  EXPECT_EQ(Ctl({"cause", "1", "platform"}).exit_code, 1);

  // 仮クローズ by the operator, then the manager's close.
  const CommandResult provisional = Ctl({"close", "1", "--provisional", "復旧を確認"});
  ASSERT_EQ(provisional.exit_code, 0) << provisional.Describe();
  trouble = ledger_->GetIncident(1);
  EXPECT_EQ(trouble->status, collector::IncidentStatus::kOpen);
  EXPECT_EQ(trouble->provisional_closed_by, "alice");
  ASSERT_TRUE(trouble->provisional_closed_at);
  EXPECT_EQ(Ctl({"close", "1", "--provisional"}).exit_code, 1);
  const CommandResult json = Ctl({"--json", "show", "1"});
  ASSERT_EQ(json.exit_code, 0) << json.Describe();
  EXPECT_NE(json.out.find("\"provisional_closed_by\":\"alice\""), std::string::npos) << json.out;
  EXPECT_NE(json.out.find("\"cause\":\"platform\""), std::string::npos) << json.out;
  EXPECT_NE(json.out.find("\"state\":\"missed\""), std::string::npos) << json.out;
  const CommandResult closed = Ctl({"close", "1", "確認済み"});
  ASSERT_EQ(closed.exit_code, 0) << closed.Describe();
  EXPECT_EQ(ledger_->GetIncident(1)->status, collector::IncidentStatus::kClosed);
  EXPECT_EQ(ledger_->GetIncident(1)->RecoveredAt(), trouble->provisional_closed_at);
}

TEST_F(MimamorictlTest, WorkStartQueuesTheNoticeWithItsFields) {
  const IncidentId id = OpenIncident("A", Priority::kHigh, Tokyo(kBusinessMorning));
  const CommandResult result = Ctl({"work", "start", std::to_string(id), "--worker", "田中一郎",
                                    "--content", "ESXiホストの再起動", "--impact",
                                    "住民記録システムが5分間停止", "--at", "2025-12-01 11:00"});
  ASSERT_EQ(result.exit_code, 0) << result.Describe();
  EXPECT_NE(result.out.find("復旧作業開始連絡"), std::string::npos) << result.out;
  const auto notices = Reports(id, ReportKind::kWorkStart);
  ASSERT_EQ(notices.size(), 1u);
  const Report& notice = notices[0];
  EXPECT_EQ(notice.channel, Channel::kMail);
  EXPECT_EQ(notice.subject, "【テスト基盤障害発生】復旧作業開始連絡");
  EXPECT_NE(notice.body.find("■作業日時（予定）\n2025/12/01 11:00"), std::string::npos)
      << notice.body;
  for (const char* field :
       {"2025/12/01 11:00", "田中一郎", "ESXiホストの再起動", "住民記録システムが5分間停止"}) {
    EXPECT_NE(notice.body.find(field), std::string::npos) << field << "\n" << notice.body;
  }
  EXPECT_NE(std::find(notice.recipients.begin(), notice.recipients.end(), "yamada@example.lg.jp"),
            notice.recipients.end());
  EXPECT_TRUE(HasEvent(id, EventKind::kWorkStart));

  const CommandResult missing = Ctl({"work", "start", std::to_string(id), "--content", "x"});
  EXPECT_EQ(missing.exit_code, 2) << missing.Describe();
  EXPECT_NE(missing.err.find("--impact"), std::string::npos) << missing.err;
  const CommandResult bad_at = Ctl({"work", "done", std::to_string(id), "--content", "x",
                                    "--impact", "y", "--at", "2025-12-01T11:00"});
  EXPECT_EQ(bad_at.exit_code, 2) << bad_at.Describe();
}

TEST_F(MimamorictlTest, SuppressAddListCancel) {
  // Windows in the future, whenever the test runs: only the dates move.
  const TimePoint start = std::chrono::floor<std::chrono::hours>(std::chrono::system_clock::now()) +
                          std::chrono::hours(24);
  const std::string start_text = collector::FormatTokyoTime(start);
  const std::string end_text = collector::FormatTokyoTime(start + std::chrono::hours(3));

  const CommandResult added = Ctl({"suppress", "add", "--node", "web01", "--start", start_text,
                                   "--end", end_text, "--reason", "法定点検"});
  ASSERT_EQ(added.exit_code, 0) << added.Describe();
  EXPECT_NE(added.out.find("node web01 (住民記録システム) suppressed"), std::string::npos)
      << added.out;
  auto list = ledger_->ListSuppressions(TimePoint{});
  ASSERT_TRUE(list);
  ASSERT_EQ(list->size(), 1u);
  const auto& s = list->front();
  EXPECT_EQ(s.target, "web01");
  EXPECT_EQ(s.target_kind, collector::SuppressionTarget::kNode);
  EXPECT_EQ(s.requested_by, "alice");
  EXPECT_EQ(s.reason, "法定点検");
  EXPECT_EQ(s.starts_at, start);

  const CommandResult system = Ctl({"suppress", "add", "--system", "税務システム", "--start",
                                    start_text, "--end", end_text, "--reason", "計画停止"});
  ASSERT_EQ(system.exit_code, 0) << system.Describe();

  const CommandResult listed = Ctl({"suppress", "list"});
  ASSERT_EQ(listed.exit_code, 0) << listed.Describe();
  EXPECT_NE(listed.out.find("node web01"), std::string::npos) << listed.out;
  EXPECT_NE(listed.out.find("system 税務システム"), std::string::npos) << listed.out;
  EXPECT_NE(listed.out.find("scheduled"), std::string::npos) << listed.out;
  EXPECT_NE(listed.out.find("法定点検"), std::string::npos) << listed.out;

  const std::string id = std::to_string(s.id);
  const CommandResult cancelled = Ctl({"suppress", "cancel", id});
  ASSERT_EQ(cancelled.exit_code, 0) << cancelled.Describe();
  auto after = ledger_->GetSuppression(s.id);
  ASSERT_TRUE(after);
  EXPECT_TRUE(after->cancelled_at.has_value());
  const CommandResult twice = Ctl({"suppress", "cancel", id});
  EXPECT_EQ(twice.exit_code, 1) << twice.Describe();
  EXPECT_NE(twice.err.find("suppression " + id + ": already cancelled"), std::string::npos)
      << twice.err;
  const CommandResult unknown_id = Ctl({"suppress", "cancel", "999"});
  EXPECT_EQ(unknown_id.exit_code, 1) << unknown_id.Describe();

  const CommandResult all = Ctl({"suppress", "list", "--all"});
  ASSERT_EQ(all.exit_code, 0) << all.Describe();
  EXPECT_NE(all.out.find("cancelled"), std::string::npos) << all.out;
}

TEST_F(MimamorictlTest, SuppressRefusesUnknownTargetsAndBadPeriods) {
  const TimePoint start = std::chrono::floor<std::chrono::hours>(std::chrono::system_clock::now()) +
                          std::chrono::hours(24);
  const std::string start_text = collector::FormatTokyoTime(start);
  const std::string end_text = collector::FormatTokyoTime(start + std::chrono::hours(1));

  const CommandResult node = Ctl({"suppress", "add", "--node", "nope01", "--start", start_text,
                                  "--end", end_text, "--reason", "x"});
  EXPECT_EQ(node.exit_code, 2) << node.Describe();
  EXPECT_NE(node.err.find("unknown node 'nope01'"), std::string::npos) << node.err;
  const CommandResult system = Ctl({"suppress", "add", "--system", "存在しない", "--start",
                                    start_text, "--end", end_text, "--reason", "x"});
  EXPECT_EQ(system.exit_code, 2) << system.Describe();
  const CommandResult reversed = Ctl({"suppress", "add", "--node", "web01", "--start", end_text,
                                      "--end", start_text, "--reason", "x"});
  EXPECT_EQ(reversed.exit_code, 2) << reversed.Describe();
  EXPECT_NE(reversed.err.find("is not after --start"), std::string::npos) << reversed.err;
  const CommandResult both = Ctl({"suppress", "add", "--node", "web01", "--system", "税務システム",
                                  "--start", start_text, "--end", end_text, "--reason", "x"});
  EXPECT_EQ(both.exit_code, 2) << both.Describe();
  auto list = ledger_->ListSuppressions(TimePoint{});
  ASSERT_TRUE(list);
  EXPECT_TRUE(list->empty());
}

TEST_F(MimamorictlTest, MonthlyReportPrintsTextAndCsv) {
  const IncidentId id = OpenIncident("B", Priority::kHigh, Tokyo(kBusinessMorning));
  ASSERT_FALSE(ledger_->CloseIncident(id, Tokyo("2025-12-01 11:00"), "bob", "復旧"));

  const CommandResult text = Ctl({"report", "monthly", "2025-12"});
  ASSERT_EQ(text.exit_code, 0) << text.Describe();
  EXPECT_NE(text.out.find("月次報告"), std::string::npos) << text.out;
  EXPECT_NE(text.out.find("テスト基盤"), std::string::npos) << text.out;

  const CommandResult csv = Ctl({"report", "monthly", "2025-12", "--csv"});
  ASSERT_EQ(csv.exit_code, 0) << csv.Describe();
  EXPECT_EQ(csv.out.rfind("section,", 0), 0u) << csv.out;
  EXPECT_NE(csv.out.find("\r\n"), std::string::npos);
  EXPECT_NE(csv.out.find("2025-12"), std::string::npos) << csv.out;

  const CommandResult bad = Ctl({"report", "monthly", "2025-13"});
  EXPECT_EQ(bad.exit_code, 2) << bad.Describe();
}

TEST_F(MimamorictlTest, TimetableDryRunShowsTheBusinessHoursRow) {
  const CommandResult result = Ctl({"timetable", "--level", "B", "--priority", "high", "--scope",
                                    "vm", "--at", "2026-12-28 17:40"});
  ASSERT_EQ(result.exit_code, 0) << result.Describe();
  const std::string& out = result.out;
  EXPECT_NE(out.find("2026-12-28 17:40 (業務時間内 / in business hours)"), std::string::npos)
      << out;
  EXPECT_NE(out.find("2026-12-28 18:10  第一報 / first report"), std::string::npos) << out;
  EXPECT_NE(out.find("電話・メール / phone and mail"), std::string::npos) << out;
  EXPECT_NE(out.find("calendar of " + config_.string()), std::string::npos) << out;

  const CommandResult bad = Ctl({"timetable", "--level", "D", "--priority", "high"});
  EXPECT_EQ(bad.exit_code, 2) << bad.Describe();
}

TEST_F(MimamorictlTest, CheckConfigReportsOkOrEveryErrorWithItsLine) {
  const CommandResult ok = Ctl({"check-config"});
  ASSERT_EQ(ok.exit_code, 0) << ok.Describe() << ok.out;
  EXPECT_NE(ok.out.find(": OK: 2 systems, 3 nodes"), std::string::npos) << ok.out;
  // esx01: ping, resource, time, hardware; the two VMs: ping, resource, time.
  EXPECT_NE(ok.out.find("\nchecks: 10 checks run: 10 monitored (3 nodes)\n"), std::string::npos)
      << ok.out;

  // What really runs, per state: a node before go-live, one in acceptance
  // testing and a disabled one are counted apart.
  std::string yaml = InventoryYaml(ledger_path_);
  yaml.replace(yaml.find("alerting:\n"), 0,
               "  - {name: new01, address: 10.0.3.1, monitoring_starts: 2261-12-31}\n"
               "  - {name: test01, address: 10.0.3.2, acceptance_testing: true}\n"
               "  - {name: off01, address: 10.0.3.3, enabled: false, ports: [22]}\n");
  const auto states = dir_.Write("states.yaml", yaml);
  const CommandResult counted =
      RunCommand({CtlBinary(), "--config", states.string(), "check-config"});
  ASSERT_EQ(counted.exit_code, 0) << counted.Describe();
  EXPECT_NE(counted.out.find("\nchecks: 13 checks run: 10 monitored (3 nodes), 3 "
                             "acceptance-testing (1 node); not run: 3 before-go-live (1 node), 4 "
                             "disabled (1 node)\n"),
            std::string::npos)
      << counted.out;
  EXPECT_NE(ok.out.find("7 templates"), std::string::npos) << ok.out;

  const auto bad = dir_.Write("bad.yaml", InventoryYaml(ledger_path_) + "bogus_key: 1\n");
  const CommandResult result = RunCommand({CtlBinary(), "--config", bad.string(), "check-config"});
  EXPECT_EQ(result.exit_code, 2) << result.Describe();
  EXPECT_NE(result.err.find(bad.string() + ":"), std::string::npos) << result.err;
  EXPECT_NE(result.err.find("bogus_key"), std::string::npos) << result.err;
}

// A TimePoint ends in 2262; before the range check 9999-12-31 wrapped round
// to 1816 and 2262-04-12 ran the dry run out of memory. Every option that
// takes a time or a day is refused alike, before anything is touched.
TEST_F(MimamorictlTest, TimesOutsideTheSupportedRangeAreRefusedForEveryOption) {
  const IncidentId id = OpenIncident("A", Priority::kHigh, Tokyo(kBusinessMorning));
  const std::string incident = std::to_string(id);
  const std::string range = "(1970-01-01 00:00 to 2261-12-31 23:59)";
  struct Case {
    std::vector<std::string> args;
    std::string error;
  };
  const std::vector<Case> cases = {
      {{"timetable", "--level", "A", "--priority", "high", "--at", "9999-12-31 00:00"},
       "--at '9999-12-31 00:00' is outside the supported times " + range},
      {{"timetable", "--level", "A", "--priority", "high", "--at", "2262-04-12 00:00"},
       "--at '2262-04-12 00:00' is outside the supported times " + range},
      {{"timetable", "--level", "A", "--priority", "high", "--at=1969-12-31 23:59"},
       "--at '1969-12-31 23:59' is outside the supported times " + range},
      {{"work", "start", incident, "--content", "c", "--impact", "i", "--at", "9999-12-31 00:00"},
       "--at '9999-12-31 00:00' is outside the supported times " + range},
      {{"work", "done", incident, "--content", "c", "--impact", "i", "--at", "2262-04-12 09:00"},
       "--at '2262-04-12 09:00' is outside the supported times " + range},
      {{"suppress", "add", "--node", "web01", "--start", "2262-04-12 09:00", "--end",
        "2262-04-12 10:00", "--reason", "x"},
       "--start '2262-04-12 09:00' is outside the supported times " + range},
      {{"suppress", "add", "--node", "web01", "--start", "2030-01-01 09:00", "--end",
        "9999-12-31 00:00", "--reason", "x"},
       "--end '9999-12-31 00:00' is outside the supported times " + range},
      {{"incidents", "--since", "9999-12-31"},
       "--since '9999-12-31' is outside the supported times " + range},
      {{"incidents", "--since", "1969-12-31"},
       "--since '1969-12-31' is outside the supported times " + range},
      {{"report", "monthly", "9999-12"}, "month '9999-12' is outside the supported times " + range},
      {{"report", "monthly", "2262-04"}, "month '2262-04' is outside the supported times " + range},
  };
  for (const Case& c : cases) {
    const CommandResult result = Ctl(c.args);
    EXPECT_EQ(result.exit_code, 2) << c.args[0] << " " << c.error << "\n" << result.Describe();
    EXPECT_NE(result.err.find("mimamorictl: " + c.error + "\n"), std::string::npos) << result.err;
  }
  // The last supported minute still works, and nothing above left a trace.
  const CommandResult last = Ctl({"timetable", "--level", "A", "--priority", "high", "--at",
                                  "2261-12-31 23:59", "--hours", "336"});
  EXPECT_EQ(last.exit_code, 0) << last.Describe();
  EXPECT_NE(last.out.find("検知 / detected: 2261-12-31 23:59"), std::string::npos) << last.out;
  EXPECT_TRUE(Reports(id, ReportKind::kWorkStart).empty());
  EXPECT_TRUE(Reports(id, ReportKind::kWorkDone).empty());
  auto suppressions = ledger_->ListSuppressions(TimePoint{});
  ASSERT_TRUE(suppressions);
  EXPECT_TRUE(suppressions->empty());
}

// --json shares the collector's escaper: a byte that is not UTF-8 (here in
// a title taken from a process argument) becomes U+FFFD, DEL is escaped.
TEST_F(MimamorictlTest, JsonOutputReplacesMalformedUtf8) {
  const IncidentId id =
      OpenIncident("A", Priority::kHigh, Tokyo(kBusinessMorning), "web01 httpd \xff-D\x7f");
  const CommandResult result = Ctl({"--json", "show", std::to_string(id)});
  ASSERT_EQ(result.exit_code, 0) << result.Describe();
  EXPECT_NE(result.out.find("\"web01 httpd \xEF\xBF\xBD-D\\u007f\""), std::string::npos)
      << result.out;
  EXPECT_EQ(result.out.find('\xff'), std::string::npos);
}

TEST_F(MimamorictlTest, UsageErrorsExitTwo) {
  EXPECT_EQ(Ctl({}).exit_code, 2);
  EXPECT_EQ(Ctl({"frobnicate"}).exit_code, 2);
  const CommandResult typo = Ctl({"priority", "1", "low", "--reaosn", "x"});
  EXPECT_EQ(typo.exit_code, 2) << typo.Describe();
  EXPECT_NE(typo.err.find("unknown option --reaosn"), std::string::npos) << typo.err;
  EXPECT_EQ(Ctl({"show", "abc"}).exit_code, 2);
  const CommandResult missing_config =
      RunCommand({CtlBinary(), "--config", (dir_.path() / "absent.yaml").string(), "incidents"});
  EXPECT_EQ(missing_config.exit_code, 2) << missing_config.Describe();
}

}  // namespace
}  // namespace mimamori::testing
