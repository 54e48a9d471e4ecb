#include "mimamori/proto/value.h"

#include <cstdio>

namespace mimamori::proto {

std::string_view TypeName(ValueType type) {
  switch (type) {
    case ValueType::kInteger:
      return "INTEGER";
    case ValueType::kOctetString:
      return "STRING";
    case ValueType::kNull:
      return "NULL";
    case ValueType::kObjectId:
      return "OID";
    case ValueType::kIpAddress:
      return "IpAddress";
    case ValueType::kCounter32:
      return "Counter32";
    case ValueType::kGauge32:
      return "Gauge32";
    case ValueType::kTimeTicks:
      return "Timeticks";
    case ValueType::kOpaque:
      return "Opaque";
    case ValueType::kCounter64:
      return "Counter64";
    case ValueType::kNoSuchObject:
      return "noSuchObject";
    case ValueType::kNoSuchInstance:
      return "noSuchInstance";
    case ValueType::kEndOfMibView:
      return "endOfMibView";
  }
  return "?";
}

std::string Value::ToString() const {
  std::string out(TypeName(type));
  switch (type) {
    case ValueType::kInteger:
      out += ": " + std::to_string(AsInteger());
      break;
    case ValueType::kCounter32:
    case ValueType::kGauge32:
    case ValueType::kTimeTicks:
    case ValueType::kCounter64:
      out += ": " + std::to_string(number);
      break;
    case ValueType::kOctetString:
    case ValueType::kOpaque: {
      out += ": \"";
      for (unsigned char c : bytes) {
        if (c >= 0x20 && c < 0x7f && c != '"' && c != '\\') {
          out.push_back(static_cast<char>(c));
        } else {
          char hex[8];
          std::snprintf(hex, sizeof hex, "\\x%02x", c);
          out += hex;
        }
      }
      out += '"';
      break;
    }
    case ValueType::kIpAddress:
      out += ": ";
      for (std::size_t i = 0; i < bytes.size(); ++i) {
        if (i) out += '.';
        out += std::to_string(static_cast<unsigned char>(bytes[i]));
      }
      break;
    case ValueType::kObjectId:
      out += ": " + oid.ToString();
      break;
    default:
      break;
  }
  return out;
}

}  // namespace mimamori::proto
