// SNMP community-based messages (RFC 1157 framing, RFC 3416 PDUs).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "mimamori/proto/value.h"

namespace mimamori::proto {

/// The PDU tag byte (context-specific, constructed).
enum class PduType : std::uint8_t {
  kGetRequest = 0xA0,
  kGetNextRequest = 0xA1,
  kResponse = 0xA2,
  kSetRequest = 0xA3,
  kTrapV1 = 0xA4,
  kGetBulkRequest = 0xA5,
  kInformRequest = 0xA6,
  kSnmpV2Trap = 0xA7,
  kReport = 0xA8,
};

/// RFC 3416 error-status values.
enum class ErrorStatus : std::int32_t {
  kNoError = 0,
  kTooBig = 1,
  kNoSuchName = 2,
  kBadValue = 3,
  kReadOnly = 4,
  kGenErr = 5,
  kNoAccess = 6,
  kWrongType = 7,
  kWrongLength = 8,
  kWrongEncoding = 9,
  kWrongValue = 10,
  kNoCreation = 11,
  kInconsistentValue = 12,
  kResourceUnavailable = 13,
  kCommitFailed = 14,
  kUndoFailed = 15,
  kAuthorizationError = 16,
  kNotWritable = 17,
  kInconsistentName = 18,
};

/// The message version field: 0 = SNMPv1, 1 = SNMPv2c, 3 = SNMPv3.
enum class Version : std::int32_t { kV1 = 0, kV2c = 1, kV3 = 3 };

/// A PDU. For GetBulkRequest the two middle fields are non-repeaters and
/// max-repetitions (RFC 3416 section 3); the accessors below name them.
struct Pdu {
  PduType type = PduType::kGetRequest;
  std::int32_t request_id = 0;
  std::int32_t error_status = 0;
  std::int32_t error_index = 0;
  std::vector<VarBind> varbinds;

  std::int32_t non_repeaters() const { return error_status; }
  std::int32_t max_repetitions() const { return error_index; }

  friend bool operator==(const Pdu&, const Pdu&) = default;
};

struct Message {
  Version version = Version::kV2c;
  std::string community;
  Pdu pdu;

  friend bool operator==(const Message&, const Message&) = default;
};

}  // namespace mimamori::proto
