// hrStorage (HOST-RESOURCES-MIB .25.2) on Windows, laid out as the Windows
// SNMP service's hostmib.dll lays it out, so that managers' Windows templates
// (Hinemos, Zabbix "Windows by SNMP") find the rows they expect: one row per
// drive letter ("C:\ Label:System  Serial Number 1a2b3c4d", allocation unit
// the cluster), then "Virtual Memory" and "Physical Memory" (unit 64 KiB).
#include <cstdint>
#include <map>
#include <string>
#include <string_view>

#include "agent/mib/host_resources.h"
#include "agent/windows/win32_results.h"

namespace mimamori::agent {
namespace {

using proto::Oid;
using proto::Value;

constexpr std::uint32_t kHrStorageIndex = 1;
constexpr std::uint32_t kHrStorageType = 2;
constexpr std::uint32_t kHrStorageDescr = 3;
constexpr std::uint32_t kHrStorageAllocationUnits = 4;
constexpr std::uint32_t kHrStorageSize = 5;
constexpr std::uint32_t kHrStorageUsed = 6;
constexpr std::uint32_t kHrStorageAllocationFailures = 7;

// hrStorageTypes arcs.
constexpr std::uint32_t kHrStorageOther = 1;
constexpr std::uint32_t kHrStorageRam = 2;
constexpr std::uint32_t kHrStorageVirtualMemory = 3;
constexpr std::uint32_t kHrStorageFixedDisk = 4;
constexpr std::uint32_t kHrStorageRemovableDisk = 5;
constexpr std::uint32_t kHrStorageRamDisk = 8;
constexpr std::uint32_t kHrStorageCompactDisc = 7;
constexpr std::uint32_t kHrStorageNetworkDisk = 10;

// hostmib.dll's allocation unit for both memory rows.
constexpr std::uint64_t kMemoryUnitKb = 64;

Oid HrStorage() { return Oid{1, 3, 6, 1, 2, 1, 25, 2}; }
Oid HrStorageEntryColumn(std::uint32_t column) { return HrStorage().Child({3, 1, column}); }
Oid HrStorageType(std::uint32_t type) { return HrStorage().Child({1, type}); }

std::uint32_t StorageType(Volume::Kind kind) {
  switch (kind) {
    case Volume::Kind::kFixed:
      return kHrStorageFixedDisk;
    case Volume::Kind::kRemovable:
      return kHrStorageRemovableDisk;
    case Volume::Kind::kCdRom:
      return kHrStorageCompactDisc;
    case Volume::Kind::kRemote:
      return kHrStorageNetworkDisk;
    case Volume::Kind::kRamDisk:
      return kHrStorageRamDisk;
    case Volume::Kind::kUnknown:
      break;
  }
  return kHrStorageOther;
}

std::int32_t Clamp31(std::uint64_t value) {
  return static_cast<std::int32_t>(value > 0x7fffffffu ? 0x7fffffffu : value);
}

class HrStorageWindowsProvider final : public MibProvider {
 public:
  explicit HrStorageWindowsProvider(const ProviderContext& context) : context_(context) {}

  std::string_view Name() const override { return "host-resources-storage-windows"; }
  std::vector<Oid> Roots() const override { return {HrStorage()}; }

  void Collect(MibWriter& out) override {
    for (std::uint32_t column = kHrStorageIndex; column <= kHrStorageAllocationFailures; ++column) {
      out.DeclareObject(HrStorageEntryColumn(column));
    }
    const MemInfo memory = context_.host.Memory();
    out.Scalar(HrStorage().Child({2}), Value::Integer(static_cast<std::int32_t>(memory.total_kb)));

    std::map<std::string, Volume, std::less<>> volumes;
    for (Volume& volume : context_.host.Volumes()) volumes.emplace(volume.root, std::move(volume));

    // A drive's row is its hrFSIndex, so hrFSStorageIndex points at it; the
    // memory rows follow the drives, as in hostmib.dll.
    std::uint32_t last = 0;
    for (const FileSystem& fs : file_systems_.Refresh()) {
      last = fs.index;
      const auto it = volumes.find(fs.path);
      Volume volume;
      if (it != volumes.end()) volume = it->second;
      if (volume.root.empty()) volume.root = fs.path;
      const ScaledStorage scaled = ScaleTo32Bits(fs.usage);
      Row(out, fs.index, StorageType(volume.kind), win32::StorageDescription(volume), scaled.units,
          scaled.size, scaled.used);
    }
    const std::uint64_t virtual_kb = memory.total_kb + memory.swap_total_kb;
    const std::uint64_t virtual_free_kb = memory.free_kb + memory.swap_free_kb;
    Row(out, last + 1, kHrStorageVirtualMemory, "Virtual Memory", 65536,
        Clamp31(virtual_kb / kMemoryUnitKb),
        Clamp31((virtual_kb - std::min(virtual_kb, virtual_free_kb)) / kMemoryUnitKb));
    Row(out, last + 2, kHrStorageRam, "Physical Memory", 65536,
        Clamp31(memory.total_kb / kMemoryUnitKb),
        Clamp31((memory.total_kb - std::min(memory.total_kb, memory.free_kb)) / kMemoryUnitKb));
  }

 private:
  static void Row(MibWriter& out, std::uint32_t index, std::uint32_t type, std::string_view descr,
                  std::int32_t units, std::int32_t size, std::int32_t used) {
    const std::uint32_t idx[] = {index};
    out.Cell(HrStorageEntryColumn(kHrStorageIndex), idx,
             Value::Integer(static_cast<std::int32_t>(index)));
    out.Cell(HrStorageEntryColumn(kHrStorageType), idx, Value::ObjectId(HrStorageType(type)));
    out.Cell(HrStorageEntryColumn(kHrStorageDescr), idx, Value::OctetString(descr));
    out.Cell(HrStorageEntryColumn(kHrStorageAllocationUnits), idx, Value::Integer(units));
    out.Cell(HrStorageEntryColumn(kHrStorageSize), idx, Value::Integer(size));
    out.Cell(HrStorageEntryColumn(kHrStorageUsed), idx, Value::Integer(used));
    // hostmib.dll counts no allocation failures either.
    out.Cell(HrStorageEntryColumn(kHrStorageAllocationFailures), idx, Value::Counter32(0));
  }

  const ProviderContext& context_;
  FileSystemTable file_systems_{context_.host};
};

}  // namespace

std::unique_ptr<MibProvider> MakeHrStorageWindowsProvider(const ProviderContext& context) {
  return std::make_unique<HrStorageWindowsProvider>(context);
}

}  // namespace mimamori::agent
