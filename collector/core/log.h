// Structured log lines: every line names the node, monitor and incident it
// is about, so an operator can grep one incident's whole story.
#pragma once

#include <string>
#include <string_view>

namespace mimamori::collector {

enum class LogLevel { kError = 3, kWarning = 4, kInfo = 6, kDebug = 7 };

/// Who a line is about; empty fields are left out of the line.
struct LogSubject {
  std::string_view node;
  std::string_view monitor;
  std::string_view incident;
};

/// One line on stderr: `LEVEL node=web01 monitor=ping incident=42: text`.
/// Under systemd (JOURNAL_STREAM set) with the journal's "<N>" priority
/// prefix instead of a time stamp. Thread-safe (one write(2) per line).
void Log(LogLevel level, const LogSubject& subject, std::string_view message);
inline void Log(LogLevel level, std::string_view message) { Log(level, LogSubject{}, message); }
void SetLogLevel(LogLevel level);

}  // namespace mimamori::collector
