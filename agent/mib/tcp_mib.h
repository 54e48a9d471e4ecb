// TCP-MIB (RFC 4022) tcpListenerTable, as Net-SNMP's snmpd serves it on Linux.
#pragma once

#include <memory>

#include "agent/core/mib_provider.h"
#include "agent/core/provider_context.h"

namespace mimamori::agent {

/// Serves .1.3.6.1.2.1.6.20 (tcpListenerTable) from HostData::TcpListeners().
/// The index is tcpListenerLocalAddressType, tcpListenerLocalAddress (length
/// first) and tcpListenerLocalPort. As in snmpd, the type follows the address
/// length, so wildcard listeners are ipv4 "0.0.0.0" and ipv6 "::" (16 zero
/// bytes), and IPv4-mapped IPv6 listeners stay ipv6 ::ffff:a.b.c.d.
/// Listeners sharing an address and port (SO_REUSEPORT) give one row.
/// tcpListenerProcess is 0: finding a socket's owner needs every process's
/// /proc/PID/fd, which the unprivileged agent cannot read.
///
/// The rest of TCP-MIB (the scalars, tcpConnTable, tcpConnectionTable) needs
/// data HostData does not provide and is not served.
///
/// `context` must outlive the provider.
std::unique_ptr<MibProvider> MakeTcpMibProvider(const ProviderContext& context);

}  // namespace mimamori::agent
