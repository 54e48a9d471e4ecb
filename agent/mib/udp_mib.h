// UDP-MIB (RFC 4113) udpEndpointTable and udpTable, as Net-SNMP's snmpd serves them on Linux.
#pragma once

#include <memory>

#include "agent/core/mib_provider.h"
#include "agent/core/provider_context.h"

namespace mimamori::agent {

/// Serves .1.3.6.1.2.1.7.7 (udpEndpointTable) and .1.3.6.1.2.1.7.5 (the
/// deprecated udpTable, which snmpd still serves) from HostData::UdpEndpoints().
///
/// udpEndpointTable's index is local address type, local address (length
/// first), local port, remote address type, remote address (length first),
/// remote port and udpEndpointInstance, which snmpd sets to the low 32 bits of
/// the socket's inode. The address type follows the address length
/// (IPv4-mapped IPv6 sockets stay ipv6). SocketEndpoint carries no remote end,
/// so the remote address is the zero address of the local family and the
/// remote port 0, which is what snmpd shows for every socket that is not
/// connected. udpEndpointProcess is 0: SocketEndpoint has no owning process.
///
/// udpTable has the IPv4 endpoints only, indexed by address and port.
///
/// The UDP scalars (udpInDatagrams...) are not served.
///
/// `context` must outlive the provider.
std::unique_ptr<MibProvider> MakeUdpMibProvider(const ProviderContext& context);

}  // namespace mimamori::agent
