// Both daemons speak sd_notify as systemd expects from a Type=notify service
// with WatchdogSec=: READY=1 only once they serve, watchdog pings at half the
// interval, RELOADING=1/READY=1 around a SIGHUP reload, STOPPING=1 on SIGTERM.
// The manager's side is a real Unix datagram socket.
#include <gtest/gtest.h>
#include <signal.h>
#include <unistd.h>

#include <random>
#include <regex>

#include "tests/integration/agent_process.h"
#include "tests/support/notify_socket.h"

namespace mimamori::testing {
namespace {

using namespace std::chrono_literals;

std::string Unique(const std::string& stem) {
  std::random_device random;
  return stem + "-" + std::to_string(::getpid()) + "-" + std::to_string(random());
}

std::vector<std::string> NotifyEnvironment(const NotifySocket& socket,
                                           std::chrono::microseconds watchdog) {
  // No WATCHDOG_PID: systemd sets it to the main PID, which the test cannot
  // know before the spawn; without it the variable applies to the reader.
  return {"NOTIFY_SOCKET=" + socket.address(), "WATCHDOG_USEC=" + std::to_string(watchdog.count())};
}

// Watchdog pings seen within `window`.
int CountPings(const NotifySocket& socket, std::chrono::milliseconds window) {
  int pings = 0;
  const auto end = std::chrono::steady_clock::now() + window;
  while (true) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        end - std::chrono::steady_clock::now());
    if (left.count() <= 0) break;
    auto message = socket.Receive(left);
    if (!message) break;
    if (*message == "WATCHDOG=1") ++pings;
  }
  return pings;
}

TEST(ServiceNotify, AgentIsReadyWhenItAnswersPingsTheWatchdogAndReportsReloadAndStop) {
  // Abstract name: the agent drops root (to nobody) and must still reach it.
  NotifySocket manager("@" + Unique("mimamori-agent-notify"));
  ASSERT_TRUE(manager.bound());
  TempDir dir;
  const auto config = dir.Write("agent.yaml", "community: MieKiban\n");
  ChildProcess::Options options;
  options.argv = {AgentBinary(),     "--config", config.string(), "--listen",
                  "udp:127.0.0.1:0", "--user",   "nobody"};
  options.stderr_path = dir.path() / "agent.log";
  options.extra_env = NotifyEnvironment(manager, 400ms);
  std::string error;
  auto agent = ChildProcess::Spawn(options, error);
  ASSERT_TRUE(agent) << error;

  auto ready = manager.ReceiveStartingWith("READY=1", 15s);
  ASSERT_TRUE(ready) << ReadFile(dir.path() / "agent.log");
  std::smatch port;
  ASSERT_TRUE(std::regex_search(*ready, port, std::regex("udp:127\\.0\\.0\\.1:([0-9]+)")))
      << *ready;
  // Ready means serving: the first request after READY=1 is answered.
  EXPECT_TRUE(GetNumber("127.0.0.1:" + port[1].str(), ".1.3.6.1.2.1.1.3.0"));

  // 400 ms interval: a ping every 200 ms, so at least 3 in a second.
  EXPECT_GE(CountPings(manager, 1000ms), 3);

  ::kill(agent->pid(), SIGHUP);
  EXPECT_TRUE(manager.ReceiveStartingWith("RELOADING=1", 5s));
  EXPECT_TRUE(manager.ReceiveStartingWith("READY=1", 5s));
  ::kill(agent->pid(), SIGTERM);
  EXPECT_TRUE(manager.ReceiveStartingWith("STOPPING=1", 5s));
  EXPECT_EQ(agent->Stop(), 0);
}

TEST(ServiceNotify, CollectorIsReadyWhenMetricsServeAndPingsFromItsLoop) {
  TempDir dir;
  NotifySocket manager((dir.path() / "notify").string());
  ASSERT_TRUE(manager.bound());
  const auto inventory = dir.Write("inventory.yaml", R"(metrics: {listen: "127.0.0.1:0"}
alerting:
  ledger: )" + (dir.path() / "ledger.db").string() + R"(
  templates: )" + std::string(MIMAMORI_SOURCE_DIR) + R"(/packaging/templates
nodes:
  - {name: loopback, address: 127.0.0.1, resource: false}
)");
  ChildProcess::Options options;
  options.argv = {MIMAMORI_COLLECTOR_BINARY, "--config", inventory.string()};
  options.stderr_path = dir.path() / "collector.log";
  options.extra_env = NotifyEnvironment(manager, 600ms);
  std::string error;
  auto collector = ChildProcess::Spawn(options, error);
  ASSERT_TRUE(collector) << error;

  auto ready = manager.ReceiveStartingWith("READY=1", 20s);
  ASSERT_TRUE(ready) << ReadFile(dir.path() / "collector.log");
  EXPECT_NE(ready->find("STATUS=1 nodes, "), std::string::npos) << *ready;
  // READY=1 comes after /metrics is bound: its port is already in the log.
  EXPECT_NE(ReadFile(dir.path() / "collector.log").find("/metrics on port "), std::string::npos);

  // 600 ms interval: a ping every 300 ms.
  EXPECT_GE(CountPings(manager, 1500ms), 3);

  ::kill(collector->pid(), SIGHUP);
  EXPECT_TRUE(manager.ReceiveStartingWith("RELOADING=1", 5s));
  ready = manager.ReceiveStartingWith("READY=1", 5s);
  ASSERT_TRUE(ready);
  EXPECT_NE(ReadFile(dir.path() / "collector.log").find("configuration reloaded"),
            std::string::npos);
  ::kill(collector->pid(), SIGTERM);
  EXPECT_TRUE(manager.ReceiveStartingWith("STOPPING=1", 5s));
  EXPECT_EQ(collector->Stop(), 0);
}

TEST(ServiceNotify, WithoutNotifySocketTheAgentRunsAsBefore) {
  std::string error;
  auto agent = AgentProcess::Start({}, error);
  ASSERT_TRUE(agent) << error;
  EXPECT_TRUE(GetNumber(agent->endpoint(), ".1.3.6.1.2.1.1.3.0"));
  EXPECT_EQ(agent->Log().find("notification failed"), std::string::npos) << agent->Log();
}

}  // namespace
}  // namespace mimamori::testing
