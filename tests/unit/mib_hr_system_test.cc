#include <gtest/gtest.h>

#include <chrono>
#include <cstdlib>
#include <ctime>
#include <map>
#include <optional>
#include <string>

#include "agent/mib/host_resources.h"
#include "tests/unit/fake_host_data.h"

namespace mimamori::agent {
namespace {

using proto::Oid;
using proto::Value;
using std::chrono::seconds;

Oid HrSystem(std::uint32_t object) { return Oid{1, 3, 6, 1, 2, 1, 25, 1, object, 0}; }

// Sets TZ for one test and restores it after, so that hrSystemDate does not
// depend on the machine's zone. POSIX zone strings need no tzdata.
class ScopedTimeZone {
 public:
  explicit ScopedTimeZone(const char* zone) {
    if (const char* old = std::getenv("TZ")) old_ = old;
    setenv("TZ", zone, 1);
    tzset();
  }
  ~ScopedTimeZone() {
    if (old_) {
      setenv("TZ", old_->c_str(), 1);
    } else {
      unsetenv("TZ");
    }
    tzset();
  }
  ScopedTimeZone(const ScopedTimeZone&) = delete;
  ScopedTimeZone& operator=(const ScopedTimeZone&) = delete;

 private:
  std::optional<std::string> old_;
};

class HrSystemTest : public ::testing::Test {
 protected:
  HrSystemTest() {
    host_.uptime_seconds = 311.45;
    host_.logged_in_users = 3;
    host_.processes.resize(67);
  }

  std::map<Oid, Value> Collect() { return testing::CollectInstances(*provider_); }

  testing::FakeHostData host_;
  SystemSettings system_;
  SnmpCounters counters_;
  std::chrono::steady_clock::time_point now_{seconds(100)};
  // 2026-11-23 18:53:40.7 UTC
  std::chrono::system_clock::time_point wall_ =
      std::chrono::system_clock::from_time_t(1795460020) + std::chrono::milliseconds(700);
  ProviderContext context_{
      host_, system_, counters_, [this] { return now_; }, [this] { return wall_; }, now_};
  std::unique_ptr<MibProvider> provider_ = MakeHrSystemProvider(context_);
};

TEST_F(HrSystemTest, OnlyTheClockIsReadPerRequest) {
  auto object = [](std::uint32_t n) { return Oid{1, 3, 6, 1, 2, 1, 25, 1, n}; };
  EXPECT_EQ(provider_->VolatileRoots(), (std::vector<Oid>{object(1), object(2)}));
  EXPECT_EQ(provider_->Roots(),
            (std::vector<Oid>{object(3), object(4), object(5), object(6), object(7)}));
  EXPECT_FALSE(provider_->Volatile());
  MibWriter clock;
  provider_->CollectVolatile(clock);
  EXPECT_EQ(clock.entries().size(), 2u);
}

TEST_F(HrSystemTest, ScalarsAsSnmpd) {
  ScopedTimeZone utc("UTC0");
  host_.kernel_command_line = std::string(130, 'k');
  const auto v = Collect();
  EXPECT_EQ(v.size(), 7u);
  EXPECT_EQ(v.at(HrSystem(1)), Value::TimeTicks(31145));
  EXPECT_EQ(v.at(HrSystem(2)),
            Value::OctetString(std::string("\x07\xea\x0b\x17\x12\x35\x28\x00+\x00\x00", 11)));
  EXPECT_EQ(v.at(HrSystem(3)), Value::Integer(393216));
  EXPECT_EQ(v.at(HrSystem(4)), Value::OctetString(std::string(128, 'k')));
  EXPECT_EQ(v.at(HrSystem(5)), Value::Gauge32(3));
  EXPECT_EQ(v.at(HrSystem(6)), Value::Gauge32(67));
  EXPECT_EQ(v.at(HrSystem(7)), Value::Integer(0));
}

TEST_F(HrSystemTest, DateCarriesTheLocalOffset) {
  {
    ScopedTimeZone tokyo("JST-9");
    EXPECT_EQ(Collect().at(HrSystem(2)),
              Value::OctetString(std::string("\x07\xea\x0b\x18\x03\x35\x28\x00+\x09\x00", 11)));
  }
  {
    ScopedTimeZone newfoundland("NST3:30");
    EXPECT_EQ(Collect().at(HrSystem(2)),
              Value::OctetString(std::string("\x07\xea\x0b\x17\x0f\x17\x28\x00-\x03\x1e", 11)));
  }
}

TEST_F(HrSystemTest, ShortCommandLineKeepsTheKernelsNewline) {
  host_.kernel_command_line = "BOOT_IMAGE=/vmlinuz root=/dev/sda1 ro quiet";
  EXPECT_EQ(Collect().at(HrSystem(4)),
            Value::OctetString("BOOT_IMAGE=/vmlinuz root=/dev/sda1 ro quiet\n"));
  host_.kernel_command_line = std::string(127, 'x');
  EXPECT_EQ(Collect().at(HrSystem(4)), Value::OctetString(std::string(127, 'x') + "\n"));
  host_.kernel_command_line = std::string(128, 'x');
  EXPECT_EQ(Collect().at(HrSystem(4)), Value::OctetString(std::string(128, 'x')));
}

TEST_F(HrSystemTest, UptimeWrapsLikeTimeTicks) {
  host_.uptime_seconds = 42949672.96 + 1.5;  // 2^32 centiseconds + 1.5 s
  EXPECT_EQ(Collect().at(HrSystem(1)), Value::TimeTicks(150));
}

TEST_F(HrSystemTest, ProcessCountIsReusedForFiveSeconds) {
  EXPECT_EQ(Collect().at(HrSystem(6)), Value::Gauge32(67));
  host_.processes.resize(70);
  host_.uptime_seconds = 400;
  const auto v = Collect();
  EXPECT_EQ(v.at(HrSystem(6)), Value::Gauge32(67));
  EXPECT_EQ(v.at(HrSystem(1)), Value::TimeTicks(40000));  // the rest is fresh
  now_ += seconds(5);
  EXPECT_EQ(Collect().at(HrSystem(6)), Value::Gauge32(70));
}

}  // namespace
}  // namespace mimamori::agent
