// UCD-DISKIO-MIB provider against hand-made /proc/diskstats rows; expected
// values are what snmpd 5.9.3 answers for the same data.
#include <gtest/gtest.h>

#include <chrono>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "agent/core/mib_view.h"
#include "agent/mib/ucd_diskio.h"
#include "tests/unit/fake_host_data.h"

namespace mimamori::agent {
namespace {

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
  std::map<Oid, Value> Collect() {
    MibWriter writer;
    provider_->Collect(writer);
    std::map<Oid, Value> instances;
    for (const auto& vb : writer.entries()) {
      EXPECT_TRUE(instances.emplace(vb.oid, vb.value).second) << "duplicate " << vb.oid.ToString();
      EXPECT_TRUE(vb.oid.StartsWith(provider_->Roots().at(0))) << vb.oid.ToString();
    }
    return instances;
  }

  static void ExpectValue(const std::map<Oid, Value>& instances, const Oid& oid,
                          const Value& expected) {
    auto it = instances.find(oid);
    ASSERT_NE(it, instances.end()) << "missing " << oid.ToString();
    EXPECT_EQ(it->second, expected)
        << oid.ToString() << " = " << it->second.ToString() << ", expected " << expected.ToString();
  }

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
  EXPECT_EQ(got.size(), 8u) << "diskIOLA1/5/15 and diskIOBusyTime need io_ticks";
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
  ASSERT_EQ(walked.size(), 16u);
  EXPECT_EQ(walked[0], DiskIoEntry(1, 1));
  EXPECT_EQ(walked[1], DiskIoEntry(1, 2));
  EXPECT_EQ(walked[2], DiskIoEntry(2, 1));
  EXPECT_EQ(walked[12], DiskIoEntry(12, 1));
  EXPECT_EQ(walked[15], DiskIoEntry(13, 2));
}

}  // namespace
}  // namespace mimamori::agent
