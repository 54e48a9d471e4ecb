// UDP-MIB (RFC 4113) udpEndpointTable and udpTable, as Net-SNMP's snmpd serves them on Linux.
#pragma once

#include <memory>

#include "agent/core/mib_provider.h"
#include "agent/core/provider_context.h"

namespace mimamori::agent {

/// Serves .1.3.6.1.2.1.7.7 (udpEndpointTable) and .1.3.6.1.2.1.7.5 (the
/// deprecated udpTable, which snmpd still serves) from HostData::UdpEndpoints().
///
/// udpEndpointTable has a row per socket, connected or not, as snmpd's
/// udp-mib/data_access/udp_endpoint_linux.c: its index is local address type,
/// local address (length first), local port, remote address type, remote
/// address (length first), remote port and udpEndpointInstance, which snmpd
/// sets to the low 32 bits of the socket's inode. Each address type follows
/// its address's length (IPv4-mapped IPv6 sockets stay ipv6); an unconnected
/// socket has the zero address of its family and port 0 as its remote end (an
/// empty SocketEndpoint::remote_address is read so). Sockets whose local or
/// remote address is neither 4 nor 16 bytes long are left out, and of
/// entries with the same whole index only the first is kept; sockets sharing
/// an address and port (SO_REUSEPORT) differ in their inode and so are
/// separate rows. udpEndpointProcess is 0: finding a socket's owner needs
/// every process's /proc/PID/fd, which the unprivileged agent cannot read.
///
/// udpTable has the IPv4 sockets that are not connected (Linux state 07, the
/// only ones mibII/udpTable.c lists), indexed by address and port; sockets
/// sharing both give one row.
///
/// The UDP scalars (udpInDatagrams...) are not served.
///
/// `context` must outlive the provider.
std::unique_ptr<MibProvider> MakeUdpMibProvider(const ProviderContext& context);

}  // namespace mimamori::agent
