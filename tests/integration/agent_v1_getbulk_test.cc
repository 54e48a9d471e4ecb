// SNMPv1 requests and GetBulk limits, side by side with Debian's snmpd: the
// Net-SNMP tools ask both agents the same thing and must print the same
// answer (values, errors, failed objects, numbers of bindings). Raw datagrams
// check what the tools hide: the reply's message version and the drop of a
// v1 GetBulk.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <optional>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "mimamori/proto/ber.h"
#include "tests/integration/agent_process.h"

namespace mimamori::testing {
namespace {

using namespace std::chrono_literals;

// One request datagram to 127.0.0.1:port from a fresh socket; the decoded
// answer, or nullopt when none came within `wait`.
std::optional<proto::Message> Exchange(std::uint16_t port, const proto::Message& request,
                                       std::chrono::milliseconds wait = 2s) {
  const int fd = ::socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return std::nullopt;
  sockaddr_in to{};
  to.sin_family = AF_INET;
  to.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  to.sin_port = htons(port);
  const std::vector<std::uint8_t> wire = proto::EncodeMessage(request);
  std::optional<proto::Message> answer;
  if (::sendto(fd, wire.data(), wire.size(), 0, reinterpret_cast<sockaddr*>(&to), sizeof to) ==
      static_cast<ssize_t>(wire.size())) {
    pollfd ready{fd, POLLIN, 0};
    if (::poll(&ready, 1, static_cast<int>(wait.count())) == 1) {
      std::vector<std::uint8_t> buffer(70000);
      const ssize_t n = ::recv(fd, buffer.data(), buffer.size(), 0);
      proto::Message decoded;
      if (n > 0 && proto::DecodeMessage(std::span(buffer.data(), static_cast<std::size_t>(n)),
                                        decoded) == proto::DecodeError::kNone)
        answer = std::move(decoded);
    }
  }
  ::close(fd);
  return answer;
}

proto::Message Request(proto::Version version, proto::PduType type,
                       const std::vector<std::string>& oids, std::int32_t a = 0,
                       std::int32_t b = 0) {
  proto::Message m;
  m.version = version;
  m.community = kCommunity;
  m.pdu.type = type;
  m.pdu.request_id = 7007;
  m.pdu.error_status = a;
  m.pdu.error_index = b;
  for (const std::string& oid : oids) m.pdu.varbinds.push_back({*proto::Oid::Parse(oid), {}});
  return m;
}

class V1AndBulkTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!SnmpdProcess::Available())
      GTEST_SKIP() << "snmpd is not installed (apt-get install snmpd): nothing to compare with";
    std::string error;
    agent_ = AgentProcess::Start({}, error);
    ASSERT_NE(agent_, nullptr) << error;
    snmpd_ = SnmpdProcess::Start(error);
    ASSERT_NE(snmpd_, nullptr) << error;
  }

  // The same tool run against both; expects identical output (stdout and
  // stderr, the agent's address taken out) and returns it.
  std::string Both(const std::string& tool, const std::vector<std::string>& options,
                   const std::vector<std::string>& oids) {
    const CommandResult ours = SnmpTool(tool, agent_->endpoint(), options, oids, 60s);
    const CommandResult theirs = SnmpTool(tool, snmpd_->endpoint(), options, oids, 60s);
    EXPECT_FALSE(ours.timed_out) << tool << ": " << ours.Describe();
    EXPECT_EQ(ours.exit_code, theirs.exit_code)
        << tool << " ours: " << ours.Describe() << "\nsnmpd: " << theirs.Describe();
    EXPECT_EQ(ours.out, theirs.out) << tool;
    EXPECT_EQ(ours.err, theirs.err) << tool;
    return ours.out + ours.err;
  }

  std::unique_ptr<AgentProcess> agent_;
  std::unique_ptr<SnmpdProcess> snmpd_;
};

TEST_F(V1AndBulkTest, V1GetAnswersAsSnmpdDoes) {
  // sysName and sysContact have the same defaults in both (host name, root).
  const std::string ok = Both("snmpget", {"-v1"}, {".1.3.6.1.2.1.1.5.0", ".1.3.6.1.2.1.1.4.0"});
  EXPECT_NE(ok.find(".1.3.6.1.2.1.1.4.0 = STRING: "), std::string::npos) << ok;
  // A missing object, a missing instance: noSuchName, error-index at the
  // last of them (-Cf: the tool reports the error instead of retrying).
  const std::string missing =
      Both("snmpget", {"-v1", "-Cf"},
           {".1.3.6.1.2.1.1.99.0", ".1.3.6.1.2.1.1.5.0", ".1.3.6.1.2.1.1.5.1"});
  EXPECT_NE(missing.find("noSuchName"), std::string::npos) << missing;
  EXPECT_NE(missing.find("Failed object: .1.3.6.1.2.1.1.5.1"), std::string::npos) << missing;
  // Without -Cf the tool drops the failed bindings and asks again: both
  // agents end with the same surviving value.
  Both("snmpget", {"-v1"}, {".1.3.6.1.2.1.1.99.0", ".1.3.6.1.2.1.1.5.0", ".1.3.6.1.2.1.1.98.0"});
  // A Counter64 (ifHCInOctets of the loopback, ifIndex 1) cannot be carried in v1.
  const std::string counter64 = Both("snmpget", {"-v1", "-Cf"}, {".1.3.6.1.2.1.31.1.1.1.6.1"});
  EXPECT_NE(counter64.find("noSuchName"), std::string::npos) << counter64;
}

TEST_F(V1AndBulkTest, V1GetNextSkipsCounter64AndEndsWithNoSuchName) {
  // The last row of ifOutBroadcastPkts (Counter32): in v2c the next object is
  // ifHCInOctets (Counter64), in v1 the HC columns are stepped over.
  const CommandResult column =
      SnmpTool("snmpwalk", agent_->endpoint(), {}, {".1.3.6.1.2.1.31.1.1.1.5"});
  const std::vector<VarBind> rows = ParseVarBinds(column.out);
  ASSERT_FALSE(rows.empty()) << column.Describe();
  const std::string last = OidToString(rows.back().oid);
  const CommandResult v2 = SnmpTool("snmpgetnext", agent_->endpoint(), {}, {last});
  EXPECT_NE(v2.out.find("Counter64"), std::string::npos) << v2.out;
  const std::string v1 = Both("snmpgetnext", {"-v1"}, {last});
  EXPECT_EQ(v1.find("Counter64"), std::string::npos) << v1;
  EXPECT_NE(v1.find(".1.3.6.1.2.1.31.1.1.1.15."), std::string::npos) << v1;  // ifHighSpeed
  // Past the end of both MIBs.
  const std::string end = Both("snmpgetnext", {"-v1", "-Cf"}, {".1.3.6.1.9"});
  EXPECT_NE(end.find("noSuchName"), std::string::npos) << end;
}

TEST_F(V1AndBulkTest, SetIsRefusedAsSnmpdRefusesItForARoCommunity) {
  for (const char* version : {"-v1", "-v2c"}) {
    // Typed values: noAccess (v2c) / noSuchName (v1) on the first binding.
    const std::string typed =
        Both("snmpset", {version},
             {".1.3.6.1.2.1.1.4.0", "s", "operator", ".1.3.6.1.2.1.1.6.0", "s", "DC9"});
    EXPECT_NE(typed.find("Failed object: .1.3.6.1.2.1.1.4.0"), std::string::npos) << typed;
    // A NULL value: wrongType (v2c) / badValue (v1) on that binding.
    const std::string null =
        Both("snmpset", {version},
             {".1.3.6.1.2.1.1.4.0", "s", "operator", ".1.3.6.1.2.1.1.6.0", "n", "x"});
    EXPECT_NE(null.find("Failed object: .1.3.6.1.2.1.1.6.0"), std::string::npos) << null;
  }
  // Nothing was written.
  Both("snmpget", {"-v1"}, {".1.3.6.1.2.1.1.4.0", ".1.3.6.1.2.1.1.6.0"});
}

TEST_F(V1AndBulkTest, V1RepliesAreV1MessagesAndV1GetBulkIsDropped) {
  const auto reply =
      Exchange(agent_->port(),
               Request(proto::Version::kV1, proto::PduType::kGetRequest, {".1.3.6.1.2.1.1.3.0"}));
  ASSERT_TRUE(reply) << "no answer to an SNMPv1 Get";
  EXPECT_EQ(reply->version, proto::Version::kV1);
  EXPECT_EQ(reply->pdu.request_id, 7007);
  const auto theirs =
      Exchange(snmpd_->port(),
               Request(proto::Version::kV1, proto::PduType::kGetRequest, {".1.3.6.1.2.1.1.3.0"}));
  ASSERT_TRUE(theirs);
  EXPECT_EQ(theirs->version, proto::Version::kV1);

  // snmpInASNParseErrs before and after a v1 GetBulk: not an RFC 1157 PDU,
  // so no answer (snmpd 5.9 answers it anyway; docs/agent.md lists this).
  const std::optional<double> before = GetNumber(agent_->endpoint(), ".1.3.6.1.2.1.11.6.0");
  ASSERT_TRUE(before);
  EXPECT_FALSE(Exchange(
      agent_->port(),
      Request(proto::Version::kV1, proto::PduType::kGetBulkRequest, {".1.3.6.1.2.1.1"}, 0, 5),
      500ms));
  EXPECT_EQ(GetNumber(agent_->endpoint(), ".1.3.6.1.2.1.11.6.0"), *before + 1);
  // The same GetBulk in v2c is answered: the drop is about the version.
  const auto bulk = Exchange(
      agent_->port(),
      Request(proto::Version::kV2c, proto::PduType::kGetBulkRequest, {".1.3.6.1.2.1.1"}, 0, 5));
  ASSERT_TRUE(bulk);
  EXPECT_EQ(bulk->pdu.varbinds.size(), 5u);
}

// snmpbulkget -Cr1000 from columns of the process table, which has enough
// bindings on any machine: snmpd 5.9 answers at most 100 repeated bindings
// (maxGetbulkResponses), i.e. 100 / R repetitions of R repeaters, with the
// non-repeaters on top. Processes come and go between the two requests, so
// the numbers of bindings are compared, not the bindings.
TEST_F(V1AndBulkTest, GetBulkIsCappedAsSnmpdCapsIt) {
  const auto counts = [&](const std::vector<std::string>& options,
                          const std::vector<std::string>& oids) {
    const CommandResult ours = SnmpTool("snmpbulkget", agent_->endpoint(), options, oids);
    const CommandResult theirs = SnmpTool("snmpbulkget", snmpd_->endpoint(), options, oids);
    EXPECT_EQ(ours.exit_code, 0) << ours.Describe();
    EXPECT_EQ(theirs.exit_code, 0) << theirs.Describe();
    return std::make_pair(ParseVarBinds(ours.out).size(), ParseVarBinds(theirs.out).size());
  };
  const std::string name = ".1.3.6.1.2.1.25.4.2.1.2";
  const std::string path = ".1.3.6.1.2.1.25.4.2.1.4";
  const std::string status = ".1.3.6.1.2.1.25.4.2.1.7";
  using Counts = std::pair<std::size_t, std::size_t>;
  EXPECT_EQ(counts({"-Cr1000"}, {name}), Counts(100, 100));
  EXPECT_EQ(counts({"-Cr1000"}, {name, path, status}), Counts(99, 99));
  EXPECT_EQ(
      counts({"-Cn2", "-Cr1000"}, {".1.3.6.1.2.1.1.1", ".1.3.6.1.2.1.1.5", name, path, status}),
      Counts(2 + 99, 2 + 99));
  std::vector<std::string> many = {".1.3.6.1.2.1.1.5"};
  for (int i = 0; i < 101; ++i) many.push_back(name);
  EXPECT_EQ(counts({"-Cn1", "-Cr1000"}, many), Counts(1, 1));
  EXPECT_EQ(counts({"-Cr10"}, {name}), Counts(10, 10));

  // hrSWRunPath is up to 128 octets a row: with the old cap of 1000
  // repetitions the answer grew to tens of KB (IP fragments); now at most 100
  // rows.
  const CommandResult dump = SnmpTool("snmpbulkget", agent_->endpoint(), {"-Cr1000", "-d"}, {path});
  const std::string text = dump.out + dump.err;
  const std::size_t received = text.find("Received ");
  ASSERT_NE(received, std::string::npos) << dump.Describe();
  EXPECT_LT(std::stoul(text.substr(received + 9)), 100u * (128 + 40)) << text.substr(received, 80);
}

TEST(GetBulkLimitConfig, MaxGetbulkResponsesAndRepeatsChangeTheCap) {
  std::string error;
  auto agent = AgentProcess::Start({.config_yaml = "max_getbulk_responses: 30\n"}, error);
  ASSERT_NE(agent, nullptr) << error;
  const CommandResult thirty =
      SnmpTool("snmpbulkget", agent->endpoint(), {"-Cr1000"}, {".1.3.6.1.2.1.2.2.1"});
  EXPECT_EQ(ParseVarBinds(thirty.out).size(), 30u) << thirty.Describe();
  const CommandResult two = SnmpTool("snmpbulkget", agent->endpoint(), {"-Cr1000"},
                                     {".1.3.6.1.2.1.2.2.1.1", ".1.3.6.1.2.1.2.2.1.2"});
  EXPECT_EQ(ParseVarBinds(two.out).size(), 30u) << two.Describe();

  auto repeats = AgentProcess::Start({.config_yaml = "max_getbulk_repeats: 7\n"}, error);
  ASSERT_NE(repeats, nullptr) << error;
  const CommandResult seven = SnmpTool("snmpbulkget", repeats->endpoint(), {"-Cr1000"},
                                       {".1.3.6.1.2.1.2.2.1.1", ".1.3.6.1.2.1.2.2.1.2"});
  EXPECT_EQ(ParseVarBinds(seven.out).size(), 14u) << seven.Describe();
}

}  // namespace
}  // namespace mimamori::testing
