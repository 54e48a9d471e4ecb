#include "collector/monitors/ping_monitor.h"

#include <gtest/gtest.h>

#include <chrono>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "collector/net/http_client.h"
#include "collector/net/pinger.h"
#include "collector/net/snmp_client.h"

namespace mimamori::collector {
namespace {

using std::chrono::microseconds;
using std::chrono::milliseconds;

// Records what the monitor asked for; the test decides what came back.
class RecordingPinger final : public Pinger {
 public:
  struct Call {
    std::string address;
    PingSettings settings;
    std::function<void(PingOutcome)> done;
  };
  void Ping(const std::string& address, const PingSettings& settings,
            std::function<void(PingOutcome)> done) override {
    calls.push_back({address, settings, std::move(done)});
  }
  std::vector<Call> calls;
};

// The other engines: a ping monitor must not touch them.
class UnusedSnmp final : public SnmpClient {
 public:
  void Get(const SnmpTarget&, std::vector<proto::Oid>, std::function<void(SnmpResult)>) override {
    ADD_FAILURE() << "ping monitor used SNMP";
  }
  void Walk(const SnmpTarget&, std::vector<proto::Oid>, std::function<void(SnmpResult)>) override {
    ADD_FAILURE() << "ping monitor used SNMP";
  }
};
class UnusedHttp final : public HttpClient {
 public:
  void Get(const std::string&, milliseconds, std::function<void(HttpResponse)>) override {
    ADD_FAILURE() << "ping monitor used HTTP";
  }
};
class UnusedTcp final : public TcpProbe {
 public:
  void Connect(const std::string&, std::uint16_t, milliseconds,
               std::function<void(TcpProbeResult)>) override {
    ADD_FAILURE() << "ping monitor used TCP";
  }
};

PingOutcome Replies(std::vector<microseconds> round_trips, int sent) {
  PingOutcome outcome;
  outcome.sent = sent;
  outcome.received = static_cast<int>(round_trips.size());
  outcome.round_trips = std::move(round_trips);
  return outcome;
}

std::optional<double> Metric(const CheckReport& report, const std::string& name) {
  for (const Measurement& m : report.measurements) {
    if (m.metric == name) {
      EXPECT_TRUE(m.labels.empty()) << name << ": the framework adds the node label";
      return m.value;
    }
  }
  return std::nullopt;
}

class PingMonitorTest : public ::testing::Test {
 protected:
  PingMonitorTest() {
    inventory_.systems = {{"juki", ServiceLevel::kA, {}, {}},
                          {"kaihatsu", ServiceLevel::kCDev, {}, {}},
                          {"toshokan", ServiceLevel::kC, {}, {}}};
    Node node;
    node.name = "web01";
    node.address = "10.0.0.5";
    node.system = "juki";
    inventory_.nodes.push_back(node);
  }

  Node& node() { return inventory_.nodes.front(); }

  std::unique_ptr<Monitor> MakeOne() {
    auto monitors = MakePingMonitors(node(), inventory_, services_);
    EXPECT_EQ(monitors.size(), 1u);
    return monitors.empty() ? nullptr : std::move(monitors.front());
  }

  // Runs one check whose pinger answers `outcome`; returns the report.
  CheckReport Check(const PingOutcome& outcome) {
    auto monitor = MakeOne();
    if (!monitor) return {};
    std::optional<CheckReport> report;
    monitor->Start([&](CheckReport r) { report = std::move(r); });
    EXPECT_EQ(pinger_.calls.size(), 1u);
    if (pinger_.calls.size() != 1) return {};
    pinger_.calls.back().done(outcome);
    EXPECT_TRUE(report.has_value());
    pinger_.calls.clear();
    return report.value_or(CheckReport{});
  }

  // The single "ping" result of a report.
  static CheckResult Only(const CheckReport& report) {
    EXPECT_EQ(report.results.size(), 1u);
    if (report.results.size() != 1) return {};
    EXPECT_EQ(report.results[0].monitor, "ping");
    return report.results[0];
  }

  Inventory inventory_;
  RecordingPinger pinger_;
  UnusedSnmp snmp_;
  UnusedHttp http_;
  UnusedTcp tcp_;
  ManualClock clock_;
  MonitorServices services_{pinger_, snmp_, http_, tcp_, clock_};
};

TEST_F(PingMonitorTest, OneMonitorWithTheSpecSchedule) {
  auto monitor = MakeOne();
  ASSERT_NE(monitor, nullptr);
  EXPECT_EQ(monitor->Kind(), "ping");
  EXPECT_EQ(monitor->NodeName(), "web01");
  EXPECT_EQ(monitor->Interval(), std::chrono::seconds(60));
  EXPECT_EQ(monitor->FailureThreshold(), 2);  // the first miss counts: 2 misses in a row

  inventory_.defaults.intervals.ping = std::chrono::seconds(30);
  inventory_.defaults.failures.ping = 3;
  monitor = MakeOne();
  ASSERT_NE(monitor, nullptr);
  EXPECT_EQ(monitor->Interval(), std::chrono::seconds(30));
  EXPECT_EQ(monitor->FailureThreshold(), 3);
}

TEST_F(PingMonitorTest, DevelopmentNodesAreNotPinged) {
  node().system = "kaihatsu";
  EXPECT_TRUE(MakePingMonitors(node(), inventory_, services_).empty());

  node().system = "toshokan";  // level C production: business hours, but pinged
  EXPECT_EQ(MakePingMonitors(node(), inventory_, services_).size(), 1u);

  node().system = "";  // infrastructure: watched like level A
  node().kind = NodeKind::kEsxiHost;
  EXPECT_EQ(MakePingMonitors(node(), inventory_, services_).size(), 1u);
}

TEST_F(PingMonitorTest, AsksThePingerForTheNodesAddressAndSettings) {
  node().address = "db01.example";
  node().ping.packets = 3;
  node().ping.timeout = milliseconds(2000);
  node().ping.interval = milliseconds(500);
  auto monitor = MakeOne();
  ASSERT_NE(monitor, nullptr);
  monitor->Start([](CheckReport) {});
  ASSERT_EQ(pinger_.calls.size(), 1u);
  EXPECT_EQ(pinger_.calls[0].address, "db01.example");
  EXPECT_EQ(pinger_.calls[0].settings.packets, 3);
  EXPECT_EQ(pinger_.calls[0].settings.timeout, milliseconds(2000));
  EXPECT_EQ(pinger_.calls[0].settings.interval, milliseconds(500));
}

TEST_F(PingMonitorTest, ReplyIsOkWithTheAverageRoundTrip) {
  node().ping.packets = 2;
  const CheckReport report = Check(Replies({microseconds(400), microseconds(600)}, 2));
  const CheckResult result = Only(report);
  EXPECT_EQ(result.status, Status::kOk);
  EXPECT_EQ(result.reason, "reply to 2 of 2 echo requests, RTT avg 0.5 ms");
  ASSERT_TRUE(result.value.has_value());
  EXPECT_DOUBLE_EQ(*result.value, 0.5);
  EXPECT_EQ(Metric(report, "mimamori_ping_up"), 1.0);
  EXPECT_EQ(Metric(report, "mimamori_ping_loss_ratio"), 0.0);
  ASSERT_TRUE(Metric(report, "mimamori_ping_rtt_seconds").has_value());
  EXPECT_DOUBLE_EQ(*Metric(report, "mimamori_ping_rtt_seconds"), 0.0005);
}

TEST_F(PingMonitorTest, NoReplyIsCritical) {
  const CheckReport report = Check(Replies({}, 1));
  const CheckResult result = Only(report);
  EXPECT_EQ(result.status, Status::kCritical);
  EXPECT_EQ(result.reason, "no reply to 1 of 1 echo requests within 5 s");
  EXPECT_FALSE(result.value.has_value());
  EXPECT_EQ(Metric(report, "mimamori_ping_up"), 0.0);
  EXPECT_EQ(Metric(report, "mimamori_ping_loss_ratio"), 1.0);
  EXPECT_FALSE(Metric(report, "mimamori_ping_rtt_seconds").has_value());
}

TEST_F(PingMonitorTest, NoReplyNamesTheTimeoutAsConfigured) {
  node().ping.packets = 3;
  node().ping.timeout = milliseconds(300);
  EXPECT_EQ(Only(Check(Replies({}, 3))).reason, "no reply to 3 of 3 echo requests within 300 ms");
  node().ping.timeout = milliseconds(1500);
  EXPECT_EQ(Only(Check(Replies({}, 3))).reason, "no reply to 3 of 3 echo requests within 1.5 s");
}

TEST_F(PingMonitorTest, PartialLossIsOkWithoutLossLevels) {
  node().ping.packets = 3;
  const CheckReport report = Check(Replies({microseconds(1000)}, 3));
  EXPECT_EQ(Only(report).status, Status::kOk);
  EXPECT_EQ(Only(report).reason, "reply to 1 of 3 echo requests, RTT avg 1 ms");
  ASSERT_TRUE(Metric(report, "mimamori_ping_loss_ratio").has_value());
  EXPECT_NEAR(*Metric(report, "mimamori_ping_loss_ratio"), 2.0 / 3.0, 1e-9);
}

TEST_F(PingMonitorTest, PartialLossAgainstLossLevels) {
  node().ping.packets = 3;
  node().ping.loss_warning_percent = 1;  // Hinemos' levels
  node().ping.loss_critical_percent = 51;

  CheckResult result = Only(Check(Replies({microseconds(1000), microseconds(1000)}, 3)));
  EXPECT_EQ(result.status, Status::kWarning);
  EXPECT_EQ(result.reason, "loss 33.3 % (1 of 3 echo requests unanswered) >= warning 1 %");

  result = Only(Check(Replies({microseconds(1000)}, 3)));
  EXPECT_EQ(result.status, Status::kCritical);
  EXPECT_EQ(result.reason, "loss 66.7 % (2 of 3 echo requests unanswered) >= critical 51 %");

  result = Only(Check(Replies({microseconds(1000), microseconds(1000), microseconds(1000)}, 3)));
  EXPECT_EQ(result.status, Status::kOk);

  // At the level is over it: 1 of 2 lost is 50 %.
  node().ping.packets = 2;
  node().ping.loss_critical_percent = 50;
  EXPECT_EQ(Only(Check(Replies({microseconds(1000)}, 2))).status, Status::kCritical);
}

TEST_F(PingMonitorTest, RoundTripAgainstRttLevels) {
  node().ping.rtt_warning = milliseconds(1000);
  node().ping.rtt_critical = milliseconds(3000);

  CheckResult result = Only(Check(Replies({microseconds(999'999)}, 1)));
  EXPECT_EQ(result.status, Status::kOk);

  result = Only(Check(Replies({microseconds(1'000'000)}, 1)));  // exactly the level
  EXPECT_EQ(result.status, Status::kWarning);
  EXPECT_EQ(result.reason, "RTT avg 1000 ms >= warning 1000 ms");
  ASSERT_TRUE(result.value.has_value());
  EXPECT_DOUBLE_EQ(*result.value, 1000.0);

  result = Only(Check(Replies({microseconds(2'500'000), microseconds(3'500'000)}, 2)));
  EXPECT_EQ(result.status, Status::kCritical);  // the average is judged, not the worst
  EXPECT_EQ(result.reason, "RTT avg 3000 ms >= critical 3000 ms");
}

TEST_F(PingMonitorTest, RttAndLossTogetherGiveTheWorstAndBothReasons) {
  node().ping.packets = 2;
  node().ping.rtt_warning = milliseconds(1000);
  node().ping.loss_critical_percent = 51;
  node().ping.loss_warning_percent = 1;
  const CheckResult result = Only(Check(Replies({microseconds(1'200'000)}, 2)));
  EXPECT_EQ(result.status, Status::kWarning);
  EXPECT_EQ(result.reason,
            "RTT avg 1200 ms >= warning 1000 ms; "
            "loss 50 % (1 of 2 echo requests unanswered) >= warning 1 %");
}

// Decision: a name that does not resolve means the node cannot be reached
// under the name the inventory gives: CRITICAL, with the resolver's reason
// (the scheduler's 2-check confirmation absorbs a passing DNS failure).
TEST_F(PingMonitorTest, UnresolvableNameIsCriticalWithTheReason) {
  node().address = "db01.example";
  PingOutcome outcome;
  outcome.error = "cannot resolve db01.example: Host not found (authoritative)";
  const CheckReport report = Check(outcome);
  const CheckResult result = Only(report);
  EXPECT_EQ(result.status, Status::kCritical);
  EXPECT_EQ(result.reason, "cannot resolve db01.example: Host not found (authoritative)");
  EXPECT_FALSE(result.value.has_value());
  EXPECT_EQ(Metric(report, "mimamori_ping_up"), 0.0);
  EXPECT_FALSE(Metric(report, "mimamori_ping_loss_ratio").has_value());  // nothing was sent
}

TEST_F(PingMonitorTest, RefusedSendIsCriticalWithTheReason) {
  PingOutcome outcome = Replies({}, 1);
  outcome.error = "send echo request to 10.0.0.5: Network is unreachable";
  const CheckResult result = Only(Check(outcome));
  EXPECT_EQ(result.status, Status::kCritical);
  EXPECT_EQ(result.reason, "send echo request to 10.0.0.5: Network is unreachable");
}

TEST_F(PingMonitorTest, NothingSentAndNoErrorIsUnknown) {
  const CheckResult result = Only(Check(PingOutcome{}));
  EXPECT_EQ(result.status, Status::kUnknown);
  EXPECT_EQ(result.reason, "no echo request was sent");
}

TEST_F(PingMonitorTest, CheckOutlivesItsMonitor) {
  auto monitor = MakeOne();
  ASSERT_NE(monitor, nullptr);
  std::optional<CheckReport> report;
  monitor->Start([&](CheckReport r) { report = std::move(r); });
  monitor.reset();  // e.g. a reload removed the node while the echo was out
  ASSERT_EQ(pinger_.calls.size(), 1u);
  pinger_.calls[0].done(Replies({microseconds(300)}, 1));
  ASSERT_TRUE(report.has_value());
  EXPECT_EQ(Only(*report).status, Status::kOk);
}

}  // namespace
}  // namespace mimamori::collector
