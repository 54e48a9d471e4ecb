#include "agent/mib/cpu_history.h"

namespace mimamori::agent {
namespace {

// vmstat.c masks every derived value to 31 bits before answering.
std::int32_t Mask31(std::uint64_t value) { return static_cast<std::int32_t>(value & 0x7fffffffu); }

// (now - then) * 100 / total_delta in unsigned 64-bit arithmetic, as snmpd;
// 0 when the total did not move.
std::int32_t Percent(std::uint64_t now, std::uint64_t then, std::uint64_t total_delta) {
  if (total_delta == 0) return 0;
  return Mask31((now - then) * 100 / total_delta);
}

// The page counters snmpd reports: /proc/vmstat pgpgin/pgpgout doubled
// (cpu_linux.c multiplies them by 2, presumably 1 KiB pages to 512 B blocks).
std::uint64_t PagesIn(const CpuStat& s) { return s.pages_in * 2; }
std::uint64_t PagesOut(const CpuStat& s) { return s.pages_out * 2; }

}  // namespace

std::uint64_t TotalTicks(const CpuTimes& t) {
  return t.user + t.nice + t.system + t.idle + t.iowait + t.irq + t.softirq + t.steal + t.guest +
         t.guest_nice;
}

CpuHistory::CpuHistory(const ProviderContext& context) : context_(context) {}

void CpuHistory::Sample() {
  const auto now = context_.now();
  if (!samples_.empty() && now - samples_.back().taken < kMinimumInterval) return;
  samples_.push_back({now, context_.host.Cpu()});
  while (samples_.size() > kHistoryLength) samples_.pop_front();
}

const CpuStat& CpuHistory::Latest() {
  if (samples_.empty()) Sample();
  return samples_.back().stat;
}

std::optional<std::int32_t> CpuHistory::ProcessorLoad(std::size_t cpu) const {
  if (!Full()) return std::nullopt;
  const CpuStat& then = samples_.front().stat;
  const CpuStat& now = samples_.back().stat;
  if (cpu >= then.per_cpu.size() || cpu >= now.per_cpu.size()) return std::nullopt;
  const std::uint64_t total_then = TotalTicks(then.per_cpu[cpu]);
  const std::uint64_t total_now = TotalTicks(now.per_cpu[cpu]);
  // hr_proc.c: no value for an all-zero old sample or an unchanged total.
  if (total_then == 0 || total_now == total_then) return std::nullopt;
  const std::uint64_t idle_percent =
      (now.per_cpu[cpu].idle - then.per_cpu[cpu].idle) * 100 / (total_now - total_then);
  // A counter that went backwards (CPU hot-unplug) gives nonsense; snmpd
  // clamps negative loads to 0 and so do we.
  if (idle_percent > 100) return 0;
  return static_cast<std::int32_t>(100 - idle_percent);
}

std::optional<CpuHistory::CpuPercentages> CpuHistory::Percentages() const {
  if (!Full()) return std::nullopt;
  const CpuTimes& then = samples_.front().stat.total;
  const CpuTimes& now = samples_.back().stat.total;
  if (TotalTicks(then) == 0) return std::nullopt;
  const std::uint64_t delta = TotalTicks(now) - TotalTicks(then);
  return CpuPercentages{Percent(now.user, then.user, delta),
                        Percent(now.system, then.system, delta),
                        Percent(now.idle, then.idle, delta)};
}

std::optional<CpuHistory::MinuteRates> CpuHistory::Rates() const {
  if (!Full()) return std::nullopt;
  const CpuStat& then = samples_.front().stat;
  const CpuStat& now = samples_.back().stat;
  if (TotalTicks(then.total) == 0) return std::nullopt;
  // vmstat.c divides by 60 whatever the span of the history actually is.
  const auto per_second = [](std::uint64_t a, std::uint64_t b) { return Mask31((a - b) / 60); };
  MinuteRates rates;
  rates.swap_in = per_second(now.swap_in, then.swap_in);
  rates.swap_out = per_second(now.swap_out, then.swap_out);
  rates.io_sent = per_second(PagesOut(now), PagesOut(then));
  rates.io_received = per_second(PagesIn(now), PagesIn(then));
  rates.interrupts = per_second(now.interrupts, then.interrupts);
  rates.context_switches = per_second(now.context_switches, then.context_switches);
  return rates;
}

}  // namespace mimamori::agent
