#include "agent/mib/registry.h"

#include "agent/mib/snmpv2_mib.h"

namespace mimamori::agent {

std::vector<std::unique_ptr<MibProvider>> MakeProviders(const ProviderContext& context) {
  std::vector<std::unique_ptr<MibProvider>> providers;
  providers.push_back(MakeSnmpV2MibProvider(context));
  providers.push_back(MakeMimamoriMibProvider(context));
  return providers;
}

}  // namespace mimamori::agent
