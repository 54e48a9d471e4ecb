#include "agent/core/log.h"

#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <ctime>

namespace mimamori::agent {
namespace {

LogLevel g_level = LogLevel::kInfo;

std::string_view LevelWord(LogLevel level) {
  switch (level) {
    case LogLevel::kError:
      return "error";
    case LogLevel::kWarning:
      return "warning";
    case LogLevel::kInfo:
      return "info";
    case LogLevel::kDebug:
      return "debug";
  }
  return "info";
}

}  // namespace

void SetLogLevel(LogLevel level) { g_level = level; }

void Log(LogLevel level, std::string_view message) {
  if (static_cast<int>(level) > static_cast<int>(g_level)) return;
  static const bool journal = std::getenv("JOURNAL_STREAM") != nullptr;
  std::string line;
  if (journal) {
    line = "<" + std::to_string(static_cast<int>(level)) + ">";
  } else {
    char stamp[32];
    std::time_t t = std::time(nullptr);
    std::tm tm{};
    localtime_r(&t, &tm);
    std::strftime(stamp, sizeof stamp, "%Y-%m-%dT%H:%M:%S%z ", &tm);
    line = stamp;
    line += LevelWord(level);
    line += ": ";
  }
  line += message;
  line += '\n';
  // One write per line so that lines from concurrent writers do not interleave.
  ssize_t ignored = ::write(STDERR_FILENO, line.data(), line.size());
  (void)ignored;
}

void RateLimitedLog::Report(LogLevel level, const std::string& key, std::string_view message,
                            std::chrono::steady_clock::time_point now) {
  auto [it, inserted] = states_.try_emplace(key);
  State& state = it->second;
  if (!inserted && now - state.last_logged < interval_) {
    ++state.suppressed;
    return;
  }
  std::string line(message);
  if (state.suppressed > 0) {
    line += " (" + std::to_string(state.suppressed) + " more since the last report)";
  }
  Log(level, line);
  state.last_logged = now;
  state.suppressed = 0;
  // Bound the memory a scan from many addresses could take.
  if (states_.size() > 1024) states_.clear();
}

}  // namespace mimamori::agent
