// mimamoriServiceTable (MIMAMORI-MIB .1.3.6.1.4.1.8072.9999.9999.3863.2.2):
// every Win32 service with its state and start type, for the collector's
// `via: snmp` service monitor.
#include <cstdint>
#include <utility>

#include "agent/mib/snmpv2_mib.h"
#include "agent/mib/windows_services.h"

namespace mimamori::agent {
namespace {

using proto::Oid;
using proto::StringIndex;
using proto::Value;

// mimamoriServiceEntry columns.
constexpr std::uint32_t kServiceName = 1;
constexpr std::uint32_t kServiceDisplayName = 2;
constexpr std::uint32_t kServiceState = 3;
constexpr std::uint32_t kServiceStartType = 4;

Oid ServiceTable() { return kMimamoriAgentObjects.Child({2}); }
Oid ServiceEntryColumn(std::uint32_t column) { return ServiceTable().Child({1, column}); }

class MimamoriServicesProvider final : public MibProvider {
 public:
  explicit MimamoriServicesProvider(const ProviderContext& context) : context_(context) {}

  std::string_view Name() const override { return "mimamori-services"; }
  std::vector<Oid> Roots() const override { return {ServiceTable()}; }

  void Collect(MibWriter& out) override {
    for (std::uint32_t column = kServiceName; column <= kServiceStartType; ++column) {
      out.DeclareObject(ServiceEntryColumn(column));
    }
    for (const ServiceInfo& service : context_.host.Services()) {
      if (service.name.empty() || service.name.size() > kMaxServiceIndexOctets) continue;
      const std::vector<std::uint32_t> idx = StringIndex(service.name);
      const auto cell = [&](std::uint32_t column, Value value) {
        out.Cell(ServiceEntryColumn(column), idx, std::move(value));
      };
      cell(kServiceName, Value::OctetString(service.name));
      cell(kServiceDisplayName, Value::OctetString(service.display_name));
      // The enumeration's values are Win32's dwCurrentState (1-7); anything
      // else would be a value the MIB does not define, so no instance.
      if (service.state >= 1 && service.state <= 7) {
        cell(kServiceState, Value::Integer(static_cast<std::int32_t>(service.state)));
      }
      // dwStartType 0-4 shifted by one (SNMP enumerations start at 1); no
      // instance when the configuration could not be read.
      if (service.start_type && *service.start_type <= 4) {
        cell(kServiceStartType, Value::Integer(static_cast<std::int32_t>(*service.start_type + 1)));
      }
    }
  }

 private:
  const ProviderContext& context_;
};

}  // namespace

std::unique_ptr<MibProvider> MakeMimamoriServicesProvider(const ProviderContext& context) {
  return std::make_unique<MimamoriServicesProvider>(context);
}

}  // namespace mimamori::agent
