#include "collector/monitors/resource_monitor.h"

#include <algorithm>
#include <array>
#include <cctype>
#include <cmath>
#include <condition_variable>
#include <cstdint>
#include <cstdio>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <utility>

#include "collector/net/snmp_client.h"
#include "mimamori/proto/oid.h"
#include "mimamori/proto/value.h"

namespace mimamori::collector {
namespace {

using proto::Oid;
using proto::Value;
using proto::ValueType;
using proto::VarBind;

// ------------------------------------------------------------------ OIDs

// UCD-SNMP-MIB systemStats raw CPU counters (.1.3.6.1.4.1.2021.11.N.0), in
// the order of CpuField. On Linux ssCpuRawSystem is system time alone
// (irq and softirq have their own objects) and ssCpuRawKernel is 0, so the
// sum of all nine is the whole of /proc/stat's cpu line but guest, which
// the kernel already counts inside user.
enum CpuField { kUser, kNice, kSystem, kIdle, kWait, kKernel, kInterrupt, kSoftIrq, kSteal };
constexpr std::size_t kCpuFields = 9;
constexpr std::array<std::uint32_t, kCpuFields> kCpuArcs = {50, 51, 52, 53, 54, 55, 56, 61, 64};

// UCD-SNMP-MIB memory scalars (.1.3.6.1.4.1.2021.4.N.0), all in kB.
constexpr std::uint32_t kMemTotalReal = 5;
constexpr std::uint32_t kMemAvailReal = 6;  // MemFree, despite the name
constexpr std::uint32_t kMemBuffer = 14;
constexpr std::uint32_t kMemCached = 15;
constexpr std::uint32_t kMemTotalRealX = 20;  // Counter64 twins (Net-SNMP 5.8+),
constexpr std::uint32_t kMemAvailRealX = 21;  // right beyond 2 TiB
constexpr std::uint32_t kMemBufferX = 25;
constexpr std::uint32_t kMemCachedX = 26;
constexpr std::uint32_t kMemSysAvail = 27;  // MemAvailable (kernel 3.14+)
constexpr std::array<std::uint32_t, 9> kMemArcs = {kMemTotalReal, kMemAvailReal,  kMemBuffer,
                                                   kMemCached,    kMemTotalRealX, kMemAvailRealX,
                                                   kMemBufferX,   kMemCachedX,    kMemSysAvail};

Oid CpuOid(std::uint32_t arc) { return Oid{1, 3, 6, 1, 4, 1, 2021, 11, arc, 0}; }
Oid MemOid(std::uint32_t arc) { return Oid{1, 3, 6, 1, 4, 1, 2021, 4, arc, 0}; }
// hrSystemUptime: the host's uptime; going back means the host rebooted and
// every CPU counter started again from zero.
const Oid kHrSystemUptime{1, 3, 6, 1, 2, 1, 25, 1, 1, 0};

// hrStorageEntry columns and the storage types that are file systems.
const Oid kHrStorageEntry{1, 3, 6, 1, 2, 1, 25, 2, 3, 1};
constexpr std::uint32_t kHrStorageType = 2;
constexpr std::uint32_t kHrStorageDescr = 3;
constexpr std::uint32_t kHrStorageAllocationUnits = 4;
constexpr std::uint32_t kHrStorageSize = 5;
constexpr std::uint32_t kHrStorageUsed = 6;
const Oid kHrStorageRam{1, 3, 6, 1, 2, 1, 25, 2, 1, 2};
const Oid kHrStorageFixedDisk{1, 3, 6, 1, 2, 1, 25, 2, 1, 4};
const Oid kHrStorageNetworkDisk{1, 3, 6, 1, 2, 1, 25, 2, 1, 10};
const Oid kHrProcessorLoad{1, 3, 6, 1, 2, 1, 25, 3, 3, 1, 2};

std::vector<Oid> CpuSampleOids() {
  std::vector<Oid> oids;
  for (std::uint32_t arc : kCpuArcs) oids.push_back(CpuOid(arc));
  oids.push_back(kHrSystemUptime);
  return oids;
}

std::vector<Oid> ScalarOids() {
  std::vector<Oid> oids = CpuSampleOids();
  for (std::uint32_t arc : kMemArcs) oids.push_back(MemOid(arc));
  return oids;
}

std::vector<Oid> WalkRoots() {
  std::vector<Oid> roots;
  for (std::uint32_t column : {kHrStorageType, kHrStorageDescr, kHrStorageAllocationUnits,
                               kHrStorageSize, kHrStorageUsed}) {
    roots.push_back(kHrStorageEntry.Child({column}));
  }
  // Only Windows needs it, but in the same GetBulk it costs a few varbinds
  // and saves a round trip on the nodes that do.
  roots.push_back(kHrProcessorLoad);
  return roots;
}

// ------------------------------------------------------------------ values

// The unsigned number in a counter, gauge or INTEGER. INTEGERs are read as
// their 32-bit pattern: agents put sizes there that do not fit Integer32
// (snmpd's memTotalReal beyond 2 TiB, Windows' hrStorageSize beyond 8 TiB)
// and the low 32 bits are the best guess.
std::optional<std::uint64_t> Number(const Value& value) {
  switch (value.type) {
    case ValueType::kInteger:
      return static_cast<std::uint32_t>(value.AsInteger());
    case ValueType::kCounter32:
    case ValueType::kGauge32:
    case ValueType::kTimeTicks:
    case ValueType::kCounter64:
      return value.number;
    default:
      return std::nullopt;
  }
}

using Scalars = std::map<Oid, Value>;

Scalars ToScalars(const std::vector<VarBind>& varbinds) {
  Scalars out;
  for (const VarBind& vb : varbinds) out.insert_or_assign(vb.oid, vb.value);
  return out;
}

std::optional<std::uint64_t> Find(const Scalars& scalars, const Oid& oid) {
  auto it = scalars.find(oid);
  return it == scalars.end() ? std::nullopt : Number(it->second);
}

// ------------------------------------------------------------------ CPU

struct CpuSample {
  std::array<std::optional<std::uint64_t>, kCpuFields> counters;
  std::array<bool, kCpuFields> wide{};  // Counter64: never wraps
  std::optional<std::uint64_t> uptime;
  TimePoint taken;

  std::uint64_t Total() const {
    std::uint64_t total = 0;
    for (const auto& counter : counters) total += counter.value_or(0);
    return total;
  }
  // snmpd answers zeros until its first 5 s refresh: no base for a delta.
  bool Valid() const { return Total() > 0; }
};

// The sample, or nullopt when the agent has no ssCpuRawIdle (no
// UCD-SNMP-MIB).
std::optional<CpuSample> ParseCpuSample(const Scalars& scalars, TimePoint taken) {
  CpuSample sample;
  sample.taken = taken;
  for (std::size_t i = 0; i < kCpuFields; ++i) {
    auto it = scalars.find(CpuOid(kCpuArcs[i]));
    if (it == scalars.end()) continue;
    sample.counters[i] = Number(it->second);
    sample.wide[i] = it->second.type == ValueType::kCounter64;
  }
  sample.uptime = Find(scalars, kHrSystemUptime);
  if (!sample.counters[kIdle]) return std::nullopt;
  return sample;
}

struct CpuDelta {
  bool reset = false;  // counters started again: no delta possible
  std::uint64_t total = 0;
  std::uint64_t idle = 0;
  std::uint64_t wait = 0;
};

CpuDelta Delta(const CpuSample& before, const CpuSample& after) {
  CpuDelta delta;
  if (before.uptime && after.uptime && *after.uptime < *before.uptime) {
    delta.reset = true;
    return delta;
  }
  constexpr std::uint64_t kWrap = std::uint64_t{1} << 32;
  for (std::size_t i = 0; i < kCpuFields; ++i) {
    const auto& a = before.counters[i];
    const auto& b = after.counters[i];
    if (!a && !b) continue;
    if (!a || !b) {  // a different agent answers now
      delta.reset = true;
      return delta;
    }
    std::uint64_t d = 0;
    if (*b >= *a) {
      d = *b - *a;
    } else if (!after.wide[i] && *a < kWrap && *b + kWrap - *a < kWrap / 2) {
      d = *b + kWrap - *a;  // Counter32 passed 2^32 (takes days even on big hosts)
    } else {
      delta.reset = true;  // went back by more than a wrap explains: reboot
      return delta;
    }
    delta.total += d;
    if (i == kIdle) delta.idle = d;
    if (i == kWait) delta.wait = d;
  }
  return delta;
}

// ------------------------------------------------------------------ judging

std::string Trimmed(double value, int decimals) {
  char text[64];
  std::snprintf(text, sizeof text, "%.*f", decimals, value);
  return text;
}

std::string ThresholdText(double value) {
  char text[64];
  std::snprintf(text, sizeof text, "%g", value);
  return text;
}

// Tolerance for judging: a value computed as 75 must not come out 74.99999.
constexpr double kEpsilon = 1e-9;

// One decimal, or more when one decimal would round a value that is under a
// threshold up to it ("74.96" rather than a contradictory "75.0 %: OK").
std::string PercentText(double percent, const Threshold& t) {
  for (int decimals = 1; decimals < 4; ++decimals) {
    bool misleading = false;
    for (double level : {t.warning, t.critical}) {
      const double shown = std::stod(Trimmed(percent, decimals));
      if ((percent + kEpsilon >= level) != (shown + kEpsilon >= level)) misleading = true;
    }
    if (!misleading) return Trimmed(percent, decimals);
  }
  return Trimmed(percent, 4);
}

CheckResult Judge(std::string monitor, const std::string& what, double percent,
                  const Threshold& t) {
  CheckResult result;
  result.monitor = std::move(monitor);
  result.value = percent;
  const std::string shown = what + " " + PercentText(percent, t) + " %";
  if (percent + kEpsilon >= t.critical) {
    result.status = Status::kCritical;
    result.reason = shown + " >= critical " + ThresholdText(t.critical) + " %";
  } else if (percent + kEpsilon >= t.warning) {
    result.status = Status::kWarning;
    result.reason = shown + " >= warning " + ThresholdText(t.warning) + " %";
  } else {
    result.status = Status::kOk;
    result.reason = shown + " < warning " + ThresholdText(t.warning) + " %";
  }
  return result;
}

CheckResult Unknown(std::string monitor, std::string reason) {
  CheckResult result;
  result.monitor = std::move(monitor);
  result.status = Status::kUnknown;
  result.reason = std::move(reason);
  return result;
}

// ------------------------------------------------------------------ storage

struct StorageRow {
  std::uint32_t index = 0;
  Oid type;
  std::string descr;
  std::uint64_t units = 0;
  std::uint64_t size = 0;
  std::uint64_t used = 0;
};

std::vector<StorageRow> ParseStorage(const std::vector<VarBind>& varbinds) {
  std::map<std::uint32_t, StorageRow> rows;
  const std::size_t depth = kHrStorageEntry.size();
  for (const VarBind& vb : varbinds) {
    if (!vb.oid.StartsWith(kHrStorageEntry) || vb.oid.size() != depth + 2) continue;
    const std::uint32_t column = vb.oid[depth];
    const std::uint32_t index = vb.oid[depth + 1];
    StorageRow& row = rows[index];
    row.index = index;
    switch (column) {
      case kHrStorageType:
        row.type = vb.value.oid;
        break;
      case kHrStorageDescr:
        row.descr = vb.value.bytes;
        break;
      case kHrStorageAllocationUnits:
        row.units = Number(vb.value).value_or(0);
        break;
      case kHrStorageSize:
        row.size = Number(vb.value).value_or(0);
        break;
      case kHrStorageUsed:
        row.used = Number(vb.value).value_or(0);
        break;
      default:
        break;
    }
  }
  std::vector<StorageRow> out;
  for (auto& [index, row] : rows) out.push_back(std::move(row));
  return out;
}

// The mount point from hrStorageDescr: Linux agents give it as is; the
// Windows SNMP service gives "C:\ Label:System  Serial Number 5c6a1b2f".
std::string MountOf(const std::string& descr) {
  if (descr.size() >= 3 && std::isalpha(static_cast<unsigned char>(descr[0])) && descr[1] == ':' &&
      descr[2] == '\\') {
    return descr.substr(0, 3);
  }
  return descr;
}

// ------------------------------------------------------------------ timer

// The default DelayedRun: one thread for the whole process, started on
// first use. Tasks still pending at exit are dropped.
class TimerThread {
 public:
  static TimerThread& Instance() {
    static TimerThread timer;
    return timer;
  }

  void RunAfter(std::chrono::milliseconds delay, std::function<void()> task) {
    {
      std::lock_guard lock(mutex_);
      tasks_.emplace(std::chrono::steady_clock::now() + delay, std::move(task));
    }
    wake_.notify_one();
  }

  ~TimerThread() {
    {
      std::lock_guard lock(mutex_);
      stopping_ = true;
    }
    wake_.notify_one();
    thread_.join();
  }

 private:
  TimerThread() : thread_([this] { Loop(); }) {}

  void Loop() {
    std::unique_lock lock(mutex_);
    while (!stopping_) {
      if (tasks_.empty()) {
        wake_.wait(lock);
        continue;
      }
      auto first = tasks_.begin();
      if (first->first > std::chrono::steady_clock::now()) {
        wake_.wait_until(lock, first->first);
        continue;
      }
      std::function<void()> task = std::move(first->second);
      tasks_.erase(first);
      lock.unlock();
      task();
      lock.lock();
    }
  }

  std::mutex mutex_;
  std::condition_variable wake_;
  std::multimap<std::chrono::steady_clock::time_point, std::function<void()>> tasks_;
  bool stopping_ = false;
  std::thread thread_;  // last: starts after the members it uses
};

// ------------------------------------------------------------------ monitor

struct Config {
  std::string node;
  std::string address;
  SnmpTarget target;
  Thresholds thresholds;
  std::chrono::seconds interval{300};
  int failure_threshold = 1;
  ResourceMonitorOptions options;

  // "snmp resource web01 (10.0.0.5)": who, for every reason.
  std::string Who() const { return "snmp resource " + node + " (" + address + ")"; }
};

// What outlives one check: the newest usable CPU sample, and the mount
// points seen last (so that a failed check names them as UNKNOWN).
struct History {
  std::mutex mutex;
  std::optional<CpuSample> cpu;
  std::vector<std::string> mounts;
};

class Check : public std::enable_shared_from_this<Check> {
 public:
  Check(std::shared_ptr<const Config> config, std::shared_ptr<History> history, SnmpClient& snmp,
        const Clock& clock, std::function<void(CheckReport)> done)
      : config_(std::move(config)),
        history_(std::move(history)),
        snmp_(snmp),
        clock_(clock),
        done_(std::move(done)) {}

  void Run() {
    auto self = shared_from_this();
    snmp_.Get(config_->target, ScalarOids(),
              [self](SnmpResult result) { self->Arrived(std::move(result), self->get_); });
    snmp_.Walk(config_->target, WalkRoots(),
               [self](SnmpResult result) { self->Arrived(std::move(result), self->walk_); });
  }

 private:
  void Arrived(SnmpResult result, SnmpResult& slot) {
    {
      std::lock_guard lock(mutex_);
      slot = std::move(result);
      if (--pending_ > 0) return;
    }
    Evaluate();
  }

  // Both answers are in (no other thread touches this check until the
  // second CPU sample is asked for).
  void Evaluate() {
    const TimePoint now = clock_.Now();
    const bool no_ucd = !get_.ok && get_.error.rfind("noSuchName", 0) == 0;
    const Scalars scalars = get_.ok ? ToScalars(get_.varbinds) : Scalars{};

    JudgeMemory(scalars, no_ucd);
    JudgeDisks();

    if (!get_.ok && !no_ucd) {
      cpu_ = Unknown("cpu", Failed("get UCD-SNMP-MIB ssCpuRaw*/mem*", get_));
      Finish();
      return;
    }
    std::optional<CpuSample> sample = ParseCpuSample(scalars, now);
    if (!sample) {
      JudgeProcessorLoad();
      Finish();
      return;
    }
    std::optional<CpuSample> previous;
    {
      std::lock_guard lock(history_->mutex);
      previous = history_->cpu;
    }
    const auto max_age = config_->interval * std::max(1, config_->options.max_sample_age_intervals);
    if (previous && sample->Valid() && now - previous->taken <= max_age) {
      const CpuDelta delta = Delta(*previous, *sample);
      if (!delta.reset && delta.total > 0) {
        Remember(*sample);
        JudgeCpu(delta);
        Finish();
        return;
      }
    }
    // No usable earlier sample: measure over a short gap now. Memory and
    // disks are judged; the answers need not wait with us (a cold start of
    // thousands of nodes would otherwise hold every hrStorage walk at once).
    get_ = SnmpResult{};
    walk_ = SnmpResult{};
    first_sample_ = *sample;
    samples_left_ = 1 + std::max(0, config_->options.extra_samples);
    AskSecondSample();
  }

  void AskSecondSample() {
    --samples_left_;
    auto self = shared_from_this();
    auto ask = [self] {
      self->snmp_.Get(self->config_->target, CpuSampleOids(),
                      [self](SnmpResult result) { self->SecondSample(std::move(result)); });
    };
    const std::chrono::milliseconds gap = config_->options.first_sample_gap;
    if (config_->options.run_after) {
      config_->options.run_after(gap, std::move(ask));
    } else {
      TimerThread::Instance().RunAfter(gap, std::move(ask));
    }
  }

  void SecondSample(SnmpResult result) {
    if (!result.ok) {
      cpu_ = Unknown("cpu", Failed("get ssCpuRaw* (second sample)", result));
      Finish();
      return;
    }
    std::optional<CpuSample> sample = ParseCpuSample(ToScalars(result.varbinds), clock_.Now());
    if (!sample) {
      cpu_ = Unknown("cpu", config_->Who() + ": ssCpuRaw* vanished between two samples");
      Finish();
      return;
    }
    const CpuDelta delta = Delta(first_sample_, *sample);
    if (!first_sample_.Valid() || delta.reset || delta.total == 0) {
      if (samples_left_ > 0) {
        first_sample_ = *sample;  // after a reset, start over from this one
        AskSecondSample();
        return;
      }
      Remember(*sample);
      const char* what = delta.reset              ? "went back"
                         : !first_sample_.Valid() ? "stayed zero"
                                                  : "did not move";
      cpu_ = Unknown("cpu", config_->Who() + ": ssCpuRaw* counters " + what + " between samples " +
                                std::to_string(config_->options.first_sample_gap.count()) +
                                " ms apart");
      Finish();
      return;
    }
    Remember(*sample);
    JudgeCpu(delta);
    Finish();
  }

  void Remember(const CpuSample& sample) {
    std::lock_guard lock(history_->mutex);
    history_->cpu = sample;
  }

  void JudgeCpu(const CpuDelta& delta) {
    const std::uint64_t idle =
        delta.idle + (config_->options.iowait_is_busy ? 0 : std::min(delta.wait, delta.total));
    const double busy = static_cast<double>(delta.total - std::min(idle, delta.total));
    const double percent = 100.0 * busy / static_cast<double>(delta.total);
    cpu_ = Judge("cpu", "CPU", percent, config_->thresholds.cpu);
    report_.measurements.push_back({"mimamori_cpu_usage_ratio", {}, percent / 100.0});
  }

  // Windows: the mean of hrProcessorLoad (each already a one-minute mean).
  void JudgeProcessorLoad() {
    if (!walk_.ok) {
      cpu_ = Unknown("cpu", Failed("walk hrProcessorLoad", walk_));
      return;
    }
    double sum = 0;
    int count = 0;
    for (const VarBind& vb : walk_.varbinds) {
      if (!vb.oid.StartsWith(kHrProcessorLoad)) continue;
      if (auto load = Number(vb.value)) {
        sum += static_cast<double>(std::min<std::uint64_t>(*load, 100));
        ++count;
      }
    }
    if (count == 0) {
      cpu_ = Unknown("cpu", config_->Who() +
                                ": no CPU figures: neither ssCpuRaw* (UCD-SNMP-MIB) nor "
                                "hrProcessorLoad (HOST-RESOURCES-MIB) answered");
      return;
    }
    const double percent = sum / count;
    cpu_ = Judge("cpu", "CPU", percent, config_->thresholds.cpu);
    report_.measurements.push_back({"mimamori_cpu_usage_ratio", {}, percent / 100.0});
  }

  void JudgeMemory(const Scalars& scalars, bool no_ucd) {
    if (!get_.ok && !no_ucd) {
      memory_ = Unknown("memory", Failed("get UCD-SNMP-MIB ssCpuRaw*/mem*", get_));
      return;
    }
    const auto either = [&](std::uint32_t wide, std::uint32_t narrow) {
      auto value = Find(scalars, MemOid(wide));
      return value ? value : Find(scalars, MemOid(narrow));
    };
    const std::optional<std::uint64_t> total = either(kMemTotalRealX, kMemTotalReal);
    std::optional<double> percent;
    if (total && *total > 0) {
      std::uint64_t used = 0;
      if (auto available = Find(scalars, MemOid(kMemSysAvail))) {
        used = *total - std::min(*available, *total);
      } else {
        // Kernels before 3.14 (RHEL 6 era) have no MemAvailable: the old
        // "-/+ buffers/cache" line of free.
        const std::uint64_t free = either(kMemAvailRealX, kMemAvailReal).value_or(0);
        const std::uint64_t buffers = either(kMemBufferX, kMemBuffer).value_or(0);
        const std::uint64_t cached = either(kMemCachedX, kMemCached).value_or(0);
        used = *total - std::min(free + buffers + cached, *total);
      }
      percent = 100.0 * static_cast<double>(used) / static_cast<double>(*total);
    } else if (walk_.ok) {
      // No UCD-SNMP-MIB (Windows): the RAM row of hrStorageTable. Windows
      // counts its standby cache as available there, like MemAvailable.
      for (const StorageRow& row : ParseStorage(walk_.varbinds)) {
        if (row.type == kHrStorageRam && row.size > 0) {
          percent = 100.0 * static_cast<double>(std::min(row.used, row.size)) /
                    static_cast<double>(row.size);
          break;
        }
      }
    } else {
      memory_ = Unknown("memory", Failed("walk hrStorageTable", walk_));
      return;
    }
    if (!percent) {
      memory_ = Unknown("memory", config_->Who() +
                                      ": no memory figures: neither memTotalReal (UCD-SNMP-MIB) "
                                      "nor an hrStorageRam row (HOST-RESOURCES-MIB) answered");
      return;
    }
    memory_ = Judge("memory", "memory", *percent, config_->thresholds.memory);
    report_.measurements.push_back({"mimamori_memory_usage_ratio", {}, *percent / 100.0});
  }

  void JudgeDisks() {
    if (!walk_.ok) {
      std::vector<std::string> mounts;
      {
        std::lock_guard lock(history_->mutex);
        mounts = history_->mounts;
      }
      const std::string reason = Failed("walk hrStorageTable", walk_);
      if (mounts.empty()) disks_.push_back(Unknown("disk", reason));
      for (const std::string& mount : mounts) disks_.push_back(Unknown("disk:" + mount, reason));
      return;
    }
    std::vector<std::string> mounts;
    for (const StorageRow& row : ParseStorage(walk_.varbinds)) {
      if (row.type != kHrStorageFixedDisk && row.type != kHrStorageNetworkDisk) continue;
      if (row.size == 0) continue;  // nothing to fill (an empty pseudo file system)
      std::string mount = MountOf(row.descr);
      if (std::find(mounts.begin(), mounts.end(), mount) != mounts.end()) {
        mount += "#" + std::to_string(row.index);  // the same descr twice: keep both apart
      }
      mounts.push_back(mount);
      const double percent =
          100.0 * static_cast<double>(std::min(row.used, row.size)) / static_cast<double>(row.size);
      disks_.push_back(
          Judge("disk:" + mount, "disk " + mount, percent, config_->thresholds.DiskFor(mount)));
      report_.measurements.push_back(
          {"mimamori_filesystem_usage_ratio", {{"mountpoint", mount}}, percent / 100.0});
      report_.measurements.push_back(
          {"mimamori_filesystem_size_bytes",
           {{"mountpoint", mount}},
           static_cast<double>(row.size) * static_cast<double>(row.units)});
    }
    std::lock_guard lock(history_->mutex);
    history_->mounts = std::move(mounts);
  }

  std::string Failed(const std::string& what, const SnmpResult& result) const {
    return config_->Who() + ": " + what + ": " + (result.error.empty() ? "failed" : result.error);
  }

  void Finish() {
    report_.results.push_back(std::move(cpu_));
    report_.results.push_back(std::move(memory_));
    for (CheckResult& disk : disks_) report_.results.push_back(std::move(disk));
    auto done = std::move(done_);
    done(std::move(report_));
  }

  std::shared_ptr<const Config> config_;
  std::shared_ptr<History> history_;
  SnmpClient& snmp_;
  const Clock& clock_;
  std::function<void(CheckReport)> done_;

  std::mutex mutex_;
  int pending_ = 2;  // guarded by mutex_
  SnmpResult get_, walk_;

  CheckResult cpu_, memory_;
  std::vector<CheckResult> disks_;
  CheckReport report_;
  CpuSample first_sample_;
  int samples_left_ = 0;
};

class ResourceMonitor final : public Monitor {
 public:
  ResourceMonitor(std::shared_ptr<const Config> config, MonitorServices& services)
      : config_(std::move(config)), services_(services) {}

  std::string_view Kind() const override { return "resource"; }
  const std::string& NodeName() const override { return config_->node; }
  std::chrono::seconds Interval() const override { return config_->interval; }
  int FailureThreshold() const override { return config_->failure_threshold; }

  void Start(std::function<void(CheckReport)> done) override {
    std::make_shared<Check>(config_, history_, services_.snmp, services_.clock, std::move(done))
        ->Run();
  }

 private:
  std::shared_ptr<const Config> config_;
  std::shared_ptr<History> history_ = std::make_shared<History>();
  MonitorServices& services_;
};

}  // namespace

std::vector<std::unique_ptr<Monitor>> MakeResourceMonitors(const Node& node,
                                                           const Inventory& inventory,
                                                           MonitorServices& services,
                                                           ResourceMonitorOptions options) {
  std::vector<std::unique_ptr<Monitor>> monitors;
  if (!node.resource) return monitors;
  auto config = std::make_shared<Config>();
  config->node = node.name;
  config->address = node.address;
  config->target = SnmpTarget{node.name, node.address, node.snmp};
  config->thresholds = node.thresholds;
  config->interval = inventory.defaults.intervals.resource;
  config->failure_threshold = inventory.defaults.failures.resource;
  config->options = std::move(options);
  monitors.push_back(std::make_unique<ResourceMonitor>(std::move(config), services));
  return monitors;
}

std::vector<std::unique_ptr<Monitor>> MakeResourceMonitors(const Node& node,
                                                           const Inventory& inventory,
                                                           MonitorServices& services) {
  return MakeResourceMonitors(node, inventory, services, ResourceMonitorOptions{});
}

}  // namespace mimamori::collector
