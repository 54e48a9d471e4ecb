#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <map>
#include <string>
#include <vector>

#include "agent/mib/ucd_snmp.h"
#include "tests/unit/fake_host_data.h"

namespace mimamori::agent {
namespace {

using proto::Oid;
using proto::Value;

Oid Mem(std::uint32_t object) { return Oid{1, 3, 6, 1, 4, 1, 2021, 4, object, 0}; }

class UcdMemoryTest : public ::testing::Test {
 protected:
  UcdMemoryTest() {
    // /proc/meminfo of the reference walk.
    host_.memory.total_kb = 24684084;
    host_.memory.free_kb = 24477720;
    host_.memory.available_kb = 24410012;
    host_.memory.buffers_kb = 1468;
    host_.memory.cached_kb = 31044;
    host_.memory.sreclaimable_kb = 89216;
    host_.memory.shared_kb = 8872;
  }

  std::map<Oid, Value> Collect() { return testing::CollectInstances(*provider_, &objects_); }

  testing::FakeHostData host_;
  SystemSettings system_;
  SnmpCounters counters_;
  ProviderContext context_{host_,
                           system_,
                           counters_,
                           [] { return std::chrono::steady_clock::time_point{}; },
                           [] { return std::chrono::system_clock::time_point{}; },
                           {}};
  std::unique_ptr<MibProvider> provider_ = MakeUcdMemoryProvider(context_);
  std::vector<Oid> objects_;
};

TEST_F(UcdMemoryTest, MatchesTheReferenceWalk) {
  EXPECT_EQ(provider_->Roots(), std::vector<Oid>{Oid({1, 3, 6, 1, 4, 1, 2021, 4})});
  const std::map<Oid, Value> expected = {
      {Mem(1), Value::Integer(0)},
      {Mem(2), Value::OctetString("swap")},
      {Mem(3), Value::Integer(0)},
      {Mem(4), Value::Integer(0)},
      {Mem(5), Value::Integer(24684084)},
      {Mem(6), Value::Integer(24477720)},
      {Mem(11), Value::Integer(24477720)},
      {Mem(12), Value::Integer(16000)},
      {Mem(13), Value::Integer(8872)},
      {Mem(14), Value::Integer(1468)},
      {Mem(15), Value::Integer(120260)},
      {Mem(18), Value::Counter64(0)},
      {Mem(19), Value::Counter64(0)},
      {Mem(20), Value::Counter64(24684084)},
      {Mem(21), Value::Counter64(24477720)},
      {Mem(22), Value::Counter64(24477720)},
      {Mem(23), Value::Counter64(16000)},
      {Mem(24), Value::Counter64(8872)},
      {Mem(25), Value::Counter64(1468)},
      {Mem(26), Value::Counter64(120260)},
      {Mem(27), Value::Counter64(24410012)},
      {Mem(100), Value::Integer(1)},
      {Mem(101), Value::OctetString("Running out of swap space (0)")},
  };
  EXPECT_EQ(Collect(), expected);
}

TEST_F(UcdMemoryTest, TxtObjectsAreNotServed) {
  Collect();
  for (std::uint32_t object : {7u, 8u, 9u, 10u, 16u, 17u}) {
    const Oid oid{1, 3, 6, 1, 4, 1, 2021, 4, object};
    EXPECT_EQ(std::count(objects_.begin(), objects_.end(), oid), 0) << object;
  }
}

TEST_F(UcdMemoryTest, NoMemSysAvailOnOldKernels) {
  host_.memory.available_kb.reset();
  EXPECT_EQ(Collect().count(Mem(27)), 0u);
}

TEST_F(UcdMemoryTest, EnoughSwapIsNoError) {
  host_.memory.swap_total_kb = 2097148;
  host_.memory.swap_free_kb = 2000000;
  const auto v = Collect();
  EXPECT_EQ(v.at(Mem(3)), Value::Integer(2097148));
  EXPECT_EQ(v.at(Mem(4)), Value::Integer(2000000));
  EXPECT_EQ(v.at(Mem(11)), Value::Integer(24477720 + 2000000));
  EXPECT_EQ(v.at(Mem(100)), Value::Integer(0));
  EXPECT_EQ(v.at(Mem(101)), Value::OctetString(""));
}

TEST_F(UcdMemoryTest, SwapAtTheMinimumIsAnError) {
  host_.memory.swap_total_kb = 2097148;
  host_.memory.swap_free_kb = 16000;
  const auto v = Collect();
  EXPECT_EQ(v.at(Mem(100)), Value::Integer(1));
  EXPECT_EQ(v.at(Mem(101)), Value::OctetString("Running out of swap space (16000)"));
}

TEST_F(UcdMemoryTest, BigHostsKeepFullValuesInCounter64) {
  host_.memory.total_kb = 6ull << 30;  // 6 TiB
  const auto v = Collect();
  EXPECT_EQ(v.at(Mem(20)), Value::Counter64(6ull << 30));
  // The INTEGER keeps the low 32 bits, as snmpd's encoder.
  EXPECT_EQ(v.at(Mem(5)), Value::Integer(static_cast<std::int32_t>(0x80000000u)));
}

}  // namespace
}  // namespace mimamori::agent
