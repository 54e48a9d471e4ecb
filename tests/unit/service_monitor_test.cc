// The Windows service monitor over recording fakes of the HTTP and SNMP
// seams: what is asked (the WS-Management envelope, Basic auth, TLS
// settings, the SNMP OIDs) and what is concluded (verdicts and reasons for
// every answer a Windows node gives), plus the WS-Management codec alone.
#include <gtest/gtest.h>
#include <libxml/parser.h>
#include <libxml/tree.h>
#include <libxml/xpath.h>
#include <libxml/xpathInternals.h>

#include <cstdlib>
#include <fstream>
#include <functional>
#include <map>
#include <optional>
#include <regex>
#include <sstream>
#include <string>
#include <vector>

#include "collector/inventory/inventory_loader.h"
#include "collector/monitors/registry.h"
#include "collector/monitors/service_monitor.h"
#include "collector/net/http_client.h"
#include "collector/net/pinger.h"
#include "collector/net/winrm_client.h"
#include "collector/net/winrm_wsman.h"
#include "tests/unit/fake_snmp_client.h"

namespace mimamori::collector {
namespace {

using namespace std::chrono_literals;

constexpr const char* kPassword = "S3cret!pw<&>";

std::string Fixture(const std::string& name) {
  std::ifstream in(std::string(MIMAMORI_FIXTURES) + "/wsman/" + name);
  std::stringstream text;
  text << in.rdbuf();
  EXPECT_FALSE(text.str().empty()) << name;
  return text.str();
}

std::string Fill(std::string text, const std::map<std::string, std::string>& values) {
  for (const auto& [key, value] : values) {
    for (std::size_t at = text.find(key); at != std::string::npos; at = text.find(key, at)) {
      text.replace(at, key.size(), value);
      at += value.size();
    }
  }
  return text;
}

/// Values of XPath `path` in an XML text, with the WS-Management prefixes.
std::vector<std::string> XPath(const std::string& xml, const std::string& path) {
  std::vector<std::string> values;
  xmlDoc* doc = xmlReadMemory(xml.data(), static_cast<int>(xml.size()), "request.xml", nullptr,
                              XML_PARSE_NONET);
  if (doc == nullptr) return values;
  xmlXPathContext* context = xmlXPathNewContext(doc);
  const std::pair<const char*, std::string_view> prefixes[] = {
      {"s", wsman::kSoapEnvelope},
      {"a", wsman::kAddressing},
      {"w", wsman::kWsman},
      {"p", wsman::kMsWsman},
      {"xml", "http://www.w3.org/XML/1998/namespace"}};
  for (const auto& [prefix, uri] : prefixes) {
    if (std::string_view(prefix) == "xml") continue;
    xmlXPathRegisterNs(context, reinterpret_cast<const xmlChar*>(prefix),
                       reinterpret_cast<const xmlChar*>(std::string(uri).c_str()));
  }
  xmlXPathObject* result =
      xmlXPathEvalExpression(reinterpret_cast<const xmlChar*>(path.c_str()), context);
  if (result != nullptr && result->nodesetval != nullptr) {
    for (int i = 0; i < result->nodesetval->nodeNr; ++i) {
      xmlChar* text = xmlNodeGetContent(result->nodesetval->nodeTab[i]);
      values.emplace_back(text ? reinterpret_cast<const char*>(text) : "");
      xmlFree(text);
    }
  }
  xmlXPathFreeObject(result);
  xmlXPathFreeContext(context);
  xmlFreeDoc(doc);
  return values;
}

std::string One(const std::string& xml, const std::string& path) {
  auto values = XPath(xml, path);
  EXPECT_EQ(values.size(), 1u) << path;
  return values.empty() ? "" : values[0];
}

/// A recording fake of the HTTP seam: keeps every POST (password revealed
/// only here, to check it was handed over) and answers from a script,
/// synchronously.
class ScriptedHttp final : public HttpClient {
 public:
  struct Seen {
    std::string url, body, content_type, user, password, ca_file;
    std::chrono::milliseconds timeout{};
    bool verify_tls = true;
  };
  using Script = std::function<HttpResponse(const Seen&)>;
  explicit ScriptedHttp(Script script) : script_(std::move(script)) {}

  void Get(const std::string&, std::chrono::milliseconds,
           std::function<void(HttpResponse)>) override {
    ADD_FAILURE() << "the service monitor must not GET";
  }
  void Post(HttpPost request, std::function<void(HttpResponse)> done) override {
    Seen seen{request.url,
              request.body,
              request.content_type,
              request.user,
              request.password.Reveal(),
              request.ca_file,
              request.timeout,
              request.verify_tls};
    posts.push_back(seen);
    done(script_(seen));
  }
  std::vector<Seen> posts;

 private:
  Script script_;
};

HttpResponse Answer(long status, std::string body) {
  HttpResponse response;
  response.complete = true;
  response.status = status;
  response.body = std::move(body);
  response.seconds = 0.004;
  return response;
}

HttpResponse Failure(HttpFailure failure, std::string error) {
  HttpResponse response;
  response.failure = failure;
  response.error = std::move(error);
  return response;
}

/// Windows' answer to a Get: the instance with `state`, or the fault for a
/// service it does not have.
HttpResponse Windows(const ScriptedHttp::Seen& request,
                     const std::map<std::string, std::pair<std::string, std::string>>& services) {
  const std::string id = One(request.body, "/s:Envelope/s:Header/a:MessageID");
  const std::string name =
      One(request.body, "/s:Envelope/s:Header/w:SelectorSet/w:Selector[@Name='Name']");
  auto it = services.find(name);
  if (it == services.end()) {
    return Answer(500, Fill(Fixture("fault_invalid_selectors.xml"),
                            {{"@MESSAGE_ID@", NewMessageId()}, {"@RELATES_TO@", id}}));
  }
  return Answer(200, Fill(Fixture("get_response.xml"), {{"@MESSAGE_ID@", NewMessageId()},
                                                        {"@RELATES_TO@", id},
                                                        {"@NAME@", name},
                                                        {"@DISPLAY_NAME@", name + " service"},
                                                        {"@STATE@", it->second.first},
                                                        {"@START_MODE@", it->second.second}}));
}

class NoPinger final : public Pinger {
 public:
  void Ping(const std::string&, const PingSettings&, std::function<void(PingOutcome)>) override {
    ADD_FAILURE() << "the service monitor must not ping";
  }
};
class NoTcp final : public TcpProbe {
 public:
  void Connect(const std::string&, std::uint16_t, std::chrono::milliseconds,
               std::function<void(TcpProbeResult)>) override {
    ADD_FAILURE() << "the service monitor must not probe TCP";
  }
};

class ServiceMonitorTest : public ::testing::Test {
 protected:
  ServiceMonitorTest() {
    setenv("MIMAMORI_TEST_WINRM_PASSWORD", kPassword, 1);
    node_.name = "win01";
    node_.address = "10.0.0.5";
  }
  ~ServiceMonitorTest() override { unsetenv("MIMAMORI_TEST_WINRM_PASSWORD"); }

  static ServiceCheck WinRm(const std::string& name) {
    ServiceCheck check;
    check.service = name;
    check.user = "monitor";
    check.password_env = "MIMAMORI_TEST_WINRM_PASSWORD";
    return check;
  }
  static ServiceCheck Snmp(const std::string& name) {
    ServiceCheck check;
    check.service = name;
    check.via = ServiceVia::kSnmp;
    return check;
  }

  CheckReport Run(ScriptedHttp& http) {
    MonitorServices services{pinger_, snmp_, http, tcp_, clock_};
    auto monitors = MakeServiceMonitors(node_, inventory_, services);
    EXPECT_EQ(monitors.size(), 1u);
    if (monitors.empty()) return {};
    EXPECT_EQ(monitors[0]->Kind(), "service");
    EXPECT_EQ(monitors[0]->Interval(), 300s);
    EXPECT_EQ(monitors[0]->FailureThreshold(), 1);
    EXPECT_EQ(monitors[0]->CheckCount(), node_.services.size());
    std::optional<CheckReport> report;
    monitors[0]->Start([&](CheckReport r) { report = std::move(r); });
    EXPECT_TRUE(report) << "the fakes answer synchronously";
    for (const CheckResult& result : report.value_or(CheckReport{}).results) {
      EXPECT_EQ(result.reason.find("S3cret"), std::string::npos) << result.reason;
    }
    return report.value_or(CheckReport{});
  }

  /// Sets `name` in the agent's table (state and start type as numbers).
  void AgentRow(const std::string& name, int state, int start_type) {
    snmp_.Set(ServiceTableOid(1, name), proto::Value::OctetString(name));
    snmp_.Set(ServiceTableOid(3, name), proto::Value::Integer(state));
    snmp_.Set(ServiceTableOid(4, name), proto::Value::Integer(start_type));
  }

  Node node_;
  Inventory inventory_;
  NoPinger pinger_;
  testing::FakeSnmpClient snmp_;
  NoTcp tcp_;
  ManualClock clock_;
};

TEST_F(ServiceMonitorTest, NoServicesNoMonitor) {
  ScriptedHttp http([](const auto&) { return HttpResponse{}; });
  MonitorServices services{pinger_, snmp_, http, tcp_, clock_};
  EXPECT_TRUE(MakeServiceMonitors(node_, inventory_, services).empty());
}

TEST_F(ServiceMonitorTest, SendsAWsTransferGetOfWin32ServiceByNameWithBasicAuth) {
  ServiceCheck check = WinRm("W3SVC");
  check.timeout = 4000ms;
  node_.services = {check};
  ScriptedHttp http([](const auto& r) { return Windows(r, {{"W3SVC", {"Running", "Auto"}}}); });
  Run(http);
  ASSERT_EQ(http.posts.size(), 1u);
  const ScriptedHttp::Seen& post = http.posts[0];
  EXPECT_EQ(post.url, "http://10.0.0.5:5985/wsman");
  EXPECT_EQ(post.content_type, "application/soap+xml;charset=UTF-8");
  EXPECT_EQ(post.user, "monitor");
  EXPECT_EQ(post.password, kPassword);
  EXPECT_EQ(post.timeout, 4000ms);
  const std::string& body = post.body;
  const std::string h = "/s:Envelope/s:Header/";
  EXPECT_EQ(One(body, h + "a:To"), "http://10.0.0.5:5985/wsman");
  EXPECT_EQ(One(body, h + "a:Action"), "http://schemas.xmlsoap.org/ws/2004/09/transfer/Get");
  EXPECT_EQ(One(body, h + "a:Action/@s:mustUnderstand"), "true");
  EXPECT_EQ(One(body, h + "w:ResourceURI"), wsman::kWin32Service);
  EXPECT_EQ(One(body, h + "w:ResourceURI/@s:mustUnderstand"), "true");
  EXPECT_EQ(One(body, h + "a:ReplyTo/a:Address"), wsman::kAnonymous);
  EXPECT_TRUE(
      std::regex_match(One(body, h + "a:MessageID"),
                       std::regex("uuid:[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}"
                                  "-[0-9a-f]{12}")));
  EXPECT_EQ(One(body, h + "w:SelectorSet/w:Selector[@Name='Name']"), "W3SVC");
  EXPECT_EQ(XPath(body, h + "w:SelectorSet/w:Selector").size(), 1u);
  EXPECT_EQ(One(body, h + "w:OperationTimeout"), "PT4S");
  EXPECT_EQ(One(body, h + "w:MaxEnvelopeSize"), "153600");
  EXPECT_EQ(One(body, h + "w:Locale/@xml:lang"), "en-US");
  EXPECT_EQ(One(body, h + "p:DataLocale/@xml:lang"), "en-US");
  EXPECT_EQ(XPath(body, "/s:Envelope/s:Body/*").size(), 0u) << "a Get has an empty body";
}

TEST_F(ServiceMonitorTest, HttpsPortCaFileAndTheInsecureOptOutReachTheRequest) {
  ServiceCheck verified = WinRm("W3SVC");
  verified.https = true;
  verified.port = 5986;
  verified.ca_file = "/etc/mimamori/winrm-ca.pem";
  ServiceCheck insecure = WinRm("MSSQLSERVER");
  insecure.https = true;
  insecure.port = 15986;
  insecure.verify_tls = false;
  node_.services = {verified, insecure};
  node_.address = "fd00::5";
  ScriptedHttp http([](const auto& r) {
    return Windows(r, {{"W3SVC", {"Running", "Auto"}}, {"MSSQLSERVER", {"Running", "Auto"}}});
  });
  Run(http);
  ASSERT_EQ(http.posts.size(), 2u);
  EXPECT_EQ(http.posts[0].url, "https://[fd00::5]:5986/wsman");
  EXPECT_TRUE(http.posts[0].verify_tls);
  EXPECT_EQ(http.posts[0].ca_file, "/etc/mimamori/winrm-ca.pem");
  EXPECT_EQ(http.posts[1].url, "https://[fd00::5]:15986/wsman");
  EXPECT_FALSE(http.posts[1].verify_tls);
}

TEST_F(ServiceMonitorTest, RunningIsOkAnyOtherStateIsCriticalWithTheStateInTheReason) {
  const std::vector<std::pair<std::string, std::string>> states = {
      {"Running", "Auto"},         {"Stopped", "Auto"},      {"Paused", "Manual"},
      {"Start Pending", "Auto"},   {"Stop Pending", "Auto"}, {"Continue Pending", "Auto"},
      {"Pause Pending", "Manual"}, {"Unknown", "Disabled"}};
  std::map<std::string, std::pair<std::string, std::string>> table;
  node_.services.clear();
  for (std::size_t i = 0; i < states.size(); ++i) {
    const std::string name = "Svc" + std::to_string(i);
    table[name] = states[i];
    node_.services.push_back(WinRm(name));
  }
  ScriptedHttp http([&](const auto& r) { return Windows(r, table); });
  const CheckReport report = Run(http);
  ASSERT_EQ(report.results.size(), states.size());
  for (std::size_t i = 0; i < states.size(); ++i) {
    const CheckResult& result = report.results[i];
    EXPECT_EQ(result.monitor, "service:Svc" + std::to_string(i));
    EXPECT_EQ(result.status, i == 0 ? Status::kOk : Status::kCritical) << result.reason;
    EXPECT_EQ(result.reason, "service Svc" + std::to_string(i) + " is " + states[i].first +
                                 " (StartMode " + states[i].second + ")");
  }
  ASSERT_EQ(report.measurements.size(), states.size());
  EXPECT_EQ(report.measurements[0].metric, "mimamori_service_up");
  EXPECT_EQ(report.measurements[0].labels,
            (std::vector<std::pair<std::string, std::string>>{{"service", "Svc0"}}));
  EXPECT_EQ(report.measurements[0].value, 1.0);
  EXPECT_EQ(report.measurements[1].value, 0.0);
}

TEST_F(ServiceMonitorTest, EveryFailureToReadHasItsOwnReason) {
  struct Case {
    std::string what;
    HttpResponse response;
    Status status;
    std::string reason;
    int posts;
  };
  const std::string access_denied =
      Fill(Fixture("fault_access_denied.xml"), {{"@MESSAGE_ID@", "uuid:x"}, {"@RELATES_TO@", ""}});
  const std::string unknown_service = Fill(Fixture("fault_invalid_selectors.xml"),
                                           {{"@MESSAGE_ID@", "uuid:x"}, {"@RELATES_TO@", ""}});
  const std::string w = "cannot read service W3SVC: WinRM http://10.0.0.5:5985/wsman: ";
  const std::vector<Case> cases = {
      {"unknown service", Answer(500, unknown_service), Status::kCritical,
       "service W3SVC does not exist on win01 (WinRM http://10.0.0.5:5985/wsman: SOAP fault "
       "w:InvalidSelectors: The WS-Management service cannot process the request because the "
       "request contained invalid selectors for the resource. (s:Sender, WSManFault "
       "2150858843))",
       1},
      {"401", Answer(401, ""), Status::kUnknown,
       w + "HTTP 401: user 'monitor' was not accepted (wrong password, not an administrator of "
           "the node, or Basic auth not allowed: winrm set winrm/config/service/auth "
           "@{Basic=\"true\"})",
       1},
      {"access denied fault", Answer(500, access_denied), Status::kUnknown,
       w + "SOAP fault w:AccessDenied: Access is denied. (s:Sender, WSManFault 5)", 1},
      {"TLS", Failure(HttpFailure::kTls, "SSL certificate problem: self-signed certificate"),
       Status::kUnknown,
       w + "TLS: SSL certificate problem: self-signed certificate (the certificate must be valid "
           "for the node's address and signed by a CA the system trusts, or give ca_file)",
       1},
      {"refused", Failure(HttpFailure::kRefused, "Failed to connect"), Status::kUnknown,
       w + "connection refused: nothing listens on port 5985 (WinRM not enabled, or another "
           "port: winrm quickconfig) (2 attempts)",
       2},
      {"timeout", Failure(HttpFailure::kTimeout, "Operation timed out after 5001 ms"),
       Status::kUnknown, w + "no answer within 5 s (2 attempts)", 2},
      {"garbage", Answer(200, "<html><body>IIS start page"), Status::kUnknown,
       w + "malformed answer (HTTP 200): not XML: line 1, column 27: Premature end of data in "
           "tag body line 1",
       1},
      {"not SOAP", Answer(200, "<ok/>"), Status::kUnknown,
       w + "malformed answer (HTTP 200): not a SOAP 1.2 envelope (root element 'ok')", 1},
      {"500 without fault", Answer(500, "Internal Server Error"), Status::kUnknown,
       w + "HTTP 500 without a SOAP fault (2 attempts)", 2},
      {"404", Answer(404, ""), Status::kUnknown,
       w + "HTTP 404 without a SOAP fault (no WinRM listener at /wsman on this port?)", 1},
      {"broken off", Failure(HttpFailure::kOther, "Empty reply from server"), Status::kUnknown,
       w + "the exchange broke off: Empty reply from server (2 attempts)", 2},
  };
  node_.services = {WinRm("W3SVC")};
  for (const Case& c : cases) {
    SCOPED_TRACE(c.what);
    ScriptedHttp http([&](const auto&) { return c.response; });
    const CheckReport report = Run(http);
    ASSERT_EQ(report.results.size(), 1u);
    EXPECT_EQ(report.results[0].status, c.status);
    EXPECT_EQ(report.results[0].reason, c.reason);
    EXPECT_EQ(static_cast<int>(http.posts.size()), c.posts) << "retries: 1";
  }
}

TEST_F(ServiceMonitorTest, RetriesWithinOneCheckBeforeJudging) {
  ServiceCheck check = WinRm("W3SVC");
  check.retries = 3;
  node_.services = {check};
  int calls = 0;
  ScriptedHttp http([&](const auto& r) {
    if (++calls < 3) return Failure(HttpFailure::kTimeout, "timed out");
    return Windows(r, {{"W3SVC", {"Stopped", "Auto"}}});
  });
  const CheckReport report = Run(http);
  ASSERT_EQ(report.results.size(), 1u);
  EXPECT_EQ(report.results[0].status, Status::kCritical);
  EXPECT_EQ(report.results[0].reason, "service W3SVC is Stopped (StartMode Auto)");
  ASSERT_EQ(http.posts.size(), 3u);
  // Each attempt is its own WS-Addressing message.
  EXPECT_NE(One(http.posts[0].body, "/s:Envelope/s:Header/a:MessageID"),
            One(http.posts[1].body, "/s:Envelope/s:Header/a:MessageID"));

  check.retries = 0;
  node_.services = {check};
  calls = 0;
  ScriptedHttp once([&](const auto&) { return Failure(HttpFailure::kTimeout, "timed out"); });
  EXPECT_EQ(Run(once).results.at(0).status, Status::kUnknown);
  EXPECT_EQ(once.posts.size(), 1u);
}

TEST_F(ServiceMonitorTest, AnAnswerToAnotherRequestIsNotBelieved) {
  node_.services = {WinRm("W3SVC")};
  ScriptedHttp http([](const auto&) {
    return Answer(200, Fill(Fixture("get_response.xml"), {{"@MESSAGE_ID@", "uuid:1"},
                                                          {"@RELATES_TO@", "uuid:other"},
                                                          {"@NAME@", "W3SVC"},
                                                          {"@DISPLAY_NAME@", "x"},
                                                          {"@STATE@", "Running"},
                                                          {"@START_MODE@", "Auto"}}));
  });
  const CheckReport report = Run(http);
  EXPECT_EQ(report.results.at(0).status, Status::kUnknown);
  EXPECT_NE(report.results.at(0).reason.find("answer relates to uuid:other, not to request uuid:"),
            std::string::npos)
      << report.results.at(0).reason;
}

TEST_F(ServiceMonitorTest, PasswordFromAFileAndUnreadablePasswordsSendNothing) {
  const std::string path = ::testing::TempDir() + "/winrm-test.pass";
  {
    std::ofstream out(path);
    out << "from-file\r\nsecond line\n";
  }
  ServiceCheck from_file = WinRm("W3SVC");
  from_file.password_env.clear();
  from_file.password_file = path;
  ServiceCheck missing_file = WinRm("Spooler");
  missing_file.password_env.clear();
  missing_file.password_file = "/nonexistent/winrm.pass";
  ServiceCheck missing_env = WinRm("MSSQLSERVER");
  missing_env.password_env = "MIMAMORI_TEST_NO_SUCH_VARIABLE";
  node_.services = {from_file, missing_file, missing_env};
  ScriptedHttp http([](const auto& r) { return Windows(r, {{"W3SVC", {"Running", "Auto"}}}); });
  const CheckReport report = Run(http);
  ASSERT_EQ(http.posts.size(), 1u);
  EXPECT_EQ(http.posts[0].password, "from-file");
  ASSERT_EQ(report.results.size(), 3u);
  EXPECT_EQ(report.results[0].status, Status::kOk);
  EXPECT_EQ(report.results[1].status, Status::kUnknown);
  EXPECT_EQ(report.results[1].reason,
            "cannot read service Spooler: WinRM http://10.0.0.5:5985/wsman: cannot read the "
            "WinRM password: password file /nonexistent/winrm.pass: cannot read: No such file "
            "or directory");
  EXPECT_EQ(report.results[2].reason,
            "cannot read service MSSQLSERVER: WinRM http://10.0.0.5:5985/wsman: cannot read the "
            "WinRM password: environment variable MIMAMORI_TEST_NO_SUCH_VARIABLE is not set");
  std::remove(path.c_str());
}

TEST_F(ServiceMonitorTest, ViaSnmpReadsTheAgentsServiceTableWithTheSameVerdicts) {
  // The same states through both ways, in the agent's numbers and in
  // Win32_Service's words.
  const std::vector<std::pair<int, std::string>> states = {
      {4, "Running"},          {1, "Stopped"},       {2, "Start Pending"}, {3, "Stop Pending"},
      {5, "Continue Pending"}, {6, "Pause Pending"}, {7, "Paused"}};
  const std::vector<std::pair<int, std::string>> modes = {
      {3, "Auto"},   {4, "Manual"}, {5, "Disabled"}, {1, "Boot"},
      {2, "System"}, {3, "Auto"},   {4, "Manual"}};
  std::map<std::string, std::pair<std::string, std::string>> windows;
  Node snmp_node = node_;
  node_.services.clear();
  for (std::size_t i = 0; i < states.size(); ++i) {
    const std::string name = "Svc" + std::to_string(i);
    AgentRow(name, states[i].first, modes[i].first);
    windows[name] = {states[i].second, modes[i].second};
    node_.services.push_back(WinRm(name));
    snmp_node.services.push_back(Snmp(name));
  }
  node_.services.push_back(WinRm("NoSuchSvc"));
  snmp_node.services.push_back(Snmp("NoSuchSvc"));

  ScriptedHttp http([&](const auto& r) { return Windows(r, windows); });
  const CheckReport by_winrm = Run(http);
  std::swap(node_, snmp_node);
  ScriptedHttp unused([](const auto&) { return HttpResponse{}; });
  snmp_.ClearRequests();
  const CheckReport by_snmp = Run(unused);
  EXPECT_TRUE(unused.posts.empty());

  // One Get of state and start type for every service, nothing else.
  const auto requests = snmp_.requests();
  ASSERT_EQ(requests.size(), 1u);
  EXPECT_FALSE(requests[0].walk);
  ASSERT_EQ(requests[0].oids.size(), 2 * node_.services.size());
  EXPECT_EQ(requests[0].oids[0].ToString(),
            ".1.3.6.1.4.1.8072.9999.9999.3863.2.2.1.3.4.83.118.99.48");
  EXPECT_EQ(requests[0].oids[1].ToString(),
            ".1.3.6.1.4.1.8072.9999.9999.3863.2.2.1.4.4.83.118.99.48");

  ASSERT_EQ(by_winrm.results.size(), by_snmp.results.size());
  for (std::size_t i = 0; i < by_snmp.results.size(); ++i) {
    SCOPED_TRACE(by_snmp.results[i].monitor);
    EXPECT_EQ(by_snmp.results[i].monitor, by_winrm.results[i].monitor);
    EXPECT_EQ(by_snmp.results[i].status, by_winrm.results[i].status);
    if (i < states.size()) {
      EXPECT_EQ(by_snmp.results[i].reason, by_winrm.results[i].reason);
    }
  }
  EXPECT_EQ(by_snmp.results[0].status, Status::kOk);
  EXPECT_EQ(by_snmp.results[1].reason, "service Svc1 is Stopped (StartMode Manual)");
  EXPECT_EQ(by_snmp.results.back().status, Status::kCritical);
  EXPECT_EQ(by_snmp.results.back().reason,
            "service NoSuchSvc does not exist on win01 (SNMP 10.0.0.5:161: no row in the agent's "
            "service table (mimamoriServiceState: noSuchObject))");
  EXPECT_EQ(by_winrm.results.back().reason.rfind("service NoSuchSvc does not exist on win01 (", 0),
            0u);
}

TEST_F(ServiceMonitorTest, ViaSnmpWithoutAnAnswerIsUnknown) {
  node_.services = {Snmp("W3SVC")};
  snmp_.FailGets(testing::FakeSnmpClient::Timeout());
  ScriptedHttp unused([](const auto&) { return HttpResponse{}; });
  const CheckReport report = Run(unused);
  ASSERT_EQ(report.results.size(), 1u);
  EXPECT_EQ(report.results[0].status, Status::kUnknown);
  EXPECT_EQ(report.results[0].reason,
            "cannot read service W3SVC: SNMP 10.0.0.5:161: get mimamoriServiceTable: timeout "
            "after 3 s x 2 tries");
  EXPECT_TRUE(report.measurements.empty()) << "unknown is not 'down'";
}

TEST_F(ServiceMonitorTest, WinRmAndSnmpServicesOfOneNodeInOneCheck) {
  AgentRow("Spooler", 1, 3);
  node_.services = {WinRm("W3SVC"), Snmp("Spooler"), WinRm("MSSQLSERVER")};
  ScriptedHttp http([](const auto& r) {
    return Windows(r, {{"W3SVC", {"Running", "Auto"}}, {"MSSQLSERVER", {"Running", "Auto"}}});
  });
  const CheckReport report = Run(http);
  ASSERT_EQ(report.results.size(), 3u);
  EXPECT_EQ(report.results[0].reason, "service W3SVC is Running (StartMode Auto)");
  EXPECT_EQ(report.results[1].reason, "service Spooler is Stopped (StartMode Auto)");
  EXPECT_EQ(report.results[2].reason, "service MSSQLSERVER is Running (StartMode Auto)");
}

// ------------------------------------------------------------ the codec

TEST(Wsman, DurationsAndMessageIds) {
  EXPECT_EQ(XsDuration(5000ms), "PT5S");
  EXPECT_EQ(XsDuration(300ms), "PT0.300S");
  EXPECT_EQ(XsDuration(61500ms), "PT61.500S");
  const std::string a = NewMessageId(), b = NewMessageId();
  EXPECT_NE(a, b);
  EXPECT_EQ(a.size(), 41u);
}

TEST(Wsman, SelectorValuesAreEscapedNotSpliced) {
  WsmanGet get;
  get.to = "http://h:5985/wsman";
  get.resource_uri = std::string(wsman::kWin32Service);
  get.selectors = {{"Name", "a</w:Selector><x>&amp;"}};
  get.message_id = "uuid:1";
  const std::string body = BuildWsmanGet(get);
  EXPECT_EQ(One(body, "/s:Envelope/s:Header/w:SelectorSet/w:Selector"), "a</w:Selector><x>&amp;");
}

TEST(Wsman, ReadsAWindowsGetResponse) {
  const WsmanReply reply = ParseWsmanReply(
      Fill(Fixture("get_response.xml"), {{"@MESSAGE_ID@", "uuid:2"},
                                         {"@RELATES_TO@", "uuid:1"},
                                         {"@NAME@", "W3SVC"},
                                         {"@DISPLAY_NAME@", "World Wide Web Publishing Service"},
                                         {"@STATE@", "Running"},
                                         {"@START_MODE@", "Auto"}}),
      wsman::kWin32Service, "uuid:1");
  ASSERT_EQ(reply.kind, WsmanReply::Kind::kInstance) << reply.error;
  EXPECT_EQ(reply.properties.at("Name"), "W3SVC");
  EXPECT_EQ(reply.properties.at("State"), "Running");
  EXPECT_EQ(reply.properties.at("DisplayName"), "World Wide Web Publishing Service");
  EXPECT_EQ(reply.properties.at("PathName"), "C:\\Windows\\system32\\svchost.exe -k iissvcs");
  EXPECT_FALSE(reply.properties.contains("InstallDate")) << "xsi:nil";
}

TEST(Wsman, PrefixesAreTheServersChoiceNamespacesDecide) {
  // Same answer with other prefixes: still an instance; a look-alike in
  // another namespace is not.
  const std::string other_prefixes =
      "<env:Envelope xmlns:env='http://www.w3.org/2003/05/soap-envelope'><env:Body>"
      "<svc:Win32_Service xmlns:svc='" +
      std::string(wsman::kWin32Service) +
      "'><svc:Name>W3SVC</svc:Name><svc:State>Stopped</svc:State></svc:Win32_Service>"
      "</env:Body></env:Envelope>";
  WsmanReply reply = ParseWsmanReply(other_prefixes, wsman::kWin32Service);
  ASSERT_EQ(reply.kind, WsmanReply::Kind::kInstance) << reply.error;
  EXPECT_EQ(reply.properties.at("State"), "Stopped");

  const std::string wrong_namespace =
      "<s:Envelope xmlns:s='http://www.w3.org/2003/05/soap-envelope'><s:Body>"
      "<Win32_Service><State>Running</State></Win32_Service></s:Body></s:Envelope>";
  reply = ParseWsmanReply(wrong_namespace, wsman::kWin32Service);
  EXPECT_EQ(reply.kind, WsmanReply::Kind::kMalformed);
  EXPECT_EQ(reply.error,
            "SOAP Body holds 'Win32_Service' (no namespace), not a Win32_Service instance");

  const std::string soap11 =
      "<s:Envelope xmlns:s='http://schemas.xmlsoap.org/soap/envelope/'><s:Body/></s:Envelope>";
  EXPECT_EQ(ParseWsmanReply(soap11, wsman::kWin32Service).error,
            "not a SOAP 1.2 envelope (root element 'Envelope')");

  const std::string fault_other_prefixes =
      "<e:Envelope xmlns:e='http://www.w3.org/2003/05/soap-envelope' "
      "xmlns:m='http://schemas.dmtf.org/wbem/wsman/1/wsman.xsd'><e:Body><e:Fault><e:Code>"
      "<e:Value>e:Receiver</e:Value><e:Subcode><e:Value>m:InvalidSelectors</e:Value></e:Subcode>"
      "</e:Code><e:Reason><e:Text>no such thing</e:Text></e:Reason></e:Fault></e:Body>"
      "</e:Envelope>";
  reply = ParseWsmanReply(fault_other_prefixes, wsman::kWin32Service);
  ASSERT_EQ(reply.kind, WsmanReply::Kind::kFault);
  EXPECT_TRUE(reply.fault.InvalidSelectors());
  EXPECT_EQ(reply.fault.Describe(), "w:InvalidSelectors: no such thing (s:Receiver)");
}

TEST(Wsman, EntitiesAreNotExpanded) {
  const std::string xxe =
      "<?xml version='1.0'?><!DOCTYPE s:Envelope [<!ENTITY leak SYSTEM 'file:///etc/hostname'>]>"
      "<s:Envelope xmlns:s='http://www.w3.org/2003/05/soap-envelope'><s:Body>"
      "<p:Win32_Service xmlns:p='" +
      std::string(wsman::kWin32Service) +
      "'><p:State>&leak;</p:State></p:Win32_Service></s:Body></s:Envelope>";
  const WsmanReply reply = ParseWsmanReply(xxe, wsman::kWin32Service);
  if (reply.kind == WsmanReply::Kind::kInstance) {
    EXPECT_EQ(reply.properties.count("State") ? reply.properties.at("State") : "", "");
  }
}

TEST(Wsman, MalformedXmlSaysWhereAndWhy) {
  EXPECT_EQ(ParseWsmanReply("", wsman::kWin32Service).error,
            "empty body, expected a SOAP envelope");
  EXPECT_EQ(ParseWsmanReply("\x01\x02 garbage", wsman::kWin32Service).error,
            "not XML: line 1, column 1: Start tag expected, '<' not found");
}

// ------------------------------------------------------- --check-config

TEST(CheckCount, CountsOnlyWhatTheRegistryRuns) {
  std::vector<ConfigError> errors;
  std::optional<Inventory> inventory = ParseInventory(R"(
systems:
  - {name: dev, level: C-dev}
nodes:
  - name: win01
    address: 10.0.0.5
    processes: [{name: a, command: a}, {name: b, command: b}]
    ports: [22, 443, 3389]
    services:
      - {name: W3SVC, user: monitor, password_env: P}
      - {name: Spooler, via: snmp}
    web: [{url: "http://10.0.0.5/"}]
  - {name: dev01, address: 10.0.0.6, system: dev, resource: false}
)",
                                                      "inventory.yaml", errors);
  ASSERT_TRUE(inventory) << errors.size();
  // win01: 2 processes + 3 ports + 2 services + 1 URL + resource + time +
  // ping; dev01: nothing but... no ping (C-dev), no resource, so no time: 0.
  EXPECT_EQ(CountChecks(*inventory), 11u);

  // The old lie: a registry without the service kind must not count the
  // services it would never run.
  std::vector<MonitorKind> without_services;
  for (const MonitorKind& kind : MonitorKinds()) {
    if (kind.name != "service") without_services.push_back(kind);
  }
  ASSERT_EQ(without_services.size() + 1, MonitorKinds().size());
  EXPECT_EQ(CountChecks(*inventory, without_services), 9u);
  EXPECT_EQ(CountChecks(*inventory, {}), 0u);
}

}  // namespace
}  // namespace mimamori::collector
