#include "agent/core/log.h"

#include <cstdio>
#include <cstdlib>
#include <ctime>

namespace mimamori::agent {
namespace {

LogLevel g_level = LogLevel::kInfo;
std::FILE* g_file = nullptr;  // nullptr: stderr

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

bool SetLogFile(const std::string& path) {
  std::FILE* file = nullptr;
  if (!path.empty()) {
    file = std::fopen(path.c_str(), "ab");
    if (file == nullptr) return false;
  }
  if (g_file != nullptr) std::fclose(g_file);
  g_file = file;
  return true;
}

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
#ifdef _WIN32
    // The C runtime's %z is the zone's name there, not its offset.
    localtime_s(&tm, &t);
    std::tm copy = tm;
    const long east = static_cast<long>(_mkgmtime(&copy) - t);
    std::strftime(stamp, sizeof stamp, "%Y-%m-%dT%H:%M:%S", &tm);
    char offset[8];
    std::snprintf(offset, sizeof offset, "%c%02ld%02ld ", east < 0 ? '-' : '+',
                  (east < 0 ? -east : east) / 3600, ((east < 0 ? -east : east) % 3600) / 60);
    line = stamp;
    line += offset;
#else
    localtime_r(&t, &tm);
    std::strftime(stamp, sizeof stamp, "%Y-%m-%dT%H:%M:%S%z ", &tm);
    line = stamp;
#endif
    line += LevelWord(level);
    line += ": ";
  }
  line += message;
  line += '\n';
  std::FILE* out = g_file != nullptr ? g_file : stderr;
#ifdef _WIN32
  // Windows' own line end in the (binary) log file, so that Notepad shows its
  // lines; stderr is a text stream that adds the '\r' itself.
  if (out != stderr) {
    line.pop_back();
    line += "\r\n";
  }
#endif
  // One unbuffered write per line so that lines from concurrent writers do
  // not interleave and a crash loses none.
  std::fwrite(line.data(), 1, line.size(), out);
  std::fflush(out);
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
