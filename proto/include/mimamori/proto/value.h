// SNMPv2 values (RFC 3416 ObjectSyntax plus the three exceptions) and variable bindings.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "mimamori/proto/oid.h"

namespace mimamori::proto {

/// The BER tag of each value type; the enumerator's value is the tag byte.
enum class ValueType : std::uint8_t {
  kInteger = 0x02,
  kOctetString = 0x04,
  kNull = 0x05,
  kObjectId = 0x06,
  kIpAddress = 0x40,
  kCounter32 = 0x41,
  kGauge32 = 0x42,
  kTimeTicks = 0x43,
  kOpaque = 0x44,
  kCounter64 = 0x46,
  kNoSuchObject = 0x80,
  kNoSuchInstance = 0x81,
  kEndOfMibView = 0x82,
};

/// Name of the type as Net-SNMP prints it ("INTEGER", "Counter64", ...).
std::string_view TypeName(ValueType type);

/// One SNMP value. A plain struct rather than a variant: the agent builds
/// thousands of these per table snapshot and the flat layout keeps that cheap.
/// `number` holds INTEGER (as int32 bit pattern sign-extended to 64 bits),
/// Counter32, Gauge32, TimeTicks and Counter64; `bytes` holds OCTET STRING,
/// Opaque and IpAddress (4 bytes); `oid` holds OBJECT IDENTIFIER.
struct Value {
  ValueType type = ValueType::kNull;
  std::uint64_t number = 0;
  std::string bytes;
  Oid oid;

  static Value Integer(std::int32_t v) {
    return {ValueType::kInteger, static_cast<std::uint64_t>(static_cast<std::int64_t>(v)), {}, {}};
  }
  static Value OctetString(std::string_view v) {
    return {ValueType::kOctetString, 0, std::string(v), {}};
  }
  static Value Null() { return {}; }
  static Value ObjectId(Oid v) { return {ValueType::kObjectId, 0, {}, std::move(v)}; }
  /// `address` is the 4 address bytes in network order.
  static Value IpAddress(std::string_view address) {
    return {ValueType::kIpAddress, 0, std::string(address), {}};
  }
  static Value Counter32(std::uint32_t v) { return {ValueType::kCounter32, v, {}, {}}; }
  static Value Gauge32(std::uint32_t v) { return {ValueType::kGauge32, v, {}, {}}; }
  static Value TimeTicks(std::uint32_t v) { return {ValueType::kTimeTicks, v, {}, {}}; }
  static Value Opaque(std::string_view v) { return {ValueType::kOpaque, 0, std::string(v), {}}; }
  static Value Counter64(std::uint64_t v) { return {ValueType::kCounter64, v, {}, {}}; }
  static Value NoSuchObject() { return {ValueType::kNoSuchObject, 0, {}, {}}; }
  static Value NoSuchInstance() { return {ValueType::kNoSuchInstance, 0, {}, {}}; }
  static Value EndOfMibView() { return {ValueType::kEndOfMibView, 0, {}, {}}; }

  std::int32_t AsInteger() const { return static_cast<std::int32_t>(number); }
  bool IsException() const {
    return type == ValueType::kNoSuchObject || type == ValueType::kNoSuchInstance ||
           type == ValueType::kEndOfMibView;
  }

  /// Readable form for logs and test failures, e.g. "Gauge32: 42".
  std::string ToString() const;

  friend bool operator==(const Value&, const Value&) = default;
};

struct VarBind {
  Oid oid;
  Value value;
  friend bool operator==(const VarBind&, const VarBind&) = default;
};

}  // namespace mimamori::proto
