// The service manager's end of sd_notify for tests: a Unix datagram socket
// bound to a path or an abstract name, read with a deadline.
#pragma once

#include <poll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <chrono>
#include <cstddef>
#include <cstring>
#include <optional>
#include <string>

namespace mimamori::testing {

class NotifySocket {
 public:
  /// Binds `address`: a path, or "@name" for the abstract namespace. The
  /// socket file is world-writable, as systemd's is, so a daemon that drops
  /// root still reaches it.
  explicit NotifySocket(std::string address) : address_(std::move(address)) {
    fd_ = ::socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    sockaddr_un sun{};
    sun.sun_family = AF_UNIX;
    std::memcpy(sun.sun_path, address_.data(), address_.size());
    socklen_t length = static_cast<socklen_t>(offsetof(sockaddr_un, sun_path) + address_.size());
    if (address_[0] == '@') {
      sun.sun_path[0] = '\0';
    } else {
      length += 1;
      ::unlink(address_.c_str());
    }
    bound_ = fd_ >= 0 && ::bind(fd_, reinterpret_cast<sockaddr*>(&sun), length) == 0;
    if (bound_ && address_[0] != '@') ::chmod(address_.c_str(), 0777);
  }
  ~NotifySocket() {
    if (fd_ >= 0) ::close(fd_);
    if (address_[0] != '@') ::unlink(address_.c_str());
  }
  NotifySocket(const NotifySocket&) = delete;
  NotifySocket& operator=(const NotifySocket&) = delete;

  bool bound() const { return bound_; }
  const std::string& address() const { return address_; }

  /// The next datagram, or nullopt when none came within `timeout`.
  std::optional<std::string> Receive(std::chrono::milliseconds timeout) const {
    pollfd p{fd_, POLLIN, 0};
    if (::poll(&p, 1, static_cast<int>(timeout.count())) != 1) return std::nullopt;
    char buffer[4096];
    const ssize_t n = ::recv(fd_, buffer, sizeof buffer, 0);
    if (n < 0) return std::nullopt;
    return std::string(buffer, static_cast<std::size_t>(n));
  }

  /// Datagrams until one starts with `prefix` (returned) or `timeout` passes;
  /// the others (watchdog pings in between) are counted in `skipped`.
  std::optional<std::string> ReceiveStartingWith(const std::string& prefix,
                                                 std::chrono::milliseconds timeout,
                                                 int* skipped = nullptr) const {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    while (true) {
      const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
          deadline - std::chrono::steady_clock::now());
      if (left.count() <= 0) return std::nullopt;
      auto message = Receive(left);
      if (!message) return std::nullopt;
      if (message->rfind(prefix, 0) == 0) return message;
      if (skipped) ++*skipped;
    }
  }

 private:
  std::string address_;
  int fd_ = -1;
  bool bound_ = false;
};

}  // namespace mimamori::testing
