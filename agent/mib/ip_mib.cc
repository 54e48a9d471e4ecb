#include "agent/mib/ip_mib.h"

#include <algorithm>
#include <chrono>
#include <map>
#include <set>
#include <string>
#include <vector>

namespace mimamori::agent {
namespace {

using proto::Oid;
using proto::Value;

Oid IpAddrTable() { return Oid{1, 3, 6, 1, 2, 1, 4, 20}; }
Oid IpAddressTable() { return Oid{1, 3, 6, 1, 2, 1, 4, 34}; }
// ipAddressPrefixOrigin, the first accessible column of ipAddressPrefixEntry:
// what snmpd's ipAddressPrefix points at.
Oid IpAddressPrefixOrigin() { return Oid{1, 3, 6, 1, 2, 1, 4, 32, 1, 5}; }

// InetAddressType, IpAddressType, IpAddressOriginTC, IpAddressStatusTC,
// RowStatus and StorageType values.
constexpr std::uint32_t kIpv4 = 1, kIpv6 = 2;
constexpr std::int32_t kUnicast = 1, kBroadcast = 3;
constexpr std::int32_t kManual = 2, kLinkLayer = 5, kRandom = 6;
constexpr std::int32_t kPreferred = 1, kDeprecated = 2, kUnknownStatus = 5, kTentative = 6;
constexpr std::int32_t kActive = 1;
constexpr std::int32_t kVolatile = 2, kPermanent = 4;

// IFA_F_* of /proc/net/if_inet6.
constexpr std::uint32_t kTemporary = 0x01, kDeprecatedFlag = 0x20, kTentativeFlag = 0x40,
                        kPermanentFlag = 0x80;

std::string Masked(std::string address, std::uint8_t prefix_length) {
  for (std::size_t i = 0; i < address.size(); ++i) {
    const int keep =
        std::max(0, std::min(8, static_cast<int>(prefix_length) - static_cast<int>(8 * i)));
    address[i] = static_cast<char>(static_cast<unsigned char>(address[i]) &
                                   static_cast<unsigned char>(0xFF00 >> keep));
  }
  return address;
}

std::vector<std::uint32_t> Arcs(const std::string& bytes) {
  std::vector<std::uint32_t> arcs;
  for (const char byte : bytes) arcs.push_back(static_cast<unsigned char>(byte));
  return arcs;
}

// One ipAddressTable row before it is written.
struct Row {
  std::vector<std::uint32_t> index;
  std::uint32_t if_index = 0;
  std::int32_t type = kUnicast;
  Oid prefix;
  std::int32_t origin = kManual;
  std::int32_t status = kPreferred;
  std::int32_t storage = kVolatile;
};

Row MakeRow(const std::string& address, bool ipv6, std::uint32_t if_index,
            std::uint8_t prefix_length) {
  Row row;
  const std::uint32_t type = ipv6 ? kIpv6 : kIpv4;
  row.index = {type, static_cast<std::uint32_t>(address.size())};
  for (const std::uint32_t arc : Arcs(address)) row.index.push_back(arc);
  row.if_index = if_index;
  row.prefix =
      IpAddressPrefixOrigin().Child({if_index, type, static_cast<std::uint32_t>(address.size())});
  for (const std::uint32_t arc : Arcs(Masked(address, prefix_length))) row.prefix.Append(arc);
  row.prefix.Append(prefix_length);
  return row;
}

class IpMibProvider final : public MibProvider {
 public:
  explicit IpMibProvider(const ProviderContext& context) : context_(context) {}

  std::string_view Name() const override { return "ip-mib"; }
  std::vector<Oid> Roots() const override { return {IpAddrTable(), IpAddressTable()}; }

  void Collect(MibWriter& out) override {
    const std::vector<InterfaceAddress> addresses = context_.host.Addresses();
    WriteIpAddrTable(addresses, out);
    WriteIpAddressTable(addresses, out);
  }

 private:
  void WriteIpAddrTable(const std::vector<InterfaceAddress>& addresses, MibWriter& out) {
    const Oid entry = IpAddrTable().Child({1});
    for (std::uint32_t column = 1; column <= 4; ++column) out.DeclareObject(entry.Child({column}));
    std::set<std::string> seen;
    for (const InterfaceAddress& a : addresses) {
      if (a.ipv6 || a.address.size() != 4 || !seen.insert(a.address).second) continue;
      const std::vector<std::uint32_t> index = Arcs(a.address);
      out.Cell(entry.Child({1}), index, Value::IpAddress(a.address));
      out.Cell(entry.Child({2}), index, Value::Integer(static_cast<std::int32_t>(a.if_index)));
      out.Cell(entry.Child({3}), index,
               Value::IpAddress(Masked(std::string(4, '\xff'), a.prefix_length)));
      const bool odd = a.broadcast.size() == 4 && (static_cast<unsigned char>(a.broadcast[3]) & 1);
      out.Cell(entry.Child({4}), index, Value::Integer(odd ? 1 : 0));
    }
  }

  void WriteIpAddressTable(const std::vector<InterfaceAddress>& addresses, MibWriter& out) {
    std::vector<Row> rows;
    std::set<std::vector<std::uint32_t>> seen;
    const auto add = [&](Row row) {
      if (seen.insert(row.index).second) rows.push_back(std::move(row));
    };
    for (const InterfaceAddress& a : addresses) {
      if (!a.ipv6 && a.address.size() == 4) {
        const bool apipa = static_cast<unsigned char>(a.address[0]) == 169 &&
                           static_cast<unsigned char>(a.address[1]) == 254;
        // snmpd inserts the broadcast row before the address's own.
        if (a.broadcast.size() == 4) {
          Row broadcast = MakeRow(a.broadcast, false, a.if_index, a.prefix_length);
          broadcast.type = kBroadcast;
          broadcast.origin = apipa ? kRandom : kManual;
          add(std::move(broadcast));
        }
        Row row = MakeRow(a.address, false, a.if_index, a.prefix_length);
        row.origin = apipa ? kRandom : kManual;
        add(std::move(row));
      } else if (a.ipv6 && a.address.size() == 16) {
        Row row = MakeRow(a.address, true, a.if_index, a.prefix_length);
        const bool link_local = static_cast<unsigned char>(a.address[0]) == 0xfe &&
                                (static_cast<unsigned char>(a.address[1]) & 0xc0) == 0x80;
        if ((a.flags & kPermanentFlag) != 0 || a.flags == 0 || (a.flags & kTemporary) != 0) {
          row.status = kPreferred;
        } else if ((a.flags & kDeprecatedFlag) != 0) {
          row.status = kDeprecated;
        } else if ((a.flags & kTentativeFlag) != 0) {
          row.status = kTentative;
        } else {
          row.status = kUnknownStatus;
        }
        row.origin = a.flags == 0                  ? kLinkLayer
                     : (a.flags & kTemporary) != 0 ? kRandom
                     : link_local                  ? kLinkLayer
                                                   : kManual;
        if (row.origin == kLinkLayer) row.storage = kPermanent;
        add(std::move(row));
      }
    }

    // First seen: 0 for the first reading (snmpd's initial load), sysUpTime
    // for addresses that appear later; forgotten when they go.
    const std::uint32_t now = first_collection_ ? 0 : UptimeTicks();
    first_collection_ = false;
    std::map<std::vector<std::uint32_t>, std::uint32_t> created;
    for (const Row& row : rows) {
      const auto known = created_.find(row.index);
      created[row.index] = known != created_.end() ? known->second : now;
    }
    created_ = std::move(created);

    const Oid entry = IpAddressTable().Child({1});
    for (std::uint32_t column = 3; column <= 11; ++column) out.DeclareObject(entry.Child({column}));
    for (const Row& row : rows) {
      const std::uint32_t since = created_[row.index];
      out.Cell(entry.Child({3}), row.index,
               Value::Integer(static_cast<std::int32_t>(row.if_index)));
      out.Cell(entry.Child({4}), row.index, Value::Integer(row.type));
      out.Cell(entry.Child({5}), row.index, Value::ObjectId(row.prefix));
      out.Cell(entry.Child({6}), row.index, Value::Integer(row.origin));
      out.Cell(entry.Child({7}), row.index, Value::Integer(row.status));
      out.Cell(entry.Child({8}), row.index, Value::TimeTicks(since));
      out.Cell(entry.Child({9}), row.index, Value::TimeTicks(since));
      out.Cell(entry.Child({10}), row.index, Value::Integer(kActive));
      out.Cell(entry.Child({11}), row.index, Value::Integer(row.storage));
    }
  }

  std::uint32_t UptimeTicks() const {
    const auto elapsed = context_.now() - context_.agent_start;
    return static_cast<std::uint32_t>(
        std::chrono::duration_cast<std::chrono::milliseconds>(elapsed).count() / 10);
  }

  const ProviderContext& context_;
  bool first_collection_ = true;
  std::map<std::vector<std::uint32_t>, std::uint32_t> created_;
};

}  // namespace

std::unique_ptr<MibProvider> MakeIpMibProvider(const ProviderContext& context) {
  return std::make_unique<IpMibProvider>(context);
}

}  // namespace mimamori::agent
