// IcmpPinger against the kernel: loopback targets answer; a veth peer in a
// private network namespace that ignores echo requests never does.
//
// Only loopback addresses and addresses we put into our own namespaces are
// ever pinged. Tests that need root or namespaces skip, saying why, when the
// machine does not allow them; namespaces and links carry this process's pid
// in their names and are deleted by destructors, also after a failed assert.
// Every wait is bounded; nothing asserts on timing.
#include "collector/net/icmp_pinger.h"

#include <fcntl.h>
#include <netinet/in.h>
#include <sched.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <cstring>
#include <future>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

namespace mimamori::collector {
namespace {

using namespace std::chrono_literals;
using Mode = IcmpPingerOptions::Mode;

// Far above any check here (timeouts are at most 2 s): only a hang reaches it.
constexpr auto kBound = 20s;

struct Shell {
  int status = -1;  // exit status; -1 when it did not run or was killed
  std::string output;
};

// Runs a short administrative command (ip, sh) and captures what it says.
Shell Sh(const std::string& command) {
  Shell result;
  FILE* pipe = ::popen((command + " 2>&1").c_str(), "r");
  if (!pipe) return result;
  char buffer[256];
  while (std::fgets(buffer, sizeof buffer, pipe)) result.output += buffer;
  const int status = ::pclose(pipe);
  if (status != -1 && WIFEXITED(status)) result.status = WEXITSTATUS(status);
  return result;
}

std::optional<PingOutcome> PingAndWait(Pinger& pinger, const std::string& address,
                                       const PingSettings& settings) {
  auto promise = std::make_shared<std::promise<PingOutcome>>();
  std::future<PingOutcome> future = promise->get_future();
  pinger.Ping(address, settings,
              [promise](PingOutcome outcome) { promise->set_value(std::move(outcome)); });
  if (future.wait_for(kBound) != std::future_status::ready) return std::nullopt;
  return future.get();
}

PingSettings Quick(int packets = 1) {
  PingSettings settings;
  settings.packets = packets;
  settings.interval = 20ms;
  settings.timeout = 2s;
  return settings;
}

// Whether ::1 exists here (containers may run without IPv6).
bool Ipv6LoopbackUsable() {
  const int fd = ::socket(AF_INET6, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return false;
  sockaddr_in6 address{};
  address.sin6_family = AF_INET6;
  address.sin6_addr = in6addr_loopback;
  const bool ok = ::bind(fd, reinterpret_cast<const sockaddr*>(&address), sizeof address) == 0;
  ::close(fd);
  return ok;
}

// A network namespace of our own, deleted (with everything in it, such as
// the far end of a veth pair, which takes the near end along) on destruction.
class Netns {
 public:
  // nullptr, with the reason in `why`, when namespaces are not permitted.
  static std::unique_ptr<Netns> Create(std::string* why) {
    if (::geteuid() != 0) {
      *why = "needs root for network namespaces (ip netns add)";
      return nullptr;
    }
    static std::atomic<int> counter{0};
    const int n = counter++;
    std::unique_ptr<Netns> netns(
        new Netns("mimamori-ping-" + std::to_string(::getpid()) + "-" + std::to_string(n), n));
    const Shell added = Sh("ip netns add " + netns->name_);
    if (added.status != 0) {
      *why = "ip netns add is not permitted here: " + added.output;
      netns->created_ = false;
      return nullptr;
    }
    if (!netns->Exec("ip link set lo up")) {
      *why = "cannot bring up lo in a new namespace";
      return nullptr;
    }
    netns->fd_ = ::open(("/var/run/netns/" + netns->name_).c_str(), O_RDONLY | O_CLOEXEC);
    if (netns->fd_ < 0) {
      *why = "cannot open /var/run/netns/" + netns->name_ + ": " + std::strerror(errno);
      return nullptr;
    }
    return netns;
  }

  ~Netns() {
    if (fd_ >= 0) ::close(fd_);
    for (const std::string& link : links_) Sh("ip link del " + link);  // if not gone with the ns
    if (created_) Sh("ip netns del " + name_);
  }

  // Runs `command` inside the namespace; failures are reported as test failures.
  bool Exec(const std::string& command) {
    const Shell shell = Sh("ip netns exec " + name_ + " sh -c '" + command + "'");
    EXPECT_EQ(shell.status, 0) << "in " << name_ << ": " << command << ": " << shell.output;
    return shell.status == 0;
  }
  bool SetSysctl(const std::string& path, const std::string& value) {
    return Exec("echo " + value + " > /proc/sys/" + path);
  }

  // A veth pair: `near` end in the caller's namespace, far end in this one.
  // Returns the interface names' stem; empty on failure.
  std::string AddVeth() {
    const std::string stem = "mmp" + std::to_string(::getpid() % 100000) + "n" + std::to_string(n_);
    const Shell shell =
        Sh("ip link add " + stem + "a type veth peer name " + stem + "b netns " + name_);
    EXPECT_EQ(shell.status, 0) << shell.output;
    if (shell.status != 0) return "";
    links_.push_back(stem + "a");
    return stem;
  }

  const std::string& name() const { return name_; }
  int fd() const { return fd_; }
  int n() const { return n_; }

 private:
  Netns(std::string name, int n) : name_(std::move(name)), n_(n) {}

  std::string name_;
  int n_ = 0;
  int fd_ = -1;
  bool created_ = true;
  std::vector<std::string> links_;
};

// Puts the calling thread into `netns` until destroyed. Sockets belong to
// the namespace they were created in, so a pinger constructed in this scope
// pings inside it for its whole life.
class ScopedNetnsEntry {
 public:
  explicit ScopedNetnsEntry(const Netns& netns)
      : original_(::open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC)) {
    entered_ = original_ >= 0 && ::setns(netns.fd(), CLONE_NEWNET) == 0;
  }
  ~ScopedNetnsEntry() {
    if (entered_ && ::setns(original_, CLONE_NEWNET) != 0) std::abort();  // would poison the suite
    if (original_ >= 0) ::close(original_);
  }
  bool entered() const { return entered_; }

 private:
  int original_;
  bool entered_ = false;
};

// Loopback tests, once per socket kind: raw in our namespace (needs
// CAP_NET_RAW); datagram in our namespace when net.ipv4.ping_group_range
// covers us, else in a private namespace where we widen that range.
class IcmpPingerLoopbackTest : public ::testing::TestWithParam<Mode> {
 protected:
  // A pinger with the parameter's socket kind, or nullptr with `why`.
  std::unique_ptr<IcmpPinger> MakePinger(std::string* why, std::uint16_t first_sequence = 0) {
    IcmpPingerOptions options;
    options.mode = GetParam();
    options.first_sequence = first_sequence;
    if (GetParam() == Mode::kRawOnly) {
      auto pinger = std::make_unique<IcmpPinger>(options);
      if (pinger->SocketKind(false) != IcmpSocketKind::kRaw) {
        *why = "raw ICMP sockets need CAP_NET_RAW: " + pinger->SocketError(false);
        return nullptr;
      }
      return pinger;
    }
    std::string refused;
    {
      auto pinger = std::make_unique<IcmpPinger>(options);
      if (pinger->SocketKind(false) == IcmpSocketKind::kDatagram) return pinger;
      refused = pinger->SocketError(false);
    }
    if (!netns_) netns_ = Netns::Create(why);
    if (!netns_) {
      *why = "no datagram ICMP socket here (" + refused +
             "), and no namespace to allow one in: " + *why;
      return nullptr;
    }
    if (!netns_->SetSysctl("net/ipv4/ping_group_range", "\"0 2147483647\"")) {
      *why = "cannot set net.ipv4.ping_group_range in " + netns_->name();
      return nullptr;
    }
    ScopedNetnsEntry entry(*netns_);
    if (!entry.entered()) {
      *why = std::string("setns: ") + std::strerror(errno);
      return nullptr;
    }
    auto pinger = std::make_unique<IcmpPinger>(options);
    if (pinger->SocketKind(false) != IcmpSocketKind::kDatagram) {
      *why = "no datagram ICMP socket even with ping_group_range widened: " +
             pinger->SocketError(false);
      return nullptr;
    }
    return pinger;
  }

  std::unique_ptr<Netns> netns_;  // declared first: outlives the pingers of a test
};

TEST_P(IcmpPingerLoopbackTest, Ipv4LoopbackAnswersEveryPacket) {
  std::string why;
  auto pinger = MakePinger(&why);
  if (!pinger) GTEST_SKIP() << why;
  const auto outcome = PingAndWait(*pinger, "127.0.0.1", Quick(3));
  ASSERT_TRUE(outcome.has_value()) << "no outcome within the bound";
  EXPECT_EQ(outcome->error, "");
  EXPECT_EQ(outcome->sent, 3);
  EXPECT_EQ(outcome->received, 3);
  EXPECT_EQ(outcome->round_trips.size(), 3u);
}

TEST_P(IcmpPingerLoopbackTest, Ipv6LoopbackAnswers) {
  std::string why;
  auto pinger = MakePinger(&why);
  if (!pinger) GTEST_SKIP() << why;
  if (!Ipv6LoopbackUsable() && !netns_) GTEST_SKIP() << "IPv6 loopback (::1) is not available";
  if (pinger->SocketKind(true) == IcmpSocketKind::kNone) {
    GTEST_SKIP() << "IPv6 loopback unavailable: no ICMPv6 socket: " << pinger->SocketError(true);
  }
  const auto outcome = PingAndWait(*pinger, "::1", Quick(2));
  ASSERT_TRUE(outcome.has_value()) << "no outcome within the bound";
  if (outcome->error.find("Cannot assign") != std::string::npos ||
      outcome->error.find("unreachable") != std::string::npos) {
    GTEST_SKIP() << "IPv6 loopback unavailable: " << outcome->error;
  }
  EXPECT_EQ(outcome->error, "");
  EXPECT_EQ(outcome->sent, 2);
  EXPECT_EQ(outcome->received, 2);
}

// 500 targets at once from four threads (Ping() is thread-safe), starting
// 200 sequence numbers before the 16-bit wrap so that matching crosses it.
TEST_P(IcmpPingerLoopbackTest, FiveHundredLoopbackAddressesAllAnswer) {
  std::string why;
  auto pinger = MakePinger(&why, /*first_sequence=*/65336);
  if (!pinger) GTEST_SKIP() << why;
  std::mutex mutex;
  std::condition_variable all_done;
  std::map<std::string, PingOutcome> outcomes;
  std::map<std::string, int> callbacks;
  constexpr int kTargets = 500;
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      for (int i = t; i < kTargets; i += 4) {
        const std::string address =
            "127.0." + std::to_string(1 + i / 250) + "." + std::to_string(1 + i % 250);
        pinger->Ping(address, Quick(), [&, address](PingOutcome outcome) {
          std::lock_guard lock(mutex);
          ++callbacks[address];
          outcomes[address] = std::move(outcome);
          if (outcomes.size() == kTargets) all_done.notify_one();
        });
      }
    });
  }
  for (std::thread& thread : threads) thread.join();
  std::unique_lock lock(mutex);
  ASSERT_TRUE(all_done.wait_for(lock, kBound, [&] { return outcomes.size() == kTargets; }))
      << outcomes.size() << " of " << kTargets << " checks finished";
  int answered = 0;
  for (const auto& [address, outcome] : outcomes) {
    EXPECT_EQ(callbacks[address], 1) << address;
    EXPECT_EQ(outcome.error, "") << address;
    EXPECT_EQ(outcome.sent, 1) << address;
    answered += outcome.received;
  }
  EXPECT_EQ(answered, kTargets);
}

INSTANTIATE_TEST_SUITE_P(SocketKinds, IcmpPingerLoopbackTest,
                         ::testing::Values(Mode::kRawOnly, Mode::kDatagramOnly),
                         [](const ::testing::TestParamInfo<Mode>& param) {
                           return param.param == Mode::kRawOnly ? "Raw" : "Datagram";
                         });

class IcmpPingerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    pinger_ = std::make_unique<IcmpPinger>();
    if (pinger_->SocketKind(false) == IcmpSocketKind::kNone) {
      GTEST_SKIP() << "no ICMP socket (run as root, or widen net.ipv4.ping_group_range): "
                   << pinger_->SocketError(false);
    }
  }
  std::unique_ptr<IcmpPinger> pinger_;
};

TEST_F(IcmpPingerTest, NameIsResolvedAndPinged) {
  const auto outcome = PingAndWait(*pinger_, "localhost", Quick());
  ASSERT_TRUE(outcome.has_value()) << "no outcome within the bound";
  if (outcome->error.rfind("cannot resolve", 0) == 0) {
    GTEST_SKIP() << "localhost does not resolve here: " << outcome->error;
  }
  EXPECT_EQ(outcome->error, "");
  EXPECT_EQ(outcome->received, 1);
}

TEST_F(IcmpPingerTest, UnresolvableNameIsAnErrorNotAnException) {
  // RFC 6761: .invalid never resolves.
  const auto outcome = PingAndWait(*pinger_, "mimamori-test.invalid", Quick());
  ASSERT_TRUE(outcome.has_value()) << "no outcome within the bound";
  EXPECT_EQ(outcome->error.rfind("cannot resolve mimamori-test.invalid: ", 0), 0u)
      << outcome->error;
  EXPECT_EQ(outcome->sent, 0);
  EXPECT_EQ(outcome->received, 0);
}

TEST_F(IcmpPingerTest, InvalidSettingsAreAnError) {
  PingSettings settings = Quick();
  settings.packets = 0;
  const auto outcome = PingAndWait(*pinger_, "127.0.0.1", settings);
  ASSERT_TRUE(outcome.has_value()) << "no outcome within the bound";
  EXPECT_NE(outcome->error, "");
  EXPECT_EQ(outcome->sent, 0);
}

TEST_F(IcmpPingerTest, DestructionFinishesChecksInFlight) {
  std::atomic<int> calls{0};
  std::string error;
  PingSettings settings = Quick(3);
  settings.interval = 60s;  // the second request would be due long after the test
  pinger_->Ping("127.0.0.1", settings, [&](PingOutcome outcome) {
    error = outcome.error;
    ++calls;
  });
  pinger_.reset();  // joins the pinger's thread: the callback has run
  EXPECT_EQ(calls.load(), 1);
  EXPECT_EQ(error, "pinger stopped");
}

// A target that receives our echo requests and never answers: the far end of
// a veth pair in a private namespace with icmp_echo_ignore_all. It answers
// first, which proves the requests do reach it.
class IcmpPingerSilentTargetTest : public ::testing::Test {
 protected:
  void SetUp() override {
    pinger_ = std::make_unique<IcmpPinger>();
    if (pinger_->SocketKind(false) == IcmpSocketKind::kNone) {
      GTEST_SKIP() << "no ICMP socket: " << pinger_->SocketError(false);
    }
    std::string why;
    netns_ = Netns::Create(&why);
    if (!netns_) GTEST_SKIP() << why;
    stem_ = netns_->AddVeth();
    ASSERT_NE(stem_, "");
  }

  // A /30 of the benchmarking range 198.18.0.0/15 (RFC 2544) and a /64 of
  // a ULA prefix, both chosen by pid and namespace: test processes that ctest
  // runs side by side must not add the same subnet to two links.
  std::string V4(int host) const {
    const int offset = 4 * ((::getpid() % 512) * 64 + netns_->n() % 64) + host;
    return "198." + std::to_string(18 + offset / 65536) + "." + std::to_string(offset / 256 % 256) +
           "." + std::to_string(offset % 256);
  }
  std::string V6(int host) const {
    char prefix[64];
    std::snprintf(prefix, sizeof prefix, "fd6d:6d72:%x:%x:%x::", unsigned(::getpid()) >> 16,
                  unsigned(::getpid()) & 0xffff, unsigned(netns_->n()));
    return prefix + std::to_string(host);
  }

  std::unique_ptr<Netns> netns_;  // first: the pinger goes before its target
  std::unique_ptr<IcmpPinger> pinger_;
  std::string stem_;
};

PingSettings Silent() {
  PingSettings settings;
  settings.packets = 2;
  settings.interval = 50ms;
  settings.timeout = 300ms;
  return settings;
}

TEST_F(IcmpPingerSilentTargetTest, Ipv4RequestsWithoutRepliesTimeOut) {
  const std::string near = stem_ + "a", far = stem_ + "b";
  ASSERT_EQ(Sh("ip addr add " + V4(1) + "/30 dev " + near).status, 0);
  ASSERT_EQ(Sh("ip link set " + near + " up").status, 0);
  ASSERT_TRUE(
      netns_->Exec("ip addr add " + V4(2) + "/30 dev " + far + " && ip link set " + far + " up"));

  const auto answered = PingAndWait(*pinger_, V4(2), Quick());
  ASSERT_TRUE(answered.has_value()) << "no outcome within the bound";
  ASSERT_EQ(answered->received, 1)
      << "the namespace does not answer even before ignoring: " << answered->error;

  ASSERT_TRUE(netns_->SetSysctl("net/ipv4/icmp_echo_ignore_all", "1"));
  const auto outcome = PingAndWait(*pinger_, V4(2), Silent());
  ASSERT_TRUE(outcome.has_value()) << "no outcome within the bound";
  EXPECT_EQ(outcome->error, "");
  EXPECT_EQ(outcome->sent, 2);
  EXPECT_EQ(outcome->received, 0);
  EXPECT_TRUE(outcome->round_trips.empty());
}

TEST_F(IcmpPingerSilentTargetTest, Ipv6RequestsWithoutRepliesTimeOut) {
  if (pinger_->SocketKind(true) == IcmpSocketKind::kNone) {
    GTEST_SKIP() << "no ICMPv6 socket: " << pinger_->SocketError(true);
  }
  const std::string near = stem_ + "a", far = stem_ + "b";
  if (Sh("ip -6 addr add " + V6(1) + "/64 dev " + near + " nodad").status != 0) {
    GTEST_SKIP() << "IPv6 is not available on veth links here";
  }
  ASSERT_EQ(Sh("ip link set " + near + " up").status, 0);
  ASSERT_TRUE(netns_->Exec("ip -6 addr add " + V6(2) + "/64 dev " + far + " nodad && ip link set " +
                           far + " up"));

  const auto answered = PingAndWait(*pinger_, V6(2), Quick());
  ASSERT_TRUE(answered.has_value()) << "no outcome within the bound";
  ASSERT_EQ(answered->received, 1)
      << "the namespace does not answer even before ignoring: " << answered->error;

  if (Sh("ip netns exec " + netns_->name() + " test -e /proc/sys/net/ipv6/icmp/echo_ignore_all")
          .status != 0) {
    GTEST_SKIP() << "kernel has no net.ipv6.icmp.echo_ignore_all";
  }
  ASSERT_TRUE(netns_->SetSysctl("net/ipv6/icmp/echo_ignore_all", "1"));
  const auto outcome = PingAndWait(*pinger_, V6(2), Silent());
  ASSERT_TRUE(outcome.has_value()) << "no outcome within the bound";
  EXPECT_EQ(outcome->error, "");
  EXPECT_EQ(outcome->sent, 2);
  EXPECT_EQ(outcome->received, 0);
}

// Silent and answering targets in one burst: the silent ones must not hold
// up or disturb the others' matching.
TEST_F(IcmpPingerSilentTargetTest, SilentTargetsDoNotDisturbAnsweringOnes) {
  const std::string near = stem_ + "a", far = stem_ + "b";
  ASSERT_EQ(Sh("ip addr add " + V4(1) + "/30 dev " + near).status, 0);
  ASSERT_EQ(Sh("ip link set " + near + " up").status, 0);
  ASSERT_TRUE(
      netns_->Exec("ip addr add " + V4(2) + "/30 dev " + far + " && ip link set " + far + " up"));
  ASSERT_TRUE(netns_->SetSysctl("net/ipv4/icmp_echo_ignore_all", "1"));

  std::mutex mutex;
  std::condition_variable all_done;
  std::vector<PingOutcome> silent, loopback;
  constexpr int kEach = 50;
  for (int i = 0; i < kEach; ++i) {
    pinger_->Ping(V4(2), Silent(), [&](PingOutcome outcome) {
      std::lock_guard lock(mutex);
      silent.push_back(std::move(outcome));
      all_done.notify_one();
    });
    pinger_->Ping("127.0.2." + std::to_string(i + 1), Quick(), [&](PingOutcome outcome) {
      std::lock_guard lock(mutex);
      loopback.push_back(std::move(outcome));
      all_done.notify_one();
    });
  }
  std::unique_lock lock(mutex);
  ASSERT_TRUE(all_done.wait_for(
      lock, kBound, [&] { return silent.size() == kEach && loopback.size() == kEach; }));
  for (const PingOutcome& outcome : silent) {
    EXPECT_EQ(outcome.sent, 2);
    EXPECT_EQ(outcome.received, 0);
  }
  for (const PingOutcome& outcome : loopback) {
    EXPECT_EQ(outcome.sent, 1);
    EXPECT_EQ(outcome.received, 1);
  }
}

// More requests than 16-bit sequence numbers: the excess waits for numbers
// freed by timeouts instead of reusing one still outstanding.
TEST_F(IcmpPingerSilentTargetTest, MoreOutstandingRequestsThanSequenceNumbersWait) {
  const std::string near = stem_ + "a", far = stem_ + "b";
  ASSERT_EQ(Sh("ip addr add " + V4(1) + "/30 dev " + near).status, 0);
  ASSERT_EQ(Sh("ip link set " + near + " up").status, 0);
  ASSERT_TRUE(
      netns_->Exec("ip addr add " + V4(2) + "/30 dev " + far + " && ip link set " + far + " up"));
  ASSERT_TRUE(netns_->SetSysctl("net/ipv4/icmp_echo_ignore_all", "1"));

  PingSettings settings;
  settings.timeout = 300ms;
  constexpr int kChecks = 65536 + 1000;
  std::mutex mutex;
  std::condition_variable all_done;
  int done = 0, sent = 0, received = 0, errors = 0;
  for (int i = 0; i < kChecks; ++i) {
    pinger_->Ping(V4(2), settings, [&](PingOutcome outcome) {
      std::lock_guard lock(mutex);
      sent += outcome.sent;
      received += outcome.received;
      errors += !outcome.error.empty();
      if (++done == kChecks) all_done.notify_one();
    });
  }
  std::unique_lock lock(mutex);
  ASSERT_TRUE(all_done.wait_for(lock, kBound, [&] { return done == kChecks; }))
      << done << " of " << kChecks << " checks finished";
  EXPECT_EQ(sent, kChecks);
  EXPECT_EQ(received, 0);
  EXPECT_EQ(errors, 0);
}

}  // namespace
}  // namespace mimamori::collector
