#include "agent/core/reply_source.h"

#if defined(__linux__)

#include <netinet/in.h>
#include <sys/socket.h>

#include <array>
#include <cerrno>
#include <cstring>

namespace mimamori::agent {
namespace {

asio::error_code LastError() { return {errno, asio::error::get_system_category()}; }

// Room for either pktinfo control message.
constexpr std::size_t kControlSize = CMSG_SPACE(sizeof(in6_pktinfo)) >
                                             CMSG_SPACE(sizeof(in_pktinfo))
                                         ? CMSG_SPACE(sizeof(in6_pktinfo))
                                         : CMSG_SPACE(sizeof(in_pktinfo));

ssize_t SendWithControl(int fd, std::span<const std::uint8_t> data,
                        const asio::ip::udp::endpoint& peer, const void* control, int level,
                        int type, std::size_t size) {
  iovec vector{const_cast<std::uint8_t*>(data.data()), data.size()};
  alignas(cmsghdr) std::array<unsigned char, kControlSize> buffer{};
  msghdr message{};
  message.msg_name = const_cast<sockaddr*>(peer.data());
  message.msg_namelen = static_cast<socklen_t>(peer.size());
  message.msg_iov = &vector;
  message.msg_iovlen = 1;
  if (control != nullptr) {
    message.msg_control = buffer.data();
    message.msg_controllen = CMSG_SPACE(size);
    cmsghdr* header = CMSG_FIRSTHDR(&message);
    header->cmsg_level = level;
    header->cmsg_type = type;
    header->cmsg_len = CMSG_LEN(size);
    std::memcpy(CMSG_DATA(header), control, size);
  }
  ssize_t sent;
  do {
    sent = ::sendmsg(fd, &message, MSG_DONTWAIT | MSG_NOSIGNAL);
  } while (sent < 0 && errno == EINTR);
  return sent;
}

}  // namespace

asio::error_code EnableRequestDestinations(asio::ip::udp::socket& socket) {
  const int on = 1;
  const bool v6 = socket.local_endpoint().protocol() == asio::ip::udp::v6();
  const int result =
      v6 ? ::setsockopt(socket.native_handle(), IPPROTO_IPV6, IPV6_RECVPKTINFO, &on, sizeof on)
         : ::setsockopt(socket.native_handle(), IPPROTO_IP, IP_PKTINFO, &on, sizeof on);
  return result == 0 ? asio::error_code() : LastError();
}

std::size_t ReceiveWithDestination(asio::ip::udp::socket& socket, std::span<std::uint8_t> buffer,
                                   asio::ip::udp::endpoint& peer, RequestDestination& destination,
                                   asio::error_code& ec) {
  ec.clear();
  destination = RequestDestination{};
  sockaddr_storage from{};
  iovec vector{buffer.data(), buffer.size()};
  alignas(cmsghdr) std::array<unsigned char, kControlSize + 64> control{};
  msghdr message{};
  message.msg_name = &from;
  message.msg_namelen = sizeof from;
  message.msg_iov = &vector;
  message.msg_iovlen = 1;
  message.msg_control = control.data();
  message.msg_controllen = control.size();
  ssize_t received;
  do {
    received = ::recvmsg(socket.native_handle(), &message, MSG_DONTWAIT);
  } while (received < 0 && errno == EINTR);
  if (received < 0) {
    ec = (errno == EAGAIN || errno == EWOULDBLOCK) ? asio::error::would_block : LastError();
    return 0;
  }
  if (message.msg_namelen > peer.capacity()) {
    ec = asio::error::address_family_not_supported;
    return 0;
  }
  std::memcpy(peer.data(), &from, message.msg_namelen);
  peer.resize(message.msg_namelen);

  for (cmsghdr* header = CMSG_FIRSTHDR(&message); header != nullptr;
       header = CMSG_NXTHDR(&message, header)) {
    if (header->cmsg_level == IPPROTO_IP && header->cmsg_type == IP_PKTINFO &&
        header->cmsg_len >= CMSG_LEN(sizeof(in_pktinfo))) {
      in_pktinfo info{};
      std::memcpy(&info, CMSG_DATA(header), sizeof info);
      // ipi_spec_dst, not ipi_addr: for a unicast request they are the same
      // address; for a broadcast one the kernel puts the interface's own
      // address here, which can be a source and ipi_addr cannot.
      asio::ip::address_v4::bytes_type bytes;
      std::memcpy(bytes.data(), &info.ipi_spec_dst, bytes.size());
      destination.address = asio::ip::address_v4(bytes);
      destination.interface_index = static_cast<unsigned>(info.ipi_ifindex);
      destination.known = true;
    } else if (header->cmsg_level == IPPROTO_IPV6 && header->cmsg_type == IPV6_PKTINFO &&
               header->cmsg_len >= CMSG_LEN(sizeof(in6_pktinfo))) {
      in6_pktinfo info{};
      std::memcpy(&info, CMSG_DATA(header), sizeof info);
      asio::ip::address_v6::bytes_type bytes;
      std::memcpy(bytes.data(), &info.ipi6_addr, bytes.size());
      destination.address = asio::ip::address_v6(bytes);
      destination.interface_index = info.ipi6_ifindex;
      destination.known = true;
    }
  }
  return static_cast<std::size_t>(received);
}

void SendFromDestination(asio::ip::udp::socket& socket, std::span<const std::uint8_t> data,
                         const asio::ip::udp::endpoint& peer, const RequestDestination& destination,
                         asio::error_code& ec) {
  ec.clear();
  const int fd = socket.native_handle();
  ssize_t sent = -1;
  if (destination.known && destination.address.is_v4()) {
    in_pktinfo info{};
    const auto bytes = destination.address.to_v4().to_bytes();
    std::memcpy(&info.ipi_spec_dst, bytes.data(), bytes.size());
    sent = SendWithControl(fd, data, peer, &info, IPPROTO_IP, IP_PKTINFO, sizeof info);
    if (sent < 0 && errno == EINVAL && destination.interface_index != 0) {
      info = in_pktinfo{};
      info.ipi_ifindex = static_cast<int>(destination.interface_index);
      sent = SendWithControl(fd, data, peer, &info, IPPROTO_IP, IP_PKTINFO, sizeof info);
    }
  } else if (destination.known && destination.address.is_v6()) {
    in6_pktinfo info{};
    const auto bytes = destination.address.to_v6().to_bytes();
    std::memcpy(&info.ipi6_addr, bytes.data(), bytes.size());
    info.ipi6_ifindex = destination.interface_index;
    sent = SendWithControl(fd, data, peer, &info, IPPROTO_IPV6, IPV6_PKTINFO, sizeof info);
    if (sent < 0 && errno == EINVAL) {
      info.ipi6_addr = in6addr_any;
      sent = SendWithControl(fd, data, peer, &info, IPPROTO_IPV6, IPV6_PKTINFO, sizeof info);
    }
  }
  if (!destination.known || (sent < 0 && errno == EINVAL)) {
    sent = SendWithControl(fd, data, peer, nullptr, 0, 0, 0);
  }
  if (sent < 0) ec = LastError();
}

}  // namespace mimamori::agent

#endif  // __linux__
