// Logging to stderr, which systemd's journal collects, or to a file (the
// Windows service, which has no stderr).
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <string>
#include <string_view>

namespace mimamori::agent {

enum class LogLevel { kError = 3, kWarning = 4, kInfo = 6, kDebug = 7 };

/// Writes one line. Under systemd (JOURNAL_STREAM set) lines carry the
/// "<N>" priority prefix the journal understands; otherwise a time stamp and
/// a level word. Thread-safe as a single write(2) per line.
void Log(LogLevel level, std::string_view message);
void SetLogLevel(LogLevel level);

/// Sends every later line to `path` (appended, created if missing) instead of
/// stderr; "" returns to stderr. Returns false, leaving the destination
/// unchanged, when the file cannot be opened. Call before other threads log.
bool SetLogFile(const std::string& path);

/// Logs a recurring problem once, then at most once per `interval` with the
/// number of times it happened meanwhile, so that a flood of bad packets
/// cannot flood the journal (collectd's "complain" pattern).
class RateLimitedLog {
 public:
  explicit RateLimitedLog(std::chrono::seconds interval = std::chrono::seconds(60))
      : interval_(interval) {}

  /// `key` groups occurrences ("bad community from 10.0.0.5").
  void Report(LogLevel level, const std::string& key, std::string_view message,
              std::chrono::steady_clock::time_point now);

 private:
  struct State {
    std::chrono::steady_clock::time_point last_logged;
    std::uint64_t suppressed = 0;
  };
  std::chrono::seconds interval_;
  std::map<std::string, State> states_;
};

}  // namespace mimamori::agent
