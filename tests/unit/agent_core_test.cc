// The agent's OS-neutral core: MIB routing, RFC 3416 request processing,
// counters, and the manager ACL. Providers here are tiny tables written in
// the test, so every expectation is visible on the page.
#include <gtest/gtest.h>

#include <fstream>

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

TEST_F(HandlerTest, SnmpV3AndUnknownVersionsAreDroppedAndCounted) {
  Message m = Request(PduType::kGetRequest, {{1, 3, 6, 1, 2, 1, 1, 5, 0}});
  m.version = static_cast<proto::Version>(2);  // "v2u"/v2p never existed on the wire
  EXPECT_FALSE(Ask(m));
  EXPECT_EQ(last_reason_, DropReason::kBadVersion);
  std::vector<std::uint8_t> v3 = {0x30, 0x05, 0x02, 0x01, 0x03, 0x30, 0x00};
  std::vector<std::uint8_t> out;
  EXPECT_EQ(handler_->Handle(v3, out), DropReason::kBadVersion);
  EXPECT_EQ(counters_.in_bad_versions, 2u);
}

// ------------------------------------------------------------------ SNMPv1

Message V1(Message m) {
  m.version = proto::Version::kV1;
  return m;
}

TEST_F(HandlerTest, V1GetIsAnsweredInAV1Message) {
  auto r = Ask(V1(Request(PduType::kGetRequest, {{1, 3, 6, 1, 2, 1, 1, 5, 0}})));
  ASSERT_TRUE(r);
  EXPECT_EQ(r->version, proto::Version::kV1);
  EXPECT_EQ(r->pdu.error_status, 0);
  ASSERT_EQ(r->pdu.varbinds.size(), 1u);
  EXPECT_EQ(r->pdu.varbinds[0].value, Value::OctetString("web01"));
  EXPECT_EQ(counters_.in_get_requests, 1u);
}

TEST_F(HandlerTest, V1GetOfAMissingObjectIsNoSuchNameAtTheLastFailedBindingWithTheRequestEchoed) {
  // snmpd 5.9 (snmp_agent.c, netsnmp_wrap_up_request) keeps the index of the
  // last failing binding and answers with the request's own bindings.
  const Message get = V1(Request(
      PduType::kGetRequest,
      {{1, 3, 6, 1, 2, 1, 1, 99, 0}, {1, 3, 6, 1, 2, 1, 1, 5, 0}, {1, 3, 6, 1, 2, 1, 1, 5, 7}}));
  auto r = Ask(get);
  ASSERT_TRUE(r);
  EXPECT_EQ(r->version, proto::Version::kV1);
  EXPECT_EQ(r->pdu.error_status, static_cast<int>(proto::ErrorStatus::kNoSuchName));
  EXPECT_EQ(r->pdu.error_index, 3);
  EXPECT_EQ(r->pdu.varbinds, get.pdu.varbinds);
  EXPECT_EQ(counters_.out_no_such_names, 1u);
}

TEST_F(HandlerTest, V1GetOfACounter64IsNoSuchNameAndV1GetNextStepsOverCounter64) {
  std::vector<std::unique_ptr<MibProvider>> providers;
  providers.push_back(std::make_unique<TableProvider>(
      "ifx", std::vector<Oid>{{1, 3, 6, 1, 2, 1, 31}},
      std::vector<VarBind>{{{1, 3, 6, 1, 2, 1, 31, 1, 1, 1, 5, 1}, Value::Counter32(5)},
                           {{1, 3, 6, 1, 2, 1, 31, 1, 1, 1, 6, 1}, Value::Counter64(6)},
                           {{1, 3, 6, 1, 2, 1, 31, 1, 1, 1, 7, 1}, Value::Counter64(7)},
                           {{1, 3, 6, 1, 2, 1, 31, 1, 1, 1, 15, 1}, Value::Gauge32(15)}}));
  view_ =
      std::make_unique<MibView>(std::move(providers), std::chrono::seconds(5), clock_.AsFunction());
  handler_ = std::make_unique<RequestHandler>(*view_, counters_, RequestHandlerOptions{});

  auto get = Ask(V1(Request(PduType::kGetRequest, {{1, 3, 6, 1, 2, 1, 31, 1, 1, 1, 6, 1}})));
  ASSERT_TRUE(get);
  EXPECT_EQ(get->pdu.error_status, static_cast<int>(proto::ErrorStatus::kNoSuchName));
  EXPECT_EQ(get->pdu.error_index, 1);

  auto next = Ask(V1(Request(PduType::kGetNextRequest, {{1, 3, 6, 1, 2, 1, 31, 1, 1, 1, 5, 1}})));
  ASSERT_TRUE(next);
  EXPECT_EQ(next->pdu.error_status, 0);
  ASSERT_EQ(next->pdu.varbinds.size(), 1u);
  EXPECT_EQ(next->pdu.varbinds[0].oid, Oid({1, 3, 6, 1, 2, 1, 31, 1, 1, 1, 15, 1}));

  // The same GetNext in v2c does return the Counter64.
  auto v2 = Ask(Request(PduType::kGetNextRequest, {{1, 3, 6, 1, 2, 1, 31, 1, 1, 1, 5, 1}}));
  ASSERT_TRUE(v2);
  EXPECT_EQ(v2->pdu.varbinds[0].value, Value::Counter64(6));
}

TEST_F(HandlerTest, V1GetNextPastTheEndIsNoSuchName) {
  const Message next = V1(Request(PduType::kGetNextRequest, {{1, 3, 6, 1, 2, 1, 1}, {1, 3, 9}}));
  auto r = Ask(next);
  ASSERT_TRUE(r);
  EXPECT_EQ(r->pdu.error_status, static_cast<int>(proto::ErrorStatus::kNoSuchName));
  EXPECT_EQ(r->pdu.error_index, 2);
  EXPECT_EQ(r->pdu.varbinds, next.pdu.varbinds);
}

TEST_F(HandlerTest, V1SetIsRefusedWithTheV1CodesSnmpdUses) {
  // Typed values: noAccess in v2c, noSuchName in v1 (RFC 2576 4.3).
  Message set =
      Request(PduType::kSetRequest, {{1, 3, 6, 1, 2, 1, 1, 4, 0}, {1, 3, 6, 1, 2, 1, 1, 6, 0}});
  set.pdu.varbinds[0].value = Value::OctetString("foo");
  set.pdu.varbinds[1].value = Value::OctetString("bar");
  auto v1 = Ask(V1(set));
  ASSERT_TRUE(v1);
  EXPECT_EQ(v1->version, proto::Version::kV1);
  EXPECT_EQ(v1->pdu.error_status, static_cast<int>(proto::ErrorStatus::kNoSuchName));
  EXPECT_EQ(v1->pdu.error_index, 1);
  EXPECT_EQ(v1->pdu.varbinds, set.pdu.varbinds);

  // A NULL value: wrongType in v2c, badValue in v1, at that binding.
  set.pdu.varbinds[1].value = Value::Null();
  auto v2_null = Ask(set);
  ASSERT_TRUE(v2_null);
  EXPECT_EQ(v2_null->pdu.error_status, static_cast<int>(proto::ErrorStatus::kWrongType));
  EXPECT_EQ(v2_null->pdu.error_index, 2);
  auto v1_null = Ask(V1(set));
  ASSERT_TRUE(v1_null);
  EXPECT_EQ(v1_null->pdu.error_status, static_cast<int>(proto::ErrorStatus::kBadValue));
  EXPECT_EQ(v1_null->pdu.error_index, 2);
  EXPECT_EQ(counters_.in_set_requests, 3u);
  EXPECT_EQ(counters_.out_bad_values, 2u);
  EXPECT_EQ(counters_.out_no_such_names, 1u);
}

std::vector<std::uint8_t> BerFixture(const std::string& name) {
  std::ifstream in(std::string(MIMAMORI_FIXTURES) + "/ber/" + name + ".hex");
  EXPECT_TRUE(in) << "missing fixture " << name;
  std::vector<std::uint8_t> bytes;
  std::string hex;
  while (in >> hex) bytes.push_back(static_cast<std::uint8_t>(std::stoul(hex, nullptr, 16)));
  return bytes;
}

// snmpd's own answers, captured (tests/fixtures/ber/capture.sh), byte for
// byte: both failed requests echo the request, so the bytes do not depend on
// the MIB behind them beyond "these objects do not exist here".
TEST_F(HandlerTest, V1ErrorResponsesAreByteForByteThoseOfSnmpd) {
  for (const char* name : {"v1-nosuchname", "v1-set"}) {
    std::vector<std::uint8_t> out;
    ASSERT_EQ(handler_->Handle(BerFixture(std::string(name) + "-request"), out), DropReason::kNone)
        << name;
    EXPECT_EQ(out, BerFixture(std::string(name) + "-response")) << name;
  }
}

TEST_F(HandlerTest, V1GetBulkIsDroppedAsAParseError) {
  EXPECT_FALSE(Ask(V1(Request(PduType::kGetBulkRequest, {{1, 3, 6, 1, 2, 1, 1}}, 0, 5))));
  EXPECT_EQ(last_reason_, DropReason::kBulkInV1);
  EXPECT_EQ(counters_.in_asn_parse_errs, 1u);
  EXPECT_EQ(counters_.out_pkts, 0u);
}

TEST_F(HandlerTest, V1TooBigEchoesTheRequest) {
  RequestHandlerOptions options;
  options.max_message_size = 484;
  Rebuild(options, 200);
  std::vector<Oid> oids;
  for (std::uint32_t i = 1; i <= 20; ++i) oids.push_back({1, 3, 6, 1, 2, 1, 25, 4, 2, 1, 5, i});
  const Message get = V1(Request(PduType::kGetRequest, oids));
  auto r = Ask(get);
  ASSERT_TRUE(r);
  EXPECT_EQ(r->pdu.error_status, static_cast<int>(proto::ErrorStatus::kTooBig));
  EXPECT_EQ(r->pdu.error_index, 0);
  EXPECT_EQ(r->pdu.varbinds, get.pdu.varbinds);
}

// ------------------------------------------------------- GetBulk limits

TEST_F(HandlerTest, GetBulkRepetitionsAreCappedLikeSnmpd) {
  Rebuild(RequestHandlerOptions{}, 1000);
  const Oid column = {1, 3, 6, 1, 2, 1, 25, 4, 2, 1, 5};
  // One repeater: 100 bindings (maxGetbulkResponses), whatever was asked.
  auto one = Ask(Request(PduType::kGetBulkRequest, {column}, 0, 1000));
  ASSERT_TRUE(one);
  EXPECT_EQ(one->pdu.varbinds.size(), 100u);
  // Three repeaters: 100 / 3 = 33 rounds; non-repeaters come on top.
  auto three = Ask(
      Request(PduType::kGetBulkRequest, {{1, 3, 6, 1, 2, 1, 1}, column, column, column}, 1, 1000));
  ASSERT_TRUE(three);
  EXPECT_EQ(three->pdu.varbinds.size(), 1u + 99u);
  // More repeaters than responses: no repetition at all, only non-repeaters.
  std::vector<Oid> many(101, column);
  many.insert(many.begin(), Oid{1, 3, 6, 1, 2, 1, 1});
  auto none = Ask(Request(PduType::kGetBulkRequest, many, 1, 1000));
  ASSERT_TRUE(none);
  ASSERT_EQ(none->pdu.varbinds.size(), 1u);
  EXPECT_EQ(none->pdu.varbinds[0].oid, Oid({1, 3, 6, 1, 2, 1, 1, 1, 0}));
  // Fewer asked than allowed: as asked.
  auto few = Ask(Request(PduType::kGetBulkRequest, {column}, 0, 7));
  ASSERT_TRUE(few);
  EXPECT_EQ(few->pdu.varbinds.size(), 7u);
}

TEST_F(HandlerTest, GetBulkLimitsAreConfigurable) {
  RequestHandlerOptions options;
  options.max_getbulk_responses = 500;
  options.max_getbulk_repeats = 40;
  Rebuild(options, 1000);
  const Oid column = {1, 3, 6, 1, 2, 1, 25, 4, 2, 1, 5};
  auto one = Ask(Request(PduType::kGetBulkRequest, {column}, 0, 1000));
  ASSERT_TRUE(one);
  EXPECT_EQ(one->pdu.varbinds.size(), 40u);  // maxGetbulkRepeats first
  auto twenty = Ask(Request(PduType::kGetBulkRequest, std::vector<Oid>(20, column), 0, 1000));
  ASSERT_TRUE(twenty);
  EXPECT_EQ(twenty->pdu.varbinds.size(), 20u * 25u);  // then 500 / 20 rounds
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
