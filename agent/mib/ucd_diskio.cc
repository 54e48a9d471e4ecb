#include "agent/mib/ucd_diskio.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <limits>
#include <optional>
#include <string>
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
constexpr std::uint32_t kDiskIOLA1 = 9;
constexpr std::uint32_t kDiskIOLA5 = 10;
constexpr std::uint32_t kDiskIOLA15 = 11;
constexpr std::uint32_t kDiskIONReadX = 12;
constexpr std::uint32_t kDiskIONWrittenX = 13;
constexpr std::uint32_t kDiskIOBusyTime = 14;

// /proc/diskstats counts 512-byte sectors whatever the device's block size.
constexpr std::uint64_t kSectorBytes = 512;

// The time constants of diskIOLA1/5/15, in seconds.
constexpr double kLa1Seconds = 60;
constexpr double kLa5Seconds = 300;
constexpr double kLa15Seconds = 900;

// See MakeDiskIoProvider: a tick closer than this to the previous is dropped.
constexpr std::chrono::seconds kMinimumInterval{1};

// ucdExperimental.15 = ucdDiskIOMIB; diskIOTable is its .1, diskIOEntry .1.1.
Oid UcdDiskIoMib() { return Oid{1, 3, 6, 1, 4, 1, 2021, 13, 15}; }
Oid DiskIoEntryColumn(std::uint32_t column) { return UcdDiskIoMib().Child({1, 1, column}); }

std::uint32_t Low32(std::uint64_t v) { return static_cast<std::uint32_t>(v); }

// snmpd stores the average in an unsigned long (truncating) and answers it
// as an INTEGER.
std::int32_t LoadValue(double load) {
  constexpr double kMax = std::numeric_limits<std::int32_t>::max();
  return static_cast<std::int32_t>(std::clamp(load, 0.0, kMax));
}

// One exponential smoothing step of a load average with time constant `tau`
// over `seconds`.
double Smooth(double load, double busy_percent, double seconds, double tau) {
  const double weight = std::exp(-seconds / tau);
  return load * weight + busy_percent * (1 - weight);
}

class DiskIoProvider final : public MibProvider {
 public:
  explicit DiskIoProvider(const ProviderContext& context) : context_(context) {}

  std::string_view Name() const override { return "ucd-diskio"; }

  std::vector<Oid> Roots() const override { return {UcdDiskIoMib()}; }

  void Sample() override {
    const auto now = context_.now();
    if (last_sample_ && now - *last_sample_ < kMinimumInterval) return;
    const std::optional<double> seconds =
        last_sample_
            ? std::optional<double>(std::chrono::duration<double>(now - *last_sample_).count())
            : std::nullopt;
    last_sample_ = now;

    const std::vector<DiskStat> disks = context_.host.Disks();
    // snmpd keeps one entry per position and drops those past the end when
    // the list shrinks.
    loads_.resize(disks.size());
    for (std::size_t i = 0; i < disks.size(); ++i) {
      const DiskStat& disk = disks[i];
      Load& load = loads_[i];
      if (!seconds || load.name != disk.name) {
        // A new position (or a different device at it): snmpd starts from
        // the current counter and averages of 0.
        load = Load{disk.name, disk.io_ticks_ms, 0, 0, 0};
        continue;
      }
      const std::uint64_t busy_ms =
          disk.io_ticks_ms >= load.io_ticks_ms ? disk.io_ticks_ms - load.io_ticks_ms : 0;
      const double busy_percent = static_cast<double>(busy_ms) * 100 / (*seconds * 1000);
      load.la1 = Smooth(load.la1, busy_percent, *seconds, kLa1Seconds);
      load.la5 = Smooth(load.la5, busy_percent, *seconds, kLa5Seconds);
      load.la15 = Smooth(load.la15, busy_percent, *seconds, kLa15Seconds);
      load.io_ticks_ms = disk.io_ticks_ms;
    }
  }

  void Collect(MibWriter& out) override {
    for (std::uint32_t column :
         {kDiskIOIndex, kDiskIODevice, kDiskIONRead, kDiskIONWritten, kDiskIOReads, kDiskIOWrites,
          kDiskIOLA1, kDiskIOLA5, kDiskIOLA15, kDiskIONReadX, kDiskIONWrittenX, kDiskIOBusyTime}) {
      out.DeclareObject(DiskIoEntryColumn(column));
    }
    // The index is the position in /proc/diskstats, as in snmpd: it is not
    // stable when devices come and go, which is why managers key on
    // diskIODevice.
    std::uint32_t index = 0;
    for (const DiskStat& disk : context_.host.Disks()) {
      const std::size_t position = index++;
      const std::uint32_t idx[] = {index};
      const auto cell = [&](std::uint32_t column, Value value) {
        out.Cell(DiskIoEntryColumn(column), idx, std::move(value));
      };
      const std::uint64_t bytes_read = disk.sectors_read * kSectorBytes;
      const std::uint64_t bytes_written = disk.sectors_written * kSectorBytes;
      // Averages of the device sampled at this position; 0 (snmpd: "we
      // don't have the load yet") when none was, or another device was.
      const Load* load = position < loads_.size() && loads_[position].name == disk.name
                             ? &loads_[position]
                             : nullptr;
      cell(kDiskIOIndex, Value::Integer(static_cast<std::int32_t>(index)));
      cell(kDiskIODevice, Value::OctetString(disk.name));
      cell(kDiskIONRead, Value::Counter32(Low32(bytes_read)));
      cell(kDiskIONWritten, Value::Counter32(Low32(bytes_written)));
      cell(kDiskIOReads, Value::Counter32(Low32(disk.reads_completed)));
      cell(kDiskIOWrites, Value::Counter32(Low32(disk.writes_completed)));
      cell(kDiskIOLA1, Value::Integer(load ? LoadValue(load->la1) : 0));
      cell(kDiskIOLA5, Value::Integer(load ? LoadValue(load->la5) : 0));
      cell(kDiskIOLA15, Value::Integer(load ? LoadValue(load->la15) : 0));
      cell(kDiskIONReadX, Value::Counter64(bytes_read));
      cell(kDiskIONWrittenX, Value::Counter64(bytes_written));
      // Microseconds, from the kernel's milliseconds.
      cell(kDiskIOBusyTime, Value::Counter64(disk.io_ticks_ms * 1000));
    }
  }

 private:
  // The state snmpd keeps per position (linux_diskio_la), plus the name of
  // the device it belongs to.
  struct Load {
    std::string name;
    std::uint64_t io_ticks_ms = 0;  // at the previous sample
    double la1 = 0, la5 = 0, la15 = 0;
  };

  const ProviderContext& context_;
  std::vector<Load> loads_;  // by position in /proc/diskstats
  std::optional<std::chrono::steady_clock::time_point> last_sample_;
};

}  // namespace

std::unique_ptr<MibProvider> MakeDiskIoProvider(const ProviderContext& context) {
  return std::make_unique<DiskIoProvider>(context);
}

}  // namespace mimamori::agent
