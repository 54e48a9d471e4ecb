#include "collector/monitors/process_monitor.h"

#include <gtest/gtest.h>

#include <chrono>
#include <cstdint>
#include <optional>
#include <regex>
#include <string>
#include <utility>
#include <vector>

#include "collector/net/http_client.h"
#include "collector/net/pinger.h"
#include "tests/unit/fake_snmp_client.h"

namespace mimamori::collector {
namespace {

using proto::Oid;
using proto::Value;
using std::chrono::milliseconds;
using testing::FakeSnmpClient;

const Oid kSWRunEntry{1, 3, 6, 1, 2, 1, 25, 4, 2, 1};

void AddProcess(FakeSnmpClient& agent, std::uint32_t pid, const std::string& name,
                const std::string& path, const std::string& parameters) {
  agent.Set(kSWRunEntry.Child({1, pid}), Value::Integer(static_cast<std::int32_t>(pid)));
  agent.Set(kSWRunEntry.Child({2, pid}), Value::OctetString(name));
  agent.Set(kSWRunEntry.Child({4, pid}), Value::OctetString(path));
  agent.Set(kSWRunEntry.Child({5, pid}), Value::OctetString(parameters));
}

class UnusedPinger final : public Pinger {
 public:
  void Ping(const std::string&, const PingSettings&, std::function<void(PingOutcome)>) override {
    ADD_FAILURE() << "process monitor used ping";
  }
};
class UnusedHttp final : public HttpClient {
 public:
  void Get(const std::string&, milliseconds, std::function<void(HttpResponse)>) override {
    ADD_FAILURE() << "process monitor used HTTP";
  }
};
class UnusedTcp final : public TcpProbe {
 public:
  void Connect(const std::string&, std::uint16_t, milliseconds,
               std::function<void(TcpProbeResult)>) override {
    ADD_FAILURE() << "process monitor used TCP";
  }
};

ProcessCheck Watch(std::string name, std::string command, std::string arguments = ".*") {
  ProcessCheck check;
  check.name = std::move(name);
  check.command = std::move(command);
  check.arguments = std::move(arguments);
  return check;
}

class ProcessMonitorTest : public ::testing::Test {
 protected:
  ProcessMonitorTest() {
    Node node;
    node.name = "web01";
    node.address = "10.0.0.5";
    inventory_.nodes.push_back(node);
    // A RHEL host as snmpd shows it: kernel threads have the name as path
    // and no parameters; an empty path falls back to the name.
    AddProcess(agent_, 1, "systemd", "/usr/lib/systemd/systemd", "--switched-root --system");
    AddProcess(agent_, 2, "kthreadd", "kthreadd", "");
    AddProcess(agent_, 812, "sshd", "/usr/sbin/sshd", "-D");
    AddProcess(agent_, 1200, "httpd", "/usr/sbin/httpd", "-DFOREGROUND");
    AddProcess(agent_, 1201, "httpd", "/usr/sbin/httpd", "-DFOREGROUND");
    AddProcess(agent_, 1202, "httpd", "/usr/sbin/httpd", "-DFOREGROUND");
    AddProcess(agent_, 1500, "java", "/usr/bin/java", "-Xmx2g -jar /opt/app/App.jar --port 8080");
    AddProcess(agent_, 1600, "rsyslogd", "", "-n");
  }

  Node& node() { return inventory_.nodes.front(); }

  // One check with the node's process checks as they are now.
  CheckReport Check() {
    auto monitors = MakeProcessMonitors(node(), inventory_, services_);
    EXPECT_EQ(monitors.size(), 1u);
    if (monitors.empty()) return {};
    std::optional<CheckReport> report;
    monitors.front()->Start([&](CheckReport r) { report = std::move(r); });
    EXPECT_TRUE(report.has_value());
    return report.value_or(CheckReport{});
  }

  // The result of a node with this one check.
  CheckResult One(const ProcessCheck& check) {
    node().processes = {check};
    CheckReport report = Check();
    EXPECT_EQ(report.results.size(), 1u);
    return report.results.empty() ? CheckResult{} : report.results.front();
  }

  int Count(const ProcessCheck& check) {
    const CheckResult result = One(check);
    return static_cast<int>(result.value.value_or(-1));
  }

  Inventory inventory_;
  FakeSnmpClient agent_;
  UnusedPinger pinger_;
  UnusedHttp http_;
  UnusedTcp tcp_;
  ManualClock clock_;
  MonitorServices services_{pinger_, agent_, http_, tcp_, clock_};
};

TEST_F(ProcessMonitorTest, OneMonitorPerNodeWithProcesses) {
  EXPECT_TRUE(MakeProcessMonitors(node(), inventory_, services_).empty());
  node().processes = {Watch("sshd", "/usr/sbin/sshd"), Watch("httpd", "/usr/sbin/httpd")};
  inventory_.defaults.intervals.process = std::chrono::seconds(240);
  auto monitors = MakeProcessMonitors(node(), inventory_, services_);
  ASSERT_EQ(monitors.size(), 1u);
  EXPECT_EQ(monitors[0]->Kind(), "process");
  EXPECT_EQ(monitors[0]->NodeName(), "web01");
  EXPECT_EQ(monitors[0]->Interval(), std::chrono::seconds(240));
  EXPECT_EQ(monitors[0]->FailureThreshold(), 1);
}

TEST_F(ProcessMonitorTest, OneWalkOfTheProcessTableForAllChecks) {
  node().snmp.community = "Himitsu";
  node().processes = {Watch("sshd", "/usr/sbin/sshd"), Watch("httpd", "/usr/sbin/httpd"),
                      Watch("java", "/usr/bin/java")};
  CheckReport report = Check();
  const auto requests = agent_.requests();
  ASSERT_EQ(requests.size(), 1u);
  EXPECT_TRUE(requests[0].walk);
  EXPECT_EQ(requests[0].oids, (std::vector<Oid>{kSWRunEntry.Child({2}), kSWRunEntry.Child({4}),
                                                kSWRunEntry.Child({5})}));
  EXPECT_EQ(requests[0].target.address, "10.0.0.5");
  EXPECT_EQ(requests[0].target.settings.community, "Himitsu");

  ASSERT_EQ(report.results.size(), 3u);
  EXPECT_EQ(report.results[0].monitor, "process:sshd");
  EXPECT_EQ(report.results[0].status, Status::kOk);
  EXPECT_EQ(report.results[0].reason, "sshd: 1 process matches, expected 1 to 99");
  EXPECT_EQ(report.results[1].monitor, "process:httpd");
  EXPECT_EQ(report.results[1].value, 3.0);
  EXPECT_EQ(report.results[1].reason, "httpd: 3 processes match, expected 1 to 99");
  ASSERT_EQ(report.measurements.size(), 3u);
  EXPECT_EQ(report.measurements[1].metric, "mimamori_process_matches");
  EXPECT_EQ(report.measurements[1].labels,
            (std::vector<std::pair<std::string, std::string>>{{"process", "httpd"}}));
  EXPECT_EQ(report.measurements[1].value, 3.0);
}

TEST_F(ProcessMonitorTest, CommandMustMatchWholly) {
  EXPECT_EQ(Count(Watch("httpd", "httpd")), 0) << "a search would find it; Hinemos matches";
  EXPECT_EQ(Count(Watch("httpd", "/usr/sbin/http")), 0);
  EXPECT_EQ(Count(Watch("httpd", "/usr/sbin/httpd")), 3);
  EXPECT_EQ(Count(Watch("httpd", ".*/httpd")), 3);
  EXPECT_EQ(Count(Watch("httpd", "/usr/sbin/htt.")), 0);
  EXPECT_EQ(Count(Watch("httpd", "/usr/sbin/htt.d")), 3);
  EXPECT_EQ(Count(Watch("any", ".*")), 8);
}

TEST_F(ProcessMonitorTest, EmptyPathFallsBackToTheName) {
  EXPECT_EQ(Count(Watch("rsyslogd", "rsyslogd")), 1);
  EXPECT_EQ(Count(Watch("kthreadd", "kthreadd", "")), 1);
}

TEST_F(ProcessMonitorTest, ArgumentsMustMatchWholly) {
  EXPECT_EQ(Count(Watch("java", "/usr/bin/java", "--port 8080")), 0);
  EXPECT_EQ(Count(Watch("java", "/usr/bin/java", ".*--port 8080")), 1);
  EXPECT_EQ(Count(Watch("java", "/usr/bin/java", ".*App\\.jar.*")), 1);
  EXPECT_EQ(Count(Watch("java", "/usr/bin/java", "-Xmx2g -jar /opt/app/App.jar --port 8080")), 1);
  EXPECT_EQ(Count(Watch("java", "/usr/bin/java", "-Xmx2g")), 0);
  EXPECT_EQ(Count(Watch("sshd", "/usr/sbin/sshd", "")), 0) << "-D is not empty";
}

TEST_F(ProcessMonitorTest, DotStarStopsAtLineBreaksAsTheRegexWould) {
  AddProcess(agent_, 2000, "odd", "/opt/odd", "first\nsecond");
  EXPECT_EQ(Count(Watch("odd", "/opt/odd")), 0);
  EXPECT_EQ(Count(Watch("odd", "/opt/odd", "first\nsecond")), 1);
  EXPECT_EQ(Count(Watch("odd", "/opt/odd", "first\n.*")), 1);
}

// The monitor answers common shapes (".*", "L", "L.*", ".*L", ".*L.*")
// without the regex engine; it must agree with std::regex_match everywhere.
TEST_F(ProcessMonitorTest, EveryPatternShapeAgreesWithTheRegexEngine) {
  AddProcess(agent_, 3000, "odd", "/opt/Odd App/bin/run", "line one\nline two");
  AddProcess(agent_, 3001, "cr", "/opt/cr", "a\rb");
  AddProcess(agent_, 3002, "empty", "", "");
  const std::vector<std::string> subjects = {
      "/usr/lib/systemd/systemd", "kthreadd",      "/usr/sbin/sshd",
      "/usr/sbin/httpd",          "/usr/bin/java", "rsyslogd",
      "/opt/Odd App/bin/run",     "/opt/cr",       "empty"};
  const std::vector<std::string> patterns = {".*",
                                             "",
                                             "/usr/sbin/httpd",
                                             "/USR/SBIN/HTTPD",
                                             "/usr/sbin/.*",
                                             ".*httpd",
                                             ".*HTTPD",
                                             ".*/bin/.*",
                                             ".*sbin.*",
                                             "/usr/sbin/htt.d",
                                             "\\/usr\\/bin\\/java",
                                             ".*odd app.*",
                                             ".*.*",
                                             "k.*d",
                                             "\\w+",
                                             "(kthreadd|rsyslogd)"};
  for (const bool icase : {false, true}) {
    for (const std::string& pattern : patterns) {
      ProcessCheck check = Watch("p", pattern, "[\\s\\S]*");  // any arguments at all
      check.case_insensitive = icase;
      auto flags = std::regex::ECMAScript;
      if (icase) flags |= std::regex::icase;
      const std::regex regex(pattern, flags);
      int expected = 0;
      for (const std::string& subject : subjects) {
        // Each subject occurs once in the table, httpd three times.
        const int times = subject == "/usr/sbin/httpd" ? 3 : 1;
        if (std::regex_match(subject, regex)) expected += times;
      }
      EXPECT_EQ(Count(check), expected) << "command \"" << pattern << "\" icase " << icase;
    }
    for (const std::string& pattern :
         {std::string(".*"), std::string(".*line.*"), std::string("line.*"), std::string(".*two"),
          std::string(".*b"), std::string("a.*")}) {
      ProcessCheck check = Watch("p", ".*", pattern);
      check.case_insensitive = icase;
      int expected = 0;
      const std::regex regex(
          pattern, icase ? std::regex::ECMAScript | std::regex::icase : std::regex::ECMAScript);
      for (const char* parameters :
           {"--switched-root --system", "", "-D", "-DFOREGROUND", "-DFOREGROUND", "-DFOREGROUND",
            "-Xmx2g -jar /opt/app/App.jar --port 8080", "-n", "line one\nline two", "a\rb", ""}) {
        if (std::regex_match(std::string(parameters), regex)) ++expected;
      }
      EXPECT_EQ(Count(check), expected) << "arguments \"" << pattern << "\" icase " << icase;
    }
  }
}

TEST_F(ProcessMonitorTest, CaseInsensitiveOption) {
  ProcessCheck check = Watch("httpd", "/USR/SBIN/HTTPD", "-dforeground");
  EXPECT_EQ(Count(check), 0);
  check.case_insensitive = true;
  EXPECT_EQ(Count(check), 3);
  check.command = "/USR/.*/HTTPD";
  EXPECT_EQ(Count(check), 3);
}

TEST_F(ProcessMonitorTest, CountOutsideTheRangeIsCritical) {
  ProcessCheck check = Watch("httpd", "/usr/sbin/httpd");
  check.min_count = 1;
  check.max_count = 2;
  CheckResult result = One(check);
  EXPECT_EQ(result.status, Status::kCritical);
  EXPECT_EQ(result.reason, "httpd: 3 processes match, expected 1 to 2");
  check.max_count = 3;
  EXPECT_EQ(One(check).status, Status::kOk);
  check.min_count = 4;
  check.max_count = 10;
  EXPECT_EQ(One(check).status, Status::kCritical);
}

TEST_F(ProcessMonitorTest, MissingProcessIsCritical) {
  const CheckResult result = One(Watch("httpd", "/usr/sbin/nginx"));
  EXPECT_EQ(result.monitor, "process:httpd");
  EXPECT_EQ(result.status, Status::kCritical);
  EXPECT_EQ(result.reason, "httpd: 0 processes match, expected 1 to 99");
  EXPECT_EQ(result.value, 0.0);
}

TEST_F(ProcessMonitorTest, ZeroAllowedMeansMustNotRun) {
  ProcessCheck check = Watch("telnetd", "/usr/sbin/in.telnetd");
  check.min_count = 0;
  check.max_count = 0;
  EXPECT_EQ(One(check).status, Status::kOk);
  check.command = "/usr/sbin/sshd";
  EXPECT_EQ(One(check).status, Status::kCritical);
}

TEST_F(ProcessMonitorTest, TimeoutIsUnknownForEveryCheck) {
  agent_.FailWalks(FakeSnmpClient::Timeout());
  node().processes = {Watch("sshd", "/usr/sbin/sshd"), Watch("httpd", "/usr/sbin/httpd")};
  CheckReport report = Check();
  ASSERT_EQ(report.results.size(), 2u);
  for (const CheckResult& result : report.results) {
    EXPECT_EQ(result.status, Status::kUnknown);
    EXPECT_FALSE(result.value.has_value());
    EXPECT_EQ(result.reason,
              "snmp process web01 (10.0.0.5): walk hrSWRunTable: timeout after 3 s x 2 tries");
  }
  EXPECT_TRUE(report.measurements.empty());
}

TEST_F(ProcessMonitorTest, EmptyProcessTableIsUnknownNotCritical) {
  agent_.Erase(kSWRunEntry);
  const CheckResult result = One(Watch("sshd", "/usr/sbin/sshd"));
  EXPECT_EQ(result.status, Status::kUnknown);
  EXPECT_EQ(result.reason,
            "snmp process web01 (10.0.0.5): the agent lists no process (hrSWRunTable empty)");
}

TEST_F(ProcessMonitorTest, BadRegexIsUnknownAndTheOthersStillJudged) {
  node().processes = {Watch("broken", "/usr/sbin/(sshd"), Watch("sshd", "/usr/sbin/sshd")};
  CheckReport report = Check();
  ASSERT_EQ(report.results.size(), 2u);
  EXPECT_EQ(report.results[0].status, Status::kUnknown);
  EXPECT_EQ(report.results[0].reason.rfind("snmp process web01 (10.0.0.5): process broken: "
                                           "command regex \"/usr/sbin/(sshd\" does not compile: ",
                                           0),
            0u)
      << report.results[0].reason;
  EXPECT_EQ(report.results[1].status, Status::kOk);
}

TEST_F(ProcessMonitorTest, MonitorMayGoBeforeTheAnswer) {
  // An asynchronous client: the answer comes after the monitor is gone.
  class Deferred final : public SnmpClient {
   public:
    void Get(const SnmpTarget&, std::vector<Oid>, std::function<void(SnmpResult)>) override {}
    void Walk(const SnmpTarget&, std::vector<Oid>, std::function<void(SnmpResult)> done) override {
      pending = std::move(done);
    }
    std::function<void(SnmpResult)> pending;
  } deferred;
  MonitorServices services{pinger_, deferred, http_, tcp_, clock_};
  node().processes = {Watch("sshd", "/usr/sbin/sshd")};
  auto monitors = MakeProcessMonitors(node(), inventory_, services);
  std::optional<CheckReport> report;
  monitors.front()->Start([&](CheckReport r) { report = std::move(r); });
  monitors.clear();
  ASSERT_TRUE(deferred.pending);
  deferred.pending(FakeSnmpClient::Timeout());
  ASSERT_TRUE(report.has_value());
  EXPECT_EQ(report->results.at(0).status, Status::kUnknown);
}

}  // namespace
}  // namespace mimamori::collector
