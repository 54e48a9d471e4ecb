#include "agent/mib/cpu_history.h"

#include <gtest/gtest.h>

#include <chrono>

#include "tests/unit/fake_host_data.h"

namespace mimamori::agent {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;

class CpuHistoryTest : public ::testing::Test {
 protected:
  // Counters since boot; an all-zero sample counts as "no history" for snmpd.
  CpuHistoryTest() {
    host_.cpu.per_cpu.resize(2);
    host_.cpu.per_cpu[0].user = 1000;
    host_.cpu.per_cpu[0].idle = 1000;
    host_.cpu.per_cpu[1].idle = 2000;
    host_.cpu.total.user = 1000;
    host_.cpu.total.idle = 3000;
  }

  // Advances the fake clock by `step` and has the counters move by one tick's
  // worth: CPU 0 is 60 % busy, CPU 1 is idle, the total is their sum.
  void Tick(seconds step = seconds(5)) {
    now_ += step;
    CpuTimes& c0 = host_.cpu.per_cpu[0];
    c0.user += 200;
    c0.system += 50;
    c0.iowait += 50;  // busy for hrProcessorLoad: only idle counts as idle
    c0.idle += 200;
    CpuTimes& c1 = host_.cpu.per_cpu[1];
    c1.idle += 500;
    CpuTimes& t = host_.cpu.total;
    t.user += 200;
    t.system += 50;
    t.iowait += 50;
    t.idle += 700;
    host_.cpu.interrupts += 1200;
    host_.cpu.context_switches += 600;
    host_.cpu.pages_in += 30;
    host_.cpu.pages_out += 60;
    host_.cpu.swap_in += 12;
    host_.cpu.swap_out += 6;
    history_.Sample();
  }

  testing::FakeHostData host_;
  SystemSettings system_;
  SnmpCounters counters_;
  std::chrono::steady_clock::time_point now_{seconds(1000)};
  ProviderContext context_{host_,
                           system_,
                           counters_,
                           [this] { return now_; },
                           [] { return std::chrono::system_clock::time_point{}; },
                           now_};
  CpuHistory history_{context_};
};

TEST_F(CpuHistoryTest, IgnoresSamplesLessThanASecondApart) {
  history_.Sample();
  history_.Sample();  // a second provider forwarding the same timer tick
  EXPECT_EQ(history_.size(), 1u);
  now_ += milliseconds(999);
  history_.Sample();
  EXPECT_EQ(history_.size(), 1u);
  now_ += milliseconds(1);
  history_.Sample();
  EXPECT_EQ(history_.size(), 2u);
}

TEST_F(CpuHistoryTest, LatestSamplesOnDemandAndThenFollowsTheTimer) {
  host_.cpu.total.user = 42;
  EXPECT_EQ(history_.Latest().total.user, 42u);
  EXPECT_EQ(history_.size(), 1u);
  host_.cpu.total.user = 43;
  // Not a new sample: the raw counters move with the sampling timer, as snmpd's.
  EXPECT_EQ(history_.Latest().total.user, 42u);
  now_ += seconds(5);
  history_.Sample();
  EXPECT_EQ(history_.Latest().total.user, 43u);
}

TEST_F(CpuHistoryTest, NoMinuteValuesUntilTwelveSamples) {
  history_.Sample();
  for (int i = 0; i < 10; ++i) Tick();
  ASSERT_EQ(history_.size(), 11u);
  EXPECT_FALSE(history_.ProcessorLoad(0));
  EXPECT_FALSE(history_.Percentages());
  EXPECT_FALSE(history_.Rates());
  Tick();
  EXPECT_EQ(history_.size(), CpuHistory::kHistoryLength);
  EXPECT_TRUE(history_.ProcessorLoad(0));
  EXPECT_TRUE(history_.Percentages());
  EXPECT_TRUE(history_.Rates());
}

TEST_F(CpuHistoryTest, ProcessorLoadIsHundredMinusIdlePercent) {
  history_.Sample();
  for (int i = 0; i < 11; ++i) Tick();
  // CPU 0: idle 200 of 500 per tick -> 40 % idle -> 60 % load.
  EXPECT_EQ(history_.ProcessorLoad(0), 60);
  EXPECT_EQ(history_.ProcessorLoad(1), 0);
  EXPECT_FALSE(history_.ProcessorLoad(2));  // no such CPU
}

TEST_F(CpuHistoryTest, ProcessorLoadTruncatesLikeSnmpd) {
  host_.cpu.per_cpu.resize(1);
  host_.cpu.total = host_.cpu.per_cpu[0];
  history_.Sample();
  for (int i = 0; i < 11; ++i) {
    now_ += seconds(5);
    host_.cpu.per_cpu[0].idle += 2;  // 2 of 3 idle: idle 66.67 % -> 66 -> load 34
    host_.cpu.per_cpu[0].user += 1;
    host_.cpu.total = host_.cpu.per_cpu[0];
    history_.Sample();
  }
  EXPECT_EQ(history_.ProcessorLoad(0), 34);
}

TEST_F(CpuHistoryTest, HistoryIsARingOfTwelve) {
  history_.Sample();
  for (int i = 0; i < 11; ++i) Tick();
  EXPECT_EQ(history_.ProcessorLoad(1), 0);
  // From now on CPU 1 is fully busy; after 11 more ticks the idle minute has
  // left the window completely.
  for (int i = 0; i < 11; ++i) {
    now_ += seconds(5);
    host_.cpu.per_cpu[1].user += 500;
    history_.Sample();
    EXPECT_EQ(history_.size(), CpuHistory::kHistoryLength);
  }
  EXPECT_EQ(history_.ProcessorLoad(1), 100);
}

TEST_F(CpuHistoryTest, ProcessorLoadAbsentWhenTheCpuDidNotMove) {
  history_.Sample();
  for (int i = 0; i < 11; ++i) {
    now_ += seconds(5);
    host_.cpu.per_cpu[0].user += 10;  // CPU 1 frozen (offline)
    history_.Sample();
  }
  EXPECT_EQ(history_.ProcessorLoad(0), 100);
  EXPECT_FALSE(history_.ProcessorLoad(1));
}

TEST_F(CpuHistoryTest, ProcessorLoadClampsWhenIdleRunsBackwards) {
  host_.cpu.per_cpu[0].idle = 100000;
  history_.Sample();
  for (int i = 0; i < 11; ++i) {
    now_ += seconds(5);
    host_.cpu.per_cpu[0].idle -= 1000;
    host_.cpu.per_cpu[0].user += 2000;
    history_.Sample();
  }
  EXPECT_EQ(history_.ProcessorLoad(0), 0);
}

TEST_F(CpuHistoryTest, PercentagesOfTheOverallCpu) {
  history_.Sample();
  for (int i = 0; i < 11; ++i) Tick();
  // Total per tick 1000: user 200, system 50, idle 700.
  const auto percent = history_.Percentages();
  ASSERT_TRUE(percent);
  EXPECT_EQ(percent->user, 20);
  EXPECT_EQ(percent->system, 5);
  EXPECT_EQ(percent->idle, 70);
}

TEST_F(CpuHistoryTest, PercentagesCountGuestTwiceAsSnmpd) {
  history_.Sample();
  for (int i = 0; i < 11; ++i) {
    now_ += seconds(5);
    // The kernel counts guest time in user too; snmpd's total adds it again.
    host_.cpu.total.user += 300;
    host_.cpu.total.guest += 300;
    host_.cpu.total.idle += 400;
    history_.Sample();
  }
  const auto percent = history_.Percentages();
  ASSERT_TRUE(percent);
  EXPECT_EQ(percent->user, 30);  // 300 / 1000, not 300 / 700
  EXPECT_EQ(percent->idle, 40);
}

TEST_F(CpuHistoryTest, RatesDivideElevenIntervalsBySixtySeconds) {
  history_.Sample();
  for (int i = 0; i < 11; ++i) Tick();
  const auto rates = history_.Rates();
  ASSERT_TRUE(rates);
  EXPECT_EQ(rates->interrupts, 11 * 1200 / 60);
  EXPECT_EQ(rates->context_switches, 11 * 600 / 60);
  EXPECT_EQ(rates->io_received, 11 * 30 * 2 / 60);  // pgpgin doubled
  EXPECT_EQ(rates->io_sent, 11 * 60 * 2 / 60);
  EXPECT_EQ(rates->swap_in, 11 * 12 / 60);
  EXPECT_EQ(rates->swap_out, 11 * 6 / 60);
}

TEST_F(CpuHistoryTest, AllZeroOldestSampleGivesNoValue) {
  host_.cpu = CpuStat{};
  host_.cpu.per_cpu.resize(2);
  history_.Sample();
  for (int i = 0; i < 11; ++i) Tick();
  EXPECT_FALSE(history_.ProcessorLoad(0));
  EXPECT_FALSE(history_.Percentages());
  EXPECT_FALSE(history_.Rates());
}

TEST(CpuHistoryTotalTest, SumsEveryColumn) {
  CpuTimes t{1, 2, 3, 4, 5, 6, 7, 8, 9, 10};
  EXPECT_EQ(TotalTicks(t), 55u);
}

}  // namespace
}  // namespace mimamori::agent
