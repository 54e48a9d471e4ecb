#include "agent/mib/tcp_mib.h"

#include <cstdint>
#include <set>
#include <string_view>
#include <vector>

namespace mimamori::agent {
namespace {

using proto::Oid;
using proto::Value;

constexpr std::uint32_t kTcpListenerProcess = 4;  // tcpListenerEntry.4, the only readable column

// InetAddressType (INET-ADDRESS-MIB).
constexpr std::uint32_t kInetAddressIpv4 = 1;
constexpr std::uint32_t kInetAddressIpv6 = 2;

// tcp.20 = tcpListenerTable.
Oid TcpListenerTable() { return Oid{1, 3, 6, 1, 2, 1, 6, 20}; }
Oid TcpListenerEntryColumn(std::uint32_t column) { return TcpListenerTable().Child({1, column}); }

class TcpMibProvider final : public MibProvider {
 public:
  explicit TcpMibProvider(const ProviderContext& context) : context_(context) {}

  std::string_view Name() const override { return "tcp-mib"; }

  std::vector<Oid> Roots() const override { return {TcpListenerTable()}; }

  void Collect(MibWriter& out) override {
    const Oid process_column = TcpListenerEntryColumn(kTcpListenerProcess);
    out.DeclareObject(process_column);
    std::set<std::vector<std::uint32_t>> seen;
    for (const SocketEndpoint& listener : context_.host.TcpListeners()) {
      // snmpd derives the type from the address length and drops anything
      // that is neither IPv4 nor IPv6.
      const std::size_t length = listener.address.size();
      if (length != 4 && length != 16) continue;
      std::vector<std::uint32_t> index;
      index.reserve(3 + length);
      index.push_back(length == 4 ? kInetAddressIpv4 : kInetAddressIpv6);
      index.push_back(static_cast<std::uint32_t>(length));
      for (char byte : listener.address) index.push_back(static_cast<unsigned char>(byte));
      index.push_back(listener.port);
      // Several sockets can listen on one address and port (SO_REUSEPORT);
      // they share a row, and snmpd keeps the first.
      if (!seen.insert(index).second) continue;
      out.Cell(process_column, index, Value::Gauge32(0));
    }
  }

 private:
  const ProviderContext& context_;
};

}  // namespace

std::unique_ptr<MibProvider> MakeTcpMibProvider(const ProviderContext& context) {
  return std::make_unique<TcpMibProvider>(context);
}

}  // namespace mimamori::agent
