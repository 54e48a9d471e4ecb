// HostData for Windows: Win32 APIs, converted by win32_results.h.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "agent/host/host_data.h"

namespace mimamori::agent {

/// Reads the live machine; every call queries Windows afresh (the MibView
/// caches). Sources:
///   - Identity(): GetComputerNameW; the registry values of
///     win32::SystemDescriptionSources for sysDescr.
///   - UptimeSeconds(): GetTickCount64.
///   - Cpu(): GetSystemTimes and NtQuerySystemInformation(
///     SystemProcessorPerformanceInformation) (the processors of the agent's
///     processor group: 64 at most).
///   - CpuModels(): ProcessorNameString of each CentralProcessor registry key.
///   - Memory(): GlobalMemoryStatusEx.
///   - Volumes(), Mounts(), StatFs(): GetLogicalDriveStringsW, GetDriveTypeW,
///     GetVolumeInformationW, GetDiskFreeSpaceW (cluster size),
///     GetDiskFreeSpaceExW, GetVolumeNameForVolumeMountPointW; drives without
///     a medium are listed without usage, and never raise a "no disk" box.
///   - Processes(): CreateToolhelp32Snapshot; per process, opened with
///     PROCESS_QUERY_LIMITED_INFORMATION: the command line by
///     NtQueryInformationProcess(ProcessCommandLineInformation) (Windows 8.1
///     / Server 2012 R2 and later) or, failing that, from the PEB with
///     PROCESS_VM_READ; QueryFullProcessImageNameW, GetProcessTimes,
///     K32GetProcessMemoryInfo. A process the agent's account may not open
///     keeps its name (from the snapshot) with an empty path and parameters.
///   - TcpListeners(), UdpEndpoints(): GetExtendedTcpTable(
///     TCP_TABLE_OWNER_PID_LISTENER) and GetExtendedUdpTable(
///     UDP_TABLE_OWNER_PID), IPv4 then IPv6.
///   - Services(): EnumServicesStatusExW(SERVICE_WIN32, SERVICE_STATE_ALL)
///     and QueryServiceConfigW of each for its start type.
///   - KernelCommandLine(): the registry's SystemStartOptions.
/// Not available on Windows, so empty or zero: Load() (Windows keeps no load
/// average), Disks() (UCD-DISKIO), Interfaces(), LoggedInUsers(),
/// MaxProcesses().
class WindowsHostData final : public HostData {
 public:
  WindowsHostData();

  SystemIdentity Identity() override;
  double UptimeSeconds() override;
  CpuStat Cpu() override;
  std::vector<std::string> CpuModels() override;
  MemInfo Memory() override;
  LoadAverage Load() override { return {}; }
  std::vector<Mount> Mounts() override;
  std::optional<FsUsage> StatFs(const std::string& path) override;
  std::vector<ProcessInfo> Processes() override;
  std::uint32_t MaxProcesses() override { return 0; }
  std::uint32_t LoggedInUsers() override { return 0; }
  std::string KernelCommandLine() override;
  std::vector<NetInterface> Interfaces() override { return {}; }
  std::vector<DiskStat> Disks() override { return {}; }
  std::vector<SocketEndpoint> TcpListeners() override;
  std::vector<SocketEndpoint> UdpEndpoints() override;
  std::vector<Volume> Volumes() override;
  std::vector<ServiceInfo> Services() override;

 private:
  std::uint32_t processors_ = 1;
};

}  // namespace mimamori::agent
