// hrSWRun (.25.4) and hrSWRunPerf (.25.5), as snmpd's host/hrSWRunTable.c and
// hrSWRunPerfTable.c over host/data_access/swrun_procfs_status.c.
#include "agent/mib/host_resources.h"

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace mimamori::agent {
namespace {

using proto::Oid;
using proto::Value;

// hrSWRunEntry columns.
constexpr std::uint32_t kHrSWRunIndex = 1;
constexpr std::uint32_t kHrSWRunName = 2;
constexpr std::uint32_t kHrSWRunID = 3;
constexpr std::uint32_t kHrSWRunPath = 4;
constexpr std::uint32_t kHrSWRunParameters = 5;
constexpr std::uint32_t kHrSWRunType = 6;
constexpr std::uint32_t kHrSWRunStatus = 7;
// hrSWRunPerfEntry columns.
constexpr std::uint32_t kHrSWRunPerfCPU = 1;
constexpr std::uint32_t kHrSWRunPerfMem = 2;

// hrSWRunType values.
constexpr std::int32_t kOperatingSystem = 2;
constexpr std::int32_t kApplication = 4;
// hrSWRunStatus values.
constexpr std::int32_t kRunning = 1;
constexpr std::int32_t kRunnable = 2;
constexpr std::int32_t kNotRunnable = 3;
constexpr std::int32_t kInvalid = 4;

// snmpd's buffer sizes (netsnmp_swrun_entry): the name is cut at 63 bytes
// (snprintf into 64 with the newline still attached), path and parameters
// at the MIB's 128.
constexpr std::size_t kMaxName = 63;
constexpr std::size_t kMaxPath = 128;
constexpr std::size_t kMaxParameters = 128;

Oid HrSWRun() { return Oid{1, 3, 6, 1, 2, 1, 25, 4}; }
Oid HrSWRunPerf() { return Oid{1, 3, 6, 1, 2, 1, 25, 5}; }
Oid HrSWRunEntryColumn(std::uint32_t column) { return HrSWRun().Child({2, 1, column}); }
Oid HrSWRunPerfEntryColumn(std::uint32_t column) { return HrSWRunPerf().Child({1, 1, column}); }

std::string_view Truncate(std::string_view s, std::size_t max) { return s.substr(0, max); }

// swrun_procfs_status.c: only R, S, D and T have a meaning; zombies, idle
// kernel threads (I), tracing stops (t) and the rest are "invalid".
std::int32_t RunStatus(char state) {
  switch (state) {
    case 'R':
      return kRunning;
    case 'S':
      return kRunnable;
    case 'D':
    case 'T':
      return kNotRunnable;
    default:
      return kInvalid;
  }
}

class HrSWRunProvider final : public MibProvider {
 public:
  explicit HrSWRunProvider(const ProviderContext& context) : context_(context) {}

  std::string_view Name() const override { return "host-resources-swrun"; }

  // hrSWOSIndex (.25.4.1) is not served: snmpd 5.9.3 answers noSuchObject
  // for it, and we match snmpd.
  std::vector<Oid> Roots() const override { return {HrSWRun(), HrSWRunPerf()}; }

  void Collect(MibWriter& out) override {
    for (std::uint32_t column = kHrSWRunIndex; column <= kHrSWRunStatus; ++column) {
      out.DeclareObject(HrSWRunEntryColumn(column));
    }
    out.DeclareObject(HrSWRunPerfEntryColumn(kHrSWRunPerfCPU));
    out.DeclareObject(HrSWRunPerfEntryColumn(kHrSWRunPerfMem));

    for (const ProcessInfo& p : context_.host.Processes()) {
      if (p.pid <= 0) continue;
      const std::uint32_t idx[] = {static_cast<std::uint32_t>(p.pid)};
      const auto run = [&](std::uint32_t column, Value value) {
        out.Cell(HrSWRunEntryColumn(column), idx, std::move(value));
      };
      run(kHrSWRunIndex, Value::Integer(p.pid));
      run(kHrSWRunName, Value::OctetString(Truncate(p.name, kMaxName)));
      run(kHrSWRunID, Value::ObjectId(Oid{0, 0}));
      run(kHrSWRunPath, Value::OctetString(Truncate(p.path, kMaxPath)));
      run(kHrSWRunParameters, Value::OctetString(Truncate(p.parameters, kMaxParameters)));
      // snmpd's test is an empty /proc/PID/cmdline: kernel threads, and also
      // zombies, whose command line the kernel has already dropped.
      run(kHrSWRunType,
          Value::Integer(p.kernel_thread || p.empty_cmdline ? kOperatingSystem : kApplication));
      run(kHrSWRunStatus, Value::Integer(RunStatus(p.state)));
      // Centiseconds: USER_HZ is 100, so ticks as they are. snmpd stores
      // both in int32_t, so they wrap the same way.
      out.Cell(HrSWRunPerfEntryColumn(kHrSWRunPerfCPU), idx,
               Value::Integer(static_cast<std::int32_t>(p.cpu_ticks)));
      out.Cell(HrSWRunPerfEntryColumn(kHrSWRunPerfMem), idx,
               Value::Integer(static_cast<std::int32_t>(p.rss_kb)));
    }
  }

 private:
  const ProviderContext& context_;
};

}  // namespace

std::unique_ptr<MibProvider> MakeHrSWRunProvider(const ProviderContext& context) {
  return std::make_unique<HrSWRunProvider>(context);
}

}  // namespace mimamori::agent
