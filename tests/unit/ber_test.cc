// The BER codec against bytes captured from Net-SNMP (tests/fixtures/ber,
// made by capture.sh) and against every malformed form we could think of.
#include <gtest/gtest.h>

#include <fstream>
#include <sstream>

#include "mimamori/proto/ber.h"

namespace mimamori::proto {
namespace {

std::vector<std::uint8_t> Fixture(const std::string& name) {
  std::ifstream in(std::string(MIMAMORI_FIXTURES) + "/ber/" + name + ".hex");
  EXPECT_TRUE(in) << "missing fixture " << name;
  std::vector<std::uint8_t> bytes;
  std::string hex;
  while (in >> hex) bytes.push_back(static_cast<std::uint8_t>(std::stoul(hex, nullptr, 16)));
  return bytes;
}

std::vector<std::uint8_t> Bytes(std::initializer_list<int> values) {
  std::vector<std::uint8_t> out;
  for (int v : values) out.push_back(static_cast<std::uint8_t>(v));
  return out;
}

Message Decoded(const std::vector<std::uint8_t>& wire) {
  Message m;
  EXPECT_EQ(DecodeMessage(wire, m), DecodeError::kNone);
  return m;
}

const char* kAllFixtures[] = {
    "get-request",
    "get-response",
    "getnext-request",
    "getnext-response",
    "getbulk-counter64-request",
    "getbulk-counter64-response",
    "exceptions-request",
    "exceptions-response",
    "endofmibview-request",
    "endofmibview-response",
    "opaque-oid-request",
    "opaque-oid-response",
    "getbulk-ipaddress-request",
    "getbulk-ipaddress-response",
    "set-request",
    "set-response",
    "trap-request",
    "v1-get-request",
    "v1-get-response",
    "v1-getnext-request",
    "v1-getnext-response",
    "v1-nosuchname-request",
    "v1-nosuchname-response",
    "v1-set-request",
    "v1-set-response",
};

TEST(BerFixtures, EveryCapturedPacketDecodesAndReencodesToTheSameBytes) {
  for (const char* name : kAllFixtures) {
    SCOPED_TRACE(name);
    auto wire = Fixture(name);
    ASSERT_FALSE(wire.empty());
    Message m = Decoded(wire);
    EXPECT_EQ(EncodeMessage(m), wire);
  }
}

TEST(BerFixtures, GetRequestAndResponse) {
  Message request = Decoded(Fixture("get-request"));
  EXPECT_EQ(request.version, Version::kV2c);
  EXPECT_EQ(request.community, "MieKiban");
  EXPECT_EQ(request.pdu.type, PduType::kGetRequest);
  ASSERT_EQ(request.pdu.varbinds.size(), 2u);
  EXPECT_EQ(request.pdu.varbinds[0].oid, Oid({1, 3, 6, 1, 2, 1, 1, 3, 0}));
  EXPECT_EQ(request.pdu.varbinds[0].value.type, ValueType::kNull);

  Message response = Decoded(Fixture("get-response"));
  EXPECT_EQ(response.pdu.type, PduType::kResponse);
  EXPECT_EQ(response.pdu.request_id, request.pdu.request_id);
  ASSERT_EQ(response.pdu.varbinds.size(), 2u);
  EXPECT_EQ(response.pdu.varbinds[0].value.type, ValueType::kTimeTicks);
  EXPECT_EQ(response.pdu.varbinds[1].value.type, ValueType::kOctetString);
  EXPECT_FALSE(response.pdu.varbinds[1].value.bytes.empty());
}

TEST(BerFixtures, GetBulkFieldsAndCounter64) {
  Message request = Decoded(Fixture("getbulk-counter64-request"));
  EXPECT_EQ(request.pdu.type, PduType::kGetBulkRequest);
  EXPECT_EQ(request.pdu.non_repeaters(), 1);
  EXPECT_EQ(request.pdu.max_repetitions(), 3);
  Message response = Decoded(Fixture("getbulk-counter64-response"));
  ASSERT_EQ(response.pdu.varbinds.size(), 4u);
  EXPECT_EQ(response.pdu.varbinds[1].value.type, ValueType::kCounter64);
}

TEST(BerFixtures, ExceptionsAndEndOfMibView) {
  Message response = Decoded(Fixture("exceptions-response"));
  ASSERT_EQ(response.pdu.varbinds.size(), 2u);
  EXPECT_EQ(response.pdu.varbinds[0].value.type, ValueType::kNoSuchObject);
  EXPECT_EQ(response.pdu.varbinds[1].value.type, ValueType::kNoSuchInstance);
  Message end = Decoded(Fixture("endofmibview-response"));
  ASSERT_EQ(end.pdu.varbinds.size(), 1u);
  EXPECT_EQ(end.pdu.varbinds[0].value.type, ValueType::kEndOfMibView);
}

TEST(BerFixtures, OpaqueObjectIdIpAddressSetAndTrap) {
  Message opaque = Decoded(Fixture("opaque-oid-response"));
  ASSERT_EQ(opaque.pdu.varbinds.size(), 2u);
  EXPECT_EQ(opaque.pdu.varbinds[0].value.type, ValueType::kOpaque);
  // Net-SNMP's opaque float: 9f 78 04 <IEEE 754 single, big-endian>.
  ASSERT_EQ(opaque.pdu.varbinds[0].value.bytes.size(), 7u);
  EXPECT_EQ(static_cast<std::uint8_t>(opaque.pdu.varbinds[0].value.bytes[0]), 0x9f);
  EXPECT_EQ(opaque.pdu.varbinds[1].value.type, ValueType::kObjectId);

  Message ip = Decoded(Fixture("getbulk-ipaddress-response"));
  ASSERT_FALSE(ip.pdu.varbinds.empty());
  EXPECT_EQ(ip.pdu.varbinds[0].value.type, ValueType::kIpAddress);
  EXPECT_EQ(ip.pdu.varbinds[0].value.bytes.size(), 4u);

  Message set = Decoded(Fixture("set-response"));
  EXPECT_EQ(set.pdu.error_status, static_cast<int>(ErrorStatus::kNoAccess));
  EXPECT_EQ(set.pdu.error_index, 1);

  Message trap = Decoded(Fixture("trap-request"));
  EXPECT_EQ(trap.pdu.type, PduType::kSnmpV2Trap);
  ASSERT_GE(trap.pdu.varbinds.size(), 2u);
  EXPECT_EQ(trap.pdu.varbinds[1].value.oid, Oid({1, 3, 6, 1, 6, 3, 1, 1, 5, 3}));
}

TEST(BerFixtures, EveryTruncationOfEveryPacketIsRejected) {
  for (const char* name : kAllFixtures) {
    auto wire = Fixture(name);
    for (std::size_t n = 0; n < wire.size(); ++n) {
      Message m;
      EXPECT_NE(DecodeMessage(std::span(wire.data(), n), m), DecodeError::kNone)
          << name << " cut at " << n;
    }
  }
}

TEST(BerFixtures, EverySingleByteCorruptionIsHandled) {
  // Not a correctness check of the result (many corruptions are valid BER):
  // the decoder must return, and whatever it accepts must re-encode.
  for (const char* name : kAllFixtures) {
    auto wire = Fixture(name);
    for (std::size_t i = 0; i < wire.size(); ++i) {
      for (int flip : {0x01, 0x80, 0xFF}) {
        auto bad = wire;
        bad[i] = static_cast<std::uint8_t>(bad[i] ^ flip);
        Message m;
        if (DecodeMessage(bad, m) == DecodeError::kNone) EncodeMessage(m);
      }
    }
  }
}

Message Sample() {
  Message m;
  m.community = "MieKiban";
  m.pdu.type = PduType::kResponse;
  m.pdu.request_id = -123456789;
  m.pdu.varbinds = {
      {Oid({1, 3, 6, 1, 2, 1, 1, 1, 0}), Value::OctetString(std::string(300, 'x'))},
      {Oid({1, 3, 6, 1, 2, 1, 1, 2, 0}), Value::ObjectId(Oid({1, 3, 6, 1, 4, 1, 8072, 3, 2, 10}))},
      {Oid({1, 3, 6, 1, 2, 1, 1, 3, 0}), Value::TimeTicks(0xFFFFFFFFu)},
      {Oid({1, 3, 6}), Value::Integer(-1)},
      {Oid({1, 3, 6}), Value::Integer(INT32_MIN)},
      {Oid({1, 3, 6}), Value::Integer(INT32_MAX)},
      {Oid({1, 3, 6}), Value::Integer(0)},
      {Oid({1, 3, 6}), Value::Integer(128)},
      {Oid({1, 3, 6}), Value::Counter32(0x80000000u)},
      {Oid({1, 3, 6}), Value::Gauge32(0)},
      {Oid({1, 3, 6}), Value::Counter64(UINT64_MAX)},
      {Oid({1, 3, 6}), Value::Counter64(0x7FFFFFFFFFFFFFFFull)},
      {Oid({1, 3, 6}), Value::Counter64(0x80)},
      {Oid({1, 3, 6}), Value::IpAddress(std::string("\x7f\x00\x00\x01", 4))},
      {Oid({1, 3, 6}), Value::Opaque(std::string("\x9f\x78\x04\x3f\x80\x00\x00", 7))},
      {Oid({1, 3, 6}), Value::Null()},
      {Oid({1, 3, 6}), Value::NoSuchObject()},
      {Oid({1, 3, 6}), Value::NoSuchInstance()},
      {Oid({1, 3, 6}), Value::EndOfMibView()},
      {Oid({2, 999, 4294967295u}), Value::ObjectId(Oid({0, 0}))},
  };
  return m;
}

TEST(BerRoundTrip, EveryTypeAndBoundaryValue) {
  Message m = Sample();
  auto wire = EncodeMessage(m);
  Message back;
  ASSERT_EQ(DecodeMessage(wire, back), DecodeError::kNone);
  EXPECT_EQ(back, m);
}

TEST(BerRoundTrip, SizesAgreeWithTheEncoding) {
  Message m = Sample();
  std::size_t list = 0;
  for (const auto& vb : m.pdu.varbinds) list += EncodedSize(vb);
  EXPECT_EQ(EncodedSizeWithVarbinds(m, list), EncodeMessage(m).size());
  m.pdu.varbinds.clear();
  EXPECT_EQ(EncodedSizeWithVarbinds(m, 0), EncodeMessage(m).size());
}

TEST(BerRoundTrip, MinimalEncodings) {
  Message m;
  m.community = "c";
  m.pdu.varbinds = {{Oid({1, 3}), Value::Integer(128)}, {Oid({1, 3}), Value::Counter32(255)}};
  auto wire = EncodeMessage(m);
  // INTEGER 128 needs two octets (00 80); Counter32 255 too (00 ff).
  const auto expected =
      Bytes({0x30, 0x25, 0x02, 0x01, 0x01, 0x04, 0x01, 'c',  0xa0, 0x1d, 0x02, 0x01, 0x00,
             0x02, 0x01, 0x00, 0x02, 0x01, 0x00, 0x30, 0x12, 0x30, 0x07, 0x06, 0x01, 0x2b,
             0x02, 0x02, 0x00, 0x80, 0x30, 0x07, 0x06, 0x01, 0x2b, 0x41, 0x02, 0x00, 0xff});
  EXPECT_EQ(wire, expected);
}

struct MalformedCase {
  const char* what;
  std::vector<std::uint8_t> wire;
  DecodeError expected;
};

// Builds a message around one varbind whose value TLV is `value`.
std::vector<std::uint8_t> WithValue(std::vector<std::uint8_t> value,
                                    std::vector<std::uint8_t> oid = {0x06, 0x02, 0x2b, 0x06}) {
  std::vector<std::uint8_t> vb = {0x30, static_cast<std::uint8_t>(oid.size() + value.size())};
  vb.insert(vb.end(), oid.begin(), oid.end());
  vb.insert(vb.end(), value.begin(), value.end());
  std::vector<std::uint8_t> list = {0x30, static_cast<std::uint8_t>(vb.size())};
  list.insert(list.end(), vb.begin(), vb.end());
  std::vector<std::uint8_t> pdu = {0xa0, static_cast<std::uint8_t>(9 + list.size()),
                                   0x02, 0x01,
                                   0x01, 0x02,
                                   0x01, 0x00,
                                   0x02, 0x01,
                                   0x00};
  pdu.insert(pdu.end(), list.begin(), list.end());
  std::vector<std::uint8_t> msg = {
      0x30, static_cast<std::uint8_t>(6 + pdu.size()), 0x02, 0x01, 0x01, 0x04, 0x01, 'c'};
  msg.insert(msg.end(), pdu.begin(), pdu.end());
  return msg;
}

std::vector<std::uint8_t> WithOid(std::vector<std::uint8_t> oid_tlv) {
  return WithValue({0x05, 0x00}, std::move(oid_tlv));
}

TEST(BerMalformed, EachFormIsRejectedWithItsReason) {
  const std::vector<MalformedCase> cases = {
      {"empty input", {}, DecodeError::kTruncated},
      {"not a sequence", Bytes({0x31, 0x00}), DecodeError::kBadTag},
      {"multi-byte tag", Bytes({0x3f, 0x01, 0x00}), DecodeError::kBadTag},
      {"indefinite length", Bytes({0x30, 0x80, 0x00, 0x00}), DecodeError::kBadLength},
      {"five length octets", Bytes({0x30, 0x85, 0, 0, 0, 0, 1, 0}), DecodeError::kBadLength},
      {"length past the end", Bytes({0x30, 0x10, 0x02, 0x01, 0x01}), DecodeError::kTruncated},
      {"huge long-form length", Bytes({0x30, 0x84, 0xff, 0xff, 0xff, 0xff}),
       DecodeError::kTruncated},
      {"length octets cut", Bytes({0x30, 0x82, 0x01}), DecodeError::kTruncated},
      {"bytes after the message",
       [] {
         auto w = WithValue({0x05, 0x00});
         w.push_back(0);
         return w;
       }(),
       DecodeError::kTrailingBytes},
      {"SNMPv3 message", Bytes({0x30, 0x05, 0x02, 0x01, 0x03, 0x30, 0x00}),
       DecodeError::kUnsupportedVersion},
      {"version 2 (nonexistent)", Bytes({0x30, 0x03, 0x02, 0x01, 0x02}),
       DecodeError::kUnsupportedVersion},
      {"version too long", Bytes({0x30, 0x0b, 0x02, 0x09, 0, 0, 0, 0, 0, 0, 0, 0, 1}),
       DecodeError::kBadInteger},
      {"empty version integer", Bytes({0x30, 0x02, 0x02, 0x00}), DecodeError::kBadInteger},
      {"community not a string", Bytes({0x30, 0x06, 0x02, 0x01, 0x01, 0x02, 0x01, 0x00}),
       DecodeError::kBadTag},
      {"v1 Trap-PDU", Bytes({0x30, 0x08, 0x02, 0x01, 0x00, 0x04, 0x01, 'c', 0xa4, 0x00}),
       DecodeError::kBadTag},
      {"unknown PDU tag", Bytes({0x30, 0x08, 0x02, 0x01, 0x01, 0x04, 0x01, 'c', 0xa9, 0x00}),
       DecodeError::kBadTag},
      {"PDU without fields", Bytes({0x30, 0x08, 0x02, 0x01, 0x01, 0x04, 0x01, 'c', 0xa0, 0x00}),
       DecodeError::kTruncated},
      {"NULL with content", WithValue({0x05, 0x01, 0x00}), DecodeError::kBadValue},
      {"IpAddress of 3 bytes", WithValue({0x40, 0x03, 1, 2, 3}), DecodeError::kBadValue},
      {"INTEGER of 9 bytes", WithValue({0x02, 0x09, 1, 2, 3, 4, 5, 6, 7, 8, 9}),
       DecodeError::kBadInteger},
      {"INTEGER above Integer32", WithValue({0x02, 0x05, 0x01, 0, 0, 0, 0}),
       DecodeError::kBadInteger},
      {"Counter32 above 2^32-1", WithValue({0x41, 0x05, 0x01, 0, 0, 0, 0}),
       DecodeError::kBadInteger},
      {"Counter64 of 10 bytes", WithValue({0x46, 0x0a, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9}),
       DecodeError::kBadInteger},
      {"empty Gauge32", WithValue({0x42, 0x00}), DecodeError::kBadInteger},
      {"unknown value tag", WithValue({0x47, 0x00}), DecodeError::kBadTag},
      {"nested sequence as value", WithValue({0x30, 0x02, 0x05, 0x00}), DecodeError::kBadTag},
      {"exception with content", WithValue({0x80, 0x01, 0x00}), DecodeError::kBadValue},
      {"empty OID", WithOid({0x06, 0x00}), DecodeError::kBadOid},
      {"OID sub-identifier with 0x80 padding", WithOid({0x06, 0x03, 0x2b, 0x80, 0x01}),
       DecodeError::kBadOid},
      {"OID sub-identifier over 2^32-1", WithOid({0x06, 0x06, 0x2b, 0x90, 0x80, 0x80, 0x80, 0x00}),
       DecodeError::kBadOid},
      {"OID last octet has the continuation bit", WithOid({0x06, 0x02, 0x2b, 0x86}),
       DecodeError::kBadOid},
      {"varbind name not an OID", WithOid({0x04, 0x01, 0x2b}), DecodeError::kBadTag},
      {"varbind with a third element", WithValue({0x05, 0x00, 0x05, 0x00}),
       DecodeError::kTrailingBytes},
  };
  for (const auto& c : cases) {
    Message m;
    EXPECT_EQ(DecodeMessage(c.wire, m), c.expected)
        << c.what << " gave " << DecodeErrorText(DecodeMessage(c.wire, m));
  }
}

TEST(BerMalformed, OidArcLimit) {
  // 1.3 followed by 126 arcs = 128 arcs: accepted; one more: rejected.
  for (std::size_t extra : {126u, 127u}) {
    Message m;
    m.community = "c";
    std::vector<std::uint32_t> arcs = {1, 3};
    arcs.insert(arcs.end(), extra, 1);
    m.pdu.varbinds = {{Oid(arcs), Value::Null()}};
    auto wire = EncodeMessage(m);
    Message back;
    EXPECT_EQ(DecodeMessage(wire, back), extra == 126 ? DecodeError::kNone : DecodeError::kBadOid);
  }
}

TEST(BerMalformed, NegativeCounterWrapsAsNetSnmpDoes) {
  Message m;
  ASSERT_EQ(DecodeMessage(WithValue({0x41, 0x01, 0xff}), m), DecodeError::kNone);
  EXPECT_EQ(m.pdu.varbinds[0].value.number, 0xFFFFFFFFu);
}

TEST(OidText, ParseAndPrint) {
  EXPECT_EQ(Oid::Parse(".1.3.6.1")->ToString(), ".1.3.6.1");
  EXPECT_EQ(Oid::Parse("1.3.6.1.4294967295")->ToString(), ".1.3.6.1.4294967295");
  EXPECT_FALSE(Oid::Parse("1.3.6.1.4294967296"));
  EXPECT_FALSE(Oid::Parse("1..3"));
  EXPECT_FALSE(Oid::Parse("1.3."));
  EXPECT_FALSE(Oid::Parse(""));
  EXPECT_FALSE(Oid::Parse("1.3.x"));
  EXPECT_TRUE(Oid({1, 3, 6, 1}).StartsWith(Oid({1, 3})));
  EXPECT_FALSE(Oid({1, 3}).StartsWith(Oid({1, 3, 6})));
  EXPECT_LT(Oid({1, 3, 6}), Oid({1, 3, 6, 0}));
  EXPECT_LT(Oid({1, 3, 6, 9}), Oid({1, 3, 7}));
}

}  // namespace
}  // namespace mimamori::proto
