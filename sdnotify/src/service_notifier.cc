#include "mimamori/sdnotify/service_notifier.h"

#include <charconv>
#include <cstdlib>
#include <cstring>

#ifndef _WIN32
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include <cerrno>
#endif

namespace mimamori::sdnotify {
#ifndef _WIN32
namespace {

bool ParseUnsigned(std::string_view text, unsigned long long& out) {
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), out);
  return !text.empty() && ec == std::errc() && end == text.data() + text.size();
}

std::string Environment(const char* name) {
  const char* value = std::getenv(name);
  return value ? value : "";
}

}  // namespace
#endif

ServiceNotifier::ServiceNotifier(std::string socket, std::chrono::microseconds watchdog)
    : socket_(std::move(socket)), watchdog_(watchdog) {}

ServiceNotifier ServiceNotifier::FromEnvironment() {
#ifdef _WIN32
  return ServiceNotifier();
#else
  std::string socket = Environment("NOTIFY_SOCKET");
  std::chrono::microseconds watchdog{0};
  unsigned long long usec = 0, pid = 0;
  if (ParseUnsigned(Environment("WATCHDOG_USEC"), usec) && usec > 0) {
    const std::string for_pid = Environment("WATCHDOG_PID");
    // Without WATCHDOG_PID the variable is meant for whoever reads it.
    if (for_pid.empty() ||
        (ParseUnsigned(for_pid, pid) && pid == static_cast<unsigned long long>(::getpid()))) {
      watchdog = std::chrono::microseconds(usec);
    }
  }
  ::unsetenv("NOTIFY_SOCKET");
  ::unsetenv("WATCHDOG_USEC");
  ::unsetenv("WATCHDOG_PID");
  // Only Unix sockets are spoken here; newer systemd may also hand out
  // "vsock:" addresses, which only VMs' host managers use.
  if (!socket.empty() && socket[0] != '/' && socket[0] != '@') socket.clear();
  return ServiceNotifier(std::move(socket), watchdog);
#endif
}

std::string ServiceNotifier::Notify(std::string_view state) const {
  if (socket_.empty()) return "";
#ifdef _WIN32
  (void)state;
  return "";
#else
  sockaddr_un address{};
  address.sun_family = AF_UNIX;
  if (socket_.size() >= sizeof address.sun_path) {
    return "NOTIFY_SOCKET " + socket_ + ": address too long";
  }
  std::memcpy(address.sun_path, socket_.data(), socket_.size());
  socklen_t length = static_cast<socklen_t>(offsetof(sockaddr_un, sun_path) + socket_.size());
  if (socket_[0] == '@') {
    // Abstract namespace: a leading NUL, and the name is exactly the rest
    // (no terminating NUL counted, or it would be another name).
    address.sun_path[0] = '\0';
  } else {
    length += 1;
  }
  const int fd = ::socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return "NOTIFY_SOCKET " + socket_ + ": socket: " + std::strerror(errno);
  const ssize_t sent = ::sendto(fd, state.data(), state.size(), MSG_NOSIGNAL,
                                reinterpret_cast<const sockaddr*>(&address), length);
  const int error = errno;
  ::close(fd);
  if (sent < 0) return "NOTIFY_SOCKET " + socket_ + ": send: " + std::strerror(error);
  if (static_cast<std::size_t>(sent) != state.size()) {
    return "NOTIFY_SOCKET " + socket_ + ": short send";
  }
  return "";
#endif
}

std::string ServiceNotifier::Ready(std::string_view status) const {
  std::string state = "READY=1";
  if (!status.empty()) state += "\nSTATUS=" + std::string(status);
  return Notify(state);
}

std::string ServiceNotifier::Reloading() const {
  std::string state = "RELOADING=1";
#ifndef _WIN32
  // systemd 253+ (Type=notify-reload) wants the time the reload began, on
  // CLOCK_MONOTONIC; older managers ignore the extra line.
  timespec now{};
  ::clock_gettime(CLOCK_MONOTONIC, &now);
  const auto usec = static_cast<unsigned long long>(now.tv_sec) * 1'000'000ULL +
                    static_cast<unsigned long long>(now.tv_nsec) / 1000ULL;
  state += "\nMONOTONIC_USEC=" + std::to_string(usec);
#endif
  return Notify(state);
}

std::string ServiceNotifier::Stopping() const { return Notify("STOPPING=1"); }

std::string ServiceNotifier::WatchdogPing() const {
  if (watchdog_.count() == 0) return "";
  return Notify("WATCHDOG=1");
}

}  // namespace mimamori::sdnotify
