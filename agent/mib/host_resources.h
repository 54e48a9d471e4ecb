// HOST-RESOURCES-MIB (RFC 2790) as Net-SNMP 5.9.3's snmpd serves it on Linux,
// plus the file system list that hrStorageTable, hrFSTable and UCD-SNMP-MIB's
// dskTable share.
//
// One provider per subtree: hr_system.cc (.25.1), hr_storage.cc (.25.2),
// hr_device.cc (.25.3, including hrFSTable), hr_swrun.cc (.25.4 and .25.5);
// hr_fsys.cc holds FileSystemTable.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "agent/core/mib_provider.h"
#include "agent/core/provider_context.h"
#include "agent/host/host_data.h"
#include "agent/mib/cpu_history.h"

namespace mimamori::agent {

/// hrSystem (.1.3.6.1.2.1.25.1). Volatile: hrSystemUptime and hrSystemDate are
/// read on every request; the process count is re-read at most every 5 s.
std::unique_ptr<MibProvider> MakeHrSystemProvider(const ProviderContext& context);

/// hrMemorySize and hrStorageTable (.1.3.6.1.2.1.25.2).
std::unique_ptr<MibProvider> MakeHrStorageProvider(const ProviderContext& context);

/// The same on Windows, in the Windows SNMP service's layout
/// (hr_storage_windows.cc): drives at their hrFSIndex, described from
/// HostData::Volumes(), then "Virtual Memory" and "Physical Memory".
std::unique_ptr<MibProvider> MakeHrStorageWindowsProvider(const ProviderContext& context);

/// hrDeviceTable, hrProcessorTable, hrNetworkTable and hrFSTable
/// (.1.3.6.1.2.1.25.3). Forwards Sample() to `cpu` for hrProcessorLoad.
std::unique_ptr<MibProvider> MakeHrDeviceProvider(const ProviderContext& context,
                                                  std::shared_ptr<CpuHistory> cpu);

/// hrSWRunTable (.1.3.6.1.2.1.25.4) and hrSWRunPerfTable (.1.3.6.1.2.1.25.5)
/// from one process snapshot, so both tables list the same processes.
/// hrSWRunPath and hrSWRunParameters are ProcessInfo's path and parameters
/// cut to 128 bytes, hrSWRunName the name cut to 63 (snmpd's buffers);
/// hrSWRunType is operatingSystem for kernel threads and empty command
/// lines, application otherwise.
std::unique_ptr<MibProvider> MakeHrSWRunProvider(const ProviderContext& context);

/// hrStorageIndex of a file system is this plus its hrFSIndex
/// (NETSNMP_MEM_TYPE_MAX: indexes up to 30 are memory rows).
inline constexpr std::uint32_t kHrStorageFsIndexBase = 30;

/// hrFSStorageIndex of file system `fs_index`: kHrStorageFsIndexBase plus it
/// (snmpd), or the index itself on Windows, whose hrStorageTable starts with
/// the drives.
inline std::uint32_t HrStorageIndexOfFileSystem(std::uint32_t fs_index, OsFamily family) {
  return family == OsFamily::kWindows ? fs_index : kHrStorageFsIndexBase + fs_index;
}

/// How Net-SNMP 5.9.3 (hardware/fsys/fsys_mntent.c) classifies a mount type.
struct FsTypeClass {
  /// The HOST-RESOURCES-TYPES hrFSTypes arc: hrFSOther(1), hrFSUnknown(2),
  /// hrFSNFS(14), hrFSLinuxExt2(23) ...; hrFSOther for uncounted types.
  std::uint32_t hr_fs_type = 1;
  /// Listed at all. Pseudo file systems (proc, sysfs, cgroup, devpts,
  /// devtmpfs, overlay, squashfs, fuse.* ...) and autofs are not.
  bool counted = false;
  bool autofs = false;  ///< never statfs'ed, never in hrStorageTable
  bool remote = false;  ///< nfs*, cifs, smbfs, mvfs, afs: hrStorageNetworkDisk
};
FsTypeClass ClassifyFsType(std::string_view mount_type);

/// One listed file system. Several /proc/mounts lines with the same mount
/// point are one file system (the last line's device and type win), as
/// snmpd keys its list by path.
struct FileSystem {
  std::uint32_t index = 0;  ///< hrFSIndex, dskIndex; hrStorageIndex - 30
  std::string path;
  std::string device;
  std::string type;
  FsTypeClass type_class;
  bool remote = false;     ///< ever remote at this path (snmpd never clears it)
  bool read_only = false;  ///< "ro" on the last line
  bool bootable = false;   ///< the root file system
  FsUsage usage;           ///< all zeros when statvfs failed, as snmpd
};

/// The file systems snmpd lists, with its index assignment: every mount
/// point ever seen in /proc/mounts (counted type or not, in file order) takes
/// the next index and keeps it for the life of the agent, so indexes have
/// gaps where pseudo file systems sit and a remount keeps its old index.
///
/// snmpd keeps one list for hrStorageTable, hrFSTable and dskTable. Here each
/// provider owns a table, and all tables of one HostData share the index
/// assignment, so a mount point that lives only between two providers'
/// refreshes (a container's volume) cannot make their indexes drift apart.
class FileSystemTable {
 public:
  /// `host` must outlive the table.
  explicit FileSystemTable(HostData& host);

  /// Re-reads host.Mounts() and statvfs of each counted mount point; returns
  /// the counted file systems mounted now, by index.
  std::vector<FileSystem> Refresh();

 private:
  struct Indexes;
  HostData& host_;
  std::shared_ptr<Indexes> indexes_;
};

/// netsnmp_fsys_calculate32: the allocation unit is doubled (and the block
/// counts halved) until the size fits in an Integer32.
struct ScaledStorage {
  std::int32_t units = 0;
  std::int32_t size = 0;
  std::int32_t used = 0;
};
ScaledStorage ScaleTo32Bits(const FsUsage& usage);

/// _fsys_to_K: `blocks` of `unit_bytes` each, in KiB.
std::uint64_t BlocksToKilobytes(std::uint64_t blocks, std::uint64_t unit_bytes);

}  // namespace mimamori::agent
