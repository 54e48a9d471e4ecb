#include "agent/mib/udp_mib.h"

#include <cstdint>
#include <set>
#include <string>
#include <string_view>
#include <vector>

namespace mimamori::agent {
namespace {

using proto::Oid;
using proto::Value;

// udpEntry columns (the deprecated RFC 1213 udpTable).
constexpr std::uint32_t kUdpLocalAddress = 1;
constexpr std::uint32_t kUdpLocalPort = 2;

constexpr std::uint32_t kUdpEndpointProcess = 8;  // udpEndpointEntry.8, the only readable column

// InetAddressType (INET-ADDRESS-MIB).
constexpr std::uint32_t kInetAddressIpv4 = 1;
constexpr std::uint32_t kInetAddressIpv6 = 2;

// udp.5 = udpTable, udp.7 = udpEndpointTable.
Oid UdpTable() { return Oid{1, 3, 6, 1, 2, 1, 7, 5}; }
Oid UdpEntryColumn(std::uint32_t column) { return UdpTable().Child({1, column}); }
Oid UdpEndpointTable() { return Oid{1, 3, 6, 1, 2, 1, 7, 7}; }
Oid UdpEndpointEntryColumn(std::uint32_t column) { return UdpEndpointTable().Child({1, column}); }

// InetAddressType, then the InetAddress with its length first (the index
// objects are not IMPLIED).
void AppendInetAddress(std::vector<std::uint32_t>& index, std::string_view address) {
  index.push_back(address.size() == 4 ? kInetAddressIpv4 : kInetAddressIpv6);
  index.push_back(static_cast<std::uint32_t>(address.size()));
  for (char byte : address) index.push_back(static_cast<unsigned char>(byte));
}

class UdpMibProvider final : public MibProvider {
 public:
  explicit UdpMibProvider(const ProviderContext& context) : context_(context) {}

  std::string_view Name() const override { return "udp-mib"; }

  std::vector<Oid> Roots() const override { return {UdpTable(), UdpEndpointTable()}; }

  void Collect(MibWriter& out) override {
    const std::vector<SocketEndpoint> endpoints = context_.host.UdpEndpoints();
    WriteUdpTable(out, endpoints);
    WriteUdpEndpointTable(out, endpoints);
  }

 private:
  // snmpd's udpTable lists the IPv4 sockets of /proc/net/udp in state 07
  // (not connected), indexed by the address's 4 bytes (an IpAddress index
  // has no length) and the port.
  static void WriteUdpTable(MibWriter& out, const std::vector<SocketEndpoint>& endpoints) {
    const Oid address_column = UdpEntryColumn(kUdpLocalAddress);
    const Oid port_column = UdpEntryColumn(kUdpLocalPort);
    out.DeclareObject(address_column);
    out.DeclareObject(port_column);
    std::set<std::vector<std::uint32_t>> seen;
    for (const SocketEndpoint& endpoint : endpoints) {
      if (endpoint.address.size() != 4 || endpoint.connected) continue;
      std::vector<std::uint32_t> index;
      for (char byte : endpoint.address) index.push_back(static_cast<unsigned char>(byte));
      index.push_back(endpoint.port);
      if (!seen.insert(index).second) continue;  // SO_REUSEPORT: one row per address and port
      out.Cell(address_column, index, Value::IpAddress(endpoint.address));
      out.Cell(port_column, index, Value::Integer(endpoint.port));
    }
  }

  static void WriteUdpEndpointTable(MibWriter& out, const std::vector<SocketEndpoint>& endpoints) {
    const Oid process_column = UdpEndpointEntryColumn(kUdpEndpointProcess);
    out.DeclareObject(process_column);
    std::set<std::vector<std::uint32_t>> seen;
    for (const SocketEndpoint& endpoint : endpoints) {
      const std::size_t length = endpoint.address.size();
      const std::string remote =
          endpoint.remote_address.empty() ? std::string(length, '\0') : endpoint.remote_address;
      // snmpd drops other lengths too.
      if ((length != 4 && length != 16) || (remote.size() != 4 && remote.size() != 16)) continue;
      std::vector<std::uint32_t> index;
      index.reserve(2 * 3 + length + remote.size() + 1);
      AppendInetAddress(index, endpoint.address);
      index.push_back(endpoint.port);
      AppendInetAddress(index, remote);
      index.push_back(endpoint.remote_port);
      // snmpd truncates the inode to 32 bits; a collision would need two
      // sockets with the same ends whose inodes differ by a multiple of 2^32.
      index.push_back(static_cast<std::uint32_t>(endpoint.inode));
      if (!seen.insert(index).second) continue;
      out.Cell(process_column, index, Value::Gauge32(0));
    }
  }

  const ProviderContext& context_;
};

}  // namespace

std::unique_ptr<MibProvider> MakeUdpMibProvider(const ProviderContext& context) {
  return std::make_unique<UdpMibProvider>(context);
}

}  // namespace mimamori::agent
