// EtherLike-MIB (RFC 3635) dot3StatsTable, as Net-SNMP's snmpd 5.9 serves it on Linux.
#pragma once

#include <memory>

#include "agent/core/mib_provider.h"
#include "agent/core/provider_context.h"

namespace mimamori::agent {

/// Serves .1.3.6.1.2.1.10.7.2 dot3StatsTable with dot3StatsIndex (= ifIndex)
/// and dot3StatsDuplexStatus (unknown(1), halfDuplex(2), fullDuplex(3)) for
/// every interface whose NetInterface::duplex is known, i.e. the interfaces
/// snmpd gives a row. snmpd's error counter columns (dot3StatsFCSErrors,
/// ...), which it reads from driver-specific ethtool statistics, are not
/// served.
///
/// `context` must outlive the provider.
std::unique_ptr<MibProvider> MakeEtherLikeMibProvider(const ProviderContext& context);

}  // namespace mimamori::agent
