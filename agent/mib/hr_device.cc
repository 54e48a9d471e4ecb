// hrDevice (HOST-RESOURCES-MIB .25.3): hrDeviceTable, hrProcessorTable,
// hrNetworkTable and hrFSTable, as snmpd's host/hr_device.c, hr_proc.c,
// hr_network.c, hr_other.c and hrh_filesys.c on Linux.
//
// Not served, as on a virtio VM's snmpd: printers (hr_print.c) and
// hrDiskStorageTable / hrPartitionTable (hr_disk.c, which probes
// /dev/sd[a-p], /dev/hd[a-l], /dev/md0-3 and /dev/fd0-1 with ioctls).
#include "agent/mib/host_resources.h"

#include <algorithm>
#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace mimamori::agent {
namespace {

using proto::Oid;
using proto::Value;

// hrDeviceEntry columns.
constexpr std::uint32_t kHrDeviceIndex = 1;
constexpr std::uint32_t kHrDeviceType = 2;
constexpr std::uint32_t kHrDeviceDescr = 3;
constexpr std::uint32_t kHrDeviceID = 4;
constexpr std::uint32_t kHrDeviceStatus = 5;
constexpr std::uint32_t kHrDeviceErrors = 6;
// hrProcessorEntry columns.
constexpr std::uint32_t kHrProcessorFrwID = 1;
constexpr std::uint32_t kHrProcessorLoad = 2;
// hrNetworkEntry column.
constexpr std::uint32_t kHrNetworkIfIndex = 1;
// hrFSEntry columns.
constexpr std::uint32_t kHrFSIndex = 1;
constexpr std::uint32_t kHrFSMountPoint = 2;
constexpr std::uint32_t kHrFSRemoteMountPoint = 3;
constexpr std::uint32_t kHrFSType = 4;
constexpr std::uint32_t kHrFSAccess = 5;
constexpr std::uint32_t kHrFSBootable = 6;
constexpr std::uint32_t kHrFSStorageIndex = 7;
constexpr std::uint32_t kHrFSLastFullBackupDate = 8;
constexpr std::uint32_t kHrFSLastPartialBackupDate = 9;

// hrDeviceTypes arcs; snmpd's hrDeviceIndex is (type << 16) + instance.
constexpr std::uint32_t kHrDeviceProcessor = 3;
constexpr std::uint32_t kHrDeviceNetwork = 4;
constexpr std::uint32_t kHrDeviceCoprocessor = 12;
constexpr std::uint32_t kDeviceTypeShift = 16;

// hrDeviceStatus values.
constexpr std::int32_t kRunning = 2;
constexpr std::int32_t kDown = 5;

// hrFSAccess and TruthValue.
constexpr std::int32_t kReadWrite = 1;
constexpr std::int32_t kReadOnly = 2;
constexpr std::int32_t kTrue = 1;
constexpr std::int32_t kFalse = 2;

constexpr std::string_view kCoprocessorDescr =
    "Guessing that there's a floating point co-processor";

Oid HrDevice() { return Oid{1, 3, 6, 1, 2, 1, 25, 3}; }
Oid HrDeviceType(std::uint32_t type) { return HrDevice().Child({1, type}); }
Oid HrDeviceEntryColumn(std::uint32_t column) { return HrDevice().Child({2, 1, column}); }
Oid HrProcessorEntryColumn(std::uint32_t column) { return HrDevice().Child({3, 1, column}); }
Oid HrNetworkEntryColumn(std::uint32_t column) { return HrDevice().Child({4, 1, column}); }
Oid HrFSEntryColumn(std::uint32_t column) { return HrDevice().Child({8, 1, column}); }
Oid HrFSType(std::uint32_t type) { return HrDevice().Child({9, type}); }
Oid ZeroDotZero() { return Oid{0, 0}; }

// DateAndTime of "never": snmpd's date_n_time(NULL), 8 octets 0-1-1,0:0:0.0.
// It would read /etc/dumpdates, which no current Linux dump tool writes.
std::string NeverBackedUp() { return std::string("\0\0\1\1\0\0\0\0", 8); }

class HrDeviceProvider final : public MibProvider {
 public:
  HrDeviceProvider(const ProviderContext& context, std::shared_ptr<CpuHistory> cpu)
      : context_(context), cpu_(std::move(cpu)) {}

  std::string_view Name() const override { return "host-resources-device"; }
  std::vector<Oid> Roots() const override { return {HrDevice()}; }
  void Sample() override { cpu_->Sample(); }

  void Collect(MibWriter& out) override {
    for (std::uint32_t column : {kHrDeviceIndex, kHrDeviceType, kHrDeviceDescr, kHrDeviceID,
                                 kHrDeviceStatus, kHrDeviceErrors}) {
      out.DeclareObject(HrDeviceEntryColumn(column));
    }
    out.DeclareObject(HrProcessorEntryColumn(kHrProcessorFrwID));
    out.DeclareObject(HrProcessorEntryColumn(kHrProcessorLoad));
    out.DeclareObject(HrNetworkEntryColumn(kHrNetworkIfIndex));
    for (std::uint32_t column = kHrFSIndex; column <= kHrFSLastPartialBackupDate; ++column) {
      out.DeclareObject(HrFSEntryColumn(column));
    }
    Processors(out);
    Networks(out);
    // hr_other.c always "guesses" one coprocessor; it has no status or errors.
    Device(out, kHrDeviceCoprocessor << kDeviceTypeShift, kHrDeviceCoprocessor, kCoprocessorDescr);
    FileSystems(out);
  }

 private:
  static void Device(MibWriter& out, std::uint32_t index, std::uint32_t type,
                     std::string_view descr) {
    const std::uint32_t idx[] = {index};
    out.Cell(HrDeviceEntryColumn(kHrDeviceIndex), idx,
             Value::Integer(static_cast<std::int32_t>(index)));
    out.Cell(HrDeviceEntryColumn(kHrDeviceType), idx, Value::ObjectId(HrDeviceType(type)));
    out.Cell(HrDeviceEntryColumn(kHrDeviceDescr), idx, Value::OctetString(descr));
    out.Cell(HrDeviceEntryColumn(kHrDeviceID), idx, Value::ObjectId(ZeroDotZero()));
  }

  // snmpd's CPU list holds each "processor" of /proc/cpuinfo (with status
  // running and a description) plus any cpuN line of /proc/stat beyond them
  // (no description, no status).
  void Processors(MibWriter& out) {
    const std::vector<std::string> models = context_.host.CpuModels();
    const std::size_t count = std::max(models.size(), cpu_->Latest().per_cpu.size());
    for (std::size_t cpu = 0; cpu < count; ++cpu) {
      const auto index = (kHrDeviceProcessor << kDeviceTypeShift) + static_cast<std::uint32_t>(cpu);
      const std::uint32_t idx[] = {index};
      Device(out, index, kHrDeviceProcessor, cpu < models.size() ? models[cpu] : "");
      if (cpu < models.size()) {
        out.Cell(HrDeviceEntryColumn(kHrDeviceStatus), idx, Value::Integer(kRunning));
      }
      out.Cell(HrProcessorEntryColumn(kHrProcessorFrwID), idx, Value::ObjectId(ZeroDotZero()));
      if (const auto load = cpu_->ProcessorLoad(cpu)) {
        out.Cell(HrProcessorEntryColumn(kHrProcessorLoad), idx, Value::Integer(*load));
      }
    }
  }

  void Networks(MibWriter& out) {
    for (const NetInterface& nic : context_.host.Interfaces()) {
      // hr_network.c drops interfaces whose ifIndex would spill into the next
      // device type's range (index 0: the ifindex could not be read).
      if (nic.index == 0 || nic.index > (1u << kDeviceTypeShift)) continue;
      const std::uint32_t index = (kHrDeviceNetwork << kDeviceTypeShift) + nic.index;
      const std::uint32_t idx[] = {index};
      Device(out, index, kHrDeviceNetwork, "network interface " + nic.name);
      // Administrative state (IFF_UP), not the link.
      out.Cell(HrDeviceEntryColumn(kHrDeviceStatus), idx,
               Value::Integer(nic.admin_up ? kRunning : kDown));
      out.Cell(HrDeviceEntryColumn(kHrDeviceErrors), idx,
               Value::Counter32(static_cast<std::uint32_t>(nic.rx_errors + nic.tx_errors)));
      out.Cell(HrNetworkEntryColumn(kHrNetworkIfIndex), idx,
               Value::Integer(static_cast<std::int32_t>(index & 0xffff)));
    }
  }

  void FileSystems(MibWriter& out) {
    for (const FileSystem& fs : file_systems_.Refresh()) {
      const std::uint32_t idx[] = {fs.index};
      const auto cell = [&](std::uint32_t column, Value value) {
        out.Cell(HrFSEntryColumn(column), idx, std::move(value));
      };
      cell(kHrFSIndex, Value::Integer(static_cast<std::int32_t>(fs.index)));
      cell(kHrFSMountPoint, Value::OctetString(fs.path));
      cell(kHrFSRemoteMountPoint, Value::OctetString(fs.remote ? fs.device : ""));
      cell(kHrFSType, Value::ObjectId(HrFSType(fs.type_class.hr_fs_type)));
      cell(kHrFSAccess, Value::Integer(fs.read_only ? kReadOnly : kReadWrite));
      cell(kHrFSBootable, Value::Integer(fs.bootable ? kTrue : kFalse));
      // Also for autofs rows, which hrStorageTable leaves out: snmpd's
      // dangling pointer, kept for parity.
      cell(
          kHrFSStorageIndex,
          Value::Integer(static_cast<std::int32_t>(HrStorageIndexOfFileSystem(fs.index, family_))));
      cell(kHrFSLastFullBackupDate, Value::OctetString(NeverBackedUp()));
      cell(kHrFSLastPartialBackupDate, Value::OctetString(NeverBackedUp()));
    }
  }

  const ProviderContext& context_;
  std::shared_ptr<CpuHistory> cpu_;
  FileSystemTable file_systems_{context_.host};
  const OsFamily family_ = context_.host.Identity().family;
};

}  // namespace

std::unique_ptr<MibProvider> MakeHrDeviceProvider(const ProviderContext& context,
                                                  std::shared_ptr<CpuHistory> cpu) {
  return std::make_unique<HrDeviceProvider>(context, std::move(cpu));
}

}  // namespace mimamori::agent
