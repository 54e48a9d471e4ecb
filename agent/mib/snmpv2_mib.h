// SNMPv2-MIB (RFC 3418): the system group and the snmp group's counters.
#pragma once

#include <memory>

#include "agent/core/mib_provider.h"
#include "agent/core/provider_context.h"

namespace mimamori::agent {

/// sysObjectID of our agent on Linux: MIMAMORI-MIB::mimamoriAgentLinux.
extern const proto::Oid kMimamoriAgentLinux;
/// ... and on Windows: MIMAMORI-MIB::mimamoriAgentWindows.
extern const proto::Oid kMimamoriAgentWindows;
/// MIMAMORI-MIB::mimamoriAgentObjects.
extern const proto::Oid kMimamoriAgentObjects;
/// MIMAMORI-MIB::mimamoriMIB, the root of our own objects.
extern const proto::Oid kMimamoriMib;

/// .1.3.6.1.2.1.1: the system group with sysORTable.
std::unique_ptr<MibProvider> MakeSnmpV2MibProvider(const ProviderContext& context);

/// .1.3.6.1.2.1.11: the snmp group's counters.
std::unique_ptr<MibProvider> MakeSnmpCountersProvider(const ProviderContext& context);

/// MIMAMORI-MIB's agent objects (proto/mibs/MIMAMORI-MIB.txt).
std::unique_ptr<MibProvider> MakeMimamoriMibProvider(const ProviderContext& context);

}  // namespace mimamori::agent
