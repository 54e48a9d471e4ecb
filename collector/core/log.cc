#include "collector/core/log.h"

#include <unistd.h>

#include <atomic>
#include <cstdlib>
#include <ctime>

namespace mimamori::collector {
namespace {

std::atomic<int> g_level{static_cast<int>(LogLevel::kInfo)};

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

// Values with spaces are quoted so the line stays machine-splittable.
void AppendField(std::string& line, std::string_view key, std::string_view value) {
  if (value.empty()) return;
  line += ' ';
  line += key;
  line += '=';
  if (value.find_first_of(" \"") == std::string_view::npos) {
    line += value;
    return;
  }
  line += '"';
  for (char c : value) {
    if (c == '"' || c == '\\') line += '\\';
    line += c;
  }
  line += '"';
}

}  // namespace

void SetLogLevel(LogLevel level) { g_level = static_cast<int>(level); }

void Log(LogLevel level, const LogSubject& subject, std::string_view message) {
  if (static_cast<int>(level) > g_level.load()) return;
  static const bool journal = std::getenv("JOURNAL_STREAM") != nullptr;
  std::string line;
  if (journal) {
    line = "<" + std::to_string(static_cast<int>(level)) + ">";
    line += LevelWord(level);
  } else {
    // Asia/Tokyo (UTC+9, no daylight saving), whatever the host's TZ: the
    // zone of the business calendar, the reports and mimamorictl, so a log
    // line and the mail it led to show the same clock time.
    char stamp[40];
    std::time_t t = std::time(nullptr) + 9 * 3600;
    std::tm tm{};
    gmtime_r(&t, &tm);
    std::strftime(stamp, sizeof stamp, "%Y-%m-%dT%H:%M:%S+0900 ", &tm);
    line = stamp;
    line += LevelWord(level);
  }
  AppendField(line, "node", subject.node);
  AppendField(line, "monitor", subject.monitor);
  AppendField(line, "incident", subject.incident);
  line += ": ";
  line += message;
  line += '\n';
  ssize_t ignored = ::write(STDERR_FILENO, line.data(), line.size());
  (void)ignored;
}

}  // namespace mimamori::collector
