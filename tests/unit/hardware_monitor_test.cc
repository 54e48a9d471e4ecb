#include "collector/monitors/hardware_monitor.h"

#include <gtest/gtest.h>

#include <map>
#include <optional>
#include <string>

#include "collector/net/http_client.h"
#include "collector/net/pinger.h"
#include "tests/unit/fake_snmp_client.h"

namespace mimamori::collector {
namespace {

using proto::Oid;
using proto::Value;
using testing::FakeSnmpClient;

const Oid kDescr{1, 3, 6, 1, 2, 1, 25, 3, 2, 1, 3};
const Oid kStatus{1, 3, 6, 1, 2, 1, 25, 3, 2, 1, 5};
const Oid kPhysicalName{1, 3, 6, 1, 2, 1, 47, 1, 1, 1, 1, 7};
const Oid kSensorStatus{1, 3, 6, 1, 2, 1, 99, 1, 1, 1, 5};

struct NoEngines final : Pinger, HttpClient, TcpProbe {
  void Ping(const std::string&, const PingSettings&, std::function<void(PingOutcome)>) override {
    ADD_FAILURE() << "hardware monitor pinged";
  }
  void Get(const std::string&, std::chrono::milliseconds,
           std::function<void(HttpResponse)>) override {
    ADD_FAILURE() << "hardware monitor used HTTP";
  }
  void Connect(const std::string&, std::uint16_t, std::chrono::milliseconds,
               std::function<void(TcpProbeResult)>) override {
    ADD_FAILURE() << "hardware monitor used TCP";
  }
};

void Device(FakeSnmpClient& agent, std::uint32_t index, const std::string& descr, int status) {
  agent.Set(kDescr.Child({index}), Value::OctetString(descr));
  agent.Set(kStatus.Child({index}), Value::Integer(status));
}

void Sensor(FakeSnmpClient& agent, std::uint32_t index, const std::string& name, int status) {
  agent.Set(kPhysicalName.Child({index}), Value::OctetString(name));
  agent.Set(kSensorStatus.Child({index}), Value::Integer(status));
}

class HardwareMonitorTest : public ::testing::Test {
 protected:
  HardwareMonitorTest() {
    node_.name = "esx01";
    node_.address = "10.0.0.11";
    node_.kind = NodeKind::kEsxiHost;
    node_.hardware = true;
  }

  CheckReport Run() {
    MonitorServices services{engines_, agent_, engines_, engines_, clock_};
    auto monitors = MakeHardwareMonitors(node_, inventory_, services);
    EXPECT_EQ(monitors.size(), 1u);
    if (monitors.empty()) return {};
    EXPECT_EQ(monitors[0]->Kind(), "hardware");
    EXPECT_EQ(monitors[0]->CheckCount(), 1u);
    if (!monitor_) monitor_ = std::move(monitors[0]);
    std::optional<CheckReport> report;
    monitor_->Start([&](CheckReport r) { report = std::move(r); });
    EXPECT_TRUE(report);
    return report.value_or(CheckReport{});
  }

  static std::map<std::string, CheckResult> ByName(const CheckReport& report) {
    std::map<std::string, CheckResult> out;
    for (const CheckResult& r : report.results) out[r.monitor] = r;
    return out;
  }

  NoEngines engines_;
  FakeSnmpClient agent_;
  ManualClock clock_;
  Node node_;
  Inventory inventory_;
  std::unique_ptr<Monitor> monitor_;
};

TEST_F(HardwareMonitorTest, OnlyWhenTheNodeHasHardwareMonitoring) {
  MonitorServices services{engines_, agent_, engines_, engines_, clock_};
  node_.hardware = false;
  EXPECT_TRUE(MakeHardwareMonitors(node_, inventory_, services).empty());
}

TEST_F(HardwareMonitorTest, EachDeviceAndSensorJudgedAndNamed) {
  Device(agent_, 196608, "CPU 0: Intel Xeon Gold 6338", 2);
  Device(agent_, 262145, "vmnic0: Intel X710", 5);
  Device(agent_, 262146, "vmnic1: Intel X710", 3);
  Device(agent_, 393216, "vmhba0: Dell PERC H740P", 4);
  Device(agent_, 786432, "Guessing that there's a floating point co-processor", 1);
  Sensor(agent_, 10, "PSU 1", 1);
  Sensor(agent_, 11, "PSU 2", 3);
  Sensor(agent_, 12, "Fan 4", 2);
  const CheckReport report = Run();
  // What was asked: one walk of the four columns, at the node.
  const auto requests = agent_.requests();
  ASSERT_EQ(requests.size(), 1u);
  EXPECT_TRUE(requests[0].walk);
  EXPECT_EQ(requests[0].target.address, "10.0.0.11");
  EXPECT_EQ(requests[0].oids, (std::vector<Oid>{kDescr, kStatus, kPhysicalName, kSensorStatus}));

  auto results = ByName(report);
  ASSERT_EQ(results.size(), 8u);
  EXPECT_EQ(results["hardware:CPU 0: Intel Xeon Gold 6338"].status, Status::kOk);
  const CheckResult& nic = results["hardware:vmnic0: Intel X710"];
  EXPECT_EQ(nic.status, Status::kCritical);
  EXPECT_EQ(nic.reason, "device 'vmnic0: Intel X710' (index 262145): down");
  EXPECT_EQ(nic.value, 5);
  EXPECT_EQ(results["hardware:vmnic1: Intel X710"].status, Status::kWarning);
  EXPECT_EQ(results["hardware:vmhba0: Dell PERC H740P"].status, Status::kWarning);
  EXPECT_EQ(results["hardware:vmhba0: Dell PERC H740P"].reason,
            "device 'vmhba0: Dell PERC H740P' (index 393216): testing");
  const CheckResult& unknown =
      results["hardware:Guessing that there's a floating point co-processor"];
  EXPECT_EQ(unknown.status, Status::kOk);
  EXPECT_NE(unknown.reason.find("unknown(1)"), std::string::npos);
  EXPECT_EQ(results["hardware:sensor PSU 1"].status, Status::kOk);
  EXPECT_EQ(results["hardware:sensor PSU 2"].status, Status::kCritical);
  EXPECT_EQ(results["hardware:sensor PSU 2"].reason, "sensor 'PSU 2' (index 11): nonoperational");
  EXPECT_EQ(results["hardware:sensor Fan 4"].status, Status::kWarning);
  EXPECT_EQ(results["hardware:sensor Fan 4"].reason, "sensor 'Fan 4' (index 12): unavailable");
  EXPECT_EQ(report.measurements.size(), 8u);
}

TEST_F(HardwareMonitorTest, IgnoredNamesRepeatedNamesAndMissingNames) {
  node_.hardware_ignore = {"network interface ifb[0-9]+"};
  Device(agent_, 1, "network interface ifb0", 5);
  Device(agent_, 2, "network interface eth0", 2);
  Device(agent_, 3, "network interface eth0", 5);
  agent_.Set(kStatus.Child({4}), Value::Integer(2));        // no hrDeviceDescr
  agent_.Set(kSensorStatus.Child({7}), Value::Integer(9));  // no name, undefined state
  auto results = ByName(Run());
  EXPECT_FALSE(results.count("hardware:network interface ifb0"));
  EXPECT_EQ(results["hardware:network interface eth0"].status, Status::kOk);
  EXPECT_EQ(results["hardware:network interface eth0#3"].status, Status::kCritical);
  EXPECT_EQ(results["hardware:hrDevice 4"].status, Status::kOk);
  EXPECT_EQ(results["hardware:sensor entPhysical 7"].status, Status::kUnknown);
  EXPECT_NE(results["hardware:sensor entPhysical 7"].reason.find("does not define"),
            std::string::npos);
}

TEST_F(HardwareMonitorTest, FailedWalkNamesTheDevicesSeenLast) {
  agent_.FailWalks(FakeSnmpClient::Timeout());
  auto first = Run();
  ASSERT_EQ(first.results.size(), 1u);
  EXPECT_EQ(first.results[0].monitor, "hardware");
  EXPECT_EQ(first.results[0].status, Status::kUnknown);
  EXPECT_EQ(first.results[0].reason,
            "snmp hardware esx01 (10.0.0.11): walk hrDeviceTable and entPhySensorTable: timeout "
            "after 3 s x 2 tries");

  agent_.FailWalks(std::nullopt);
  Device(agent_, 1, "vmnic0", 2);
  Sensor(agent_, 2, "PSU 1", 1);
  EXPECT_EQ(Run().results.size(), 2u);
  agent_.FailWalks(FakeSnmpClient::Timeout());
  auto results = ByName(Run());
  ASSERT_EQ(results.size(), 2u);
  EXPECT_EQ(results["hardware:vmnic0"].status, Status::kUnknown);
  EXPECT_EQ(results["hardware:sensor PSU 1"].status, Status::kUnknown);
}

TEST_F(HardwareMonitorTest, DevicesWithoutAStatusAreUnknown) {
  agent_.Set(kDescr.Child({1}), Value::OctetString("vmnic0"));
  auto report = Run();
  ASSERT_EQ(report.results.size(), 1u);
  EXPECT_EQ(report.results[0].status, Status::kUnknown);
  EXPECT_EQ(report.results[0].reason,
            "snmp hardware esx01 (10.0.0.11): the agent lists devices (hrDeviceDescr) but no "
            "hrDeviceStatus");
}

TEST_F(HardwareMonitorTest, AnAgentWithNeitherTableIsUnknown) {
  auto report = Run();
  ASSERT_EQ(report.results.size(), 1u);
  EXPECT_EQ(report.results[0].status, Status::kUnknown);
  EXPECT_EQ(report.results[0].reason,
            "snmp hardware esx01 (10.0.0.11): the agent serves neither hrDeviceTable "
            "(HOST-RESOURCES-MIB) nor entPhySensorTable (ENTITY-SENSOR-MIB)");
}

}  // namespace
}  // namespace mimamori::collector
