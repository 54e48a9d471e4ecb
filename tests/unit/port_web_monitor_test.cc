// Port and web monitors against recording fakes of TcpProbe and HttpClient:
// what each monitor asks the network for, and what it concludes from the
// answers (judgement tables).
#include <gtest/gtest.h>

#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include "collector/core/monitor.h"
#include "collector/monitors/port_monitor.h"
#include "collector/monitors/web_monitor.h"
#include "collector/net/http_client.h"
#include "collector/net/pinger.h"
#include "collector/net/snmp_client.h"

namespace mimamori::collector {
namespace {

using namespace std::chrono_literals;

// ---- Fakes -----------------------------------------------------------------

/// Records every Connect() and keeps its callback until the test answers.
class RecordingTcpProbe final : public TcpProbe {
 public:
  struct Call {
    std::string address;
    std::uint16_t port;
    std::chrono::milliseconds timeout;
    std::function<void(TcpProbeResult)> done;
  };

  void Connect(const std::string& address, std::uint16_t port, std::chrono::milliseconds timeout,
               std::function<void(TcpProbeResult)> done) override {
    if (refuse_with) throw std::invalid_argument(*refuse_with);
    calls.push_back(Call{address, port, timeout, std::move(done)});
  }

  void Answer(std::size_t call, TcpProbeResult result) {
    auto done = std::move(calls.at(call).done);
    done(std::move(result));
  }

  std::vector<Call> calls;
  std::optional<std::string> refuse_with;
};

/// Records every Get() and keeps its callback until the test answers.
class RecordingHttpClient final : public HttpClient {
 public:
  struct Call {
    std::string url;
    std::chrono::milliseconds timeout;
    std::function<void(HttpResponse)> done;
  };

  void Get(const std::string& url, std::chrono::milliseconds timeout,
           std::function<void(HttpResponse)> done) override {
    if (refuse_with) throw std::invalid_argument(*refuse_with);
    calls.push_back(Call{url, timeout, std::move(done)});
  }

  void Answer(std::size_t call, HttpResponse response) {
    auto done = std::move(calls.at(call).done);
    done(std::move(response));
  }

  std::vector<Call> calls;
  std::optional<std::string> refuse_with;
};

class UnusedPinger final : public Pinger {
 public:
  void Ping(const std::string&, const PingSettings&, std::function<void(PingOutcome)>) override {
    ADD_FAILURE() << "port and web monitors must not ping";
  }
};

class UnusedSnmp final : public SnmpClient {
 public:
  void Get(const SnmpTarget&, std::vector<proto::Oid>, std::function<void(SnmpResult)>) override {
    ADD_FAILURE() << "port and web monitors must not use SNMP";
  }
  void Walk(const SnmpTarget&, std::vector<proto::Oid>, std::function<void(SnmpResult)>) override {
    ADD_FAILURE() << "port and web monitors must not use SNMP";
  }
};

class PortWebMonitorTest : public ::testing::Test {
 protected:
  PortWebMonitorTest() {
    node_.name = "web01";
    node_.address = "10.0.0.5";
  }

  std::unique_ptr<Monitor> OnlyPortMonitor() {
    auto monitors = MakePortMonitors(node_, inventory_, services_);
    EXPECT_EQ(monitors.size(), 1u);
    return monitors.empty() ? nullptr : std::move(monitors[0]);
  }

  std::unique_ptr<Monitor> OnlyWebMonitor() {
    auto monitors = MakeWebMonitors(node_, inventory_, services_);
    EXPECT_EQ(monitors.size(), 1u);
    return monitors.empty() ? nullptr : std::move(monitors[0]);
  }

  /// Starts `monitor` and returns where its report lands; counts calls.
  struct Outcome {
    int calls = 0;
    CheckReport report;
  };
  std::shared_ptr<Outcome> Start(Monitor& monitor) {
    auto outcome = std::make_shared<Outcome>();
    monitor.Start([outcome](CheckReport report) {
      ++outcome->calls;
      outcome->report = std::move(report);
    });
    return outcome;
  }

  Node node_;
  Inventory inventory_;
  RecordingTcpProbe tcp_;
  RecordingHttpClient http_;
  UnusedPinger pinger_;
  UnusedSnmp snmp_;
  ManualClock clock_;
  MonitorServices services_{pinger_, snmp_, http_, tcp_, clock_};
};

std::optional<double> FindMeasurement(const CheckReport& report, const std::string& metric,
                                      const std::string& label, const std::string& value) {
  for (const auto& m : report.measurements) {
    if (m.metric != metric) continue;
    for (const auto& [k, v] : m.labels) {
      if (k == label && v == value) return m.value;
    }
  }
  return std::nullopt;
}

// ---- Port monitor ------------------------------------------------------------

TEST_F(PortWebMonitorTest, NoPortsNoPortMonitor) {
  EXPECT_TRUE(MakePortMonitors(node_, inventory_, services_).empty());
}

TEST_F(PortWebMonitorTest, PortMonitorTakesScheduleFromDefaults) {
  node_.ports = {PortCheck{22, "", 5000ms}};
  auto monitor = OnlyPortMonitor();
  ASSERT_NE(monitor, nullptr);
  EXPECT_EQ(monitor->Kind(), "port");
  EXPECT_EQ(monitor->NodeName(), "web01");
  EXPECT_EQ(monitor->Interval(), 300s);
  EXPECT_EQ(monitor->FailureThreshold(), 2);  // spec: 2 consecutive no-answers

  inventory_.defaults.intervals.port = 120s;
  inventory_.defaults.failures.port = 3;
  monitor = OnlyPortMonitor();
  EXPECT_EQ(monitor->Interval(), 120s);
  EXPECT_EQ(monitor->FailureThreshold(), 3);
}

TEST_F(PortWebMonitorTest, PortMonitorProbesEveryPortAtOnceAndReportsInInventoryOrder) {
  node_.ports = {PortCheck{22, "", 5000ms}, PortCheck{443, "https", 2000ms}};
  auto monitor = OnlyPortMonitor();
  auto outcome = Start(*monitor);

  ASSERT_EQ(tcp_.calls.size(), 2u);  // both asked before any answer
  EXPECT_EQ(tcp_.calls[0].address, "10.0.0.5");
  EXPECT_EQ(tcp_.calls[0].port, 22);
  EXPECT_EQ(tcp_.calls[0].timeout, 5000ms);
  EXPECT_EQ(tcp_.calls[1].port, 443);
  EXPECT_EQ(tcp_.calls[1].timeout, 2000ms);

  // Answers in reverse order; the report waits for the last one.
  tcp_.Answer(1, TcpProbeResult{false, "connection refused", 0.0001});
  EXPECT_EQ(outcome->calls, 0);
  tcp_.Answer(0, TcpProbeResult{true, "", 0.0012});
  ASSERT_EQ(outcome->calls, 1);

  const CheckReport& report = outcome->report;
  ASSERT_EQ(report.results.size(), 2u);
  EXPECT_EQ(report.results[0].monitor, "port:22");
  EXPECT_EQ(report.results[0].status, Status::kOk);
  EXPECT_EQ(report.results[1].monitor, "port:https");
  EXPECT_EQ(report.results[1].status, Status::kCritical);
  EXPECT_EQ(report.results[1].reason, "TCP connect to 10.0.0.5:443: connection refused");

  EXPECT_EQ(FindMeasurement(report, "mimamori_port_up", "port", "22"), 1.0);
  EXPECT_EQ(FindMeasurement(report, "mimamori_port_up", "port", "443"), 0.0);
  EXPECT_EQ(FindMeasurement(report, "mimamori_port_connect_seconds", "port", "22"), 0.0012);
  // A failed connect has no connect time.
  EXPECT_EQ(FindMeasurement(report, "mimamori_port_connect_seconds", "port", "443"), std::nullopt);
}

TEST_F(PortWebMonitorTest, PortJudgementTable) {
  struct Row {
    std::string address;
    TcpProbeResult probe;
    Status status;
    std::string reason;
    std::optional<double> value;
  };
  const std::vector<Row> rows = {
      {"10.0.0.5", {true, "", 0.0012}, Status::kOk, "connected to 10.0.0.5:22 in 1.2 ms", 0.0012},
      {"10.0.0.5",
       {false, "connection refused", 0.0002},
       Status::kCritical,
       "TCP connect to 10.0.0.5:22: connection refused",
       std::nullopt},
      {"10.0.0.5",
       {false, "timed out after 5000 ms", 5.0},
       Status::kCritical,
       "TCP connect to 10.0.0.5:22: timed out after 5000 ms",
       std::nullopt},
      {"db01.example",
       {false, "cannot resolve db01.example: Host not found (authoritative)", 0.01},
       Status::kCritical,
       "TCP connect to db01.example:22: cannot resolve db01.example: Host not found "
       "(authoritative)",
       std::nullopt},
      {"2001:db8::5",
       {false, "host unreachable", 0.003},
       Status::kCritical,
       "TCP connect to [2001:db8::5]:22: host unreachable",
       std::nullopt},
  };
  for (const Row& row : rows) {
    SCOPED_TRACE(row.reason);
    node_.address = row.address;
    node_.ports = {PortCheck{22, "", 5000ms}};
    tcp_.calls.clear();
    auto monitor = OnlyPortMonitor();
    auto outcome = Start(*monitor);
    ASSERT_EQ(tcp_.calls.size(), 1u);
    tcp_.Answer(0, row.probe);
    ASSERT_EQ(outcome->calls, 1);
    ASSERT_EQ(outcome->report.results.size(), 1u);
    const CheckResult& result = outcome->report.results[0];
    EXPECT_EQ(result.monitor, "port:22");
    EXPECT_EQ(result.status, row.status);
    EXPECT_EQ(result.reason, row.reason);
    EXPECT_EQ(result.value, row.value);
  }
}

TEST_F(PortWebMonitorTest, PortCheckThatCannotStartIsUnknown) {
  node_.ports = {PortCheck{22, "", 0ms}};
  tcp_.refuse_with = "TCP probe: connect to 10.0.0.5:22: timeout must be positive, got 0 ms";
  auto monitor = OnlyPortMonitor();
  auto outcome = Start(*monitor);
  ASSERT_EQ(outcome->calls, 1);
  ASSERT_EQ(outcome->report.results.size(), 1u);
  EXPECT_EQ(outcome->report.results[0].status, Status::kUnknown);
  EXPECT_EQ(outcome->report.results[0].reason,
            "cannot check 10.0.0.5:22: TCP probe: connect to 10.0.0.5:22: timeout must be "
            "positive, got 0 ms");
}

TEST_F(PortWebMonitorTest, PortCheckOutlivesItsMonitor) {
  node_.ports = {PortCheck{22, "", 5000ms}};
  auto monitor = OnlyPortMonitor();
  auto outcome = Start(*monitor);
  monitor.reset();  // e.g. a reload while the probe is still out
  tcp_.Answer(0, TcpProbeResult{true, "", 0.001});
  ASSERT_EQ(outcome->calls, 1);
  EXPECT_EQ(outcome->report.results.at(0).status, Status::kOk);
}

// ---- Web monitor -------------------------------------------------------------

WebCheck Web(std::string url, std::string body_regex = "", std::string name = "",
             std::chrono::milliseconds timeout = 5000ms, int expected_status = 200) {
  WebCheck check;
  check.name = std::move(name);
  check.url = std::move(url);
  check.body_regex = std::move(body_regex);
  check.timeout = timeout;
  check.expected_status = expected_status;
  return check;
}

HttpResponse Complete(long status, std::string body, double seconds = 0.012) {
  HttpResponse response;
  response.complete = true;
  response.status = status;
  response.body = std::move(body);
  response.seconds = seconds;
  return response;
}

HttpResponse Incomplete(std::string error, double seconds, long status = 0) {
  HttpResponse response;
  response.error = std::move(error);
  response.seconds = seconds;
  response.status = status;
  return response;
}

TEST_F(PortWebMonitorTest, NoWebChecksNoWebMonitor) {
  EXPECT_TRUE(MakeWebMonitors(node_, inventory_, services_).empty());
}

TEST_F(PortWebMonitorTest, WebMonitorTakesScheduleFromDefaults) {
  node_.web = {Web("http://10.0.0.5/health")};
  auto monitor = OnlyWebMonitor();
  ASSERT_NE(monitor, nullptr);
  EXPECT_EQ(monitor->Kind(), "web");
  EXPECT_EQ(monitor->NodeName(), "web01");
  EXPECT_EQ(monitor->Interval(), 300s);
  EXPECT_EQ(monitor->FailureThreshold(), 1);
}

TEST_F(PortWebMonitorTest, WebMonitorGetsEveryUrlAtOnceAndReportsInInventoryOrder) {
  node_.web = {Web("http://10.0.0.5/health", "OK"),
               Web("https://10.0.0.5/app/", "", "app", 3000ms)};
  auto monitor = OnlyWebMonitor();
  auto outcome = Start(*monitor);

  ASSERT_EQ(http_.calls.size(), 2u);
  EXPECT_EQ(http_.calls[0].url, "http://10.0.0.5/health");
  EXPECT_EQ(http_.calls[0].timeout, 5000ms);
  EXPECT_EQ(http_.calls[1].url, "https://10.0.0.5/app/");
  EXPECT_EQ(http_.calls[1].timeout, 3000ms);

  http_.Answer(1, Complete(500, "oops", 0.2));
  EXPECT_EQ(outcome->calls, 0);
  http_.Answer(0, Complete(200, "status: OK\n", 0.012));
  ASSERT_EQ(outcome->calls, 1);

  const CheckReport& report = outcome->report;
  ASSERT_EQ(report.results.size(), 2u);
  EXPECT_EQ(report.results[0].monitor, "web:http://10.0.0.5/health");
  EXPECT_EQ(report.results[0].status, Status::kOk);
  EXPECT_EQ(report.results[1].monitor, "web:app");
  EXPECT_EQ(report.results[1].status, Status::kCritical);

  const std::string health = "http://10.0.0.5/health";
  const std::string app = "https://10.0.0.5/app/";
  EXPECT_EQ(FindMeasurement(report, "mimamori_web_up", "url", health), 1.0);
  EXPECT_EQ(FindMeasurement(report, "mimamori_web_up", "url", app), 0.0);
  EXPECT_EQ(FindMeasurement(report, "mimamori_web_duration_seconds", "url", health), 0.012);
  EXPECT_EQ(FindMeasurement(report, "mimamori_web_duration_seconds", "url", app), 0.2);
  EXPECT_EQ(FindMeasurement(report, "mimamori_web_status_code", "url", health), 200.0);
  EXPECT_EQ(FindMeasurement(report, "mimamori_web_status_code", "url", app), 500.0);
}

TEST_F(PortWebMonitorTest, WebJudgementTable) {
  struct Row {
    std::string what;
    WebCheck check;
    HttpResponse response;
    Status status;
    std::string reason;  ///< exact, or a prefix when it ends in "..."
  };
  const std::string url = "http://10.0.0.5/health";
  const std::vector<Row> rows = {
      {"200 and matching body", Web(url, "OK"), Complete(200, "all OK"), Status::kOk,
       "HTTP 200 in 0.012 s, body matches /OK/"},
      {"200, body not checked", Web(url), Complete(200, "anything"), Status::kOk,
       "HTTP 200 in 0.012 s"},
      {"500", Web(url, "OK"), Complete(500, "OK"), Status::kCritical, "HTTP 500, expected 200"},
      {"a redirect is not the page", Web(url), Complete(302, ""), Status::kCritical,
       "HTTP 302, expected 200"},
      {"another expected status", Web(url, "", "", 5000ms, 204), Complete(204, ""), Status::kOk,
       "HTTP 204 in 0.012 s"},
      {"200 is not OK when 204 is expected", Web(url, "", "", 5000ms, 204), Complete(200, ""),
       Status::kCritical, "HTTP 200, expected 204"},
      {"wrong body", Web(url, "OK"), Complete(200, "Service Unavailable"), Status::kCritical,
       "body does not match /OK/"},
      {"search, not full match", Web(url, "st.tus: (UP|OK)"), Complete(200, "<p>status: UP</p>"),
       Status::kOk, "HTTP 200 in 0.012 s, body matches /st.tus: (UP|OK)/"},
      {"regex is case-sensitive", Web(url, "OK"), Complete(200, "ok"), Status::kCritical,
       "body does not match /OK/"},
      {"truncated body", Web(url, "END"),
       [] {
         HttpResponse r = Complete(200, std::string(1000, 'x'));
         r.error = "body truncated at 1000 bytes";
         return r;
       }(),
       Status::kCritical, "body does not match /END/ (body truncated at 1000 bytes)"},
      {"timeout (5 s, the spec's rule)", Web(url, "OK"),
       Incomplete("Operation timed out after 5001 milliseconds with 0 bytes received", 5.001),
       Status::kCritical,
       "no complete response within 5 s: Operation timed out after 5001 milliseconds with 0 "
       "bytes received"},
      {"timeout in the middle of the body", Web(url, "OK"),
       Incomplete("Operation timed out after 300 milliseconds with 10 out of 100 bytes received",
                  0.3, 200),
       Status::kCritical,
       "no complete response within 300 ms: Operation timed out after 300 milliseconds with 10 "
       "out of 100 bytes received"},
      {"refused", Web(url),
       Incomplete("Failed to connect to 10.0.0.5 port 80 after 0 ms: Couldn't connect to server",
                  0.0003),
       Status::kCritical,
       "no complete response within 5 s: Failed to connect to 10.0.0.5 port 80 after 0 ms: "
       "Couldn't connect to server"},
      {"invalid regex", Web(url, "("), Complete(200, "OK"), Status::kUnknown,
       "HTTP 200, but invalid body regex /(/: ..."},
      {"back-references are not supported", Web(url, "(a)\\1"), Complete(200, "aa"),
       Status::kUnknown, "HTTP 200, but invalid body regex /(a)\\1/: ..."},
      {"invalid regex does not hide a failed status", Web(url, "("), Complete(503, ""),
       Status::kCritical, "HTTP 503, expected 200"},
  };
  for (const Row& row : rows) {
    SCOPED_TRACE(row.what);
    Row timed = row;
    if (row.what == "timeout in the middle of the body") timed.check.timeout = 300ms;
    node_.web = {timed.check};
    http_.calls.clear();
    auto monitor = OnlyWebMonitor();
    auto outcome = Start(*monitor);
    ASSERT_EQ(http_.calls.size(), 1u);
    http_.Answer(0, row.response);
    ASSERT_EQ(outcome->calls, 1);
    ASSERT_EQ(outcome->report.results.size(), 1u);
    const CheckResult& result = outcome->report.results[0];
    EXPECT_EQ(result.status, row.status);
    if (row.reason.ends_with("...")) {
      EXPECT_TRUE(result.reason.starts_with(row.reason.substr(0, row.reason.size() - 3)))
          << result.reason;
    } else {
      EXPECT_EQ(result.reason, row.reason);
    }
    EXPECT_EQ(result.value, row.response.seconds);
  }
}

TEST_F(PortWebMonitorTest, LongOneLineBodyDoesNotOverflowTheStack) {
  // libstdc++'s default depth-first matcher recurses per character: ".*OK"
  // over a 30 KB line used to crash.
  node_.web = {Web("http://10.0.0.5/", ".*OK")};
  auto monitor = OnlyWebMonitor();
  auto outcome = Start(*monitor);
  http_.Answer(0, Complete(200, std::string(std::size_t{256} << 10, 'a') + "OK"));
  ASSERT_EQ(outcome->calls, 1);
  EXPECT_EQ(outcome->report.results.at(0).status, Status::kOk);
}

TEST_F(PortWebMonitorTest, NoStatusLineNoStatusMeasurement) {
  node_.web = {Web("http://10.0.0.5/")};
  auto monitor = OnlyWebMonitor();
  auto outcome = Start(*monitor);
  http_.Answer(0, Incomplete("Couldn't connect to server", 0.001));
  const std::string url = "http://10.0.0.5/";
  EXPECT_EQ(FindMeasurement(outcome->report, "mimamori_web_up", "url", url), 0.0);
  EXPECT_EQ(FindMeasurement(outcome->report, "mimamori_web_duration_seconds", "url", url), 0.001);
  EXPECT_EQ(FindMeasurement(outcome->report, "mimamori_web_status_code", "url", url), std::nullopt);
}

TEST_F(PortWebMonitorTest, WebCheckThatCannotStartIsUnknown) {
  node_.web = {Web("http://10.0.0.5/", "", "", 0ms)};
  http_.refuse_with = "HTTP client: GET http://10.0.0.5/: timeout must be positive, got 0 ms";
  auto monitor = OnlyWebMonitor();
  auto outcome = Start(*monitor);
  ASSERT_EQ(outcome->calls, 1);
  const CheckResult& result = outcome->report.results.at(0);
  EXPECT_EQ(result.status, Status::kUnknown);
  EXPECT_EQ(result.reason,
            "cannot check http://10.0.0.5/: HTTP client: GET http://10.0.0.5/: timeout must be "
            "positive, got 0 ms");
  EXPECT_EQ(result.value, std::nullopt);
}

TEST_F(PortWebMonitorTest, WebCheckOutlivesItsMonitor) {
  node_.web = {Web("http://10.0.0.5/", "OK")};
  auto monitor = OnlyWebMonitor();
  auto outcome = Start(*monitor);
  monitor.reset();
  http_.Answer(0, Complete(200, "OK"));
  ASSERT_EQ(outcome->calls, 1);
  EXPECT_EQ(outcome->report.results.at(0).status, Status::kOk);
}

TEST_F(PortWebMonitorTest, PasswordsInUrlsStayOutOfNamesReasonsAndLabels) {
  node_.web = {Web("http://monitor:s3cret@10.0.0.5/health", "", "", 5000ms)};
  http_.refuse_with = "HTTP client: GET http://monitor:s3cret@10.0.0.5/health: bad";
  auto monitor = OnlyWebMonitor();
  auto outcome = Start(*monitor);
  const CheckReport& report = outcome->report;
  ASSERT_EQ(report.results.size(), 1u);
  EXPECT_EQ(report.results[0].monitor, "web:http://monitor:***@10.0.0.5/health");
  EXPECT_EQ(report.results[0].reason.find("s3cret"), std::string::npos) << report.results[0].reason;
  for (const auto& m : report.measurements) {
    for (const auto& [k, v] : m.labels) EXPECT_EQ(v.find("s3cret"), std::string::npos) << v;
  }
}

TEST(RedactUrlTest, Table) {
  const std::vector<std::pair<std::string, std::string>> rows = {
      {"http://10.0.0.5/health", "http://10.0.0.5/health"},
      {"http://user:pw@host/x", "http://user:***@host/x"},
      {"https://user:p@ss@host:8443/", "https://user:***@host:8443/"},
      {"http://user@host/", "http://user@host/"},
      {"http://host/path?mail=a@b", "http://host/path?mail=a@b"},
      {"http://[::1]:8080/", "http://[::1]:8080/"},
      {"http://u:p@[::1]:8080", "http://u:***@[::1]:8080"},
      {"not a url", "not a url"},
      {"", ""},
  };
  for (const auto& [url, redacted] : rows) EXPECT_EQ(RedactUrl(url), redacted) << url;
}

}  // namespace
}  // namespace mimamori::collector
