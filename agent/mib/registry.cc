#include "agent/mib/registry.h"

#include "agent/mib/if_mib.h"
#include "agent/mib/snmpv2_mib.h"
#include "agent/mib/tcp_mib.h"
#include "agent/mib/ucd_diskio.h"
#include "agent/mib/udp_mib.h"

namespace mimamori::agent {

std::vector<std::unique_ptr<MibProvider>> MakeProviders(const ProviderContext& context) {
  std::vector<std::unique_ptr<MibProvider>> providers;
  providers.push_back(MakeSnmpV2MibProvider(context));
  providers.push_back(MakeMimamoriMibProvider(context));
  providers.push_back(MakeIfMibProvider(context));
  providers.push_back(MakeTcpMibProvider(context));
  providers.push_back(MakeUdpMibProvider(context));
  providers.push_back(MakeDiskIoProvider(context));
  return providers;
}

}  // namespace mimamori::agent
