// The whole path with real processes: our agent reports a process missing,
// the collector daemon confirms it, opens an incident and a real SMTP server
// (aiosmtpd) receives the first report; the process starts, and the final
// report arrives. kill -9 of the collector in between loses nothing and
// repeats nothing.
#include <gtest/gtest.h>
#include <signal.h>

#include <chrono>
#include <regex>
#include <string>
#include <thread>

#include "collector/alerting/timetable.h"
#include "collector/calendar/business_calendar.h"
#include "collector/ledger/ledger.h"
#include "tests/integration/agent_process.h"
#include "tests/integration/always_open_calendar.h"
#include "tests/integration/smtp_server.h"

namespace mimamori::testing {
namespace {

using namespace std::chrono_literals;

std::string CollectorBinary() { return MIMAMORI_COLLECTOR_BINARY; }

std::string Inventory(const TempDir& dir, std::uint16_t agent_port, const std::string& smtp) {
  return R"(platform_name: テスト基盤
defaults:
  intervals: {ping: 1s, process: 1s}
metrics: {listen: "127.0.0.1:0"}
)" + AlwaysOpenCalendar() +
         R"(alerting:
  ledger: )" +
         (dir.path() / "ledger.db").string() + R"(
  templates: )" +
         std::string(MIMAMORI_SOURCE_DIR) + R"(/packaging/templates
  grouping_window: 1s
  retry: {initial: 1s, max: 2s}
  mail: {url: ")" +
         smtp + R"(", from: kanshi@example.lg.jp, from_name: 監視システム}
  platform_managers: [{name: 統括, mail: toukatsu@example.lg.jp}]
  ict_service_center: [{name: ICT, mail: ict@example.lg.jp}]
  on_duty: [{name: 当番, mail: touban@example.lg.jp}]
systems:
  - name: juki
    level: A
    owners: [{name: 住基担当, mail: juki@example.lg.jp, phone: "+81-59-000-0000"}]
nodes:
  - name: localhost
    address: 127.0.0.1
    system: juki
    resource: false
    snmp: {port: )" +
         std::to_string(agent_port) + R"(}
    processes:
      - {name: batch, command: ".*sleep", arguments: "7654321"}
)";
}

ChildProcess StartCollector(const std::filesystem::path& config, const std::filesystem::path& log) {
  std::string error;
  auto child =
      ChildProcess::Spawn({{CollectorBinary(), "--config", config.string()}, log, log, {}}, error);
  EXPECT_TRUE(child) << error;
  return child ? std::move(*child) : ChildProcess{};
}

TEST(AlertingEndToEnd, MissingProcessIsMailedFirstAndFinalAcrossAKill9) {
  auto python = FindPython();
  if (!python) GTEST_SKIP() << "python3 with aiosmtpd not found (Debian package python3-aiosmtpd)";
  SmtpServer smtp(*python, {});
  ASSERT_TRUE(smtp.started()) << smtp.log();
  std::string error;
  auto agent = AgentProcess::Start({}, error);
  ASSERT_TRUE(agent) << error;
  TempDir dir;
  const auto config = dir.Write("inventory.yaml", Inventory(dir, agent->port(), smtp.url()));
  const auto log = dir.path() / "collector.log";

  auto collector = StartCollector(config, log);
  // Level A, high, business hours: first report within 15 min by phone and
  // mail. No phone channel is configured, so the phone duty goes to the
  // on-duty address as a mail too.
  ASSERT_TRUE(WaitUntil([&] { return smtp.Accepted() >= 2; }, 60s)) << ReadFile(log) << smtp.log();
  std::string report_mail, duty_mail;
  for (int n = 1; n <= smtp.Accepted(); ++n) {
    (smtp.Field(n, "rcpt_tos").find("touban@") != std::string::npos ? duty_mail : report_mail) =
        std::to_string(n);
  }
  ASSERT_FALSE(report_mail.empty());
  ASSERT_FALSE(duty_mail.empty());
  const int r = std::stoi(report_mail);
  EXPECT_EQ(smtp.Field(r, "subject"), "【テスト基盤障害発生】");
  EXPECT_EQ(smtp.Field(r, "rcpt_tos"),
            "toukatsu@example.lg.jp\njuki@example.lg.jp\nict@example.lg.jp");
  const std::string body = smtp.Field(r, "body");
  EXPECT_NE(body.find("第一報"), std::string::npos) << body;
  EXPECT_NE(body.find("- localhost (juki)"), std::string::npos) << body;
  EXPECT_NE(smtp.Field(r, "message_id").find("<mimamori.incident-1.report-1@"), std::string::npos);
  const std::string duty = smtp.Field(std::stoi(duty_mail), "body");
  EXPECT_NE(duty.find("住基担当 <+81-59-000-0000>"), std::string::npos) << duty;

  // kill -9 once both are recorded sent (a kill between the server's 250
  // and that record is the documented duplicate window, not this test's
  // subject), then start again: the open incident is found in the ledger,
  // its monitor is presumed failing and checked first (still missing: no
  // change), and no report is sent a second time.
  ASSERT_TRUE(WaitUntil(
      [&] {
        auto ledger = collector::Ledger::Open((dir.path() / "ledger.db").string());
        if (!ledger) return false;
        auto timeline = ledger->Timeline(1);
        if (!timeline || timeline->reports.size() < 2) return false;
        for (const auto& report : timeline->reports) {
          if (report.status != collector::ReportStatus::kSent) return false;
        }
        return true;
      },
      30s));
  ::kill(collector.pid(), SIGKILL);
  collector.Stop();
  const int before = smtp.Accepted();
  auto again = StartCollector(config, log);
  ASSERT_TRUE(WaitUntil(
      [&] {
        return std::regex_search(ReadFile(log),
                                 std::regex("1 monitors were failing when the collector stopped"));
      },
      30s))
      << ReadFile(log);
  std::this_thread::sleep_for(3s);  // what a duplicate would need to arrive
  EXPECT_EQ(smtp.Accepted(), before) << smtp.log();

  // The process comes back: the incident closes and the final report goes
  // out, threaded to the first.
  std::string spawn_error;
  auto batch =
      ChildProcess::Spawn({{"sleep", "7654321"}, "/dev/null", "/dev/null", {}}, spawn_error);
  ASSERT_TRUE(batch) << spawn_error;
  ASSERT_TRUE(WaitUntil([&] { return smtp.Accepted() > before; }, 60s)) << ReadFile(log);
  const int f = smtp.Accepted();
  EXPECT_EQ(smtp.Field(f, "subject"), "【テスト基盤障害発生】");
  EXPECT_NE(smtp.Field(f, "body").find("最終報"), std::string::npos) << smtp.Field(f, "body");
  EXPECT_NE(smtp.Field(f, "body").find("復旧完了"), std::string::npos);
  EXPECT_EQ(smtp.Field(f, "in_reply_to"), smtp.Field(r, "message_id"));
  again.Stop();

  auto ledger = collector::Ledger::Open((dir.path() / "ledger.db").string());
  ASSERT_TRUE(ledger) << ledger.error().message;
  auto incident = ledger->GetIncident(1);
  ASSERT_TRUE(incident);
  EXPECT_EQ(incident->status, collector::IncidentStatus::kClosed);
  auto timeline = ledger->Timeline(1);
  ASSERT_TRUE(timeline);
  for (const auto& report : timeline->reports) {
    EXPECT_EQ(report.status, collector::ReportStatus::kSent)
        << report.id << " " << collector::ToString(report.kind);
    EXPECT_EQ(report.on_time, true) << report.id;
  }
  auto second = ledger->GetIncident(2);
  EXPECT_FALSE(second) << "a second incident was opened after the restart";
}

}  // namespace
}  // namespace mimamori::testing
