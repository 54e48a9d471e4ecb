// SNMPv2c notifications (RFC 3416 SNMPv2-Trap-PDU and InformRequest-PDU),
// decoded by our own BER codec (proto/), which never throws on wire bytes.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "mimamori/proto/message.h"

namespace mimamori::collector {

/// A notification as the rules see it: OIDs dotted with a leading dot, as
/// Net-SNMP prints them, and values as text.
struct TrapMessage {
  bool inform = false;
  std::string community;
  std::string trap_oid;                                       ///< snmpTrapOID.0
  std::vector<std::pair<std::string, std::string>> varbinds;  ///< after sysUpTime and trapOID
  /// "linkDown .1.3.6... ifIndex=2 ..." for reasons: the trap OID and the
  /// varbinds, one line.
  std::string Text() const;
};

enum class TrapError {
  kNone = 0,
  kBer,        ///< the BER codec refused the bytes
  kNotV2c,     ///< SNMPv1 or v3
  kNotATrap,   ///< a Get, Response, ... sent to the trap port
  kNoTrapOid,  ///< varbind 2 is not snmpTrapOID.0 (RFC 3416 section 4.2.6)
};

/// "ber", "not-v2c", "not-a-trap", "no-trap-oid": reason labels.
std::string_view TrapErrorName(TrapError error);

/// Decodes one datagram. `raw` keeps the decoded message (for the inform's
/// Response). Never throws.
TrapError DecodeTrap(std::span<const std::uint8_t> wire, TrapMessage& out, proto::Message& raw);

/// The Response-PDU that acknowledges `inform` (RFC 3416 section 4.2.7):
/// same request-id and varbinds, no error.
std::vector<std::uint8_t> InformResponse(const proto::Message& inform);

/// A value as rules match it: numbers in decimal, OIDs dotted, IpAddress
/// dotted quad, strings as sent when UTF-8 and printable, else hex.
std::string ValueText(const proto::Value& value);

}  // namespace mimamori::collector
