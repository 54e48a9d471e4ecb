// The agent's OS-neutral core: MIB routing, RFC 3416 request processing,
// counters, and the manager ACL. Providers here are tiny tables written in
// the test, so every expectation is visible on the page.
#include <gtest/gtest.h>

#include "agent/core/mib_view.h"
#include "agent/core/network_acl.h"
#include "agent/core/request_handler.h"

namespace mimamori::agent {
namespace {

using proto::Message;
using proto::Oid;
using proto::PduType;
using proto::Value;
using proto::ValueType;
using proto::VarBind;

// A provider that serves fixed entries and counts its collections.
class TableProvider : public MibProvider {
 public:
  TableProvider(std::string name, std::vector<Oid> roots, std::vector<VarBind> entries)
      : name_(std::move(name)), roots_(std::move(roots)), entries_(std::move(entries)) {}
  std::string_view Name() const override { return name_; }
  std::vector<Oid> Roots() const override { return roots_; }
  void Collect(MibWriter& out) override {
    ++collections;
    for (const auto& e : entries_) {
      // Treat everything but the last arc as the object (column or scalar).
      std::vector<std::uint32_t> arcs(e.oid.arcs().begin(), e.oid.arcs().end() - 1);
      out.Cell(Oid(arcs), {e.oid[e.oid.size() - 1]}, e.value);
    }
  }
  int collections = 0;

 private:
  std::string name_;
  std::vector<Oid> roots_;
  std::vector<VarBind> entries_;
};

struct FakeClock {
  std::chrono::steady_clock::time_point now{};
  MibView::Clock AsFunction() {
    return [this] { return now; };
  }
};

std::vector<std::unique_ptr<MibProvider>> TwoProviders(TableProvider** a = nullptr) {
  std::vector<std::unique_ptr<MibProvider>> providers;
  // Deliberately registered out of order and with unsorted entries.
  providers.push_back(std::make_unique<TableProvider>(
      "b", std::vector<Oid>{{1, 3, 6, 1, 2, 1, 25}},
      std::vector<VarBind>{{{1, 3, 6, 1, 2, 1, 25, 1, 2}, Value::Integer(2)},
                           {{1, 3, 6, 1, 2, 1, 25, 1, 1}, Value::Integer(1)}}));
  auto first = std::make_unique<TableProvider>(
      "a", std::vector<Oid>{{1, 3, 6, 1, 2, 1, 1}, {1, 3, 6, 1, 2, 1, 31}},
      std::vector<VarBind>{{{1, 3, 6, 1, 2, 1, 31, 1, 1}, Value::Gauge32(31)},
                           {{1, 3, 6, 1, 2, 1, 1, 5, 0}, Value::OctetString("web01")},
                           {{1, 3, 6, 1, 2, 1, 1, 1, 0}, Value::OctetString("Linux")}});
  if (a) *a = first.get();
  providers.push_back(std::move(first));
  return providers;
}

TEST(MibView, WalkVisitsEveryInstanceInOrderAcrossProviders) {
  FakeClock clock;
  MibView view(TwoProviders(), std::chrono::seconds(5), clock.AsFunction());
  std::vector<Oid> walked;
  Oid cursor{0};
  while (auto next = view.GetNext(cursor)) {
    ASSERT_LT(cursor, next->oid);
    walked.push_back(next->oid);
    cursor = next->oid;
  }
  const std::vector<Oid> expected = {{1, 3, 6, 1, 2, 1, 1, 1, 0},
                                     {1, 3, 6, 1, 2, 1, 1, 5, 0},
                                     {1, 3, 6, 1, 2, 1, 25, 1, 1},
                                     {1, 3, 6, 1, 2, 1, 25, 1, 2},
                                     {1, 3, 6, 1, 2, 1, 31, 1, 1}};
  EXPECT_EQ(walked, expected);
}

TEST(MibView, GetDistinguishesNoSuchObjectFromNoSuchInstance) {
  FakeClock clock;
  MibView view(TwoProviders(), std::chrono::seconds(5), clock.AsFunction());
  EXPECT_EQ(view.Get({1, 3, 6, 1, 2, 1, 1, 5, 0}), Value::OctetString("web01"));
  EXPECT_EQ(view.Get({1, 3, 6, 1, 2, 1, 1, 5, 1}).type, ValueType::kNoSuchInstance);
  EXPECT_EQ(view.Get({1, 3, 6, 1, 2, 1, 1, 99, 0}).type, ValueType::kNoSuchObject);
  EXPECT_EQ(view.Get({1, 3, 6, 1, 2, 1, 1, 5}).type, ValueType::kNoSuchObject);
  EXPECT_EQ(view.Get({1, 3, 6, 1, 2, 1, 2, 1, 0}).type, ValueType::kNoSuchObject);
  EXPECT_EQ(view.Get({0, 0}).type, ValueType::kNoSuchObject);
}

TEST(MibView, GetNextFromInsideAndBetweenSubtrees) {
  FakeClock clock;
  MibView view(TwoProviders(), std::chrono::seconds(5), clock.AsFunction());
  EXPECT_EQ(view.GetNext({1, 3, 6, 1, 2, 1, 1, 5, 0})->oid, Oid({1, 3, 6, 1, 2, 1, 25, 1, 1}));
  EXPECT_EQ(view.GetNext({1, 3, 6, 1, 2, 1, 2})->oid, Oid({1, 3, 6, 1, 2, 1, 25, 1, 1}));
  EXPECT_EQ(view.GetNext({1, 3, 6, 1, 2, 1, 25, 1, 2})->oid, Oid({1, 3, 6, 1, 2, 1, 31, 1, 1}));
  EXPECT_FALSE(view.GetNext({1, 3, 6, 1, 2, 1, 31, 1, 1}));
  EXPECT_FALSE(view.GetNext({2}));
}

TEST(MibView, SnapshotIsCachedForItsLifetime) {
  FakeClock clock;
  TableProvider* a = nullptr;
  MibView view(TwoProviders(&a), std::chrono::seconds(5), clock.AsFunction());
  view.Get({1, 3, 6, 1, 2, 1, 1, 1, 0});
  view.Get({1, 3, 6, 1, 2, 1, 1, 5, 0});
  EXPECT_EQ(a->collections, 1);
  clock.now += std::chrono::milliseconds(4999);
  view.Get({1, 3, 6, 1, 2, 1, 1, 1, 0});
  EXPECT_EQ(a->collections, 1);
  clock.now += std::chrono::milliseconds(1);
  view.Get({1, 3, 6, 1, 2, 1, 1, 1, 0});
  EXPECT_EQ(a->collections, 2);
}

TEST(MibView, VolatileProvidersAreCollectedOncePerRequest) {
  class Counter : public TableProvider {
   public:
    using TableProvider::TableProvider;
    bool Volatile() const override { return true; }
  };
  std::vector<std::unique_ptr<MibProvider>> providers;
  auto owned = std::make_unique<Counter>(
      "uptime", std::vector<Oid>{{1, 3, 6, 1, 2, 1, 1}},
      std::vector<VarBind>{{{1, 3, 6, 1, 2, 1, 1, 3, 0}, Value::TimeTicks(1)}});
  Counter* counter = owned.get();
  providers.push_back(std::move(owned));
  FakeClock clock;
  MibView view(std::move(providers), std::chrono::seconds(5), clock.AsFunction());
  view.BeginRequest();
  view.Get({1, 3, 6, 1, 2, 1, 1, 3, 0});
  view.Get({1, 3, 6, 1, 2, 1, 1, 3, 0});
  view.GetNext({1, 3, 6, 1, 2, 1, 1});
  EXPECT_EQ(counter->collections, 1);
  view.BeginRequest();
  view.Get({1, 3, 6, 1, 2, 1, 1, 3, 0});
  EXPECT_EQ(counter->collections, 2);
}

TEST(MibView, OverlappingRootsAreRejected) {
  std::vector<std::unique_ptr<MibProvider>> providers;
  providers.push_back(
      std::make_unique<TableProvider>("x", std::vector<Oid>{{1, 3, 6}}, std::vector<VarBind>{}));
  providers.push_back(
      std::make_unique<TableProvider>("y", std::vector<Oid>{{1, 3, 6, 1}}, std::vector<VarBind>{}));
  FakeClock clock;
  EXPECT_THROW(MibView(std::move(providers), std::chrono::seconds(1), clock.AsFunction()),
               std::invalid_argument);
}

// ------------------------------------------------------------------ handler

class HandlerTest : public ::testing::Test {
 protected:
  HandlerTest() { Rebuild(RequestHandlerOptions{}); }

  void Rebuild(RequestHandlerOptions options, std::size_t rows = 0) {
    std::vector<std::unique_ptr<MibProvider>> providers = TwoProviders();
    if (rows > 0) {
      std::vector<VarBind> table;
      for (std::uint32_t i = 1; i <= rows; ++i) {
        table.push_back(
            {{1, 3, 6, 1, 2, 1, 25, 4, 2, 1, 5, i}, Value::OctetString(std::string(40, 'p'))});
      }
      providers.erase(providers.begin());
      providers.push_back(std::make_unique<TableProvider>(
          "swrun", std::vector<Oid>{{1, 3, 6, 1, 2, 1, 25}}, table));
    }
    view_ = std::make_unique<MibView>(std::move(providers), std::chrono::seconds(5),
                                      clock_.AsFunction());
    handler_ = std::make_unique<RequestHandler>(*view_, counters_, options);
  }

  std::optional<Message> Ask(const Message& request) {
    auto wire = proto::EncodeMessage(request);
    std::vector<std::uint8_t> out;
    last_reason_ = handler_->Handle(wire, out);
    if (last_reason_ != DropReason::kNone) return std::nullopt;
    Message response;
    EXPECT_EQ(proto::DecodeMessage(out, response), proto::DecodeError::kNone);
    EXPECT_LE(out.size(), handler_->options().max_message_size);
    return response;
  }

  static Message Request(PduType type, std::vector<Oid> oids, std::int32_t a = 0,
                         std::int32_t b = 0) {
    Message m;
    m.community = "MieKiban";
    m.pdu.type = type;
    m.pdu.request_id = 4242;
    m.pdu.error_status = a;
    m.pdu.error_index = b;
    for (auto& oid : oids) m.pdu.varbinds.push_back({oid, Value::Null()});
    return m;
  }

  FakeClock clock_;
  SnmpCounters counters_;
  std::unique_ptr<MibView> view_;
  std::unique_ptr<RequestHandler> handler_;
  DropReason last_reason_ = DropReason::kNone;
};

TEST_F(HandlerTest, GetAnswersValuesAndExceptionsInOrder) {
  auto r = Ask(Request(PduType::kGetRequest,
                       {{1, 3, 6, 1, 2, 1, 1, 5, 0}, {1, 3, 6, 1, 2, 1, 1, 5, 7}, {1, 3, 9}}));
  ASSERT_TRUE(r);
  EXPECT_EQ(r->pdu.type, PduType::kResponse);
  EXPECT_EQ(r->pdu.request_id, 4242);
  EXPECT_EQ(r->pdu.error_status, 0);
  ASSERT_EQ(r->pdu.varbinds.size(), 3u);
  EXPECT_EQ(r->pdu.varbinds[0].value, Value::OctetString("web01"));
  EXPECT_EQ(r->pdu.varbinds[1].value.type, ValueType::kNoSuchInstance);
  EXPECT_EQ(r->pdu.varbinds[2].value.type, ValueType::kNoSuchObject);
  EXPECT_EQ(counters_.in_get_requests, 1u);
  EXPECT_EQ(counters_.in_total_req_vars, 3u);
  EXPECT_EQ(counters_.out_get_responses, 1u);
}

TEST_F(HandlerTest, GetNextPastTheEndIsEndOfMibViewWithTheRequestedOid) {
  auto r = Ask(Request(PduType::kGetNextRequest, {{1, 3, 6, 1, 2, 1, 1, 1, 0}, {1, 3, 6, 1, 9}}));
  ASSERT_TRUE(r);
  EXPECT_EQ(r->pdu.varbinds[0].oid, Oid({1, 3, 6, 1, 2, 1, 1, 5, 0}));
  EXPECT_EQ(r->pdu.varbinds[1].oid, Oid({1, 3, 6, 1, 9}));
  EXPECT_EQ(r->pdu.varbinds[1].value.type, ValueType::kEndOfMibView);
}

TEST_F(HandlerTest, GetBulkHonoursNonRepeatersAndMaxRepetitions) {
  // One non-repeater, two repeaters, three repetitions.
  auto r =
      Ask(Request(PduType::kGetBulkRequest,
                  {{1, 3, 6, 1, 2, 1, 1}, {1, 3, 6, 1, 2, 1, 1}, {1, 3, 6, 1, 2, 1, 25}}, 1, 3));
  ASSERT_TRUE(r);
  std::vector<Oid> got;
  for (const auto& vb : r->pdu.varbinds) got.push_back(vb.oid);
  const std::vector<Oid> expected = {
      {1, 3, 6, 1, 2, 1, 1, 1, 0},                                 // non-repeater
      {1, 3, 6, 1, 2, 1, 1, 1, 0},  {1, 3, 6, 1, 2, 1, 25, 1, 1},  // round 1
      {1, 3, 6, 1, 2, 1, 1, 5, 0},  {1, 3, 6, 1, 2, 1, 25, 1, 2},  // round 2
      {1, 3, 6, 1, 2, 1, 25, 1, 1}, {1, 3, 6, 1, 2, 1, 31, 1, 1},  // round 3
  };
  EXPECT_EQ(got, expected);
}

TEST_F(HandlerTest, GetBulkStopsWhenEveryRepeaterHasEnded) {
  auto r = Ask(Request(PduType::kGetBulkRequest, {{1, 3, 6, 1, 2, 1, 31}}, 0, 50));
  ASSERT_TRUE(r);
  ASSERT_EQ(r->pdu.varbinds.size(), 2u);
  EXPECT_EQ(r->pdu.varbinds[0].oid, Oid({1, 3, 6, 1, 2, 1, 31, 1, 1}));
  EXPECT_EQ(r->pdu.varbinds[1].value.type, ValueType::kEndOfMibView);
}

TEST_F(HandlerTest, GetBulkNegativeFieldsAreTreatedAsZero) {
  auto r = Ask(Request(PduType::kGetBulkRequest, {{1, 3, 6, 1, 2, 1, 1}}, -5, -1));
  ASSERT_TRUE(r);
  EXPECT_TRUE(r->pdu.varbinds.empty());
  EXPECT_EQ(r->pdu.error_status, 0);
}

TEST_F(HandlerTest, GetBulkTruncatesToTheMessageSizeInsteadOfTooBig) {
  RequestHandlerOptions options;
  options.max_message_size = 484;
  Rebuild(options, 200);
  auto r = Ask(Request(PduType::kGetBulkRequest, {{1, 3, 6, 1, 2, 1, 25, 4, 2}}, 0, 100));
  ASSERT_TRUE(r);
  EXPECT_EQ(r->pdu.error_status, 0);
  // Each binding is ~57 octets: several fit, far fewer than 100.
  EXPECT_GT(r->pdu.varbinds.size(), 3u);
  EXPECT_LT(r->pdu.varbinds.size(), 10u);
  // And one more would not have fit.
  auto wire = proto::EncodeMessage(*r);
  EXPECT_GT(wire.size() + proto::EncodedSize(r->pdu.varbinds.back()), 484u);
}

TEST_F(HandlerTest, GetThatDoesNotFitIsTooBigWithNoBindings) {
  RequestHandlerOptions options;
  options.max_message_size = 484;
  Rebuild(options, 200);
  std::vector<Oid> oids;
  for (std::uint32_t i = 1; i <= 20; ++i) oids.push_back({1, 3, 6, 1, 2, 1, 25, 4, 2, 1, 5, i});
  auto r = Ask(Request(PduType::kGetRequest, oids));
  ASSERT_TRUE(r);
  EXPECT_EQ(r->pdu.error_status, static_cast<int>(proto::ErrorStatus::kTooBig));
  EXPECT_EQ(r->pdu.error_index, 0);
  EXPECT_TRUE(r->pdu.varbinds.empty());
  EXPECT_EQ(counters_.out_too_bigs, 1u);
}

TEST_F(HandlerTest, SetIsRefusedWithNoAccessLikeARoCommunity) {
  Message set = Request(PduType::kSetRequest, {{1, 3, 6, 1, 2, 1, 1, 5, 0}});
  set.pdu.varbinds[0].value = Value::OctetString("hijacked");
  auto r = Ask(set);
  ASSERT_TRUE(r);
  EXPECT_EQ(r->pdu.error_status, static_cast<int>(proto::ErrorStatus::kNoAccess));
  EXPECT_EQ(r->pdu.error_index, 1);
  EXPECT_EQ(r->pdu.varbinds, set.pdu.varbinds);
  auto after = Ask(Request(PduType::kGetRequest, {{1, 3, 6, 1, 2, 1, 1, 5, 0}}));
  EXPECT_EQ(after->pdu.varbinds[0].value, Value::OctetString("web01"));
  EXPECT_EQ(counters_.in_set_requests, 1u);
}

TEST_F(HandlerTest, WrongCommunityIsDroppedAndCounted) {
  Message m = Request(PduType::kGetRequest, {{1, 3, 6, 1, 2, 1, 1, 5, 0}});
  m.community = "public";
  EXPECT_FALSE(Ask(m));
  EXPECT_EQ(last_reason_, DropReason::kBadCommunity);
  m.community = "MieKibaN";
  EXPECT_FALSE(Ask(m));
  EXPECT_EQ(counters_.in_bad_community_names, 2u);
  EXPECT_EQ(counters_.in_pkts, 2u);
  EXPECT_EQ(counters_.out_pkts, 0u);
}

TEST_F(HandlerTest, OtherVersionsAreDroppedAndCounted) {
  Message m = Request(PduType::kGetRequest, {{1, 3, 6, 1, 2, 1, 1, 5, 0}});
  m.version = proto::Version::kV1;
  EXPECT_FALSE(Ask(m));
  EXPECT_EQ(last_reason_, DropReason::kBadVersion);
  std::vector<std::uint8_t> v3 = {0x30, 0x05, 0x02, 0x01, 0x03, 0x30, 0x00};
  std::vector<std::uint8_t> out;
  EXPECT_EQ(handler_->Handle(v3, out), DropReason::kBadVersion);
  EXPECT_EQ(counters_.in_bad_versions, 2u);
}

TEST_F(HandlerTest, GarbageIsDroppedAndCounted) {
  std::vector<std::uint8_t> out;
  const std::vector<std::uint8_t> garbage = {0xde, 0xad, 0xbe, 0xef};
  EXPECT_EQ(handler_->Handle(garbage, out), DropReason::kParseError);
  EXPECT_EQ(handler_->Handle({}, out), DropReason::kParseError);
  EXPECT_EQ(counters_.in_asn_parse_errs, 2u);
}

TEST_F(HandlerTest, ResponsesAndTrapsSentToTheAgentGetNoAnswer) {
  EXPECT_FALSE(Ask(Request(PduType::kResponse, {{1, 3}})));
  EXPECT_FALSE(Ask(Request(PduType::kSnmpV2Trap, {{1, 3}})));
  EXPECT_FALSE(Ask(Request(PduType::kInformRequest, {{1, 3}})));
  EXPECT_EQ(counters_.in_get_responses, 1u);
  EXPECT_EQ(counters_.in_traps, 1u);
  EXPECT_EQ(counters_.out_pkts, 0u);
}

// ---------------------------------------------------------------------- ACL

TEST(ManagerAcl, NetworksMatchV4V6AndMappedAddresses) {
  auto net = [](const char* text) { return *Network::Parse(text); };
  ManagerAcl acl({net("10.0.0.0/8"), net("192.0.2.7"), net("2001:db8::/32")});
  auto addr = [](const char* text) { return asio::ip::make_address(text); };
  EXPECT_TRUE(acl.Allows(addr("10.255.1.2")));
  EXPECT_FALSE(acl.Allows(addr("11.0.0.1")));
  EXPECT_TRUE(acl.Allows(addr("192.0.2.7")));
  EXPECT_FALSE(acl.Allows(addr("192.0.2.8")));
  EXPECT_TRUE(acl.Allows(addr("::ffff:10.1.2.3")));
  EXPECT_TRUE(acl.Allows(addr("2001:db8:1::5")));
  EXPECT_FALSE(acl.Allows(addr("2001:db9::5")));
  EXPECT_TRUE(ManagerAcl().Allows(addr("203.0.113.9")));
  EXPECT_TRUE(ManagerAcl({net("0.0.0.0/0")}).Allows(addr("203.0.113.9")));
  EXPECT_FALSE(ManagerAcl({net("0.0.0.0/0")}).Allows(addr("::1")));
}

TEST(ManagerAcl, BadNetworksAreRejected) {
  for (const char* bad :
       {"", "10.0.0.0/33", "10.0.0/8", "::/129", "host.example", "10.0.0.0/", "10.0.0.0/x"}) {
    EXPECT_FALSE(Network::Parse(bad)) << bad;
  }
}

}  // namespace
}  // namespace mimamori::agent
