#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "agent/mib/host_resources.h"
#include "tests/unit/fake_host_data.h"

namespace mimamori::agent {
namespace {

using proto::Oid;
using proto::Value;

Oid Column(std::uint32_t column, std::uint32_t index) {
  return Oid{1, 3, 6, 1, 2, 1, 25, 2, 3, 1, column, index};
}
Value StorageType(std::uint32_t type) {
  return Value::ObjectId(Oid{1, 3, 6, 1, 2, 1, 25, 2, 1, type});
}

// Records which mount points were statfs'ed: a hung NFS or an autofs trigger
// makes that call expensive, so it must only happen where snmpd does it.
struct RecordingHost : testing::FakeHostData {
  std::vector<std::string> statfs_calls;
  std::optional<FsUsage> StatFs(const std::string& path) override {
    statfs_calls.push_back(path);
    return FakeHostData::StatFs(path);
  }
};

class HrStorageTest : public ::testing::Test {
 protected:
  HrStorageTest() {
    // This machine's /proc/meminfo when the reference walk was taken.
    host_.memory.total_kb = 24684084;
    host_.memory.free_kb = 24477720;
    host_.memory.available_kb = 24410012;
    host_.memory.buffers_kb = 1468;
    host_.memory.cached_kb = 31044;
    host_.memory.sreclaimable_kb = 89216;
    host_.memory.shared_kb = 8872;
    // Its /proc/mounts, in order.
    host_.mounts = {
        {"proc", "/proc", "proc", false},
        {"sysfs", "/sys", "sysfs", false},
        {"devtmpfs", "/dev", "devtmpfs", false},
        {"tmpfs", "/dev/shm", "tmpfs", false},
        {"devpts", "/dev/pts", "devpts", false},
        {"/dev/vda", "/", "ext4", false},
        {"model_tools_unavailable", "/mnt/sandboxing/model_tools_env/v1/python", "tmpfs", true},
        {"devpts", "/dev/pts", "devpts", false},
        {"tmpfs", "/dev/shm", "tmpfs", false},
        {"tmpfs", "/sys/fs/cgroup", "tmpfs", false},
        {"cgroup", "/sys/fs/cgroup/cpu", "cgroup", false},
        {"cgroup2", "/sys/fs/cgroup/unified", "cgroup2", false},
    };
    host_.fs_usage["/dev/shm"] = {4096, 6171021, 6171021, 6171021, 6171021, 6171020};
    host_.fs_usage["/"] = {4096, 66053021, 61737763, 20767624, 16384000, 15900000};
    host_.fs_usage["/mnt/sandboxing/model_tools_env/v1/python"] = {4096, 1, 1, 1, 10, 9};
    host_.fs_usage["/sys/fs/cgroup"] = {4096, 3085510, 3085510, 3085510, 3085510, 3085509};
  }

  std::map<Oid, Value> Collect() { return testing::CollectInstances(*provider_, &objects_); }

  std::vector<std::uint32_t> Indexes(const std::map<Oid, Value>& values) {
    std::vector<std::uint32_t> indexes;
    for (const auto& [oid, value] : values) {
      if (oid.size() == 12 && oid[10] == 1) indexes.push_back(oid[11]);
    }
    return indexes;
  }

  RecordingHost host_;
  SystemSettings system_;
  SnmpCounters counters_;
  ProviderContext context_{host_,
                           system_,
                           counters_,
                           [] { return std::chrono::steady_clock::time_point{}; },
                           [] { return std::chrono::system_clock::time_point{}; },
                           {}};
  std::unique_ptr<MibProvider> provider_ = MakeHrStorageProvider(context_);
  std::vector<Oid> objects_;
};

TEST_F(HrStorageTest, RootIsHrStorage) {
  EXPECT_EQ(provider_->Roots(), std::vector<Oid>{Oid({1, 3, 6, 1, 2, 1, 25, 2})});
  EXPECT_FALSE(provider_->Volatile());
}

TEST_F(HrStorageTest, MatchesTheReferenceWalk) {
  const auto v = Collect();
  // Each listed mount point once, though /dev/shm is mounted twice.
  EXPECT_EQ(host_.statfs_calls,
            (std::vector<std::string>{"/dev/shm", "/", "/mnt/sandboxing/model_tools_env/v1/python",
                                      "/sys/fs/cgroup"}));
  EXPECT_EQ(v.at(Oid({1, 3, 6, 1, 2, 1, 25, 2, 2, 0})), Value::Integer(24684084));
  EXPECT_EQ(Indexes(v), (std::vector<std::uint32_t>{1, 3, 6, 7, 8, 10, 11, 34, 36, 37, 38}));

  struct Row {
    std::uint32_t index, type;
    std::string descr;
    std::int32_t units, size, used;
  };
  const Row expected[] = {
      {1, 2, "Physical memory", 1024, 24684084, 206364},
      {3, 3, "Virtual memory", 1024, 24684084, 206364},
      {6, 1, "Memory buffers", 1024, 24684084, 1468},
      {7, 1, "Cached memory", 1024, 120260, 120260},
      {8, 1, "Shared memory", 1024, 8872, 8872},
      {10, 3, "Swap space", 1024, 0, 0},
      {11, 1, "Available memory", 1024, 24410012, 0},
      {34, 4, "/dev/shm", 4096, 6171021, 0},
      {36, 4, "/", 4096, 66053021, 4315258},
      {37, 4, "/mnt/sandboxing/model_tools_env/v1/python", 4096, 1, 0},
      {38, 4, "/sys/fs/cgroup", 4096, 3085510, 0},
  };
  for (const Row& row : expected) {
    SCOPED_TRACE(row.descr);
    EXPECT_EQ(v.at(Column(1, row.index)), Value::Integer(static_cast<std::int32_t>(row.index)));
    EXPECT_EQ(v.at(Column(2, row.index)), StorageType(row.type));
    EXPECT_EQ(v.at(Column(3, row.index)), Value::OctetString(row.descr));
    EXPECT_EQ(v.at(Column(4, row.index)), Value::Integer(row.units));
    EXPECT_EQ(v.at(Column(5, row.index)), Value::Integer(row.size));
    EXPECT_EQ(v.at(Column(6, row.index)), Value::Integer(row.used));
  }
  EXPECT_EQ(v.size(), 1 + 6 * std::size(expected));
}

TEST_F(HrStorageTest, AllocationFailuresIsAnObjectWithoutInstances) {
  const auto v = Collect();
  const Oid failures{1, 3, 6, 1, 2, 1, 25, 2, 3, 1, 7};
  EXPECT_NE(std::find(objects_.begin(), objects_.end(), failures), objects_.end());
  for (const auto& [oid, value] : v) EXPECT_FALSE(oid.StartsWith(failures));
}

TEST_F(HrStorageTest, NoAvailableMemoryRowOnOldKernels) {
  host_.memory.available_kb.reset();
  const auto v = Collect();
  EXPECT_EQ(v.count(Column(1, 11)), 0u);
  EXPECT_EQ(v.count(Column(1, 10)), 1u);
}

TEST_F(HrStorageTest, SwapAndVirtualMemory) {
  host_.memory.swap_total_kb = 2097148;
  host_.memory.swap_free_kb = 2000000;
  const auto v = Collect();
  EXPECT_EQ(v.at(Column(5, 3)), Value::Integer(24684084 + 2097148));
  EXPECT_EQ(v.at(Column(6, 3)), Value::Integer(206364 + 97148));
  EXPECT_EQ(v.at(Column(5, 10)), Value::Integer(2097148));
  EXPECT_EQ(v.at(Column(6, 10)), Value::Integer(97148));
}

TEST_F(HrStorageTest, TwentyTerabyteFileSystemIsScaledToFitInteger32) {
  host_.mounts.push_back({"/dev/sdb1", "/data", "xfs", false});
  // 20 TB in 4 KiB blocks: 4882812500 blocks, above 2^31-1, so the unit is
  // doubled twice (16384) and the counts divided by 4.
  host_.fs_usage["/data"] = {4096, 4882812500, 882812500, 800000000, 1000, 900};
  const auto v = Collect();
  const std::uint32_t index = 30 + 11;  // after the fixture's 10 mount points
  EXPECT_EQ(v.at(Column(3, index)), Value::OctetString("/data"));
  EXPECT_EQ(v.at(Column(2, index)), StorageType(4));
  EXPECT_EQ(v.at(Column(4, index)), Value::Integer(16384));
  EXPECT_EQ(v.at(Column(5, index)), Value::Integer(1220703125));
  EXPECT_EQ(v.at(Column(6, index)), Value::Integer(1000000000));
}

TEST_F(HrStorageTest, ScaleTo32Bits) {
  const ScaledStorage small = ScaleTo32Bits({4096, 2147483647, 0, 0, 0, 0});
  EXPECT_EQ(small.units, 4096);
  EXPECT_EQ(small.size, 2147483647);
  EXPECT_EQ(small.used, 2147483647);
  const ScaledStorage big = ScaleTo32Bits({1024, 2147483648ull * 3, 2147483648ull, 0, 0, 0});
  EXPECT_EQ(big.units, 4096);
  EXPECT_EQ(big.size, 1610612736);
  EXPECT_EQ(big.used, 1073741824);
  // f_bfree above f_blocks (seen on some FUSE file systems) is not "used".
  EXPECT_EQ(ScaleTo32Bits({4096, 10, 20, 20, 0, 0}).used, 0);
}

TEST_F(HrStorageTest, NetworkFileSystemsAreNetworkDisks) {
  host_.mounts.push_back({"nas:/export/home", "/home", "nfs4", false});
  host_.mounts.push_back({"//srv/share", "/mnt/share", "cifs", false});
  host_.fs_usage["/home"] = {1048576, 1000, 500, 500, 0, 0};
  host_.fs_usage["/mnt/share"] = {4096, 1000, 500, 500, 0, 0};
  const auto v = Collect();
  EXPECT_EQ(v.at(Column(2, 41)), StorageType(10));
  EXPECT_EQ(v.at(Column(4, 41)), Value::Integer(1048576));
  EXPECT_EQ(v.at(Column(2, 42)), StorageType(10));
}

TEST_F(HrStorageTest, PseudoAndUnknownFileSystemsTakeAnIndexButNoRow) {
  host_.mounts = {
      {"overlay", "/var/lib/docker/overlay2/x/merged", "overlay", false},
      {"squashfs", "/snap/core/1", "squashfs", false},
      {"fuse", "/run/user/1000/doc", "fuse.portal", false},
      {"/dev/sda2", "/boot", "ext4", false},
  };
  host_.fs_usage["/boot"] = {1024, 1000, 100, 50, 0, 0};
  const auto v = Collect();
  EXPECT_EQ(Indexes(v), (std::vector<std::uint32_t>{1, 3, 6, 7, 8, 10, 11, 34}));
  EXPECT_EQ(v.at(Column(3, 34)), Value::OctetString("/boot"));
  EXPECT_EQ(host_.statfs_calls, std::vector<std::string>{"/boot"});
}

TEST_F(HrStorageTest, AutofsIsNeverStatfsedNorListed) {
  host_.mounts = {{"systemd-1", "/proc/sys/fs/binfmt_misc", "autofs", false},
                  {"/dev/sda1", "/", "xfs", false}};
  host_.fs_usage["/"] = {4096, 1000, 100, 50, 0, 0};
  const auto v = Collect();
  EXPECT_EQ(Indexes(v), (std::vector<std::uint32_t>{1, 3, 6, 7, 8, 10, 11, 32}));
  EXPECT_EQ(host_.statfs_calls, std::vector<std::string>{"/"});
}

TEST_F(HrStorageTest, FailedStatfsLeavesAZeroRow) {
  host_.fs_usage.erase("/");
  const auto v = Collect();
  EXPECT_EQ(v.at(Column(3, 36)), Value::OctetString("/"));
  EXPECT_EQ(v.at(Column(4, 36)), Value::Integer(0));
  EXPECT_EQ(v.at(Column(5, 36)), Value::Integer(0));
  EXPECT_EQ(v.at(Column(6, 36)), Value::Integer(0));
}

TEST_F(HrStorageTest, IndexesSurviveUnmountAndRemount) {
  host_.mounts.push_back({"/dev/sdb1", "/data", "xfs", false});
  host_.mounts.push_back({"/dev/sdc1", "/backup", "xfs", false});
  host_.fs_usage["/data"] = {4096, 1000, 100, 50, 0, 0};
  host_.fs_usage["/backup"] = {4096, 1000, 100, 50, 0, 0};
  EXPECT_EQ(Collect().at(Column(3, 42)), Value::OctetString("/backup"));

  auto backup = host_.mounts.back();
  host_.mounts.pop_back();
  auto data = host_.mounts.back();
  host_.mounts.pop_back();
  auto v = Collect();
  EXPECT_EQ(v.count(Column(1, 41)), 0u);
  EXPECT_EQ(v.count(Column(1, 42)), 0u);

  // Mounted again in the other order: each keeps its index; a new mount
  // point takes the next free one.
  host_.mounts.push_back(backup);
  host_.mounts.push_back(data);
  host_.mounts.push_back({"/dev/sdd1", "/scratch", "ext4", false});
  host_.fs_usage["/scratch"] = {4096, 1000, 100, 50, 0, 0};
  v = Collect();
  EXPECT_EQ(v.at(Column(3, 41)), Value::OctetString("/data"));
  EXPECT_EQ(v.at(Column(3, 42)), Value::OctetString("/backup"));
  EXPECT_EQ(v.at(Column(3, 43)), Value::OctetString("/scratch"));
}

TEST_F(HrStorageTest, BindMountsOfOneDeviceAreSeparateRows) {
  // 5.9.3 keys file systems by mount point only.
  host_.mounts.push_back({"/dev/vda", "/srv/bind", "ext4", false});
  host_.fs_usage["/srv/bind"] = host_.fs_usage["/"];
  const auto v = Collect();
  EXPECT_EQ(v.at(Column(3, 41)), Value::OctetString("/srv/bind"));
  EXPECT_EQ(v.at(Column(5, 41)), v.at(Column(5, 36)));
}

TEST_F(HrStorageTest, HugeMemoryWrapsLikeSnmpd) {
  // 3 TiB: hrMemorySize is an int in snmpd; the rows are masked to 31 bits.
  host_.memory.total_kb = 3ull << 30;
  host_.memory.free_kb = 1ull << 30;
  const auto v = Collect();
  EXPECT_EQ(v.at(Oid({1, 3, 6, 1, 2, 1, 25, 2, 2, 0})),
            Value::Integer(static_cast<std::int32_t>(3ull << 30)));
  EXPECT_EQ(v.at(Column(5, 1)), Value::Integer(1 << 30));
  EXPECT_EQ(v.at(Column(6, 1)), Value::Integer(0));
}

}  // namespace
}  // namespace mimamori::agent
