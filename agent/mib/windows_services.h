// The Windows service tables: LanMgr-Mib-II's svSvcTable, as the Windows SNMP
// service serves it, and MIMAMORI-MIB's mimamoriServiceTable. Registered on
// Windows only (agent/mib/registry.cc); fed by HostData::Services().
//
// One provider per subtree: lanmgr_services.cc, mimamori_services.cc.
#pragma once

#include <cstdint>
#include <memory>
#include <string_view>
#include <vector>

#include "agent/core/mib_provider.h"
#include "agent/core/provider_context.h"

namespace mimamori::agent {

/// LanMgr-Mib-II svSvcNumber (.1.3.6.1.4.1.77.1.2.2) and svSvcTable
/// (.1.3.6.1.4.1.77.1.2.3): the started services (every state but
/// SERVICE_STOPPED), indexed by svSvcName, which is the display name
/// ("Task Scheduler"), as Windows' lmmib2 does and OpenNMS's and Hinemos's
/// Windows service checks expect.
std::unique_ptr<MibProvider> MakeLanMgrServicesProvider(const ProviderContext& context);

/// MIMAMORI-MIB mimamoriServiceTable (.1.3.6.1.4.1.8072.9999.9999.3863.2.2):
/// every service whatever its state, indexed by the key name ("W3SVC").
std::unique_ptr<MibProvider> MakeMimamoriServicesProvider(const ProviderContext& context);

/// An index longer than this would push the instance's OID past SNMP's 128
/// sub-identifiers; such a service is left out.
inline constexpr std::size_t kMaxServiceIndexOctets = 100;

}  // namespace mimamori::agent
