// Syslog messages as devices send them: RFC 5424, RFC 3164 and the 3164
// dialects of ESXi (ISO time stamps) and Cisco IOS (sequence numbers, a
// "%FACILITY-SEVERITY-MNEMONIC" instead of a tag).
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

namespace mimamori::collector {

struct SyslogMessage {
  int facility = 1;  ///< RFC 5424 facility code, 0..23
  int severity = 5;  ///< 0 emerg .. 7 debug
  bool rfc5424 = false;
  std::string timestamp;  ///< as sent; may be empty (never trusted for timing)
  std::string hostname;   ///< as sent; may be empty
  std::string program;    ///< APP-NAME, TAG or Cisco mnemonic; may be empty
  std::string text;       ///< MSG (5424) or CONTENT after the tag (3164)
};

enum class SyslogError {
  kNone = 0,
  kEmpty,        ///< nothing after stripping the trailing newline or NUL
  kNoPriority,   ///< does not start with "<"
  kBadPriority,  ///< "<" not followed by 1-3 digits, ">" and a value 0..191
  kNotUtf8,      ///< invalid UTF-8 anywhere
  kTruncated,    ///< an RFC 5424 header missing fields
};

/// "empty", "no-priority", "bad-priority", "not-utf8", "truncated": the
/// reason label of mimamori_messages_dropped_total.
std::string_view SyslogErrorName(SyslogError error);

/// Parses one message. Never throws; on an error `out` is unspecified.
SyslogError ParseSyslog(std::string_view wire, SyslogMessage& out);

/// Splits a syslog TCP stream into messages (RFC 6587): octet counting
/// ("LEN SP MSG") when a frame starts with a digit, else newline framing.
/// A frame longer than `max_message` is skipped and counted, never held.
class SyslogStreamFramer {
 public:
  explicit SyslogStreamFramer(std::size_t max_message) : max_(max_message) {}

  /// Appends bytes and returns the messages completed by them.
  std::vector<std::string> Feed(std::string_view bytes);
  /// Frames too long, or with a malformed length, dropped so far.
  std::size_t oversize() const { return oversize_; }
  std::size_t malformed() const { return malformed_; }
  /// Whatever a closed connection left unframed (newline framing: the last
  /// line without its newline is still a message).
  std::string Finish();

 private:
  std::size_t max_;
  std::string buffer_;
  std::size_t skip_ = 0;    // bytes of an oversize counted frame still to discard
  bool skip_line_ = false;  // discarding an oversize line up to its newline
  std::size_t oversize_ = 0;
  std::size_t malformed_ = 0;
};

}  // namespace mimamori::collector
