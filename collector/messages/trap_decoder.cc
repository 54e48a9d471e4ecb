#include "collector/messages/trap_decoder.h"

#include <cstdio>

#include "collector/alerting/mail_message.h"  // IsValidUtf8
#include "mimamori/proto/ber.h"

namespace mimamori::collector {
namespace {

const proto::Oid kSnmpTrapOid{1, 3, 6, 1, 6, 3, 1, 1, 4, 1, 0};
const proto::Oid kSysUpTime{1, 3, 6, 1, 2, 1, 1, 3, 0};

}  // namespace

std::string_view TrapErrorName(TrapError error) {
  switch (error) {
    case TrapError::kNone:
      return "none";
    case TrapError::kBer:
      return "ber";
    case TrapError::kNotV2c:
      return "not-v2c";
    case TrapError::kNotATrap:
      return "not-a-trap";
    case TrapError::kNoTrapOid:
      return "no-trap-oid";
  }
  return "unknown";
}

std::string ValueText(const proto::Value& value) {
  using proto::ValueType;
  switch (value.type) {
    case ValueType::kInteger:
      return std::to_string(value.AsInteger());
    case ValueType::kCounter32:
    case ValueType::kGauge32:
    case ValueType::kTimeTicks:
    case ValueType::kCounter64:
      return std::to_string(value.number);
    case ValueType::kObjectId:
      return value.oid.ToString();
    case ValueType::kIpAddress: {
      if (value.bytes.size() != 4) return "";
      std::string out;
      for (std::size_t i = 0; i < 4; ++i) {
        if (i) out += '.';
        out += std::to_string(static_cast<unsigned char>(value.bytes[i]));
      }
      return out;
    }
    case ValueType::kOctetString:
    case ValueType::kOpaque: {
      bool printable = IsValidUtf8(value.bytes);
      for (char c : value.bytes) {
        if (static_cast<unsigned char>(c) < 0x20 && c != '\t') printable = false;
      }
      if (printable) return value.bytes;
      std::string hex;
      char buf[4];
      for (char c : value.bytes) {
        std::snprintf(buf, sizeof buf, "%02X", static_cast<unsigned char>(c));
        if (!hex.empty()) hex += ' ';
        hex += buf;
      }
      return hex;
    }
    case ValueType::kNull:
    case ValueType::kNoSuchObject:
    case ValueType::kNoSuchInstance:
    case ValueType::kEndOfMibView:
      return "";
  }
  return "";
}

std::string TrapMessage::Text() const {
  std::string out = trap_oid;
  for (const auto& [oid, value] : varbinds) out += " " + oid + "=" + value;
  return out;
}

TrapError DecodeTrap(std::span<const std::uint8_t> wire, TrapMessage& out, proto::Message& raw) {
  out = TrapMessage{};
  if (proto::DecodeMessage(wire, raw) != proto::DecodeError::kNone) {
    return raw.version == proto::Version::kV2c || raw.version == proto::Version::kV1
               ? TrapError::kBer
               : TrapError::kNotV2c;
  }
  if (raw.version != proto::Version::kV2c) return TrapError::kNotV2c;
  if (raw.pdu.type != proto::PduType::kSnmpV2Trap &&
      raw.pdu.type != proto::PduType::kInformRequest) {
    return TrapError::kNotATrap;
  }
  const auto& varbinds = raw.pdu.varbinds;
  // RFC 3416 4.2.6: sysUpTime.0 first, snmpTrapOID.0 second.
  if (varbinds.size() < 2 || varbinds[0].oid != kSysUpTime || varbinds[1].oid != kSnmpTrapOid ||
      varbinds[1].value.type != proto::ValueType::kObjectId) {
    return TrapError::kNoTrapOid;
  }
  out.inform = raw.pdu.type == proto::PduType::kInformRequest;
  out.community = raw.community;
  out.trap_oid = varbinds[1].value.oid.ToString();
  for (std::size_t i = 2; i < varbinds.size(); ++i) {
    out.varbinds.emplace_back(varbinds[i].oid.ToString(), ValueText(varbinds[i].value));
  }
  return TrapError::kNone;
}

std::vector<std::uint8_t> InformResponse(const proto::Message& inform) {
  proto::Message response = inform;
  response.pdu.type = proto::PduType::kResponse;
  response.pdu.error_status = 0;
  response.pdu.error_index = 0;
  return proto::EncodeMessage(response);
}

}  // namespace mimamori::collector
