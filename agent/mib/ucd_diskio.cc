#include "agent/mib/ucd_diskio.h"

#include <cstdint>
#include <string_view>
#include <utility>
#include <vector>

namespace mimamori::agent {
namespace {

using proto::Oid;
using proto::Value;

// diskIOEntry columns (UCD-DISKIO-MIB).
constexpr std::uint32_t kDiskIOIndex = 1;
constexpr std::uint32_t kDiskIODevice = 2;
constexpr std::uint32_t kDiskIONRead = 3;
constexpr std::uint32_t kDiskIONWritten = 4;
constexpr std::uint32_t kDiskIOReads = 5;
constexpr std::uint32_t kDiskIOWrites = 6;
constexpr std::uint32_t kDiskIONReadX = 12;
constexpr std::uint32_t kDiskIONWrittenX = 13;

// /proc/diskstats counts 512-byte sectors whatever the device's block size.
constexpr std::uint64_t kSectorBytes = 512;

// ucdExperimental.15 = ucdDiskIOMIB; diskIOTable is its .1, diskIOEntry .1.1.
Oid UcdDiskIoMib() { return Oid{1, 3, 6, 1, 4, 1, 2021, 13, 15}; }
Oid DiskIoEntryColumn(std::uint32_t column) { return UcdDiskIoMib().Child({1, 1, column}); }

std::uint32_t Low32(std::uint64_t v) { return static_cast<std::uint32_t>(v); }

class DiskIoProvider final : public MibProvider {
 public:
  explicit DiskIoProvider(const ProviderContext& context) : context_(context) {}

  std::string_view Name() const override { return "ucd-diskio"; }

  std::vector<Oid> Roots() const override { return {UcdDiskIoMib()}; }

  void Collect(MibWriter& out) override {
    for (std::uint32_t column : {kDiskIOIndex, kDiskIODevice, kDiskIONRead, kDiskIONWritten,
                                 kDiskIOReads, kDiskIOWrites, kDiskIONReadX, kDiskIONWrittenX}) {
      out.DeclareObject(DiskIoEntryColumn(column));
    }
    // The index is the position in /proc/diskstats, as in snmpd: it is not
    // stable when devices come and go, which is why managers key on
    // diskIODevice.
    std::uint32_t index = 0;
    for (const DiskStat& disk : context_.host.Disks()) {
      ++index;
      const std::uint32_t idx[] = {index};
      const auto cell = [&](std::uint32_t column, Value value) {
        out.Cell(DiskIoEntryColumn(column), idx, std::move(value));
      };
      const std::uint64_t bytes_read = disk.sectors_read * kSectorBytes;
      const std::uint64_t bytes_written = disk.sectors_written * kSectorBytes;
      cell(kDiskIOIndex, Value::Integer(static_cast<std::int32_t>(index)));
      cell(kDiskIODevice, Value::OctetString(disk.name));
      cell(kDiskIONRead, Value::Counter32(Low32(bytes_read)));
      cell(kDiskIONWritten, Value::Counter32(Low32(bytes_written)));
      cell(kDiskIOReads, Value::Counter32(Low32(disk.reads_completed)));
      cell(kDiskIOWrites, Value::Counter32(Low32(disk.writes_completed)));
      cell(kDiskIONReadX, Value::Counter64(bytes_read));
      cell(kDiskIONWrittenX, Value::Counter64(bytes_written));
    }
  }

 private:
  const ProviderContext& context_;
};

}  // namespace

std::unique_ptr<MibProvider> MakeDiskIoProvider(const ProviderContext& context) {
  return std::make_unique<DiskIoProvider>(context);
}

}  // namespace mimamori::agent
