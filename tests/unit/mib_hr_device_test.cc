#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "agent/mib/cpu_history.h"
#include "agent/mib/host_resources.h"
#include "tests/unit/fake_host_data.h"

namespace mimamori::agent {
namespace {

using proto::Oid;
using proto::Value;
using std::chrono::seconds;

Oid Device(std::uint32_t column, std::uint32_t index) {
  return Oid{1, 3, 6, 1, 2, 1, 25, 3, 2, 1, column, index};
}
Oid Processor(std::uint32_t column, std::uint32_t index) {
  return Oid{1, 3, 6, 1, 2, 1, 25, 3, 3, 1, column, index};
}
Oid Network(std::uint32_t index) { return Oid{1, 3, 6, 1, 2, 1, 25, 3, 4, 1, 1, index}; }
Oid FS(std::uint32_t column, std::uint32_t index) {
  return Oid{1, 3, 6, 1, 2, 1, 25, 3, 8, 1, column, index};
}
Value DeviceType(std::uint32_t type) {
  return Value::ObjectId(Oid{1, 3, 6, 1, 2, 1, 25, 3, 1, type});
}
Value FSType(std::uint32_t type) { return Value::ObjectId(Oid{1, 3, 6, 1, 2, 1, 25, 3, 9, type}); }
const Value kZeroDotZero = Value::ObjectId(Oid{0, 0});

class HrDeviceTest : public ::testing::Test {
 protected:
  HrDeviceTest() {
    host_.cpu_models = {"AuthenticAMD: AMD EPYC", "AuthenticAMD: AMD EPYC"};
    host_.cpu.per_cpu.resize(2);
    host_.cpu.per_cpu[0].idle = 1000;
    host_.cpu.per_cpu[1].idle = 1000;
    host_.cpu.total.idle = 2000;
    NetInterface lo;
    lo.index = 1;
    lo.name = "lo";
    lo.admin_up = true;
    lo.oper_up = true;
    NetInterface ifb0;
    ifb0.index = 2;
    ifb0.name = "ifb0";
    NetInterface eth0;
    eth0.index = 4;
    eth0.name = "eth0";
    eth0.admin_up = true;
    eth0.rx_errors = 3;
    eth0.tx_errors = 4;
    host_.interfaces = {lo, ifb0, eth0};
    host_.mounts = {
        {"proc", "/proc", "proc", false},
        {"tmpfs", "/dev/shm", "tmpfs", false},
        {"/dev/vda", "/", "ext4", false},
        {"model_tools_unavailable", "/mnt/tools", "tmpfs", true},
        {"nas:/export", "/mnt/nas", "nfs", false},
        {"/dev/sr0", "/media/cdrom", "iso9660", true},
        {"/dev/sdb1", "/mnt/usb", "vfat", false},
    };
    for (const char* path :
         {"/dev/shm", "/", "/mnt/tools", "/mnt/nas", "/media/cdrom", "/mnt/usb"}) {
      host_.fs_usage[path] = {4096, 100, 50, 50, 10, 5};
    }
  }

  std::map<Oid, Value> Collect() { return testing::CollectInstances(*provider_, &objects_); }

  bool Declared(const Oid& object) const {
    return std::find(objects_.begin(), objects_.end(), object) != objects_.end();
  }

  // A minute of samples 5 s apart; CPU 0 busy 25 %, CPU 1 idle.
  void OneMinute() {
    for (int i = 0; i < 12; ++i) {
      now_ += seconds(5);
      host_.cpu.per_cpu[0].user += 100;
      host_.cpu.per_cpu[0].idle += 300;
      host_.cpu.per_cpu[1].idle += 400;
      provider_->Sample();
      provider_->Sample();  // forwarded twice in one tick: recorded once
    }
  }

  testing::FakeHostData host_;
  SystemSettings system_;
  SnmpCounters counters_;
  std::chrono::steady_clock::time_point now_{seconds(100)};
  ProviderContext context_{host_,
                           system_,
                           counters_,
                           [this] { return now_; },
                           [] { return std::chrono::system_clock::time_point{}; },
                           now_};
  std::shared_ptr<CpuHistory> cpu_ = std::make_shared<CpuHistory>(context_);
  std::unique_ptr<MibProvider> provider_ = MakeHrDeviceProvider(context_, cpu_);
  std::vector<Oid> objects_;
};

TEST_F(HrDeviceTest, RootIsHrDevice) {
  EXPECT_EQ(provider_->Roots(), std::vector<Oid>{Oid({1, 3, 6, 1, 2, 1, 25, 3})});
}

TEST_F(HrDeviceTest, DeviceIndexesAsSnmpd) {
  const auto v = Collect();
  std::vector<std::uint32_t> indexes;
  for (const auto& [oid, value] : v) {
    if (oid.size() == 12 && oid[8] == 2 && oid[10] == 1) indexes.push_back(oid[11]);
  }
  EXPECT_EQ(indexes, (std::vector<std::uint32_t>{196608, 196609, 262145, 262146, 262148, 786432}));
}

TEST_F(HrDeviceTest, Processors) {
  const auto v = Collect();
  for (std::uint32_t index : {196608u, 196609u}) {
    SCOPED_TRACE(index);
    EXPECT_EQ(v.at(Device(1, index)), Value::Integer(static_cast<std::int32_t>(index)));
    EXPECT_EQ(v.at(Device(2, index)), DeviceType(3));
    EXPECT_EQ(v.at(Device(3, index)), Value::OctetString("AuthenticAMD: AMD EPYC"));
    EXPECT_EQ(v.at(Device(4, index)), kZeroDotZero);
    EXPECT_EQ(v.at(Device(5, index)), Value::Integer(2));  // running
    EXPECT_EQ(v.count(Device(6, index)), 0u);              // no hrDeviceErrors
    EXPECT_EQ(v.at(Processor(1, index)), kZeroDotZero);
    // No load before a minute of history; the column still exists.
    EXPECT_EQ(v.count(Processor(2, index)), 0u);
  }
  EXPECT_TRUE(Declared(Oid({1, 3, 6, 1, 2, 1, 25, 3, 3, 1, 2})));
}

TEST_F(HrDeviceTest, ProcessorLoadAfterAMinute) {
  OneMinute();
  EXPECT_EQ(cpu_->size(), CpuHistory::kHistoryLength);
  const auto v = Collect();
  EXPECT_EQ(v.at(Processor(2, 196608)), Value::Integer(25));
  EXPECT_EQ(v.at(Processor(2, 196609)), Value::Integer(0));
}

TEST_F(HrDeviceTest, CpusOnlyInProcStatHaveNoDescriptionNorStatus) {
  host_.cpu_models.resize(1);
  const auto v = Collect();
  EXPECT_EQ(v.at(Device(3, 196609)), Value::OctetString(""));
  EXPECT_EQ(v.count(Device(5, 196609)), 0u);
  EXPECT_EQ(v.at(Processor(1, 196609)), kZeroDotZero);
}

TEST_F(HrDeviceTest, NetworkInterfaces) {
  const auto v = Collect();
  EXPECT_EQ(v.at(Device(2, 262145)), DeviceType(4));
  EXPECT_EQ(v.at(Device(3, 262145)), Value::OctetString("network interface lo"));
  EXPECT_EQ(v.at(Device(4, 262145)), kZeroDotZero);
  EXPECT_EQ(v.at(Device(5, 262145)), Value::Integer(2));  // running
  EXPECT_EQ(v.at(Device(5, 262146)), Value::Integer(5));  // down: not IFF_UP
  EXPECT_EQ(v.at(Device(6, 262145)), Value::Counter32(0));
  EXPECT_EQ(v.at(Device(6, 262148)), Value::Counter32(7));  // rx + tx errors
  EXPECT_EQ(v.at(Network(262145)), Value::Integer(1));
  EXPECT_EQ(v.at(Network(262146)), Value::Integer(2));
  EXPECT_EQ(v.at(Network(262148)), Value::Integer(4));
}

TEST_F(HrDeviceTest, InterfacesBeyondTheIndexRangeAreDropped) {
  NetInterface veth;
  veth.index = 70000;
  veth.name = "veth0";
  host_.interfaces.push_back(veth);
  const auto v = Collect();
  EXPECT_EQ(v.count(Device(1, 262144 + 70000)), 0u);
}

TEST_F(HrDeviceTest, Coprocessor) {
  const auto v = Collect();
  EXPECT_EQ(v.at(Device(1, 786432)), Value::Integer(786432));
  EXPECT_EQ(v.at(Device(2, 786432)), DeviceType(12));
  EXPECT_EQ(v.at(Device(3, 786432)),
            Value::OctetString("Guessing that there's a floating point co-processor"));
  EXPECT_EQ(v.at(Device(4, 786432)), kZeroDotZero);
  EXPECT_EQ(v.count(Device(5, 786432)), 0u);
  EXPECT_EQ(v.count(Device(6, 786432)), 0u);
}

TEST_F(HrDeviceTest, FileSystems) {
  const auto v = Collect();
  std::vector<std::uint32_t> indexes;
  for (const auto& [oid, value] : v) {
    if (oid.size() == 12 && oid[8] == 8 && oid[10] == 1) indexes.push_back(oid[11]);
  }
  EXPECT_EQ(indexes, (std::vector<std::uint32_t>{2, 3, 4, 5, 6, 7}));

  const std::string never("\0\0\1\1\0\0\0\0", 8);
  EXPECT_EQ(v.at(FS(1, 3)), Value::Integer(3));
  EXPECT_EQ(v.at(FS(2, 3)), Value::OctetString("/"));
  EXPECT_EQ(v.at(FS(3, 3)), Value::OctetString(""));
  EXPECT_EQ(v.at(FS(4, 3)), FSType(23));          // hrFSLinuxExt2
  EXPECT_EQ(v.at(FS(5, 3)), Value::Integer(1));   // readWrite
  EXPECT_EQ(v.at(FS(6, 3)), Value::Integer(1));   // bootable
  EXPECT_EQ(v.at(FS(7, 3)), Value::Integer(33));  // hrStorageIndex
  EXPECT_EQ(v.at(FS(8, 3)), Value::OctetString(never));
  EXPECT_EQ(v.at(FS(9, 3)), Value::OctetString(never));

  EXPECT_EQ(v.at(FS(4, 2)), FSType(1));  // tmpfs: hrFSOther
  EXPECT_EQ(v.at(FS(6, 2)), Value::Integer(2));
  EXPECT_EQ(v.at(FS(5, 4)), Value::Integer(2));  // readOnly
  EXPECT_EQ(v.at(FS(3, 5)), Value::OctetString("nas:/export"));
  EXPECT_EQ(v.at(FS(4, 5)), FSType(14));  // hrFSNFS
  EXPECT_EQ(v.at(FS(4, 6)), FSType(12));  // hrFSiso9660
  EXPECT_EQ(v.at(FS(4, 7)), FSType(22));  // vfat: hrFSFAT32
}

TEST_F(HrDeviceTest, EveryColumnIsDeclared) {
  host_.interfaces.clear();
  host_.mounts.clear();
  Collect();
  for (std::uint32_t column = 1; column <= 6; ++column) {
    EXPECT_TRUE(Declared(Oid({1, 3, 6, 1, 2, 1, 25, 3, 2, 1, column})));
  }
  EXPECT_TRUE(Declared(Oid({1, 3, 6, 1, 2, 1, 25, 3, 4, 1, 1})));
  for (std::uint32_t column = 1; column <= 9; ++column) {
    EXPECT_TRUE(Declared(Oid({1, 3, 6, 1, 2, 1, 25, 3, 8, 1, column})));
  }
}

TEST(ClassifyFsTypeTest, FollowsNetSnmp593) {
  EXPECT_EQ(ClassifyFsType("ext4").hr_fs_type, 23u);
  EXPECT_TRUE(ClassifyFsType("xfs").counted);
  EXPECT_EQ(ClassifyFsType("xfs").hr_fs_type, 1u);
  EXPECT_TRUE(ClassifyFsType("btrfs").counted);
  EXPECT_TRUE(ClassifyFsType("tmpfs").counted);
  EXPECT_TRUE(ClassifyFsType("nfs4").remote);
  EXPECT_TRUE(ClassifyFsType("cifs").remote);
  EXPECT_TRUE(ClassifyFsType("afs").remote);
  EXPECT_EQ(ClassifyFsType("afs").hr_fs_type, 16u);
  EXPECT_FALSE(ClassifyFsType("ext4").remote);
  EXPECT_EQ(ClassifyFsType("msdos").hr_fs_type, 5u);
  EXPECT_EQ(ClassifyFsType("ntfs").hr_fs_type, 9u);
  EXPECT_EQ(ClassifyFsType("").hr_fs_type, 2u);
  EXPECT_TRUE(ClassifyFsType("").counted);
  for (const char* pseudo : {"proc", "sysfs", "devtmpfs", "devpts", "cgroup", "cgroup2", "overlay",
                             "squashfs", "fuse.sshfs", "nsfs", "bpf", "ubifs", "virtiofs", "ramfs",
                             "hugetlbfs", "mqueue", "securityfs"}) {
    EXPECT_FALSE(ClassifyFsType(pseudo).counted) << pseudo;
  }
  EXPECT_TRUE(ClassifyFsType("autofs").autofs);
  EXPECT_FALSE(ClassifyFsType("autofs").counted);
}

}  // namespace
}  // namespace mimamori::agent
