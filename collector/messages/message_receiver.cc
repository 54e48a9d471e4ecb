#include "collector/messages/message_receiver.h"

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ip/udp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/socket_base.hpp>
#include <charconv>

#include "collector/core/log.h"

namespace mimamori::collector {

namespace asio = boost::asio;
using asio::ip::tcp;
using asio::ip::udp;

namespace {

// Big enough for any UDP datagram: a longer one than max_message is seen
// whole, counted as oversize, and not mistaken for a truncated one.
constexpr std::size_t kDatagram = 65536;
// A burst of 10,000 datagrams must wait in the kernel, not be lost there.
constexpr int kReceiveBuffer = 8 << 20;
constexpr std::size_t kMaxConnections = 1024;

bool SplitListen(const std::string& text, asio::ip::address& address, std::uint16_t& port) {
  const std::size_t colon = text.rfind(':');
  if (colon == std::string::npos) return false;
  std::string host = text.substr(0, colon);
  if (host.size() > 2 && host.front() == '[') host = host.substr(1, host.size() - 2);
  boost::system::error_code ec;
  address = asio::ip::make_address(host, ec);
  unsigned value = 0;
  auto [end, err] = std::from_chars(text.data() + colon + 1, text.data() + text.size(), value);
  if (ec || err != std::errc() || end != text.data() + text.size() || value > 65535) return false;
  port = static_cast<std::uint16_t>(value);
  return true;
}

}  // namespace

struct MessageReceiver::Impl {
  explicit Impl(MessageIntake& in) : intake(in) {}

  MessageIntake& intake;
  asio::io_context io;
  std::unique_ptr<udp::socket> syslog_udp;
  std::unique_ptr<tcp::acceptor> syslog_tcp;
  std::unique_ptr<udp::socket> traps;
  std::vector<char> syslog_buffer = std::vector<char>(kDatagram);
  std::vector<std::uint8_t> trap_buffer = std::vector<std::uint8_t>(kDatagram);
  udp::endpoint syslog_from, trap_from;
  std::size_t connections = 0;
  std::thread thread;

  template <typename Socket, typename Endpoint>
  std::string Bind(Socket& socket, const std::string& what, const std::string& listen) {
    asio::ip::address address;
    std::uint16_t port = 0;
    if (!SplitListen(listen, address, port)) return what + " " + listen + ": not HOST:PORT";
    boost::system::error_code ec;
    const Endpoint endpoint(address, port);
    socket.open(endpoint.protocol(), ec);
    if (!ec) socket.set_option(asio::socket_base::reuse_address(true), ec);
    if (!ec) socket.bind(endpoint, ec);
    if (ec) return what + " " + listen + ": " + ec.message();
    return "";
  }

  void ReceiveSyslog() {
    syslog_udp->async_receive_from(
        asio::buffer(syslog_buffer), syslog_from,
        [this](const boost::system::error_code& ec, std::size_t n) {
          if (ec == asio::error::operation_aborted) return;
          if (!ec) {
            intake.Syslog(kSyslogUdp, NormalizeAddress(syslog_from.address().to_string()),
                          std::string_view(syslog_buffer.data(), n));
          }
          ReceiveSyslog();
        });
  }

  void ReceiveTrap() {
    traps->async_receive_from(asio::buffer(trap_buffer), trap_from,
                              [this](const boost::system::error_code& ec, std::size_t n) {
                                if (ec == asio::error::operation_aborted) return;
                                if (!ec) {
                                  std::vector<std::uint8_t> reply =
                                      intake.Trap(NormalizeAddress(trap_from.address().to_string()),
                                                  std::span(trap_buffer.data(), n));
                                  if (!reply.empty()) {
                                    boost::system::error_code send_ec;
                                    traps->send_to(asio::buffer(reply), trap_from, 0, send_ec);
                                    if (send_ec) {
                                      Log(LogLevel::kWarning, "inform response to " +
                                                                  trap_from.address().to_string() +
                                                                  ": " + send_ec.message());
                                    }
                                  }
                                }
                                ReceiveTrap();
                              });
  }

  // One TCP connection: frames from its stream until it closes.
  struct Session : std::enable_shared_from_this<Session> {
    Session(Impl& owner, tcp::socket s, std::string from)
        : impl(owner),
          socket(std::move(s)),
          address(std::move(from)),
          framer(owner.intake.max_message()) {}
    Impl& impl;
    tcp::socket socket;
    std::string address;
    SyslogStreamFramer framer;
    std::array<char, 16384> buffer{};
    std::size_t oversize_seen = 0, malformed_seen = 0;

    void Read() {
      socket.async_read_some(
          asio::buffer(buffer),
          [self = shared_from_this()](const boost::system::error_code& ec, std::size_t n) {
            if (ec) {
              if (std::string rest = self->framer.Finish(); !rest.empty()) {
                self->impl.intake.Syslog(kSyslogTcp, self->address, rest);
              }
              --self->impl.connections;
              return;
            }
            for (const std::string& frame :
                 self->framer.Feed(std::string_view(self->buffer.data(), n))) {
              self->impl.intake.Syslog(kSyslogTcp, self->address, frame);
            }
            for (; self->oversize_seen < self->framer.oversize(); ++self->oversize_seen) {
              self->impl.intake.Dropped(kSyslogTcp, "oversize");
            }
            for (; self->malformed_seen < self->framer.malformed(); ++self->malformed_seen) {
              self->impl.intake.Dropped(kSyslogTcp, "bad-frame");
            }
            self->Read();
          });
    }
  };

  void Accept() {
    syslog_tcp->async_accept([this](const boost::system::error_code& ec, tcp::socket socket) {
      if (ec == asio::error::operation_aborted) return;
      if (!ec) {
        boost::system::error_code peer_ec;
        const auto peer = socket.remote_endpoint(peer_ec);
        if (!peer_ec && connections < kMaxConnections) {
          ++connections;
          std::make_shared<Session>(*this, std::move(socket),
                                    NormalizeAddress(peer.address().to_string()))
              ->Read();
        } else if (!peer_ec) {
          intake.Dropped(kSyslogTcp, "too-many-connections");
        }
      }
      Accept();
    });
  }
};

MessageReceiver::MessageReceiver(MessageIntake& intake) : impl_(std::make_unique<Impl>(intake)) {}

MessageReceiver::~MessageReceiver() {
  impl_->io.stop();
  if (impl_->thread.joinable()) impl_->thread.join();
}

std::string MessageReceiver::Start(const MessageSettings& settings) {
  Impl& impl = *impl_;
  if (!settings.syslog_udp.empty()) {
    impl.syslog_udp = std::make_unique<udp::socket>(impl.io);
    if (auto why = impl.Bind<udp::socket, udp::endpoint>(*impl.syslog_udp, "syslog udp",
                                                         settings.syslog_udp);
        !why.empty()) {
      return why;
    }
    boost::system::error_code ignored;  // a smaller buffer still works
    impl.syslog_udp->set_option(asio::socket_base::receive_buffer_size(kReceiveBuffer), ignored);
    impl.ReceiveSyslog();
  }
  if (!settings.syslog_tcp.empty()) {
    impl.syslog_tcp = std::make_unique<tcp::acceptor>(impl.io);
    if (auto why = impl.Bind<tcp::acceptor, tcp::endpoint>(*impl.syslog_tcp, "syslog tcp",
                                                           settings.syslog_tcp);
        !why.empty()) {
      return why;
    }
    boost::system::error_code ec;
    impl.syslog_tcp->listen(asio::socket_base::max_listen_connections, ec);
    if (ec) return "syslog tcp " + settings.syslog_tcp + ": listen: " + ec.message();
    impl.Accept();
  }
  if (!settings.traps_udp.empty()) {
    impl.traps = std::make_unique<udp::socket>(impl.io);
    if (auto why =
            impl.Bind<udp::socket, udp::endpoint>(*impl.traps, "traps udp", settings.traps_udp);
        !why.empty()) {
      return why;
    }
    boost::system::error_code ignored;
    impl.traps->set_option(asio::socket_base::receive_buffer_size(kReceiveBuffer), ignored);
    impl.ReceiveTrap();
  }
  impl.thread = std::thread([&impl] { impl.io.run(); });
  return "";
}

std::uint16_t MessageReceiver::syslog_udp_port() const {
  boost::system::error_code ec;
  return impl_->syslog_udp ? impl_->syslog_udp->local_endpoint(ec).port() : 0;
}
std::uint16_t MessageReceiver::syslog_tcp_port() const {
  boost::system::error_code ec;
  return impl_->syslog_tcp ? impl_->syslog_tcp->local_endpoint(ec).port() : 0;
}
std::uint16_t MessageReceiver::trap_port() const {
  boost::system::error_code ec;
  return impl_->traps ? impl_->traps->local_endpoint(ec).port() : 0;
}

}  // namespace mimamori::collector
