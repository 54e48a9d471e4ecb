// The message receivers with real senders: util-linux logger (UDP and TCP,
// RFC 5424 and 3164, octet counting and newline framing), a private rsyslogd
// forwarding over TCP, Net-SNMP's snmptrap and snmpinform (whose success
// proves our Response), garbage on the wire, and a backup product's
// success and failure lines judged by the backup monitor.
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <prometheus/text_serializer.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstdio>
#include <map>
#include <string>

#include "collector/calendar/business_calendar.h"
#include "collector/inventory/inventory_loader.h"
#include "collector/messages/message_board.h"
#include "collector/messages/message_intake.h"
#include "collector/messages/message_receiver.h"
#include "collector/messages/message_rules.h"
#include "collector/monitors/backup_monitor.h"
#include "collector/net/http_client.h"
#include "collector/net/pinger.h"
#include "collector/net/snmp_client.h"
#include "tests/integration/agent_process.h"
#include "tests/integration/smtp_server.h"

namespace mimamori::testing {
namespace {

using namespace std::chrono_literals;
using namespace mimamori::collector;

constexpr char kInventory[] = R"YAML(
messages:
  syslog: {udp: "127.0.0.1:0", tcp: "127.0.0.1:0"}
  traps: {udp: "127.0.0.1:0", community: kanshi-trap}
  rules:
    - {name: hostd-error, kinds: [esxi-host], program: Hostd, severity: error, text: "(?i)lost access"}
    - {name: bsd-line, kinds: [esxi-host], program: batch, text: "job \\d+ failed"}
    - {name: tcp-line, kinds: [esxi-host], text: "over tcp (octet|newline)"}
    - {name: relayed, kinds: [esxi-host], text: "via rsyslog"}
    - name: link-down
      kinds: [esxi-host]
      trap: 1.3.6.1.6.3.1.1.5.3
      varbinds: {1.3.6.1.2.1.2.2.1.2: "vmnic"}
      recovered: {trap: 1.3.6.1.6.3.1.1.5.4}
    - {name: nightly-ok, kinds: [esxi-host], program: Veeam_MP, text: "Job nightly finished with Success", records: success}
    - {name: nightly-failed, kinds: [esxi-host], program: Veeam_MP, text: "Job nightly finished with Failed", records: failure}
    - {name: weekly-ok, kinds: [esxi-host], program: Veeam_MP, text: "Job weekly finished with Success", records: success}
nodes:
  - name: esx01
    address: 127.0.0.1
    kind: esxi-host
    resource: false
    backups:
      - {name: nightly, message: nightly-ok, failure: nightly-failed, before: "06:00"}
      - {name: weekly, message: weekly-ok, before: "06:00"}
)YAML";

class MessageReceivers : public ::testing::Test {
 protected:
  void SetUp() override {
    std::vector<ConfigError> errors;
    auto inventory = ParseInventory(kInventory, "inventory.yaml", errors);
    ASSERT_TRUE(inventory) << (errors.empty() ? "" : errors[0].ToString());
    inventory_ = std::make_shared<const Inventory>(std::move(*inventory));
    intake_.SetRules(MessageRules::Build(inventory_));
    ASSERT_EQ(receiver_.Start(inventory_->messages), "");
  }

  // Whether `rule` of esx01 is failing now (one check's worth of results).
  Status StateOf(const std::string& rule) {
    std::vector<const MessageRule*> rules;
    for (const auto& r : inventory_->messages.rules) {
      if (r.name == rule) rules.push_back(&r);
    }
    auto results = board_.Report("esx01", rules, 1h, clock_.Now());
    last_ = results.empty() ? CheckResult{} : results.back();
    if (last_.status != Status::kOk) failing_[rule] = last_;
    return last_.status;
  }
  bool Fails(const std::string& rule) {
    return WaitUntil([&] { return StateOf(rule) != Status::kOk || failing_.count(rule); }, 10s);
  }

  std::string Metrics() { return prometheus::TextSerializer().Serialize(registry_.Collect()); }

  SystemClock clock_;
  std::shared_ptr<const Inventory> inventory_;
  MessageBoard board_{clock_.Now()};
  prometheus::Registry registry_;
  MessageIntake intake_{board_, clock_, &registry_};
  MessageReceiver receiver_{intake_};
  CheckResult last_;
  std::map<std::string, CheckResult> failing_;
};

CommandResult Logger(std::vector<std::string> args) {
  std::vector<std::string> argv = {"logger", "--server", "127.0.0.1"};
  argv.insert(argv.end(), args.begin(), args.end());
  return RunCommand(argv, 10s);
}

TEST_F(MessageReceivers, LoggerRfc5424OverUdp) {
  auto r = Logger({"--port", std::to_string(receiver_.syslog_udp_port()), "--udp", "--rfc5424",
                   "-t", "Hostd", "-p", "local4.err",
                   "Lost access to volume 5f3c (datastore1) due to connectivity issues"});
  ASSERT_EQ(r.exit_code, 0) << r.Describe();
  ASSERT_TRUE(Fails("hostd-error"));
  EXPECT_EQ(failing_["hostd-error"].status, Status::kCritical);
  EXPECT_NE(failing_["hostd-error"].reason.find("syslog from esx01 Hostd: Lost access to volume"),
            std::string::npos)
      << failing_["hostd-error"].reason;
}

TEST_F(MessageReceivers, LoggerRfc3164OverUdp) {
  auto r = Logger({"--port", std::to_string(receiver_.syslog_udp_port()), "--udp", "--rfc3164",
                   "-t", "batch", "job 42 failed: exit 3"});
  ASSERT_EQ(r.exit_code, 0) << r.Describe();
  ASSERT_TRUE(Fails("bsd-line"));
}

TEST_F(MessageReceivers, SeverityBelowTheRuleDoesNotMatch) {
  auto r = Logger({"--port", std::to_string(receiver_.syslog_udp_port()), "--udp", "--rfc5424",
                   "-t", "Hostd", "-p", "local4.info", "Lost access to volume (info only)"});
  ASSERT_EQ(r.exit_code, 0) << r.Describe();
  ASSERT_TRUE(WaitUntil([&] { return intake_.stats().received >= 1; }, 10s));
  EXPECT_EQ(StateOf("hostd-error"), Status::kOk);
  EXPECT_EQ(intake_.stats().matched, 0u);
}

TEST_F(MessageReceivers, LoggerOverTcpWithOctetCountingAndNewlineFraming) {
  const std::string port = std::to_string(receiver_.syslog_tcp_port());
  auto counted = Logger(
      {"--port", port, "--tcp", "--octet-count", "--rfc5424", "-t", "x", "first over tcp octet"});
  ASSERT_EQ(counted.exit_code, 0) << counted.Describe();
  ASSERT_TRUE(Fails("tcp-line"));
  EXPECT_NE(failing_["tcp-line"].reason.find("over tcp octet"), std::string::npos);
  auto newline = Logger({"--port", port, "--tcp", "--rfc3164", "-t", "x", "then over tcp newline"});
  ASSERT_EQ(newline.exit_code, 0) << newline.Describe();
  ASSERT_TRUE(WaitUntil([&] { return intake_.stats().matched >= 2; }, 10s));
  EXPECT_EQ(intake_.stats().dropped, 0u);
}

TEST_F(MessageReceivers, RsyslogForwardsOverTcpToTheCollector) {
  TempDir dir;
  const std::uint16_t rsyslog_port = FreeUdpPort();
  const auto config =
      dir.Write("rsyslog.conf", "global(workDirectory=\"" + dir.path().string() +
                                    "\" net.enableDNS=\"off\")\n"
                                    "module(load=\"imudp\")\n"
                                    "input(type=\"imudp\" address=\"127.0.0.1\" port=\"" +
                                    std::to_string(rsyslog_port) +
                                    "\")\n"
                                    "action(type=\"omfwd\" target=\"127.0.0.1\" port=\"" +
                                    std::to_string(receiver_.syslog_tcp_port()) +
                                    "\" protocol=\"tcp\" TCP_Framing=\"octet-counted\" "
                                    "template=\"RSYSLOG_SyslogProtocol23Format\")\n");
  std::string error;
  auto rsyslogd = ChildProcess::Spawn(
      {{"rsyslogd", "-n", "-f", config.string(), "-i", (dir.path() / "rsyslogd.pid").string()},
       dir.path() / "rsyslogd.log",
       dir.path() / "rsyslogd.log"},
      error);
  ASSERT_TRUE(rsyslogd) << error;
  // rsyslogd has no readiness signal here: send until one line comes through.
  const bool arrived = WaitUntil(
      [&] {
        Logger({"--port", std::to_string(rsyslog_port), "--udp", "--rfc3164", "-t", "vpxa",
                "hello via rsyslog"});
        return WaitUntil([&] { return StateOf("relayed") != Status::kOk; }, 500ms);
      },
      20s);
  EXPECT_TRUE(arrived) << ReadFile(dir.path() / "rsyslogd.log");
  EXPECT_NE(last_.reason.find("hello via rsyslog"), std::string::npos) << last_.reason;
  rsyslogd->Stop();
}

TEST_F(MessageReceivers, SnmptrapAndSnmpinformAreTakenAndTheInformIsAcknowledged) {
  const std::string target = "127.0.0.1:" + std::to_string(receiver_.trap_port());
  auto trap = RunCommand({"snmptrap", "-v2c", "-c", "kanshi-trap", target, "",
                          "1.3.6.1.6.3.1.1.5.3", "1.3.6.1.2.1.2.2.1.2.3", "s", "vmnic1"},
                         10s);
  ASSERT_EQ(trap.exit_code, 0) << trap.Describe();
  ASSERT_TRUE(Fails("link-down"));
  EXPECT_NE(failing_["link-down"].reason.find("vmnic1"), std::string::npos);
  // snmpinform succeeds only when our Response arrives.
  auto inform = RunCommand({"snmpinform", "-v2c", "-c", "kanshi-trap", "-t", "2", "-r", "0", target,
                            "", "1.3.6.1.6.3.1.1.5.4"},
                           10s);
  ASSERT_EQ(inform.exit_code, 0) << inform.Describe();
  EXPECT_EQ(StateOf("link-down"), Status::kOk);
  // A wrong community is not acknowledged: the inform times out.
  auto wrong = RunCommand({"snmpinform", "-v2c", "-c", "guess", "-t", "1", "-r", "0", target, "",
                           "1.3.6.1.6.3.1.1.5.4"},
                          10s);
  EXPECT_NE(wrong.exit_code, 0);
  EXPECT_NE(Metrics().find("mimamori_messages_dropped_total{protocol=\"trap\",reason=\"bad-"
                           "community\"} 1"),
            std::string::npos)
      << Metrics();
}

TEST_F(MessageReceivers, GarbageOversizeAndNonUtf8AreCountedAndDropped) {
  const int fd = ::socket(AF_INET, SOCK_DGRAM, 0);
  ASSERT_GE(fd, 0);
  sockaddr_in to{};
  to.sin_family = AF_INET;
  to.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  auto send = [&](std::uint16_t port, const std::string& bytes) {
    to.sin_port = htons(port);
    ::sendto(fd, bytes.data(), bytes.size(), 0, reinterpret_cast<sockaddr*>(&to), sizeof to);
  };
  send(receiver_.syslog_udp_port(), std::string(20000, 'A'));
  send(receiver_.syslog_udp_port(), "<13>Dec  3 09:00:00 h x: \xff\xfe bad bytes");
  send(receiver_.syslog_udp_port(), "<13>1 2026-01-01T00:00:00Z");
  send(receiver_.syslog_udp_port(), std::string("\x00\x01\x02 binary", 10));
  send(receiver_.trap_port(), "\x30\x82\xff\xff garbage");
  send(receiver_.trap_port(), std::string(60000, '\x30'));
  ::close(fd);
  ASSERT_TRUE(WaitUntil([&] { return intake_.stats().dropped >= 6; }, 10s))
      << intake_.stats().dropped << "\n"
      << Metrics();
  const std::string metrics = Metrics();
  for (const char* series :
       {"protocol=\"syslog-udp\",reason=\"oversize\"",
        "protocol=\"syslog-udp\",reason=\"not-utf8\"",
        "protocol=\"syslog-udp\",reason=\"truncated\"",
        "protocol=\"syslog-udp\",reason=\"no-priority\"", "protocol=\"trap\",reason=\"ber\"",
        "protocol=\"trap\",reason=\"oversize\""}) {
    EXPECT_NE(metrics.find(series), std::string::npos) << series << "\n" << metrics;
  }
  // Still taking messages afterwards.
  auto r = Logger({"--port", std::to_string(receiver_.syslog_udp_port()), "--udp", "--rfc3164",
                   "-t", "batch", "job 9 failed"});
  ASSERT_EQ(r.exit_code, 0) << r.Describe();
  EXPECT_TRUE(Fails("bsd-line"));
}

// Engines the backup monitor does not use for message jobs.
struct NotUsed final : Pinger, SnmpClient, HttpClient, TcpProbe {
  void Ping(const std::string&, const PingSettings&, std::function<void(PingOutcome)>) override {
    ADD_FAILURE() << "pinged";
  }
  void Get(const SnmpTarget&, std::vector<proto::Oid>, std::function<void(SnmpResult)>) override {
    ADD_FAILURE() << "SNMP get";
  }
  void Walk(const SnmpTarget&, std::vector<proto::Oid>, std::function<void(SnmpResult)>) override {
    ADD_FAILURE() << "SNMP walk";
  }
  void Get(const std::string&, std::chrono::milliseconds,
           std::function<void(HttpResponse)>) override {
    ADD_FAILURE() << "HTTP get";
  }
  void Connect(const std::string&, std::uint16_t, std::chrono::milliseconds,
               std::function<void(TcpProbeResult)>) override {
    ADD_FAILURE() << "TCP probed";
  }
};

// The backup product's lines, sent by logger, against the backup jobs'
// deadline. The receivers run on the real clock; the backup monitor's clock
// is put just past a deadline after the receivers started (the next whole
// minute, Tokyo), so the night due by it is judged, counting from the start.
TEST_F(MessageReceivers, LoggerBackupLinesMakeTheJobOkAndItsAbsenceCritical) {
  const auto tokyo =
      std::chrono::floor<std::chrono::minutes>(BusinessCalendar::ToTokyo(clock_.Now()));
  const std::chrono::local_seconds deadline_local = tokyo + std::chrono::minutes(1);
  const TimePoint deadline = BusinessCalendar::FromTokyo(deadline_local);
  const auto minute = std::chrono::duration_cast<std::chrono::minutes>(
      deadline_local - std::chrono::floor<std::chrono::days>(deadline_local));
  Node node = *inventory_->FindNode("esx01");
  char before[8];
  std::snprintf(before, sizeof before, "%02d:%02d", static_cast<int>(minute.count() / 60),
                static_cast<int>(minute.count() % 60));
  for (BackupJob& job : node.backups) {
    job.before_minute = static_cast<int>(minute.count());
    job.before_text = before;
  }
  ManualClock monitor_clock(deadline + 30s);
  NotUsed engines;
  MonitorServices services{engines, engines, engines, engines, monitor_clock, &board_};
  auto check = [&] {
    std::map<std::string, CheckResult> out;
    auto monitors = MakeBackupMonitors(node, *inventory_, services);
    EXPECT_EQ(monitors.size(), 1u);
    if (monitors.empty()) return out;
    monitors[0]->Start([&](CheckReport report) {
      for (CheckResult& r : report.results) out[r.monitor] = std::move(r);
    });
    return out;
  };
  const std::string port = std::to_string(receiver_.syslog_udp_port());

  // Nothing sent: both nights are missing by the deadline.
  auto results = check();
  EXPECT_EQ(results["backup:nightly"].status, Status::kCritical);
  EXPECT_NE(results["backup:nightly"].reason.find(
                "nightly (message rule nightly-ok): no success since the collector started at "),
            std::string::npos)
      << results["backup:nightly"].reason;
  EXPECT_EQ(results["backup:weekly"].status, Status::kCritical);

  // The product's failure line: CRITICAL with the line.
  auto r = Logger({"--port", port, "--udp", "--rfc5424", "-t", "Veeam_MP", "-p", "user.err",
                   "Job nightly finished with Failed: 1 of 3 VMs"});
  ASSERT_EQ(r.exit_code, 0) << r.Describe();
  ASSERT_TRUE(
      WaitUntil([&] { return board_.LastRecorded("esx01", "nightly-failed").has_value(); }, 10s));
  results = check();
  EXPECT_EQ(results["backup:nightly"].status, Status::kCritical);
  EXPECT_NE(results["backup:nightly"].reason.find("failure message (nightly-failed) at "),
            std::string::npos)
      << results["backup:nightly"].reason;
  EXPECT_NE(results["backup:nightly"].reason.find(
                "syslog from esx01 Veeam_MP: Job nightly finished with Failed: 1 of 3 VMs"),
            std::string::npos)
      << results["backup:nightly"].reason;

  // The retry's success line: OK; the weekly job, whose line never came,
  // stays CRITICAL.
  r = Logger({"--port", port, "--udp", "--rfc3164", "-t", "Veeam_MP", "-p", "user.info",
              "Job nightly finished with Success"});
  ASSERT_EQ(r.exit_code, 0) << r.Describe();
  ASSERT_TRUE(
      WaitUntil([&] { return board_.LastRecorded("esx01", "nightly-ok").has_value(); }, 10s));
  results = check();
  EXPECT_EQ(results["backup:nightly"].status, Status::kOk) << results["backup:nightly"].reason;
  EXPECT_NE(results["backup:nightly"].reason.find("Job nightly finished with Success"),
            std::string::npos)
      << results["backup:nightly"].reason;
  EXPECT_EQ(results["backup:weekly"].status, Status::kCritical);
  // Recorded, not a rule failure: no message rule state changed.
  EXPECT_EQ(intake_.stats().changes, 0u);
}

}  // namespace
}  // namespace mimamori::testing
