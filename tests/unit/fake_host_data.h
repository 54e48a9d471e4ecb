// A HostData whose answers are plain fields a test sets.
#pragma once

#include <gtest/gtest.h>

#include <map>
#include <string>
#include <vector>

#include "agent/core/mib_provider.h"
#include "agent/host/host_data.h"

namespace mimamori::agent::testing {

struct FakeHostData : HostData {
  SystemIdentity identity{"Linux",
                          "web01",
                          "5.14.0-503.11.1.el9_5.x86_64",
                          "#1 SMP PREEMPT_DYNAMIC Mon Sep 30 11:54:45 EDT 2024",
                          "x86_64",
                          OsFamily::kLinux,
                          ""};
  double uptime_seconds = 12345.67;
  CpuStat cpu;
  std::vector<std::string> cpu_models;
  MemInfo memory;
  LoadAverage load;
  std::vector<Mount> mounts;
  std::map<std::string, FsUsage> fs_usage;  // by mount path; missing = statvfs failed
  std::vector<ProcessInfo> processes;
  std::uint32_t max_processes = 4194304;
  std::uint32_t logged_in_users = 1;
  std::string kernel_command_line = "BOOT_IMAGE=(hd0,gpt2)/vmlinuz root=/dev/mapper/rhel-root ro";
  std::vector<NetInterface> interfaces;
  std::vector<DiskStat> disks;
  std::vector<SocketEndpoint> tcp_listeners;
  std::vector<SocketEndpoint> udp_endpoints;
  std::vector<InterfaceAddress> addresses;
  std::vector<Volume> volumes;
  std::vector<ServiceInfo> services;

  SystemIdentity Identity() override { return identity; }
  double UptimeSeconds() override { return uptime_seconds; }
  CpuStat Cpu() override { return cpu; }
  std::vector<std::string> CpuModels() override { return cpu_models; }
  MemInfo Memory() override { return memory; }
  LoadAverage Load() override { return load; }
  std::vector<Mount> Mounts() override { return mounts; }
  std::optional<FsUsage> StatFs(const std::string& path) override {
    auto it = fs_usage.find(path);
    if (it == fs_usage.end()) return std::nullopt;
    return it->second;
  }
  std::vector<ProcessInfo> Processes() override { return processes; }
  std::uint32_t MaxProcesses() override { return max_processes; }
  std::uint32_t LoggedInUsers() override { return logged_in_users; }
  std::string KernelCommandLine() override { return kernel_command_line; }
  std::vector<NetInterface> Interfaces() override { return interfaces; }
  std::vector<DiskStat> Disks() override { return disks; }
  std::vector<SocketEndpoint> TcpListeners() override { return tcp_listeners; }
  std::vector<SocketEndpoint> UdpEndpoints() override { return udp_endpoints; }
  std::vector<InterfaceAddress> Addresses() override { return addresses; }
  std::vector<Volume> Volumes() override { return volumes; }
  std::vector<ServiceInfo> Services() override { return services; }
};

/// Every instance `provider` writes, its cached and its per-request part,
/// keyed by OID. A duplicate OID, or an instance outside the provider's
/// roots, fails the calling test. `objects`, when given, receives the
/// objects (scalars and columns) the provider declared.
inline std::map<proto::Oid, proto::Value> CollectInstances(
    MibProvider& provider, std::vector<proto::Oid>* objects = nullptr) {
  MibWriter out;
  provider.Collect(out);
  provider.CollectVolatile(out);
  if (objects) *objects = out.objects();
  std::vector<proto::Oid> roots = provider.Roots();
  for (auto& root : provider.VolatileRoots()) roots.push_back(root);
  std::map<proto::Oid, proto::Value> instances;
  for (const auto& vb : out.entries()) {
    EXPECT_TRUE(instances.emplace(vb.oid, vb.value).second) << "duplicate " << vb.oid.ToString();
    bool inside = false;
    for (const auto& root : roots) inside = inside || vb.oid.StartsWith(root);
    EXPECT_TRUE(inside) << vb.oid.ToString() << " is outside " << provider.Name() << "'s roots";
  }
  return instances;
}

/// Expects `instances` (from CollectInstances) to hold `oid` with `expected`.
inline void ExpectValue(const std::map<proto::Oid, proto::Value>& instances, const proto::Oid& oid,
                        const proto::Value& expected) {
  auto it = instances.find(oid);
  ASSERT_NE(it, instances.end()) << "missing " << oid.ToString();
  EXPECT_EQ(it->second, expected) << oid.ToString() << " = " << it->second.ToString()
                                  << ", expected " << expected.ToString();
}

}  // namespace mimamori::agent::testing
