// The last minute of /proc/stat samples, for the MIB objects that are rates or
// percentages "over the last minute" (hrProcessorLoad, ssCpuUser, ssSwapIn...).
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <optional>

#include "agent/core/provider_context.h"
#include "agent/host/host_data.h"

namespace mimamori::agent {

/// Keeps the samples Net-SNMP's hardware/cpu module keeps, and computes the
/// derived values exactly as snmpd does so that a manager sees the same
/// numbers from either agent:
///   - history length 12 (snmpd samples every 5 s and keeps 60 / 5 entries);
///     a "minute" value compares the newest sample with the one 11 samples
///     earlier, i.e. 55 s ago, and exists only once 12 samples exist;
///   - totals are the sum of all ten /proc/stat columns, guest included (the
///     kernel already counts guest inside user; snmpd adds it again);
///   - rates divide the 55 s delta by 60, percentages truncate.
/// Created once by the registry and shared by the providers that need it.
/// Single-threaded (the event loop).
class CpuHistory {
 public:
  /// snmpd's _cpuHistoryLen for its 5 s sampling period.
  static constexpr std::size_t kHistoryLength = 12;
  /// A second Sample() within this interval of the previous one is ignored,
  /// so that several providers may forward the same timer tick.
  static constexpr std::chrono::milliseconds kMinimumInterval{1000};

  /// The context must outlive the history.
  explicit CpuHistory(const ProviderContext& context);

  /// Reads host.Cpu() and appends it, dropping samples beyond
  /// kHistoryLength; does nothing when the newest sample is younger than
  /// kMinimumInterval (on the context's `now` clock).
  void Sample();

  /// The newest sample. snmpd answers zeros until its first timer tick; we
  /// sample on demand instead so that a counter never jumps from 0.
  const CpuStat& Latest();

  /// Number of samples held (tests, logs).
  std::size_t size() const { return samples_.size(); }

  /// hrProcessorLoad of logical CPU `cpu` (0-based): 100 minus the idle
  /// percentage over the last minute, as hr_proc.c. nullopt (no instance)
  /// until a full history exists, when the CPU's total did not move, or when
  /// the CPU is not in both samples.
  std::optional<std::int32_t> ProcessorLoad(std::size_t cpu) const;

  struct CpuPercentages {
    std::int32_t user = 0;    ///< ssCpuUser: user only (not nice)
    std::int32_t system = 0;  ///< ssCpuSystem: system only (not irq/softirq)
    std::int32_t idle = 0;    ///< ssCpuIdle: idle only (not iowait)
  };
  /// ssCpuUser/ssCpuSystem/ssCpuIdle over the last minute; nullopt until a
  /// full history exists (snmpd then has no instance).
  std::optional<CpuPercentages> Percentages() const;

  /// Per-second rates over the last minute, as vmstat.c: delta / 60.
  struct MinuteRates {
    std::int32_t swap_in = 0;           ///< ssSwapIn (pages, despite the MIB's kB)
    std::int32_t swap_out = 0;          ///< ssSwapOut
    std::int32_t io_sent = 0;           ///< ssIOSent (pgpgout * 2)
    std::int32_t io_received = 0;       ///< ssIOReceive (pgpgin * 2)
    std::int32_t interrupts = 0;        ///< ssSysInterrupts
    std::int32_t context_switches = 0;  ///< ssSysContext
  };
  std::optional<MinuteRates> Rates() const;

 private:
  struct Entry {
    std::chrono::steady_clock::time_point taken;
    CpuStat stat;
  };

  // The minute values compare front() with back() only once the history is
  // as long as snmpd's.
  bool Full() const { return samples_.size() >= kHistoryLength; }

  const ProviderContext& context_;
  std::deque<Entry> samples_;  // oldest first
};

/// Sum of every column, as snmpd's total_ticks.
std::uint64_t TotalTicks(const CpuTimes& times);

}  // namespace mimamori::agent
