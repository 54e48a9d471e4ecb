// The OS-specific parts of the MIB on a Windows host: sysDescr/sysObjectID,
// hrStorageTable in the Windows SNMP service's layout, hrFSStorageIndex,
// svSvcTable and mimamoriServiceTable, and which providers are registered.
#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <map>
#include <string>
#include <vector>

#include "agent/mib/host_resources.h"
#include "agent/mib/registry.h"
#include "agent/mib/snmpv2_mib.h"
#include "agent/mib/windows_services.h"
#include "agent/windows/win32_results.h"
#include "tests/unit/fake_host_data.h"

namespace mimamori::agent {
namespace {

using proto::Oid;
using proto::StringIndex;
using proto::Value;
using testing::CollectInstances;
using testing::ExpectValue;

Oid WithIndex(Oid column, std::string_view text) {
  for (std::uint32_t arc : StringIndex(text)) column = column.Child({arc});
  return column;
}

// ENUM_SERVICE_STATUS_PROCESS and QUERY_SERVICE_CONFIG values of a few
// services as a Windows Server 2019 with IIS reports them.
std::vector<ServiceInfo> ServerServices() {
  return {
      {"W3SVC", "World Wide Web Publishing Service", 4, 2u, 1 | 2 | 4},  // running, automatic
      {"Spooler", "Print Spooler", 1, 3u, 0},                            // stopped, manual
      {"wuauserv", "Windows Update", 2, 3u, 0},                          // start pending
      {"MSMQ", "Message Queuing", 7, 2u, 1 | 2},                         // paused
      {"TrustedInstaller", "Windows Modules Installer", 3, 4u, 0},       // stop pending, disabled
      {"i8042prt", "i8042 Keyboard and PS/2 Mouse Port Driver", 6, std::nullopt, 0},
  };
}

class WindowsMibTest : public ::testing::Test {
 protected:
  WindowsMibTest() {
    host_.identity = {"Windows",
                      "WEB01",
                      "6.3",
                      "17763",
                      "x86_64",
                      OsFamily::kWindows,
                      "Hardware: Intel64 Family 6 Model 85 Stepping 7 AT/AT COMPATIBLE - "
                      "Software: Windows Version 6.3 (Build 17763 Multiprocessor Free)"};
    host_.services = ServerServices();
    host_.memory =
        win32::MakeMemInfo({8589398016ULL, 3221225472ULL, 10200010752ULL, 4294967296ULL});
    Volume c;
    c.root = "C:\\";
    c.kind = Volume::Kind::kFixed;
    c.ready = true;
    c.label = "System";
    c.serial = 0x1a2b3c4d;
    c.file_system = "NTFS";
    c.device = "\\\\?\\Volume{4c1b02c1-d990-11dc-99ae-806e6f6e6963}\\";
    c.cluster_bytes = 4096;
    c.total_bytes = 106847793152ULL;
    c.free_bytes = c.available_bytes = 74711265280ULL;
    Volume d;
    d.root = "D:\\";
    d.kind = Volume::Kind::kCdRom;
    host_.volumes = {c, d};
    for (const Volume& v : host_.volumes) {
      host_.mounts.push_back(win32::MountOfVolume(v));
      if (v.ready) host_.fs_usage[v.root] = win32::UsageOfVolume(v);
    }
  }

  testing::FakeHostData host_;
  SystemSettings system_;
  SnmpCounters counters_;
  ProviderContext context_{host_,
                           system_,
                           counters_,
                           [] { return std::chrono::steady_clock::time_point{}; },
                           [] { return std::chrono::system_clock::time_point{}; },
                           std::chrono::steady_clock::time_point{}};
};

TEST_F(WindowsMibTest, SystemGroupSaysWindowsAsTheWindowsSnmpService) {
  auto provider = MakeSnmpV2MibProvider(context_);
  const auto instances = CollectInstances(*provider);
  ExpectValue(instances, Oid{1, 3, 6, 1, 2, 1, 1, 1, 0},
              Value::OctetString(host_.identity.description));
  ExpectValue(instances, Oid{1, 3, 6, 1, 2, 1, 1, 2, 0}, Value::ObjectId(kMimamoriAgentWindows));
  EXPECT_EQ(kMimamoriAgentWindows, (Oid{1, 3, 6, 1, 4, 1, 8072, 9999, 9999, 3863, 1, 2}));
  ExpectValue(instances, Oid{1, 3, 6, 1, 2, 1, 1, 5, 0}, Value::OctetString("WEB01"));
}

TEST_F(WindowsMibTest, LinuxSystemGroupIsUnchanged) {
  testing::FakeHostData linux_host;
  ProviderContext context{linux_host,   system_,           counters_,
                          context_.now, context_.wall_now, context_.agent_start};
  auto provider = MakeSnmpV2MibProvider(context);
  const auto instances = CollectInstances(*provider);
  ExpectValue(instances, Oid{1, 3, 6, 1, 2, 1, 1, 1, 0},
              Value::OctetString("Linux web01 5.14.0-503.11.1.el9_5.x86_64 #1 SMP PREEMPT_DYNAMIC "
                                 "Mon Sep 30 11:54:45 EDT 2024 x86_64"));
  ExpectValue(instances, Oid{1, 3, 6, 1, 2, 1, 1, 2, 0}, Value::ObjectId(kMimamoriAgentLinux));
}

Oid Storage(std::uint32_t column, std::uint32_t index) {
  return Oid{1, 3, 6, 1, 2, 1, 25, 2, 3, 1, column, index};
}
Value StorageType(std::uint32_t type) {
  return Value::ObjectId(Oid{1, 3, 6, 1, 2, 1, 25, 2, 1, type});
}

TEST_F(WindowsMibTest, StorageTableHasDrivesThenVirtualThenPhysicalMemory) {
  auto provider = MakeHrStorageWindowsProvider(context_);
  const auto instances = CollectInstances(*provider);
  ExpectValue(instances, Oid{1, 3, 6, 1, 2, 1, 25, 2, 2, 0}, Value::Integer(8388084));
  // C:\, fixed disk, in clusters.
  ExpectValue(instances, Storage(2, 1), StorageType(4));
  ExpectValue(instances, Storage(3, 1),
              Value::OctetString("C:\\ Label:System  Serial Number 1a2b3c4d"));
  ExpectValue(instances, Storage(4, 1), Value::Integer(4096));
  ExpectValue(instances, Storage(5, 1), Value::Integer(26085887));
  ExpectValue(instances, Storage(6, 1), Value::Integer(26085887 - 18240055));
  // D:\, a DVD drive without a disc.
  ExpectValue(instances, Storage(2, 2), StorageType(7));
  ExpectValue(instances, Storage(3, 2), Value::OctetString("D:\\"));
  ExpectValue(instances, Storage(5, 2), Value::Integer(0));
  // Memory in 64 KiB units: the commit limit, then RAM.
  ExpectValue(instances, Storage(2, 3), StorageType(3));
  ExpectValue(instances, Storage(3, 3), Value::OctetString("Virtual Memory"));
  ExpectValue(instances, Storage(4, 3), Value::Integer(65536));
  ExpectValue(instances, Storage(5, 3),
              Value::Integer(static_cast<std::int32_t>(10200010752ULL / 65536)));
  ExpectValue(instances, Storage(6, 3),
              Value::Integer(static_cast<std::int32_t>((10200010752ULL - 4294967296ULL) / 65536)));
  ExpectValue(instances, Storage(2, 4), StorageType(2));
  ExpectValue(instances, Storage(3, 4), Value::OctetString("Physical Memory"));
  ExpectValue(instances, Storage(5, 4), Value::Integer(8388084 / 64));
  ExpectValue(instances, Storage(6, 4), Value::Integer((8388084 - 3145728) / 64));
  ExpectValue(instances, Storage(7, 4), Value::Counter32(0));
  EXPECT_EQ(instances.count(Storage(1, 5)), 0u);
  EXPECT_EQ(instances.count(Storage(1, 31)), 0u);  // none of snmpd's Linux rows
}

TEST_F(WindowsMibTest, FileSystemTablePointsAtTheDriveRows) {
  auto provider = MakeHrDeviceProvider(context_, std::make_shared<CpuHistory>(context_));
  const auto instances = CollectInstances(*provider);
  const Oid fs{1, 3, 6, 1, 2, 1, 25, 3, 8, 1};
  ExpectValue(instances, fs.Child({2, 1}), Value::OctetString("C:\\"));
  ExpectValue(instances, fs.Child({4, 1}),
              Value::ObjectId(Oid{1, 3, 6, 1, 2, 1, 25, 3, 9, 9}));  // NTFS
  ExpectValue(instances, fs.Child({7, 1}), Value::Integer(1));
  ExpectValue(instances, fs.Child({5, 2}), Value::Integer(2));  // the DVD is read-only
  ExpectValue(instances, fs.Child({7, 2}), Value::Integer(2));
}

const Oid kSvSvcEntry{1, 3, 6, 1, 4, 1, 77, 1, 2, 3, 1};

TEST_F(WindowsMibTest, SvSvcTableListsStartedServicesByDisplayName) {
  auto provider = MakeLanMgrServicesProvider(context_);
  const auto instances = CollectInstances(*provider);
  // Everything but the stopped Print Spooler.
  ExpectValue(instances, Oid{1, 3, 6, 1, 4, 1, 77, 1, 2, 2, 0}, Value::Integer(5));
  EXPECT_EQ(instances.count(WithIndex(kSvSvcEntry.Child({1}), "Print Spooler")), 0u);
  // OpenNMS's example: "Task Scheduler" is 14.84.97.115...
  EXPECT_EQ(WithIndex(Oid{}, "Task Scheduler"),
            (Oid{14, 84, 97, 115, 107, 32, 83, 99, 104, 101, 100, 117, 108, 101, 114}));
  const std::string www = "World Wide Web Publishing Service";
  ExpectValue(instances, WithIndex(kSvSvcEntry.Child({1}), www), Value::OctetString(www));
  ExpectValue(instances, WithIndex(kSvSvcEntry.Child({2}), www), Value::Integer(4));  // installed
  ExpectValue(instances, WithIndex(kSvSvcEntry.Child({3}), www), Value::Integer(1));  // active
  ExpectValue(instances, WithIndex(kSvSvcEntry.Child({4}), www), Value::Integer(2));  // can stop
  ExpectValue(instances, WithIndex(kSvSvcEntry.Child({5}), www), Value::Integer(2));  // can pause
  ExpectValue(instances, WithIndex(kSvSvcEntry.Child({2}), "Windows Update"), Value::Integer(2));
  ExpectValue(instances, WithIndex(kSvSvcEntry.Child({4}), "Windows Update"), Value::Integer(1));
  ExpectValue(instances, WithIndex(kSvSvcEntry.Child({3}), "Message Queuing"), Value::Integer(4));
  ExpectValue(instances, WithIndex(kSvSvcEntry.Child({2}), "Windows Modules Installer"),
              Value::Integer(3));
  ExpectValue(instances,
              WithIndex(kSvSvcEntry.Child({3}), "i8042 Keyboard and PS/2 Mouse Port Driver"),
              Value::Integer(3));  // pause pending
}

const Oid kServiceEntry{1, 3, 6, 1, 4, 1, 8072, 9999, 9999, 3863, 2, 2, 1};

TEST_F(WindowsMibTest, MimamoriServiceTableListsEveryServiceByKeyName) {
  auto provider = MakeMimamoriServicesProvider(context_);
  const auto instances = CollectInstances(*provider);
  EXPECT_EQ(WithIndex(kServiceEntry.Child({3}), "W3SVC"),
            (Oid{1, 3, 6, 1, 4, 1, 8072, 9999, 9999, 3863, 2, 2, 1, 3, 5, 87, 51, 83, 86, 67}));
  ExpectValue(instances, WithIndex(kServiceEntry.Child({1}), "W3SVC"), Value::OctetString("W3SVC"));
  ExpectValue(instances, WithIndex(kServiceEntry.Child({2}), "W3SVC"),
              Value::OctetString("World Wide Web Publishing Service"));
  ExpectValue(instances, WithIndex(kServiceEntry.Child({3}), "W3SVC"), Value::Integer(4));
  ExpectValue(instances, WithIndex(kServiceEntry.Child({4}), "W3SVC"), Value::Integer(3));
  // Stopped services are listed here.
  ExpectValue(instances, WithIndex(kServiceEntry.Child({3}), "Spooler"), Value::Integer(1));
  ExpectValue(instances, WithIndex(kServiceEntry.Child({4}), "Spooler"), Value::Integer(4));
  ExpectValue(instances, WithIndex(kServiceEntry.Child({3}), "MSMQ"), Value::Integer(7));
  ExpectValue(instances, WithIndex(kServiceEntry.Child({4}), "TrustedInstaller"),
              Value::Integer(5));
  // Unknown start type: no instance rather than a made-up value.
  ExpectValue(instances, WithIndex(kServiceEntry.Child({3}), "i8042prt"), Value::Integer(6));
  EXPECT_EQ(instances.count(WithIndex(kServiceEntry.Child({4}), "i8042prt")), 0u);
  EXPECT_EQ(instances.size(), 6u * 4 - 1);
}

TEST_F(WindowsMibTest, OverlongServiceNamesAreLeftOut) {
  host_.services = {{std::string(101, 'x'), std::string(101, 'y'), 4, 2u, 0}};
  EXPECT_TRUE(CollectInstances(*MakeMimamoriServicesProvider(context_)).empty());
  const auto lanmgr = CollectInstances(*MakeLanMgrServicesProvider(context_));
  ASSERT_EQ(lanmgr.size(), 1u);  // svSvcNumber alone
  ExpectValue(lanmgr, Oid{1, 3, 6, 1, 4, 1, 77, 1, 2, 2, 0}, Value::Integer(0));
}

std::vector<std::string> ProviderNames(const ProviderContext& context) {
  std::vector<std::string> names;
  for (const auto& provider : MakeProviders(context)) names.emplace_back(provider->Name());
  return names;
}

bool Has(const std::vector<std::string>& names, std::string_view name) {
  return std::find(names.begin(), names.end(), name) != names.end();
}

TEST_F(WindowsMibTest, RegistryServesTheServiceTablesOnWindowsOnly) {
  const auto windows = ProviderNames(context_);
  EXPECT_TRUE(Has(windows, "lanmgr-services"));
  EXPECT_TRUE(Has(windows, "mimamori-services"));
  EXPECT_TRUE(Has(windows, "host-resources-storage-windows"));
  EXPECT_FALSE(Has(windows, "host-resources-storage"));
  testing::FakeHostData linux_host;
  ProviderContext context{linux_host,   system_,           counters_,
                          context_.now, context_.wall_now, context_.agent_start};
  const auto linux_names = ProviderNames(context);
  EXPECT_FALSE(Has(linux_names, "lanmgr-services"));
  EXPECT_FALSE(Has(linux_names, "mimamori-services"));
  EXPECT_TRUE(Has(linux_names, "host-resources-storage"));
}

}  // namespace
}  // namespace mimamori::agent
