// Syslog parsing with lines recorded from real senders, the TCP framer, the
// trap decoder, message rules, the message board and the message monitor
// through the state tracker, and the inventory's messages section.
#include <gtest/gtest.h>

#include <string>

#include "collector/core/state_tracker.h"
#include "collector/inventory/inventory_loader.h"
#include "collector/messages/message_board.h"
#include "collector/messages/message_intake.h"
#include "collector/messages/message_rules.h"
#include "collector/messages/syslog_parser.h"
#include "collector/messages/trap_decoder.h"
#include "collector/monitors/backup_monitor.h"
#include "collector/monitors/message_monitor.h"
#include "collector/monitors/registry.h"
#include "collector/net/http_client.h"
#include "collector/net/pinger.h"
#include "collector/net/snmp_client.h"
#include "mimamori/proto/ber.h"

namespace mimamori::collector {
namespace {

using namespace std::chrono_literals;

SyslogMessage Parsed(std::string_view line) {
  SyslogMessage m;
  EXPECT_EQ(ParseSyslog(line, m), SyslogError::kNone) << line;
  return m;
}

// ESXi 7/8 (vmsyslogd), RFC 5424 with the host's FQDN.
TEST(SyslogParser, Esxi5424HostdLine) {
  const auto m = Parsed(
      "<163>1 2024-01-15T10:23:45.123Z esx01.example.lg.jp Hostd - - - Hostd: error "
      "hostd[2099359] [Originator@6876 sub=Vimsvc.ha-eventmgr] Event 1234 : Issue detected on "
      "esx01 in ha-datacenter: Lost access to volume\n");
  EXPECT_TRUE(m.rfc5424);
  EXPECT_EQ(m.facility, 20);  // local4
  EXPECT_EQ(m.severity, 3);
  EXPECT_EQ(m.hostname, "esx01.example.lg.jp");
  EXPECT_EQ(m.program, "Hostd");
  EXPECT_EQ(m.timestamp, "2024-01-15T10:23:45.123Z");
  EXPECT_EQ(m.text.substr(0, 13), "Hostd: error ");
}

// ESXi 6.x: 3164 framing with an ISO time stamp.
TEST(SyslogParser, Esxi6VmkernelLine) {
  const auto m = Parsed(
      "<166>2019-03-01T01:02:03.456Z esx02 vmkernel: cpu3:2097624)WARNING: NMP: "
      "nmp_DeviceRequestFastDeviceProbe:237: NMP device \"naa.600\" state in doubt");
  EXPECT_FALSE(m.rfc5424);
  EXPECT_EQ(m.severity, 6);
  EXPECT_EQ(m.hostname, "esx02");
  EXPECT_EQ(m.program, "vmkernel");
  EXPECT_EQ(m.text.substr(0, 25), "cpu3:2097624)WARNING: NMP");
}

TEST(SyslogParser, CiscoIosWithSequenceNumberAndNoHost) {
  const auto m = Parsed(
      "<187>123: *Mar  1 00:01:02.345: %LINK-3-UPDOWN: Interface GigabitEthernet0/1, changed "
      "state to down");
  EXPECT_EQ(m.facility, 23);  // local7
  EXPECT_EQ(m.severity, 3);
  EXPECT_EQ(m.timestamp, "Mar  1 00:01:02.345");
  EXPECT_EQ(m.program, "LINK-3-UPDOWN");
  EXPECT_EQ(m.text, "Interface GigabitEthernet0/1, changed state to down");
}

// What util-linux logger --rfc3164 sends.
TEST(SyslogParser, Bsd3164WithHostAndPid) {
  const auto m = Parsed("<13>Dec  3 09:20:04 web01 batch[4242]: job 7 finished");
  EXPECT_EQ(m.facility, 1);
  EXPECT_EQ(m.severity, 5);
  EXPECT_EQ(m.hostname, "web01");
  EXPECT_EQ(m.program, "batch");
  EXPECT_EQ(m.text, "job 7 finished");
}

TEST(SyslogParser, StructuredDataWithEscapesAndBom) {
  const auto m = Parsed(
      "<14>1 2026-12-03T09:20:04.1+09:00 h app 42 ID7 [x@1 a=\"q\\\"]\"][y@2 b=\"\"] "
      "\xEF\xBB\xBFtext");
  EXPECT_EQ(m.program, "app");
  EXPECT_EQ(m.text, "text");
}

TEST(SyslogParser, Nilvalues) {
  const auto m = Parsed("<14>1 - - - - - -");
  EXPECT_EQ(m.hostname, "");
  EXPECT_EQ(m.program, "");
  EXPECT_EQ(m.text, "");
}

TEST(SyslogParser, BadInputIsAnErrorNotACrash) {
  SyslogMessage m;
  EXPECT_EQ(ParseSyslog("", m), SyslogError::kEmpty);
  EXPECT_EQ(ParseSyslog("\n", m), SyslogError::kEmpty);
  EXPECT_EQ(ParseSyslog("hello", m), SyslogError::kNoPriority);
  EXPECT_EQ(ParseSyslog("<13", m), SyslogError::kBadPriority);
  EXPECT_EQ(ParseSyslog("<>x", m), SyslogError::kBadPriority);
  EXPECT_EQ(ParseSyslog("<192>x", m), SyslogError::kBadPriority);
  EXPECT_EQ(ParseSyslog("<1234>x", m), SyslogError::kBadPriority);
  EXPECT_EQ(ParseSyslog("<13>x \xff\xfe", m), SyslogError::kNotUtf8);
  EXPECT_EQ(ParseSyslog("<13>1 2024-01-01T00:00:00Z host", m), SyslogError::kTruncated);
  EXPECT_EQ(ParseSyslog("<13>1 a b c d e [unterminated", m), SyslogError::kTruncated);
  EXPECT_EQ(ParseSyslog("<13>1 a b c d e x", m), SyslogError::kTruncated);
}

TEST(SyslogStreamFramer, OctetCountingAndNewlineFramingAcrossReads) {
  SyslogStreamFramer framer(100);
  EXPECT_TRUE(framer.Feed("15 <13>hello w").empty());
  auto b = framer.Feed("orld\n<14>second\n<15>th");
  ASSERT_EQ(b.size(), 2u);
  EXPECT_EQ(b[0], "<13>hello world");
  EXPECT_EQ(b[1], "<14>second");
  auto c = framer.Feed("ird\n");
  ASSERT_EQ(c.size(), 1u);
  EXPECT_EQ(c[0], "<15>third");
  EXPECT_TRUE(framer.Feed("<16>last, no newline").empty());
  EXPECT_EQ(framer.Finish(), "<16>last, no newline");
}

TEST(SyslogStreamFramer, OversizeFramesAreSkippedAndCounted) {
  SyslogStreamFramer framer(10);
  auto out = framer.Feed("22 <13>0123456789abcdefgh5 <13>a");
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0], "<13>a");
  EXPECT_EQ(framer.oversize(), 1u);
  out = framer.Feed(std::string(50, 'x'));
  EXPECT_TRUE(out.empty());
  out = framer.Feed("yy\n<13>b\n");
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0], "<13>b");
  EXPECT_EQ(framer.oversize(), 2u);
  EXPECT_EQ(framer.Feed("99999999999 x\n").size(), 0u);
  EXPECT_EQ(framer.malformed(), 1u);
}

proto::Message Notification(proto::PduType type, const std::string& community,
                            const proto::Oid& trap) {
  proto::Message m;
  m.community = community;
  m.pdu.type = type;
  m.pdu.request_id = 77;
  m.pdu.varbinds = {
      {proto::Oid{1, 3, 6, 1, 2, 1, 1, 3, 0}, proto::Value::TimeTicks(100)},
      {proto::Oid{1, 3, 6, 1, 6, 3, 1, 1, 4, 1, 0}, proto::Value::ObjectId(trap)},
      {proto::Oid{1, 3, 6, 1, 2, 1, 2, 2, 1, 2, 3}, proto::Value::OctetString("vmnic1")},
      {proto::Oid{1, 3, 6, 1, 2, 1, 4, 20, 1, 1},
       proto::Value::IpAddress(std::string("\xC0\x00\x02\x01", 4))}};
  return m;
}

const proto::Oid kLinkDown{1, 3, 6, 1, 6, 3, 1, 1, 5, 3};

TEST(TrapDecoder, InformIsDecodedAndItsResponseEchoesTheRequest) {
  const auto wire =
      proto::EncodeMessage(Notification(proto::PduType::kInformRequest, "c", kLinkDown));
  TrapMessage trap;
  proto::Message raw;
  ASSERT_EQ(DecodeTrap(wire, trap, raw), TrapError::kNone);
  EXPECT_TRUE(trap.inform);
  EXPECT_EQ(trap.trap_oid, ".1.3.6.1.6.3.1.1.5.3");
  ASSERT_EQ(trap.varbinds.size(), 2u);
  EXPECT_EQ(trap.varbinds[0].second, "vmnic1");
  EXPECT_EQ(trap.varbinds[1].second, "192.0.2.1");
  proto::Message response;
  ASSERT_EQ(proto::DecodeMessage(InformResponse(raw), response), proto::DecodeError::kNone);
  EXPECT_EQ(response.pdu.type, proto::PduType::kResponse);
  EXPECT_EQ(response.pdu.request_id, 77);
  EXPECT_EQ(response.pdu.varbinds, raw.pdu.varbinds);
}

TEST(TrapDecoder, RejectsWhatIsNotAV2Notification) {
  TrapMessage trap;
  proto::Message raw;
  const std::uint8_t garbage[] = {0x30, 0x03, 0x02, 0x01};
  EXPECT_EQ(DecodeTrap(garbage, trap, raw), TrapError::kBer);
  auto get = Notification(proto::PduType::kGetRequest, "c", kLinkDown);
  EXPECT_EQ(DecodeTrap(proto::EncodeMessage(get), trap, raw), TrapError::kNotATrap);
  auto v1 = Notification(proto::PduType::kSnmpV2Trap, "c", kLinkDown);
  v1.version = proto::Version::kV1;
  EXPECT_EQ(DecodeTrap(proto::EncodeMessage(v1), trap, raw), TrapError::kNotV2c);
  auto no_oid = Notification(proto::PduType::kSnmpV2Trap, "c", kLinkDown);
  no_oid.pdu.varbinds.erase(no_oid.pdu.varbinds.begin() + 1);
  EXPECT_EQ(DecodeTrap(proto::EncodeMessage(no_oid), trap, raw), TrapError::kNoTrapOid);
}

constexpr char kInventory[] = R"(
messages:
  syslog: {udp: "127.0.0.1:0", tcp: off}
  traps: {udp: "127.0.0.1:0", community: trapcomm}
  auto_clear: 10m
  rules:
    - name: hostd-error
      kinds: [esxi-host]
      program: Hostd
      severity: error
      text: "(?i)lost access to volume"
      recovered: {program: Hostd, text: "(?i)successfully restored access"}
    - name: vmkernel-warning
      kinds: [esxi-host]
      program: vmkernel
      text: "WARNING"
      status: warning
    - name: link-down
      nodes: [sw01]
      trap: 1.3.6.1.6.3.1.1.5.3
      varbinds: {1.3.6.1.2.1.2.2.1.2: "^vmnic"}
      recovered: {trap: 1.3.6.1.6.3.1.1.5.4}
nodes:
  - name: esx01
    address: 192.0.2.10
    kind: esxi-host
    syslog: {silence_limit: 24h}
  - name: sw01
    address: 192.0.2.20
    kind: network
    messages:
      - {name: fan, facility: [local7], text: "FAN"}
  - name: web01
    address: 192.0.2.30
)";

std::shared_ptr<const Inventory> Load(const std::string& text) {
  std::vector<ConfigError> errors;
  auto inventory = ParseInventory(text, "inventory.yaml", errors);
  std::string all;
  for (const auto& e : errors) all += e.ToString() + "\n";
  EXPECT_TRUE(inventory) << all;
  if (!inventory) return nullptr;
  return std::make_shared<const Inventory>(std::move(*inventory));
}

std::string FirstError(const std::string& text) {
  std::vector<ConfigError> errors;
  auto inventory = ParseInventory(text, "inventory.yaml", errors);
  return errors.empty() ? "" : errors.front().ToString();
}

TEST(MessageInventory, RulesAndReceiversAreRead) {
  auto inventory = Load(kInventory);
  ASSERT_TRUE(inventory);
  const MessageSettings& m = inventory->messages;
  EXPECT_TRUE(m.enabled);
  EXPECT_EQ(m.syslog_udp, "127.0.0.1:0");
  EXPECT_EQ(m.syslog_tcp, "");
  EXPECT_EQ(m.trap_community, "trapcomm");
  EXPECT_EQ(m.auto_clear, 600s);
  ASSERT_EQ(m.rules.size(), 3u);
  EXPECT_EQ(m.rules[0].match.severity, 3);
  EXPECT_EQ(m.rules[2].match.trap, ".1.3.6.1.6.3.1.1.5.3");
  EXPECT_EQ(inventory->nodes[0].syslog_silence_limit, 24h);
  ASSERT_EQ(inventory->nodes[1].message_rules.size(), 1u);
  EXPECT_EQ(inventory->nodes[1].message_rules[0].match.facilities, std::vector<int>{23});
}

TEST(MessageInventory, ErrorsNameFileLineAndField) {
  const std::string head = "messages:\n  syslog: {udp: \"127.0.0.1:0\"}\n  rules:\n";
  EXPECT_EQ(FirstError(head + "    - {name: a, kinds: [vm], text: \"err(or\"}\n"),
            "inventory.yaml:4:36: messages.rules[0].text: 'err(or' is not a valid regular "
            "expression: missing ): err(or");
  EXPECT_EQ(FirstError(head + "    - {name: a, kinds: [vm], severity: loud}\n"),
            "inventory.yaml:4:40: messages.rules[0].severity: expected one of emerg, alert, "
            "crit, error, err, warning, notice, info, debug, got 'loud'");
  EXPECT_EQ(FirstError(head + "    - {name: a, kinds: [vm]}\n"),
            "inventory.yaml:4:7: messages.rules[0]: give at least one of facility, severity, "
            "program, text, trap, varbinds");
  EXPECT_EQ(FirstError(head + "    - {name: a, text: x}\n"),
            "inventory.yaml:4:7: messages.rules[0]: give kinds or nodes: the nodes this rule "
            "applies to");
  EXPECT_EQ(FirstError(head + "    - {name: a, kinds: [vm], trap: 1.3.6.1.6.3.1.1.5.3}\n"),
            "inventory.yaml:4:7: messages.rules[0]: rule 'a' matches traps but messages.traps is "
            "not set");
  EXPECT_EQ(FirstError(head + "    - {name: a, nodes: [nosuch], text: x}\n"),
            "inventory.yaml:4:25: messages.rules[0].nodes[0]: no node named 'nosuch' in nodes");
  EXPECT_EQ(FirstError(head + "    - {name: a, kinds: [vm], text: x, status: fatal}\n"),
            "inventory.yaml:4:47: messages.rules[0].status: expected one of warning, critical, "
            "got 'fatal'");
  EXPECT_EQ(FirstError("messages:\n  syslog: {udp: \"localhost:514\"}\n"),
            "inventory.yaml:2:17: messages.syslog.udp: expected an IP address and port such as "
            "0.0.0.0:514, got 'localhost:514'");
  EXPECT_EQ(FirstError("nodes:\n  - {name: a, address: 10.0.0.1, syslog: {silence_limit: 1h}}\n"),
            "inventory.yaml:2:58: nodes[0].syslog.silence_limit: no syslog receiver: give "
            "messages.syslog (before the nodes)");
}

TEST(MessageInventory, NoMessagesSectionMeansNothingListensAndNothingIsCounted) {
  auto inventory = Load("nodes:\n  - {name: a, address: 10.0.0.1}\n");
  ASSERT_TRUE(inventory);
  EXPECT_FALSE(inventory->messages.enabled);
  EXPECT_FALSE(inventory->messages.SyslogOn());
  EXPECT_EQ(CountChecks(*inventory), 3u);  // ping, resource and time
}

TEST(MessageMonitorCount, RulesThatRunAndTheSilenceCheckAreCounted) {
  auto inventory = Load(kInventory);
  ASSERT_TRUE(inventory);
  // esx01: ping, resource, time, hardware, 2 rules + silence; sw01: ping,
  // link-down, fan; web01: ping, resource, time.
  EXPECT_EQ(ChecksOf(inventory->nodes[0], *inventory), 7u);
  EXPECT_EQ(ChecksOf(inventory->nodes[1], *inventory), 3u);
  EXPECT_EQ(ChecksOf(inventory->nodes[2], *inventory), 3u);
}

class MessageFlow : public ::testing::Test {
 protected:
  void SetUp() override {
    inventory_ = Load(kInventory);
    ASSERT_TRUE(inventory_);
    intake_.SetRules(MessageRules::Build(inventory_));
  }
  std::vector<CheckResult> Check(const std::string& node) {
    const Node* n = inventory_->FindNode(node);
    CheckReport report;
    services_.messages = &board_;
    for (auto& monitor : MakeMessageMonitors(*n, *inventory_, services_)) {
      monitor->Start([&](CheckReport r) { report = std::move(r); });
      tracker_.Apply(node, "message", monitor->FailureThreshold(), report.results, clock_.Now());
    }
    return report.results;
  }
  std::vector<StateChange> Changes() { return events_.Drain(); }

  ManualClock clock_{TimePoint{} + std::chrono::hours(24 * 20000)};
  std::shared_ptr<const Inventory> inventory_;
  MessageBoard board_{clock_.Now()};
  MessageIntake intake_{board_, clock_, nullptr};
  EventQueue events_;
  StateTracker tracker_{events_};
  // Engines the message monitor never uses.
  struct NotUsed final : Pinger, SnmpClient, HttpClient, TcpProbe {
    void Ping(const std::string&, const PingSettings&, std::function<void(PingOutcome)>) override {
      ADD_FAILURE();
    }
    void Get(const SnmpTarget&, std::vector<proto::Oid>, std::function<void(SnmpResult)>) override {
      ADD_FAILURE();
    }
    void Walk(const SnmpTarget&, std::vector<proto::Oid>,
              std::function<void(SnmpResult)>) override {
      ADD_FAILURE();
    }
    void Get(const std::string&, std::chrono::milliseconds,
             std::function<void(HttpResponse)>) override {
      ADD_FAILURE();
    }
    void Connect(const std::string&, std::uint16_t, std::chrono::milliseconds,
                 std::function<void(TcpProbeResult)>) override {
      ADD_FAILURE();
    }
  } engines_;
  MonitorServices services_{engines_, engines_, engines_, engines_, clock_};
};

TEST_F(MessageFlow, SyslogErrorOpensAndRecoveredMessageCloses) {
  EXPECT_EQ(Check("esx01").size(), 3u);
  EXPECT_TRUE(Changes().empty());
  intake_.Syslog(kSyslogUdp, "192.0.2.10",
                 "<163>1 2024-01-15T10:23:45Z esx01 Hostd - - - Lost access to volume "
                 "datastore1 due to connectivity issues");
  Check("esx01");
  auto changes = Changes();
  ASSERT_EQ(changes.size(), 1u);
  EXPECT_EQ(changes[0].monitor, "message:hostd-error");
  EXPECT_EQ(changes[0].to, Status::kCritical);
  EXPECT_NE(changes[0].reason.find("Lost access to volume datastore1"), std::string::npos)
      << changes[0].reason;
  intake_.Syslog(kSyslogUdp, "192.0.2.10",
                 "<166>1 2024-01-15T10:25:00Z esx01 Hostd - - - Successfully restored access to "
                 "volume datastore1");
  Check("esx01");
  changes = Changes();
  ASSERT_EQ(changes.size(), 1u);
  EXPECT_EQ(changes[0].to, Status::kOk);
  EXPECT_EQ(intake_.stats().changes, 2u);
}

TEST_F(MessageFlow, AFailureAndItsRecoveryBetweenTwoChecksAreBothReported) {
  intake_.Syslog(kSyslogUdp, "192.0.2.10", "<163>1 - esx01 Hostd - - - Lost access to volume x");
  intake_.Syslog(kSyslogUdp, "192.0.2.10",
                 "<163>1 - esx01 Hostd - - - Successfully restored access to volume x");
  Check("esx01");
  auto changes = Changes();
  ASSERT_EQ(changes.size(), 2u);
  EXPECT_EQ(changes[0].to, Status::kCritical);
  EXPECT_EQ(changes[1].to, Status::kOk);
}

TEST_F(MessageFlow, WithoutARecoveredMessageTheRuleClearsAfterAutoClear) {
  intake_.Syslog(kSyslogUdp, "192.0.2.10",
                 "<166>2019-03-01T01:02:03Z esx01 vmkernel: cpu3:1)WARNING: NMP: state in doubt");
  Check("esx01");
  auto changes = Changes();
  ASSERT_EQ(changes.size(), 1u);
  EXPECT_EQ(changes[0].to, Status::kWarning);
  clock_.Advance(9min);
  Check("esx01");
  EXPECT_TRUE(Changes().empty());
  clock_.Advance(1min);
  Check("esx01");
  changes = Changes();
  ASSERT_EQ(changes.size(), 1u);
  EXPECT_EQ(changes[0].to, Status::kOk);
  EXPECT_NE(changes[0].reason.find("cleared automatically"), std::string::npos);
}

TEST_F(MessageFlow, TrapRuleWithVarbindMatchAndRecoveryTrap) {
  auto link_down = Notification(proto::PduType::kSnmpV2Trap, "trapcomm", kLinkDown);
  EXPECT_TRUE(intake_.Trap("192.0.2.20", proto::EncodeMessage(link_down)).empty());
  Check("sw01");
  auto changes = Changes();
  ASSERT_EQ(changes.size(), 1u);
  EXPECT_EQ(changes[0].monitor, "message:link-down");
  EXPECT_EQ(changes[0].to, Status::kCritical);
  auto link_up = Notification(proto::PduType::kInformRequest, "trapcomm",
                              proto::Oid{1, 3, 6, 1, 6, 3, 1, 1, 5, 4});
  EXPECT_FALSE(intake_.Trap("192.0.2.20", proto::EncodeMessage(link_up)).empty());
  Check("sw01");
  changes = Changes();
  ASSERT_EQ(changes.size(), 1u);
  EXPECT_EQ(changes[0].to, Status::kOk);
}

TEST_F(MessageFlow, WrongCommunityUnknownSourceAndGarbageAreCountedAndDropped) {
  auto trap = Notification(proto::PduType::kInformRequest, "wrong", kLinkDown);
  EXPECT_TRUE(intake_.Trap("192.0.2.20", proto::EncodeMessage(trap)).empty());
  intake_.Syslog(kSyslogUdp, "198.51.100.1", "<163>1 - x Hostd - - - Lost access to volume");
  intake_.Syslog(kSyslogUdp, "192.0.2.10", "\x01\x02garbage");
  intake_.Syslog(kSyslogUdp, "192.0.2.10", "<163>\xc0\xafoverlong");
  intake_.Syslog(kSyslogUdp, "192.0.2.10", std::string(9000, 'x'));
  EXPECT_EQ(intake_.stats().dropped, 5u);
  EXPECT_EQ(intake_.stats().matched, 0u);
  Check("esx01");
  Check("sw01");
  EXPECT_TRUE(Changes().empty());
}

TEST_F(MessageFlow, AFloodIsRateLimitedButNoStateChangeIsLost) {
  const std::string noise = "<14>1 - esx01 Hostd - - - all is well";
  for (int i = 0; i < 5000; ++i) intake_.Syslog(kSyslogUdp, "192.0.2.10", noise);
  EXPECT_GT(intake_.stats().rate_limited, 2000u);
  intake_.Syslog(kSyslogUdp, "192.0.2.10", "<163>1 - esx01 Hostd - - - Lost access to volume y");
  Check("esx01");
  auto changes = Changes();
  ASSERT_EQ(changes.size(), 1u);
  EXPECT_EQ(changes[0].to, Status::kCritical);
}

TEST_F(MessageFlow, SilenceIsAFailureAfterTheLimit) {
  auto silence = [&] {
    for (const auto& r : Check("esx01")) {
      if (r.monitor == "message:silence") return r;
    }
    return CheckResult{};
  };
  EXPECT_EQ(silence().status, Status::kOk);
  clock_.Advance(24h);
  EXPECT_EQ(silence().status, Status::kCritical);
  EXPECT_NE(silence().reason.find("no syslog message for 24h"), std::string::npos);
  intake_.Syslog(kSyslogUdp, "192.0.2.10", "<14>1 - esx01 sshd - - - hello");
  EXPECT_EQ(silence().status, Status::kOk);
}

// A backup product's messages (rules with `records`) are recorded for the
// backup job that names them: no message monitor, no state change of the
// kind "message", only their last match on the board.
constexpr char kBackupInventory[] = R"(
messages:
  syslog: {udp: "127.0.0.1:0", tcp: off}
  traps: {udp: "127.0.0.1:0", community: trapcomm}
  rules:
    - {name: veeam-failed, kinds: [vm], program: Veeam_MP, text: "finished with Failed", records: failure}
    - {name: tape-ok, nodes: [backup01], trap: 1.3.6.1.4.1.99999.0.1, records: success}
nodes:
  - name: backup01
    address: 192.0.2.40
    resource: false
    messages:
      - {name: veeam-ok, program: Veeam_MP, text: "finished with Success", records: success}
      - {name: disk-error, text: "I/O error"}
    backups:
      - {name: nightly, message: veeam-ok, failure: veeam-failed, before: "06:00"}
      - {name: tape, message: tape-ok, before: "08:00"}
)";

TEST_F(MessageFlow, BackupSuccessAndFailureMessagesOnlyRecordTheirLastMatch) {
  inventory_ = Load(kBackupInventory);
  ASSERT_TRUE(inventory_);
  intake_.SetRules(MessageRules::Build(inventory_));
  const Node& node = *inventory_->FindNode("backup01");
  auto backup = [&] {
    CheckReport report;
    services_.messages = &board_;
    auto monitors = MakeBackupMonitors(node, *inventory_, services_);
    EXPECT_EQ(monitors.size(), 1u);
    if (!monitors.empty()) monitors[0]->Start([&](CheckReport r) { report = std::move(r); });
    return report.results.empty() ? CheckResult{} : report.results[0];
  };
  // Only disk-error is a message check of its own.
  std::vector<CheckResult> results = Check("backup01");
  ASSERT_EQ(results.size(), 1u);
  EXPECT_EQ(results[0].monitor, "message:disk-error");
  // The collector started at 09:00 Tokyo, after that day's 06:00 deadline.
  EXPECT_EQ(backup().status, Status::kUnknown);

  clock_.Advance(1h);
  intake_.Syslog(kSyslogUdp, "192.0.2.40",
                 "<14>1 - backup01 Veeam_MP - - - Job nightly finished with Success");
  EXPECT_EQ(intake_.stats().matched, 1u);
  EXPECT_EQ(intake_.stats().changes, 0u);
  const auto recorded = board_.LastRecorded("backup01", "veeam-ok");
  ASSERT_TRUE(recorded);
  EXPECT_EQ(recorded->at, clock_.Now());
  EXPECT_EQ(recorded->reason, "syslog from backup01 Veeam_MP: Job nightly finished with Success");
  EXPECT_EQ(Check("backup01").size(), 1u);
  CheckResult r = backup();
  EXPECT_EQ(r.status, Status::kOk) << r.reason;

  clock_.Advance(30min);
  intake_.Syslog(kSyslogUdp, "192.0.2.40",
                 "<11>1 - backup01 Veeam_MP - - - Job nightly finished with Failed");
  results = Check("backup01");
  ASSERT_EQ(results.size(), 1u);
  EXPECT_EQ(results[0].status, Status::kOk);
  EXPECT_TRUE(Changes().empty());  // no message incident
  r = backup();
  EXPECT_EQ(r.status, Status::kCritical);
  EXPECT_NE(r.reason.find("failure message (veeam-failed) at "), std::string::npos) << r.reason;
  EXPECT_NE(r.reason.find("Job nightly finished with Failed"), std::string::npos) << r.reason;

  clock_.Advance(10min);
  intake_.Syslog(kSyslogUdp, "192.0.2.40",
                 "<14>1 - backup01 Veeam_MP - - - Job nightly finished with Success");
  EXPECT_EQ(backup().status, Status::kOk);
}

TEST_F(MessageFlow, ABackupProductsTrapIsRecordedToo) {
  inventory_ = Load(kBackupInventory);
  ASSERT_TRUE(inventory_);
  intake_.SetRules(MessageRules::Build(inventory_));
  auto done = Notification(proto::PduType::kSnmpV2Trap, "trapcomm",
                           proto::Oid{1, 3, 6, 1, 4, 1, 99999, 0, 1});
  EXPECT_TRUE(intake_.Trap("192.0.2.40", proto::EncodeMessage(done)).empty());
  const auto recorded = board_.LastRecorded("backup01", "tape-ok");
  ASSERT_TRUE(recorded);
  EXPECT_NE(recorded->reason.find("trap from backup01: .1.3.6.1.4.1.99999.0.1"), std::string::npos)
      << recorded->reason;
  EXPECT_EQ(intake_.stats().changes, 0u);
}

TEST_F(MessageFlow, BackupMessagesAreRecordedEvenOverTheRate) {
  inventory_ = Load(kBackupInventory);
  ASSERT_TRUE(inventory_);
  intake_.SetRules(MessageRules::Build(inventory_));
  for (int i = 0; i < 5000; ++i) {
    intake_.Syslog(kSyslogUdp, "192.0.2.40", "<14>1 - backup01 Veeam_MP - - - still copying");
  }
  EXPECT_GT(intake_.stats().rate_limited, 2000u);
  intake_.Syslog(kSyslogUdp, "192.0.2.40",
                 "<14>1 - backup01 Veeam_MP - - - Job nightly finished with Success");
  EXPECT_TRUE(board_.LastRecorded("backup01", "veeam-ok"));
}

}  // namespace
}  // namespace mimamori::collector
