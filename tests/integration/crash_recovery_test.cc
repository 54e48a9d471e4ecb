// Issue 13, with real processes: our agent, the collector daemon killed with
// SIGKILL at the two moments that used to lose or merge failures, and a real
// SMTP server (aiosmtpd). Ground truth is what the collector itself logged as
// confirmed ("OK -> CRITICAL"); every such failure must end as an incident of
// its own (or as part of one still open), with each report received once.
//   1. killed inside the grouping window: the confirmed failure was only in
//      memory, and ended before the restarted collector could see it;
//   2. killed again right after a restart, while the previous run's incident
//      was being decided: it must close on its monitor's first OK check, with
//      that check's time, and a new failure of the same node must get an
//      incident (and a first report) of its own.
#include <gtest/gtest.h>
#include <signal.h>

#include <chrono>
#include <map>
#include <regex>
#include <set>
#include <string>
#include <thread>

#include "collector/calendar/business_calendar.h"
#include "collector/ledger/ledger.h"
#include "tests/integration/agent_process.h"
#include "tests/integration/always_open_calendar.h"
#include "tests/integration/sleep_argument.h"
#include "tests/integration/smtp_server.h"

namespace mimamori::testing {
namespace {

using namespace std::chrono_literals;
using collector::IncidentStatus;
using collector::Ledger;
using collector::ReportStatus;

/// A `sleep` with a recognisable argument: the process a monitor watches.
class WatchedProcess {
 public:
  explicit WatchedProcess(std::string argument) : argument_(std::move(argument)) {}
  void Start() {
    if (child_ && child_->Running()) return;
    std::string error;
    child_ = ChildProcess::Spawn({{"sleep", argument_}, "/dev/null", "/dev/null", {}}, error);
    ASSERT_TRUE(child_) << error;
  }
  void Kill() {
    if (child_) child_->Stop(0ms);
    child_.reset();
  }

 private:
  std::string argument_;
  std::optional<ChildProcess> child_;
};

class CrashRecoveryTest : public ::testing::Test {
 protected:
  void SetUp() override {
    python_ = FindPython();
    if (!python_)
      GTEST_SKIP() << "python3 with aiosmtpd not found (Debian package python3-aiosmtpd)";
    smtp_ = std::make_unique<SmtpServer>(*python_, SmtpServer::Options{});
    ASSERT_TRUE(smtp_->started()) << smtp_->log();
    std::string error;
    AgentOptions agent;
    agent.config_yaml = "cache_lifetime: 200ms\n";
    agent_ = AgentProcess::Start(agent, error);
    ASSERT_TRUE(agent_) << error;
  }

  std::filesystem::path LedgerPath() const { return dir_.path() / "ledger.db"; }

  /// One node, "vm1", watching processes a and b.
  void WriteInventory() {
    config_ = dir_.Write("inventory.yaml", R"(platform_name: テスト基盤
defaults:
  intervals: {ping: 1s, process: 1s}
metrics: {listen: "127.0.0.1:0"}
)" + AlwaysOpenCalendar() + R"(alerting:
  ledger: )" + LedgerPath().string() + R"(
  templates: )" + std::string(MIMAMORI_SOURCE_DIR) +
                                               R"(/packaging/templates
  grouping_window: 10s
  retry: {initial: 1s, max: 2s}
  mail: {url: ")" + smtp_->url() + R"(", from: kanshi@example.lg.jp}
  platform_managers: [{name: 統括, mail: toukatsu@example.lg.jp}]
  on_duty: [{name: 当番, mail: touban@example.lg.jp}]
systems:
  - {name: juki, level: A, owners: [{name: 住基担当, mail: juki@example.lg.jp}]}
nodes:
  - name: vm1
    address: 127.0.0.1
    system: juki
    resource: false
    snmp: {port: )" + std::to_string(agent_->port()) +
                                               R"(}
    processes:
      - {name: a, command: ".*sleep", arguments: ")" +
                                               SleepArgument(1) + R"("}
      - {name: b, command: ".*sleep", arguments: ")" +
                                               SleepArgument(2) + R"("}
)");
  }

  /// Starts a collector run with a log of its own; waits until its first
  /// checks are done.
  void StartCollector() {
    const auto log = dir_.path() / ("collector-" + std::to_string(logs_.size()) + ".log");
    logs_.push_back(log);
    std::string error;
    collector_ = ChildProcess::Spawn(
        {{MIMAMORI_COLLECTOR_BINARY, "--config", config_.string()}, log, log, {}}, error);
    ASSERT_TRUE(collector_) << error;
  }
  void KillCollector() {
    ASSERT_TRUE(collector_);
    ::kill(collector_->pid(), SIGKILL);
    collector_->Stop();
    collector_.reset();
  }
  std::string CurrentLog() const { return ReadFile(logs_.back()); }
  std::string AllLogs() const {
    std::string out;
    for (const auto& l : logs_) out += ReadFile(l);
    return out;
  }
  bool Logged(const std::string& pattern) const {
    return std::regex_search(CurrentLog(), std::regex(pattern));
  }
  /// Confirmed failures of a monitor over every run: the ground truth.
  int ConfirmedFailures(const std::string& monitor) const {
    const std::string all = AllLogs();
    const std::regex line("monitor=" + monitor + ": OK -> (WARNING|CRITICAL)");
    return static_cast<int>(
        std::distance(std::sregex_iterator(all.begin(), all.end(), line), std::sregex_iterator()));
  }

  /// Every incident, with its monitors, once all its reports are out.
  std::vector<collector::IncidentTimeline> Incidents() {
    auto ledger = Ledger::Open(LedgerPath().string());
    EXPECT_TRUE(ledger) << ledger.error().message;
    std::vector<collector::IncidentTimeline> out;
    if (!ledger) return out;
    auto all = ledger->RecentIncidents({}, 1000);
    EXPECT_TRUE(all);
    for (auto it = all->rbegin(); it != all->rend(); ++it) out.push_back(*ledger->Timeline(it->id));
    return out;
  }
  bool AllClosedAndSent() {
    auto incidents = Incidents();
    if (incidents.empty()) return false;
    for (const auto& t : incidents) {
      if (t.incident.status != IncidentStatus::kClosed) return false;
      for (const auto& r : t.reports) {
        if (r.status != ReportStatus::kSent) return false;
      }
    }
    return true;
  }

  /// Message-IDs received, and how often each.
  std::map<std::string, int> Received() const {
    std::map<std::string, int> ids;
    for (const std::string& id : smtp_->Column("message_id")) ++ids[id];
    return ids;
  }

  void ExpectEveryReportOnce(std::size_t incidents) {
    auto received = Received();
    for (const auto& [id, n] : received) EXPECT_EQ(n, 1) << "duplicated: " << id;
    // Level A, business hours: first report by mail and phone (the phone
    // duty goes to the on-duty mail, no phone channel), final report by mail.
    EXPECT_EQ(received.size(), 3 * incidents) << smtp_->log();
    for (const auto& t : Incidents()) {
      for (const auto& r : t.reports) {
        // A phone report reached the on-duty mail as "<on-duty.x@d>".
        std::string id = r.message_id;
        if (r.channel == collector::Channel::kPhone) id.insert(1, "on-duty.");
        EXPECT_TRUE(received.contains(id)) << "lost: incident " << t.incident.id << " "
                                           << collector::ToString(r.kind) << " " << id;
      }
    }
  }

  std::optional<std::string> python_;
  std::unique_ptr<SmtpServer> smtp_;
  std::unique_ptr<AgentProcess> agent_;
  TempDir dir_;
  std::filesystem::path config_;
  std::vector<std::filesystem::path> logs_;
  std::optional<ChildProcess> collector_;
};

TEST_F(CrashRecoveryTest, KilledInsideTheGroupingWindowTheFailureStillGetsItsIncident) {
  WatchedProcess a(SleepArgument(1)), b(SleepArgument(2));
  a.Start();
  b.Start();
  WriteInventory();
  StartCollector();
  ASSERT_TRUE(WaitUntil([&] { return Logged("monitors; /metrics on port"); }, 30s)) << CurrentLog();
  std::this_thread::sleep_for(2s);  // a few OK checks of both

  a.Kill();
  ASSERT_TRUE(WaitUntil([&] { return Logged("monitor=process:a: OK -> CRITICAL"); }, 30s))
      << CurrentLog();
  KillCollector();  // well inside the 10 s window, even on a loaded machine
  EXPECT_FALSE(std::regex_search(AllLogs(), std::regex("incident opened")))
      << "the kill came too late to test the window";
  // The failure ends while the collector is down: only the ledger knows.
  a.Start();
  StartCollector();
  ASSERT_TRUE(WaitUntil([&] { return AllClosedAndSent() && smtp_->Accepted() >= 3; }, 60s))
      << CurrentLog() << smtp_->log();
  std::this_thread::sleep_for(2s);  // what a duplicate would need to arrive

  auto incidents = Incidents();
  EXPECT_EQ(ConfirmedFailures("process:a"), 1) << AllLogs();
  ASSERT_EQ(incidents.size(), 1u) << AllLogs();
  EXPECT_EQ(incidents[0].monitors.size(), 1u);
  EXPECT_EQ(incidents[0].monitors[0].monitor, "process:a");
  // Detected when it was confirmed, not when the second run saw it.
  EXPECT_LT(incidents[0].incident.detected_at, incidents[0].incident.opened_at);
  ExpectEveryReportOnce(1);
  collector_->Stop();
}

TEST_F(CrashRecoveryTest, KilledDuringTheRestartCheckClosesOnTheFirstOkAndKeepsNewFailuresApart) {
  WatchedProcess a(SleepArgument(1)), b(SleepArgument(2));
  a.Start();
  b.Start();
  WriteInventory();
  StartCollector();
  ASSERT_TRUE(WaitUntil([&] { return Logged("monitors; /metrics on port"); }, 30s)) << CurrentLog();
  std::this_thread::sleep_for(2s);

  // process:a fails: incident 1 and its first report.
  a.Kill();
  // Killed once both are recorded sent (a kill between the server's 250
  // and that record is the one duplicate window no ledger can close; the
  // crash script in bench/ measures it).
  ASSERT_TRUE(WaitUntil(
      [&] {
        auto incidents = Incidents();
        if (incidents.size() != 1 || incidents[0].reports.size() != 2) return false;
        for (const auto& r : incidents[0].reports) {
          if (r.status != ReportStatus::kSent) return false;
        }
        return true;
      },
      60s))
      << CurrentLog();
  KillCollector();

  // While the collector is down, a comes back and b goes.
  a.Start();
  b.Kill();
  StartCollector();
  // Killed again while it decides the inherited incident ...
  ASSERT_TRUE(
      WaitUntil([&] { return Logged("monitors were failing when the collector stopped"); }, 30s))
      << CurrentLog();
  KillCollector();
  // ... and started a third time.
  const auto third_start = std::chrono::system_clock::now();
  StartCollector();
  ASSERT_TRUE(WaitUntil(
      [&] {
        auto incidents = Incidents();
        return incidents.size() >= 2 && incidents[0].incident.status == IncidentStatus::kClosed &&
               smtp_->Accepted() >= 5;
      },
      60s))
      << CurrentLog() << smtp_->log();

  // b comes back: incident 2 closes too.
  b.Start();
  ASSERT_TRUE(WaitUntil([&] { return AllClosedAndSent() && smtp_->Accepted() >= 6; }, 60s))
      << CurrentLog() << smtp_->log();
  std::this_thread::sleep_for(2s);

  auto incidents = Incidents();
  ASSERT_EQ(incidents.size(), 2u) << AllLogs();
  EXPECT_EQ(ConfirmedFailures("process:a"), 1);
  EXPECT_EQ(ConfirmedFailures("process:b"), 1);
  // Incident 1 is a's alone, closed by the first OK check of a run (not by a
  // reconciliation half a minute later).
  ASSERT_EQ(incidents[0].monitors.size(), 1u);
  EXPECT_EQ(incidents[0].monitors[0].monitor, "process:a");
  ASSERT_TRUE(incidents[0].incident.closed_at);
  EXPECT_LT(*incidents[0].incident.closed_at - third_start, 15s);
  // Incident 2 is b's, with a first report of its own.
  ASSERT_EQ(incidents[1].monitors.size(), 1u);
  EXPECT_EQ(incidents[1].monitors[0].monitor, "process:b");
  ExpectEveryReportOnce(2);

  // The final report's 現象 is the failure, not the recovery.
  for (int n = 1; n <= smtp_->Accepted(); ++n) {
    const std::string body = smtp_->Field(n, "body");
    if (body.find("最終報") == std::string::npos) continue;
    const auto symptom = body.find("■現象");
    ASSERT_NE(symptom, std::string::npos) << body;
    const std::string section = body.substr(symptom, body.find("■業務", symptom) - symptom);
    EXPECT_NE(section.find("OK → CRITICAL"), std::string::npos) << section;
    EXPECT_EQ(section.find("→ OK"), std::string::npos) << section;
  }
  collector_->Stop();
}

}  // namespace
}  // namespace mimamori::testing
