#include <gtest/gtest.h>

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

Oid La(std::uint32_t column, std::uint32_t index) {
  return Oid{1, 3, 6, 1, 4, 1, 2021, 10, 1, column, index};
}

class UcdLoadTest : public ::testing::Test {
 protected:
  std::map<Oid, Value> Collect() { return testing::CollectInstances(*provider_); }

  testing::FakeHostData host_;
  SystemSettings system_;
  SnmpCounters counters_;
  ProviderContext context_{host_,
                           system_,
                           counters_,
                           [] { return std::chrono::steady_clock::time_point{}; },
                           [] { return std::chrono::system_clock::time_point{}; },
                           {}};
  std::unique_ptr<MibProvider> provider_ = MakeUcdLoadProvider(context_);
};

TEST_F(UcdLoadTest, MatchesTheReferenceWalk) {
  EXPECT_EQ(provider_->Roots(), std::vector<Oid>{Oid({1, 3, 6, 1, 4, 1, 2021, 10})});
  // The kernel's fixed-point averages (n / 2048) of the reference walk.
  host_.load = {231.0 / 2048, 286.0 / 2048, 150.0 / 2048};
  const auto v = Collect();
  EXPECT_EQ(v.size(), 3u * 8u);
  const char* names[] = {"Load-1", "Load-5", "Load-15"};
  const char* loads[] = {"0.11", "0.14", "0.07"};
  const std::int32_t ints[] = {11, 13, 7};
  for (std::uint32_t i = 1; i <= 3; ++i) {
    SCOPED_TRACE(i);
    EXPECT_EQ(v.at(La(1, i)), Value::Integer(static_cast<std::int32_t>(i)));
    EXPECT_EQ(v.at(La(2, i)), Value::OctetString(names[i - 1]));
    EXPECT_EQ(v.at(La(3, i)), Value::OctetString(loads[i - 1]));
    EXPECT_EQ(v.at(La(4, i)), Value::OctetString("12.00"));
    EXPECT_EQ(v.at(La(5, i)), Value::Integer(ints[i - 1]));
    EXPECT_EQ(v.at(La(6, i)).type, proto::ValueType::kOpaque);
    EXPECT_EQ(v.at(La(100, i)), Value::Integer(0));
    EXPECT_EQ(v.at(La(101, i)), Value::OctetString(""));
  }
}

TEST_F(UcdLoadTest, LoadFloatBytesAsSnmpd) {
  // Captured from snmpd: 44 07 9f 78 04 3e e1 00 00 for 0.439453 (900/2048);
  // the codec writes the outer 44 07.
  host_.load = {900.0 / 2048, 0, 1};
  const auto v = Collect();
  EXPECT_EQ(v.at(La(6, 1)), Value::Opaque(std::string("\x9f\x78\x04\x3e\xe1\x00\x00", 7)));
  EXPECT_EQ(v.at(La(6, 2)), Value::Opaque(std::string("\x9f\x78\x04\x00\x00\x00\x00", 7)));
  EXPECT_EQ(v.at(La(6, 3)), Value::Opaque(std::string("\x9f\x78\x04\x3f\x80\x00\x00", 7)));
  EXPECT_EQ(OpaqueFloat(-2.5f), std::string("\x9f\x78\x04\xc0\x20\x00\x00", 7));
}

TEST_F(UcdLoadTest, OverTheDefaultThresholdIsAnError) {
  host_.load = {12.0, 11.99, 25.5};
  const auto v = Collect();
  EXPECT_EQ(v.at(La(100, 1)), Value::Integer(1));
  EXPECT_EQ(v.at(La(101, 1)), Value::OctetString("1 min Load Average too high (= 12.00)"));
  EXPECT_EQ(v.at(La(100, 2)), Value::Integer(0));
  EXPECT_EQ(v.at(La(101, 2)), Value::OctetString(""));
  EXPECT_EQ(v.at(La(100, 3)), Value::Integer(1));
  EXPECT_EQ(v.at(La(101, 3)), Value::OctetString("15 min Load Average too high (= 25.50)"));
  EXPECT_EQ(v.at(La(5, 3)), Value::Integer(2550));
}

}  // namespace
}  // namespace mimamori::agent
