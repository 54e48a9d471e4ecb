// Raw Win32 results turned into HostData structs.
//
// Plain C++ without <windows.h>: the structs below mirror the Win32 ones
// field for field (same names, same units), so the conversions compile on
// Linux and the unit tests check them on results recorded from Windows
// Server, which wine cannot reproduce (real per-processor times, service
// start types, the registry values behind sysDescr). windows_host_data.cc
// copies each Win32 struct into its mirror and calls these.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "agent/host/host_data.h"

namespace mimamori::agent::win32 {

/// FILETIME intervals are 100 ns units; ssCpuRaw* and hrSWRunPerfCPU are
/// centiseconds (Hinemos's Windows SNMP extension serves ssCpuRaw* so, and
/// snmpd's USER_HZ ticks are too).
std::uint64_t HundredNanosecondsToCentiseconds(std::uint64_t hundred_ns);

/// SYSTEM_PROCESSOR_PERFORMANCE_INFORMATION, one per logical processor, from
/// NtQuerySystemInformation(SystemProcessorPerformanceInformation).
/// KernelTime includes IdleTime, DpcTime and InterruptTime.
struct ProcessorPerformance {
  std::int64_t IdleTime = 0;
  std::int64_t KernelTime = 0;
  std::int64_t UserTime = 0;
  std::int64_t DpcTime = 0;
  std::int64_t InterruptTime = 0;
  std::uint32_t InterruptCount = 0;
};

/// GetSystemTimes' three FILETIMEs as 64-bit counts (all processors summed;
/// kernel includes idle).
struct SystemTimes {
  std::uint64_t idle = 0;
  std::uint64_t kernel = 0;
  std::uint64_t user = 0;
};

/// One processor's times in centiseconds: user = UserTime; idle = IdleTime;
/// irq = InterruptTime; softirq = DpcTime (deferred procedure calls are
/// Windows' bottom halves); system = KernelTime less idle, DPC and interrupt
/// time, so that the columns add up to the elapsed time as on Linux.
CpuTimes ProcessorTimes(const ProcessorPerformance& processor);

/// The CpuStat of a Windows host: `total` from GetSystemTimes (user, kernel
/// less idle as system, idle), with irq/softirq and the interrupt count
/// summed over `processors` (and taken out of system); per_cpu from
/// ProcessorTimes. Page and swap counters stay 0 (Windows has no such
/// cumulative counters outside the performance counters).
CpuStat MakeCpuStat(const SystemTimes& system, const std::vector<ProcessorPerformance>& processors);

/// MEMORYSTATUSEX's byte counts.
struct MemoryStatus {
  std::uint64_t ullTotalPhys = 0;
  std::uint64_t ullAvailPhys = 0;
  std::uint64_t ullTotalPageFile = 0;  ///< the commit limit: RAM plus page files
  std::uint64_t ullAvailPageFile = 0;
};

/// MemInfo in KiB: total/free = physical memory (free = available physical,
/// which counts the standby list); swap = the page files, i.e. commit limit
/// less RAM (free likewise, never negative); available_kb = ullAvailPhys.
/// So "Virtual memory" (RAM + swap) is the commit limit, as Windows' own agent
/// shows it. No buffers, cache or shared figures exist: they are 0.
MemInfo MakeMemInfo(const MemoryStatus& status);

/// GetDriveType's values (DRIVE_UNKNOWN 0 ... DRIVE_RAMDISK 6).
Volume::Kind VolumeKind(std::uint32_t drive_type);

/// hrStorageDescr of a drive as the Windows SNMP service writes it:
/// "C:\ Label:System  Serial Number 1a2b3c4d" (lower-case hex, no leading
/// zeros, two blanks before "Serial"); just the root ("D:\") for a drive
/// without a medium.
std::string StorageDescription(const Volume& volume);

/// The Mount (for hrFSTable and dskTable) of a drive: path = root, device =
/// volume GUID path, type = the Net-SNMP name of its file system ("ntfs",
/// "fat32", "msdos", "iso9660", ...) or "" (hrFSUnknown, still listed) for
/// ReFS, exFAT, UDF and drives without a medium.
Mount MountOfVolume(const Volume& volume);

/// statvfs-like usage of a drive: the cluster is the block.
FsUsage UsageOfVolume(const Volume& volume);

/// hrSWRunPath and hrSWRunParameters from a process's command line, split
/// as the Windows SNMP service does: the program is the first token (up to
/// the closing quote when the line starts with one, else up to the first
/// blank or tab), the parameters are the rest with leading blanks removed.
/// `image_path` (QueryFullProcessImageName), when known, is the path, as it
/// is always absolute where the command line's program may be relative;
/// without either, the program token (quotes removed) is the path.
void SplitCommandLine(std::string_view command_line, std::string_view image_path, std::string& path,
                      std::string& parameters);

/// The registry values behind the Windows SNMP service's sysDescr.
struct SystemDescriptionSources {
  /// HKLM\HARDWARE\DESCRIPTION\System\CentralProcessor\0 "Identifier",
  /// "Intel64 Family 6 Model 85 Stepping 7".
  std::string processor_identifier;
  /// HKLM\HARDWARE\DESCRIPTION\System "Identifier", "AT/AT COMPATIBLE".
  std::string system_identifier;
  /// HKLM\SOFTWARE\Microsoft\Windows NT\CurrentVersion: "CurrentVersion"
  /// ("6.3" on every Windows since 8.1, Server 2019 and 2022 included),
  /// "CurrentBuildNumber" ("17763") and "CurrentType" ("Multiprocessor Free").
  std::string current_version;
  std::string current_build_number;
  std::string current_type;
  std::uint32_t processors = 1;  ///< for CurrentType when the value is missing
};

/// "Hardware: Intel64 Family 6 Model 85 Stepping 7 AT/AT COMPATIBLE -
/// Software: Windows Version 6.3 (Build 17763 Multiprocessor Free)", the
/// text Hinemos and Zabbix recognise Windows by.
std::string SystemDescription(const SystemDescriptionSources& sources);

/// MIB_TCPROW_OWNER_PID / MIB_UDPROW_OWNER_PID: dwLocalAddr in network byte
/// order as it lies in memory, dwLocalPort's low 16 bits in network order.
struct Ipv4Row {
  std::uint32_t dwLocalAddr = 0;
  std::uint32_t dwLocalPort = 0;
};
/// MIB_TCP6ROW_OWNER_PID / MIB_UDP6ROW_OWNER_PID.
struct Ipv6Row {
  std::uint8_t ucLocalAddr[16] = {};
  std::uint32_t dwLocalPort = 0;
};

/// A listening or UDP socket from a row, on a little-endian machine (every
/// Windows one): the address's first octet is the uint32's low byte.
SocketEndpoint EndpointOfRow(const Ipv4Row& row);
SocketEndpoint EndpointOfRow(const Ipv6Row& row);

/// UTF-16 (as Win32's W functions return it) to UTF-8; unpaired surrogates
/// become U+FFFD.
std::string Utf8(std::u16string_view text);
std::u16string Utf16(std::string_view utf8);

}  // namespace mimamori::agent::win32
