// The Windows service monitor through the real engines (CurlHttpClient,
// NetSnmpClient) against real peers on 127.0.0.1:
//  - wsman_server.py, a WinRM listener answering MS-WSMV XML shaped like a
//    Windows Server's (Get responses, faults, 401, slow answers, garbage),
//    over HTTP and over HTTPS with a throwaway certificate made by openssl;
//  - Debian's pywinrm talking to the same listener, so that the wire format
//    is not only our own reading of it;
//  - Debian's snmpd serving mimamoriServiceTable through a pass_persist
//    script reading the same service table, for `via: snmp`.
// Ports are ephemeral (the listener binds port 0 and prints it); every wait
// is bounded and waits for a condition.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <chrono>
#include <filesystem>
#include <future>
#include <map>
#include <memory>
#include <optional>
#include <regex>
#include <sstream>
#include <string>
#include <vector>

#include "collector/monitors/service_monitor.h"
#include "collector/net/curl_http_client.h"
#include "collector/net/http_client.h"
#include "collector/net/netsnmp_client.h"
#include "collector/net/pinger.h"
#include "tests/integration/agent_process.h"

namespace mimamori::collector {
namespace {

using namespace std::chrono_literals;
using mimamori::testing::ChildProcess;
using mimamori::testing::CommandResult;
using mimamori::testing::FindPython;
using mimamori::testing::ReadFile;
using mimamori::testing::RunCommand;
using mimamori::testing::TempDir;
using mimamori::testing::WaitFor;
namespace fs = std::filesystem;

constexpr const char* kPassword = "pa$$ w0rd<&>";

fs::path Script(const std::string& name) {
  return fs::path(MIMAMORI_SOURCE_DIR) / "tests" / "integration" / name;
}

// The services every test serves; the same JSON feeds the SNMP table.
constexpr const char* kServices = R"({"user": "monitor", "password": "pa$$ w0rd<&>",
 "services": {
  "W3SVC": {"state": "Running", "start_mode": "Auto", "display_name": "World Wide Web Publishing Service"},
  "MSSQLSERVER": {"state": "Stopped", "start_mode": "Auto"},
  "Spooler": {"state": "Paused", "start_mode": "Manual"},
  "wuauserv": {"state": "Stop Pending", "start_mode": "Disabled"},
  "SLOW": {"state": "Running", "delay": 2.0},
  "GARBAGE": {"behavior": "garbage"},
  "DENIED": {"behavior": "access_denied"},
  "OOPS": {"behavior": "http500"}}})";

/// wsman_server.py on 127.0.0.1:<ephemeral>.
class WsmanServer {
 public:
  WsmanServer(const std::string& python, std::vector<std::string> options = {}) {
    const fs::path config = dir_.Write("services.json", kServices);
    ChildProcess::Options spawn;
    spawn.argv = {python,     Script("wsman_server.py").string(),       "--config", config.string(),
                  "--record", (dir_.path() / "requests.jsonl").string()};
    spawn.argv.insert(spawn.argv.end(), options.begin(), options.end());
    spawn.stdout_path = dir_.path() / "port";
    spawn.stderr_path = dir_.path() / "server.log";
    std::optional<ChildProcess> child = ChildProcess::Spawn(spawn, error_);
    if (!child) return;
    child_ = std::move(*child);
    std::smatch match;
    std::string text;
    const std::regex listening("listening on ([0-9]+)\n");
    WaitFor(
        [&] {
          text = ReadFile(dir_.path() / "port");
          return std::regex_search(text, match, listening) || !child_.Running();
        },
        20s, 20ms);
    if (std::regex_search(text, match, listening)) {
      port_ = static_cast<std::uint16_t>(std::stoi(match[1]));
    } else {
      error_ = "wsman_server.py did not start: " + ReadFile(dir_.path() / "server.log");
    }
  }
  std::uint16_t port() const { return port_; }
  const std::string& error() const { return error_; }
  const TempDir& dir() const { return dir_; }

  /// The requests the listener parsed, each as key -> value.
  std::vector<std::map<std::string, std::string>> Records(const std::string& python) const {
    const CommandResult printed =
        RunCommand({python, Script("wsman_server.py").string(), "--print-records",
                    (dir_.path() / "requests.jsonl").string()},
                   30s);
    std::vector<std::map<std::string, std::string>> records;
    std::istringstream lines(printed.out);
    std::string line;
    while (std::getline(lines, line)) {
      const std::size_t a = line.find(' '), b = line.find(' ', a + 1);
      if (a == std::string::npos || b == std::string::npos) continue;
      const std::size_t n = std::stoul(line.substr(0, a));
      if (records.size() <= n) records.resize(n + 1);
      records[n][line.substr(a + 1, b - a - 1)] = line.substr(b + 1);
    }
    return records;
  }

 private:
  TempDir dir_;
  ChildProcess child_;
  std::uint16_t port_ = 0;
  std::string error_;
};

/// A TCP port on 127.0.0.1 that refuses connections: bound to port 0, read
/// back, closed (nothing listens there afterwards).
std::uint16_t ClosedTcpPort() {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t length = sizeof address;
  std::uint16_t port = 0;
  if (::bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) == 0 &&
      ::getsockname(fd, reinterpret_cast<sockaddr*>(&address), &length) == 0) {
    port = ntohs(address.sin_port);
  }
  ::close(fd);
  return port;
}

class UnusedPinger final : public Pinger {
 public:
  void Ping(const std::string&, const PingSettings&, std::function<void(PingOutcome)>) override {
    ADD_FAILURE() << "the service monitor must not ping";
  }
};
class UnusedTcp final : public TcpProbe {
 public:
  void Connect(const std::string&, std::uint16_t, std::chrono::milliseconds,
               std::function<void(TcpProbeResult)>) override {
    ADD_FAILURE() << "the service monitor must not probe TCP";
  }
};

class ServiceMonitorIntegration : public ::testing::Test {
 protected:
  void SetUp() override {
    python_ = FindPython("http.server, ssl, json");
    if (!python_) GTEST_SKIP() << "no python3 (Debian package python3)";
    setenv("MIMAMORI_IT_WINRM_PASSWORD", kPassword, 1);
    setenv("MIMAMORI_IT_WRONG_PASSWORD", "not-it", 1);
  }

  static ServiceCheck WinRm(const std::string& name, std::uint16_t port) {
    ServiceCheck check;
    check.service = name;
    check.user = "monitor";
    check.password_env = "MIMAMORI_IT_WINRM_PASSWORD";
    check.port = port;
    return check;
  }

  /// One check of the node's service monitor through the real engines.
  CheckReport Run(const Node& node, SnmpClient* snmp = nullptr) {
    Inventory inventory;
    NetSnmpClient own_snmp;
    MonitorServices services{pinger_, snmp != nullptr ? *snmp : own_snmp, http_, tcp_, clock_};
    auto monitors = MakeServiceMonitors(node, inventory, services);
    EXPECT_EQ(monitors.size(), 1u);
    if (monitors.empty()) return {};
    auto promise = std::make_shared<std::promise<CheckReport>>();
    auto future = promise->get_future();
    monitors[0]->Start([promise](CheckReport report) { promise->set_value(std::move(report)); });
    if (future.wait_for(60s) != std::future_status::ready) {
      ADD_FAILURE() << "no report within 60 s";
      return {};
    }
    CheckReport report = future.get();
    for (const CheckResult& result : report.results) {
      EXPECT_EQ(result.reason.find("w0rd"), std::string::npos) << result.reason;
    }
    return report;
  }

  static std::map<std::string, CheckResult> ByName(const CheckReport& report) {
    std::map<std::string, CheckResult> results;
    for (const CheckResult& result : report.results) results[result.monitor] = result;
    return results;
  }

  std::optional<std::string> python_;
  CurlHttpClient http_;
  UnusedPinger pinger_;
  UnusedTcp tcp_;
  SystemClock clock_;
};

TEST_F(ServiceMonitorIntegration, VerdictsAndReasonsFromAWindowsShapedListener) {
  WsmanServer server(*python_);
  ASSERT_NE(server.port(), 0) << server.error();
  const std::uint16_t port = server.port();
  const std::uint16_t closed = ClosedTcpPort();
  ASSERT_NE(closed, 0);
  Node node;
  node.name = "win01";
  node.address = "127.0.0.1";
  ServiceCheck wrong_password = WinRm("W3SVC", port);
  wrong_password.password_env = "MIMAMORI_IT_WRONG_PASSWORD";
  ServiceCheck slow = WinRm("SLOW", port);
  slow.timeout = 300ms;
  ServiceCheck refused = WinRm("W3SVC", closed);
  refused.retries = 0;
  node.services = {WinRm("W3SVC", port),    WinRm("MSSQLSERVER", port),   WinRm("Spooler", port),
                   WinRm("wuauserv", port), WinRm("NoSuchService", port), WinRm("GARBAGE", port),
                   WinRm("DENIED", port),   WinRm("OOPS", port),          slow};
  const std::string endpoint = "http://127.0.0.1:" + std::to_string(port) + "/wsman";
  auto results = ByName(Run(node));
  ASSERT_EQ(results.size(), 9u);
  const auto expect = [&](const std::string& name, Status status, const std::string& reason) {
    SCOPED_TRACE(name);
    EXPECT_EQ(results[name].status, status);
    EXPECT_EQ(results[name].reason, reason);
  };
  expect("service:W3SVC", Status::kOk, "service W3SVC is Running (StartMode Auto)");
  expect("service:MSSQLSERVER", Status::kCritical,
         "service MSSQLSERVER is Stopped (StartMode Auto)");
  expect("service:Spooler", Status::kCritical, "service Spooler is Paused (StartMode Manual)");
  expect("service:wuauserv", Status::kCritical,
         "service wuauserv is Stop Pending (StartMode Disabled)");
  expect("service:NoSuchService", Status::kCritical,
         "service NoSuchService does not exist on win01 (WinRM " + endpoint +
             ": SOAP fault w:InvalidSelectors: The WS-Management service cannot process the "
             "request because the request contained invalid selectors for the resource. "
             "(s:Sender, WSManFault 2150858843))");
  const std::string cannot = "WinRM " + endpoint + ": ";
  expect("service:GARBAGE", Status::kUnknown,
         "cannot read service GARBAGE: " + cannot +
             "malformed answer (HTTP 200): not XML: line 1, column 31: Premature end of data in "
             "tag body line 1");
  expect("service:DENIED", Status::kUnknown,
         "cannot read service DENIED: " + cannot +
             "SOAP fault w:AccessDenied: Access is denied. (s:Sender, WSManFault 5)");
  expect("service:OOPS", Status::kUnknown,
         "cannot read service OOPS: " + cannot + "HTTP 500 without a SOAP fault (2 attempts)");
  expect("service:SLOW", Status::kUnknown,
         "cannot read service SLOW: " + cannot + "no answer within 300 ms (2 attempts)");

  node.services = {wrong_password, refused};
  const CheckReport both = Run(node);
  ASSERT_EQ(both.results.size(), 2u);
  EXPECT_EQ(both.results[0].status, Status::kUnknown);
  EXPECT_EQ(both.results[1].status, Status::kUnknown);
  EXPECT_EQ(both.results[0].reason,
            "cannot read service W3SVC: " + cannot +
                "HTTP 401: user 'monitor' was not accepted (wrong password, not an administrator "
                "of the node, or Basic auth not allowed: winrm set winrm/config/service/auth "
                "@{Basic=\"true\"})");
  EXPECT_EQ(both.results[1].reason,
            "cannot read service W3SVC: WinRM http://127.0.0.1:" + std::to_string(closed) +
                "/wsman: connection refused: nothing listens on port " + std::to_string(closed) +
                " (WinRM not enabled, or another port: winrm quickconfig)");
}

TEST_F(ServiceMonitorIntegration, HttpsVerifiesTheCertificateUnlessTheInsecureOptOut) {
  TempDir certs;
  const fs::path cert = certs.path() / "cert.pem", key = certs.path() / "key.pem";
  const CommandResult made =
      RunCommand({"openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout",
                  key.string(), "-out", cert.string(), "-days", "1", "-subj", "/CN=127.0.0.1",
                  "-addext", "subjectAltName=IP:127.0.0.1"},
                 60s);
  if (made.exit_code == -1) GTEST_SKIP() << "openssl is not installed";
  ASSERT_EQ(made.exit_code, 0) << made.Describe();
  WsmanServer server(*python_, {"--cert", cert.string(), "--key", key.string()});
  ASSERT_NE(server.port(), 0) << server.error();

  Node node;
  node.name = "win01";
  node.address = "127.0.0.1";
  ServiceCheck with_ca = WinRm("W3SVC", server.port());
  with_ca.https = true;
  with_ca.ca_file = cert.string();
  ServiceCheck system_cas = with_ca;
  system_cas.service = "MSSQLSERVER";
  system_cas.ca_file.clear();
  ServiceCheck insecure = system_cas;
  insecure.service = "Spooler";
  insecure.verify_tls = false;
  node.services = {with_ca, system_cas, insecure};
  auto results = ByName(Run(node));
  EXPECT_EQ(results["service:W3SVC"].status, Status::kOk) << results["service:W3SVC"].reason;
  EXPECT_EQ(results["service:W3SVC"].reason, "service W3SVC is Running (StartMode Auto)");
  const CheckResult& untrusted = results["service:MSSQLSERVER"];
  EXPECT_EQ(untrusted.status, Status::kUnknown);
  const std::string prefix =
      "cannot read service MSSQLSERVER: WinRM https://127.0.0.1:" + std::to_string(server.port()) +
      "/wsman: TLS: ";
  EXPECT_EQ(untrusted.reason.rfind(prefix, 0), 0u) << untrusted.reason;
  EXPECT_NE(untrusted.reason.find("self-signed certificate"), std::string::npos)
      << untrusted.reason;
  EXPECT_EQ(results["service:Spooler"].reason, "service Spooler is Paused (StartMode Manual)");
}

TEST_F(ServiceMonitorIntegration, OurGetReadsOnTheWireLikePywinrms) {
  const std::optional<std::string> python = FindPython("winrm, xmltodict, http.server");
  if (!python) GTEST_SKIP() << "no python3 with winrm (Debian package python3-winrm)";
  WsmanServer server(*python);
  ASSERT_NE(server.port(), 0) << server.error();
  const std::string endpoint = "http://127.0.0.1:" + std::to_string(server.port()) + "/wsman";

  Node node;
  node.name = "win01";
  node.address = "127.0.0.1";
  node.services = {WinRm("W3SVC", server.port())};
  const CheckReport ours = Run(node);
  ASSERT_EQ(ours.results.size(), 1u);
  EXPECT_EQ(ours.results[0].reason, "service W3SVC is Running (StartMode Auto)");

  const std::vector<std::string> env = {std::string("WINRM_PASSWORD=") + kPassword};
  const CommandResult theirs = RunCommand(
      {*python, Script("pywinrm_get.py").string(), endpoint, "monitor", "W3SVC", "--shell"}, 60s,
      env);
  ASSERT_EQ(theirs.exit_code, 0) << theirs.Describe();
  // pywinrm reads the listener's answer as we do.
  EXPECT_NE(theirs.out.find("\"state\": \"Running\""), std::string::npos) << theirs.out;
  EXPECT_NE(theirs.out.find("\"start_mode\": \"Auto\""), std::string::npos) << theirs.out;
  EXPECT_NE(theirs.out.find("\"shell\": "), std::string::npos) << theirs.out;
  const CommandResult missing = RunCommand(
      {*python, Script("pywinrm_get.py").string(), endpoint, "monitor", "NoSuchService"}, 60s, env);
  EXPECT_NE(missing.out.find("'fault_subcode': 'w:InvalidSelectors'"), std::string::npos)
      << missing.Describe() << missing.out;

  const auto records = server.Records(*python);
  ASSERT_EQ(records.size(), 5u) << "ours, pywinrm's Get, Create and Delete of a shell, its Get";
  const auto& mine = records[0];
  const auto& pywinrm = records[1];
  EXPECT_EQ(records[2].at("action"), "http://schemas.xmlsoap.org/ws/2004/09/transfer/Create");
  EXPECT_EQ(records[2].at("body_children"),
            "{http://schemas.microsoft.com/wbem/wsman/1/windows/shell}Shell");
  EXPECT_EQ(records[3].at("action"), "http://schemas.xmlsoap.org/ws/2004/09/transfer/Delete");
  EXPECT_EQ(records[3].at("selectors.ShellId"),
            theirs.out.substr(theirs.out.find("\"shell\": \"") + 10, 36));
  for (const char* header :
       {"action", "resource_uri", "reply_to", "selectors.Name", "max_envelope_size", "locale",
        "data_locale", "content_type", "body_children", "must_understand.action",
        "must_understand.resource_uri", "must_understand.reply_to_address",
        "must_understand.max_envelope_size", "must_understand.locale"}) {
    SCOPED_TRACE(header);
    ASSERT_TRUE(mine.contains(header));
    ASSERT_TRUE(pywinrm.contains(header));
    EXPECT_EQ(mine.at(header), pywinrm.at(header));
  }
  EXPECT_EQ(mine.at("action"), "http://schemas.xmlsoap.org/ws/2004/09/transfer/Get");
  EXPECT_EQ(mine.at("selectors.Name"), "W3SVC");
  const std::regex duration("PT[0-9]+(\\.[0-9]{1,3})?S");
  EXPECT_TRUE(std::regex_match(mine.at("operation_timeout"), duration));
  EXPECT_TRUE(std::regex_match(pywinrm.at("operation_timeout"), duration));
  const std::regex uuid("uuid:[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}");
  EXPECT_TRUE(std::regex_match(mine.at("message_id"), uuid));
  EXPECT_TRUE(std::regex_match(pywinrm.at("message_id"), uuid));
  // To: ours names the endpoint; pywinrm 0.3 always writes a placeholder.
  EXPECT_EQ(mine.at("to"), endpoint);
  EXPECT_EQ(pywinrm.at("to"), "http://windows-host:5985/wsman");
}

TEST_F(ServiceMonitorIntegration, ViaSnmpGivesTheSameVerdictsAsWinRm) {
  if (!mimamori::testing::SnmpdProcess::Available()) GTEST_SKIP() << "snmpd is not installed";
  WsmanServer server(*python_);
  ASSERT_NE(server.port(), 0) << server.error();
  const fs::path table = server.dir().path() / "services.json";
  std::string error;
  auto snmpd = mimamori::testing::SnmpdProcess::Start(
      error, "pass_persist .1.3.6.1.4.1.8072.9999.9999.3863.2.2 " + *python_ + " " +
                 Script("service_table_pass.py").string() + " " + table.string());
  ASSERT_TRUE(snmpd) << error;

  const std::vector<std::string> names = {"W3SVC", "MSSQLSERVER", "Spooler", "wuauserv",
                                          "NoSuchService"};
  Node winrm_node;
  winrm_node.name = "win01";
  winrm_node.address = "127.0.0.1";
  Node snmp_node = winrm_node;
  snmp_node.snmp.port = snmpd->port();
  snmp_node.snmp.community = mimamori::testing::kCommunity;
  for (const std::string& name : names) {
    winrm_node.services.push_back(WinRm(name, server.port()));
    ServiceCheck via_snmp;
    via_snmp.service = name;
    via_snmp.via = ServiceVia::kSnmp;
    snmp_node.services.push_back(via_snmp);
  }
  NetSnmpClient snmp;
  const CheckReport by_winrm = Run(winrm_node, &snmp);
  const CheckReport by_snmp = Run(snmp_node, &snmp);
  ASSERT_EQ(by_winrm.results.size(), names.size());
  ASSERT_EQ(by_snmp.results.size(), names.size()) << snmpd->Log();
  for (std::size_t i = 0; i < names.size(); ++i) {
    SCOPED_TRACE(names[i]);
    EXPECT_EQ(by_snmp.results[i].monitor, by_winrm.results[i].monitor);
    EXPECT_EQ(by_snmp.results[i].status, by_winrm.results[i].status) << by_snmp.results[i].reason;
    if (names[i] != "NoSuchService") {
      EXPECT_EQ(by_snmp.results[i].reason, by_winrm.results[i].reason);
    }
  }
  EXPECT_EQ(by_snmp.results[0].status, Status::kOk);
  EXPECT_EQ(by_snmp.results[2].reason, "service Spooler is Paused (StartMode Manual)");
  EXPECT_EQ(by_snmp.results[4].reason,
            "service NoSuchService does not exist on win01 (SNMP 127.0.0.1:" +
                std::to_string(snmpd->port()) +
                ": no row in the agent's service table (mimamoriServiceState: noSuchInstance))");
}

}  // namespace
}  // namespace mimamori::collector
