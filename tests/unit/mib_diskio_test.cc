// UCD-DISKIO-MIB provider against hand-made /proc/diskstats rows; expected
// values are what snmpd 5.9.3 answers for the same data.
#include <gtest/gtest.h>

#include <chrono>
#include <cmath>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "agent/core/mib_view.h"
#include "agent/mib/ucd_diskio.h"
#include "tests/unit/fake_host_data.h"

namespace mimamori::agent {
namespace {

using testing::ExpectValue;

using proto::Oid;
using proto::Value;
using proto::ValueType;
using namespace std::chrono_literals;

Oid DiskIoEntry(std::uint32_t column, std::uint32_t index) {
  return Oid{1, 3, 6, 1, 4, 1, 2021, 13, 15, 1, 1, column, index};
}

DiskStat Disk(std::uint32_t major, std::uint32_t minor, std::string name) {
  DiskStat disk;
  disk.major = major;
  disk.minor = minor;
  disk.name = std::move(name);
  return disk;
}

class DiskIoTest : public ::testing::Test {
 protected:
  std::map<Oid, Value> Collect() { return testing::CollectInstances(*provider_); }

  testing::FakeHostData host_;
  SystemSettings system_;
  SnmpCounters counters_;
  std::chrono::steady_clock::time_point now_{1h};
  ProviderContext context_{host_,
                           system_,
                           counters_,
                           [this] { return now_; },
                           [] { return std::chrono::system_clock::time_point{}; },
                           now_};
  std::unique_ptr<MibProvider> provider_ = MakeDiskIoProvider(context_);
};

TEST_F(DiskIoTest, RootIsDiskIoTable) {
  EXPECT_EQ(provider_->Roots(), (std::vector<Oid>{Oid{1, 3, 6, 1, 4, 1, 2021, 13, 15}}));
}

TEST_F(DiskIoTest, RowHasTheColumnsSnmpdServes) {
  // The /proc/diskstats values behind the vda row of the reference snmpd walk.
  DiskStat vda = Disk(254, 0, "vda");
  vda.reads_completed = 29497;
  vda.sectors_read = 2358938;
  vda.writes_completed = 24188;
  vda.sectors_written = 1819576;
  host_.disks = {vda};
  const auto got = Collect();
  ExpectValue(got, DiskIoEntry(1, 1), Value::Integer(1));
  ExpectValue(got, DiskIoEntry(2, 1), Value::OctetString("vda"));
  ExpectValue(got, DiskIoEntry(3, 1), Value::Counter32(1207776256));
  ExpectValue(got, DiskIoEntry(4, 1), Value::Counter32(931622912));
  ExpectValue(got, DiskIoEntry(5, 1), Value::Counter32(29497));
  ExpectValue(got, DiskIoEntry(6, 1), Value::Counter32(24188));
  ExpectValue(got, DiskIoEntry(12, 1), Value::Counter64(1207776256));
  ExpectValue(got, DiskIoEntry(13, 1), Value::Counter64(931622912));
  // Not sampled yet: snmpd answers 0 ("we don't have the load yet").
  ExpectValue(got, DiskIoEntry(9, 1), Value::Integer(0));
  ExpectValue(got, DiskIoEntry(10, 1), Value::Integer(0));
  ExpectValue(got, DiskIoEntry(11, 1), Value::Integer(0));
  ExpectValue(got, DiskIoEntry(14, 1), Value::Counter64(0));
  EXPECT_EQ(got.size(), 12u);
}

TEST_F(DiskIoTest, BusyTimeIsMicroseconds) {
  DiskStat vda = Disk(252, 0, "vda");
  vda.io_ticks_ms = 187634;
  DiskStat sdb = Disk(8, 16, "sdb");
  sdb.io_ticks_ms = 0xFFFF'FFFFULL;  // the kernel's largest: no 32-bit wrap in µs
  host_.disks = {vda, sdb};
  const auto got = Collect();
  ExpectValue(got, DiskIoEntry(14, 1), Value::Counter64(187634000));
  ExpectValue(got, DiskIoEntry(14, 2), Value::Counter64(0xFFFF'FFFFULL * 1000));
}

// diskIOLA1/5/15 as snmpd 5.9.3's devla_getstats() computes them, sampled
// every 5 s: busy% = delta(io_ticks ms) * 100 / 5 / 1000, then
// la = la * e^(-5/T) + busy% * (1 - e^(-5/T)) for T = 60, 300, 900 s,
// answered truncated to an integer.
class DiskIoLoadTest : public DiskIoTest {
 protected:
  // Advances the fake clock by `seconds` with `busy_ms` more I/O time on
  // every disk, then samples.
  void Step(double seconds, std::uint64_t busy_ms) {
    now_ += std::chrono::duration_cast<std::chrono::steady_clock::duration>(
        std::chrono::duration<double>(seconds));
    for (DiskStat& disk : host_.disks) disk.io_ticks_ms += busy_ms;
    provider_->Sample();
  }

  std::vector<std::int32_t> Loads(std::uint32_t index) {
    const auto got = Collect();
    std::vector<std::int32_t> loads;
    for (std::uint32_t column : {9u, 10u, 11u}) {
      const auto it = got.find(DiskIoEntry(column, index));
      loads.push_back(it == got.end() ? -1 : it->second.AsInteger());
    }
    return loads;
  }

  // snmpd's arithmetic, for comparison.
  struct Snmpd {
    double la1 = 0, la5 = 0, la15 = 0;
    void Sample(std::uint64_t busy_ms) {
      const double busy_percent = static_cast<double>(busy_ms) * 100. / 5. / 1000.;
      const double e1 = std::exp(-5. / 60), e5 = std::exp(-5. / 300), e15 = std::exp(-5. / 900);
      la1 = la1 * e1 + busy_percent * (1. - e1);
      la5 = la5 * e5 + busy_percent * (1. - e5);
      la15 = la15 * e15 + busy_percent * (1. - e15);
    }
    std::vector<std::int32_t> Values() const {
      return {static_cast<std::int32_t>(la1), static_cast<std::int32_t>(la5),
              static_cast<std::int32_t>(la15)};
    }
  };
};

TEST_F(DiskIoLoadTest, FirstSampleIsTheBaseline) {
  DiskStat sda = Disk(8, 0, "sda");
  sda.io_ticks_ms = 123456789;  // busy time before the agent started does not count
  host_.disks = {sda};
  provider_->Sample();
  EXPECT_EQ(Loads(1), (std::vector<std::int32_t>{0, 0, 0}));
}

TEST_F(DiskIoLoadTest, ABusyMinute) {
  host_.disks = {Disk(8, 0, "sda")};
  provider_->Sample();
  // A minute at 100 %: 1 - e^-1, 1 - e^-(1/5), 1 - e^-(1/15) of 100.
  for (int i = 0; i < 12; ++i) Step(5, 5000);
  EXPECT_EQ(Loads(1), (std::vector<std::int32_t>{63, 18, 6}));
  // Then a minute idle: the averages decay.
  for (int i = 0; i < 12; ++i) Step(5, 0);
  EXPECT_EQ(Loads(1), (std::vector<std::int32_t>{23, 14, 6}));
}

TEST_F(DiskIoLoadTest, FollowsSnmpdSampleBySample) {
  host_.disks = {Disk(8, 0, "sda")};
  provider_->Sample();
  Snmpd snmpd;
  // An uneven load: bursts, idle gaps, a saturated stretch.
  const std::uint64_t busy[] = {0,    4999, 5000, 120,  0,    0,    2500, 3333, 5000, 5000,
                                5000, 5000, 17,   0,    4000, 1000, 0,    0,    0,    4321,
                                2222, 1111, 5000, 4999, 4998, 0,    0,    60,   700,  3000};
  for (const std::uint64_t ms : busy) {
    Step(5, ms);
    snmpd.Sample(ms);
    EXPECT_EQ(Loads(1), snmpd.Values()) << "after " << ms << " ms busy";
  }
}

TEST_F(DiskIoLoadTest, ALateTickUsesTheMeasuredInterval) {
  host_.disks = {Disk(8, 0, "sda")};
  provider_->Sample();
  // 10 s busy in 20 s is 50 %, weighted for 20 s: 50 * (1 - e^(-20/60)) =
  // 14.2. (snmpd's fixed 5 s would call it 200 % and answer 15.)
  Step(20, 10000);
  EXPECT_EQ(Loads(1)[0], 14);
}

TEST_F(DiskIoLoadTest, ARepeatedTickIsIgnored) {
  host_.disks = {Disk(8, 0, "sda")};
  provider_->Sample();
  Step(5, 5000);
  const std::vector<std::int32_t> after_one = Loads(1);
  Step(0.5, 0);  // within 1 s of the previous sample: not a sample
  EXPECT_EQ(Loads(1), after_one);
  Step(4.5, 5000);  // 5 s after the real one, with all the busy time since
  Snmpd snmpd;
  snmpd.Sample(5000);
  snmpd.Sample(5000);
  EXPECT_EQ(Loads(1), snmpd.Values());
}

TEST_F(DiskIoLoadTest, EachRowHasItsOwnAverages) {
  host_.disks = {Disk(8, 0, "sda"), Disk(8, 16, "sdb")};
  provider_->Sample();
  for (int i = 0; i < 12; ++i) {
    now_ += 5s;
    host_.disks[0].io_ticks_ms += 5000;
    host_.disks[1].io_ticks_ms += 2500;
    provider_->Sample();
  }
  EXPECT_EQ(Loads(1), (std::vector<std::int32_t>{63, 18, 6}));
  EXPECT_EQ(Loads(2), (std::vector<std::int32_t>{31, 9, 3}));
}

TEST_F(DiskIoLoadTest, ANewDeviceStartsFromZero) {
  host_.disks = {Disk(8, 0, "sda")};
  provider_->Sample();
  for (int i = 0; i < 12; ++i) Step(5, 5000);
  DiskStat sdb = Disk(8, 16, "sdb");
  sdb.io_ticks_ms = 999999;
  host_.disks.push_back(sdb);
  EXPECT_EQ(Loads(2), (std::vector<std::int32_t>{0, 0, 0}));  // not sampled yet
  Step(5, 5000);
  EXPECT_EQ(Loads(2), (std::vector<std::int32_t>{0, 0, 0}));  // its baseline
  Step(5, 5000);
  Snmpd one;
  one.Sample(5000);
  EXPECT_EQ(Loads(2), one.Values());
  EXPECT_GT(Loads(1)[0], 63);
}

TEST_F(DiskIoLoadTest, ADifferentDeviceAtAPositionRestarts) {
  host_.disks = {Disk(8, 0, "sda"), Disk(8, 16, "sdb")};
  provider_->Sample();
  for (int i = 0; i < 12; ++i) Step(5, 5000);
  // sda goes away: sdb moves to index 1. snmpd would keep sda's averages for
  // the row (and compute a busy time from two devices' counters); we
  // restart it.
  host_.disks.erase(host_.disks.begin());
  EXPECT_EQ(Loads(1), (std::vector<std::int32_t>{0, 0, 0}));
  EXPECT_EQ(Loads(2), (std::vector<std::int32_t>{-1, -1, -1}));  // no row
  Step(5, 5000);
  EXPECT_EQ(Loads(1), (std::vector<std::int32_t>{0, 0, 0}));
  Step(5, 5000);
  Snmpd one;
  one.Sample(5000);
  EXPECT_EQ(Loads(1), one.Values());
}

TEST_F(DiskIoLoadTest, ACounterGoingBackwardsCountsAsIdle) {
  DiskStat sda = Disk(8, 0, "sda");
  sda.io_ticks_ms = 0xFFFF'F000ULL;
  host_.disks = {sda};
  provider_->Sample();
  Snmpd snmpd;
  for (int i = 0; i < 6; ++i) {
    Step(5, 500);
    snmpd.Sample(500);
  }
  // io_ticks is 32-bit in /proc/diskstats: it wraps (or a re-created device
  // starts again at 0). That interval counts as idle, not as ~4e9 ms busy.
  host_.disks[0].io_ticks_ms = 100;
  now_ += 5s;
  provider_->Sample();
  snmpd.Sample(0);
  EXPECT_EQ(Loads(1), snmpd.Values());
  Step(5, 500);
  snmpd.Sample(500);
  EXPECT_EQ(Loads(1), snmpd.Values());
}

TEST_F(DiskIoTest, ByteCountersWrapToLow32BitsInTheOldColumns) {
  DiskStat sda = Disk(8, 0, "sda");
  sda.sectors_read = 0x80'0001ULL;  // 2^23 + 1 sectors = 4 GiB + 512 bytes
  sda.sectors_written = 0x1'2345'6789ULL;
  sda.reads_completed = 0x1'0000'0007ULL;
  sda.writes_completed = 0xFFFF'FFFFULL;
  host_.disks = {sda};
  const auto got = Collect();
  ExpectValue(got, DiskIoEntry(3, 1), Value::Counter32(512));
  ExpectValue(got, DiskIoEntry(12, 1), Value::Counter64(0x1'0000'0200ULL));
  ExpectValue(got, DiskIoEntry(4, 1),
              Value::Counter32(static_cast<std::uint32_t>(0x1'2345'6789ULL * 512)));
  ExpectValue(got, DiskIoEntry(13, 1), Value::Counter64(0x1'2345'6789ULL * 512));
  ExpectValue(got, DiskIoEntry(5, 1), Value::Counter32(7));
  ExpectValue(got, DiskIoEntry(6, 1), Value::Counter32(0xFFFF'FFFFu));
}

TEST_F(DiskIoTest, EveryDeviceIsListedInFileOrder) {
  // snmpd without diskio_exclude_* keeps loop, ram, partitions and dm devices.
  host_.disks = {Disk(7, 0, "loop0"), Disk(1, 0, "ram0"),   Disk(8, 0, "sda"),
                 Disk(8, 1, "sda1"),  Disk(253, 0, "dm-0"), Disk(251, 0, "zram0")};
  const auto got = Collect();
  const std::vector<std::string> names = {"loop0", "ram0", "sda", "sda1", "dm-0", "zram0"};
  for (std::uint32_t i = 0; i < names.size(); ++i) {
    ExpectValue(got, DiskIoEntry(1, i + 1), Value::Integer(static_cast<std::int32_t>(i + 1)));
    ExpectValue(got, DiskIoEntry(2, i + 1), Value::OctetString(names[i]));
  }
  EXPECT_EQ(got.count(DiskIoEntry(2, 7)), 0u);
}

TEST_F(DiskIoTest, EmptyTable) {
  std::vector<std::unique_ptr<MibProvider>> providers;
  providers.push_back(MakeDiskIoProvider(context_));
  MibView view(std::move(providers), 1s, [this] { return now_; });
  EXPECT_EQ(view.Get(DiskIoEntry(2, 1)).type, ValueType::kNoSuchInstance);
  EXPECT_EQ(view.Get(DiskIoEntry(13, 1)).type, ValueType::kNoSuchInstance);
  EXPECT_FALSE(view.GetNext(Oid{1, 3, 6, 1, 4, 1, 2021, 13, 15}));
}

TEST_F(DiskIoTest, WalkIsColumnByColumn) {
  host_.disks = {Disk(8, 0, "sda"), Disk(8, 1, "sda1")};
  std::vector<std::unique_ptr<MibProvider>> providers;
  providers.push_back(MakeDiskIoProvider(context_));
  MibView view(std::move(providers), 1s, [this] { return now_; });
  std::vector<Oid> walked;
  for (auto vb = view.GetNext(Oid{1, 3, 6, 1, 4, 1, 2021, 13, 15}); vb;
       vb = view.GetNext(vb->oid)) {
    walked.push_back(vb->oid);
  }
  // Columns 1-6, 9-14 (7 and 8 are not defined), two rows each.
  ASSERT_EQ(walked.size(), 24u);
  EXPECT_EQ(walked[0], DiskIoEntry(1, 1));
  EXPECT_EQ(walked[1], DiskIoEntry(1, 2));
  EXPECT_EQ(walked[2], DiskIoEntry(2, 1));
  EXPECT_EQ(walked[11], DiskIoEntry(6, 2));
  EXPECT_EQ(walked[12], DiskIoEntry(9, 1));
  EXPECT_EQ(walked[18], DiskIoEntry(12, 1));
  EXPECT_EQ(walked[21], DiskIoEntry(13, 2));
  EXPECT_EQ(walked[23], DiskIoEntry(14, 2));
}

}  // namespace
}  // namespace mimamori::agent
