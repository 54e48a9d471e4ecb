// mimamori-agent.exe under wine, walked by Net-SNMP's tools over loopback.
//
// One wine prefix for the whole binary (ctest runs it as one test): created
// in a temporary directory by `wineboot -i`, kept alive by a persistent
// wineserver so that services survive between wine commands. Every wine
// process writes to files, never to a pipe of ours: wine's service processes
// inherit the first wine process's handles and would hold a pipe open.
//
// What wine cannot show (real per-processor times, service start types of a
// real Windows, the Windows Server build in sysDescr) is covered by the unit
// tests on recorded Win32 results (tests/unit/win32_results_test.cc,
// mib_windows_test.cc).
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <optional>
#include <regex>
#include <string>
#include <vector>

#include "tests/integration/agent_process.h"

namespace mimamori::testing {
namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;

const char* kAgentExe = MIMAMORI_WINDOWS_AGENT_EXE;
const char* kHelperExe = MIMAMORI_WINDOWS_HELPER_EXE;
const std::string kMimamoriMib = ".1.3.6.1.4.1.8072.9999.9999.3863";

// Set up once by WineEnvironment.
TempDir* g_dir = nullptr;
fs::path g_prefix;
ChildProcess* g_wineserver = nullptr;
std::string g_setup_error;

struct WineResult {
  int exit_code = -1;
  bool timed_out = false;
  std::string out, err;
};

// A wine command with its output in files; waits (bounded) for it to end.
WineResult Wine(const std::vector<std::string>& argv, std::chrono::milliseconds timeout = 60s) {
  static int counter = 0;
  const std::string stem = "wine-" + std::to_string(++counter);
  ChildProcess::Options options;
  options.argv = argv;
  options.stdout_path = g_dir->path() / (stem + ".out");
  options.stderr_path = g_dir->path() / (stem + ".err");
  WineResult result;
  std::string error;
  std::optional<ChildProcess> child = ChildProcess::Spawn(options, error);
  if (!child) {
    result.err = error;
    return result;
  }
  result.timed_out = !WaitFor([&] { return !child->Running(); }, timeout);
  result.exit_code = child->Stop();
  result.out = ReadFile(options.stdout_path);
  result.err = ReadFile(options.stderr_path);
  return result;
}

class WineEnvironment : public ::testing::Environment {
 public:
  void SetUp() override {
    g_dir = new TempDir();
    g_prefix = g_dir->path() / "prefix";
    ::setenv("WINEPREFIX", g_prefix.c_str(), 1);
    ::setenv("WINEDEBUG", "-all", 1);
    // No Mono or Gecko installer dialogs, and no X display at all.
    ::setenv("WINEDLLOVERRIDES", "mscoree,mshtml=", 1);
    ::unsetenv("DISPLAY");
    ::unsetenv("WAYLAND_DISPLAY");
    fs::create_directories(g_prefix);
    std::string error;
    ChildProcess::Options server;
    server.argv = {"wineserver", "-p", "-f"};
    server.stderr_path = g_dir->path() / "wineserver.err";
    auto child = ChildProcess::Spawn(server, error);
    if (!child) {
      g_setup_error = "wineserver: " + error;
      return;
    }
    g_wineserver = new ChildProcess(std::move(*child));
    const WineResult boot = Wine({"wineboot", "-i"}, 180s);
    if (boot.timed_out || boot.exit_code != 0) {
      g_setup_error =
          "wineboot -i failed (exit " + std::to_string(boot.exit_code) + "): " + boot.err;
      return;
    }
    const fs::path install = g_prefix / "drive_c" / "mimamori";
    fs::create_directories(install);
    fs::copy_file(kAgentExe, install / "mimamori-agent.exe");
    fs::copy_file(fs::path(kAgentExe).parent_path() / "agent.yaml.default",
                  install / "agent.yaml.default");
    fs::copy_file(kHelperExe, install / "mimamori-test-sleeper.exe");
  }

  void TearDown() override {
    if (g_wineserver != nullptr) {
      Wine({"wineserver", "-k"}, 30s);
      delete g_wineserver;
    }
    delete g_dir;
  }
};

const auto* const kEnvironment = ::testing::AddGlobalTestEnvironment(new WineEnvironment);

std::optional<std::uint16_t> ListeningPort(const std::string& log) {
  static const std::regex pattern("listening on udp:127\\.0\\.0\\.1:([0-9]+)");
  std::smatch match;
  if (!std::regex_search(log, match, pattern)) return std::nullopt;
  return static_cast<std::uint16_t>(std::stoi(match[1]));
}

std::map<std::string, VarBind> Walk(const std::string& endpoint, const std::string& root) {
  std::map<std::string, VarBind> out;
  const CommandResult r = SnmpTool("snmpbulkwalk", endpoint, {}, {root}, 60s);
  for (VarBind& vb : ParseVarBinds(r.out)) out.emplace(OidToString(vb.oid), std::move(vb));
  return out;
}

// One instance by snmpget; nullopt when absent or on failure.
std::optional<VarBind> Get(const std::string& endpoint, const std::string& oid) {
  const CommandResult r = SnmpTool("snmpget", endpoint, {}, {oid}, 30s);
  std::vector<VarBind> binds = ParseVarBinds(r.out);
  if (r.exit_code != 0 || binds.size() != 1 || binds[0].exception) return std::nullopt;
  return binds[0];
}

bool AnyValue(const std::map<std::string, VarBind>& walk, const std::string& value) {
  for (const auto& [oid, vb] : walk) {
    if (vb.Octets() == value) return true;
  }
  return false;
}

class WineAgentTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    if (!g_setup_error.empty()) return;
    g_dir->Write("prefix/drive_c/mimamori/test.yaml",
                 "listen: [udp:127.0.0.1:0]\ncommunity: MieKiban\ncache_lifetime: 1s\n");
    ChildProcess::Options options;
    options.argv = {"wine", "C:\\mimamori\\mimamori-agent.exe", "--console", "--config",
                    "C:\\mimamori\\test.yaml"};
    options.stderr_path = g_dir->path() / "agent.log";
    std::string error;
    auto child = ChildProcess::Spawn(options, error);
    if (!child) {
      g_setup_error = "agent: " + error;
      return;
    }
    agent_ = new ChildProcess(std::move(*child));
    if (!WaitFor([&] { return ListeningPort(ReadFile(options.stderr_path)).has_value(); }, 60s)) {
      g_setup_error = "the agent did not start under wine: " + ReadFile(options.stderr_path);
      return;
    }
    endpoint_ = "127.0.0.1:" + std::to_string(*ListeningPort(ReadFile(options.stderr_path)));
  }

  static void TearDownTestSuite() {
    delete agent_;
    agent_ = nullptr;
  }

  void SetUp() override {
    ASSERT_TRUE(g_setup_error.empty()) << g_setup_error;
    ASSERT_TRUE(agent_ != nullptr && agent_->Running()) << ReadFile(g_dir->path() / "agent.log");
  }

  static inline ChildProcess* agent_ = nullptr;
  static inline std::string endpoint_;
};

TEST_F(WineAgentTest, ExeNeedsOnlyWindowsOwnDlls) {
  const CommandResult r = RunCommand({"x86_64-w64-mingw32-objdump", "-p", kAgentExe});
  ASSERT_EQ(r.exit_code, 0) << r.Describe();
  const std::regex dll("DLL Name: (\\S+)");
  std::vector<std::string> dlls;
  for (auto it = std::sregex_iterator(r.out.begin(), r.out.end(), dll);
       it != std::sregex_iterator(); ++it) {
    std::string name = (*it)[1];
    for (char& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    dlls.push_back(name);
  }
  ASSERT_FALSE(dlls.empty());
  for (const std::string& name : dlls) {
    EXPECT_TRUE(name == "kernel32.dll" || name == "advapi32.dll" || name == "ws2_32.dll" ||
                name == "iphlpapi.dll" || name == "ntdll.dll" || name == "msvcrt.dll" ||
                name == "mswsock.dll")
        << kAgentExe << " needs " << name;
  }
}

TEST_F(WineAgentTest, CreatesItsConfigurationFromTheShippedDefault) {
  const fs::path config = g_prefix / "drive_c" / "ProgramData" / "mimamori" / "agent.yaml";
  fs::remove(config);
  const WineResult r = Wine({"wine", "C:\\mimamori\\mimamori-agent.exe", "--check-config"});
  ASSERT_EQ(r.exit_code, 0) << r.err << r.out;
  EXPECT_NE(r.out.find("agent.yaml: OK"), std::string::npos) << r.out;
  ASSERT_TRUE(fs::exists(config)) << r.err;
  EXPECT_EQ(ReadFile(config), ReadFile(g_prefix / "drive_c" / "mimamori" / "agent.yaml.default"));
  // An operator's edit is never replaced.
  { std::ofstream(config) << "community: Edited\n"; }
  const WineResult again = Wine({"wine", "C:\\mimamori\\mimamori-agent.exe", "--check-config"});
  EXPECT_EQ(again.exit_code, 0) << again.err;
  EXPECT_EQ(ReadFile(config), "community: Edited\n");
}

TEST_F(WineAgentTest, SystemGroupSaysWindowsAsTheWindowsSnmpService) {
  const auto walk = Walk(endpoint_, ".1.3.6.1.2.1.1");
  ASSERT_TRUE(walk.count(".1.3.6.1.2.1.1.1.0"));
  const std::string descr = walk.at(".1.3.6.1.2.1.1.1.0").Octets().value_or("");
  EXPECT_TRUE(std::regex_match(
      descr, std::regex("Hardware: .+ - Software: Windows Version [0-9.]+ \\(Build [0-9]+ "
                        "(Multi|Uni)processor Free\\)")))
      << descr;
  ASSERT_TRUE(walk.count(".1.3.6.1.2.1.1.2.0"));
  EXPECT_EQ(walk.at(".1.3.6.1.2.1.1.2.0").value, kMimamoriMib + ".1.2");
}

TEST_F(WineAgentTest, StorageTableShowsWineDrivesAndMemory) {
  const auto descr = Walk(endpoint_, ".1.3.6.1.2.1.25.2.3.1.3");
  const auto size = Walk(endpoint_, ".1.3.6.1.2.1.25.2.3.1.5");
  bool drive_c = false;
  for (const auto& [oid, vb] : descr) {
    const std::string text = vb.Octets().value_or("");
    if (text.rfind("C:\\ Label:", 0) == 0) {
      drive_c = true;
      EXPECT_TRUE(std::regex_match(text, std::regex("C:\\\\ Label:.*  Serial Number [0-9a-f]+")))
          << text;
      const std::string index = oid.substr(oid.rfind('.'));
      ASSERT_TRUE(size.count(".1.3.6.1.2.1.25.2.3.1.5" + index));
      EXPECT_GT(size.at(".1.3.6.1.2.1.25.2.3.1.5" + index).Number().value_or(0), 0);
    }
  }
  EXPECT_TRUE(drive_c) << "no C:\\ row";
  EXPECT_TRUE(AnyValue(descr, "Virtual Memory"));
  EXPECT_TRUE(AnyValue(descr, "Physical Memory"));
  // UCD-SNMP-MIB's dskTable lists the same drives.
  EXPECT_TRUE(AnyValue(Walk(endpoint_, ".1.3.6.1.4.1.2021.9.1.2"), "C:\\"));
}

TEST_F(WineAgentTest, ProcessTableShowsAProcessStartedUnderWine) {
  ChildProcess::Options options;
  options.argv = {"wine", "C:\\mimamori\\mimamori-test-sleeper.exe", "--mimamori-wine-test", "4711",
                  "two words"};
  std::string error;
  auto helper = ChildProcess::Spawn(options, error);
  ASSERT_TRUE(helper) << error;
  const std::string expected = "--mimamori-wine-test 4711 \"two words\"";
  std::string index;
  const bool seen = WaitFor(
      [&] {
        for (const auto& [oid, vb] : Walk(endpoint_, ".1.3.6.1.2.1.25.4.2.1.5")) {
          if (vb.Octets() == expected) index = oid.substr(oid.rfind('.'));
        }
        // Wine names a new process only once its image is mapped, a moment
        // after its command line exists.
        if (index.empty()) return false;
        const auto started_name = Get(endpoint_, ".1.3.6.1.2.1.25.4.2.1.2" + index);
        return started_name && !started_name->Octets().value_or("").empty();
      },
      30s, 500ms);
  ASSERT_TRUE(seen) << "hrSWRunParameters never showed " << expected;
  const auto name = Get(endpoint_, ".1.3.6.1.2.1.25.4.2.1.2" + index);
  ASSERT_TRUE(name);
  EXPECT_EQ(name->Octets(), "mimamori-test-sleeper.exe");
  const auto path = Get(endpoint_, ".1.3.6.1.2.1.25.4.2.1.4" + index);
  ASSERT_TRUE(path);
  EXPECT_TRUE(std::regex_match(
      path->Octets().value_or(""),
      std::regex("C:\\\\mimamori\\\\mimamori-test-sleeper\\.exe", std::regex::icase)))
      << path->value;
  helper->Stop();
}

TEST_F(WineAgentTest, ListenersShowTheAgentsAndTheTestsSockets) {
  // A TCP listener of this (Linux) process: wine's GetExtendedTcpTable reads
  // the host's sockets.
  const int s = ::socket(AF_INET, SOCK_STREAM, 0);
  ASSERT_GE(s, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ASSERT_EQ(::bind(s, reinterpret_cast<sockaddr*>(&address), sizeof address), 0);
  ASSERT_EQ(::listen(s, 1), 0);
  socklen_t length = sizeof address;
  ASSERT_EQ(::getsockname(s, reinterpret_cast<sockaddr*>(&address), &length), 0);
  const std::string tcp_port = std::to_string(ntohs(address.sin_port));
  const std::string tcp_row = ".1.3.6.1.2.1.6.20.1.4.1.4.127.0.0.1." + tcp_port;
  EXPECT_TRUE(WaitFor([&] { return Walk(endpoint_, ".1.3.6.1.2.1.6.20.1.4").count(tcp_row) > 0; },
                      20s, 500ms))
      << "tcpListenerTable has no " << tcp_row;
  ::close(s);
  // The agent's own UDP socket, in udpTable and udpEndpointTable.
  const std::string udp_port = endpoint_.substr(endpoint_.find(':') + 1);
  EXPECT_EQ(
      Walk(endpoint_, ".1.3.6.1.2.1.7.5.1.2").count(".1.3.6.1.2.1.7.5.1.2.127.0.0.1." + udp_port),
      1u);
  bool endpoint_row = false;
  for (const auto& [oid, vb] : Walk(endpoint_, ".1.3.6.1.2.1.7.7.1.8")) {
    endpoint_row =
        endpoint_row || oid.rfind(".1.3.6.1.2.1.7.7.1.8.1.4.127.0.0.1." + udp_port + ".", 0) == 0;
  }
  EXPECT_TRUE(endpoint_row) << "udpEndpointTable has no row for port " << udp_port;
}

// "RpcSs" as an OID index: length, then the octets.
std::string NameIndex(const std::string& name) {
  std::string out = "." + std::to_string(name.size());
  for (unsigned char c : name) out += "." + std::to_string(c);
  return out;
}

TEST_F(WineAgentTest, ServiceTablesListWinesServices) {
  const std::string entry = kMimamoriMib + ".2.2.1";
  const auto names = Walk(endpoint_, entry + ".1");
  ASSERT_GE(names.size(), 5u) << "wine has more services than that";
  // RpcSs exists in every wine prefix; its start type is a real one.
  const std::string rpcss = NameIndex("RpcSs");
  ASSERT_TRUE(names.count(entry + ".1" + rpcss)) << "no RpcSs row";
  const auto start_type = Get(endpoint_, entry + ".4" + rpcss);
  ASSERT_TRUE(start_type);
  EXPECT_GE(start_type->Number().value_or(0), 1);
  EXPECT_LE(start_type->Number().value_or(0), 5);
  // svSvcTable lists the started services by display name; our table lists
  // every service. (Which are started changes while the test runs: wine
  // starts services on demand. The exact mapping is a unit test.)
  const auto display = Walk(endpoint_, entry + ".2");
  const auto started = Walk(endpoint_, ".1.3.6.1.4.1.77.1.2.3.1.1");
  ASSERT_FALSE(started.empty()) << "no started service in wine";
  EXPECT_LT(started.size(), names.size()) << "wine has stopped services (Spooler, ...)";
  // wine adds device services (Winedevice1, 2, ...) as drivers load, so the
  // two walks need not see the same set: most names, not all, must match.
  std::size_t in_both = 0;
  for (const auto& [oid, vb] : started) {
    const std::string name = vb.Octets().value_or("");
    in_both += AnyValue(display, name) ? 1 : 0;
    EXPECT_EQ(oid, ".1.3.6.1.4.1.77.1.2.3.1.1" + NameIndex(name));  // indexed by display name
  }
  EXPECT_GE(in_both * 2, started.size()) << "svSvcTable and mimamoriServiceTable disagree";
  const auto number = Get(endpoint_, ".1.3.6.1.4.1.77.1.2.2.0");
  ASSERT_TRUE(number);
  EXPECT_GE(number->Number().value_or(0), 1);
}

}  // namespace
}  // namespace mimamori::testing
