// FileSystemTable: the file system list of hrStorageTable, hrFSTable and dskTable.
#include "agent/mib/host_resources.h"

#include <algorithm>
#include <array>
#include <limits>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace mimamori::agent {
namespace {

// hrFSTypes arcs (HOST-RESOURCES-TYPES).
constexpr std::uint32_t kHrFSOther = 1;
constexpr std::uint32_t kHrFSUnknown = 2;
constexpr std::uint32_t kHrFSBerkeleyFFS = 3;
constexpr std::uint32_t kHrFSSys5FS = 4;
constexpr std::uint32_t kHrFSFat = 5;
constexpr std::uint32_t kHrFSHFS = 7;
constexpr std::uint32_t kHrFSMFS = 8;
constexpr std::uint32_t kHrFSNTFS = 9;
constexpr std::uint32_t kHrFSiso9660 = 12;
constexpr std::uint32_t kHrFSRockRidge = 13;
constexpr std::uint32_t kHrFSNFS = 14;
constexpr std::uint32_t kHrFSNetware = 15;
constexpr std::uint32_t kHrFSAFS = 16;
constexpr std::uint32_t kHrFSFAT32 = 22;
constexpr std::uint32_t kHrFSLinuxExt2 = 23;

struct NamedType {
  std::string_view name;
  std::uint32_t hr_fs_type;
};

// The mount types 5.9.3 recognises. Later Net-SNMP versions add overlay,
// ubifs and virtiofs to the "other" list; Debian 12's snmpd skips them, and
// our side-by-side comparison is against that snmpd.
constexpr std::array kKnownTypes = {
    NamedType{"ffs", kHrFSBerkeleyFFS},  NamedType{"ufs", kHrFSSys5FS},
    NamedType{"sysv", kHrFSSys5FS},      NamedType{"pc", kHrFSFat},
    NamedType{"msdos", kHrFSFat},        NamedType{"hfs", kHrFSHFS},
    NamedType{"mfs", kHrFSMFS},          NamedType{"ntfs", kHrFSNTFS},
    NamedType{"iso9660", kHrFSiso9660},  NamedType{"cd9660", kHrFSiso9660},
    NamedType{"cdfs", kHrFSiso9660},     NamedType{"hsfs", kHrFSRockRidge},
    NamedType{"nfs", kHrFSNFS},          NamedType{"nfs3", kHrFSNFS},
    NamedType{"nfs4", kHrFSNFS},         NamedType{"cifs", kHrFSNFS},
    NamedType{"smbfs", kHrFSNFS},        NamedType{"mvfs", kHrFSNFS},
    NamedType{"ncpfs", kHrFSNetware},    NamedType{"afs", kHrFSAFS},
    NamedType{"ext2", kHrFSLinuxExt2},   NamedType{"ext3", kHrFSLinuxExt2},
    NamedType{"ext4", kHrFSLinuxExt2},   NamedType{"ext2fs", kHrFSLinuxExt2},
    NamedType{"ext3fs", kHrFSLinuxExt2}, NamedType{"ext4fs", kHrFSLinuxExt2},
    NamedType{"fat32", kHrFSFAT32},      NamedType{"vfat", kHrFSFAT32},
};

// Local file systems without an hrFSTypes value of their own (other_fs[]).
constexpr std::array<std::string_view, 22> kOtherTypes = {
    "acfs",  "btrfs", "cvfs", "f2fs",    "fuse.glusterfs", "gfs",   "gfs2",  "glusterfs", "jfs",
    "jffs2", "lofs",  "mvfs", "nsspool", "nssvol",         "nvmfs", "ocfs2", "reiserfs",  "simfs",
    "tmpfs", "vxfs",  "xfs",  "zfs",
};

// snmpd's guess: the root file system is the bootable one.
bool IsBootable(const std::string& path) { return path == "/"; }

}  // namespace

FsTypeClass ClassifyFsType(std::string_view type) {
  FsTypeClass result;
  if (type.empty()) {
    result.hr_fs_type = kHrFSUnknown;
    result.counted = true;
    return result;
  }
  for (const NamedType& known : kKnownTypes) {
    if (known.name == type) {
      result.hr_fs_type = known.hr_fs_type;
      result.counted = true;
      result.remote = known.hr_fs_type == kHrFSNFS || known.hr_fs_type == kHrFSAFS;
      return result;
    }
  }
  if (std::find(kOtherTypes.begin(), kOtherTypes.end(), type) != kOtherTypes.end()) {
    result.hr_fs_type = kHrFSOther;
    result.counted = true;
    return result;
  }
  result.autofs = type == "autofs";
  return result;
}

// Index state per mount point, shared by the tables of one HostData.
struct FileSystemTable::Indexes {
  struct Known {
    std::uint32_t index = 0;
    bool remote = false;  // sticky, as snmpd's NETSNMP_FS_FLAG_REMOTE
  };
  std::map<std::string, Known, std::less<>> known;
  std::uint32_t last_index = 0;
};

FileSystemTable::FileSystemTable(HostData& host) : host_(host) {
  // The agent has one HostData; tests create many, one after another, at
  // possibly the same address: an entry lives only while a table uses it.
  // Not thread-safe, like the rest of the MIB: providers are built and run on
  // the event loop thread.
  static auto& shared = *new std::map<const HostData*, std::weak_ptr<Indexes>>;
  std::erase_if(shared, [](const auto& entry) { return entry.second.expired(); });
  std::weak_ptr<Indexes>& slot = shared[&host];
  indexes_ = slot.lock();
  if (!indexes_) {
    indexes_ = std::make_shared<Indexes>();
    slot = indexes_;
  }
}

std::vector<FileSystem> FileSystemTable::Refresh() {
  // This load's view of each mount point, by index: the last line wins, and a
  // mount point is listed when any of its lines has a counted type.
  std::map<std::uint32_t, FileSystem> seen;
  for (Mount& mount : host_.Mounts()) {
    auto [it, inserted] = indexes_->known.try_emplace(mount.path);
    if (inserted) it->second.index = ++indexes_->last_index;
    Indexes::Known& known = it->second;
    const FsTypeClass type_class = ClassifyFsType(mount.type);
    known.remote = known.remote || type_class.remote;

    FileSystem& fs = seen[known.index];
    const bool counted = fs.type_class.counted || type_class.counted;
    fs.index = known.index;
    fs.path = std::move(mount.path);
    fs.device = std::move(mount.device);
    fs.type = std::move(mount.type);
    fs.type_class = type_class;
    fs.type_class.counted = counted;
    fs.remote = known.remote;
    fs.read_only = mount.read_only;
    fs.bootable = IsBootable(fs.path);
  }

  std::vector<FileSystem> listed;
  for (auto& [index, fs] : seen) {
    if (!fs.type_class.counted) continue;
    // snmpd does not statfs autofs mount points (that would trigger the
    // automounter); such a row is excluded from hrStorageTable anyway.
    if (!fs.type_class.autofs) {
      if (std::optional<FsUsage> usage = host_.StatFs(fs.path)) fs.usage = *usage;
    }
    listed.push_back(std::move(fs));
  }
  return listed;
}

ScaledStorage ScaleTo32Bits(const FsUsage& usage) {
  constexpr std::uint64_t kMax = std::numeric_limits<std::int32_t>::max();
  const std::uint64_t used =
      usage.blocks >= usage.blocks_free ? usage.blocks - usage.blocks_free : 0;
  std::uint64_t size = usage.blocks;
  unsigned shift = 0;
  while (size > kMax) {
    size >>= 1;
    ++shift;
  }
  ScaledStorage scaled;
  // snmpd hands these longs to the INTEGER encoder, which keeps the low 32 bits.
  scaled.units =
      static_cast<std::int32_t>(static_cast<std::uint32_t>(usage.fragment_size << shift));
  scaled.size = static_cast<std::int32_t>(size);
  scaled.used = static_cast<std::int32_t>(used >> shift);
  return scaled;
}

std::uint64_t BlocksToKilobytes(std::uint64_t blocks, std::uint64_t unit_bytes) {
  if (unit_bytes == 0) return 0;
  if (unit_bytes == 1024) return blocks;
  if (unit_bytes < 1024) return blocks / (1024 / unit_bytes);
  return blocks * (unit_bytes / 1024);
}

}  // namespace mimamori::agent
