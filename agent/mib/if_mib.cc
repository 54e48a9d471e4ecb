#include "agent/mib/if_mib.h"

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace mimamori::agent {
namespace {

using proto::Oid;
using proto::Value;

// Object identifiers (IF-MIB), as sub-identifiers below mib-2 rather than Oid
// globals: an Oid owns a vector, and globals must be trivially destructible.
constexpr std::uint32_t kInterfaces = 2;  // mib-2.2
constexpr std::uint32_t kIfNumber = 1;    // interfaces.1
constexpr std::uint32_t kIfTable = 2;     // interfaces.2 (ifEntry is .1 below it)
constexpr std::uint32_t kIfMib = 31;      // mib-2.31
constexpr std::uint32_t kIfMibObjects = 1;
constexpr std::uint32_t kIfXTable = 1;           // ifMIBObjects.1 (ifXEntry is .1 below it)
constexpr std::uint32_t kIfTableLastChange = 5;  // ifMIBObjects.5

// ifEntry columns.
constexpr std::uint32_t kIfIndex = 1;
constexpr std::uint32_t kIfDescr = 2;
constexpr std::uint32_t kIfType = 3;
constexpr std::uint32_t kIfMtu = 4;
constexpr std::uint32_t kIfSpeed = 5;
constexpr std::uint32_t kIfPhysAddress = 6;
constexpr std::uint32_t kIfAdminStatus = 7;
constexpr std::uint32_t kIfOperStatus = 8;
constexpr std::uint32_t kIfLastChange = 9;
constexpr std::uint32_t kIfInOctets = 10;
constexpr std::uint32_t kIfInUcastPkts = 11;
constexpr std::uint32_t kIfInNUcastPkts = 12;
constexpr std::uint32_t kIfInDiscards = 13;
constexpr std::uint32_t kIfInErrors = 14;
constexpr std::uint32_t kIfInUnknownProtos = 15;
constexpr std::uint32_t kIfOutOctets = 16;
constexpr std::uint32_t kIfOutUcastPkts = 17;
constexpr std::uint32_t kIfOutNUcastPkts = 18;
constexpr std::uint32_t kIfOutDiscards = 19;
constexpr std::uint32_t kIfOutErrors = 20;
constexpr std::uint32_t kIfOutQLen = 21;
constexpr std::uint32_t kIfSpecific = 22;

// ifXEntry columns.
constexpr std::uint32_t kIfName = 1;
constexpr std::uint32_t kIfInMulticastPkts = 2;
constexpr std::uint32_t kIfInBroadcastPkts = 3;
constexpr std::uint32_t kIfOutMulticastPkts = 4;
constexpr std::uint32_t kIfOutBroadcastPkts = 5;
constexpr std::uint32_t kIfHCInOctets = 6;
constexpr std::uint32_t kIfHCInUcastPkts = 7;
constexpr std::uint32_t kIfHCInMulticastPkts = 8;
constexpr std::uint32_t kIfHCInBroadcastPkts = 9;
constexpr std::uint32_t kIfHCOutOctets = 10;
constexpr std::uint32_t kIfHCOutUcastPkts = 11;
constexpr std::uint32_t kIfHCOutMulticastPkts = 12;
constexpr std::uint32_t kIfHCOutBroadcastPkts = 13;
// 14 is ifLinkUpDownTrapEnable, declared but never written (see WriteRow).
constexpr std::uint32_t kIfHighSpeed = 15;
constexpr std::uint32_t kIfPromiscuousMode = 16;
constexpr std::uint32_t kIfConnectorPresent = 17;
constexpr std::uint32_t kIfAlias = 18;
constexpr std::uint32_t kIfCounterDiscontinuityTime = 19;

// IANAifType values snmpd produces on Linux.
constexpr std::int32_t kIanaOther = 1;
constexpr std::int32_t kIanaEthernetCsmacd = 6;
constexpr std::int32_t kIanaFddi = 15;
constexpr std::int32_t kIanaPpp = 23;
constexpr std::int32_t kIanaSoftwareLoopback = 24;
constexpr std::int32_t kIanaSlip = 28;
constexpr std::int32_t kIanaArcnet = 35;
constexpr std::int32_t kIanaAtm = 37;
constexpr std::int32_t kIanaLocalTalk = 42;
constexpr std::int32_t kIanaHippi = 47;
constexpr std::int32_t kIanaTunnel = 131;
constexpr std::int32_t kIanaInfiniband = 199;

constexpr std::int32_t kStatusUp = 1;  // ifAdminStatus / ifOperStatus
constexpr std::int32_t kStatusDown = 2;
constexpr std::int32_t kTruthTrue = 1;  // TruthValue
constexpr std::int32_t kTruthFalse = 2;

constexpr std::uint32_t kArphrdLoopback = 772;

// snmpd's interface_fadeout default: how long a vanished interface stays in
// the table (as down) before its row is dropped.
constexpr std::chrono::seconds kFadeout{300};

Oid Mib2(std::initializer_list<std::uint32_t> tail) { return Oid{1, 3, 6, 1, 2, 1}.Child(tail); }

Oid IfEntryColumn(std::uint32_t column) { return Mib2({kInterfaces, kIfTable, 1, column}); }
Oid IfXEntryColumn(std::uint32_t column) {
  return Mib2({kIfMib, kIfMibObjects, kIfXTable, 1, column});
}

std::uint32_t Low32(std::uint64_t v) { return static_cast<std::uint32_t>(v); }

// Net-SNMP maps the SIOCGIFHWADDR family (the ARPHRD type) with a short list;
// everything else, including ARPHRD_NONE (tun, wireguard), is other(1).
// snmpd never falls back to guessing from the name, since that ioctl works
// for every device.
std::int32_t IanaIfType(std::uint32_t arphrd) {
  switch (arphrd) {
    case 1:  // ETHER (also bridges, bonds, VLANs, veth, Wi-Fi)
      return kIanaEthernetCsmacd;
    case 768:  // TUNNEL
    case 769:  // TUNNEL6
    case 776:  // SIT
    case 778:  // IPGRE
      return kIanaTunnel;
    case 32:  // INFINIBAND
      return kIanaInfiniband;
    case 256:  // SLIP
    case 257:  // CSLIP
    case 258:  // SLIP6
    case 259:  // CSLIP6
      return kIanaSlip;
    case 512:  // PPP
      return kIanaPpp;
    case kArphrdLoopback:
      return kIanaSoftwareLoopback;
    case 774:  // FDDI
      return kIanaFddi;
    case 7:  // ARCNET
      return kIanaArcnet;
    case 773:  // LOCALTLK
      return kIanaLocalTalk;
    case 780:  // HIPPI
      return kIanaHippi;
    case 19:  // ATM
      return kIanaAtm;
    default:
      return kIanaOther;
  }
}

// snmpd asks ethtool only for ethernet-type interfaces; when the driver does
// not know the speed it reports 0 (not its 10 Mb/s "nominal" default, which is
// never used because the interface flags are read after the speed). Other
// types get a guess: 10 Mb/s for loopback, 0 otherwise.
std::uint64_t SpeedBps(const NetInterface& nic) {
  switch (IanaIfType(nic.type)) {
    case kIanaEthernetCsmacd:
      return nic.speed_bps;
    case kIanaSoftwareLoopback:
      return 10'000'000;
    default:
      return 0;
  }
}

// snmpd always takes 6 bytes from SIOCGIFHWADDR and shows an all-zero
// address (loopback, tunnels) as the empty string.
std::string PhysAddress(const std::string& mac) {
  std::string address = mac.substr(0, 6);
  address.resize(6, '\0');
  if (std::all_of(address.begin(), address.end(), [](char c) { return c == '\0'; })) return {};
  return address;
}

bool OperUp(const NetInterface& nic) { return nic.admin_up && nic.oper_up; }

class IfMibProvider final : public MibProvider {
 public:
  explicit IfMibProvider(const ProviderContext& context) : context_(context) {}

  std::string_view Name() const override { return "if-mib"; }

  std::vector<Oid> Roots() const override { return {Mib2({kInterfaces}), Mib2({kIfMib})}; }

  void Collect(MibWriter& out) override {
    Update();
    out.Scalar(Mib2({kInterfaces, kIfNumber}),
               Value::Integer(static_cast<std::int32_t>(rows_.size())));
    for (std::uint32_t column = kIfIndex; column <= kIfSpecific; ++column) {
      out.DeclareObject(IfEntryColumn(column));
    }
    for (std::uint32_t column = kIfName; column <= kIfCounterDiscontinuityTime; ++column) {
      out.DeclareObject(IfXEntryColumn(column));
    }
    for (const auto& [index, row] : rows_) WriteRow(out, index, row);
    out.Scalar(Mib2({kIfMib, kIfMibObjects, kIfTableLastChange}),
               Value::TimeTicks(table_last_change_));
  }

 private:
  struct Row {
    NetInterface nic;  // the last values seen; admin/oper forced down while missing
    bool missing = false;
    std::chrono::steady_clock::time_point missing_since{};
    std::uint32_t last_change = 0;    // TimeTicks since agent start
    std::uint32_t discontinuity = 0;  // TimeTicks since agent start
  };

  std::uint32_t UpTicks(std::chrono::steady_clock::time_point now) const {
    const auto elapsed = now - context_.agent_start;
    if (elapsed.count() <= 0) return 0;
    return static_cast<std::uint32_t>(
        std::chrono::duration_cast<std::chrono::milliseconds>(elapsed).count() / 10);
  }

  // Merges a fresh read of the interfaces into rows_, the way snmpd's ifTable
  // cache reload does, so that timestamps mean what they mean in snmpd.
  void Update() {
    const auto now = context_.now();
    const std::uint32_t ticks = UpTicks(now);

    std::map<std::uint32_t, NetInterface> fresh;
    for (NetInterface& nic : context_.host.Interfaces()) {
      const std::uint32_t index = nic.index;
      if (index == 0) continue;              // not a valid ifIndex; snmpd skips it too
      fresh.emplace(index, std::move(nic));  // the first of duplicates wins, as in snmpd
    }

    for (auto it = rows_.begin(); it != rows_.end();) {
      Row& row = it->second;
      auto found = fresh.find(it->first);
      if (found == fresh.end()) {
        if (!row.missing) {
          row.missing = true;
          row.missing_since = now;
          row.nic.admin_up = false;
          row.nic.oper_up = false;
          row.last_change = ticks;
        } else if (now - row.missing_since >= kFadeout) {
          it = rows_.erase(it);
          continue;
        }
      } else {
        const bool was_up = OperUp(row.nic);
        if (row.missing) {
          row.missing = false;
          row.discontinuity = ticks;
        }
        row.nic = std::move(found->second);
        if (OperUp(row.nic) != was_up) row.last_change = ticks;
        fresh.erase(found);
      }
      ++it;
    }

    for (auto& [index, nic] : fresh) {
      Row row;
      row.nic = std::move(nic);
      if (!first_collect_) {
        row.last_change = ticks;
        table_last_change_ = ticks;
      }
      rows_.emplace(index, std::move(row));
    }
    first_collect_ = false;
  }

  static void WriteRow(MibWriter& out, std::uint32_t index, const Row& row) {
    const NetInterface& nic = row.nic;
    const std::uint32_t idx[] = {index};
    const auto cell = [&](Oid column, Value value) { out.Cell(column, idx, std::move(value)); };
    const auto if_cell = [&](std::uint32_t column, Value value) {
      cell(IfEntryColumn(column), std::move(value));
    };
    const auto ifx_cell = [&](std::uint32_t column, Value value) {
      cell(IfXEntryColumn(column), std::move(value));
    };

    const std::uint64_t speed = SpeedBps(nic);
    // Linux has no unicast receive counter: /proc/net/dev counts all packets
    // and multicast separately. Broadcasts stay in "unicast", as in snmpd.
    const std::uint64_t in_ucast = nic.rx_packets - nic.rx_multicast;
    // A quirk snmpd keeps for pre-1.3.13 kernels that did not count loopback
    // transmissions; harmless on current kernels, where rx == tx on lo.
    const std::uint64_t out_packets =
        (nic.name == "lo" && nic.rx_packets > 0 && nic.tx_packets == 0) ? nic.rx_packets
                                                                        : nic.tx_packets;
    const bool loopback = nic.type == kArphrdLoopback;

    if_cell(kIfIndex, Value::Integer(static_cast<std::int32_t>(index)));
    if_cell(kIfDescr, Value::OctetString(nic.name));
    if_cell(kIfType, Value::Integer(IanaIfType(nic.type)));
    if_cell(kIfMtu, Value::Integer(static_cast<std::int32_t>(nic.mtu)));
    if_cell(kIfSpeed, Value::Gauge32(
                          static_cast<std::uint32_t>(std::min<std::uint64_t>(speed, 0xFFFFFFFFu))));
    if_cell(kIfPhysAddress, Value::OctetString(PhysAddress(nic.mac)));
    if_cell(kIfAdminStatus, Value::Integer(nic.admin_up ? kStatusUp : kStatusDown));
    if_cell(kIfOperStatus, Value::Integer(OperUp(nic) ? kStatusUp : kStatusDown));
    if_cell(kIfLastChange, Value::TimeTicks(row.last_change));
    if_cell(kIfInOctets, Value::Counter32(Low32(nic.rx_bytes)));
    if_cell(kIfInUcastPkts, Value::Counter32(Low32(in_ucast)));
    if_cell(kIfInNUcastPkts, Value::Counter32(Low32(nic.rx_multicast)));
    if_cell(kIfInDiscards, Value::Counter32(Low32(nic.rx_dropped)));
    if_cell(kIfInErrors, Value::Counter32(Low32(nic.rx_errors)));
    if_cell(kIfInUnknownProtos, Value::Counter32(0));
    if_cell(kIfOutOctets, Value::Counter32(Low32(nic.tx_bytes)));
    if_cell(kIfOutUcastPkts, Value::Counter32(Low32(out_packets)));
    if_cell(kIfOutNUcastPkts, Value::Counter32(0));  // Linux counts no outbound multicast
    if_cell(kIfOutDiscards, Value::Counter32(Low32(nic.tx_dropped)));
    if_cell(kIfOutErrors, Value::Counter32(Low32(nic.tx_errors)));
    if_cell(kIfOutQLen, Value::Gauge32(0));
    if_cell(kIfSpecific, Value::ObjectId(Oid{0, 0}));  // zeroDotZero

    ifx_cell(kIfName, Value::OctetString(nic.name));
    ifx_cell(kIfInMulticastPkts, Value::Counter32(Low32(nic.rx_multicast)));
    ifx_cell(kIfInBroadcastPkts, Value::Counter32(0));
    ifx_cell(kIfOutMulticastPkts, Value::Counter32(0));
    ifx_cell(kIfOutBroadcastPkts, Value::Counter32(0));
    ifx_cell(kIfHCInOctets, Value::Counter64(nic.rx_bytes));
    ifx_cell(kIfHCInUcastPkts, Value::Counter64(in_ucast));
    ifx_cell(kIfHCInMulticastPkts, Value::Counter64(nic.rx_multicast));
    ifx_cell(kIfHCInBroadcastPkts, Value::Counter64(0));
    ifx_cell(kIfHCOutOctets, Value::Counter64(nic.tx_bytes));
    ifx_cell(kIfHCOutUcastPkts, Value::Counter64(out_packets));
    ifx_cell(kIfHCOutMulticastPkts, Value::Counter64(0));
    ifx_cell(kIfHCOutBroadcastPkts, Value::Counter64(0));
    // ifLinkUpDownTrapEnable: snmpd skips the column until a manager sets it,
    // so it is only declared (a Get answers noSuchInstance).
    ifx_cell(kIfHighSpeed, Value::Gauge32(static_cast<std::uint32_t>(speed / 1'000'000)));
    ifx_cell(kIfPromiscuousMode, Value::Integer(nic.promiscuous ? kTruthTrue : kTruthFalse));
    ifx_cell(kIfConnectorPresent, Value::Integer(loopback ? kTruthFalse : kTruthTrue));
    ifx_cell(kIfAlias, Value::OctetString(""));
    ifx_cell(kIfCounterDiscontinuityTime, Value::TimeTicks(row.discontinuity));
  }

  const ProviderContext& context_;
  std::map<std::uint32_t, Row> rows_;  // by ifIndex
  bool first_collect_ = true;
  std::uint32_t table_last_change_ = 0;
};

}  // namespace

std::unique_ptr<MibProvider> MakeIfMibProvider(const ProviderContext& context) {
  return std::make_unique<IfMibProvider>(context);
}

}  // namespace mimamori::agent
