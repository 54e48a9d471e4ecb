// svSvcTable (LanMgr-Mib-II .1.3.6.1.4.1.77.1.2.3), as the Windows SNMP
// service's lmmib2.dll serves it: the LAN Manager view of "started" services.
#include "agent/mib/windows_services.h"

#include <cstdint>
#include <string>
#include <utility>

namespace mimamori::agent {
namespace {

using proto::Oid;
using proto::StringIndex;
using proto::Value;

// Win32 dwCurrentState values.
constexpr std::uint32_t kStopped = 1;
constexpr std::uint32_t kStartPending = 2;
constexpr std::uint32_t kStopPending = 3;
constexpr std::uint32_t kContinuePending = 5;
constexpr std::uint32_t kPausePending = 6;
constexpr std::uint32_t kPaused = 7;
// dwControlsAccepted bits.
constexpr std::uint32_t kAcceptStop = 1;
constexpr std::uint32_t kAcceptPauseContinue = 2;

// svSvcEntry columns.
constexpr std::uint32_t kSvSvcName = 1;
constexpr std::uint32_t kSvSvcInstalledState = 2;
constexpr std::uint32_t kSvSvcOperatingState = 3;
constexpr std::uint32_t kSvSvcCanBeUninstalled = 4;
constexpr std::uint32_t kSvSvcCanBePaused = 5;

Oid Server() { return Oid{1, 3, 6, 1, 4, 1, 77, 1, 2}; }
Oid SvSvcNumber() { return Server().Child({2}); }
Oid SvSvcTable() { return Server().Child({3}); }
Oid SvSvcEntryColumn(std::uint32_t column) { return SvSvcTable().Child({1, column}); }

// LAN Manager's words for the SCM's states: a starting service is
// "install-pending", a stopping one "uninstall-pending".
std::int32_t InstalledState(std::uint32_t state) {
  switch (state) {
    case kStartPending:
      return 2;  // install-pending
    case kStopPending:
      return 3;  // uninstall-pending
    default:
      return 4;  // installed
  }
}

std::int32_t OperatingState(std::uint32_t state) {
  switch (state) {
    case kContinuePending:
      return 2;  // continue-pending
    case kPausePending:
      return 3;  // pause-pending
    case kPaused:
      return 4;  // paused
    default:
      return 1;  // active
  }
}

class LanMgrServicesProvider final : public MibProvider {
 public:
  explicit LanMgrServicesProvider(const ProviderContext& context) : context_(context) {}

  std::string_view Name() const override { return "lanmgr-services"; }
  std::vector<Oid> Roots() const override { return {SvSvcNumber(), SvSvcTable()}; }

  void Collect(MibWriter& out) override {
    for (std::uint32_t column = kSvSvcName; column <= kSvSvcCanBePaused; ++column) {
      out.DeclareObject(SvSvcEntryColumn(column));
    }
    std::int32_t listed = 0;
    for (const ServiceInfo& service : context_.host.Services()) {
      if (service.state == kStopped || service.display_name.empty() ||
          service.display_name.size() > kMaxServiceIndexOctets) {
        continue;
      }
      ++listed;
      const std::vector<std::uint32_t> idx = StringIndex(service.display_name);
      const auto cell = [&](std::uint32_t column, Value value) {
        out.Cell(SvSvcEntryColumn(column), idx, std::move(value));
      };
      cell(kSvSvcName, Value::OctetString(service.display_name));
      cell(kSvSvcInstalledState, Value::Integer(InstalledState(service.state)));
      cell(kSvSvcOperatingState, Value::Integer(OperatingState(service.state)));
      cell(kSvSvcCanBeUninstalled,
           Value::Integer((service.controls_accepted & kAcceptStop) != 0 ? 2 : 1));
      cell(kSvSvcCanBePaused,
           Value::Integer((service.controls_accepted & kAcceptPauseContinue) != 0 ? 2 : 1));
    }
    out.Scalar(SvSvcNumber(), Value::Integer(listed));
  }

 private:
  const ProviderContext& context_;
};

}  // namespace

std::unique_ptr<MibProvider> MakeLanMgrServicesProvider(const ProviderContext& context) {
  return std::make_unique<LanMgrServicesProvider>(context);
}

}  // namespace mimamori::agent
