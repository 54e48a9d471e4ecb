#include "collector/monitors/time_monitor.h"

#include <gtest/gtest.h>

#include <optional>
#include <string>

#include "collector/net/http_client.h"
#include "collector/net/pinger.h"
#include "tests/unit/fake_snmp_client.h"

namespace mimamori::collector {
namespace {

using namespace std::chrono_literals;
using proto::Oid;
using proto::Value;
using testing::FakeSnmpClient;

const Oid kHrSystemDate{1, 3, 6, 1, 2, 1, 25, 1, 2, 0};

// 2026-12-03 09:11:56.0 UTC+0, as this machine's snmpd answered it.
const std::string kSnmpdDate("\x07\xEA\x0C\x03\x09\x0B\x38\x00\x2B\x00\x00", 11);
const TimePoint kAt = std::chrono::sys_days{std::chrono::year{2026} / 12 / 3} + 9h + 11min + 56s;

std::string Date(int year, int month, int day, int hour, int minute, int second, int deci,
                 std::optional<std::string> zone = std::string("+\x09\x00", 3)) {
  std::string out;
  out += static_cast<char>(year >> 8);
  out += static_cast<char>(year & 0xFF);
  for (int v : {month, day, hour, minute, second, deci}) out += static_cast<char>(v);
  if (zone) out += *zone;
  return out;
}

TEST(DateAndTime, ElevenOctetsWithTheirZone) {
  DateAndTime parsed = ParseDateAndTime(kSnmpdDate);
  ASSERT_TRUE(parsed.time) << parsed.error;
  EXPECT_TRUE(parsed.has_zone);
  EXPECT_EQ(*parsed.time, kAt);
  // 18:11:56.5 +09:00 is the same moment, plus half a second.
  parsed = ParseDateAndTime(Date(2026, 12, 3, 18, 11, 56, 5));
  ASSERT_TRUE(parsed.time) << parsed.error;
  EXPECT_EQ(*parsed.time, kAt + 500ms);
  // West of UTC: 04:41:56 -04:30.
  parsed = ParseDateAndTime(Date(2026, 12, 3, 4, 41, 56, 0, std::string("-\x04\x1E", 3)));
  ASSERT_TRUE(parsed.time) << parsed.error;
  EXPECT_EQ(*parsed.time, kAt);
}

TEST(DateAndTime, EightOctetsAreReadAsTokyoOrTheGivenZone) {
  const std::string local = Date(2026, 12, 3, 18, 11, 56, 0, std::nullopt);
  DateAndTime parsed = ParseDateAndTime(local);
  ASSERT_TRUE(parsed.time) << parsed.error;
  EXPECT_FALSE(parsed.has_zone);
  EXPECT_EQ(*parsed.time, kAt);
  parsed = ParseDateAndTime(Date(2026, 12, 3, 9, 11, 56, 0, std::nullopt), 0min);
  EXPECT_EQ(parsed.time, kAt);
}

TEST(DateAndTime, MalformedValuesSayWhy) {
  const std::pair<std::string, std::string> cases[] = {
      {"", "0 octets, expected 8 or 11"},
      {kSnmpdDate.substr(0, 10), "10 octets, expected 8 or 11"},
      {Date(2026, 13, 3, 9, 0, 0, 0), "month 13 is out of range"},
      {Date(2026, 0, 3, 9, 0, 0, 0), "month 0 is out of range"},
      {Date(2026, 2, 30, 9, 0, 0, 0), "day 30 does not exist in 2026-2"},
      {Date(2026, 12, 3, 24, 0, 0, 0), "hour 24 is out of range"},
      {Date(2026, 12, 3, 9, 60, 0, 0), "minutes 60 is out of range"},
      {Date(2026, 12, 3, 9, 0, 61, 0), "seconds 61 is out of range"},
      {Date(2026, 12, 3, 9, 0, 0, 10), "deci-seconds 10 is out of range"},
      {Date(2026, 12, 3, 9, 0, 0, 0, std::string("x\x00\x00", 3)),
       "direction from UTC is 78, expected '+' or '-'"},
      {Date(2026, 12, 3, 9, 0, 0, 0, std::string("+\x0F\x00", 3)),
       "hours from UTC 15 is out of range"},
      {Date(2026, 12, 3, 9, 0, 0, 0, std::string("+\x09\x3C", 3)),
       "minutes from UTC 60 is out of range"},
  };
  for (const auto& [octets, error] : cases) {
    const DateAndTime parsed = ParseDateAndTime(octets);
    EXPECT_FALSE(parsed.time);
    EXPECT_EQ(parsed.error, error);
  }
  // A leap second is a time.
  EXPECT_TRUE(
      ParseDateAndTime(Date(2016, 12, 31, 23, 59, 60, 0, std::string("+\x00\x00", 3))).time);
}

// A fake that lets time pass while the Get is on its way.
class SlowAgent final : public SnmpClient {
 public:
  SlowAgent(FakeSnmpClient& agent, ManualClock& clock, std::chrono::milliseconds delay)
      : agent_(agent), clock_(clock), delay_(delay) {}
  void Get(const SnmpTarget& target, std::vector<Oid> oids,
           std::function<void(SnmpResult)> done) override {
    agent_.Get(target, std::move(oids), [&, done](SnmpResult result) {
      clock_.Advance(delay_);
      done(std::move(result));
    });
  }
  void Walk(const SnmpTarget& target, std::vector<Oid> roots,
            std::function<void(SnmpResult)> done) override {
    agent_.Walk(target, std::move(roots), std::move(done));
  }

 private:
  FakeSnmpClient& agent_;
  ManualClock& clock_;
  std::chrono::milliseconds delay_;
};

struct NoEngines final : Pinger, HttpClient, TcpProbe {
  void Ping(const std::string&, const PingSettings&, std::function<void(PingOutcome)>) override {}
  void Get(const std::string&, std::chrono::milliseconds,
           std::function<void(HttpResponse)>) override {}
  void Connect(const std::string&, std::uint16_t, std::chrono::milliseconds,
               std::function<void(TcpProbeResult)>) override {}
};

class TimeMonitorTest : public ::testing::Test {
 protected:
  TimeMonitorTest() {
    node_.name = "web01";
    node_.address = "10.0.0.5";
    agent_.Set(kHrSystemDate, Value::OctetString(kSnmpdDate));
  }

  CheckResult Run(SnmpClient* snmp = nullptr) {
    MonitorServices services{engines_, snmp ? *snmp : agent_, engines_, engines_, clock_};
    auto monitors = MakeTimeMonitors(node_, inventory_, services);
    EXPECT_EQ(monitors.size(), 1u);
    if (monitors.empty()) return {};
    EXPECT_EQ(monitors[0]->Kind(), "time");
    std::optional<CheckReport> report;
    monitors[0]->Start([&](CheckReport r) { report = std::move(r); });
    EXPECT_TRUE(report && report->results.size() == 1u);
    if (!report || report->results.empty()) return {};
    return report->results[0];
  }

  NoEngines engines_;
  FakeSnmpClient agent_;
  ManualClock clock_{kAt};
  Node node_;
  Inventory inventory_;
};

TEST_F(TimeMonitorTest, OnWhereResourceMonitoringIsUnlessSaidOtherwise) {
  MonitorServices services{engines_, agent_, engines_, engines_, clock_};
  EXPECT_EQ(MakeTimeMonitors(node_, inventory_, services).size(), 1u);
  node_.resource = false;
  EXPECT_TRUE(MakeTimeMonitors(node_, inventory_, services).empty());
  node_.time_sync.enabled = true;
  EXPECT_EQ(MakeTimeMonitors(node_, inventory_, services).size(), 1u);
  node_.resource = true;
  node_.time_sync.enabled = false;
  EXPECT_TRUE(MakeTimeMonitors(node_, inventory_, services).empty());
}

TEST_F(TimeMonitorTest, InSync) {
  const CheckResult result = Run();
  EXPECT_EQ(result.monitor, "time");
  EXPECT_EQ(result.status, Status::kOk);
  EXPECT_EQ(result.value, 0);
  EXPECT_EQ(result.reason, "clock 0.0 s ahead of the collector (within 60 s; round trip 0.0 s)");
  const auto requests = agent_.requests();
  ASSERT_EQ(requests.size(), 1u);
  EXPECT_FALSE(requests[0].walk);
  EXPECT_EQ(requests[0].oids, std::vector<Oid>{kHrSystemDate});
}

TEST_F(TimeMonitorTest, NodeBehindAndAheadByTheLevels) {
  clock_.Set(kAt + 75s);  // the collector is later: the node is behind
  CheckResult result = Run();
  EXPECT_EQ(result.status, Status::kWarning);
  EXPECT_EQ(result.value, -75);
  EXPECT_EQ(result.reason, "clock 75 s behind the collector (warning over 60 s; round trip 0.0 s)");
  clock_.Set(kAt - 301s);
  result = Run();
  EXPECT_EQ(result.status, Status::kCritical);
  EXPECT_EQ(result.reason,
            "clock 301 s ahead of the collector (critical over 300 s; round trip 0.0 s)");
  clock_.Set(kAt - 60s);  // at the level is not over it
  EXPECT_EQ(Run().status, Status::kOk);

  node_.time_sync.warning = 10s;
  node_.time_sync.critical = 30s;
  clock_.Set(kAt + 31s);
  EXPECT_EQ(Run().status, Status::kCritical);
}

TEST_F(TimeMonitorTest, TheRoundTripIsAllowedFor) {
  // The answer takes 4 s: the node's time belongs to the middle (2 s after
  // sending), and up to 2 s either way is doubt, not skew.
  SlowAgent slow(agent_, clock_, 4000ms);
  clock_.Set(kAt - 2s - 61s);  // middle = kAt - 61 s: skew +61 s, beyond doubt 59 s
  CheckResult result = Run(&slow);
  EXPECT_EQ(result.status, Status::kOk) << result.reason;
  EXPECT_EQ(result.value, 61);
  EXPECT_EQ(result.reason, "clock 61 s ahead of the collector (within 60 s; round trip 4.0 s)");
  clock_.Set(kAt - 2s - 63s);
  EXPECT_EQ(Run(&slow).status, Status::kWarning);
}

TEST_F(TimeMonitorTest, FailuresAreUnknownWithTheReason) {
  agent_.FailGets(FakeSnmpClient::Timeout());
  CheckResult result = Run();
  EXPECT_EQ(result.status, Status::kUnknown);
  EXPECT_EQ(result.reason,
            "snmp time web01 (10.0.0.5): get hrSystemDate: timeout after 3 s x 2 tries");
  agent_.FailGets(std::nullopt);
  agent_.Set(kHrSystemDate, Value::OctetString(std::string("\x07\xEA\x0D\x03\x09\x0B\x38\x00", 8)));
  result = Run();
  EXPECT_EQ(result.status, Status::kUnknown);
  EXPECT_EQ(result.reason,
            "snmp time web01 (10.0.0.5): hrSystemDate 07 EA 0D 03 09 0B 38 00 is not a "
            "DateAndTime: month 13 is out of range");
  agent_.Erase(kHrSystemDate);
  result = Run();
  EXPECT_EQ(result.status, Status::kUnknown);
  EXPECT_EQ(result.reason,
            "snmp time web01 (10.0.0.5): the agent does not serve hrSystemDate "
            "(.1.3.6.1.2.1.25.1.2.0)");
}

TEST_F(TimeMonitorTest, ZonelessDateSaysHowItWasRead) {
  agent_.Set(kHrSystemDate, Value::OctetString(Date(2026, 12, 3, 18, 11, 56, 0, std::nullopt)));
  const CheckResult result = Run();
  EXPECT_EQ(result.status, Status::kOk);
  EXPECT_EQ(result.reason,
            "clock 0.0 s ahead of the collector (within 60 s; round trip 0.0 s; no time zone "
            "sent, read as Asia/Tokyo)");
}

}  // namespace
}  // namespace mimamori::collector
