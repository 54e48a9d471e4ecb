// The sd_notify datagram protocol against a real Unix datagram socket, bound
// to a path and to an abstract name as systemd may hand out either.
#include "mimamori/sdnotify/service_notifier.h"

#include <gtest/gtest.h>
#include <stdlib.h>
#include <unistd.h>

#include <filesystem>
#include <random>

#include "tests/support/notify_socket.h"

namespace mimamori::sdnotify {
namespace {

using namespace std::chrono_literals;
using testing::NotifySocket;

std::string UniqueName(const std::string& stem) {
  std::random_device random;
  return stem + "-" + std::to_string(::getpid()) + "-" + std::to_string(random());
}

std::string TempPath(const std::string& stem) {
  return (std::filesystem::temp_directory_path() / UniqueName(stem)).string();
}

TEST(ServiceNotifier, SendsReadyWithStatusToASocketPath) {
  NotifySocket manager(TempPath("mimamori-notify"));
  ASSERT_TRUE(manager.bound());
  ServiceNotifier notifier(manager.address(), 0us);
  EXPECT_TRUE(notifier.enabled());
  EXPECT_EQ(notifier.Ready("3 nodes"), "");
  EXPECT_EQ(manager.Receive(2s), "READY=1\nSTATUS=3 nodes");
  EXPECT_EQ(notifier.Stopping(), "");
  EXPECT_EQ(manager.Receive(2s), "STOPPING=1");
}

TEST(ServiceNotifier, SendsToAnAbstractNameWithoutTheTrailingNul) {
  // Bound without a terminating NUL: a sender that counted one would reach
  // another name and get ECONNREFUSED.
  NotifySocket manager("@" + UniqueName("mimamori-notify"));
  ASSERT_TRUE(manager.bound());
  ServiceNotifier notifier(manager.address(), 0us);
  EXPECT_EQ(notifier.Ready(""), "");
  EXPECT_EQ(manager.Receive(2s), "READY=1");
}

TEST(ServiceNotifier, ReloadingCarriesTheMonotonicTime) {
  NotifySocket manager(TempPath("mimamori-notify"));
  ServiceNotifier notifier(manager.address(), 0us);
  EXPECT_EQ(notifier.Reloading(), "");
  const auto message = manager.Receive(2s);
  ASSERT_TRUE(message);
  EXPECT_EQ(message->rfind("RELOADING=1\nMONOTONIC_USEC=", 0), 0u) << *message;
  EXPECT_GT(std::stoull(message->substr(message->find('=', 12) + 1)), 0u);
}

TEST(ServiceNotifier, WatchdogPingsOnlyWhenAWatchdogIsSet) {
  NotifySocket manager(TempPath("mimamori-notify"));
  ServiceNotifier without(manager.address(), 0us);
  EXPECT_EQ(without.WatchdogPing(), "");
  EXPECT_EQ(manager.Receive(100ms), std::nullopt);

  ServiceNotifier with(manager.address(), 3s);
  EXPECT_EQ(with.watchdog_ping_period(), 1500ms);
  EXPECT_EQ(with.WatchdogPing(), "");
  EXPECT_EQ(manager.Receive(2s), "WATCHDOG=1");
}

TEST(ServiceNotifier, DisabledSucceedsSilently) {
  ServiceNotifier notifier;
  EXPECT_FALSE(notifier.enabled());
  EXPECT_EQ(notifier.Ready("x"), "");
  EXPECT_EQ(notifier.WatchdogPing(), "");
}

TEST(ServiceNotifier, AMissingSocketIsReportedNotThrown) {
  const std::string path = TempPath("mimamori-absent");
  ServiceNotifier notifier(path, 0us);
  const std::string why = notifier.Ready("");
  EXPECT_NE(why.find(path), std::string::npos) << why;
  EXPECT_NE(why.find("send"), std::string::npos) << why;
}

TEST(ServiceNotifier, ReadsAndClearsTheEnvironment) {
  ::setenv("NOTIFY_SOCKET", "@mimamori-env", 1);
  ::setenv("WATCHDOG_USEC", "4000000", 1);
  ::setenv("WATCHDOG_PID", std::to_string(::getpid()).c_str(), 1);
  const auto notifier = ServiceNotifier::FromEnvironment();
  EXPECT_TRUE(notifier.enabled());
  EXPECT_EQ(notifier.watchdog_interval(), 4s);
  EXPECT_EQ(notifier.watchdog_ping_period(), 2s);
  EXPECT_EQ(std::getenv("NOTIFY_SOCKET"), nullptr);
  EXPECT_EQ(std::getenv("WATCHDOG_USEC"), nullptr);
  EXPECT_EQ(std::getenv("WATCHDOG_PID"), nullptr);
}

TEST(ServiceNotifier, AWatchdogMeantForAnotherProcessIsIgnored) {
  ::setenv("NOTIFY_SOCKET", "/run/systemd/notify", 1);
  ::setenv("WATCHDOG_USEC", "4000000", 1);
  ::setenv("WATCHDOG_PID", std::to_string(::getpid() + 1).c_str(), 1);
  const auto notifier = ServiceNotifier::FromEnvironment();
  EXPECT_TRUE(notifier.enabled());
  EXPECT_EQ(notifier.watchdog_interval(), 0us);
}

TEST(ServiceNotifier, NoSocketMeansDisabled) {
  ::unsetenv("NOTIFY_SOCKET");
  ::setenv("WATCHDOG_USEC", "junk", 1);
  const auto notifier = ServiceNotifier::FromEnvironment();
  EXPECT_FALSE(notifier.enabled());
  EXPECT_EQ(notifier.watchdog_interval(), 0us);
}

}  // namespace
}  // namespace mimamori::sdnotify
