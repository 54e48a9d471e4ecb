// hrSystem (HOST-RESOURCES-MIB .25.1), as snmpd's host/hr_system.c on Linux.
#include "agent/mib/host_resources.h"

#include <chrono>
#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <ctime>
#include <optional>
#include <string>
#include <string_view>

namespace mimamori::agent {
namespace {

using proto::Oid;
using proto::Value;

// hrSystem scalars.
constexpr std::uint32_t kHrSystemUptime = 1;
constexpr std::uint32_t kHrSystemDate = 2;
constexpr std::uint32_t kHrSystemInitialLoadDevice = 3;
constexpr std::uint32_t kHrSystemInitialLoadParameters = 4;
constexpr std::uint32_t kHrSystemNumUsers = 5;
constexpr std::uint32_t kHrSystemProcesses = 6;
constexpr std::uint32_t kHrSystemMaxProcesses = 7;

// snmpd's get_load_dev() is a constant: the first hrDiskStorage device
// (hrDeviceDiskStorage << 16), whether or not such a device exists.
constexpr std::int32_t kInitialLoadDevice = 6 << 16;
// hrSystemInitialLoadParameters is SIZE (0..128).
constexpr std::size_t kMaxLoadParameters = 128;
// How long a process count is reused: counting reads every /proc/PID, too
// much for every Get of a volatile provider.
constexpr std::chrono::seconds kProcessCountLifetime{5};

Oid HrSystem() { return Oid{1, 3, 6, 1, 2, 1, 25, 1}; }
Oid HrSystemObject(std::uint32_t object) { return HrSystem().Child({object}); }

// DateAndTime with the UTC offset (11 octets), local time. snmpd always
// sends 0 deci-seconds.
std::string DateAndTime(std::chrono::system_clock::time_point when) {
  const std::time_t t = std::chrono::system_clock::to_time_t(when);
  std::tm tm{};
#ifdef _WIN32
  localtime_s(&tm, &t);
  std::tm copy = tm;
  const long east = static_cast<long>(_mkgmtime(&copy) - t);  // no tm_gmtoff there
#else
  localtime_r(&t, &tm);
  const long east = tm.tm_gmtoff;  // seconds east of UTC
#endif
  const int year = tm.tm_year + 1900;
  const long offset = std::labs(east);
  const auto hours = static_cast<char>(offset / 3600);
  const auto minutes = static_cast<char>((offset % 3600) / 60);
  return std::string{static_cast<char>((year >> 8) & 0xff),
                     static_cast<char>(year & 0xff),
                     static_cast<char>(tm.tm_mon + 1),
                     static_cast<char>(tm.tm_mday),
                     static_cast<char>(tm.tm_hour),
                     static_cast<char>(tm.tm_min),
                     static_cast<char>(tm.tm_sec),
                     0,
                     east < 0 ? '-' : '+',
                     hours,
                     minutes};
}

// snmpd reads /proc/cmdline with fgets into 129 bytes, so the value keeps the
// kernel's trailing newline when the command line is shorter than 128 bytes.
std::string LoadParameters(std::string command_line) {
  if (command_line.empty()) return command_line;
  command_line.push_back('\n');
  if (command_line.size() > kMaxLoadParameters) command_line.resize(kMaxLoadParameters);
  return command_line;
}

class HrSystemProvider final : public MibProvider {
 public:
  explicit HrSystemProvider(const ProviderContext& context) : context_(context) {}

  std::string_view Name() const override { return "host-resources-system"; }
  // The clock objects are read per request; the rest (command line, users,
  // process count) lives as long as any other snapshot.
  std::vector<Oid> Roots() const override {
    return {HrSystemObject(kHrSystemInitialLoadDevice),
            HrSystemObject(kHrSystemInitialLoadParameters), HrSystemObject(kHrSystemNumUsers),
            HrSystemObject(kHrSystemProcesses), HrSystemObject(kHrSystemMaxProcesses)};
  }
  std::vector<Oid> VolatileRoots() const override {
    return {HrSystemObject(kHrSystemUptime), HrSystemObject(kHrSystemDate)};
  }

  void CollectVolatile(MibWriter& out) override {
    // /proc/uptime in centiseconds, wrapping like a TimeTicks.
    const double uptime = context_.host.UptimeSeconds();
    const auto centiseconds =
        uptime > 0 ? static_cast<std::uint64_t>(std::llround(uptime * 100)) : std::uint64_t{0};
    out.Scalar(HrSystemObject(kHrSystemUptime),
               Value::TimeTicks(static_cast<std::uint32_t>(centiseconds)));
    out.Scalar(HrSystemObject(kHrSystemDate), Value::OctetString(DateAndTime(context_.wall_now())));
  }

  void Collect(MibWriter& out) override {
    HostData& host = context_.host;
    out.Scalar(HrSystemObject(kHrSystemInitialLoadDevice), Value::Integer(kInitialLoadDevice));
    out.Scalar(HrSystemObject(kHrSystemInitialLoadParameters),
               Value::OctetString(LoadParameters(host.KernelCommandLine())));
    out.Scalar(HrSystemObject(kHrSystemNumUsers), Value::Gauge32(host.LoggedInUsers()));
    out.Scalar(HrSystemObject(kHrSystemProcesses), Value::Gauge32(ProcessCount()));
    // snmpd on Linux answers 0 (no NR_TASKS), not kernel.pid_max.
    out.Scalar(HrSystemObject(kHrSystemMaxProcesses), Value::Integer(0));
  }

 private:
  // Kernel threads included, as snmpd's default (count_kthreads 1).
  std::uint32_t ProcessCount() {
    const auto now = context_.now();
    if (!count_taken_ || now - *count_taken_ >= kProcessCountLifetime) {
      process_count_ = static_cast<std::uint32_t>(context_.host.Processes().size());
      count_taken_ = now;
    }
    return process_count_;
  }

  const ProviderContext& context_;
  std::uint32_t process_count_ = 0;
  std::optional<std::chrono::steady_clock::time_point> count_taken_;
};

}  // namespace

std::unique_ptr<MibProvider> MakeHrSystemProvider(const ProviderContext& context) {
  return std::make_unique<HrSystemProvider>(context);
}

}  // namespace mimamori::agent
