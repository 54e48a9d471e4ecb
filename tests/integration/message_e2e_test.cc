// The whole path for a message: logger sends an ESXi hostd error line to
// the real collector daemon, its rule's monitor fails, the incident engine
// opens an incident in the ledger and a real SMTP server (aiosmtpd)
// receives the first report; --check-config counts the message checks. And
// a backup product's failure and success lines fail and recover the backup
// job that names their rules.
#include <gtest/gtest.h>

#include <chrono>
#include <cstdio>
#include <regex>
#include <string>

#include "collector/calendar/business_calendar.h"
#include "collector/ledger/ledger.h"
#include "tests/integration/agent_process.h"
#include "tests/integration/always_open_calendar.h"
#include "tests/integration/smtp_server.h"

namespace mimamori::testing {
namespace {

using namespace std::chrono_literals;

std::string Inventory(const TempDir& dir, const std::string& smtp) {
  return R"YAML(platform_name: テスト基盤
defaults:
  intervals: {ping: 1s}
metrics: {listen: "127.0.0.1:0"}
)YAML" + AlwaysOpenCalendar() +
         R"YAML(alerting:
  ledger: )YAML" +
         (dir.path() / "ledger.db").string() + R"YAML(
  templates: )YAML" +
         std::string(MIMAMORI_SOURCE_DIR) + R"YAML(/packaging/templates
  grouping_window: 1s
  retry: {initial: 1s, max: 2s}
  mail: {url: ")YAML" +
         smtp + R"YAML(", from: kanshi@example.lg.jp, from_name: 監視システム}
  platform_managers: [{name: 統括, mail: toukatsu@example.lg.jp}]
  ict_service_center: [{name: ICT, mail: ict@example.lg.jp}]
  on_duty: [{name: 当番, mail: touban@example.lg.jp}]
messages:
  syslog: {udp: "127.0.0.1:0", tcp: off}
  interval: 1s
  rules:
    - name: hostd-error
      kinds: [esxi-host]
      program: Hostd
      severity: error
      text: "(?i)lost access to volume"
      recovered: {program: Hostd, text: "(?i)successfully restored access"}
nodes:
  - name: esx01
    address: 127.0.0.1
    kind: esxi-host
    resource: false
    syslog: {silence_limit: 24h}
)YAML";
}

TEST(MessageEndToEnd, CheckConfigCountsTheMessageChecks) {
  TempDir dir;
  const auto config = dir.Write("inventory.yaml", Inventory(dir, "smtp://127.0.0.1:25"));
  auto r = RunCommand({MIMAMORI_COLLECTOR_BINARY, "--check-config", config.string()}, 30s);
  ASSERT_EQ(r.exit_code, 0) << r.Describe();
  // ping, hardware (an ESXi host's devices), message:hostd-error,
  // message:silence
  EXPECT_NE(r.out.find("4 checks run: 4 monitored (1 node)"), std::string::npos) << r.out;
}

TEST(MessageEndToEnd, EsxiHostdErrorLineOpensAnIncidentAndTheFirstReportIsMailed) {
  auto python = FindPython();
  if (!python) GTEST_SKIP() << "python3 with aiosmtpd not found (Debian package python3-aiosmtpd)";
  SmtpServer smtp(*python, {});
  ASSERT_TRUE(smtp.started()) << smtp.log();
  TempDir dir;
  const auto config = dir.Write("inventory.yaml", Inventory(dir, smtp.url()));
  const auto log = dir.path() / "collector.log";
  std::string error;
  auto collector = ChildProcess::Spawn(
      {{MIMAMORI_COLLECTOR_BINARY, "--config", config.string()}, log, log, {}}, error);
  ASSERT_TRUE(collector) << error;
  std::smatch port;
  ASSERT_TRUE(WaitUntil(
      [&] {
        const std::string text = ReadFile(log);
        return std::regex_search(text, port, std::regex("syslog udp port ([0-9]+)"));
      },
      30s))
      << ReadFile(log);
  const std::string syslog_port = port[1].str();

  auto sent = RunCommand({"logger", "--server", "127.0.0.1", "--port", syslog_port, "--udp",
                          "--rfc5424", "-t", "Hostd", "-p", "local4.err",
                          "Lost access to volume 5f3c1b2a-datastore1 due to connectivity issues. "
                          "Recovery attempt is in progress"},
                         10s);
  ASSERT_EQ(sent.exit_code, 0) << sent.Describe();

  // The report itself (the phone duty goes to the on-duty address as a
  // mail of its own: no phone channel is configured).
  auto report_mail = [&] {
    for (int n = 1; n <= smtp.Accepted(); ++n) {
      if (smtp.Field(n, "rcpt_tos").find("toukatsu@") != std::string::npos) return n;
    }
    return 0;
  };
  ASSERT_TRUE(WaitUntil([&] { return report_mail() != 0; }, 60s)) << ReadFile(log) << smtp.log();
  const int r = report_mail();
  EXPECT_EQ(smtp.Field(r, "subject"), "【テスト基盤障害発生】");
  const bool first_report = smtp.Field(r, "body").find("第一報") != std::string::npos;
  EXPECT_TRUE(first_report) << smtp.log();
  EXPECT_NE(ReadFile(log).find("node=esx01 monitor=message:hostd-error: OK -> CRITICAL"),
            std::string::npos)
      << ReadFile(log);

  // The device's own recovery message closes it.
  sent = RunCommand(
      {"logger", "--server", "127.0.0.1", "--port", syslog_port, "--udp", "--rfc5424", "-t",
       "Hostd", "-p", "local4.info", "Successfully restored access to volume 5f3c1b2a-datastore1"},
      10s);
  ASSERT_EQ(sent.exit_code, 0) << sent.Describe();
  ASSERT_TRUE(WaitUntil(
      [&] {
        auto ledger = collector::Ledger::Open((dir.path() / "ledger.db").string());
        if (!ledger) return false;
        auto incident = ledger->GetIncident(1);
        return incident && incident->status == collector::IncidentStatus::kClosed;
      },
      60s))
      << ReadFile(log);
  collector->Stop();

  auto ledger = collector::Ledger::Open((dir.path() / "ledger.db").string());
  ASSERT_TRUE(ledger) << ledger.error().message;
  auto timeline = ledger->Timeline(1);
  ASSERT_TRUE(timeline);
  ASSERT_FALSE(timeline->monitors.empty());
  EXPECT_EQ(timeline->monitors[0].node, "esx01");
  EXPECT_EQ(timeline->monitors[0].monitor, "message:hostd-error");
  bool has_line = false;
  for (const auto& event : timeline->events) {
    has_line |= event.text.find("Lost access to volume 5f3c1b2a-datastore1") != std::string::npos;
  }
  EXPECT_TRUE(has_line) << "the syslog line is not in the incident's events";
}

// A backup server whose product says "finished with Failed/Success" in
// syslog; its rules only record, the backup job judges.
std::string BackupInventory(const TempDir& dir, const std::string& before) {
  return R"YAML(defaults:
  intervals: {ping: 1s, backup: 1s}
metrics: {listen: "127.0.0.1:0"}
alerting:
  ledger: )YAML" +
         (dir.path() / "ledger.db").string() + R"YAML(
  templates: )YAML" +
         std::string(MIMAMORI_SOURCE_DIR) + R"YAML(/packaging/templates
messages:
  syslog: {udp: "127.0.0.1:0", tcp: off}
  interval: 1s
nodes:
  - name: backup01
    address: 127.0.0.1
    resource: false
    time_sync: false
    messages:
      - {name: veeam-ok, program: Veeam_MP, text: "Job nightly finished with Success", records: success}
      - {name: veeam-failed, program: Veeam_MP, text: "Job nightly finished with Failed", records: failure}
    backups:
      - {name: nightly, message: veeam-ok, failure: veeam-failed, before: ")YAML" +
         before + R"YAML("}
)YAML";
}

TEST(MessageEndToEnd, BackupProductsFailureAndSuccessLinesFailAndRecoverTheBackupJob) {
  TempDir dir;
  // The deadline passed an hour ago, before the collector starts: the next
  // one is 23 hours away, so the job is judged by its messages alone.
  const auto tokyo = std::chrono::floor<std::chrono::minutes>(
      collector::BusinessCalendar::ToTokyo(std::chrono::system_clock::now()) - 1h);
  const auto minute = std::chrono::duration_cast<std::chrono::minutes>(
      tokyo - std::chrono::floor<std::chrono::days>(tokyo));
  char before[8];
  std::snprintf(before, sizeof before, "%02d:%02d", static_cast<int>(minute.count() / 60),
                static_cast<int>(minute.count() % 60));
  const auto config = dir.Write("inventory.yaml", BackupInventory(dir, before));
  // ping and backup:nightly; the two rules are no checks of their own.
  auto checked = RunCommand({MIMAMORI_COLLECTOR_BINARY, "--check-config", config.string()}, 30s);
  ASSERT_EQ(checked.exit_code, 0) << checked.Describe();
  EXPECT_NE(checked.out.find("2 checks run: 2 monitored (1 node)"), std::string::npos)
      << checked.out;

  const auto log = dir.path() / "collector.log";
  std::string error;
  auto collector = ChildProcess::Spawn(
      {{MIMAMORI_COLLECTOR_BINARY, "--config", config.string()}, log, log, {}}, error);
  ASSERT_TRUE(collector) << error;
  std::smatch port;
  ASSERT_TRUE(WaitUntil(
      [&] {
        const std::string text = ReadFile(log);
        return std::regex_search(text, port, std::regex("syslog udp port ([0-9]+)"));
      },
      30s))
      << ReadFile(log);
  const std::string syslog_port = port[1].str();
  auto logged = [&](const std::string& pattern) {
    return WaitUntil([&] { return std::regex_search(ReadFile(log), std::regex(pattern)); }, 30s);
  };
  // Started after the deadline, the collector knows no success from before:
  // not judged (and no incident).
  ASSERT_TRUE(
      logged("node=backup01 monitor=backup:nightly: OK -> UNKNOWN: nightly \\(message "
             "rule veeam-ok\\): not judged until "))
      << ReadFile(log);

  auto sent = RunCommand(
      {"logger", "--server", "127.0.0.1", "--port", syslog_port, "--udp", "--rfc5424", "-t",
       "Veeam_MP", "-p", "user.err", "Job nightly finished with Failed: 1 of 3 VMs processed"},
      10s);
  ASSERT_EQ(sent.exit_code, 0) << sent.Describe();
  EXPECT_TRUE(
      logged("node=backup01 monitor=backup:nightly: UNKNOWN -> CRITICAL: nightly \\(message "
             "rule veeam-ok\\): failure message \\(veeam-failed\\) at .*Job nightly "
             "finished with Failed: 1 of 3 VMs processed"))
      << ReadFile(log);

  sent = RunCommand({"logger", "--server", "127.0.0.1", "--port", syslog_port, "--udp", "--rfc5424",
                     "-t", "Veeam_MP", "-p", "user.info", "Job nightly finished with Success"},
                    10s);
  ASSERT_EQ(sent.exit_code, 0) << sent.Describe();
  EXPECT_TRUE(
      logged("node=backup01 monitor=backup:nightly: CRITICAL -> OK: nightly \\(message "
             "rule veeam-ok\\): success message at "))
      << ReadFile(log);
  collector->Stop();
  // The rules opened nothing of their own.
  EXPECT_EQ(ReadFile(log).find("monitor=message:"), std::string::npos) << ReadFile(log);
}

}  // namespace
}  // namespace mimamori::testing
