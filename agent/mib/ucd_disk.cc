// dskTable (UCD-SNMP-MIB .2021.9), as snmpd's ucd-snmp/disk_hw.c with the
// configuration line `includeAllDisks 10%`.
#include "agent/mib/ucd_snmp.h"

#include <cstdint>
#include <cstdio>
#include <limits>
#include <string>
#include <string_view>
#include <utility>

#include "agent/mib/host_resources.h"

namespace mimamori::agent {
namespace {

using proto::Oid;
using proto::Value;

// dskEntry columns.
constexpr std::uint32_t kDskIndex = 1;
constexpr std::uint32_t kDskPath = 2;
constexpr std::uint32_t kDskDevice = 3;
constexpr std::uint32_t kDskMinimum = 4;
constexpr std::uint32_t kDskMinPercent = 5;
constexpr std::uint32_t kDskTotal = 6;
constexpr std::uint32_t kDskAvail = 7;
constexpr std::uint32_t kDskUsed = 8;
constexpr std::uint32_t kDskPercent = 9;
constexpr std::uint32_t kDskPercentNode = 10;
constexpr std::uint32_t kDskTotalLow = 11;
constexpr std::uint32_t kDskTotalHigh = 12;
constexpr std::uint32_t kDskAvailLow = 13;
constexpr std::uint32_t kDskAvailHigh = 14;
constexpr std::uint32_t kDskUsedLow = 15;
constexpr std::uint32_t kDskUsedHigh = 16;
constexpr std::uint32_t kDskErrorFlag = 100;
constexpr std::uint32_t kDskErrorMsg = 101;

// includeAllDisks gives every disk no minimum size (-1) and the line's percent.
constexpr std::int32_t kMinimumSpace = -1;
constexpr std::int32_t kMinimumPercent = 10;

Oid Dsk() { return Oid{1, 3, 6, 1, 4, 1, 2021, 9}; }
Oid DskEntryColumn(std::uint32_t column) { return Dsk().Child({1, column}); }

// disk_hw.c's _percent: single-precision float, rounded half up; 0 of 0.
std::int32_t Percent(std::uint64_t value, std::uint64_t total) {
  if (total == 0) return 0;
  float percent = static_cast<float>(value) * 100 / static_cast<float>(total);
  percent += 0.5f;
  // Only a file system reporting more free than total gets here; the float
  // to int conversion would be undefined.
  if (percent >= 2147483647.0f) return std::numeric_limits<std::int32_t>::max();
  return static_cast<std::int32_t>(percent);
}

// dskTotal/dskAvail/dskUsed saturate at 2^31-1 kB (2 TiB); the Low/High
// columns carry the full value.
Value Clamped(std::uint64_t kb) {
  constexpr std::uint64_t kMax = std::numeric_limits<std::int32_t>::max();
  return Value::Integer(static_cast<std::int32_t>(kb > kMax ? kMax : kb));
}

class UcdDiskProvider final : public MibProvider {
 public:
  explicit UcdDiskProvider(const ProviderContext& context) : context_(context) {}

  std::string_view Name() const override { return "ucd-disk"; }
  std::vector<Oid> Roots() const override { return {Dsk()}; }

  void Collect(MibWriter& out) override {
    for (std::uint32_t column = kDskIndex; column <= kDskUsedHigh; ++column) {
      out.DeclareObject(DskEntryColumn(column));
    }
    out.DeclareObject(DskEntryColumn(kDskErrorFlag));
    out.DeclareObject(DskEntryColumn(kDskErrorMsg));

    // With includeAllDisks snmpd's disk array mirrors its file system list,
    // so dskIndex is the hrFSIndex (with the same gaps).
    for (const FileSystem& fs : file_systems_.Refresh()) {
      const FsUsage& u = fs.usage;
      const std::uint64_t used_blocks = u.blocks >= u.blocks_free ? u.blocks - u.blocks_free : 0;
      const std::uint64_t total_kb = BlocksToKilobytes(u.blocks, u.fragment_size);
      const std::uint64_t avail_kb = BlocksToKilobytes(u.blocks_available, u.fragment_size);
      const std::uint64_t used_kb = BlocksToKilobytes(used_blocks, u.fragment_size);
      // Percentages are of blocks, so used + available need not be 100
      // (root's reserve is neither).
      const std::int32_t avail_percent = Percent(u.blocks_available, u.blocks);
      const bool low = avail_percent < kMinimumPercent;

      const std::uint32_t idx[] = {fs.index};
      const auto cell = [&](std::uint32_t column, Value value) {
        out.Cell(DskEntryColumn(column), idx, std::move(value));
      };
      cell(kDskIndex, Value::Integer(static_cast<std::int32_t>(fs.index)));
      cell(kDskPath, Value::OctetString(fs.path));
      cell(kDskDevice, Value::OctetString(fs.device));
      cell(kDskMinimum, Value::Integer(kMinimumSpace));
      cell(kDskMinPercent, Value::Integer(kMinimumPercent));
      cell(kDskTotal, Clamped(total_kb));
      cell(kDskAvail, Clamped(avail_kb));
      cell(kDskUsed, Clamped(used_kb));
      cell(kDskPercent, Value::Integer(Percent(used_blocks, u.blocks)));
      const std::uint64_t used_files = u.files >= u.files_free ? u.files - u.files_free : 0;
      cell(kDskPercentNode, Value::Integer(Percent(used_files, u.files)));
      cell(kDskTotalLow, Value::Gauge32(static_cast<std::uint32_t>(total_kb)));
      cell(kDskTotalHigh, Value::Gauge32(static_cast<std::uint32_t>(total_kb >> 32)));
      cell(kDskAvailLow, Value::Gauge32(static_cast<std::uint32_t>(avail_kb)));
      cell(kDskAvailHigh, Value::Gauge32(static_cast<std::uint32_t>(avail_kb >> 32)));
      cell(kDskUsedLow, Value::Gauge32(static_cast<std::uint32_t>(used_kb)));
      cell(kDskUsedHigh, Value::Gauge32(static_cast<std::uint32_t>(used_kb >> 32)));
      cell(kDskErrorFlag, Value::Integer(low ? 1 : 0));
      cell(kDskErrorMsg, Value::OctetString(low ? ErrorMessage(fs.path, avail_percent) : ""));
    }
  }

 private:
  static std::string ErrorMessage(const std::string& path, std::int32_t avail_percent) {
    return path + ": less than " + std::to_string(kMinimumPercent) +
           "% free (= " + std::to_string(avail_percent) + "%)";
  }

  const ProviderContext& context_;
  FileSystemTable file_systems_{context_.host};
};

}  // namespace

std::unique_ptr<MibProvider> MakeUcdDiskProvider(const ProviderContext& context) {
  return std::make_unique<UcdDiskProvider>(context);
}

}  // namespace mimamori::agent
