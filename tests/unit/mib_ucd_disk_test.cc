#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <map>
#include <string>
#include <vector>

#include "agent/mib/host_resources.h"
#include "agent/mib/ucd_snmp.h"
#include "tests/unit/fake_host_data.h"

namespace mimamori::agent {
namespace {

using proto::Oid;
using proto::Value;

Oid Dsk(std::uint32_t column, std::uint32_t index) {
  return Oid{1, 3, 6, 1, 4, 1, 2021, 9, 1, column, index};
}

class UcdDiskTest : public ::testing::Test {
 protected:
  UcdDiskTest() {
    host_.mounts = {
        {"proc", "/proc", "proc", false},        {"sysfs", "/sys", "sysfs", false},
        {"devtmpfs", "/dev", "devtmpfs", false}, {"tmpfs", "/dev/shm", "tmpfs", false},
        {"devpts", "/dev/pts", "devpts", false}, {"/dev/vda", "/", "ext4", false},
    };
    host_.fs_usage["/dev/shm"] = {4096, 6171021, 6171021, 6171021, 6171021, 6171020};
    // The reference machine's root file system (snmpd: total 264212084 kB,
    // avail 83070496, used 17266692, 7 %, inodes 3 %).
    host_.fs_usage["/"] = {4096, 66053021, 61736348, 20767624, 16384000, 15892480};
  }

  std::map<Oid, Value> Collect() { return testing::CollectInstances(*provider_, &objects_); }

  testing::FakeHostData host_;
  SystemSettings system_;
  SnmpCounters counters_;
  ProviderContext context_{host_,
                           system_,
                           counters_,
                           [] { return std::chrono::steady_clock::time_point{}; },
                           [] { return std::chrono::system_clock::time_point{}; },
                           {}};
  std::unique_ptr<MibProvider> provider_ = MakeUcdDiskProvider(context_);
  std::vector<Oid> objects_;
};

TEST_F(UcdDiskTest, RowsAsSnmpdWithIncludeAllDisks) {
  EXPECT_EQ(provider_->Roots(), std::vector<Oid>{Oid({1, 3, 6, 1, 4, 1, 2021, 9})});
  const auto v = Collect();
  // dskIndex is the hrFSIndex: 4 and 6 here, as snmpd.
  std::vector<std::uint32_t> indexes;
  for (const auto& [oid, value] : v) {
    if (oid[9] == 1) indexes.push_back(oid[10]);
  }
  EXPECT_EQ(indexes, (std::vector<std::uint32_t>{4, 6}));
  EXPECT_EQ(v.size(), 2u * 18u);

  EXPECT_EQ(v.at(Dsk(1, 6)), Value::Integer(6));
  EXPECT_EQ(v.at(Dsk(2, 6)), Value::OctetString("/"));
  EXPECT_EQ(v.at(Dsk(3, 6)), Value::OctetString("/dev/vda"));
  EXPECT_EQ(v.at(Dsk(4, 6)), Value::Integer(-1));
  EXPECT_EQ(v.at(Dsk(5, 6)), Value::Integer(10));
  EXPECT_EQ(v.at(Dsk(6, 6)), Value::Integer(264212084));
  EXPECT_EQ(v.at(Dsk(7, 6)), Value::Integer(83070496));
  EXPECT_EQ(v.at(Dsk(8, 6)), Value::Integer(17266692));
  EXPECT_EQ(v.at(Dsk(9, 6)), Value::Integer(7));
  EXPECT_EQ(v.at(Dsk(10, 6)), Value::Integer(3));
  EXPECT_EQ(v.at(Dsk(11, 6)), Value::Gauge32(264212084));
  EXPECT_EQ(v.at(Dsk(12, 6)), Value::Gauge32(0));
  EXPECT_EQ(v.at(Dsk(13, 6)), Value::Gauge32(83070496));
  EXPECT_EQ(v.at(Dsk(14, 6)), Value::Gauge32(0));
  EXPECT_EQ(v.at(Dsk(15, 6)), Value::Gauge32(17266692));
  EXPECT_EQ(v.at(Dsk(16, 6)), Value::Gauge32(0));
  EXPECT_EQ(v.at(Dsk(100, 6)), Value::Integer(0));
  EXPECT_EQ(v.at(Dsk(101, 6)), Value::OctetString(""));

  EXPECT_EQ(v.at(Dsk(3, 4)), Value::OctetString("tmpfs"));
  EXPECT_EQ(v.at(Dsk(6, 4)), Value::Integer(24684084));
  EXPECT_EQ(v.at(Dsk(9, 4)), Value::Integer(0));
  EXPECT_EQ(v.at(Dsk(10, 4)), Value::Integer(0));  // 1 of 6171021 inodes rounds to 0
}

TEST_F(UcdDiskTest, TwentyTerabytesSaturateTheIntegerColumns) {
  host_.mounts.push_back({"/dev/sdb1", "/data", "xfs", false});
  // 20 TB: 19531250000 kB total, 15625000000 kB used, 3125000000 kB available.
  host_.fs_usage["/data"] = {4096, 4882812500, 976562500, 781250000, 1000, 900};
  const auto v = Collect();
  EXPECT_EQ(v.at(Dsk(6, 7)), Value::Integer(2147483647));
  EXPECT_EQ(v.at(Dsk(7, 7)), Value::Integer(2147483647));
  EXPECT_EQ(v.at(Dsk(8, 7)), Value::Integer(2147483647));
  EXPECT_EQ(v.at(Dsk(11, 7)), Value::Gauge32(static_cast<std::uint32_t>(19531250000ull)));
  EXPECT_EQ(v.at(Dsk(12, 7)), Value::Gauge32(static_cast<std::uint32_t>(19531250000ull >> 32)));
  EXPECT_EQ(v.at(Dsk(13, 7)), Value::Gauge32(static_cast<std::uint32_t>(3125000000ull)));
  EXPECT_EQ(v.at(Dsk(14, 7)), Value::Gauge32(0));
  EXPECT_EQ(v.at(Dsk(15, 7)), Value::Gauge32(static_cast<std::uint32_t>(15625000000ull)));
  EXPECT_EQ(v.at(Dsk(16, 7)), Value::Gauge32(static_cast<std::uint32_t>(15625000000ull >> 32)));
  EXPECT_EQ(v.at(Dsk(9, 7)), Value::Integer(80));
  EXPECT_EQ(v.at(Dsk(10, 7)), Value::Integer(10));
}

TEST_F(UcdDiskTest, AlmostFullFileSystemRaisesTheErrorFlag) {
  host_.mounts.push_back({"/dev/sdb1", "/var", "ext4", false});
  host_.fs_usage["/var"] = {1024, 1000000, 95000, 45000, 100, 50};
  const auto v = Collect();
  EXPECT_EQ(v.at(Dsk(9, 7)), Value::Integer(91));  // of blocks, root reserve aside
  EXPECT_EQ(v.at(Dsk(100, 7)), Value::Integer(1));
  EXPECT_EQ(v.at(Dsk(101, 7)), Value::OctetString("/var: less than 10% free (= 5%)"));
}

TEST_F(UcdDiskTest, FailedStatfsLooksFullAsInSnmpd) {
  host_.fs_usage.erase("/");
  const auto v = Collect();
  EXPECT_EQ(v.at(Dsk(6, 6)), Value::Integer(0));
  EXPECT_EQ(v.at(Dsk(9, 6)), Value::Integer(0));
  EXPECT_EQ(v.at(Dsk(100, 6)), Value::Integer(1));
  EXPECT_EQ(v.at(Dsk(101, 6)), Value::OctetString("/: less than 10% free (= 0%)"));
}

TEST_F(UcdDiskTest, SmallBlocksConvertToKilobytes) {
  host_.mounts.push_back({"/dev/sdc1", "/boot/efi", "vfat", false});
  host_.fs_usage["/boot/efi"] = {512, 1000, 500, 500, 0, 0};
  const auto v = Collect();
  EXPECT_EQ(v.at(Dsk(6, 7)), Value::Integer(500));
  EXPECT_EQ(v.at(Dsk(10, 7)), Value::Integer(0));  // no inodes: 0, not a division by zero
  EXPECT_EQ(BlocksToKilobytes(10, 0), 0u);
  EXPECT_EQ(BlocksToKilobytes(10, 256), 2u);
  EXPECT_EQ(BlocksToKilobytes(10, 65536), 640u);
}

TEST_F(UcdDiskTest, IndexesAgreeWithHrStorageDespiteShortLivedMounts) {
  // hrStorage refreshes while a container volume is mounted; dskTable never
  // sees it. A later mount must still get the same index in both tables.
  auto storage = MakeHrStorageProvider(context_);
  host_.mounts.push_back({"tmpfs", "/var/lib/kubelet/pods/a/volumes/secret", "tmpfs", false});
  MibWriter ignored;
  storage->Collect(ignored);
  host_.mounts.pop_back();
  host_.mounts.push_back({"/dev/sdb1", "/data", "xfs", false});
  host_.fs_usage["/data"] = {4096, 1000, 500, 500, 10, 5};
  const auto v = Collect();
  EXPECT_EQ(v.at(Dsk(2, 8)), Value::OctetString("/data"));
  MibWriter out;
  storage->Collect(out);
  const Oid descr{1, 3, 6, 1, 2, 1, 25, 2, 3, 1, 3, 30 + 8};
  const auto found = std::find_if(out.entries().begin(), out.entries().end(),
                                  [&](const proto::VarBind& vb) { return vb.oid == descr; });
  ASSERT_NE(found, out.entries().end());
  EXPECT_EQ(found->value, Value::OctetString("/data"));
}

TEST_F(UcdDiskTest, EmptyTableKeepsItsColumns) {
  host_.mounts.clear();
  EXPECT_TRUE(Collect().empty());
  for (std::uint32_t column : {1u, 2u, 9u, 16u, 100u, 101u}) {
    EXPECT_EQ(
        std::count(objects_.begin(), objects_.end(), Oid({1, 3, 6, 1, 4, 1, 2021, 9, 1, column})),
        1)
        << column;
  }
}

}  // namespace
}  // namespace mimamori::agent
