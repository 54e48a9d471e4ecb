// The agent bound to 0.0.0.0 and [::] answers from the address a request was
// sent to. Run in a private network namespace whose loopback carries two
// addresses of one subnet, 10.77.0.1/24 (primary) and 10.77.0.2/24
// (secondary), and fd77::1, fd77::2: the kernel's own choice of source for a
// reply to 10.77.0.1 is 10.77.0.1 (the local route's preferred source), so a
// query to 10.77.0.2 answered with a plain sendto() comes back from the
// wrong address, and a client on a connected UDP socket (which accepts
// datagrams from its peer only) never sees it. Such clients here: a
// connected socket of the test itself, prometheus-snmp-exporter (gosnmp
// connects), and snmpget for good measure (it does not connect, so it must
// work either way). Needs root for `ip netns`; skips otherwise.
//
// The same namespace, with a veth pair carrying secondary, labelled, APIPA
// and IPv6 addresses, serves to compare IP-MIB's address tables and
// EtherLike-MIB's dot3StatsTable with snmpd's on a richer configuration than
// a CI machine has (AddressTablesTest).
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <sched.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstring>
#include <filesystem>
#include <functional>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "mimamori/proto/ber.h"
#include "tests/integration/agent_process.h"

namespace mimamori::testing {
namespace {

using namespace std::chrono_literals;

// A network namespace with its loopback up and the addresses above;
// deleted by the destructor.
class TestNamespace {
 public:
  static std::unique_ptr<TestNamespace> Create(std::string& why) {
    if (::geteuid() != 0) {
      why = "needs root to create a network namespace (ip netns add)";
      return nullptr;
    }
    auto ns = std::unique_ptr<TestNamespace>(new TestNamespace());
    ns->name_ = "mimamori-rs-" + std::to_string(::getpid());
    const CommandResult add = RunCommand({"ip", "netns", "add", ns->name_}, 20s);
    if (add.exit_code != 0) {
      why = "ip netns add is not permitted here: " + add.Describe();
      return nullptr;
    }
    ns->created_ = true;
    for (const std::vector<std::string>& command : std::vector<std::vector<std::string>>{
             {"link", "set", "lo", "up"},
             {"addr", "add", "10.77.0.1/24", "dev", "lo"},
             {"addr", "add", "10.77.0.2/24", "dev", "lo"},
             {"-6", "addr", "add", "fd77::1/64", "dev", "lo", "nodad"},
             {"-6", "addr", "add", "fd77::2/64", "dev", "lo", "nodad"}}) {
      std::vector<std::string> argv = {"ip", "-n", ns->name_};
      argv.insert(argv.end(), command.begin(), command.end());
      const CommandResult result = RunCommand(argv, 20s);
      if (result.exit_code != 0) {
        why = "cannot set up the namespace (" + argv[3] + " ...): " + result.Describe();
        return nullptr;
      }
    }
    return ns;
  }

  ~TestNamespace() {
    if (created_) RunCommand({"ip", "netns", "del", name_}, 20s);
  }

  const std::string& name() const { return name_; }
  std::vector<std::string> Exec() const { return {"ip", "netns", "exec", name_}; }

  // Runs `body` on a thread that has entered the namespace: sockets it
  // creates live there (setns changes the calling thread only).
  bool Inside(const std::function<void()>& body) const {
    bool entered = false;
    std::thread thread([&] {
      const int fd = ::open(("/run/netns/" + name_).c_str(), O_RDONLY | O_CLOEXEC);
      if (fd < 0) return;
      entered = ::setns(fd, CLONE_NEWNET) == 0;
      ::close(fd);
      if (entered) body();
    });
    thread.join();
    return entered;
  }

 private:
  TestNamespace() = default;
  std::string name_;
  bool created_ = false;
};

sockaddr_storage Address(const std::string& host, std::uint16_t port, socklen_t& length) {
  sockaddr_storage storage{};
  if (host.find(':') != std::string::npos) {
    auto* six = reinterpret_cast<sockaddr_in6*>(&storage);
    six->sin6_family = AF_INET6;
    six->sin6_port = htons(port);
    ::inet_pton(AF_INET6, host.c_str(), &six->sin6_addr);
    length = sizeof(sockaddr_in6);
  } else {
    auto* four = reinterpret_cast<sockaddr_in*>(&storage);
    four->sin_family = AF_INET;
    four->sin_port = htons(port);
    ::inet_pton(AF_INET, host.c_str(), &four->sin_addr);
    length = sizeof(sockaddr_in);
  }
  return storage;
}

// A Get of sysUpTime.0 from `local` on a socket connect()ed to
// `target`:`port` (call inside the namespace). True when an answer came.
bool ConnectedGet(const std::string& local, const std::string& target, std::uint16_t port) {
  socklen_t length = 0;
  const sockaddr_storage from = Address(local, 0, length);
  const int fd = ::socket(from.ss_family, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return false;
  bool answered = false;
  const sockaddr_storage to = Address(target, port, length);
  proto::Message get;
  get.community = kCommunity;
  get.pdu.request_id = 4711;
  get.pdu.varbinds.push_back({*proto::Oid::Parse(".1.3.6.1.2.1.1.3.0"), {}});
  const std::vector<std::uint8_t> wire = proto::EncodeMessage(get);
  if (::bind(fd, reinterpret_cast<const sockaddr*>(&from), length) == 0 &&
      ::connect(fd, reinterpret_cast<const sockaddr*>(&to), length) == 0 &&
      ::send(fd, wire.data(), wire.size(), 0) == static_cast<ssize_t>(wire.size())) {
    // The wait for an answer that may never come is the test's subject:
    // bounded, and 2 s is ample for a loopback round trip.
    pollfd ready{fd, POLLIN, 0};
    if (::poll(&ready, 1, 2000) == 1) {
      std::vector<std::uint8_t> buffer(65536);
      const ssize_t n = ::recv(fd, buffer.data(), buffer.size(), 0);
      proto::Message response;
      answered = n > 0 &&
                 proto::DecodeMessage(std::span(buffer.data(), static_cast<std::size_t>(n)),
                                      response) == proto::DecodeError::kNone &&
                 response.pdu.request_id == 4711;
    }
  }
  ::close(fd);
  return answered;
}

// The port after "udp:HOST:" in the agent's "listening on" line; 0 if absent.
std::uint16_t BoundPort(const std::string& log, const std::string& prefix) {
  const std::size_t line = log.find("listening on ");
  const std::size_t at = line == std::string::npos ? line : log.find(prefix, line);
  if (at == std::string::npos) return 0;
  return static_cast<std::uint16_t>(std::stoul(log.substr(at + prefix.size())));
}

class ReplySourceTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string why;
    ns_ = TestNamespace::Create(why);
    if (!ns_) GTEST_SKIP() << why;
    std::string error;
    agent_ = AgentProcess::Start(
        {.listen = "udp:0.0.0.0:0", .more_listen = {"udp:[::]:0"}, .command_prefix = ns_->Exec()},
        error);
    ASSERT_NE(agent_, nullptr) << error;
    port4_ = BoundPort(agent_->Log(), "udp:0.0.0.0:");
    port6_ = BoundPort(agent_->Log(), "udp:[::]:");
    ASSERT_NE(port4_, 0) << agent_->Log();
    ASSERT_NE(port6_, 0) << agent_->Log();
  }

  std::unique_ptr<TestNamespace> ns_;
  std::unique_ptr<AgentProcess> agent_;
  std::uint16_t port4_ = 0;
  std::uint16_t port6_ = 0;
};

TEST_F(ReplySourceTest, ConnectedClientsGetAnswersFromEveryAddress) {
  struct Case {
    std::string local, target;
    std::uint16_t port;
  };
  const std::vector<Case> cases = {
      {"10.77.0.1", "10.77.0.2", port4_},  // the secondary: the case that failed
      {"10.77.0.2", "10.77.0.1", port4_},  // the primary, from the secondary
      {"10.77.0.1", "10.77.0.1", port4_},  // same address
      {"fd77::1", "fd77::2", port6_},     {"fd77::2", "fd77::1", port6_},
  };
  for (const Case& c : cases) {
    bool answered = false;
    ASSERT_TRUE(ns_->Inside([&] { answered = ConnectedGet(c.local, c.target, c.port); }))
        << "cannot enter " << ns_->name();
    EXPECT_TRUE(answered) << "no answer on a socket from " << c.local << " connected to "
                          << c.target << ":" << c.port << "; agent log:\n"
                          << agent_->Log();
  }
}

TEST_F(ReplySourceTest, SnmpgetGetsAnswersFromTheSecondaryAddresses) {
  for (const std::string& target :
       {"udp:10.77.0.2:" + std::to_string(port4_), "udp6:[fd77::2]:" + std::to_string(port6_)}) {
    std::vector<std::string> argv = ns_->Exec();
    for (const char* arg : {"snmpget", "-v2c", "-c", kCommunity, "-r0", "-t", "2", "-On", "-m", ""})
      argv.push_back(arg);
    argv.push_back(target);
    argv.push_back(".1.3.6.1.2.1.1.3.0");
    const CommandResult get = RunCommand(argv, 20s);
    EXPECT_EQ(get.exit_code, 0) << target << ": " << get.Describe();
    EXPECT_NE(get.out.find("Timeticks"), std::string::npos) << target << ": " << get.out;
  }
}

// A bounded HTTP/1.0 GET inside the namespace; the whole response or "".
std::string HttpGet(const std::string& host, std::uint16_t port, const std::string& path) {
  socklen_t length = 0;
  const sockaddr_storage to = Address(host, port, length);
  const int fd = ::socket(to.ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return "";
  std::string response;
  timeval timeout{20, 0};
  ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof timeout);
  if (::connect(fd, reinterpret_cast<const sockaddr*>(&to), length) == 0) {
    const std::string request = "GET " + path + " HTTP/1.0\r\nHost: " + host + "\r\n\r\n";
    if (::send(fd, request.data(), request.size(), MSG_NOSIGNAL) ==
        static_cast<ssize_t>(request.size())) {
      char buffer[4096];
      for (ssize_t n; (n = ::recv(fd, buffer, sizeof buffer, 0)) > 0;)
        response.append(buffer, static_cast<std::size_t>(n));
    }
  }
  ::close(fd);
  return response;
}

TEST_F(ReplySourceTest, PrometheusSnmpExporterScrapesTheSecondaryAddress) {
  const std::optional<std::filesystem::path> exporter = [] {
    for (const char* dir : {"/usr/bin", "/usr/local/bin"}) {
      const std::filesystem::path candidate =
          std::filesystem::path(dir) / "prometheus-snmp-exporter";
      if (::access(candidate.c_str(), X_OK) == 0) return std::optional(candidate);
    }
    return std::optional<std::filesystem::path>();
  }();
  if (!exporter)
    GTEST_SKIP() << "prometheus-snmp-exporter is not installed (apt-get install "
                    "prometheus-snmp-exporter)";
  TempDir dir;
  // Debian 0.21's module format (community under auth).
  const std::filesystem::path config = dir.Write("snmp.yml", R"(mimamori:
  version: 2
  auth:
    community: MieKiban
  retries: 0
  timeout: 2s
  get:
  - 1.3.6.1.2.1.1.3.0
  metrics:
  - {name: sysUpTime, oid: 1.3.6.1.2.1.1.3, type: gauge}
)");
  // A free port inside the fresh namespace (nothing else runs there, so
  // closing it before the exporter binds it cannot race).
  std::uint16_t http_port = 0;
  ns_->Inside([&] {
    socklen_t length = 0;
    sockaddr_storage address = Address("10.77.0.1", 0, length);
    const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd >= 0 && ::bind(fd, reinterpret_cast<sockaddr*>(&address), length) == 0 &&
        ::getsockname(fd, reinterpret_cast<sockaddr*>(&address), &length) == 0)
      http_port = ntohs(reinterpret_cast<sockaddr_in*>(&address)->sin_port);
    if (fd >= 0) ::close(fd);
  });
  ASSERT_NE(http_port, 0);
  ChildProcess::Options spawn;
  spawn.argv = ns_->Exec();
  for (const std::string& arg : {exporter->string(), "--config.file=" + config.string(),
                                 "--web.listen-address=10.77.0.1:" + std::to_string(http_port),
                                 // gosnmp would pick the primary anyway (the local route's source);
                                 // named so the test does not depend on that.
                                 std::string("--snmp.source-address=10.77.0.1:0")})
    spawn.argv.push_back(arg);
  spawn.stderr_path = dir.path() / "exporter.log";
  std::string error;
  std::optional<ChildProcess> child = ChildProcess::Spawn(spawn, error);
  ASSERT_TRUE(child) << error;
  const bool up = WaitFor(
      [&] {
        std::string body;
        ns_->Inside([&] { body = HttpGet("10.77.0.1", http_port, "/"); });
        return !body.empty() || !child->Running();
      },
      20s, 50ms);
  ASSERT_TRUE(up && child->Running()) << ReadFile(dir.path() / "exporter.log");

  std::string scrape;
  ns_->Inside([&] {
    scrape = HttpGet("10.77.0.1", http_port,
                     "/snmp?module=mimamori&target=10.77.0.2:" + std::to_string(port4_));
  });
  EXPECT_EQ(scrape.substr(0, scrape.find('\n')).find(" 200 "), 8u) << scrape;
  EXPECT_NE(scrape.find("\nsysUpTime "), std::string::npos) << scrape;
}

// A free UDP or TCP port on `host` inside the namespace (nothing else runs
// there, so releasing it before a daemon binds it cannot race).
std::uint16_t FreePortInside(const TestNamespace& ns, const std::string& host, int type) {
  std::uint16_t port = 0;
  ns.Inside([&] {
    socklen_t length = 0;
    sockaddr_storage address = Address(host, 0, length);
    const int fd = ::socket(address.ss_family, type | SOCK_CLOEXEC, 0);
    if (fd >= 0 && ::bind(fd, reinterpret_cast<sockaddr*>(&address), length) == 0 &&
        ::getsockname(fd, reinterpret_cast<sockaddr*>(&address), &length) == 0)
      port = ntohs(reinterpret_cast<sockaddr_in*>(&address)->sin_port);
    if (fd >= 0) ::close(fd);
  });
  return port;
}

TEST(AddressTablesTest, SameAsSnmpdWithSecondaryLabelledApipaAndIpv6Addresses) {
  if (!SnmpdProcess::Available()) GTEST_SKIP() << "snmpd is not installed (apt-get install snmpd)";
  std::string why;
  auto ns = TestNamespace::Create(why);
  if (!ns) GTEST_SKIP() << why;
  const std::vector<std::vector<std::string>> setup = {
      {"link", "add", "eth0", "index", "20", "type", "veth", "peer", "name", "peer0", "index",
       "21"},
      {"link", "set", "eth0", "up"},
      {"link", "set", "peer0", "up"},
      {"addr", "add", "192.0.2.10/24", "brd", "+", "dev", "eth0"},
      {"addr", "add", "192.0.2.11/24", "brd", "+", "dev", "eth0"},  // secondary
      {"addr", "add", "169.254.7.8/16", "dev", "eth0", "label", "eth0:ll"},
      {"addr", "add", "198.51.100.5/24", "brd", "+", "dev", "peer0"},
      {"-6", "addr", "add", "2001:db8:5::10/64", "dev", "eth0", "nodad"},
  };
  for (const auto& command : setup) {
    std::vector<std::string> argv = {"ip", "-n", ns->name()};
    argv.insert(argv.end(), command.begin(), command.end());
    const CommandResult result = RunCommand(argv, 20s);
    if (command[0] == "link" && command[1] == "add" && result.exit_code != 0)
      GTEST_SKIP() << "cannot create a veth pair here: " << result.Describe();
    ASSERT_EQ(result.exit_code, 0) << result.Describe();
  }

  std::string error;
  auto agent = AgentProcess::Start({.command_prefix = ns->Exec()}, error);
  ASSERT_NE(agent, nullptr) << error;

  TempDir dir;
  std::filesystem::create_directory(dir.path() / "persist");
  const auto config =
      dir.Write("snmpd.conf", std::string("rocommunity ") + kCommunity + " 127.0.0.1\n");
  const std::uint16_t snmpd_port = FreePortInside(*ns, "127.0.0.1", SOCK_DGRAM);
  ASSERT_NE(snmpd_port, 0);
  ChildProcess::Options spawn;
  spawn.argv = ns->Exec();
  for (const std::string& arg :
       {std::string("snmpd"), std::string("-f"), std::string("-Lf"),
        (dir.path() / "snmpd.log").string(), std::string("-C"), std::string("-c"), config.string(),
        std::string("-I"), std::string("-smux,mteTrigger,mteTriggerConf"), std::string("-p"),
        (dir.path() / "snmpd.pid").string(), "udp:127.0.0.1:" + std::to_string(snmpd_port)})
    spawn.argv.push_back(arg);
  spawn.extra_env = {"SNMP_PERSISTENT_DIR=" + (dir.path() / "persist").string(),
                     "MIBS=", "MIBDIRS=", "PATH=/usr/sbin:/usr/bin:/sbin:/bin"};
  std::optional<ChildProcess> snmpd = ChildProcess::Spawn(spawn, error);
  ASSERT_TRUE(snmpd) << error;

  const auto walk = [&](std::uint16_t port, const std::string& root) {
    std::vector<std::string> argv = ns->Exec();
    for (const char* arg :
         {"snmpwalk", "-v2c", "-c", kCommunity, "-r0", "-t", "2", "-On", "-m", ""})
      argv.push_back(arg);
    argv.push_back("127.0.0.1:" + std::to_string(port));
    argv.push_back(root);
    return RunCommand(argv, 60s);
  };
  ASSERT_TRUE(
      WaitFor(
          [&] { return !snmpd->Running() || walk(snmpd_port, ".1.3.6.1.2.1.1.3").exit_code == 0; },
          20s, 100ms) &&
      snmpd->Running())
      << ReadFile(dir.path() / "snmpd.log");

  for (const char* root : {".1.3.6.1.2.1.4.20", ".1.3.6.1.2.1.4.34", ".1.3.6.1.2.1.10.7.2.1.1",
                           ".1.3.6.1.2.1.10.7.2.1.19"}) {
    const CommandResult ours = walk(agent->port(), root);
    const CommandResult theirs = walk(snmpd_port, root);
    EXPECT_EQ(ours.exit_code, 0) << ours.Describe();
    EXPECT_FALSE(theirs.out.empty()) << root << ": " << theirs.Describe();
    EXPECT_EQ(ours.out, theirs.out) << root;
  }
}

}  // namespace
}  // namespace mimamori::testing
