#include "collector/net/icmp_pinger.h"

#include <netinet/icmp6.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <array>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/address.hpp>
#include <boost/asio/ip/udp.hpp>
#include <boost/asio/posix/stream_descriptor.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <cerrno>
#include <chrono>
#include <cstdarg>
#include <cstdio>
#include <cstring>
#include <deque>
#include <functional>
#include <mutex>
#include <optional>
#include <queue>
#include <random>
#include <thread>
#include <unordered_map>
#include <utility>
#include <vector>

namespace mimamori::collector {
namespace {

namespace asio = boost::asio;
using Steady = std::chrono::steady_clock;
using boost::system::error_code;

// Stands in for the collector logger until it is wired in.
[[gnu::format(printf, 1, 2)]] void Log(const char* format, ...) {
  char line[512];
  std::va_list args;
  va_start(args, format);
  std::vsnprintf(line, sizeof line, format, args);
  va_end(args);
  std::fprintf(stderr, "icmp pinger: %s\n", line);  // one call: lines of two threads do not mix
}

constexpr unsigned char kEchoRequestV4 = 8;
constexpr unsigned char kEchoReplyV4 = 0;
constexpr unsigned char kEchoRequestV6 = ICMP6_ECHO_REQUEST;
constexpr unsigned char kEchoReplyV6 = ICMP6_ECHO_REPLY;
constexpr std::size_t kHeaderBytes = 8;  // type, code, checksum, identifier, sequence
constexpr std::size_t kCookieBytes = 8;  // the whole payload: see Slot::cookie
constexpr std::size_t kEchoBytes = kHeaderBytes + kCookieBytes;
constexpr std::size_t kSequences = 65536;
// <linux/icmp.h> clashes with the glibc headers asio includes; these two
// values are ABI.
constexpr int kSolRaw = 255;
constexpr int kIcmpFilter = 1;
// Sends between two looks at the receive queues: on a fast path (loopback,
// LAN) replies arrive while we are still sending and must not pile up until
// the receive buffer overflows.
constexpr int kSendsPerDrain = 64;
// Bound on one drain so that other programs' echo replies (a raw socket
// sees them all) cannot starve our timers.
constexpr int kMaxReceivesPerDrain = 4096;

// RFC 1071; the result is in host order, to be stored big-endian.
std::uint16_t InternetChecksum(const unsigned char* data, std::size_t size) {
  std::uint32_t sum = 0;
  for (std::size_t i = 0; i + 1 < size; i += 2) sum += (std::uint32_t{data[i]} << 8) | data[i + 1];
  if (size % 2 != 0) sum += std::uint32_t{data[size - 1]} << 8;
  while (sum >> 16) sum = (sum & 0xffff) + (sum >> 16);
  return static_cast<std::uint16_t>(~sum);
}

std::uint16_t ReadBig16(const unsigned char* p) {
  return static_cast<std::uint16_t>((p[0] << 8) | p[1]);
}

void WriteBig16(unsigned char* p, std::uint16_t value) {
  p[0] = static_cast<unsigned char>(value >> 8);
  p[1] = static_cast<unsigned char>(value & 0xff);
}

bool SameAddress(const sockaddr_storage& a, const sockaddr_storage& b) {
  if (a.ss_family != b.ss_family) return false;
  if (a.ss_family == AF_INET) {
    return reinterpret_cast<const sockaddr_in&>(a).sin_addr.s_addr ==
           reinterpret_cast<const sockaddr_in&>(b).sin_addr.s_addr;
  }
  return std::memcmp(&reinterpret_cast<const sockaddr_in6&>(a).sin6_addr,
                     &reinterpret_cast<const sockaddr_in6&>(b).sin6_addr, sizeof(in6_addr)) == 0;
}

std::string ErrnoText(int error) { return std::strerror(error); }

// Asks for `bytes`; the *FORCE variant passes net.core.[rw]mem_max when we
// have CAP_NET_ADMIN. Returns what the kernel granted (it reports double).
int SetBuffer(int fd, int force_option, int option, int bytes) {
  if (::setsockopt(fd, SOL_SOCKET, force_option, &bytes, sizeof bytes) != 0) {
    ::setsockopt(fd, SOL_SOCKET, option, &bytes, sizeof bytes);
  }
  int granted = 0;
  socklen_t size = sizeof granted;
  ::getsockopt(fd, SOL_SOCKET, option, &granted, &size);
  return granted / 2;
}

}  // namespace

std::string_view IcmpSocketKindName(IcmpSocketKind kind) {
  switch (kind) {
    case IcmpSocketKind::kNone:
      return "none";
    case IcmpSocketKind::kDatagram:
      return "datagram";
    case IcmpSocketKind::kRaw:
      return "raw";
  }
  return "?";
}

/// Everything below runs on the engine's thread, except the constructor,
/// Post() and the destructor; so no member needs a lock.
class IcmpPinger::Engine {
 public:
  explicit Engine(const IcmpPingerOptions& options);
  ~Engine();

  /// Any thread.
  void Post(std::string address, const PingSettings& settings,
            std::function<void(PingOutcome)> done);

  struct Socket {
    bool ipv6 = false;
    IcmpSocketKind kind = IcmpSocketKind::kNone;
    std::string error;  // why kind is kNone
    int fd = -1;        // owned by `descriptor`
    std::optional<asio::posix::stream_descriptor> descriptor;
    // Checks with one echo request each that is due but not sent yet.
    std::deque<std::uint64_t> queue;
    bool waiting_to_write = false;
    bool retry_scheduled = false;
    bool receive_error_logged = false;
  };
  /// Set in the constructor, read-only afterwards, so any thread may call it.
  const Socket& socket(bool ipv6) const { return sockets_[ipv6]; }

 private:
  struct Check {
    std::string address;
    PingSettings settings;
    std::function<void(PingOutcome)> done;
    PingOutcome outcome;
    sockaddr_storage target{};
    socklen_t target_size = 0;
    bool ipv6 = false;
    bool resolving = false;
    int unscheduled = 0;  // requests whose send time has not come
    int in_flight = 0;    // requests queued or awaiting their reply
  };
  using CheckMap = std::unordered_map<std::uint64_t, Check>;

  // One outstanding echo request, indexed by its sequence number.
  struct Slot {
    bool in_use = false;
    std::uint64_t check = 0;
    // Unique per request and echoed back in the payload: a reply to an
    // earlier request that reused this sequence number (after the 16-bit
    // wrap, or a duplicate) does not match.
    std::uint64_t cookie = 0;
    Steady::time_point sent_at;
  };

  // Deadlines and send times in one min-heap under one timer, instead of a
  // timer per request. Answered requests leave their timeout entry behind;
  // it is dropped when it comes up (the slot's cookie no longer matches).
  enum class EventKind : std::uint8_t { kSend, kTimeout, kRetrySend };
  struct Event {
    Steady::time_point at;
    EventKind kind = EventKind::kSend;
    std::uint16_t sequence = 0;  // kTimeout
    std::uint64_t id = 0;        // kSend: check; kTimeout: cookie; kRetrySend: socket index
    bool operator>(const Event& other) const { return at > other.at; }
  };

  struct Request {
    std::string address;
    PingSettings settings;
    std::function<void(PingOutcome)> done;
  };

  void OpenSocket(Socket& socket, const IcmpPingerOptions& options);
  void TakeRequests();
  void Start(std::string address, const PingSettings& settings,
             std::function<void(PingOutcome)> done);
  void OnResolved(std::uint64_t id, const error_code& ec,
                  const asio::ip::udp::resolver::results_type& results);
  void Begin(CheckMap::iterator it, asio::ip::udp::endpoint endpoint);
  void MaybeFinish(CheckMap::iterator it);
  void Finish(CheckMap::iterator it);

  void Flush(Socket& socket);
  void FlushAll() {
    Flush(sockets_[0]);
    Flush(sockets_[1]);
  }
  std::size_t BuildEcho(const Socket& socket, std::uint16_t sequence, std::uint64_t cookie,
                        unsigned char* packet) const;
  void WaitToWrite(Socket& socket);
  void WaitToRead(Socket& socket);
  void Drain(Socket& socket);
  void DrainAll() {
    Drain(sockets_[0]);
    Drain(sockets_[1]);
  }
  void HandlePacket(const Socket& socket, const unsigned char* data, std::size_t size,
                    const sockaddr_storage& from, Steady::time_point now);
  void Release(std::uint16_t sequence) {
    slots_[sequence].in_use = false;
    --slots_in_use_;
  }

  void Push(const Event& event) {
    events_.push(event);
    Arm();
  }
  void Arm();
  void OnTimer();
  void Shutdown();

  asio::io_context io_;
  asio::executor_work_guard<asio::io_context::executor_type> work_{io_.get_executor()};
  asio::steady_timer timer_{io_};
  bool timer_armed_ = false;
  Steady::time_point armed_at_;
  asio::ip::udp::resolver resolver_{io_};
  std::array<Socket, 2> sockets_;  // [0] IPv4, [1] IPv6; after io_: they use it

  // Ping() hands requests over in batches: one wake-up of the loop for a
  // burst of Ping() calls, so the loop sends them in one go and keeps reading
  // replies in between (a handler per request would queue all sends ahead of
  // the reads and inflate round-trip times).
  std::mutex requests_mutex_;
  std::vector<Request> requests_;  // guarded by requests_mutex_
  bool requests_posted_ = false;   // guarded by requests_mutex_

  CheckMap checks_;
  std::uint64_t next_check_ = 1;
  std::vector<Slot> slots_ = std::vector<Slot>(kSequences);
  std::size_t slots_in_use_ = 0;
  std::uint16_t next_sequence_ = 0;
  std::uint16_t identifier_ = 0;  // raw sockets only; the kernel picks it for datagram ones
  std::uint64_t next_cookie_ = 0;
  std::priority_queue<Event, std::vector<Event>, std::greater<>> events_;
  bool flushing_ = false;
  int sends_since_drain_ = 0;
  bool stopping_ = false;

  std::thread thread_;  // last: starts after everything above exists
};

IcmpPinger::Engine::Engine(const IcmpPingerOptions& options) {
  std::random_device random;
  identifier_ = static_cast<std::uint16_t>(random());
  next_cookie_ = (std::uint64_t{random()} << 32) | random();
  next_sequence_ = options.first_sequence;
  sockets_[1].ipv6 = true;
  for (Socket& socket : sockets_) {
    OpenSocket(socket, options);
    if (socket.descriptor) WaitToRead(socket);
  }
  thread_ = std::thread([this] { io_.run(); });
}

void IcmpPinger::Engine::OpenSocket(Socket& socket, const IcmpPingerOptions& options) {
  const int family = socket.ipv6 ? AF_INET6 : AF_INET;
  const int protocol = socket.ipv6 ? int{IPPROTO_ICMPV6} : int{IPPROTO_ICMP};
  const char* name = socket.ipv6 ? "IPv6" : "IPv4";
  using Mode = IcmpPingerOptions::Mode;
  std::string datagram_error = "not tried", raw_error = "not tried";
  if (options.mode != Mode::kRawOnly) {
    socket.fd = ::socket(family, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, protocol);
    if (socket.fd >= 0) {
      socket.kind = IcmpSocketKind::kDatagram;
    } else {
      const int error = errno;
      datagram_error = ErrnoText(error);
      if (error == EACCES) datagram_error += " (net.ipv4.ping_group_range excludes our group)";
    }
  }
  if (socket.fd < 0 && options.mode != Mode::kDatagramOnly) {
    socket.fd = ::socket(family, SOCK_RAW | SOCK_NONBLOCK | SOCK_CLOEXEC, protocol);
    if (socket.fd >= 0) {
      socket.kind = IcmpSocketKind::kRaw;
    } else {
      raw_error = ErrnoText(errno);
    }
  }
  if (socket.fd < 0) {
    socket.error = "datagram socket: " + datagram_error + "; raw socket: " + raw_error;
    Log("%s: no ICMP socket (%s); %s targets will fail", name, socket.error.c_str(), name);
    return;
  }

  if (socket.kind == IcmpSocketKind::kRaw) {
    // A raw socket gets a copy of every ICMP message the host receives,
    // including our own echo requests on loopback; keep only echo replies
    // out of the receive buffer.
    if (socket.ipv6) {
      icmp6_filter filter;
      ICMP6_FILTER_SETBLOCKALL(&filter);
      ICMP6_FILTER_SETPASS(ICMP6_ECHO_REPLY, &filter);
      ::setsockopt(socket.fd, IPPROTO_ICMPV6, ICMP6_FILTER, &filter, sizeof filter);
    } else {
      std::uint32_t blocked_types = ~(std::uint32_t{1} << kEchoReplyV4);
      ::setsockopt(socket.fd, kSolRaw, kIcmpFilter, &blocked_types, sizeof blocked_types);
    }
  }
  const int receive_buffer =
      SetBuffer(socket.fd, SO_RCVBUFFORCE, SO_RCVBUF, options.receive_buffer_bytes);
  SetBuffer(socket.fd, SO_SNDBUFFORCE, SO_SNDBUF, options.send_buffer_bytes);
  socket.descriptor.emplace(io_, socket.fd);

  if (socket.kind == IcmpSocketKind::kDatagram) {
    Log("%s: datagram ICMP socket (unprivileged ping socket), receive buffer %d KiB", name,
        receive_buffer / 1024);
  } else {
    Log("%s: raw ICMP socket, identifier %u, receive buffer %d KiB (datagram socket: %s)", name,
        unsigned{identifier_}, receive_buffer / 1024, datagram_error.c_str());
  }
}

IcmpPinger::Engine::~Engine() {
  asio::post(io_, [this] { Shutdown(); });
  work_.reset();
  thread_.join();
}

void IcmpPinger::Engine::Shutdown() {
  stopping_ = true;
  resolver_.cancel();
  timer_.cancel();
  for (Socket& socket : sockets_) {
    if (socket.descriptor) socket.descriptor->cancel();
    socket.queue.clear();
  }
  while (!checks_.empty()) {
    auto it = checks_.begin();
    if (it->second.outcome.error.empty()) it->second.outcome.error = "pinger stopped";
    Finish(it);
  }
}

void IcmpPinger::Engine::Post(std::string address, const PingSettings& settings,
                              std::function<void(PingOutcome)> done) {
  std::lock_guard lock(requests_mutex_);
  requests_.push_back(Request{std::move(address), settings, std::move(done)});
  if (requests_posted_) return;
  requests_posted_ = true;
  asio::post(io_, [this] { TakeRequests(); });
}

void IcmpPinger::Engine::TakeRequests() {
  std::vector<Request> requests;
  {
    std::lock_guard lock(requests_mutex_);
    requests.swap(requests_);
    requests_posted_ = false;
  }
  for (Request& request : requests) {
    Start(std::move(request.address), request.settings, std::move(request.done));
  }
}

void IcmpPinger::Engine::Start(std::string address, const PingSettings& settings,
                               std::function<void(PingOutcome)> done) {
  if (stopping_ || settings.packets < 1) {
    PingOutcome outcome;
    outcome.error = stopping_ ? "pinger stopped" : "invalid ping settings: packets < 1";
    done(std::move(outcome));
    return;
  }
  const std::uint64_t id = next_check_++;
  const auto it = checks_.try_emplace(id).first;
  Check& check = it->second;
  check.address = std::move(address);
  check.settings = settings;
  check.done = std::move(done);

  error_code ec;
  const asio::ip::address literal = asio::ip::make_address(check.address, ec);
  if (!ec) {
    Begin(it, asio::ip::udp::endpoint(literal, 0));
    return;
  }
  // getaddrinfo runs on asio's resolver thread, so a slow DNS server delays
  // only the checks of names, never the loop.
  check.resolving = true;
  resolver_.async_resolve(
      check.address, "",
      [this, id](const error_code& error, const asio::ip::udp::resolver::results_type& results) {
        OnResolved(id, error, results);
      });
}

void IcmpPinger::Engine::OnResolved(std::uint64_t id, const error_code& ec,
                                    const asio::ip::udp::resolver::results_type& results) {
  auto it = checks_.find(id);
  if (it == checks_.end()) return;  // finished by Shutdown()
  Check& check = it->second;
  check.resolving = false;
  if (ec || results.empty()) {
    check.outcome.error =
        "cannot resolve " + check.address + ": " + (ec ? ec.message() : "no address");
    Finish(it);
    return;
  }
  // The resolver's order (RFC 6724), but only families we have a socket for.
  for (const auto& entry : results) {
    if (sockets_[entry.endpoint().address().is_v6()].kind != IcmpSocketKind::kNone) {
      Begin(it, entry.endpoint());
      return;
    }
  }
  Begin(it, results.begin()->endpoint());  // fails with the socket's error
}

void IcmpPinger::Engine::Begin(CheckMap::iterator it, asio::ip::udp::endpoint endpoint) {
  Check& check = it->second;
  asio::ip::address address = endpoint.address();
  if (address.is_v6() && address.to_v6().is_v4_mapped()) {
    // ::ffff:a.b.c.d is an IPv4 host; ICMPv6 would never reach it.
    address = asio::ip::make_address_v4(asio::ip::v4_mapped, address.to_v6());
    endpoint = asio::ip::udp::endpoint(address, 0);
  }
  check.ipv6 = address.is_v6();
  Socket& socket = sockets_[check.ipv6];
  if (socket.kind == IcmpSocketKind::kNone) {
    check.outcome.error = std::string("no ") + (check.ipv6 ? "ICMPv6" : "ICMP") +
                          " socket to ping " + address.to_string() + " (" + socket.error + ")";
    Finish(it);
    return;
  }
  std::memcpy(&check.target, endpoint.data(), endpoint.size());
  check.target_size = static_cast<socklen_t>(endpoint.size());

  const std::uint64_t id = it->first;
  const Steady::time_point now = Steady::now();
  check.in_flight = 1;
  check.unscheduled = check.settings.packets - 1;
  for (int i = 1; i < check.settings.packets; ++i) {
    Push(Event{now + i * check.settings.interval, EventKind::kSend, 0, id});
  }
  socket.queue.push_back(id);
  Flush(socket);
}

void IcmpPinger::Engine::MaybeFinish(CheckMap::iterator it) {
  const Check& check = it->second;
  if (!check.resolving && check.unscheduled == 0 && check.in_flight == 0) Finish(it);
}

void IcmpPinger::Engine::Finish(CheckMap::iterator it) {
  PingOutcome outcome = std::move(it->second.outcome);
  std::function<void(PingOutcome)> done = std::move(it->second.done);
  checks_.erase(it);
  done(std::move(outcome));
}

std::size_t IcmpPinger::Engine::BuildEcho(const Socket& socket, std::uint16_t sequence,
                                          std::uint64_t cookie, unsigned char* packet) const {
  packet[0] = socket.ipv6 ? kEchoRequestV6 : kEchoRequestV4;
  packet[1] = 0;  // code
  WriteBig16(packet + 2, 0);
  WriteBig16(packet + 4, identifier_);  // replaced by the kernel on datagram sockets
  WriteBig16(packet + 6, sequence);
  std::memcpy(packet + kHeaderBytes, &cookie, kCookieBytes);
  // The kernel computes the checksum for datagram sockets and for ICMPv6.
  if (!socket.ipv6 && socket.kind == IcmpSocketKind::kRaw) {
    WriteBig16(packet + 2, InternetChecksum(packet, kEchoBytes));
  }
  return kEchoBytes;
}

void IcmpPinger::Engine::Flush(Socket& socket) {
  if (flushing_ || stopping_ || socket.waiting_to_write || socket.retry_scheduled) return;
  flushing_ = true;
  while (!socket.queue.empty() && slots_in_use_ < kSequences) {
    auto it = checks_.find(socket.queue.front());
    if (it == checks_.end()) {
      socket.queue.pop_front();
      continue;
    }
    Check& check = it->second;
    std::uint16_t sequence = next_sequence_;
    while (slots_[sequence].in_use) sequence = static_cast<std::uint16_t>(sequence + 1);
    const std::uint64_t cookie = next_cookie_++;
    unsigned char packet[kEchoBytes];
    const std::size_t size = BuildEcho(socket, sequence, cookie, packet);
    const ssize_t sent =
        ::sendto(socket.fd, packet, size, MSG_DONTWAIT | MSG_NOSIGNAL,
                 reinterpret_cast<const sockaddr*>(&check.target), check.target_size);
    if (sent < 0) {
      const int error = errno;
      if (error == EINTR) continue;
      if (error == EAGAIN || error == EWOULDBLOCK) {
        WaitToWrite(socket);
        break;
      }
      if (error == ENOBUFS) {
        // A full device queue does not report writability; try again soon.
        socket.retry_scheduled = true;
        Push(Event{Steady::now() + std::chrono::milliseconds(1), EventKind::kRetrySend, 0,
                   std::uint64_t{socket.ipv6}});
        break;
      }
      // Refused for this target (no route, ...): sent and unanswered.
      socket.queue.pop_front();
      ++check.outcome.sent;
      if (check.outcome.error.empty()) {
        check.outcome.error = "send echo request to " + check.address + ": " + ErrnoText(error);
      }
      --check.in_flight;
      MaybeFinish(it);
      continue;
    }
    socket.queue.pop_front();
    next_sequence_ = static_cast<std::uint16_t>(sequence + 1);
    Slot& slot = slots_[sequence];
    slot = Slot{true, it->first, cookie, Steady::now()};
    ++slots_in_use_;
    ++check.outcome.sent;
    Push(Event{slot.sent_at + check.settings.timeout, EventKind::kTimeout, sequence, cookie});
    if (++sends_since_drain_ >= kSendsPerDrain) DrainAll();
  }
  flushing_ = false;
}

void IcmpPinger::Engine::WaitToWrite(Socket& socket) {
  socket.waiting_to_write = true;
  socket.descriptor->async_wait(asio::posix::stream_descriptor::wait_write,
                                [this, &socket](const error_code& ec) {
                                  socket.waiting_to_write = false;
                                  if (ec || stopping_) return;
                                  Flush(socket);
                                });
}

void IcmpPinger::Engine::WaitToRead(Socket& socket) {
  socket.descriptor->async_wait(asio::posix::stream_descriptor::wait_read,
                                [this, &socket](const error_code& ec) {
                                  if (ec || stopping_) return;
                                  Drain(socket);
                                  FlushAll();  // released sequences may unblock sends
                                  WaitToRead(socket);
                                });
}

void IcmpPinger::Engine::Drain(Socket& socket) {
  sends_since_drain_ = 0;
  if (!socket.descriptor) return;
  // IPv4 raw sockets deliver the IP header too (at most 60 bytes).
  unsigned char buffer[512];
  for (int i = 0; i < kMaxReceivesPerDrain; ++i) {
    sockaddr_storage from{};
    socklen_t from_size = sizeof from;
    const ssize_t size = ::recvfrom(socket.fd, buffer, sizeof buffer, MSG_DONTWAIT,
                                    reinterpret_cast<sockaddr*>(&from), &from_size);
    if (size < 0) {
      const int error = errno;
      if (error == EINTR) continue;
      if (error != EAGAIN && error != EWOULDBLOCK && !socket.receive_error_logged) {
        // Once: the next wake-up will most likely report the same.
        socket.receive_error_logged = true;
        Log("%s: receive: %s", socket.ipv6 ? "IPv6" : "IPv4", ErrnoText(error).c_str());
      }
      return;
    }
    HandlePacket(socket, buffer, static_cast<std::size_t>(size), from, Steady::now());
  }
}

void IcmpPinger::Engine::HandlePacket(const Socket& socket, const unsigned char* data,
                                      std::size_t size, const sockaddr_storage& from,
                                      Steady::time_point now) {
  if (!socket.ipv6 && socket.kind == IcmpSocketKind::kRaw) {
    if (size < 20) return;
    const std::size_t header = (data[0] & 0x0fu) * 4u;
    if (header < 20 || size < header) return;
    data += header;
    size -= header;
  }
  if (size < kEchoBytes) return;
  if (data[0] != (socket.ipv6 ? kEchoReplyV6 : kEchoReplyV4) || data[1] != 0) return;
  if (socket.kind == IcmpSocketKind::kRaw) {
    // Every raw ICMP socket on the host sees every echo reply.
    if (ReadBig16(data + 4) != identifier_) return;
    // The kernel verifies ICMPv6 checksums on raw sockets, not ICMP ones.
    if (!socket.ipv6 && InternetChecksum(data, size) != 0) return;
  }
  const std::uint16_t sequence = ReadBig16(data + 6);
  std::uint64_t cookie = 0;
  std::memcpy(&cookie, data + kHeaderBytes, kCookieBytes);
  Slot& slot = slots_[sequence];
  if (!slot.in_use || slot.cookie != cookie) return;  // late, duplicate or foreign
  auto it = checks_.find(slot.check);
  if (it == checks_.end() || !SameAddress(it->second.target, from)) return;
  Check& check = it->second;
  ++check.outcome.received;
  check.outcome.round_trips.push_back(
      std::chrono::duration_cast<std::chrono::microseconds>(now - slot.sent_at));
  Release(sequence);
  --check.in_flight;
  MaybeFinish(it);
}

void IcmpPinger::Engine::Arm() {
  if (events_.empty() || stopping_) return;
  const Steady::time_point at = events_.top().at;
  if (timer_armed_ && at >= armed_at_) return;
  timer_armed_ = true;
  armed_at_ = at;
  timer_.expires_at(at);  // cancels the wait for a later deadline, if any
  timer_.async_wait([this](const error_code& ec) {
    if (ec == asio::error::operation_aborted) return;  // re-armed earlier, or shutting down
    timer_armed_ = false;
    OnTimer();
  });
}

void IcmpPinger::Engine::OnTimer() {
  if (stopping_) return;
  // Replies already in the receive buffer must not be taken for timeouts
  // just because the loop was busy when they came.
  DrainAll();
  const Steady::time_point now = Steady::now();
  while (!events_.empty() && events_.top().at <= now) {
    const Event event = events_.top();
    events_.pop();
    switch (event.kind) {
      case EventKind::kTimeout: {
        Slot& slot = slots_[event.sequence];
        if (!slot.in_use || slot.cookie != event.id) break;  // answered
        auto it = checks_.find(slot.check);
        Release(event.sequence);
        if (it == checks_.end()) break;
        --it->second.in_flight;
        MaybeFinish(it);
        break;
      }
      case EventKind::kSend: {
        auto it = checks_.find(event.id);
        if (it == checks_.end()) break;
        --it->second.unscheduled;
        ++it->second.in_flight;
        sockets_[it->second.ipv6].queue.push_back(event.id);
        break;
      }
      case EventKind::kRetrySend:
        sockets_[event.id].retry_scheduled = false;
        break;
    }
  }
  FlushAll();
  Arm();
}

IcmpPinger::IcmpPinger(IcmpPingerOptions options) : engine_(std::make_unique<Engine>(options)) {}

IcmpPinger::~IcmpPinger() = default;

void IcmpPinger::Ping(const std::string& address, const PingSettings& settings,
                      std::function<void(PingOutcome)> done) {
  engine_->Post(address, settings, std::move(done));
}

IcmpSocketKind IcmpPinger::SocketKind(bool ipv6) const { return engine_->socket(ipv6).kind; }

const std::string& IcmpPinger::SocketError(bool ipv6) const { return engine_->socket(ipv6).error; }

}  // namespace mimamori::collector
