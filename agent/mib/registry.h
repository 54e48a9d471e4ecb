// The one place that lists every MIB subtree the agent serves.
#pragma once

#include <memory>
#include <vector>

#include "agent/core/mib_provider.h"
#include "agent/core/provider_context.h"

namespace mimamori::agent {

/// Every provider, in no particular order (MibView sorts by root). The
/// context must outlive the providers.
std::vector<std::unique_ptr<MibProvider>> MakeProviders(const ProviderContext& context);

}  // namespace mimamori::agent
