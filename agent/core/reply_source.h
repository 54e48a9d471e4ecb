// Answering a UDP request from the address it was sent to (Linux).
//
// A socket bound to 0.0.0.0 or [::] receives on every local address, but a
// plain sendto() lets the kernel pick the reply's source from the route to
// the manager: a query to a host's secondary address is then answered from
// its primary one. A manager on a connected UDP socket (prometheus
// snmp_exporter, many SNMP libraries) and stateful firewalls drop such a
// reply. snmpd avoids this with IP_PKTINFO / IPV6_RECVPKTINFO: it learns each
// request's destination address and interface with recvmsg() and names them
// as the source in sendmsg(). These functions do the same for the agent's
// Asio sockets; other platforms keep the plain Asio path in server.cc.
#pragma once

#if defined(__linux__)

#include <asio/ip/udp.hpp>
#include <cstddef>
#include <cstdint>
#include <span>

namespace mimamori::agent {

/// Where one request arrived: its destination address and the interface it
/// came in on (0 when unknown).
struct RequestDestination {
  asio::ip::address address;
  unsigned interface_index = 0;
  bool known = false;
};

/// Asks the kernel to report each datagram's destination (IP_PKTINFO for
/// IPv4 sockets, IPV6_RECVPKTINFO for IPv6 ones).
asio::error_code EnableRequestDestinations(asio::ip::udp::socket& socket);

/// One non-blocking recvmsg(): fills `peer` and `destination` (known only
/// when the kernel attached the information) and returns the datagram's
/// size; a datagram longer than `buffer` is cut, as recvfrom() does. On
/// failure sets `ec` (would_block when nothing is waiting) and returns 0.
std::size_t ReceiveWithDestination(asio::ip::udp::socket& socket, std::span<std::uint8_t> buffer,
                                   asio::ip::udp::endpoint& peer, RequestDestination& destination,
                                   asio::error_code& ec);

/// Sends `data` to `peer` with `destination.address` as its source (and, for
/// IPv6, out of the interface the request came in on, which link-local
/// addresses need). When the kernel refuses that source (EINVAL: the request
/// went to a broadcast or multicast address, which cannot be a source), it
/// retries naming only the interface, then with no source at all, as snmpd
/// does. Never blocks; a full send buffer is reported in `ec`.
void SendFromDestination(asio::ip::udp::socket& socket, std::span<const std::uint8_t> data,
                         const asio::ip::udp::endpoint& peer, const RequestDestination& destination,
                         asio::error_code& ec);

}  // namespace mimamori::agent

#endif  // __linux__
