// hrStorage (HOST-RESOURCES-MIB .25.2): hrMemorySize and hrStorageTable, as
// snmpd's host/hrh_storage.c with hardware/memory/memory_linux.c.
#include "agent/mib/host_resources.h"

#include <cstdint>
#include <string_view>
#include <utility>
#include <vector>

namespace mimamori::agent {
namespace {

using proto::Oid;
using proto::Value;

// hrStorageEntry columns.
constexpr std::uint32_t kHrStorageIndex = 1;
constexpr std::uint32_t kHrStorageType = 2;
constexpr std::uint32_t kHrStorageDescr = 3;
constexpr std::uint32_t kHrStorageAllocationUnits = 4;
constexpr std::uint32_t kHrStorageSize = 5;
constexpr std::uint32_t kHrStorageUsed = 6;
constexpr std::uint32_t kHrStorageAllocationFailures = 7;

// hrStorageTypes arcs (HOST-RESOURCES-TYPES).
constexpr std::uint32_t kHrStorageOther = 1;
constexpr std::uint32_t kHrStorageRam = 2;
constexpr std::uint32_t kHrStorageVirtualMemory = 3;
constexpr std::uint32_t kHrStorageFixedDisk = 4;
constexpr std::uint32_t kHrStorageNetworkDisk = 10;

// Memory row indexes: Net-SNMP's NETSNMP_MEM_TYPE_* values.
constexpr std::uint32_t kPhysicalMemory = 1;
constexpr std::uint32_t kVirtualMemory = 3;
constexpr std::uint32_t kMemoryBuffers = 6;
constexpr std::uint32_t kCachedMemory = 7;
constexpr std::uint32_t kSharedMemory = 8;
constexpr std::uint32_t kSwapSpace = 10;
constexpr std::uint32_t kAvailableMemory = 11;

Oid HrStorage() { return Oid{1, 3, 6, 1, 2, 1, 25, 2}; }
Oid HrMemorySize() { return HrStorage().Child({2}); }
Oid HrStorageEntryColumn(std::uint32_t column) { return HrStorage().Child({3, 1, column}); }
Oid HrStorageType(std::uint32_t type) { return HrStorage().Child({1, type}); }

// hrh_storage.c answers `value & 0x7fffffff` for memory rows.
std::int32_t Mask31(std::uint64_t value) { return static_cast<std::int32_t>(value & 0x7fffffffu); }

struct MemoryRow {
  std::uint32_t index;
  std::uint32_t type;
  std::string_view descr;
  std::uint64_t size_kb;
  std::uint64_t free_kb;  // used = size - free
};

// memory_linux.c's rows. Some sizes look odd but are what managers graph from
// snmpd: "Memory buffers" is sized as all RAM, "Cached memory" includes
// SReclaimable, and "Physical memory" counts buffers and cache as used.
std::vector<MemoryRow> MemoryRows(const MemInfo& m) {
  std::vector<MemoryRow> rows = {
      {kPhysicalMemory, kHrStorageRam, "Physical memory", m.total_kb, m.free_kb},
      {kVirtualMemory, kHrStorageVirtualMemory, "Virtual memory", m.total_kb + m.swap_total_kb,
       m.free_kb + m.swap_free_kb},
      {kMemoryBuffers, kHrStorageOther, "Memory buffers", m.total_kb, m.total_kb - m.buffers_kb},
      {kCachedMemory, kHrStorageOther, "Cached memory", m.cached_kb + m.sreclaimable_kb, 0},
      {kSharedMemory, kHrStorageOther, "Shared memory", m.shared_kb, 0},
      {kSwapSpace, kHrStorageVirtualMemory, "Swap space", m.swap_total_kb, m.swap_free_kb},
  };
  if (m.available_kb) {
    rows.push_back(
        {kAvailableMemory, kHrStorageOther, "Available memory", *m.available_kb, *m.available_kb});
  }
  return rows;
}

class HrStorageProvider final : public MibProvider {
 public:
  explicit HrStorageProvider(const ProviderContext& context) : context_(context) {}

  std::string_view Name() const override { return "host-resources-storage"; }
  std::vector<Oid> Roots() const override { return {HrStorage()}; }

  void Collect(MibWriter& out) override {
    // hrStorageAllocationFailures exists in the MIB view but snmpd (built
    // with NETSNMP_NO_DUMMY_VALUES) has no value for any row: a Get answers
    // noSuchInstance and a walk skips the column.
    for (std::uint32_t column :
         {kHrStorageIndex, kHrStorageType, kHrStorageDescr, kHrStorageAllocationUnits,
          kHrStorageSize, kHrStorageUsed, kHrStorageAllocationFailures}) {
      out.DeclareObject(HrStorageEntryColumn(column));
    }

    const MemInfo memory = context_.host.Memory();
    // handle_memsize: an int, so a host with 2 TiB or more wraps as in snmpd.
    out.Scalar(HrMemorySize(), Value::Integer(static_cast<std::int32_t>(memory.total_kb)));

    for (const MemoryRow& row : MemoryRows(memory)) {
      Row(out, row.index, row.type, row.descr, 1024, Mask31(row.size_kb),
          Mask31(row.size_kb - row.free_kb));
    }

    for (const FileSystem& fs : file_systems_.Refresh()) {
      if (fs.type_class.autofs) continue;
      const ScaledStorage scaled = ScaleTo32Bits(fs.usage);
      // Removable disks are never detected on Linux; everything local is a
      // fixed disk, tmpfs included.
      Row(out, kHrStorageFsIndexBase + fs.index,
          fs.remote ? kHrStorageNetworkDisk : kHrStorageFixedDisk, fs.path, scaled.units,
          scaled.size, scaled.used);
    }
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
  }

  const ProviderContext& context_;
  FileSystemTable file_systems_{context_.host};
};

}  // namespace

std::unique_ptr<MibProvider> MakeHrStorageProvider(const ProviderContext& context) {
  return std::make_unique<HrStorageProvider>(context);
}

}  // namespace mimamori::agent
