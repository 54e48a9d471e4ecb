// NetSnmpClient and the resource and process monitors against real peers on
// the loopback interface: our agent, Debian's snmpd, and a scripted agent
// (BER from proto/) for the misbehaviours no real agent shows on demand.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <functional>
#include <future>
#include <map>
#include <optional>
#include <set>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "collector/monitors/process_monitor.h"
#include "collector/monitors/resource_monitor.h"
#include "collector/net/http_client.h"
#include "collector/net/netsnmp_client.h"
#include "collector/net/pinger.h"
#include "mimamori/proto/ber.h"
#include "tests/integration/agent_process.h"

namespace mimamori::collector {
namespace {

using namespace std::chrono_literals;
using proto::Oid;
using proto::Value;
using proto::ValueType;

// ------------------------------------------------------------------ helpers

SnmpTarget Target(const std::string& address, std::uint16_t port,
                  std::chrono::milliseconds timeout = 2000ms, int retries = 1) {
  SnmpTarget target;
  target.node = "test";
  target.address = address;
  target.settings.port = port;
  target.settings.timeout = timeout;
  target.settings.retries = retries;
  return target;
}

// One request, waited for (bounded).
SnmpResult Call(SnmpClient& client, const SnmpTarget& target, std::vector<Oid> oids, bool walk) {
  auto promise = std::make_shared<std::promise<SnmpResult>>();
  auto future = promise->get_future();
  auto done = [promise](SnmpResult result) { promise->set_value(std::move(result)); };
  if (walk) {
    client.Walk(target, std::move(oids), done);
  } else {
    client.Get(target, std::move(oids), done);
  }
  if (future.wait_for(60s) != std::future_status::ready) {
    ADD_FAILURE() << "no answer within 60 s";
    return {};
  }
  return future.get();
}

Oid O(const std::string& text) { return Oid::Parse(text).value(); }

// A UDP socket on 127.0.0.1 (or ::1) whose datagrams a script answers.
class ScriptedAgent {
 public:
  using Script = std::function<std::optional<proto::Message>(const proto::Message&)>;

  explicit ScriptedAgent(Script script, bool ipv6 = false) : script_(std::move(script)) {
    fd_ = ::socket(ipv6 ? AF_INET6 : AF_INET, SOCK_DGRAM, 0);
    if (ipv6) {
      sockaddr_in6 address{};
      address.sin6_family = AF_INET6;
      address.sin6_addr = in6addr_loopback;
      ok_ = ::bind(fd_, reinterpret_cast<sockaddr*>(&address), sizeof address) == 0;
      socklen_t length = sizeof address;
      ::getsockname(fd_, reinterpret_cast<sockaddr*>(&address), &length);
      port_ = ntohs(address.sin6_port);
    } else {
      sockaddr_in address{};
      address.sin_family = AF_INET;
      address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
      ok_ = ::bind(fd_, reinterpret_cast<sockaddr*>(&address), sizeof address) == 0;
      socklen_t length = sizeof address;
      ::getsockname(fd_, reinterpret_cast<sockaddr*>(&address), &length);
      port_ = ntohs(address.sin_port);
    }
    thread_ = std::thread([this] { Serve(); });
  }
  ~ScriptedAgent() {
    stop_ = true;
    thread_.join();
    ::close(fd_);
  }
  bool ok() const { return ok_; }
  std::uint16_t port() const { return port_; }
  int requests() const { return requests_; }

 private:
  void Serve() {
    std::vector<std::uint8_t> buffer(65536);
    while (!stop_) {
      pollfd p{fd_, POLLIN, 0};
      if (::poll(&p, 1, 50) <= 0) continue;
      sockaddr_storage from{};
      socklen_t length = sizeof from;
      const ssize_t n = ::recvfrom(fd_, buffer.data(), buffer.size(), 0,
                                   reinterpret_cast<sockaddr*>(&from), &length);
      if (n <= 0) continue;
      proto::Message request;
      if (proto::DecodeMessage({buffer.data(), static_cast<std::size_t>(n)}, request) !=
          proto::DecodeError::kNone) {
        continue;
      }
      ++requests_;
      std::optional<proto::Message> response = script_(request);
      if (!response) continue;
      const std::vector<std::uint8_t> wire = proto::EncodeMessage(*response);
      ::sendto(fd_, wire.data(), wire.size(), 0, reinterpret_cast<sockaddr*>(&from), length);
    }
  }

  Script script_;
  int fd_ = -1;
  bool ok_ = false;
  std::uint16_t port_ = 0;
  std::atomic<bool> stop_{false};
  std::atomic<int> requests_{0};
  std::thread thread_;
};

proto::Message ResponseTo(const proto::Message& request, std::vector<proto::VarBind> varbinds) {
  proto::Message response = request;
  response.pdu.type = proto::PduType::kResponse;
  response.pdu.error_status = 0;
  response.pdu.error_index = 0;
  response.pdu.varbinds = std::move(varbinds);
  return response;
}

// ------------------------------------------------------------------ NetSnmpClient

class NetSnmpClientTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    std::string error;
    if (mimamori::testing::SnmpdProcess::Available()) {
      snmpd_ = mimamori::testing::SnmpdProcess::Start(error).release();
    }
    if (!snmpd_) why_ = error.empty() ? "snmpd is not installed" : error;
  }
  static void TearDownTestSuite() {
    delete snmpd_;
    snmpd_ = nullptr;
  }
  void SetUp() override {
    if (!snmpd_) GTEST_SKIP() << why_;
  }
  SnmpTarget Snmpd() const { return Target("127.0.0.1", snmpd_->port()); }

  static mimamori::testing::SnmpdProcess* snmpd_;
  static std::string why_;
  NetSnmpClient client_;
};
mimamori::testing::SnmpdProcess* NetSnmpClientTest::snmpd_ = nullptr;
std::string NetSnmpClientTest::why_;

TEST_F(NetSnmpClientTest, GetConvertsEveryValueType) {
  const SnmpResult result = Call(client_, Snmpd(),
                                 {O(".1.3.6.1.2.1.1.1.0"),               // OCTET STRING
                                  O(".1.3.6.1.2.1.1.2.0"),               // OBJECT IDENTIFIER
                                  O(".1.3.6.1.2.1.1.3.0"),               // TimeTicks
                                  O(".1.3.6.1.2.1.1.7.0"),               // INTEGER
                                  O(".1.3.6.1.2.1.4.20.1.1.127.0.0.1"),  // IpAddress
                                  O(".1.3.6.1.4.1.2021.11.53.0"),        // Counter32
                                  O(".1.3.6.1.4.1.2021.4.27.0"),         // Counter64
                                  O(".1.3.6.1.4.1.2021.10.1.6.1"),       // Opaque (float)
                                  O(".1.3.6.1.2.1.25.1.6.0"),            // Gauge32
                                  O(".1.3.6.1.2.1.99.0"),                // noSuchObject
                                  O(".1.3.6.1.2.1.1.3.1")},              // noSuchInstance
                                 false);
  ASSERT_TRUE(result.ok) << result.error;
  ASSERT_EQ(result.varbinds.size(), 11u);
  EXPECT_EQ(result.varbinds[0].oid, O(".1.3.6.1.2.1.1.1.0")) << "request order";
  EXPECT_EQ(result.varbinds[0].value.type, ValueType::kOctetString);
  EXPECT_EQ(result.varbinds[1].value.type, ValueType::kObjectId);
  EXPECT_TRUE(result.varbinds[1].value.oid.StartsWith(O(".1.3.6.1.4.1.8072")));
  EXPECT_EQ(result.varbinds[2].value.type, ValueType::kTimeTicks);
  EXPECT_EQ(result.varbinds[3].value, Value::Integer(72));
  EXPECT_EQ(result.varbinds[4].value, Value::IpAddress(std::string("\x7f\x00\x00\x01", 4)));
  EXPECT_EQ(result.varbinds[5].value.type, ValueType::kCounter32);
  EXPECT_EQ(result.varbinds[6].value.type, ValueType::kCounter64);
  EXPECT_GT(result.varbinds[6].value.number, 0u);
  // The Opaque float keeps its draft-perkins wrapping: 9f 78 04 + IEEE float.
  EXPECT_EQ(result.varbinds[7].value.type, ValueType::kOpaque);
  ASSERT_EQ(result.varbinds[7].value.bytes.size(), 7u);
  EXPECT_EQ(result.varbinds[7].value.bytes.substr(0, 3), std::string("\x9f\x78\x04", 3));
  EXPECT_EQ(result.varbinds[8].value.type, ValueType::kGauge32);
  EXPECT_EQ(result.varbinds[9].value, Value::NoSuchObject());
  EXPECT_EQ(result.varbinds[10].value, Value::NoSuchInstance());
}

TEST_F(NetSnmpClientTest, WalkGivesWhatSnmpbulkwalkGives) {
  const Oid descr = O(".1.3.6.1.2.1.25.2.3.1.3");
  const Oid units = O(".1.3.6.1.2.1.25.2.3.1.4");
  const SnmpResult result = Call(client_, Snmpd(), {descr, units}, true);
  ASSERT_TRUE(result.ok) << result.error;
  const auto tool =
      mimamori::testing::SnmpTool("snmpbulkwalk", snmpd_->endpoint(), {}, {descr.ToString()});
  ASSERT_EQ(tool.exit_code, 0) << tool.Describe();
  const auto expected = mimamori::testing::ParseVarBinds(tool.out);
  ASSERT_FALSE(expected.empty());
  // Root after root, each in OID order.
  std::vector<std::string> ours;
  std::size_t descr_count = 0;
  for (const auto& vb : result.varbinds) {
    if (vb.oid.StartsWith(descr)) {
      EXPECT_EQ(descr_count, ours.size()) << "all of the first root comes first";
      ++descr_count;
      ours.push_back(vb.oid.ToString() + " = " + vb.value.bytes);
    }
  }
  std::vector<std::string> theirs;
  for (const auto& vb : expected) {
    theirs.push_back(mimamori::testing::OidToString(vb.oid) + " = " + vb.Octets().value_or("?"));
  }
  EXPECT_EQ(ours, theirs);
  EXPECT_EQ(result.varbinds.size(), 2 * descr_count);
}

TEST_F(NetSnmpClientTest, WalkOfALongTableTakesManyGetBulks) {
  NetSnmpClientOptions options;
  options.max_repetitions = 5;
  NetSnmpClient small(options);
  const Oid names = O(".1.3.6.1.2.1.25.4.2.1.2");
  const SnmpResult result = Call(small, Snmpd(), {names}, true);
  ASSERT_TRUE(result.ok) << result.error;
  EXPECT_GT(result.varbinds.size(), 10u);
  EXPECT_GT(small.stats().pdus_sent, result.varbinds.size() / 5);
  for (std::size_t i = 1; i < result.varbinds.size(); ++i) {
    EXPECT_LT(result.varbinds[i - 1].oid, result.varbinds[i].oid);
  }
}

TEST_F(NetSnmpClientTest, WalkOfNothingIsEmptyAndOk) {
  const SnmpResult result = Call(client_, Snmpd(), {O(".1.3.6.1.2.1.99")}, true);
  ASSERT_TRUE(result.ok) << result.error;
  EXPECT_TRUE(result.varbinds.empty());
}

TEST_F(NetSnmpClientTest, DnsNameIsResolved) {
  const SnmpResult result =
      Call(client_, Target("localhost", snmpd_->port()), {O(".1.3.6.1.2.1.1.3.0")}, false);
  ASSERT_TRUE(result.ok) << result.error;
  const SnmpResult bad = Call(client_, Target("no-such-node.invalid", snmpd_->port()),
                              {O(".1.3.6.1.2.1.1.3.0")}, false);
  EXPECT_FALSE(bad.ok);
  EXPECT_EQ(bad.error.rfind("cannot resolve no-such-node.invalid: ", 0), 0u) << bad.error;
}

TEST_F(NetSnmpClientTest, WrongCommunityIsATimeout) {
  SnmpTarget target = Target("127.0.0.1", snmpd_->port(), 200ms, 1);
  target.settings.community = "public";
  const auto start = std::chrono::steady_clock::now();
  const SnmpResult result = Call(client_, target, {O(".1.3.6.1.2.1.1.3.0")}, false);
  const auto took = std::chrono::steady_clock::now() - start;
  EXPECT_FALSE(result.ok);
  EXPECT_TRUE(result.timeout);
  EXPECT_EQ(result.error, "timeout after 0.2 s x 2 tries");
  EXPECT_GE(took, 390ms);
  EXPECT_LT(took, 3s);
}

TEST_F(NetSnmpClientTest, ManyRequestsAtOnceStayWithinTheBound) {
  NetSnmpClientOptions options;
  options.max_in_flight = 16;
  NetSnmpClient bounded(options);
  constexpr int kRequests = 400;
  std::atomic<int> ok{0};
  std::atomic<int> finished{0};
  std::promise<void> all;
  for (int i = 0; i < kRequests; ++i) {
    bounded.Get(Snmpd(), {O(".1.3.6.1.2.1.1.3.0")}, [&](SnmpResult result) {
      if (result.ok) ++ok;
      if (++finished == kRequests) all.set_value();
    });
  }
  ASSERT_EQ(all.get_future().wait_for(60s), std::future_status::ready);
  EXPECT_EQ(ok, kRequests);
  EXPECT_LE(bounded.stats().peak_in_flight, 16u);
  EXPECT_EQ(bounded.stats().requests, static_cast<std::uint64_t>(kRequests));
}

TEST(NetSnmpClientScriptedTest, SilentPeerTimesOutAfterEveryTry) {
  ScriptedAgent silent([](const proto::Message&) { return std::nullopt; });
  ASSERT_TRUE(silent.ok());
  NetSnmpClient client;
  const SnmpResult result =
      Call(client, Target("127.0.0.1", silent.port(), 250ms, 2), {O(".1.3.6.1.2.1.1.3.0")}, false);
  EXPECT_TRUE(result.timeout);
  EXPECT_EQ(result.error, "timeout after 0.25 s x 3 tries");
  EXPECT_EQ(silent.requests(), 3);
  EXPECT_EQ(client.stats().timeouts, 1u);
}

TEST(NetSnmpClientScriptedTest, ErrorStatusIsReadable) {
  ScriptedAgent agent([](const proto::Message& request) {
    proto::Message response = ResponseTo(request, request.pdu.varbinds);
    response.pdu.error_status = static_cast<std::int32_t>(proto::ErrorStatus::kNoSuchName);
    response.pdu.error_index = 2;
    return std::optional(response);
  });
  NetSnmpClient client;
  const SnmpResult result = Call(client, Target("127.0.0.1", agent.port()),
                                 {O(".1.3.6.1.2.1.1.3.0"), O(".1.3.6.1.4.1.2021.11.53.0")}, false);
  EXPECT_FALSE(result.ok);
  EXPECT_FALSE(result.timeout);
  EXPECT_EQ(result.error, "noSuchName (error index 2, .1.3.6.1.4.1.2021.11.53.0)");
}

TEST(NetSnmpClientScriptedTest, WalkStopsWhenOidsDoNotIncrease) {
  // An agent bug seen in the field: the table "loops" back to its start.
  const Oid root = O(".1.3.6.1.2.1.25.4.2.1.2");
  ScriptedAgent agent([&](const proto::Message& request) {
    const Oid& asked = request.pdu.varbinds.at(0).oid;
    const std::uint32_t next = asked.size() > root.size() ? asked[root.size()] + 1 : 1;
    const std::uint32_t index = next > 3 ? 1 : next;  // 1, 2, 3, 1, ...
    return std::optional(ResponseTo(request, {{root.Child({index}), Value::OctetString("x")}}));
  });
  NetSnmpClient client;
  const SnmpResult result = Call(client, Target("127.0.0.1", agent.port()), {root}, true);
  EXPECT_FALSE(result.ok);
  EXPECT_EQ(result.error,
            "walk .1.3.6.1.2.1.25.4.2.1.2: agent returned .1.3.6.1.2.1.25.4.2.1.2.1 after "
            ".1.3.6.1.2.1.25.4.2.1.2.3 (OIDs not increasing)");
}

TEST(NetSnmpClientScriptedTest, WalkFollowsColumnsSideBySideToEndOfMibView) {
  // Two columns of three rows; the second column is the last object of the
  // agent's MIB, so it ends in endOfMibView.
  std::map<Oid, Value> mib;
  for (std::uint32_t row = 1; row <= 3; ++row) {
    mib[O(".1.3.6.1.2.1.25.4.2.1.2").Child({row})] = Value::OctetString("p" + std::to_string(row));
    mib[O(".1.3.6.1.2.1.25.4.2.1.5").Child({row})] = Value::OctetString("a" + std::to_string(row));
  }
  std::vector<int> repetitions;
  ScriptedAgent agent([&](const proto::Message& request) {
    EXPECT_EQ(request.pdu.type, proto::PduType::kGetBulkRequest);
    repetitions.push_back(request.pdu.max_repetitions());
    std::vector<proto::VarBind> out;
    std::vector<Oid> cursor;
    for (const auto& vb : request.pdu.varbinds) cursor.push_back(vb.oid);
    for (int r = 0; r < request.pdu.max_repetitions(); ++r) {
      for (Oid& at : cursor) {
        auto it = mib.upper_bound(at);
        if (it == mib.end()) {
          out.push_back({at, Value::EndOfMibView()});
        } else {
          out.push_back({it->first, it->second});
          at = it->first;
        }
      }
    }
    return std::optional(ResponseTo(request, out));
  });
  NetSnmpClientOptions options;
  options.max_repetitions = 2;
  NetSnmpClient client(options);
  const SnmpResult result =
      Call(client, Target("127.0.0.1", agent.port()),
           {O(".1.3.6.1.2.1.25.4.2.1.2"), O(".1.3.6.1.2.1.25.4.2.1.5")}, true);
  ASSERT_TRUE(result.ok) << result.error;
  std::vector<std::string> got;
  for (const auto& vb : result.varbinds) got.push_back(vb.value.bytes);
  EXPECT_EQ(got, (std::vector<std::string>{"p1", "p2", "p3", "a1", "a2", "a3"}));
  EXPECT_EQ(repetitions, (std::vector<int>{2, 2}));
}

TEST(NetSnmpClientScriptedTest, TooBigHalvesTheRepetitions) {
  std::vector<int> repetitions;
  const Oid root = O(".1.3.6.1.2.1.25.4.2.1.2");
  ScriptedAgent agent([&](const proto::Message& request) {
    repetitions.push_back(request.pdu.max_repetitions());
    if (request.pdu.max_repetitions() > 6) {
      proto::Message response = ResponseTo(request, {});
      response.pdu.error_status = static_cast<std::int32_t>(proto::ErrorStatus::kTooBig);
      return std::optional(response);
    }
    return std::optional(ResponseTo(request, {{root.Child({1}), Value::OctetString("init")},
                                              {O(".1.3.6.1.2.1.25.4.2.1.3.1"), Value::Null()}}));
  });
  NetSnmpClientOptions options;
  options.max_repetitions = 25;
  NetSnmpClient client(options);
  const SnmpResult result = Call(client, Target("127.0.0.1", agent.port()), {root}, true);
  ASSERT_TRUE(result.ok) << result.error;
  EXPECT_EQ(result.varbinds.size(), 1u);
  EXPECT_EQ(repetitions, (std::vector<int>{25, 12, 6}));
}

TEST(NetSnmpClientScriptedTest, Ipv6Loopback) {
  ScriptedAgent agent(
      [](const proto::Message& request) {
        return std::optional(
            ResponseTo(request, {{request.pdu.varbinds.at(0).oid, Value::Counter64(1ull << 40)}}));
      },
      /*ipv6=*/true);
  if (!agent.ok()) GTEST_SKIP() << "no IPv6 loopback";
  NetSnmpClient client;
  for (const std::string address : {"::1", "[::1]"}) {
    const SnmpResult result =
        Call(client, Target(address, agent.port()), {O(".1.3.6.1.2.1.31.1.1.1.6.1")}, false);
    ASSERT_TRUE(result.ok) << address << ": " << result.error;
    EXPECT_EQ(result.varbinds.at(0).value, Value::Counter64(1ull << 40));
  }
}

TEST(NetSnmpClientScriptedTest, ShutdownEndsWhatIsPending) {
  ScriptedAgent silent([](const proto::Message&) { return std::nullopt; });
  NetSnmpClientOptions options;
  options.max_in_flight = 2;
  NetSnmpClient client(options);
  std::atomic<int> shut{0};
  for (int i = 0; i < 10; ++i) {
    client.Get(Target("127.0.0.1", silent.port(), 10s, 0), {O(".1.3.6.1.2.1.1.3.0")},
               [&](SnmpResult result) {
                 if (result.error == "SNMP client shut down") ++shut;
               });
  }
  std::this_thread::sleep_for(100ms);  // some reach the wire, the rest wait
  const auto start = std::chrono::steady_clock::now();
  client.Shutdown();
  EXPECT_LT(std::chrono::steady_clock::now() - start, 2s);
  EXPECT_EQ(shut, 10);
  std::promise<SnmpResult> after;
  client.Get(Target("127.0.0.1", silent.port()), {O(".1.3.6.1.2.1.1.3.0")},
             [&](SnmpResult result) { after.set_value(result); });
  EXPECT_EQ(after.get_future().get().error, "SNMP client shut down");
}

// ------------------------------------------------------------------ monitors

class UnusedPinger final : public Pinger {
 public:
  void Ping(const std::string&, const PingSettings&, std::function<void(PingOutcome)>) override {}
};
class UnusedHttp final : public HttpClient {
 public:
  void Get(const std::string&, std::chrono::milliseconds,
           std::function<void(HttpResponse)>) override {}
};
class UnusedTcp final : public TcpProbe {
 public:
  void Connect(const std::string&, std::uint16_t, std::chrono::milliseconds,
               std::function<void(TcpProbeResult)>) override {}
};

// /proc/stat's first line as (busy, total) ticks, iowait counted as idle.
std::pair<std::uint64_t, std::uint64_t> ProcStatTicks() {
  std::ifstream in("/proc/stat");
  std::string cpu;
  std::uint64_t v[8] = {};
  in >> cpu >> v[0] >> v[1] >> v[2] >> v[3] >> v[4] >> v[5] >> v[6] >> v[7];
  std::uint64_t total = 0;
  for (std::uint64_t x : v) total += x;
  return {total - v[3] - v[4], total};
}

// Both agents on this host, judged by the same monitors at the same time.
class SameHostTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string error;
    agent_ = mimamori::testing::AgentProcess::Start({}, error);
    ASSERT_NE(agent_, nullptr) << error;
    if (!mimamori::testing::SnmpdProcess::Available()) GTEST_SKIP() << "snmpd is not installed";
    snmpd_ = mimamori::testing::SnmpdProcess::Start(error);
    ASSERT_NE(snmpd_, nullptr) << error;
    // Two processes both agents must count: `sleep 3600.4711<pid>`, unique to
    // this run so that other suites' sleepers do not count.
    const std::string seconds = "3600.4711" + std::to_string(::getpid());
    for (int i = 0; i < 2; ++i) {
      mimamori::testing::ChildProcess::Options options;
      options.argv = {"sleep", seconds};
      auto child = mimamori::testing::ChildProcess::Spawn(options, error);
      ASSERT_TRUE(child.has_value()) << error;
      sleepers_.push_back(std::move(*child));
    }
    for (const auto& [name, port] :
         {std::pair<std::string, std::uint16_t>{"mimamori-agent", agent_->port()},
          {"snmpd", snmpd_->port()}}) {
      Node node;
      node.name = name;
      node.address = "127.0.0.1";
      node.snmp.port = port;
      ProcessCheck sleeper;
      sleeper.name = "sleeper";
      sleeper.command = "(.*/)?sleep";
      sleeper.arguments = "3600\\." + seconds.substr(5);
      sleeper.min_count = 2;
      sleeper.max_count = 2;
      node.processes = {sleeper};
      inventory_.nodes.push_back(node);
    }
  }

  // Runs one check of every monitor of both nodes at once.
  std::map<std::string, CheckReport> CheckBoth(MonitorFactory factory) {
    std::vector<std::unique_ptr<Monitor>> monitors;
    for (const Node& node : inventory_.nodes) {
      for (auto& monitor : factory(node, inventory_, services_)) {
        monitors.push_back(std::move(monitor));
      }
    }
    std::vector<std::future<CheckReport>> futures;
    for (auto& monitor : monitors) {
      auto promise = std::make_shared<std::promise<CheckReport>>();
      futures.push_back(promise->get_future());
      monitor->Start([promise](CheckReport report) { promise->set_value(std::move(report)); });
    }
    std::map<std::string, CheckReport> reports;
    for (std::size_t i = 0; i < futures.size(); ++i) {
      if (futures[i].wait_for(90s) != std::future_status::ready) {
        ADD_FAILURE() << monitors[i]->NodeName() << ": no report within 90 s";
        continue;
      }
      reports[monitors[i]->NodeName()] = futures[i].get();
    }
    return reports;
  }

  static std::map<std::string, CheckResult> ByName(const CheckReport& report) {
    std::map<std::string, CheckResult> out;
    for (const CheckResult& result : report.results) out[result.monitor] = result;
    return out;
  }

  std::unique_ptr<mimamori::testing::AgentProcess> agent_;
  std::unique_ptr<mimamori::testing::SnmpdProcess> snmpd_;
  std::vector<mimamori::testing::ChildProcess> sleepers_;
  Inventory inventory_;
  NetSnmpClient snmp_;
  UnusedPinger pinger_;
  UnusedHttp http_;
  UnusedTcp tcp_;
  SystemClock clock_;
  MonitorServices services_{pinger_, snmp_, http_, tcp_, clock_};
};

TEST_F(SameHostTest, BothAgentsGiveTheSameResourceJudgement) {
  // snmpd answers zero CPU counters until its first 5 s refresh; the monitor
  // copes, but waiting makes the comparison fair.
  ASSERT_TRUE(mimamori::testing::WaitFor(
      [&] {
        return mimamori::testing::GetNumber(snmpd_->endpoint(), ".1.3.6.1.4.1.2021.11.53.0")
                   .value_or(0) > 0;
      },
      15s, 200ms));
  const auto before = ProcStatTicks();
  auto reports = CheckBoth(&MakeResourceMonitors);
  const auto after = ProcStatTicks();
  const double host_cpu =
      100.0 * static_cast<double>(after.first - before.first) /
      static_cast<double>(std::max<std::uint64_t>(1, after.second - before.second));
  ASSERT_EQ(reports.size(), 2u);
  auto ours = ByName(reports["mimamori-agent"]);
  auto theirs = ByName(reports["snmpd"]);

  std::ostringstream both;
  for (const auto& [name, result] : ours) both << "agent " << name << ": " << result.reason << "\n";
  for (const auto& [name, result] : theirs)
    both << "snmpd " << name << ": " << result.reason << "\n";
  both << "host CPU over the check: " << host_cpu << " %\n";
  SCOPED_TRACE(both.str());
  if (std::getenv("MIMAMORI_TEST_VERBOSE") != nullptr) std::fputs(both.str().c_str(), stderr);

  // The same file systems, each within 1 % of the other.
  std::set<std::string> our_names, their_names;
  for (const auto& [name, result] : ours) our_names.insert(name);
  for (const auto& [name, result] : theirs) their_names.insert(name);
  EXPECT_EQ(our_names, their_names);
  EXPECT_TRUE(our_names.count("cpu") && our_names.count("memory") && our_names.count("disk:/"));
  for (const auto& [name, result] : ours) {
    if (!theirs.count(name)) continue;
    const CheckResult& other = theirs[name];
    ASSERT_TRUE(result.value.has_value()) << name << ": " << result.reason;
    ASSERT_TRUE(other.value.has_value()) << name << ": " << other.reason;
    if (name.rfind("disk:", 0) == 0) {
      EXPECT_NEAR(*result.value, *other.value, 1.0) << name;
      EXPECT_EQ(result.status, other.status) << name;
    } else if (name == "memory") {
      EXPECT_NEAR(*result.value, *other.value, 3.0);
      EXPECT_EQ(result.status, other.status);
    } else if (name == "cpu") {
      EXPECT_GE(*result.value, 0.0);
      EXPECT_LE(*result.value, 100.0);
      // Both measured over the same seconds, but snmpd's counters move in
      // 5 s steps: only a loose agreement can be asked for.
      EXPECT_NEAR(*result.value, *other.value, 35.0);
      if (host_cpu < 60.0) {
        EXPECT_EQ(result.status, Status::kOk);
        EXPECT_EQ(other.status, Status::kOk);
      }
    }
  }
  EXPECT_EQ(ours["memory"].status, Status::kOk);
  EXPECT_EQ(ours["disk:/"].status, Status::kOk);
}

TEST_F(SameHostTest, BothAgentsCountTheSameProcesses) {
  auto reports = CheckBoth(&MakeProcessMonitors);
  ASSERT_EQ(reports.size(), 2u);
  for (const auto& [node, report] : reports) {
    ASSERT_EQ(report.results.size(), 1u) << node;
    const CheckResult& result = report.results[0];
    EXPECT_EQ(result.monitor, "process:sleeper");
    EXPECT_EQ(result.status, Status::kOk) << node << ": " << result.reason;
    EXPECT_EQ(result.value, 2.0) << node << ": " << result.reason;
    EXPECT_EQ(result.reason, "sleeper: 2 processes match, expected 2 to 2") << node;
  }
  // One gone. Both agents cache the process table for a few seconds
  // (snmpd's hrSWRun cache, our agent's 5 s snapshot), so ask until both
  // have noticed, within a bound.
  sleepers_.back().Stop();
  std::map<std::string, CheckReport> last;
  const bool noticed = mimamori::testing::WaitFor(
      [&] {
        last = CheckBoth(&MakeProcessMonitors);
        for (const auto& [node, report] : last) {
          if (report.results.size() != 1 || report.results[0].value != 1.0) return false;
        }
        return last.size() == 2;
      },
      60s, 1s);
  EXPECT_TRUE(noticed);
  for (const auto& [node, report] : last) {
    ASSERT_EQ(report.results.size(), 1u) << node;
    EXPECT_EQ(report.results[0].status, Status::kCritical) << node;
    EXPECT_EQ(report.results[0].reason, "sleeper: 1 process matches, expected 2 to 2") << node;
  }
}

TEST_F(SameHostTest, StoppedAgentIsUnknownWithTheReason) {
  agent_->Stop();
  inventory_.nodes[0].snmp.timeout = 300ms;
  inventory_.nodes[0].snmp.retries = 0;
  inventory_.nodes.resize(1);
  auto reports = CheckBoth(&MakeProcessMonitors);
  ASSERT_EQ(reports.size(), 1u);
  const CheckResult& result = reports["mimamori-agent"].results.at(0);
  EXPECT_EQ(result.status, Status::kUnknown);
  EXPECT_EQ(result.reason,
            "snmp process mimamori-agent (127.0.0.1): walk hrSWRunTable: timeout after 0.3 s x 1 "
            "try");
}

}  // namespace
}  // namespace mimamori::collector
