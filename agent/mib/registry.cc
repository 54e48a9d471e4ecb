#include "agent/mib/registry.h"

#include "agent/mib/cpu_history.h"
#include "agent/mib/etherlike_mib.h"
#include "agent/mib/host_resources.h"
#include "agent/mib/if_mib.h"
#include "agent/mib/ip_mib.h"
#include "agent/mib/snmpv2_mib.h"
#include "agent/mib/tcp_mib.h"
#include "agent/mib/ucd_diskio.h"
#include "agent/mib/ucd_snmp.h"
#include "agent/mib/udp_mib.h"
#include "agent/mib/windows_services.h"

namespace mimamori::agent {

std::vector<std::unique_ptr<MibProvider>> MakeProviders(const ProviderContext& context) {
  // One CPU history feeds hrProcessorLoad and the ssCpu* percentages, so both
  // describe the same minute.
  auto cpu = std::make_shared<CpuHistory>(context);
  // What differs on Windows is what Windows' own SNMP service serves
  // differently: the hrStorage layout, and the service tables.
  const bool windows = context.host.Identity().family == OsFamily::kWindows;
  std::vector<std::unique_ptr<MibProvider>> providers;
  providers.push_back(MakeSnmpV2MibProvider(context));
  providers.push_back(MakeSnmpCountersProvider(context));
  providers.push_back(MakeMimamoriMibProvider(context));
  providers.push_back(MakeHrSystemProvider(context));
  providers.push_back(windows ? MakeHrStorageWindowsProvider(context)
                              : MakeHrStorageProvider(context));
  providers.push_back(MakeHrDeviceProvider(context, cpu));
  providers.push_back(MakeHrSWRunProvider(context));
  providers.push_back(MakeUcdMemoryProvider(context));
  providers.push_back(MakeUcdDiskProvider(context));
  providers.push_back(MakeUcdLoadProvider(context));
  providers.push_back(MakeUcdSystemStatsProvider(context, cpu));
  providers.push_back(MakeDiskIoProvider(context));
  providers.push_back(MakeIfMibProvider(context));
  providers.push_back(MakeEtherLikeMibProvider(context));
  providers.push_back(MakeIpMibProvider(context));
  providers.push_back(MakeTcpMibProvider(context));
  providers.push_back(MakeUdpMibProvider(context));
  if (windows) {
    providers.push_back(MakeLanMgrServicesProvider(context));
    providers.push_back(MakeMimamoriServicesProvider(context));
  }
  return providers;
}

}  // namespace mimamori::agent
