// IF-MIB provider against hand-made interfaces; expected values are what
// snmpd 5.9.3 answers for the same /proc and /sys data.
#include <gtest/gtest.h>

#include <chrono>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "agent/core/mib_view.h"
#include "agent/mib/if_mib.h"
#include "tests/unit/fake_host_data.h"

namespace mimamori::agent {
namespace {

using testing::ExpectValue;

using proto::Oid;
using proto::Value;
using proto::ValueType;
using namespace std::chrono_literals;

Oid IfEntry(std::uint32_t column, std::uint32_t index) {
  return Oid{1, 3, 6, 1, 2, 1, 2, 2, 1, column, index};
}
Oid IfXEntry(std::uint32_t column, std::uint32_t index) {
  return Oid{1, 3, 6, 1, 2, 1, 31, 1, 1, 1, column, index};
}
Oid IfNumberInstance() { return Oid{1, 3, 6, 1, 2, 1, 2, 1, 0}; }
Oid IfTableLastChangeInstance() { return Oid{1, 3, 6, 1, 2, 1, 31, 1, 5, 0}; }

std::string Bytes(std::initializer_list<int> values) {
  std::string out;
  for (int v : values) out.push_back(static_cast<char>(v));
  return out;
}

NetInterface Loopback() {
  NetInterface lo;
  lo.index = 1;
  lo.name = "lo";
  lo.type = 772;
  lo.mtu = 65536;
  lo.mac = Bytes({0, 0, 0, 0, 0, 0});
  lo.admin_up = true;
  lo.oper_up = true;
  lo.rx_bytes = lo.tx_bytes = 1621948;
  lo.rx_packets = lo.tx_packets = 19662;
  return lo;
}

NetInterface Ethernet(std::uint32_t index, std::string name) {
  NetInterface eth;
  eth.index = index;
  eth.name = std::move(name);
  eth.type = 1;
  eth.mtu = 1500;
  eth.speed_bps = 1'000'000'000;
  eth.mac = Bytes({0x02, 0xfc, 0x00, 0x00, 0x00, 0x01});
  eth.admin_up = true;
  eth.oper_up = true;
  return eth;
}

class IfMibTest : public ::testing::Test {
 protected:
  /// Every instance the provider writes, checking that none repeats and all
  /// lie under its roots.
  std::map<Oid, Value> Collect() { return testing::CollectInstances(*provider_); }

  testing::FakeHostData host_;
  SystemSettings system_;
  SnmpCounters counters_;
  std::chrono::steady_clock::time_point start_{1h};
  std::chrono::steady_clock::time_point now_ = start_ + 5s;
  ProviderContext context_{host_,
                           system_,
                           counters_,
                           [this] { return now_; },
                           [] { return std::chrono::system_clock::time_point{}; },
                           start_};
  std::unique_ptr<MibProvider> provider_ = MakeIfMibProvider(context_);
};

TEST_F(IfMibTest, RootsAreInterfacesAndIfMib) {
  EXPECT_EQ(provider_->Roots(),
            (std::vector<Oid>{Oid{1, 3, 6, 1, 2, 1, 2}, Oid{1, 3, 6, 1, 2, 1, 31}}));
  EXPECT_FALSE(provider_->Volatile());
}

TEST_F(IfMibTest, EthernetRowHasEveryColumnAsSnmpd) {
  NetInterface eth = Ethernet(4, "eth0");
  eth.mtu = 1400;
  eth.rx_bytes = 55966478;
  eth.rx_packets = 1262;
  eth.rx_multicast = 12;
  eth.rx_errors = 3;
  eth.rx_dropped = 4;
  eth.tx_bytes = 55117;
  eth.tx_packets = 663;
  eth.tx_errors = 5;
  eth.tx_dropped = 6;
  host_.interfaces = {eth};
  const auto got = Collect();

  ExpectValue(got, IfNumberInstance(), Value::Integer(1));
  ExpectValue(got, IfEntry(1, 4), Value::Integer(4));
  ExpectValue(got, IfEntry(2, 4), Value::OctetString("eth0"));
  ExpectValue(got, IfEntry(3, 4), Value::Integer(6));  // ethernetCsmacd
  ExpectValue(got, IfEntry(4, 4), Value::Integer(1400));
  ExpectValue(got, IfEntry(5, 4), Value::Gauge32(1'000'000'000));
  ExpectValue(got, IfEntry(6, 4), Value::OctetString(Bytes({0x02, 0xfc, 0, 0, 0, 1})));
  ExpectValue(got, IfEntry(7, 4), Value::Integer(1));  // up
  ExpectValue(got, IfEntry(8, 4), Value::Integer(1));
  ExpectValue(got, IfEntry(9, 4), Value::TimeTicks(0));
  ExpectValue(got, IfEntry(10, 4), Value::Counter32(55966478));
  ExpectValue(got, IfEntry(11, 4), Value::Counter32(1250));  // packets - multicast
  ExpectValue(got, IfEntry(12, 4), Value::Counter32(12));    // multicast
  ExpectValue(got, IfEntry(13, 4), Value::Counter32(4));
  ExpectValue(got, IfEntry(14, 4), Value::Counter32(3));
  ExpectValue(got, IfEntry(15, 4), Value::Counter32(0));
  ExpectValue(got, IfEntry(16, 4), Value::Counter32(55117));
  ExpectValue(got, IfEntry(17, 4), Value::Counter32(663));
  ExpectValue(got, IfEntry(18, 4), Value::Counter32(0));
  ExpectValue(got, IfEntry(19, 4), Value::Counter32(6));
  ExpectValue(got, IfEntry(20, 4), Value::Counter32(5));
  ExpectValue(got, IfEntry(21, 4), Value::Gauge32(0));
  ExpectValue(got, IfEntry(22, 4), Value::ObjectId(Oid{0, 0}));

  ExpectValue(got, IfXEntry(1, 4), Value::OctetString("eth0"));
  ExpectValue(got, IfXEntry(2, 4), Value::Counter32(12));
  ExpectValue(got, IfXEntry(3, 4), Value::Counter32(0));
  ExpectValue(got, IfXEntry(4, 4), Value::Counter32(0));
  ExpectValue(got, IfXEntry(5, 4), Value::Counter32(0));
  ExpectValue(got, IfXEntry(6, 4), Value::Counter64(55966478));
  ExpectValue(got, IfXEntry(7, 4), Value::Counter64(1250));
  ExpectValue(got, IfXEntry(8, 4), Value::Counter64(12));
  ExpectValue(got, IfXEntry(9, 4), Value::Counter64(0));
  ExpectValue(got, IfXEntry(10, 4), Value::Counter64(55117));
  ExpectValue(got, IfXEntry(11, 4), Value::Counter64(663));
  ExpectValue(got, IfXEntry(12, 4), Value::Counter64(0));
  ExpectValue(got, IfXEntry(13, 4), Value::Counter64(0));
  EXPECT_EQ(got.count(IfXEntry(14, 4)), 0u) << "snmpd skips ifLinkUpDownTrapEnable";
  ExpectValue(got, IfXEntry(15, 4), Value::Gauge32(1000));
  ExpectValue(got, IfXEntry(16, 4), Value::Integer(2));  // false
  ExpectValue(got, IfXEntry(17, 4), Value::Integer(1));  // true
  ExpectValue(got, IfXEntry(18, 4), Value::OctetString(""));
  ExpectValue(got, IfXEntry(19, 4), Value::TimeTicks(0));
  ExpectValue(got, IfTableLastChangeInstance(), Value::TimeTicks(0));

  // 22 ifTable columns, 18 ifXTable columns, ifNumber, ifTableLastChange.
  EXPECT_EQ(got.size(), 22u + 18u + 2u);
}

TEST_F(IfMibTest, LoopbackAsSnmpd) {
  host_.interfaces = {Loopback()};
  const auto got = Collect();
  ExpectValue(got, IfEntry(2, 1), Value::OctetString("lo"));
  ExpectValue(got, IfEntry(3, 1), Value::Integer(24));  // softwareLoopback
  ExpectValue(got, IfEntry(4, 1), Value::Integer(65536));
  ExpectValue(got, IfEntry(5, 1), Value::Gauge32(10'000'000));  // snmpd's guess for loopback
  ExpectValue(got, IfEntry(6, 1), Value::OctetString(""));      // all-zero address
  ExpectValue(got, IfEntry(11, 1), Value::Counter32(19662));
  ExpectValue(got, IfEntry(17, 1), Value::Counter32(19662));
  ExpectValue(got, IfXEntry(15, 1), Value::Gauge32(10));
  ExpectValue(got, IfXEntry(17, 1), Value::Integer(2));  // no connector
}

TEST_F(IfMibTest, LoopbackWithoutTransmitCountsUsesReceived) {
  NetInterface lo = Loopback();
  lo.tx_packets = 0;
  host_.interfaces = {lo};
  const auto got = Collect();
  ExpectValue(got, IfEntry(17, 1), Value::Counter32(19662));
  ExpectValue(got, IfXEntry(11, 1), Value::Counter64(19662));
}

TEST_F(IfMibTest, SixtyFourBitCountersWrapToLow32Bits) {
  NetInterface eth = Ethernet(2, "eth0");
  eth.rx_bytes = 0x1'2345'6789ULL;
  eth.rx_packets = 0x2'0000'0010ULL;
  eth.rx_multicast = 0x1'0000'0005ULL;
  eth.rx_errors = 0x3'0000'0001ULL;
  eth.rx_dropped = 0x4'0000'0002ULL;
  eth.tx_bytes = 0xFFFF'FFFF'FFFF'FFFFULL;
  eth.tx_packets = 0x1'0000'0000ULL;
  eth.tx_errors = 0x5'0000'0003ULL;
  eth.tx_dropped = 0x6'0000'0004ULL;
  host_.interfaces = {eth};
  const auto got = Collect();
  ExpectValue(got, IfEntry(10, 2), Value::Counter32(0x2345'6789u));
  ExpectValue(got, IfEntry(11, 2), Value::Counter32(0x0000'000Bu));
  ExpectValue(got, IfEntry(12, 2), Value::Counter32(5));
  ExpectValue(got, IfEntry(13, 2), Value::Counter32(2));
  ExpectValue(got, IfEntry(14, 2), Value::Counter32(1));
  ExpectValue(got, IfEntry(16, 2), Value::Counter32(0xFFFF'FFFFu));
  ExpectValue(got, IfEntry(17, 2), Value::Counter32(0));
  ExpectValue(got, IfEntry(19, 2), Value::Counter32(4));
  ExpectValue(got, IfEntry(20, 2), Value::Counter32(3));
  ExpectValue(got, IfXEntry(2, 2), Value::Counter32(5));
  ExpectValue(got, IfXEntry(6, 2), Value::Counter64(0x1'2345'6789ULL));
  ExpectValue(got, IfXEntry(7, 2), Value::Counter64(0x1'0000'000BULL));
  ExpectValue(got, IfXEntry(8, 2), Value::Counter64(0x1'0000'0005ULL));
  ExpectValue(got, IfXEntry(10, 2), Value::Counter64(0xFFFF'FFFF'FFFF'FFFFULL));
  ExpectValue(got, IfXEntry(11, 2), Value::Counter64(0x1'0000'0000ULL));
}

TEST_F(IfMibTest, SpeedAbove32BitsIsCappedInIfSpeedOnly) {
  NetInterface eth = Ethernet(3, "ens1f0");
  eth.speed_bps = 25'000'000'000ULL;
  host_.interfaces = {eth};
  const auto got = Collect();
  ExpectValue(got, IfEntry(5, 3), Value::Gauge32(4294967295u));
  ExpectValue(got, IfXEntry(15, 3), Value::Gauge32(25000));
}

TEST_F(IfMibTest, UnknownEthernetSpeedIsZero) {
  NetInterface eth = Ethernet(2, "eth0");  // virtio-net: /sys speed is -1
  eth.speed_bps = 0;
  host_.interfaces = {eth};
  const auto got = Collect();
  ExpectValue(got, IfEntry(5, 2), Value::Gauge32(0));
  ExpectValue(got, IfXEntry(15, 2), Value::Gauge32(0));
  ExpectValue(got, IfEntry(8, 2), Value::Integer(1));  // still up
}

TEST_F(IfMibTest, IfTypeFromArphrdAsNetSnmpMapsIt) {
  const std::vector<std::pair<std::uint32_t, std::int32_t>> cases = {
      {1, 6},    {772, 24}, {768, 131}, {769, 131}, {776, 131}, {778, 131}, {32, 199},
      {256, 28}, {257, 28}, {258, 28},  {259, 28},  {512, 23},  {774, 15},  {7, 35},
      {773, 42}, {780, 47}, {19, 37},   {65534, 1}, {823, 1},   {800, 1},   {0, 1},
  };
  std::uint32_t index = 1;
  for (const auto& [arphrd, iana] : cases) {
    NetInterface nic = Ethernet(index++, "if" + std::to_string(arphrd));
    nic.type = arphrd;
    host_.interfaces.push_back(nic);
  }
  const auto got = Collect();
  index = 1;
  for (const auto& [arphrd, iana] : cases) {
    SCOPED_TRACE(arphrd);
    ExpectValue(got, IfEntry(3, index++), Value::Integer(iana));
  }
}

TEST_F(IfMibTest, OnlyEthernetReportsTheDriverSpeed) {
  NetInterface tun = Ethernet(5, "tun0");
  tun.type = 65534;  // ARPHRD_NONE
  tun.speed_bps = 10'000'000;
  tun.mac.clear();
  NetInterface ib = Ethernet(6, "ib0");
  ib.type = 32;
  ib.speed_bps = 100'000'000'000ULL;
  host_.interfaces = {tun, ib};
  const auto got = Collect();
  ExpectValue(got, IfEntry(5, 5), Value::Gauge32(0));
  ExpectValue(got, IfXEntry(15, 5), Value::Gauge32(0));
  ExpectValue(got, IfEntry(6, 5), Value::OctetString(""));
  ExpectValue(got, IfEntry(5, 6), Value::Gauge32(0));
  ExpectValue(got, IfXEntry(17, 6), Value::Integer(1));
}

TEST_F(IfMibTest, PhysAddressIsSixBytes) {
  NetInterface ib = Ethernet(1, "ib0");
  ib.mac = Bytes({0x80, 0, 0x02, 0x08, 0xfe, 0x80, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1});
  NetInterface odd = Ethernet(2, "odd0");
  odd.mac = Bytes({0xaa, 0xbb});
  host_.interfaces = {ib, odd};
  const auto got = Collect();
  ExpectValue(got, IfEntry(6, 1), Value::OctetString(Bytes({0x80, 0, 0x02, 0x08, 0xfe, 0x80})));
  ExpectValue(got, IfEntry(6, 2), Value::OctetString(Bytes({0xaa, 0xbb, 0, 0, 0, 0})));
}

TEST_F(IfMibTest, PromiscuousModeIsTrueOrFalse) {
  // TruthValue: true(1), false(2), from NetInterface::promiscuous.
  NetInterface promiscuous = Ethernet(2, "eth0");
  promiscuous.promiscuous = true;
  host_.interfaces = {Loopback(), promiscuous, Ethernet(3, "eth1")};
  const auto got = Collect();
  ExpectValue(got, IfXEntry(16, 1), Value::Integer(2));
  ExpectValue(got, IfXEntry(16, 2), Value::Integer(1));
  ExpectValue(got, IfXEntry(16, 3), Value::Integer(2));
}

TEST_F(IfMibTest, AdminDownMeansOperDown) {
  NetInterface ifb = Ethernet(2, "ifb0");
  ifb.admin_up = false;
  ifb.oper_up = true;  // operstate "unknown" would not matter either
  NetInterface nocarrier = Ethernet(3, "eth1");
  nocarrier.oper_up = false;
  host_.interfaces = {ifb, nocarrier};
  const auto got = Collect();
  ExpectValue(got, IfEntry(7, 2), Value::Integer(2));
  ExpectValue(got, IfEntry(8, 2), Value::Integer(2));
  ExpectValue(got, IfEntry(7, 3), Value::Integer(1));
  ExpectValue(got, IfEntry(8, 3), Value::Integer(2));
}

TEST_F(IfMibTest, RowsWalkInIfIndexOrder) {
  host_.interfaces = {Ethernet(10, "eth9"), Ethernet(2, "eth1"), Loopback()};
  std::vector<std::unique_ptr<MibProvider>> providers;
  providers.push_back(MakeIfMibProvider(context_));
  MibView view(std::move(providers), 1s, [this] { return now_; });

  const Oid if_descr{1, 3, 6, 1, 2, 1, 2, 2, 1, 2};
  std::vector<Oid> walked;
  for (auto vb = view.GetNext(if_descr); vb && vb->oid.StartsWith(if_descr);
       vb = view.GetNext(vb->oid)) {
    walked.push_back(vb->oid);
  }
  EXPECT_EQ(walked, (std::vector<Oid>{IfEntry(2, 1), IfEntry(2, 2), IfEntry(2, 10)}));
  EXPECT_EQ(view.Get(IfNumberInstance()), Value::Integer(3));
  // The walk goes from the interfaces group straight on to ifXTable.
  auto after_if_table = view.GetNext(IfEntry(22, 10));
  ASSERT_TRUE(after_if_table);
  EXPECT_EQ(after_if_table->oid, IfXEntry(1, 1));
}

TEST_F(IfMibTest, EmptyTable) {
  std::vector<std::unique_ptr<MibProvider>> providers;
  providers.push_back(MakeIfMibProvider(context_));
  MibView view(std::move(providers), 1s, [this] { return now_; });
  EXPECT_EQ(view.Get(IfNumberInstance()), Value::Integer(0));
  EXPECT_EQ(view.Get(IfTableLastChangeInstance()), Value::TimeTicks(0));
  EXPECT_EQ(view.Get(IfEntry(2, 1)).type, ValueType::kNoSuchInstance);
  EXPECT_EQ(view.Get(IfXEntry(6, 1)).type, ValueType::kNoSuchInstance);
  auto next = view.GetNext(IfNumberInstance());
  ASSERT_TRUE(next);
  EXPECT_EQ(next->oid, IfTableLastChangeInstance());
}

TEST_F(IfMibTest, LinkUpDownTrapEnableIsNoSuchInstance) {
  host_.interfaces = {Loopback()};
  std::vector<std::unique_ptr<MibProvider>> providers;
  providers.push_back(MakeIfMibProvider(context_));
  MibView view(std::move(providers), 1s, [this] { return now_; });
  EXPECT_EQ(view.Get(IfXEntry(14, 1)).type, ValueType::kNoSuchInstance);
  EXPECT_EQ(view.Get(IfXEntry(20, 1)).type, ValueType::kNoSuchObject);
}

TEST_F(IfMibTest, InvalidAndDuplicateIndexesAreDropped) {
  NetInterface zero = Ethernet(0, "weird0");
  NetInterface first = Ethernet(2, "eth0");
  NetInterface second = Ethernet(2, "eth0-dup");
  host_.interfaces = {zero, first, second};
  const auto got = Collect();
  ExpectValue(got, IfNumberInstance(), Value::Integer(1));
  ExpectValue(got, IfEntry(2, 2), Value::OctetString("eth0"));
  EXPECT_EQ(got.count(IfEntry(2, 0)), 0u);
}

TEST_F(IfMibTest, LastChangeFollowsOperStatus) {
  NetInterface eth = Ethernet(2, "eth0");
  host_.interfaces = {Loopback(), eth};
  auto got = Collect();  // the first collection: everything dates from 0
  ExpectValue(got, IfEntry(9, 2), Value::TimeTicks(0));

  now_ = start_ + 60s;
  host_.interfaces[1].oper_up = false;  // cable pulled
  got = Collect();
  ExpectValue(got, IfEntry(8, 2), Value::Integer(2));
  ExpectValue(got, IfEntry(9, 2), Value::TimeTicks(6000));
  ExpectValue(got, IfEntry(9, 1), Value::TimeTicks(0));
  ExpectValue(got, IfTableLastChangeInstance(), Value::TimeTicks(0));

  now_ = start_ + 90s;
  host_.interfaces[1].rx_bytes = 100;  // counters alone change nothing
  got = Collect();
  ExpectValue(got, IfEntry(9, 2), Value::TimeTicks(6000));

  now_ = start_ + 120s + 250ms;
  host_.interfaces[1].oper_up = true;
  got = Collect();
  ExpectValue(got, IfEntry(9, 2), Value::TimeTicks(12025));
}

TEST_F(IfMibTest, NewInterfaceSetsTableLastChange) {
  host_.interfaces = {Loopback()};
  Collect();
  now_ = start_ + 30s;
  host_.interfaces.push_back(Ethernet(7, "veth0"));
  const auto got = Collect();
  ExpectValue(got, IfNumberInstance(), Value::Integer(2));
  ExpectValue(got, IfEntry(9, 7), Value::TimeTicks(3000));
  ExpectValue(got, IfXEntry(19, 7), Value::TimeTicks(0));
  ExpectValue(got, IfTableLastChangeInstance(), Value::TimeTicks(3000));
}

TEST_F(IfMibTest, VanishedInterfaceFadesOutAfterFiveMinutes) {
  NetInterface eth = Ethernet(3, "veth1");
  eth.rx_bytes = 4242;
  host_.interfaces = {Loopback(), eth};
  Collect();

  now_ = start_ + 10s;
  host_.interfaces = {Loopback()};
  auto got = Collect();
  ExpectValue(got, IfNumberInstance(), Value::Integer(2));
  ExpectValue(got, IfEntry(2, 3), Value::OctetString("veth1"));
  ExpectValue(got, IfEntry(7, 3), Value::Integer(2));
  ExpectValue(got, IfEntry(8, 3), Value::Integer(2));
  ExpectValue(got, IfEntry(9, 3), Value::TimeTicks(1000));
  ExpectValue(got, IfEntry(10, 3), Value::Counter32(4242));  // last known counters

  now_ = start_ + 10s + 299s;
  got = Collect();
  ExpectValue(got, IfNumberInstance(), Value::Integer(2));

  now_ = start_ + 10s + 300s;
  got = Collect();
  ExpectValue(got, IfNumberInstance(), Value::Integer(1));
  EXPECT_EQ(got.count(IfEntry(2, 3)), 0u);
  // Removal is not an addition: ifTableLastChange stays.
  ExpectValue(got, IfTableLastChangeInstance(), Value::TimeTicks(0));
}

TEST_F(IfMibTest, ReturningInterfaceSetsCounterDiscontinuity) {
  host_.interfaces = {Loopback(), Ethernet(3, "veth1")};
  Collect();
  now_ = start_ + 10s;
  host_.interfaces = {Loopback()};
  Collect();
  now_ = start_ + 40s;
  host_.interfaces = {Loopback(), Ethernet(3, "veth1")};
  const auto got = Collect();
  ExpectValue(got, IfEntry(7, 3), Value::Integer(1));
  ExpectValue(got, IfEntry(8, 3), Value::Integer(1));
  ExpectValue(got, IfEntry(9, 3), Value::TimeTicks(4000));
  ExpectValue(got, IfXEntry(19, 3), Value::TimeTicks(4000));
  ExpectValue(got, IfTableLastChangeInstance(), Value::TimeTicks(0));
}

}  // namespace
}  // namespace mimamori::agent
