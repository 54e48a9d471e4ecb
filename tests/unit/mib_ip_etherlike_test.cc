// IP-MIB address tables and EtherLike-MIB dot3StatsTable: the providers
// against the RHEL 9 fixture tree's addresses (a real kernel's RTM_GETADDR
// dump and /proc/net/if_inet6, tests/fixtures/linux/capture_addresses.sh) and
// hand-made interfaces; the expected values follow snmpd 5.9.3's walks of the
// same configuration.
#include <gtest/gtest.h>

#include <chrono>
#include <map>
#include <string>

#include "agent/linux/linux_host_data.h"
#include "agent/linux/procfs_parsers.h"
#include "agent/mib/etherlike_mib.h"
#include "agent/mib/ip_mib.h"
#include "tests/unit/fake_host_data.h"

namespace mimamori::agent {
namespace {

using proto::Oid;
using proto::Value;
using namespace std::chrono_literals;

std::string Root() { return std::string(MIMAMORI_FIXTURES) + "/linux/rhel9/"; }

std::string Bytes(std::initializer_list<int> values) {
  std::string out;
  for (int v : values) out.push_back(static_cast<char>(v));
  return out;
}

TEST(AddressParsers, NetlinkDumpOfPrimarySecondaryAndLabelledAddresses) {
  std::string dump;
  ASSERT_TRUE(ReadFile(Root() + "netlink/getaddr-inet", dump));
  const std::vector<InterfaceAddress> a = procfs::ParseNetlinkAddresses(dump);
  ASSERT_EQ(a.size(), 4u);
  EXPECT_EQ(a[0].address, Bytes({127, 0, 0, 1}));
  EXPECT_EQ(a[0].if_index, 1u);
  EXPECT_EQ(a[0].prefix_length, 8);
  EXPECT_TRUE(a[0].broadcast.empty());
  // The kernel lists primaries first, then secondaries.
  EXPECT_EQ(a[1].address, Bytes({192, 0, 2, 10}));
  EXPECT_EQ(a[1].if_index, 2u);
  EXPECT_EQ(a[1].prefix_length, 24);
  EXPECT_EQ(a[1].broadcast, Bytes({192, 0, 2, 255}));
  EXPECT_EQ(a[2].address, Bytes({169, 254, 7, 8}));
  EXPECT_EQ(a[2].prefix_length, 16);
  EXPECT_TRUE(a[2].broadcast.empty());
  EXPECT_EQ(a[3].address, Bytes({192, 0, 2, 11}));

  // Cut anywhere, the dump yields a prefix of the entries and never more.
  for (std::size_t size = 0; size < dump.size(); ++size) {
    EXPECT_LE(procfs::ParseNetlinkAddresses(std::string_view(dump).substr(0, size)).size(), 4u);
  }
}

TEST(AddressParsers, IfInet6) {
  const std::vector<InterfaceAddress> a = procfs::ParseIfInet6(
      "00000000000000000000000000000001 01 80 10 80       lo\n"
      "fe8000000000000098b3e9fffe82b062 02 40 20 c0     eth0\n"
      "garbage line\n"
      "2001db8 02 40 00 82 eth0\n");
  ASSERT_EQ(a.size(), 2u);
  EXPECT_TRUE(a[0].ipv6);
  EXPECT_EQ(a[0].address, std::string(15, '\0') + "\x01");
  EXPECT_EQ(a[0].prefix_length, 128);
  EXPECT_EQ(a[0].flags, 0x80u);
  EXPECT_EQ(a[1].if_index, 2u);
  EXPECT_EQ(a[1].prefix_length, 64);
  EXPECT_EQ(a[1].flags, 0xc0u);
  EXPECT_EQ(static_cast<unsigned char>(a[1].address[0]), 0xfe);
}

class ProviderTest : public ::testing::Test {
 protected:
  testing::FakeHostData host_;
  SystemSettings system_;
  SnmpCounters counters_;
  std::chrono::steady_clock::time_point start_{1h};
  std::chrono::steady_clock::time_point now_{1h};
  ProviderContext context_{host_,
                           system_,
                           counters_,
                           [this] { return now_; },
                           [] { return std::chrono::system_clock::time_point{}; },
                           start_};
};

Oid O(std::string_view text) { return *Oid::Parse(text); }

TEST_F(ProviderTest, IpAddressTablesFromTheFixtureAsSnmpdServesThem) {
  host_.addresses = LinuxHostData(Root()).Addresses();
  auto provider = MakeIpMibProvider(context_);
  std::map<Oid, Value> got = testing::CollectInstances(*provider);

  // ipAddrTable: IPv4 only; mask from the prefix; the broadcast's low bit.
  EXPECT_EQ(got[O(".1.3.6.1.2.1.4.20.1.1.192.0.2.11")], Value::IpAddress(Bytes({192, 0, 2, 11})));
  EXPECT_EQ(got[O(".1.3.6.1.2.1.4.20.1.2.192.0.2.11")], Value::Integer(2));
  EXPECT_EQ(got[O(".1.3.6.1.2.1.4.20.1.3.169.254.7.8")], Value::IpAddress(Bytes({255, 255, 0, 0})));
  EXPECT_EQ(got[O(".1.3.6.1.2.1.4.20.1.4.192.0.2.10")], Value::Integer(1));
  EXPECT_EQ(got[O(".1.3.6.1.2.1.4.20.1.4.127.0.0.1")], Value::Integer(0));
  EXPECT_EQ(got.count(O(".1.3.6.1.2.1.4.20.1.5.127.0.0.1")), 0u);

  const std::string e = ".1.3.6.1.2.1.4.34.1.";
  // The broadcast address has a row of its own, type broadcast(3).
  EXPECT_EQ(got[O(e + "4.1.4.192.0.2.255")], Value::Integer(3));
  EXPECT_EQ(got[O(e + "4.1.4.192.0.2.11")], Value::Integer(1));
  EXPECT_EQ(got[O(e + "5.1.4.192.0.2.11")],
            Value::ObjectId(O(".1.3.6.1.2.1.4.32.1.5.2.1.4.192.0.2.0.24")));
  EXPECT_EQ(got[O(e + "6.1.4.192.0.2.11")], Value::Integer(2));   // manual
  EXPECT_EQ(got[O(e + "6.1.4.169.254.7.8")], Value::Integer(6));  // random (APIPA)
  EXPECT_EQ(got[O(e + "11.1.4.127.0.0.1")], Value::Integer(2));   // volatile
  const std::string ll = "2.16.254.128.0.0.0.0.0.0.152.179.233.255.254.130.176.98";
  EXPECT_EQ(got[O(e + "3." + ll)], Value::Integer(2));
  EXPECT_EQ(
      got[O(e + "5." + ll)],
      Value::ObjectId(O(".1.3.6.1.2.1.4.32.1.5.2.2.16.254.128.0.0.0.0.0.0.0.0.0.0.0.0.0.0.64")));
  EXPECT_EQ(got[O(e + "6." + ll)], Value::Integer(5));   // linklayer
  EXPECT_EQ(got[O(e + "7." + ll)], Value::Integer(1));   // permanent flag: preferred
  EXPECT_EQ(got[O(e + "11." + ll)], Value::Integer(4));  // permanent storage
  const std::string global = "2.16.32.1.13.184.0.5.0.0.0.0.0.0.0.0.0.16";
  EXPECT_EQ(got[O(e + "6." + global)], Value::Integer(2));
  EXPECT_EQ(got[O(e + "8." + global)], Value::TimeTicks(0));
  EXPECT_EQ(got[O(e + "10." + global)], Value::Integer(1));  // active
}

TEST_F(ProviderTest, Ipv6StatusOriginAndCreationTime) {
  InterfaceAddress a;
  a.ipv6 = true;
  a.if_index = 3;
  a.prefix_length = 64;
  a.address = Bytes({0x20, 1, 0xd, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1});
  a.flags = 0x80;
  host_.addresses = {a};
  auto provider = MakeIpMibProvider(context_);
  testing::CollectInstances(*provider);

  // Appearing later: sysUpTime when first seen, then kept.
  now_ += 12s;
  InterfaceAddress deprecated = a, tentative = a, slaac = a, temporary = a;
  deprecated.address[15] = 2, deprecated.flags = 0x20;
  tentative.address[15] = 3, tentative.flags = 0x40;
  slaac.address[15] = 4, slaac.flags = 0;
  temporary.address[15] = 5, temporary.flags = 0x01;
  host_.addresses = {a, deprecated, tentative, slaac, temporary};
  std::map<Oid, Value> got = testing::CollectInstances(*provider);
  const std::string e = ".1.3.6.1.2.1.4.34.1.";
  const std::string base = "2.16.32.1.13.184.0.0.0.0.0.0.0.0.0.0.0.";
  EXPECT_EQ(got[O(e + "8." + base + "1")], Value::TimeTicks(0));
  EXPECT_EQ(got[O(e + "8." + base + "2")], Value::TimeTicks(1200));
  EXPECT_EQ(got[O(e + "9." + base + "2")], Value::TimeTicks(1200));
  EXPECT_EQ(got[O(e + "7." + base + "2")], Value::Integer(2));  // deprecated
  EXPECT_EQ(got[O(e + "7." + base + "3")], Value::Integer(6));  // tentative
  EXPECT_EQ(got[O(e + "7." + base + "4")], Value::Integer(1));  // no flags: preferred
  EXPECT_EQ(got[O(e + "6." + base + "4")], Value::Integer(5));  // ... and linklayer
  EXPECT_EQ(got[O(e + "6." + base + "5")], Value::Integer(6));  // temporary: random

  now_ += 5s;
  got = testing::CollectInstances(*provider);
  EXPECT_EQ(got[O(e + "8." + base + "2")], Value::TimeTicks(1200));
}

TEST_F(ProviderTest, Dot3StatsTableHasEthernetInterfacesOnly) {
  NetInterface lo, eth0, eth1;
  lo.index = 1, lo.name = "lo";
  eth0.index = 2, eth0.name = "eth0", eth0.duplex = NetInterface::Duplex::kFull;
  eth1.index = 5, eth1.name = "eth1", eth1.duplex = NetInterface::Duplex::kUnknown;
  host_.interfaces = {lo, eth0, eth1};
  auto provider = MakeEtherLikeMibProvider(context_);
  const std::map<Oid, Value> got = testing::CollectInstances(*provider);
  const std::map<Oid, Value> expected = {
      {O(".1.3.6.1.2.1.10.7.2.1.1.2"), Value::Integer(2)},
      {O(".1.3.6.1.2.1.10.7.2.1.1.5"), Value::Integer(5)},
      {O(".1.3.6.1.2.1.10.7.2.1.19.2"), Value::Integer(3)},  // fullDuplex
      {O(".1.3.6.1.2.1.10.7.2.1.19.5"), Value::Integer(1)},  // unknown
  };
  EXPECT_EQ(got, expected);
}

TEST(LinuxHostDataFixture, DuplexFromSysClassNet) {
  // eth0 of the fixture has a duplex file; lo (no ethtool link settings) not.
  for (const NetInterface& nic : LinuxHostData(Root()).Interfaces()) {
    if (nic.name == "eth0") {
      EXPECT_EQ(nic.duplex, NetInterface::Duplex::kFull);
    } else if (nic.name == "lo") {
      EXPECT_EQ(nic.duplex, NetInterface::Duplex::kNotEthernet);
    }
  }
}

}  // namespace
}  // namespace mimamori::agent
