// laTable (UCD-SNMP-MIB .2021.10), as snmpd's ucd-snmp/loadave.c.
#include "agent/mib/ucd_snmp.h"

#include <bit>
#include <cstdint>
#include <cstdio>
#include <string>
#include <string_view>
#include <utility>

namespace mimamori::agent {
namespace {

using proto::Oid;
using proto::Value;

// laEntry columns.
constexpr std::uint32_t kLaIndex = 1;
constexpr std::uint32_t kLaNames = 2;
constexpr std::uint32_t kLaLoad = 3;
constexpr std::uint32_t kLaConfig = 4;
constexpr std::uint32_t kLaLoadInt = 5;
constexpr std::uint32_t kLaLoadFloat = 6;
constexpr std::uint32_t kLaErrorFlag = 100;
constexpr std::uint32_t kLaErrMessage = 101;

// snmpd's DEFMAXLOADAVE: the threshold of every row without a `load` line.
constexpr double kDefaultMaxLoad = 12.0;

Oid LaEntryColumn(std::uint32_t column) { return Oid{1, 3, 6, 1, 4, 1, 2021, 10, 1, column}; }

std::string TwoDecimals(double value) {
  char buffer[64];
  std::snprintf(buffer, sizeof buffer, "%.2f", value);
  return buffer;
}

class UcdLoadProvider final : public MibProvider {
 public:
  explicit UcdLoadProvider(const ProviderContext& context) : context_(context) {}

  std::string_view Name() const override { return "ucd-load"; }
  std::vector<Oid> Roots() const override { return {Oid{1, 3, 6, 1, 4, 1, 2021, 10}}; }

  void Collect(MibWriter& out) override {
    const LoadAverage load = context_.host.Load();
    const double averages[] = {load.one, load.five, load.fifteen};
    const int minutes[] = {1, 5, 15};
    for (std::uint32_t row = 1; row <= 3; ++row) {
      const double average = averages[row - 1];
      const int period = minutes[row - 1];
      const std::uint32_t idx[] = {row};
      const auto cell = [&](std::uint32_t column, Value value) {
        out.Cell(LaEntryColumn(column), idx, std::move(value));
      };
      const bool too_high = average >= kDefaultMaxLoad;
      cell(kLaIndex, Value::Integer(static_cast<std::int32_t>(row)));
      cell(kLaNames, Value::OctetString("Load-" + std::to_string(period)));
      cell(kLaLoad, Value::OctetString(TwoDecimals(average)));
      cell(kLaConfig, Value::OctetString(TwoDecimals(kDefaultMaxLoad)));
      // Truncated, not rounded: 0.139648 is 13.
      cell(kLaLoadInt, Value::Integer(static_cast<std::int32_t>(average * 100)));
      cell(kLaLoadFloat, Value::Opaque(OpaqueFloat(static_cast<float>(average))));
      cell(kLaErrorFlag, Value::Integer(too_high ? 1 : 0));
      cell(kLaErrMessage,
           Value::OctetString(too_high ? std::to_string(period) + " min Load Average too high (= " +
                                             TwoDecimals(average) + ")"
                                       : std::string()));
    }
  }

 private:
  const ProviderContext& context_;
};

}  // namespace

std::string OpaqueFloat(float value) {
  const auto bits = std::bit_cast<std::uint32_t>(value);
  return std::string{static_cast<char>(0x9f),
                     static_cast<char>(0x78),
                     4,
                     static_cast<char>(bits >> 24),
                     static_cast<char>((bits >> 16) & 0xff),
                     static_cast<char>((bits >> 8) & 0xff),
                     static_cast<char>(bits & 0xff)};
}

std::unique_ptr<MibProvider> MakeUcdLoadProvider(const ProviderContext& context) {
  return std::make_unique<UcdLoadProvider>(context);
}

}  // namespace mimamori::agent
