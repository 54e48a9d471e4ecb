// TCP-MIB tcpListenerTable and UDP-MIB udpEndpointTable providers against
// hand-made sockets; expected OIDs are copied from snmpwalk -On of snmpd 5.9.3
// with the same sockets open.
#include <gtest/gtest.h>

#include <chrono>
#include <memory>
#include <string>
#include <vector>

#include "agent/core/mib_view.h"
#include "agent/mib/tcp_mib.h"
#include "agent/mib/udp_mib.h"
#include "tests/unit/fake_host_data.h"

namespace mimamori::agent {
namespace {

using proto::Oid;
using proto::Value;
using proto::ValueType;
using proto::VarBind;
using namespace std::chrono_literals;

std::string Bytes(std::initializer_list<int> values) {
  std::string out;
  for (int v : values) out.push_back(static_cast<char>(v));
  return out;
}

std::string Ipv4(int a, int b, int c, int d) { return Bytes({a, b, c, d}); }
std::string Ipv6Any() { return std::string(16, '\0'); }
std::string Ipv6Loopback() { return Bytes({0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1}); }
std::string Ipv4Mapped(int a, int b, int c, int d) {
  return Bytes({0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, a, b, c, d});
}

SocketEndpoint Endpoint(std::string address, std::uint16_t port, std::uint64_t inode = 0) {
  SocketEndpoint endpoint;
  endpoint.ipv6 = address.size() == 16;
  endpoint.address = std::move(address);
  endpoint.port = port;
  endpoint.inode = inode;
  return endpoint;
}

class SocketMibTest : public ::testing::Test {
 protected:
  /// Walks `root` of the provider through a MibView, as snmpwalk would.
  std::vector<VarBind> Walk(std::unique_ptr<MibProvider> provider, const Oid& root) {
    std::vector<std::unique_ptr<MibProvider>> providers;
    providers.push_back(std::move(provider));
    view_ = std::make_unique<MibView>(std::move(providers), 1s, [this] { return now_; });
    std::vector<VarBind> walked;
    for (auto vb = view_->GetNext(root); vb && vb->oid.StartsWith(root);
         vb = view_->GetNext(vb->oid)) {
      walked.push_back(*vb);
    }
    return walked;
  }

  static std::vector<Oid> Oids(const std::vector<VarBind>& walked) {
    std::vector<Oid> oids;
    for (const auto& vb : walked) oids.push_back(vb.oid);
    return oids;
  }

  testing::FakeHostData host_;
  SystemSettings system_;
  SnmpCounters counters_;
  std::chrono::steady_clock::time_point now_{1h};
  ProviderContext context_{host_,
                           system_,
                           counters_,
                           [this] { return now_; },
                           [] { return std::chrono::system_clock::time_point{}; },
                           now_};
  std::unique_ptr<MibView> view_;
};

Oid TcpListenerTable() { return Oid{1, 3, 6, 1, 2, 1, 6, 20}; }

// .1.3.6.1.2.1.6.20.1.4 = tcpListenerProcess
Oid TcpListenerProcess(std::initializer_list<std::uint32_t> index) {
  return Oid{1, 3, 6, 1, 2, 1, 6, 20, 1, 4}.Child(index);
}

TEST_F(SocketMibTest, TcpRootIsListenerTable) {
  EXPECT_EQ(MakeTcpMibProvider(context_)->Roots(),
            (std::vector<Oid>{Oid{1, 3, 6, 1, 2, 1, 6, 20}}));
}

TEST_F(SocketMibTest, TcpListenersIndexedAsSnmpd) {
  host_.tcp_listeners = {
      Endpoint(Ipv4(0, 0, 0, 0), 2024, 1153),
      Endpoint(Ipv4(127, 0, 0, 1), 5560, 14221),
      Endpoint(Ipv6Any(), 5555, 14216),
      Endpoint(Ipv4Mapped(127, 0, 0, 1), 5556, 14217),
  };
  const auto walked = Walk(MakeTcpMibProvider(context_), TcpListenerTable());
  EXPECT_EQ(
      Oids(walked),
      (std::vector<Oid>{
          TcpListenerProcess({1, 4, 0, 0, 0, 0, 2024}),
          TcpListenerProcess({1, 4, 127, 0, 0, 1, 5560}),
          TcpListenerProcess({2, 16, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 5555}),
          TcpListenerProcess({2, 16, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 255, 255, 127, 0, 0, 1, 5556}),
      }));
  for (const auto& vb : walked) EXPECT_EQ(vb.value, Value::Gauge32(0)) << vb.oid.ToString();
}

TEST_F(SocketMibTest, TcpListenersSharingAnAddressAndPortShareARow) {
  host_.tcp_listeners = {Endpoint(Ipv4(0, 0, 0, 0), 80, 1), Endpoint(Ipv4(0, 0, 0, 0), 80, 2),
                         Endpoint(Ipv6Any(), 80, 3)};
  EXPECT_EQ(Walk(MakeTcpMibProvider(context_), TcpListenerTable()).size(), 2u);
}

TEST_F(SocketMibTest, TcpListenerWithBadAddressLengthIsDropped) {
  host_.tcp_listeners = {Endpoint(Bytes({1, 2, 3}), 22), Endpoint(Ipv4(10, 0, 0, 1), 22)};
  EXPECT_EQ(Oids(Walk(MakeTcpMibProvider(context_), TcpListenerTable())),
            (std::vector<Oid>{TcpListenerProcess({1, 4, 10, 0, 0, 1, 22})}));
}

TEST_F(SocketMibTest, TcpEmptyTable) {
  EXPECT_TRUE(Walk(MakeTcpMibProvider(context_), TcpListenerTable()).empty());
  EXPECT_EQ(view_->Get(TcpListenerProcess({1, 4, 0, 0, 0, 0, 22})).type,
            ValueType::kNoSuchInstance);
  // The index columns are not-accessible: snmpd answers noSuchObject.
  EXPECT_EQ(view_->Get(Oid{1, 3, 6, 1, 2, 1, 6, 20, 1, 1, 1, 4, 0, 0, 0, 0, 22}).type,
            ValueType::kNoSuchObject);
}

Oid UdpTable() { return Oid{1, 3, 6, 1, 2, 1, 7, 5}; }
Oid UdpEndpointTable() { return Oid{1, 3, 6, 1, 2, 1, 7, 7}; }

// .1.3.6.1.2.1.7.5.1.1 = udpLocalAddress, .1.3.6.1.2.1.7.5.1.2 = udpLocalPort
Oid UdpEntry(std::uint32_t column, std::initializer_list<std::uint32_t> index) {
  return Oid{1, 3, 6, 1, 2, 1, 7, 5, 1, column}.Child(index);
}

// .1.3.6.1.2.1.7.7.1.8 = udpEndpointProcess
Oid UdpEndpointProcess(std::initializer_list<std::uint32_t> index) {
  return Oid{1, 3, 6, 1, 2, 1, 7, 7, 1, 8}.Child(index);
}

TEST_F(SocketMibTest, UdpRootsAreUdpTableAndEndpointTable) {
  EXPECT_EQ(MakeUdpMibProvider(context_)->Roots(),
            (std::vector<Oid>{UdpTable(), UdpEndpointTable()}));
}

TEST_F(SocketMibTest, UdpTableHasIpv4EndpointsAsSnmpd) {
  host_.udp_endpoints = {
      Endpoint(Ipv4(127, 0, 0, 1), 11161, 8030), Endpoint(Ipv4(0, 0, 0, 0), 43605, 8075),
      Endpoint(Ipv6Any(), 5557, 14218),          Endpoint(Ipv4(0, 0, 0, 0), 43605, 8076),
      Endpoint(Ipv4Mapped(10, 1, 2, 3), 161, 9),
  };
  const auto walked = Walk(MakeUdpMibProvider(context_), UdpTable());
  EXPECT_EQ(Oids(walked), (std::vector<Oid>{
                              UdpEntry(1, {0, 0, 0, 0, 43605}),
                              UdpEntry(1, {127, 0, 0, 1, 11161}),
                              UdpEntry(2, {0, 0, 0, 0, 43605}),
                              UdpEntry(2, {127, 0, 0, 1, 11161}),
                          }));
  ASSERT_EQ(walked.size(), 4u);
  EXPECT_EQ(walked[0].value, Value::IpAddress(Ipv4(0, 0, 0, 0)));
  EXPECT_EQ(walked[1].value, Value::IpAddress(Ipv4(127, 0, 0, 1)));
  EXPECT_EQ(walked[2].value, Value::Integer(43605));
  EXPECT_EQ(walked[3].value, Value::Integer(11161));
  // The walk continues from udpTable into udpEndpointTable.
  auto next = view_->GetNext(walked.back().oid);
  ASSERT_TRUE(next);
  EXPECT_TRUE(next->oid.StartsWith(UdpEndpointTable())) << next->oid.ToString();
}

TEST_F(SocketMibTest, UdpEndpointsIndexedAsSnmpd) {
  host_.udp_endpoints = {
      Endpoint(Ipv4(127, 0, 0, 1), 11161, 8030),
      Endpoint(Ipv4(0, 0, 0, 0), 38360, 16461),
      Endpoint(Ipv6Any(), 5557, 14218),
      Endpoint(Ipv6Loopback(), 5559, 14220),
  };
  const auto walked = Walk(MakeUdpMibProvider(context_), UdpEndpointTable());
  EXPECT_EQ(Oids(walked),
            (std::vector<Oid>{
                UdpEndpointProcess({1, 4, 0, 0, 0, 0, 38360, 1, 4, 0, 0, 0, 0, 0, 16461}),
                UdpEndpointProcess({1, 4, 127, 0, 0, 1, 11161, 1, 4, 0, 0, 0, 0, 0, 8030}),
                UdpEndpointProcess({2,  16, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 5557, 2,
                                    16, 0,  0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 14218}),
                UdpEndpointProcess({2,  16, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 5559, 2,
                                    16, 0,  0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 14220}),
            }));
  for (const auto& vb : walked) EXPECT_EQ(vb.value, Value::Gauge32(0)) << vb.oid.ToString();
}

TEST_F(SocketMibTest, UdpSocketsOnOnePortAreRowsOfTheirOwn) {
  // SO_REUSEPORT: the inode (udpEndpointInstance) keeps the rows apart.
  host_.udp_endpoints = {Endpoint(Ipv4(0, 0, 0, 0), 53, 200), Endpoint(Ipv4(0, 0, 0, 0), 53, 100)};
  EXPECT_EQ(Oids(Walk(MakeUdpMibProvider(context_), UdpEndpointTable())),
            (std::vector<Oid>{
                UdpEndpointProcess({1, 4, 0, 0, 0, 0, 53, 1, 4, 0, 0, 0, 0, 0, 100}),
                UdpEndpointProcess({1, 4, 0, 0, 0, 0, 53, 1, 4, 0, 0, 0, 0, 0, 200}),
            }));
}

TEST_F(SocketMibTest, UdpInstanceIsTheInodeTruncatedTo32Bits) {
  host_.udp_endpoints = {Endpoint(Ipv4(0, 0, 0, 0), 123, 0x1'0000'0007ULL)};
  EXPECT_EQ(
      Oids(Walk(MakeUdpMibProvider(context_), UdpEndpointTable())),
      (std::vector<Oid>{UdpEndpointProcess({1, 4, 0, 0, 0, 0, 123, 1, 4, 0, 0, 0, 0, 0, 7})}));
}

TEST_F(SocketMibTest, UdpIpv4MappedStaysIpv6) {
  host_.udp_endpoints = {Endpoint(Ipv4Mapped(10, 1, 2, 3), 161, 9)};
  EXPECT_EQ(Oids(Walk(MakeUdpMibProvider(context_), UdpEndpointTable())),
            (std::vector<Oid>{UdpEndpointProcess({2,   16, 0, 0, 0, 0,   0, 0,  0, 0, 0, 0, 255,
                                                  255, 10, 1, 2, 3, 161, 2, 16, 0, 0, 0, 0, 0,
                                                  0,   0,  0, 0, 0, 0,   0, 0,  0, 0, 0, 0, 9})}));
}

SocketEndpoint Connected(std::string address, std::uint16_t port, std::string remote_address,
                         std::uint16_t remote_port, std::uint64_t inode) {
  SocketEndpoint endpoint = Endpoint(std::move(address), port, inode);
  endpoint.remote_address = std::move(remote_address);
  endpoint.remote_port = remote_port;
  endpoint.connected = true;
  return endpoint;
}

TEST_F(SocketMibTest, UdpConnectedSocketHasItsRemoteEndInTheIndex) {
  // From snmpd's walk with a socket on 127.0.0.1:41509 connected to
  // 127.0.0.1:9 (inode 948987), next to an unconnected one.
  host_.udp_endpoints = {
      Connected(Ipv4(127, 0, 0, 1), 41509, Ipv4(127, 0, 0, 1), 9, 948987),
      Endpoint(Ipv4(127, 0, 0, 1), 11161, 8030),
  };
  const auto walked = Walk(MakeUdpMibProvider(context_), UdpEndpointTable());
  EXPECT_EQ(Oids(walked),
            (std::vector<Oid>{
                UdpEndpointProcess({1, 4, 127, 0, 0, 1, 11161, 1, 4, 0, 0, 0, 0, 0, 8030}),
                UdpEndpointProcess({1, 4, 127, 0, 0, 1, 41509, 1, 4, 127, 0, 0, 1, 9, 948987}),
            }));
  for (const auto& vb : walked) EXPECT_EQ(vb.value, Value::Gauge32(0)) << vb.oid.ToString();
}

TEST_F(SocketMibTest, UdpConnectedIpv6Socket) {
  host_.udp_endpoints = {
      Connected(Ipv4Mapped(10, 1, 2, 3), 5000, Ipv4Mapped(10, 1, 2, 4), 53, 77),
  };
  EXPECT_EQ(Oids(Walk(MakeUdpMibProvider(context_), UdpEndpointTable())),
            (std::vector<Oid>{UdpEndpointProcess(
                {2,  16, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,   255, 255, 10, 1, 2, 3,  5000, 2,
                 16, 0,  0, 0, 0, 0, 0, 0, 0, 0, 0, 255, 255, 10,  1,  2, 4, 53, 77})}));
}

TEST_F(SocketMibTest, UdpTableLeavesConnectedSocketsOut) {
  // mibII/udpTable.c lists state 07 (not connected) only.
  host_.udp_endpoints = {
      Connected(Ipv4(127, 0, 0, 1), 41509, Ipv4(127, 0, 0, 1), 9, 948987),
      Endpoint(Ipv4(0, 0, 0, 0), 68, 10),
  };
  EXPECT_EQ(Oids(Walk(MakeUdpMibProvider(context_), UdpTable())),
            (std::vector<Oid>{UdpEntry(1, {0, 0, 0, 0, 68}), UdpEntry(2, {0, 0, 0, 0, 68})}));
}

TEST_F(SocketMibTest, UdpRemoteAddressOfABadLengthIsDropped) {
  host_.udp_endpoints = {
      Connected(Ipv4(127, 0, 0, 1), 1000, Bytes({127, 0, 1}), 9, 1),
      Connected(Ipv4(127, 0, 0, 1), 1001, Ipv4(127, 0, 0, 2), 9, 2),
  };
  EXPECT_EQ(
      Oids(Walk(MakeUdpMibProvider(context_), UdpEndpointTable())),
      (std::vector<Oid>{UdpEndpointProcess({1, 4, 127, 0, 0, 1, 1001, 1, 4, 127, 0, 0, 2, 9, 2})}));
}

TEST_F(SocketMibTest, UdpEmptyTables) {
  EXPECT_TRUE(Walk(MakeUdpMibProvider(context_), UdpTable()).empty());
  EXPECT_FALSE(view_->GetNext(UdpTable()));
  EXPECT_EQ(view_->Get(UdpEntry(1, {0, 0, 0, 0, 53})).type, ValueType::kNoSuchInstance);
  EXPECT_EQ(view_->Get(UdpEntry(2, {0, 0, 0, 0, 53})).type, ValueType::kNoSuchInstance);
  EXPECT_EQ(view_->Get(UdpEndpointProcess({1, 4, 0, 0, 0, 0, 53, 1, 4, 0, 0, 0, 0, 0, 1})).type,
            ValueType::kNoSuchInstance);
}

}  // namespace
}  // namespace mimamori::agent
