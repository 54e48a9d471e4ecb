#include "collector/monitors/resource_monitor.h"

#include <gtest/gtest.h>

#include <chrono>
#include <cstdint>
#include <functional>
#include <optional>
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

// ------------------------------------------------------------ the agent's MIB

Oid Cpu(std::uint32_t arc) { return Oid{1, 3, 6, 1, 4, 1, 2021, 11, arc, 0}; }
Oid Mem(std::uint32_t arc) { return Oid{1, 3, 6, 1, 4, 1, 2021, 4, arc, 0}; }
const Oid kUptime{1, 3, 6, 1, 2, 1, 25, 1, 1, 0};
const Oid kStorageEntry{1, 3, 6, 1, 2, 1, 25, 2, 3, 1};
const Oid kProcessorLoad{1, 3, 6, 1, 2, 1, 25, 3, 3, 1, 2};
const Oid kRam{1, 3, 6, 1, 2, 1, 25, 2, 1, 2};
const Oid kVirtualMemory{1, 3, 6, 1, 2, 1, 25, 2, 1, 3};
const Oid kOther{1, 3, 6, 1, 2, 1, 25, 2, 1, 1};
const Oid kFixedDisk{1, 3, 6, 1, 2, 1, 25, 2, 1, 4};
const Oid kNetworkDisk{1, 3, 6, 1, 2, 1, 25, 2, 1, 10};

// /proc/stat-like tick counts, as ssCpuRaw* carries them.
struct Ticks {
  std::uint32_t user = 0, nice = 0, system = 0, idle = 0, wait = 0, interrupt = 0, softirq = 0,
                steal = 0;
};

void SetTicks(FakeSnmpClient& agent, const Ticks& t) {
  agent.Set(Cpu(50), Value::Counter32(t.user));
  agent.Set(Cpu(51), Value::Counter32(t.nice));
  agent.Set(Cpu(52), Value::Counter32(t.system));
  agent.Set(Cpu(53), Value::Counter32(t.idle));
  agent.Set(Cpu(54), Value::Counter32(t.wait));
  agent.Set(Cpu(55), Value::Counter32(0));  // ssCpuRawKernel: 0 on Linux
  agent.Set(Cpu(56), Value::Counter32(t.interrupt));
  agent.Set(Cpu(61), Value::Counter32(t.softirq));
  agent.Set(Cpu(64), Value::Counter32(t.steal));
}

// Adds `busy` non-idle ticks (as user time) and `idle` idle ticks.
Ticks Plus(Ticks t, std::uint32_t busy, std::uint32_t idle, std::uint32_t wait = 0) {
  t.user += busy;
  t.idle += idle;
  t.wait += wait;
  return t;
}

void SetStorage(FakeSnmpClient& agent, std::uint32_t index, const Oid& type,
                const std::string& descr, std::int32_t units, std::int32_t size,
                std::int32_t used) {
  agent.Set(kStorageEntry.Child({1, index}), Value::Integer(static_cast<std::int32_t>(index)));
  agent.Set(kStorageEntry.Child({2, index}), Value::ObjectId(type));
  agent.Set(kStorageEntry.Child({3, index}), Value::OctetString(descr));
  agent.Set(kStorageEntry.Child({4, index}), Value::Integer(units));
  agent.Set(kStorageEntry.Child({5, index}), Value::Integer(size));
  agent.Set(kStorageEntry.Child({6, index}), Value::Integer(used));
}

// A RHEL 9 VM as snmpd (or our agent) shows it: 8 GiB of RAM of which
// 6 GiB available, "/" 40 % full, "/var" 60 % full, and snmpd's memory rows.
void SetLinuxHost(FakeSnmpClient& agent) {
  SetTicks(agent, Ticks{100000, 10, 20000, 800000, 5000, 300, 700, 0});
  agent.Set(kUptime, Value::TimeTicks(8640000));
  agent.Set(Mem(5), Value::Integer(8 * 1024 * 1024));   // memTotalReal
  agent.Set(Mem(6), Value::Integer(1 * 1024 * 1024));   // memAvailReal (MemFree)
  agent.Set(Mem(14), Value::Integer(512 * 1024));       // memBuffer
  agent.Set(Mem(15), Value::Integer(3 * 1024 * 1024));  // memCached
  agent.Set(Mem(20), Value::Counter64(8 * 1024 * 1024));
  agent.Set(Mem(21), Value::Counter64(1 * 1024 * 1024));
  agent.Set(Mem(25), Value::Counter64(512 * 1024));
  agent.Set(Mem(26), Value::Counter64(3 * 1024 * 1024));
  agent.Set(Mem(27), Value::Counter64(6 * 1024 * 1024));  // memSysAvail
  SetStorage(agent, 1, kRam, "Physical memory", 1024, 8 * 1024 * 1024, 7 * 1024 * 1024);
  SetStorage(agent, 3, kVirtualMemory, "Virtual memory", 1024, 10 * 1024 * 1024, 7 * 1024 * 1024);
  SetStorage(agent, 6, kOther, "Memory buffers", 1024, 8 * 1024 * 1024, 7 * 1024 * 1024);
  SetStorage(agent, 31, kFixedDisk, "/", 4096, 10000, 4000);
  SetStorage(agent, 35, kFixedDisk, "/var", 4096, 20000, 12000);
}

// ------------------------------------------------------------ the other engines

class UnusedPinger final : public Pinger {
 public:
  void Ping(const std::string&, const PingSettings&, std::function<void(PingOutcome)>) override {
    ADD_FAILURE() << "resource monitor used ping";
  }
};
class UnusedHttp final : public HttpClient {
 public:
  void Get(const std::string&, milliseconds, std::function<void(HttpResponse)>) override {
    ADD_FAILURE() << "resource monitor used HTTP";
  }
};
class UnusedTcp final : public TcpProbe {
 public:
  void Connect(const std::string&, std::uint16_t, milliseconds,
               std::function<void(TcpProbeResult)>) override {
    ADD_FAILURE() << "resource monitor used TCP";
  }
};

// ------------------------------------------------------------ fixture

class ResourceMonitorTest : public ::testing::Test {
 protected:
  ResourceMonitorTest() {
    Node node;
    node.name = "web01";
    node.address = "10.0.0.5";
    inventory_.nodes.push_back(node);
    SetLinuxHost(agent_);
    options_.run_after = [this](milliseconds delay, std::function<void()> task) {
      delays_.push_back(delay);
      later_.push_back(std::move(task));
    };
  }

  Node& node() { return inventory_.nodes.front(); }

  void Set(const Ticks& ticks) {
    ticks_ = ticks;
    SetTicks(agent_, ticks);
  }

  std::unique_ptr<Monitor> MakeOne() {
    auto monitors = MakeResourceMonitors(node(), inventory_, services_, options_);
    EXPECT_EQ(monitors.size(), 1u);
    return monitors.empty() ? nullptr : std::move(monitors.front());
  }

  // Starts a check; the report, if it is already there.
  std::optional<CheckReport> Start(Monitor& monitor) {
    std::optional<CheckReport> report;
    monitor.Start([this](CheckReport r) { last_ = std::move(r); });
    report.swap(last_);
    return report;
  }

  // Runs the delayed second CPU sample; the report it completed.
  std::optional<CheckReport> RunLater() {
    EXPECT_EQ(later_.size(), 1u);
    if (later_.empty()) return std::nullopt;
    auto task = std::move(later_.front());
    later_.erase(later_.begin());
    task();
    std::optional<CheckReport> report;
    report.swap(last_);
    return report;
  }

  // A first check: two samples, 10 % busy in between.
  std::optional<CheckReport> FirstCheck(Monitor& monitor) {
    EXPECT_FALSE(Start(monitor).has_value());
    Set(Plus(ticks_, 100, 900));
    return RunLater();
  }

  // A check of a monitor whose earlier sample is `before`: the CPU delta is
  // over the interval, with no delayed sample.
  CheckReport Steady(Monitor& monitor, const Ticks& now) {
    Set(now);
    auto report = Start(monitor);
    EXPECT_TRUE(later_.empty()) << "took a second sample although it had one";
    return report.value_or(CheckReport{});
  }

  // A monitor after its first check, whose counters were `first`.
  std::unique_ptr<Monitor> Primed(const Ticks& first) {
    auto monitor = MakeOne();
    Set(first);
    EXPECT_FALSE(Start(*monitor).has_value());
    Set(Plus(first, 10, 990));
    EXPECT_TRUE(RunLater().has_value());
    delays_.clear();
    agent_.ClearRequests();
    return monitor;
  }

  Inventory inventory_;
  FakeSnmpClient agent_;
  UnusedPinger pinger_;
  UnusedHttp http_;
  UnusedTcp tcp_;
  ManualClock clock_{TimePoint{} + std::chrono::hours(24 * 365 * 50)};
  MonitorServices services_{pinger_, agent_, http_, tcp_, clock_};
  ResourceMonitorOptions options_;
  std::vector<milliseconds> delays_;
  std::vector<std::function<void()>> later_;
  std::optional<CheckReport> last_;
  Ticks ticks_{100000, 10, 20000, 800000, 5000, 300, 700, 0};  // as SetLinuxHost
};

const CheckResult* Find(const CheckReport& report, const std::string& monitor) {
  for (const CheckResult& result : report.results) {
    if (result.monitor == monitor) return &result;
  }
  return nullptr;
}

std::optional<double> Metric(const CheckReport& report, const std::string& name,
                             const std::string& mount = "") {
  for (const Measurement& m : report.measurements) {
    if (m.metric != name) continue;
    if (mount.empty() ? m.labels.empty()
                      : (m.labels.size() == 1 && m.labels[0].first == "mountpoint" &&
                         m.labels[0].second == mount)) {
      return m.value;
    }
  }
  return std::nullopt;
}

// ------------------------------------------------------------ tests

TEST_F(ResourceMonitorTest, OneMonitorPerNodeWithResourceSet) {
  auto monitor = MakeOne();
  ASSERT_NE(monitor, nullptr);
  EXPECT_EQ(monitor->Kind(), "resource");
  EXPECT_EQ(monitor->NodeName(), "web01");
  EXPECT_EQ(monitor->Interval(), std::chrono::seconds(300));
  EXPECT_EQ(monitor->FailureThreshold(), 1);
  inventory_.defaults.intervals.resource = std::chrono::seconds(120);
  EXPECT_EQ(MakeOne()->Interval(), std::chrono::seconds(120));
  node().resource = false;
  EXPECT_TRUE(MakeResourceMonitors(node(), inventory_, services_, options_).empty());
}

TEST_F(ResourceMonitorTest, FirstCheckTakesTwoSamplesAGapApart) {
  node().snmp.community = "Himitsu";
  node().snmp.port = 1161;
  auto monitor = MakeOne();
  const Ticks first{100000, 0, 20000, 800000, 5000, 0, 0, 0};
  Set(first);

  EXPECT_FALSE(Start(*monitor).has_value()) << "must wait for the second sample";
  // Asked: one Get of the scalars and one Walk of hrStorage + hrProcessorLoad.
  auto requests = agent_.requests();
  ASSERT_EQ(requests.size(), 2u);
  EXPECT_FALSE(requests[0].walk);
  EXPECT_EQ(requests[0].target.node, "web01");
  EXPECT_EQ(requests[0].target.address, "10.0.0.5");
  EXPECT_EQ(requests[0].target.settings.community, "Himitsu");
  EXPECT_EQ(requests[0].target.settings.port, 1161);
  const std::vector<Oid>& asked = requests[0].oids;
  for (std::uint32_t arc : {50u, 51u, 52u, 53u, 54u, 55u, 56u, 61u, 64u}) {
    EXPECT_NE(std::find(asked.begin(), asked.end(), Cpu(arc)), asked.end()) << arc;
  }
  for (std::uint32_t arc : {5u, 6u, 14u, 15u, 27u}) {
    EXPECT_NE(std::find(asked.begin(), asked.end(), Mem(arc)), asked.end()) << arc;
  }
  EXPECT_TRUE(requests[1].walk);
  EXPECT_EQ(requests[1].oids, (std::vector<Oid>{kStorageEntry.Child({2}), kStorageEntry.Child({3}),
                                                kStorageEntry.Child({4}), kStorageEntry.Child({5}),
                                                kStorageEntry.Child({6}), kProcessorLoad}));
  ASSERT_EQ(delays_, std::vector<milliseconds>{milliseconds(6000)});

  // 6 s later: 300 busy ticks, 600 idle, 100 iowait.
  Set(Plus(first, 300, 600, 100));
  auto report = RunLater();
  ASSERT_TRUE(report.has_value());
  requests = agent_.requests();
  ASSERT_EQ(requests.size(), 3u);
  EXPECT_FALSE(requests[2].walk);
  EXPECT_EQ(requests[2].oids.size(), 10u) << "the second sample asks only for the CPU";

  ASSERT_EQ(report->results.size(), 4u);
  EXPECT_EQ(report->results[0].monitor, "cpu");
  EXPECT_EQ(report->results[0].status, Status::kOk);
  EXPECT_DOUBLE_EQ(report->results[0].value.value(), 30.0);  // iowait is not busy
  EXPECT_EQ(report->results[0].reason, "CPU 30.0 % < warning 75 %");
  EXPECT_DOUBLE_EQ(Metric(*report, "mimamori_cpu_usage_ratio").value(), 0.30);
}

TEST_F(ResourceMonitorTest, GapIsConfigurable) {
  options_.first_sample_gap = milliseconds(1500);
  auto monitor = MakeOne();
  EXPECT_FALSE(Start(*monitor).has_value());
  EXPECT_EQ(delays_, std::vector<milliseconds>{milliseconds(1500)});
}

TEST_F(ResourceMonitorTest, LaterChecksUseThePreviousChecksSample) {
  const Ticks first{100000, 0, 20000, 800000, 5000, 0, 0, 0};
  auto monitor = Primed(first);
  const Ticks second = Plus(first, 10, 990);
  // Over the interval: 9,000 busy and 21,000 idle ticks.
  auto report = Steady(*monitor, Plus(second, 9000, 21000));
  ASSERT_NE(Find(report, "cpu"), nullptr);
  EXPECT_DOUBLE_EQ(Find(report, "cpu")->value.value(), 30.0);
  EXPECT_EQ(agent_.requests().size(), 2u) << "one Get and one Walk per check";
}

TEST_F(ResourceMonitorTest, IowaitCanCountAsBusy) {
  options_.iowait_is_busy = true;
  const Ticks first{100000, 0, 20000, 800000, 5000, 0, 0, 0};
  auto monitor = Primed(first);
  auto report = Steady(*monitor, Plus(Plus(first, 10, 990), 200, 500, 300));
  EXPECT_DOUBLE_EQ(Find(report, "cpu")->value.value(), 50.0);
}

TEST_F(ResourceMonitorTest, AllNonIdleCountersAreBusy) {
  const Ticks first{100000, 50, 20000, 800000, 5000, 100, 100, 100};
  auto monitor = Primed(first);
  Ticks next = Plus(first, 10, 990);
  next.nice += 100;
  next.system += 100;
  next.interrupt += 100;
  next.softirq += 100;
  next.steal += 100;
  next.idle += 500;
  auto report = Steady(*monitor, next);
  EXPECT_DOUBLE_EQ(Find(report, "cpu")->value.value(), 50.0);
}

TEST_F(ResourceMonitorTest, Counter32WrapIsADeltaNotAReset) {
  const Ticks first{100000, 0, 20000, 4294967000u, 5000, 0, 0, 0};
  auto monitor = Primed(first);
  Ticks next = Plus(first, 10, 990);  // idle wraps: 4294967000 + 990 - 2^32 = 694
  ASSERT_EQ(next.idle, 694u);
  next = Plus(next, 250, 750);  // idle 1444 after wrap
  auto report = Steady(*monitor, next);
  EXPECT_DOUBLE_EQ(Find(report, "cpu")->value.value(), 25.0);
}

TEST_F(ResourceMonitorTest, CountersGoingBackTakeAFreshTwoSampleMeasurement) {
  auto monitor = Primed(Ticks{100000, 0, 20000, 800000, 5000, 0, 0, 0});
  // The host rebooted: small counters again.
  const Ticks rebooted{500, 0, 300, 9000, 10, 0, 0, 0};
  Set(rebooted);
  EXPECT_FALSE(Start(*monitor).has_value()) << "a delta across a reboot is meaningless";
  ASSERT_EQ(delays_.size(), 1u);
  Set(Plus(rebooted, 900, 100));
  auto report = RunLater();
  ASSERT_TRUE(report.has_value());
  EXPECT_DOUBLE_EQ(Find(*report, "cpu")->value.value(), 90.0);
  EXPECT_EQ(Find(*report, "cpu")->status, Status::kCritical);
}

TEST_F(ResourceMonitorTest, UptimeGoingBackIsAReset) {
  const Ticks first{100000, 0, 20000, 800000, 5000, 0, 0, 0};
  auto monitor = Primed(first);
  agent_.Set(kUptime, Value::TimeTicks(100));
  // The counters alone look like a plausible delta, but the host rebooted.
  Set(Plus(first, 5000, 5000));
  EXPECT_FALSE(Start(*monitor).has_value());
  EXPECT_EQ(delays_.size(), 1u);
}

TEST_F(ResourceMonitorTest, AgentThatHasNotRefreshedYetGetsMoreSamples) {
  auto monitor = MakeOne();
  // snmpd answers zeros until its first 5 s refresh.
  Set(Ticks{});
  EXPECT_FALSE(Start(*monitor).has_value());
  const Ticks real{100000, 0, 20000, 800000, 5000, 0, 0, 0};
  Set(real);
  EXPECT_FALSE(RunLater().has_value()) << "zeros to real counters is no delta";
  // The counters did not move within the gap: one more sample.
  EXPECT_FALSE(RunLater().has_value());
  Set(Plus(real, 100, 300));
  auto report = RunLater();
  ASSERT_TRUE(report.has_value());
  EXPECT_DOUBLE_EQ(Find(*report, "cpu")->value.value(), 25.0);
  EXPECT_EQ(delays_.size(), 3u);
}

TEST_F(ResourceMonitorTest, CountersThatNeverMoveAreUnknown) {
  auto monitor = MakeOne();
  EXPECT_FALSE(Start(*monitor).has_value());
  EXPECT_FALSE(RunLater().has_value());
  EXPECT_FALSE(RunLater().has_value());
  auto report = RunLater();
  ASSERT_TRUE(report.has_value());
  EXPECT_EQ(Find(*report, "cpu")->status, Status::kUnknown);
  EXPECT_EQ(Find(*report, "cpu")->reason,
            "snmp resource web01 (10.0.0.5): ssCpuRaw* counters did not move between samples "
            "6000 ms apart");
  EXPECT_EQ(Find(*report, "memory")->status, Status::kOk) << "the rest is judged all the same";
}

TEST_F(ResourceMonitorTest, StaleSampleIsNotUsed) {
  auto monitor = Primed(Ticks{100000, 0, 20000, 800000, 5000, 0, 0, 0});
  clock_.Advance(std::chrono::minutes(11));  // more than two 5 min intervals
  EXPECT_FALSE(Start(*monitor).has_value());
  EXPECT_EQ(delays_.size(), 1u);
}

TEST_F(ResourceMonitorTest, WindowsHrProcessorLoadWhenNoUcdMib) {
  // The Windows SNMP service: no UCD-SNMP-MIB, and noSuchName for a Get
  // that names it.
  agent_.Erase(Oid{1, 3, 6, 1, 4, 1, 2021});
  agent_.AnswerNoSuchName(true);
  for (std::uint32_t cpu = 0; cpu < 4; ++cpu) {
    agent_.Set(kProcessorLoad.Child({cpu + 2}),
               Value::Integer(static_cast<std::int32_t>(10 + 20 * cpu)));
  }
  agent_.Erase(kStorageEntry);
  SetStorage(agent_, 1, kFixedDisk, "C:\\ Label:System  Serial Number 5c6a1b2f", 4096, 1000, 800);
  SetStorage(agent_, 2, kFixedDisk, "D:\\ Label:Data  Serial Number 77aa", 4096, 1000, 100);
  SetStorage(agent_, 3, kVirtualMemory, "Virtual Memory", 65536, 1000, 500);
  SetStorage(agent_, 4, kRam, "Physical Memory", 65536, 1000, 930);

  auto monitor = MakeOne();
  auto report = Start(*monitor);
  ASSERT_TRUE(report.has_value()) << "no second sample without ssCpuRaw*";
  EXPECT_EQ(agent_.requests().size(), 2u);
  EXPECT_DOUBLE_EQ(Find(*report, "cpu")->value.value(), 40.0);  // mean of 10, 30, 50, 70
  EXPECT_EQ(Find(*report, "memory")->reason, "memory 93.0 % >= warning 90 %");
  ASSERT_NE(Find(*report, "disk:C:\\"), nullptr);
  EXPECT_EQ(Find(*report, "disk:C:\\")->reason, "disk C:\\ 80.0 % >= warning 75 %");
  EXPECT_EQ(Find(*report, "disk:D:\\")->status, Status::kOk);
  EXPECT_EQ(report->results.size(), 4u);
  EXPECT_DOUBLE_EQ(Metric(*report, "mimamori_filesystem_size_bytes", "C:\\").value(),
                   4096.0 * 1000);
}

TEST_F(ResourceMonitorTest, HrProcessorLoadAlsoWhenUcdAnswersNoSuchObject) {
  agent_.Erase(Oid{1, 3, 6, 1, 4, 1, 2021, 11});
  agent_.Set(kProcessorLoad.Child({196608}), Value::Integer(12));
  auto report = Start(*MakeOne());
  ASSERT_TRUE(report.has_value());
  EXPECT_DOUBLE_EQ(Find(*report, "cpu")->value.value(), 12.0);
  EXPECT_EQ(Find(*report, "memory")->value, 25.0) << "UCD memory is still used";
}

TEST_F(ResourceMonitorTest, NoCpuFiguresAtAllIsUnknown) {
  agent_.Erase(Oid{1, 3, 6, 1, 4, 1, 2021, 11});
  auto report = Start(*MakeOne());
  ASSERT_TRUE(report.has_value());
  EXPECT_EQ(Find(*report, "cpu")->status, Status::kUnknown);
  EXPECT_EQ(Find(*report, "cpu")->reason,
            "snmp resource web01 (10.0.0.5): no CPU figures: neither ssCpuRaw* (UCD-SNMP-MIB) "
            "nor hrProcessorLoad (HOST-RESOURCES-MIB) answered");
}

TEST_F(ResourceMonitorTest, MemoryIsTotalMinusAvailable) {
  const Ticks first{100000, 0, 20000, 800000, 5000, 0, 0, 0};
  auto monitor = Primed(first);
  auto report = Steady(*monitor, Plus(Plus(first, 10, 990), 100, 900));
  // (8 GiB - 6 GiB available) / 8 GiB, not "Physical memory" (7/8: cache as used).
  EXPECT_DOUBLE_EQ(Find(report, "memory")->value.value(), 25.0);
  EXPECT_EQ(Find(report, "memory")->reason, "memory 25.0 % < warning 90 %");
  EXPECT_DOUBLE_EQ(Metric(report, "mimamori_memory_usage_ratio").value(), 0.25);
}

TEST_F(ResourceMonitorTest, MemoryWithoutMemAvailableCountsBuffersAndCacheAsFree) {
  agent_.Erase(Mem(27));
  auto monitor = MakeOne();
  auto report = FirstCheck(*monitor);
  ASSERT_TRUE(report.has_value());
  // 8 GiB - 1 GiB free - 0.5 GiB buffers - 3 GiB cached = 3.5 GiB used.
  EXPECT_DOUBLE_EQ(Find(*report, "memory")->value.value(), 43.75);
}

TEST_F(ResourceMonitorTest, MemoryPrefersThe64BitObjects) {
  // 5 TiB of RAM: memTotalReal (INTEGER) has wrapped to 1 TiB, memTotalRealX has not.
  const std::uint64_t total_kb = std::uint64_t{5} << 30;
  agent_.Set(Mem(5),
             Value::Integer(static_cast<std::int32_t>(static_cast<std::uint32_t>(total_kb))));
  agent_.Set(Mem(20), Value::Counter64(total_kb));
  agent_.Set(Mem(27), Value::Counter64(total_kb / 16));
  auto monitor = MakeOne();
  auto report = FirstCheck(*monitor);
  ASSERT_TRUE(report.has_value());
  EXPECT_DOUBLE_EQ(Find(*report, "memory")->value.value(), 93.75);  // not 68.75
  EXPECT_EQ(Find(*report, "memory")->status, Status::kWarning);
}

TEST_F(ResourceMonitorTest, DisksAreTheFileSystemRowsByMountPoint) {
  SetStorage(agent_, 40, kNetworkDisk, "/mnt/nfs", 65536, 1000, 900);
  SetStorage(agent_, 41, kFixedDisk, "/empty", 4096, 0, 0);  // nothing to fill
  auto monitor = MakeOne();
  auto report = FirstCheck(*monitor);
  ASSERT_TRUE(report.has_value());
  std::vector<std::string> names;
  for (const CheckResult& result : report->results) names.push_back(result.monitor);
  EXPECT_EQ(names,
            (std::vector<std::string>{"cpu", "memory", "disk:/", "disk:/var", "disk:/mnt/nfs"}));
  EXPECT_EQ(Find(*report, "disk:/")->reason, "disk / 40.0 % < warning 75 %");
  EXPECT_EQ(Find(*report, "disk:/mnt/nfs")->reason, "disk /mnt/nfs 90.0 % >= critical 85 %");
  EXPECT_DOUBLE_EQ(Metric(*report, "mimamori_filesystem_usage_ratio", "/var").value(), 0.6);
  EXPECT_DOUBLE_EQ(Metric(*report, "mimamori_filesystem_size_bytes", "/var").value(),
                   4096.0 * 20000);
}

TEST_F(ResourceMonitorTest, PerFileSystemThresholdWins) {
  node().thresholds.disk = {50, 55};                   // node override
  node().thresholds.disk_by_mount["/var"] = {90, 95};  // per file system
  auto monitor = MakeOne();
  auto report = FirstCheck(*monitor);
  ASSERT_TRUE(report.has_value());
  EXPECT_EQ(Find(*report, "disk:/")->status, Status::kOk);  // 40 % < 50
  EXPECT_EQ(Find(*report, "disk:/var")->status, Status::kOk);
  EXPECT_EQ(Find(*report, "disk:/var")->reason, "disk /var 60.0 % < warning 90 %");
  agent_.Set(kStorageEntry.Child({6, 31}), Value::Integer(5000));
  monitor = MakeOne();
  report = FirstCheck(*monitor);
  EXPECT_EQ(Find(*report, "disk:/")->reason, "disk / 50.0 % >= warning 50 %");
}

// ------------------------------------------------------------ threshold edges

class CpuThresholdTest : public ResourceMonitorTest {
 protected:
  // CPU of a steady check with `busy` of 1000 ticks busy.
  CheckResult CpuWith(std::uint32_t busy) {
    const Ticks first{100000, 0, 20000, 800000, 5000, 0, 0, 0};
    auto monitor = Primed(first);
    auto report = Steady(*monitor, Plus(Plus(first, 10, 990), busy, 1000 - busy));
    const CheckResult* cpu = Find(report, "cpu");
    return cpu ? *cpu : CheckResult{};
  }
};

TEST_F(CpuThresholdTest, ExactlyTheWarningLevelIsWarning) {
  const CheckResult cpu = CpuWith(750);
  EXPECT_EQ(cpu.status, Status::kWarning);
  EXPECT_EQ(cpu.reason, "CPU 75.0 % >= warning 75 %");
}

TEST_F(CpuThresholdTest, JustUnderTheWarningLevelIsOk) {
  const CheckResult cpu = CpuWith(749);
  EXPECT_EQ(cpu.status, Status::kOk);
  EXPECT_EQ(cpu.reason, "CPU 74.9 % < warning 75 %");
}

TEST_F(CpuThresholdTest, ExactlyTheCriticalLevelIsCritical) {
  const CheckResult cpu = CpuWith(900);
  EXPECT_EQ(cpu.status, Status::kCritical);
  EXPECT_EQ(cpu.reason, "CPU 90.0 % >= critical 90 %");
}

TEST_F(CpuThresholdTest, NodeOverrideWins) {
  node().thresholds.cpu = {95, 99};
  const CheckResult cpu = CpuWith(912);
  EXPECT_EQ(cpu.status, Status::kOk);
  EXPECT_EQ(cpu.reason, "CPU 91.2 % < warning 95 %");
}

TEST_F(CpuThresholdTest, ShownValueNeverContradictsTheJudgement) {
  // 74.96 % is OK; "75.0 %" would read as if it were at the level.
  const Ticks first{100000, 0, 20000, 800000, 5000, 0, 0, 0};
  auto monitor = Primed(first);
  auto report = Steady(*monitor, Plus(Plus(first, 10, 990), 7496, 2504));
  EXPECT_EQ(Find(report, "cpu")->status, Status::kOk);
  EXPECT_EQ(Find(report, "cpu")->reason, "CPU 74.96 % < warning 75 %");
}

// ------------------------------------------------------------ failures

TEST_F(ResourceMonitorTest, TimeoutMakesEveryResultUnknown) {
  auto monitor = Primed(Ticks{100000, 0, 20000, 800000, 5000, 0, 0, 0});
  agent_.FailGets(FakeSnmpClient::Timeout());
  agent_.FailWalks(FakeSnmpClient::Timeout());
  auto report = Start(*monitor);
  ASSERT_TRUE(report.has_value());
  EXPECT_TRUE(later_.empty());
  std::vector<std::string> names;
  for (const CheckResult& result : report->results) {
    names.push_back(result.monitor);
    EXPECT_EQ(result.status, Status::kUnknown) << result.monitor;
    EXPECT_FALSE(result.value.has_value());
  }
  // The file systems of the last good check are named, so that each one's
  // state is UNKNOWN rather than silently gone.
  EXPECT_EQ(names, (std::vector<std::string>{"cpu", "memory", "disk:/", "disk:/var"}));
  EXPECT_EQ(report->results[0].reason,
            "snmp resource web01 (10.0.0.5): get UCD-SNMP-MIB ssCpuRaw*/mem*: timeout after 3 "
            "s x 2 tries");
  EXPECT_EQ(report->results[2].reason,
            "snmp resource web01 (10.0.0.5): walk hrStorageTable: timeout after 3 s x 2 tries");
  EXPECT_TRUE(report->measurements.empty());
}

TEST_F(ResourceMonitorTest, TimeoutOnTheFirstCheckNamesOneDiskResult) {
  agent_.FailGets(FakeSnmpClient::Timeout());
  agent_.FailWalks(FakeSnmpClient::Timeout());
  auto report = Start(*MakeOne());
  ASSERT_TRUE(report.has_value());
  ASSERT_EQ(report->results.size(), 3u);
  EXPECT_EQ(report->results[2].monitor, "disk");
  EXPECT_EQ(report->results[2].status, Status::kUnknown);
}

TEST_F(ResourceMonitorTest, SecondSampleTimeoutMakesCpuUnknown) {
  auto monitor = MakeOne();
  EXPECT_FALSE(Start(*monitor).has_value());
  agent_.FailGets(FakeSnmpClient::Timeout());
  auto report = RunLater();
  ASSERT_TRUE(report.has_value());
  EXPECT_EQ(Find(*report, "cpu")->status, Status::kUnknown);
  EXPECT_EQ(Find(*report, "cpu")->reason,
            "snmp resource web01 (10.0.0.5): get ssCpuRaw* (second sample): timeout after 3 s x "
            "2 tries");
  EXPECT_EQ(Find(*report, "disk:/var")->status, Status::kOk);
}

TEST_F(ResourceMonitorTest, MonitorMayGoWhileACheckWaits) {
  auto monitor = MakeOne();
  EXPECT_FALSE(Start(*monitor).has_value());
  monitor.reset();
  Set(Plus(ticks_, 100, 900));
  EXPECT_TRUE(RunLater().has_value()) << "the check finishes on its own";
}

}  // namespace
}  // namespace mimamori::collector
