// IP-MIB (RFC 4293) address tables, as Net-SNMP's snmpd 5.9 serves them on Linux.
#pragma once

#include <memory>

#include "agent/core/mib_provider.h"
#include "agent/core/provider_context.h"

namespace mimamori::agent {

/// Serves, from HostData::Addresses():
///  - .1.3.6.1.2.1.4.20 ipAddrTable (RFC 1213, IPv4 only): ipAdEntAddr,
///    ipAdEntIfIndex, ipAdEntNetMask, ipAdEntBcastAddr (the lowest bit of the
///    address's broadcast address, 0 without one); not ipAdEntReasmMaxSize,
///    which Debian's snmpd leaves out too. An address on two interfaces gives
///    the first one's row.
///  - .1.3.6.1.2.1.4.34 ipAddressTable, index ipAddressAddrType and
///    ipAddressAddr (length first): a row per IPv4 and IPv6 address and, as
///    snmpd, per IPv4 broadcast address (type broadcast(3)). ipAddressPrefix
///    points into ipAddressPrefixTable (ifIndex, type, prefix, length), which
///    is not served. Origin, status and storage type follow snmpd's rules:
///    IPv4 manual(2) (random(6) for 169.254/16), preferred, volatile; IPv6
///    from the if_inet6 flags (no flags: linklayer; temporary: random;
///    fe80::/10: linklayer; else manual; linklayer rows permanent(4)).
///    ipAddressCreated and ipAddressLastChanged are 0 for the addresses of the
///    first reading and sysUpTime when first seen for later ones, as snmpd.
///
/// `context` must outlive the provider.
std::unique_ptr<MibProvider> MakeIpMibProvider(const ProviderContext& context);

}  // namespace mimamori::agent
