// systemStats (UCD-SNMP-MIB .2021.11), as snmpd's ucd-snmp/vmstat.c over
// hardware/cpu/cpu_linux.c.
#include "agent/mib/ucd_snmp.h"

#include <cstdint>
#include <string_view>
#include <utility>

namespace mimamori::agent {
namespace {

using proto::Oid;
using proto::Value;

// systemStats scalars.
constexpr std::uint32_t kSsIndex = 1;
constexpr std::uint32_t kSsErrorName = 2;
constexpr std::uint32_t kSsSwapIn = 3;
constexpr std::uint32_t kSsSwapOut = 4;
constexpr std::uint32_t kSsIOSent = 5;
constexpr std::uint32_t kSsIOReceive = 6;
constexpr std::uint32_t kSsSysInterrupts = 7;
constexpr std::uint32_t kSsSysContext = 8;
constexpr std::uint32_t kSsCpuUser = 9;
constexpr std::uint32_t kSsCpuSystem = 10;
constexpr std::uint32_t kSsCpuIdle = 11;
constexpr std::uint32_t kSsCpuRawUser = 50;
constexpr std::uint32_t kSsCpuRawNice = 51;
constexpr std::uint32_t kSsCpuRawSystem = 52;
constexpr std::uint32_t kSsCpuRawIdle = 53;
constexpr std::uint32_t kSsCpuRawWait = 54;
constexpr std::uint32_t kSsCpuRawKernel = 55;
constexpr std::uint32_t kSsCpuRawInterrupt = 56;
constexpr std::uint32_t kSsIORawSent = 57;
constexpr std::uint32_t kSsIORawReceived = 58;
constexpr std::uint32_t kSsRawInterrupts = 59;
constexpr std::uint32_t kSsRawContexts = 60;
constexpr std::uint32_t kSsCpuRawSoftIRQ = 61;
constexpr std::uint32_t kSsRawSwapIn = 62;
constexpr std::uint32_t kSsRawSwapOut = 63;
constexpr std::uint32_t kSsCpuRawSteal = 64;
constexpr std::uint32_t kSsCpuRawGuest = 65;
constexpr std::uint32_t kSsCpuRawGuestNice = 66;
constexpr std::uint32_t kSsCpuNumCpus = 67;

Oid SystemStats() { return Oid{1, 3, 6, 1, 4, 1, 2021, 11}; }
Oid SystemStatsObject(std::uint32_t object) { return SystemStats().Child({object}); }

Value Raw(std::uint64_t ticks) { return Value::Counter32(static_cast<std::uint32_t>(ticks)); }

class UcdSystemStatsProvider final : public MibProvider {
 public:
  UcdSystemStatsProvider(const ProviderContext& context, std::shared_ptr<CpuHistory> cpu)
      : context_(context), cpu_(std::move(cpu)) {}

  std::string_view Name() const override { return "ucd-system-stats"; }
  std::vector<Oid> Roots() const override { return {SystemStats()}; }
  void Sample() override { cpu_->Sample(); }

  void Collect(MibWriter& out) override {
    // snmpd registers .1 to .67 as one scalar group: a Get of any of them
    // without a value (a gap, or a minute value before a minute of history)
    // answers noSuchInstance, not noSuchObject.
    for (std::uint32_t object = kSsIndex; object <= kSsCpuNumCpus; ++object) {
      out.DeclareObject(SystemStatsObject(object));
    }
    const auto scalar = [&](std::uint32_t object, Value value) {
      out.Scalar(SystemStatsObject(object), std::move(value));
    };
    scalar(kSsIndex, Value::Integer(1));
    scalar(kSsErrorName, Value::OctetString("systemStats"));

    if (const auto rates = cpu_->Rates()) {
      scalar(kSsSwapIn, Value::Integer(rates->swap_in));
      scalar(kSsSwapOut, Value::Integer(rates->swap_out));
      scalar(kSsIOSent, Value::Integer(rates->io_sent));
      scalar(kSsIOReceive, Value::Integer(rates->io_received));
      scalar(kSsSysInterrupts, Value::Integer(rates->interrupts));
      scalar(kSsSysContext, Value::Integer(rates->context_switches));
    }
    if (const auto percent = cpu_->Percentages()) {
      scalar(kSsCpuUser, Value::Integer(percent->user));
      scalar(kSsCpuSystem, Value::Integer(percent->system));
      scalar(kSsCpuIdle, Value::Integer(percent->idle));
    }

    // The raw counters are those of the newest sample, as snmpd's.
    const CpuStat& s = cpu_->Latest();
    const CpuTimes& t = s.total;
    scalar(kSsCpuRawUser, Raw(t.user));
    scalar(kSsCpuRawNice, Raw(t.nice));
    // System alone: Linux has no separate "kernel" figure, so
    // ssCpuRawKernel is 0 and irq/softirq have their own objects.
    scalar(kSsCpuRawSystem, Raw(t.system));
    scalar(kSsCpuRawIdle, Raw(t.idle));
    scalar(kSsCpuRawWait, Raw(t.iowait));
    scalar(kSsCpuRawKernel, Raw(0));
    scalar(kSsCpuRawInterrupt, Raw(t.irq));
    // cpu_linux.c doubles pgpgin/pgpgout.
    scalar(kSsIORawSent, Raw(s.pages_out * 2));
    scalar(kSsIORawReceived, Raw(s.pages_in * 2));
    scalar(kSsRawInterrupts, Raw(s.interrupts));
    scalar(kSsRawContexts, Raw(s.context_switches));
    scalar(kSsCpuRawSoftIRQ, Raw(t.softirq));
    scalar(kSsRawSwapIn, Raw(s.swap_in));
    scalar(kSsRawSwapOut, Raw(s.swap_out));
    scalar(kSsCpuRawSteal, Raw(t.steal));
    scalar(kSsCpuRawGuest, Raw(t.guest));
    scalar(kSsCpuRawGuestNice, Raw(t.guest_nice));
    // "processor" entries of /proc/cpuinfo, as counted at snmpd's start.
    scalar(
        kSsCpuNumCpus,
        Value::Integer(static_cast<std::int32_t>(context_.host.CpuModels().size() & 0x7fffffff)));
  }

 private:
  const ProviderContext& context_;
  std::shared_ptr<CpuHistory> cpu_;
};

}  // namespace

std::unique_ptr<MibProvider> MakeUcdSystemStatsProvider(const ProviderContext& context,
                                                        std::shared_ptr<CpuHistory> cpu) {
  return std::make_unique<UcdSystemStatsProvider>(context, std::move(cpu));
}

}  // namespace mimamori::agent
