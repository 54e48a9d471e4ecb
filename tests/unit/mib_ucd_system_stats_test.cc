#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "agent/mib/cpu_history.h"
#include "agent/mib/ucd_snmp.h"
#include "tests/unit/fake_host_data.h"

namespace mimamori::agent {
namespace {

using proto::Oid;
using proto::Value;
using std::chrono::seconds;

Oid Ss(std::uint32_t object) { return Oid{1, 3, 6, 1, 4, 1, 2021, 11, object, 0}; }

class UcdSystemStatsTest : public ::testing::Test {
 protected:
  UcdSystemStatsTest() {
    host_.cpu_models = {"AuthenticAMD: AMD EPYC", "AuthenticAMD: AMD EPYC"};
    // /proc/stat "cpu  2586 0 2748 83651 2060 0 101 446 0 0" of the live check.
    host_.cpu.total = {2586, 0, 2748, 83651, 2060, 0, 101, 446, 0, 0};
    host_.cpu.interrupts = 202510;
    host_.cpu.context_switches = 416577;
    host_.cpu.pages_in = 1305037;
    host_.cpu.pages_out = 913268;
  }

  std::map<Oid, Value> Collect() { return testing::CollectInstances(*provider_, &objects_); }

  testing::FakeHostData host_;
  SystemSettings system_;
  SnmpCounters counters_;
  std::chrono::steady_clock::time_point now_{seconds(100)};
  ProviderContext context_{host_,
                           system_,
                           counters_,
                           [this] { return now_; },
                           [] { return std::chrono::system_clock::time_point{}; },
                           now_};
  std::shared_ptr<CpuHistory> cpu_ = std::make_shared<CpuHistory>(context_);
  std::unique_ptr<MibProvider> provider_ = MakeUcdSystemStatsProvider(context_, cpu_);
  std::vector<Oid> objects_;
};

TEST_F(UcdSystemStatsTest, RawCountersAsSnmpd) {
  EXPECT_EQ(provider_->Roots(), std::vector<Oid>{Oid({1, 3, 6, 1, 4, 1, 2021, 11})});
  const std::map<Oid, Value> expected = {
      {Ss(1), Value::Integer(1)},          {Ss(2), Value::OctetString("systemStats")},
      {Ss(50), Value::Counter32(2586)},    {Ss(51), Value::Counter32(0)},
      {Ss(52), Value::Counter32(2748)},  // system only
      {Ss(53), Value::Counter32(83651)},   {Ss(54), Value::Counter32(2060)},
      {Ss(55), Value::Counter32(0)},  // no "kernel" figure on Linux
      {Ss(56), Value::Counter32(0)},       {Ss(57), Value::Counter32(1826536)},  // pgpgout * 2
      {Ss(58), Value::Counter32(2610074)},                                       // pgpgin * 2
      {Ss(59), Value::Counter32(202510)},  {Ss(60), Value::Counter32(416577)},
      {Ss(61), Value::Counter32(101)},     {Ss(62), Value::Counter32(0)},
      {Ss(63), Value::Counter32(0)},       {Ss(64), Value::Counter32(446)},
      {Ss(65), Value::Counter32(0)},       {Ss(66), Value::Counter32(0)},
      {Ss(67), Value::Integer(2)},
  };
  // Before a minute of history the rates and percentages have no instance,
  // but the objects exist (a Get answers noSuchInstance, as snmpd).
  EXPECT_EQ(Collect(), expected);
  for (std::uint32_t object = 1; object <= 67; ++object) {
    EXPECT_NE(
        std::find(objects_.begin(), objects_.end(), Oid({1, 3, 6, 1, 4, 1, 2021, 11, object})),
        objects_.end())
        << object;
  }
}

TEST_F(UcdSystemStatsTest, RawCountersWrapAt32Bits) {
  host_.cpu.total.user = (1ull << 32) + 5;
  host_.cpu.interrupts = (1ull << 33) + 7;
  const auto v = Collect();
  EXPECT_EQ(v.at(Ss(50)), Value::Counter32(5));
  EXPECT_EQ(v.at(Ss(59)), Value::Counter32(7));
}

TEST_F(UcdSystemStatsTest, MinuteValuesAfterTwelveSamples) {
  for (int i = 0; i < 12; ++i) {
    if (i > 0) {
      host_.cpu.total.user += 100;
      host_.cpu.total.nice += 20;
      host_.cpu.total.system += 30;
      host_.cpu.total.idle += 340;
      host_.cpu.total.iowait += 10;
      host_.cpu.interrupts += 1000;
      host_.cpu.context_switches += 2000;
      host_.cpu.pages_in += 300;
      host_.cpu.pages_out += 150;
      host_.cpu.swap_in += 60;
      host_.cpu.swap_out += 120;
    }
    now_ += seconds(5);
    provider_->Sample();
    provider_->Sample();
  }
  const auto v = Collect();
  EXPECT_EQ(v.at(Ss(3)), Value::Integer(11));  // 11 * 60 / 60
  EXPECT_EQ(v.at(Ss(4)), Value::Integer(22));
  EXPECT_EQ(v.at(Ss(5)), Value::Integer(55));   // 11 * 150 * 2 / 60
  EXPECT_EQ(v.at(Ss(6)), Value::Integer(110));  // 11 * 300 * 2 / 60
  EXPECT_EQ(v.at(Ss(7)), Value::Integer(183));  // 11000 / 60
  EXPECT_EQ(v.at(Ss(8)), Value::Integer(366));
  EXPECT_EQ(v.at(Ss(9)), Value::Integer(20));   // user 100 of 500
  EXPECT_EQ(v.at(Ss(10)), Value::Integer(6));   // system 30 of 500
  EXPECT_EQ(v.at(Ss(11)), Value::Integer(68));  // idle 340 of 500
  // The raw counters follow the newest sample.
  EXPECT_EQ(v.at(Ss(50)), Value::Counter32(2586 + 1100));
}

}  // namespace
}  // namespace mimamori::agent
