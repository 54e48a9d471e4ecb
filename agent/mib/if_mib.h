// IF-MIB (RFC 2863): the interfaces group and ifMIBObjects, as Net-SNMP's snmpd serves them on
// Linux.
#pragma once

#include <memory>

#include "agent/core/mib_provider.h"
#include "agent/core/provider_context.h"

namespace mimamori::agent {

/// Serves .1.3.6.1.2.1.2 (ifNumber, ifTable) and .1.3.6.1.2.1.31 (ifXTable,
/// ifTableLastChange) from HostData::Interfaces(), with the values snmpd 5.9.3
/// gives on Linux: ifIndex is the kernel ifindex, ifType is mapped from the
/// ARPHRD type, 32-bit counters are the low halves of the kernel's 64-bit ones
/// and unicast receive counts are packets minus multicast.
///
/// The provider is stateful like snmpd's ifTable: ifLastChange records when
/// an interface's oper status changed (or when it appeared after the first
/// collection), and an interface that disappears stays listed as down with
/// its last counters for five minutes before its row is removed. It therefore
/// assumes one MibView drives its Collect().
///
/// `context` must outlive the provider.
std::unique_ptr<MibProvider> MakeIfMibProvider(const ProviderContext& context);

}  // namespace mimamori::agent
