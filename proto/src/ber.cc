// BER per X.690 as SNMP uses it (RFC 3417 section 8): definite lengths only,
// single-byte tags, minimal encodings on output, strict bounds on input.
#include "mimamori/proto/ber.h"

#include <cstring>

namespace mimamori::proto {
namespace {

constexpr std::uint8_t kSequence = 0x30;
constexpr std::uint8_t kIntegerTag = 0x02;
constexpr std::uint8_t kOctetStringTag = 0x04;

// ---------------------------------------------------------------- decoding

class Reader {
 public:
  explicit Reader(std::span<const std::uint8_t> bytes) : bytes_(bytes) {}

  bool AtEnd() const { return position_ == bytes_.size(); }

  // Reads one tag-length header and hands back the content as a sub-span.
  DecodeError ReadTlv(std::uint8_t& tag, std::span<const std::uint8_t>& content) {
    if (position_ >= bytes_.size()) return DecodeError::kTruncated;
    tag = bytes_[position_++];
    // Multi-byte tags (low five bits all set) never occur in SNMP framing.
    if ((tag & 0x1F) == 0x1F) return DecodeError::kBadTag;
    if (position_ >= bytes_.size()) return DecodeError::kTruncated;
    std::size_t length = bytes_[position_++];
    if (length & 0x80) {
      std::size_t octets = length & 0x7F;
      if (octets == 0) return DecodeError::kBadLength;  // indefinite form
      if (octets > 4) return DecodeError::kBadLength;   // no SNMP message is 4 GiB
      if (bytes_.size() - position_ < octets) return DecodeError::kTruncated;
      length = 0;
      for (std::size_t i = 0; i < octets; ++i) length = (length << 8) | bytes_[position_++];
    }
    if (length > bytes_.size() - position_) return DecodeError::kTruncated;
    content = bytes_.subspan(position_, length);
    position_ += length;
    return DecodeError::kNone;
  }

  DecodeError Expect(std::uint8_t want, std::span<const std::uint8_t>& content) {
    std::uint8_t tag = 0;
    if (auto e = ReadTlv(tag, content); e != DecodeError::kNone) return e;
    return tag == want ? DecodeError::kNone : DecodeError::kBadTag;
  }

 private:
  std::span<const std::uint8_t> bytes_;
  std::size_t position_ = 0;
};

DecodeError DecodeSigned(std::span<const std::uint8_t> content, std::int64_t& out) {
  if (content.empty() || content.size() > 8) return DecodeError::kBadInteger;
  std::uint64_t value = (content[0] & 0x80) ? ~std::uint64_t{0} : 0;
  for (std::uint8_t b : content) value = (value << 8) | b;
  out = static_cast<std::int64_t>(value);
  return DecodeError::kNone;
}

DecodeError DecodeInteger32(std::span<const std::uint8_t> content, std::int32_t& out) {
  std::int64_t wide = 0;
  if (auto e = DecodeSigned(content, wide); e != DecodeError::kNone) return e;
  if (wide < INT32_MIN || wide > INT32_MAX) return DecodeError::kBadInteger;
  out = static_cast<std::int32_t>(wide);
  return DecodeError::kNone;
}

// Unsigned types of `bits` width. A leading 0x00 octet is allowed (it is
// needed when the top bit is set). A negative encoding is taken modulo 2^bits,
// as Net-SNMP does, because some agents send counters that way.
DecodeError DecodeUnsigned(std::span<const std::uint8_t> content, unsigned bits,
                           std::uint64_t& out) {
  const std::size_t max_octets = bits / 8 + 1;
  if (content.empty() || content.size() > max_octets) return DecodeError::kBadInteger;
  if (content.size() == max_octets && content[0] != 0) return DecodeError::kBadInteger;
  std::uint64_t value = (content[0] & 0x80) ? ~std::uint64_t{0} : 0;
  for (std::uint8_t b : content) value = (value << 8) | b;
  if (bits < 64) value &= (std::uint64_t{1} << bits) - 1;
  out = value;
  return DecodeError::kNone;
}

DecodeError DecodeOid(std::span<const std::uint8_t> content, Oid& out) {
  if (content.empty()) return DecodeError::kBadOid;
  Oid arcs;
  std::size_t i = 0;
  bool first = true;
  while (i < content.size()) {
    // X.690 8.19.2: a sub-identifier never starts with the padding octet 0x80.
    if (content[i] == 0x80) return DecodeError::kBadOid;
    std::uint64_t value = 0;
    while (true) {
      if (i >= content.size()) return DecodeError::kBadOid;  // last octet had bit 8 set
      std::uint8_t b = content[i++];
      value = (value << 7) | (b & 0x7F);
      // The first sub-identifier packs two arcs (up to 2*40 + 2^32-1).
      const std::uint64_t limit = first ? (80ull + 0xFFFFFFFFull) : 0xFFFFFFFFull;
      if (value > limit) return DecodeError::kBadOid;
      if (!(b & 0x80)) break;
    }
    if (first) {
      std::uint32_t top = value < 40 ? 0 : value < 80 ? 1 : 2;
      arcs.Append(top);
      std::uint64_t second = value - 40ull * top;
      if (second > 0xFFFFFFFFull) return DecodeError::kBadOid;
      arcs.Append(static_cast<std::uint32_t>(second));
      first = false;
    } else {
      arcs.Append(static_cast<std::uint32_t>(value));
    }
    if (arcs.size() > Oid::kMaxLength) return DecodeError::kBadOid;
  }
  out = std::move(arcs);
  return DecodeError::kNone;
}

DecodeError DecodeValue(std::uint8_t tag, std::span<const std::uint8_t> content, Value& out) {
  out = Value{};
  switch (static_cast<ValueType>(tag)) {
    case ValueType::kInteger: {
      std::int32_t v = 0;
      if (auto e = DecodeInteger32(content, v); e != DecodeError::kNone) return e;
      out = Value::Integer(v);
      return DecodeError::kNone;
    }
    case ValueType::kOctetString:
    case ValueType::kOpaque:
      out.type = static_cast<ValueType>(tag);
      out.bytes.assign(reinterpret_cast<const char*>(content.data()), content.size());
      return DecodeError::kNone;
    case ValueType::kNull:
    case ValueType::kNoSuchObject:
    case ValueType::kNoSuchInstance:
    case ValueType::kEndOfMibView:
      if (!content.empty()) return DecodeError::kBadValue;
      out.type = static_cast<ValueType>(tag);
      return DecodeError::kNone;
    case ValueType::kObjectId:
      out.type = ValueType::kObjectId;
      return DecodeOid(content, out.oid);
    case ValueType::kIpAddress:
      if (content.size() != 4) return DecodeError::kBadValue;
      out.type = ValueType::kIpAddress;
      out.bytes.assign(reinterpret_cast<const char*>(content.data()), 4);
      return DecodeError::kNone;
    case ValueType::kCounter32:
    case ValueType::kGauge32:
    case ValueType::kTimeTicks:
      out.type = static_cast<ValueType>(tag);
      return DecodeUnsigned(content, 32, out.number);
    case ValueType::kCounter64:
      out.type = ValueType::kCounter64;
      return DecodeUnsigned(content, 64, out.number);
  }
  return DecodeError::kBadTag;
}

bool IsPduTag(std::uint8_t tag) {
  // 0xA4 is the SNMPv1 Trap-PDU, whose body is not a request/response body.
  return tag >= 0xA0 && tag <= 0xA8 && tag != 0xA4;
}

DecodeError DecodePdu(std::uint8_t tag, std::span<const std::uint8_t> body, Pdu& pdu) {
  pdu.type = static_cast<PduType>(tag);
  Reader reader(body);
  std::span<const std::uint8_t> field;
  if (auto e = reader.Expect(kIntegerTag, field); e != DecodeError::kNone) return e;
  if (auto e = DecodeInteger32(field, pdu.request_id); e != DecodeError::kNone) return e;
  if (auto e = reader.Expect(kIntegerTag, field); e != DecodeError::kNone) return e;
  if (auto e = DecodeInteger32(field, pdu.error_status); e != DecodeError::kNone) return e;
  if (auto e = reader.Expect(kIntegerTag, field); e != DecodeError::kNone) return e;
  if (auto e = DecodeInteger32(field, pdu.error_index); e != DecodeError::kNone) return e;
  std::span<const std::uint8_t> list;
  if (auto e = reader.Expect(kSequence, list); e != DecodeError::kNone) return e;
  if (!reader.AtEnd()) return DecodeError::kTrailingBytes;

  Reader varbinds(list);
  while (!varbinds.AtEnd()) {
    std::span<const std::uint8_t> pair;
    if (auto e = varbinds.Expect(kSequence, pair); e != DecodeError::kNone) return e;
    Reader fields(pair);
    VarBind vb;
    std::span<const std::uint8_t> name;
    if (auto e = fields.Expect(static_cast<std::uint8_t>(ValueType::kObjectId), name);
        e != DecodeError::kNone) {
      return e;
    }
    if (auto e = DecodeOid(name, vb.oid); e != DecodeError::kNone) return e;
    std::uint8_t value_tag = 0;
    std::span<const std::uint8_t> value;
    if (auto e = fields.ReadTlv(value_tag, value); e != DecodeError::kNone) return e;
    if (auto e = DecodeValue(value_tag, value, vb.value); e != DecodeError::kNone) return e;
    if (!fields.AtEnd()) return DecodeError::kTrailingBytes;
    pdu.varbinds.push_back(std::move(vb));
  }
  return DecodeError::kNone;
}

// ---------------------------------------------------------------- encoding

std::size_t LengthOctets(std::size_t length) {
  if (length < 0x80) return 1;
  std::size_t octets = 1;
  while (length) {
    ++octets;
    length >>= 8;
  }
  return octets;
}

std::size_t TlvSize(std::size_t content) { return 1 + LengthOctets(content) + content; }

std::size_t SignedOctets(std::int64_t v) {
  std::size_t n = 1;
  while (n < 8) {
    std::int64_t min = -(std::int64_t{1} << (8 * n - 1));
    std::int64_t max = (std::int64_t{1} << (8 * n - 1)) - 1;
    if (v >= min && v <= max) break;
    ++n;
  }
  return n;
}

std::size_t UnsignedOctets(std::uint64_t v) {
  // Minimal octets of the magnitude, plus a leading zero when its top bit is
  // set (it would otherwise read back as negative).
  std::size_t n = 1;
  for (std::uint64_t t = v; t > 0xFF; t >>= 8) ++n;
  if ((v >> (8 * (n - 1))) & 0x80) ++n;
  return n;
}

std::size_t Base128Octets(std::uint64_t v) {
  std::size_t n = 1;
  while (v >= 0x80) {
    v >>= 7;
    ++n;
  }
  return n;
}

std::uint64_t FirstSubidentifier(const Oid& oid) {
  if (oid.size() == 0) return 0;
  std::uint64_t first = oid[0];
  return first * 40 + (oid.size() > 1 ? oid[1] : 0);
}

std::size_t OidContentSize(const Oid& oid) {
  std::size_t size = Base128Octets(FirstSubidentifier(oid));
  for (std::size_t i = 2; i < oid.size(); ++i) size += Base128Octets(oid[i]);
  return size;
}

std::size_t ValueContentSize(const Value& value) {
  switch (value.type) {
    case ValueType::kInteger:
      return SignedOctets(value.AsInteger());
    case ValueType::kOctetString:
    case ValueType::kOpaque:
    case ValueType::kIpAddress:
      return value.bytes.size();
    case ValueType::kObjectId:
      return OidContentSize(value.oid);
    case ValueType::kCounter32:
    case ValueType::kGauge32:
    case ValueType::kTimeTicks:
      return UnsignedOctets(value.number & 0xFFFFFFFFull);
    case ValueType::kCounter64:
      return UnsignedOctets(value.number);
    case ValueType::kNull:
    case ValueType::kNoSuchObject:
    case ValueType::kNoSuchInstance:
    case ValueType::kEndOfMibView:
      return 0;
  }
  return 0;
}

std::size_t VarBindContentSize(const VarBind& vb) {
  return TlvSize(OidContentSize(vb.oid)) + TlvSize(ValueContentSize(vb.value));
}

class Writer {
 public:
  explicit Writer(std::vector<std::uint8_t>& out) : out_(out) {}

  void Header(std::uint8_t tag, std::size_t length) {
    out_.push_back(tag);
    if (length < 0x80) {
      out_.push_back(static_cast<std::uint8_t>(length));
      return;
    }
    std::size_t octets = LengthOctets(length) - 1;
    out_.push_back(static_cast<std::uint8_t>(0x80 | octets));
    for (std::size_t i = octets; i-- > 0;) {
      out_.push_back(static_cast<std::uint8_t>(length >> (8 * i)));
    }
  }

  void Signed(std::uint8_t tag, std::int64_t v) {
    std::size_t n = SignedOctets(v);
    Header(tag, n);
    for (std::size_t i = n; i-- > 0;) out_.push_back(static_cast<std::uint8_t>(v >> (8 * i)));
  }

  void Unsigned(std::uint8_t tag, std::uint64_t v) {
    std::size_t n = UnsignedOctets(v);
    Header(tag, n);
    for (std::size_t i = n; i-- > 0;) {
      out_.push_back(i >= 8 ? std::uint8_t{0} : static_cast<std::uint8_t>(v >> (8 * i)));
    }
  }

  void ObjectId(const Oid& oid) { ObjectId(oid, OidContentSize(oid)); }

  // `content` is OidContentSize(oid), passed in when the caller has it. The
  // sub-identifiers are written into a pre-sized tail: OIDs are most of an
  // SNMP response's bytes.
  void ObjectId(const Oid& oid, std::size_t content) {
    Header(static_cast<std::uint8_t>(ValueType::kObjectId), content);
    const std::size_t start = out_.size();
    out_.resize(start + content);
    std::uint8_t* p = out_.data() + start;
    auto put = [&p](std::uint64_t v) {
      for (std::size_t i = Base128Octets(v); i-- > 0;) {
        const auto b = static_cast<std::uint8_t>((v >> (7 * i)) & 0x7F);
        *p++ = i ? static_cast<std::uint8_t>(b | 0x80) : b;
      }
    };
    put(FirstSubidentifier(oid));
    for (std::size_t i = 2; i < oid.size(); ++i) put(oid[i]);
  }

  void Bytes(std::uint8_t tag, std::string_view bytes) {
    Header(tag, bytes.size());
    out_.insert(out_.end(), bytes.begin(), bytes.end());
  }

  void WriteValue(const Value& value) {
    const auto tag = static_cast<std::uint8_t>(value.type);
    switch (value.type) {
      case ValueType::kInteger:
        Signed(tag, value.AsInteger());
        return;
      case ValueType::kOctetString:
      case ValueType::kOpaque:
      case ValueType::kIpAddress:
        Bytes(tag, value.bytes);
        return;
      case ValueType::kObjectId:
        ObjectId(value.oid);
        return;
      case ValueType::kCounter32:
      case ValueType::kGauge32:
      case ValueType::kTimeTicks:
        Unsigned(tag, value.number & 0xFFFFFFFFull);
        return;
      case ValueType::kCounter64:
        Unsigned(tag, value.number);
        return;
      case ValueType::kNull:
      case ValueType::kNoSuchObject:
      case ValueType::kNoSuchInstance:
      case ValueType::kEndOfMibView:
        Header(tag, 0);
        return;
    }
  }

 private:
  std::vector<std::uint8_t>& out_;
};

struct Sizes {
  std::size_t varbind_list;  // content of the VarBindList sequence
  std::size_t pdu;           // content of the PDU
  std::size_t message;       // content of the outer sequence
};

Sizes ComputeSizes(const Message& message, std::size_t varbinds_content) {
  Sizes s{};
  s.varbind_list = varbinds_content;
  s.pdu = TlvSize(SignedOctets(message.pdu.request_id)) +
          TlvSize(SignedOctets(message.pdu.error_status)) +
          TlvSize(SignedOctets(message.pdu.error_index)) + TlvSize(s.varbind_list);
  s.message = TlvSize(SignedOctets(static_cast<std::int32_t>(message.version))) +
              TlvSize(message.community.size()) + TlvSize(s.pdu);
  return s;
}

}  // namespace

std::string_view DecodeErrorText(DecodeError error) {
  switch (error) {
    case DecodeError::kNone:
      return "ok";
    case DecodeError::kTruncated:
      return "truncated";
    case DecodeError::kBadLength:
      return "bad length";
    case DecodeError::kBadTag:
      return "unexpected tag";
    case DecodeError::kBadInteger:
      return "bad integer";
    case DecodeError::kBadOid:
      return "bad object identifier";
    case DecodeError::kBadValue:
      return "bad value";
    case DecodeError::kTrailingBytes:
      return "trailing bytes";
    case DecodeError::kUnsupportedVersion:
      return "unsupported version";
  }
  return "?";
}

DecodeError DecodeMessage(std::span<const std::uint8_t> wire, Message& out) {
  out = Message{};
  Reader outer(wire);
  std::span<const std::uint8_t> body;
  if (auto e = outer.Expect(kSequence, body); e != DecodeError::kNone) return e;
  if (!outer.AtEnd()) return DecodeError::kTrailingBytes;

  Reader reader(body);
  std::span<const std::uint8_t> field;
  if (auto e = reader.Expect(kIntegerTag, field); e != DecodeError::kNone) return e;
  std::int32_t version = 0;
  if (auto e = DecodeInteger32(field, version); e != DecodeError::kNone) return e;
  out.version = static_cast<Version>(version);
  if (version != 0 && version != 1) return DecodeError::kUnsupportedVersion;

  if (auto e = reader.Expect(kOctetStringTag, field); e != DecodeError::kNone) return e;
  out.community.assign(reinterpret_cast<const char*>(field.data()), field.size());

  std::uint8_t tag = 0;
  std::span<const std::uint8_t> pdu;
  if (auto e = reader.ReadTlv(tag, pdu); e != DecodeError::kNone) return e;
  if (!IsPduTag(tag)) return DecodeError::kBadTag;
  if (!reader.AtEnd()) return DecodeError::kTrailingBytes;
  return DecodePdu(tag, pdu, out.pdu);
}

std::size_t EncodedSize(const VarBind& varbind) { return TlvSize(VarBindContentSize(varbind)); }

std::size_t EncodedSizeWithVarbinds(const Message& message, std::size_t varbinds_size) {
  return TlvSize(ComputeSizes(message, varbinds_size).message);
}

void EncodeMessage(const Message& message, std::vector<std::uint8_t>& out) {
  // Each binding's sizes once: they are needed for the list length, the
  // binding's header and the OID's header.
  struct BindingSizes {
    std::size_t oid;
    std::size_t content;
  };
  thread_local std::vector<BindingSizes> sizes_of;
  sizes_of.clear();
  std::size_t list = 0;
  for (const VarBind& vb : message.pdu.varbinds) {
    const std::size_t oid = OidContentSize(vb.oid);
    const std::size_t content = TlvSize(oid) + TlvSize(ValueContentSize(vb.value));
    sizes_of.push_back({oid, content});
    list += TlvSize(content);
  }
  const Sizes sizes = ComputeSizes(message, list);
  out.reserve(out.size() + TlvSize(sizes.message));

  Writer w(out);
  w.Header(kSequence, sizes.message);
  w.Signed(kIntegerTag, static_cast<std::int32_t>(message.version));
  w.Bytes(kOctetStringTag, message.community);
  w.Header(static_cast<std::uint8_t>(message.pdu.type), sizes.pdu);
  w.Signed(kIntegerTag, message.pdu.request_id);
  w.Signed(kIntegerTag, message.pdu.error_status);
  w.Signed(kIntegerTag, message.pdu.error_index);
  w.Header(kSequence, sizes.varbind_list);
  for (std::size_t i = 0; i < message.pdu.varbinds.size(); ++i) {
    const VarBind& vb = message.pdu.varbinds[i];
    w.Header(kSequence, sizes_of[i].content);
    w.ObjectId(vb.oid, sizes_of[i].oid);
    w.WriteValue(vb.value);
  }
}

std::vector<std::uint8_t> EncodeMessage(const Message& message) {
  std::vector<std::uint8_t> out;
  EncodeMessage(message, out);
  return out;
}

}  // namespace mimamori::proto
