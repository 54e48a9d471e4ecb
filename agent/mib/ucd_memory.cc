// memory (UCD-SNMP-MIB .2021.4), as snmpd's ucd-snmp/memory.c over
// hardware/memory/memory_linux.c.
#include "agent/mib/ucd_snmp.h"

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>

namespace mimamori::agent {
namespace {

using proto::Oid;
using proto::Value;

// memory scalars. 7-10 (the *TXT objects) and 16-17 are not implemented on
// Linux; snmpd answers noSuchObject for them, and so do we by not declaring them.
constexpr std::uint32_t kMemIndex = 1;
constexpr std::uint32_t kMemErrorName = 2;
constexpr std::uint32_t kMemTotalSwap = 3;
constexpr std::uint32_t kMemAvailSwap = 4;
constexpr std::uint32_t kMemTotalReal = 5;
constexpr std::uint32_t kMemAvailReal = 6;
constexpr std::uint32_t kMemTotalFree = 11;
constexpr std::uint32_t kMemMinimumSwap = 12;
constexpr std::uint32_t kMemShared = 13;
constexpr std::uint32_t kMemBuffer = 14;
constexpr std::uint32_t kMemCached = 15;
constexpr std::uint32_t kMemTotalSwapX = 18;
constexpr std::uint32_t kMemAvailSwapX = 19;
constexpr std::uint32_t kMemTotalRealX = 20;
constexpr std::uint32_t kMemAvailRealX = 21;
constexpr std::uint32_t kMemTotalFreeX = 22;
constexpr std::uint32_t kMemMinimumSwapX = 23;
constexpr std::uint32_t kMemSharedX = 24;
constexpr std::uint32_t kMemBufferX = 25;
constexpr std::uint32_t kMemCachedX = 26;
constexpr std::uint32_t kMemSysAvail = 27;
constexpr std::uint32_t kMemSwapError = 100;
constexpr std::uint32_t kMemSwapErrorMsg = 101;

// DEFAULTMINIMUMSWAP: snmpd's threshold without a `swap` line, in kB.
constexpr std::uint64_t kMinimumSwapKb = 16000;

Oid Memory() { return Oid{1, 3, 6, 1, 4, 1, 2021, 4}; }
Oid MemoryObject(std::uint32_t object) { return Memory().Child({object}); }

// memory.c hands a 64-bit value to an INTEGER, whose encoder keeps the low 32
// bits; our INTEGER is an int32, so values of 2 TiB and more go negative where
// snmpd's would be a 5-octet positive number. Neither fits Integer32.
Value Kilobytes(std::uint64_t kb) {
  return Value::Integer(static_cast<std::int32_t>(static_cast<std::uint32_t>(kb)));
}

class UcdMemoryProvider final : public MibProvider {
 public:
  explicit UcdMemoryProvider(const ProviderContext& context) : context_(context) {}

  std::string_view Name() const override { return "ucd-memory"; }
  std::vector<Oid> Roots() const override { return {Memory()}; }

  void Collect(MibWriter& out) override {
    const MemInfo m = context_.host.Memory();
    const std::uint64_t total_free = m.free_kb + m.swap_free_kb;
    // memory_linux.c's "cached" includes the reclaimable slab.
    const std::uint64_t cached = m.cached_kb + m.sreclaimable_kb;
    const auto scalar = [&](std::uint32_t object, Value value) {
      out.Scalar(MemoryObject(object), std::move(value));
    };
    scalar(kMemIndex, Value::Integer(0));
    scalar(kMemErrorName, Value::OctetString("swap"));
    scalar(kMemTotalSwap, Kilobytes(m.swap_total_kb));
    scalar(kMemAvailSwap, Kilobytes(m.swap_free_kb));
    scalar(kMemTotalReal, Kilobytes(m.total_kb));
    // MemFree, not MemAvailable (that is memSysAvail).
    scalar(kMemAvailReal, Kilobytes(m.free_kb));
    scalar(kMemTotalFree, Kilobytes(total_free));
    scalar(kMemMinimumSwap, Kilobytes(kMinimumSwapKb));
    scalar(kMemShared, Kilobytes(m.shared_kb));
    scalar(kMemBuffer, Kilobytes(m.buffers_kb));
    scalar(kMemCached, Kilobytes(cached));
    scalar(kMemTotalSwapX, Value::Counter64(m.swap_total_kb));
    scalar(kMemAvailSwapX, Value::Counter64(m.swap_free_kb));
    scalar(kMemTotalRealX, Value::Counter64(m.total_kb));
    scalar(kMemAvailRealX, Value::Counter64(m.free_kb));
    scalar(kMemTotalFreeX, Value::Counter64(total_free));
    scalar(kMemMinimumSwapX, Value::Counter64(kMinimumSwapKb));
    scalar(kMemSharedX, Value::Counter64(m.shared_kb));
    scalar(kMemBufferX, Value::Counter64(m.buffers_kb));
    scalar(kMemCachedX, Value::Counter64(cached));
    // Only when the kernel has MemAvailable (3.14+); otherwise noSuchObject.
    if (m.available_kb) scalar(kMemSysAvail, Value::Counter64(*m.available_kb));
    // A host without swap is "running out of swap" for snmpd, too.
    const bool swap_low = m.swap_free_kb <= kMinimumSwapKb;
    scalar(kMemSwapError, Value::Integer(swap_low ? 1 : 0));
    scalar(kMemSwapErrorMsg, Value::OctetString(swap_low ? "Running out of swap space (" +
                                                               std::to_string(m.swap_free_kb) + ")"
                                                         : std::string()));
  }

 private:
  const ProviderContext& context_;
};

}  // namespace

std::unique_ptr<MibProvider> MakeUcdMemoryProvider(const ProviderContext& context) {
  return std::make_unique<UcdMemoryProvider>(context);
}

}  // namespace mimamori::agent
