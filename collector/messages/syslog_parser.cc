#include "collector/messages/syslog_parser.h"

#include <array>
#include <cstdint>

#include "collector/alerting/mail_message.h"  // IsValidUtf8

namespace mimamori::collector {
namespace {

bool IsDigit(char c) { return c >= '0' && c <= '9'; }

// Takes the text up to the next space (or the end) off the front of `rest`.
std::string_view Token(std::string_view& rest) {
  const std::size_t space = rest.find(' ');
  std::string_view token = rest.substr(0, space);
  rest.remove_prefix(space == std::string_view::npos ? rest.size() : space + 1);
  return token;
}

// "-" is RFC 5424's NILVALUE.
std::string Field(std::string_view token) { return token == "-" ? "" : std::string(token); }

// "Jan  5 10:23:45" (RFC 3164 TIMESTAMP, day padded with a space).
bool IsBsdTimestamp(std::string_view s) {
  static constexpr std::array<std::string_view, 12> kMonths = {
      "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
  if (s.size() < 15) return false;
  bool month = false;
  for (std::string_view m : kMonths) month |= s.substr(0, 3) == m;
  return month && s[3] == ' ' && (s[4] == ' ' || IsDigit(s[4])) && IsDigit(s[5]) && s[6] == ' ' &&
         IsDigit(s[7]) && IsDigit(s[8]) && s[9] == ':' && IsDigit(s[10]) && IsDigit(s[11]) &&
         s[12] == ':' && IsDigit(s[13]) && IsDigit(s[14]);
}

// "2024-01-15T10:23:45.123Z" and kin: ESXi and rsyslog's RFC 3339 stamps.
bool IsIsoTimestamp(std::string_view s) {
  return s.size() >= 19 && IsDigit(s[0]) && IsDigit(s[1]) && IsDigit(s[2]) && IsDigit(s[3]) &&
         s[4] == '-' && s[7] == '-' && s[10] == 'T';
}

// A 3164 TAG: letters, digits and a few marks, then "[pid]:" or ":".
// Returns the tag and leaves `rest` after the colon, or "" and `rest` as is.
std::string_view TakeTag(std::string_view& rest) {
  std::size_t i = 0;
  while (i < rest.size() && i < 64) {
    const char c = rest[i];
    const bool plain = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || IsDigit(c) || c == '-' ||
                       c == '_' || c == '.' || c == '/';
    if (!plain) break;
    ++i;
  }
  if (i == 0 || i == rest.size()) return {};
  std::size_t after = i;
  if (rest[after] == '[') {
    const std::size_t close = rest.find(']', after);
    if (close == std::string_view::npos) return {};
    after = close + 1;
  }
  if (after >= rest.size() || rest[after] != ':') return {};
  const std::string_view tag = rest.substr(0, i);
  rest.remove_prefix(after + 1);
  if (!rest.empty() && rest.front() == ' ') rest.remove_prefix(1);
  return tag;
}

// Cisco IOS: "%LINK-3-UPDOWN: Interface ...": the mnemonic is what operators
// match on, so it stands in for the tag.
bool TakeCiscoMnemonic(std::string_view& rest, std::string& program) {
  if (rest.empty() || rest.front() != '%') return false;
  const std::size_t colon = rest.find(": ");
  if (colon == std::string_view::npos || colon < 4 || colon > 80) return false;
  const std::string_view mnemonic = rest.substr(1, colon - 1);
  if (mnemonic.find(' ') != std::string_view::npos) return false;
  program = std::string(mnemonic);
  rest.remove_prefix(colon + 2);
  return true;
}

SyslogError Parse5424(std::string_view rest, SyslogMessage& out) {
  out.rfc5424 = true;
  // TIMESTAMP HOSTNAME APP-NAME PROCID MSGID, then SD and MSG.
  std::string_view fields[5];
  for (std::string_view& f : fields) {
    if (rest.empty()) return SyslogError::kTruncated;
    f = Token(rest);
    if (f.empty()) return SyslogError::kTruncated;
  }
  out.timestamp = Field(fields[0]);
  out.hostname = Field(fields[1]);
  out.program = Field(fields[2]);
  if (rest.empty()) return SyslogError::kTruncated;
  if (rest.front() == '-') {
    rest.remove_prefix(1);
  } else if (rest.front() == '[') {
    // SD-ELEMENTs; inside quoted PARAM-VALUEs '"', ']' and '\' are escaped.
    while (!rest.empty() && rest.front() == '[') {
      std::size_t i = 1;
      bool quoted = false;
      for (; i < rest.size(); ++i) {
        const char c = rest[i];
        if (quoted && c == '\\') {
          ++i;
        } else if (c == '"') {
          quoted = !quoted;
        } else if (!quoted && c == ']') {
          break;
        }
      }
      if (i >= rest.size()) return SyslogError::kTruncated;
      rest.remove_prefix(i + 1);
    }
  } else {
    return SyslogError::kTruncated;
  }
  if (!rest.empty()) {
    if (rest.front() != ' ') return SyslogError::kTruncated;
    rest.remove_prefix(1);
  }
  if (rest.starts_with("\xEF\xBB\xBF")) rest.remove_prefix(3);  // the BOM 5424 allows
  out.text = std::string(rest);
  return SyslogError::kNone;
}

SyslogError Parse3164(std::string_view rest, SyslogMessage& out) {
  // Cisco: an optional sequence number "123: " and an optional "*" or "."
  // (clock not set / not synchronised) before the time stamp.
  if (!rest.empty() && IsDigit(rest.front())) {
    std::size_t i = 0;
    while (i < rest.size() && IsDigit(rest[i])) ++i;
    if (rest.substr(i, 2) == ": ") rest.remove_prefix(i + 2);
  }
  if (!rest.empty() && (rest.front() == '*' || rest.front() == '.')) {
    if (IsBsdTimestamp(rest.substr(1))) rest.remove_prefix(1);
  }
  bool stamped = false;
  if (IsBsdTimestamp(rest)) {
    std::size_t end = 15;
    while (end < rest.size() && rest[end] != ' ' && rest[end] != ':') ++end;  // ".123" ms
    out.timestamp = std::string(rest.substr(0, end));
    rest.remove_prefix(end);
    if (rest.starts_with(": ")) {
      rest.remove_prefix(2);  // Cisco's "...:45.123: %LINK..." has no host
    } else if (!rest.empty()) {
      rest.remove_prefix(1);
      stamped = true;
    }
  } else if (IsIsoTimestamp(rest)) {
    out.timestamp = std::string(Token(rest));
    stamped = true;
  }
  if (TakeCiscoMnemonic(rest, out.program)) {
    out.text = std::string(rest);
    return SyslogError::kNone;
  }
  // After a time stamp comes HOSTNAME, unless the next word is already the
  // tag ("Jan  5 10:00:00 sshd[12]: ..." from a sender that leaves it out).
  if (stamped) {
    std::string_view probe = rest;
    if (TakeTag(probe).empty()) {
      const std::size_t space = rest.find(' ');
      if (space != std::string_view::npos) {
        out.hostname = std::string(rest.substr(0, space));
        rest.remove_prefix(space + 1);
      }
    }
  }
  if (TakeCiscoMnemonic(rest, out.program)) {
    out.text = std::string(rest);
    return SyslogError::kNone;
  }
  out.program = std::string(TakeTag(rest));
  out.text = std::string(rest);
  return SyslogError::kNone;
}

}  // namespace

std::string_view SyslogErrorName(SyslogError error) {
  switch (error) {
    case SyslogError::kNone:
      return "none";
    case SyslogError::kEmpty:
      return "empty";
    case SyslogError::kNoPriority:
      return "no-priority";
    case SyslogError::kBadPriority:
      return "bad-priority";
    case SyslogError::kNotUtf8:
      return "not-utf8";
    case SyslogError::kTruncated:
      return "truncated";
  }
  return "unknown";
}

SyslogError ParseSyslog(std::string_view wire, SyslogMessage& out) {
  out = SyslogMessage{};
  while (!wire.empty() && (wire.back() == '\n' || wire.back() == '\r' || wire.back() == '\0')) {
    wire.remove_suffix(1);
  }
  if (wire.empty()) return SyslogError::kEmpty;
  if (wire.front() != '<') return SyslogError::kNoPriority;
  std::size_t i = 1;
  int priority = 0;
  while (i < wire.size() && i <= 4 && IsDigit(wire[i]))
    priority = priority * 10 + (wire[i++] - '0');
  if (i == 1 || i > 4 || i >= wire.size() || wire[i] != '>' || priority > 191) {
    return SyslogError::kBadPriority;
  }
  if (!IsValidUtf8(wire)) return SyslogError::kNotUtf8;
  out.facility = priority / 8;
  out.severity = priority % 8;
  std::string_view rest = wire.substr(i + 1);
  // "1 " is the 5424 VERSION; a 3164 message cannot start so (no time stamp
  // or Cisco sequence number is a lone "1").
  if (rest.starts_with("1 ")) return Parse5424(rest.substr(2), out);
  return Parse3164(rest, out);
}

std::vector<std::string> SyslogStreamFramer::Feed(std::string_view bytes) {
  std::vector<std::string> out;
  while (!bytes.empty()) {
    if (skip_ > 0) {
      const std::size_t n = std::min(skip_, bytes.size());
      skip_ -= n;
      bytes.remove_prefix(n);
      continue;
    }
    if (skip_line_) {
      const std::size_t newline = bytes.find('\n');
      if (newline == std::string_view::npos) return out;
      skip_line_ = false;
      bytes.remove_prefix(newline + 1);
      continue;
    }
    // Only what one frame may need is held: its length prefix or its line.
    const std::size_t limit = max_ + 8;  // "LEN SP" and the longest message taken
    const std::size_t take = std::min(bytes.size(), limit - std::min(buffer_.size(), limit));
    if (take == 0) {
      ++malformed_;
      buffer_.clear();
      continue;
    }
    buffer_.append(bytes.substr(0, take));
    bytes.remove_prefix(take);
    while (!buffer_.empty()) {
      if (IsDigit(buffer_.front())) {
        const std::size_t space = buffer_.find(' ');
        if (space == std::string::npos) {
          if (buffer_.size() > 7) {  // no length of a message we take has more digits
            ++malformed_;
            buffer_.clear();
            skip_line_ = true;
          }
          break;
        }
        std::size_t length = 0;
        bool digits = space > 0 && space <= 7;
        for (std::size_t k = 0; digits && k < space; ++k) {
          digits = IsDigit(buffer_[k]);
          length = length * 10 + static_cast<std::size_t>(buffer_[k] - '0');
        }
        if (!digits) {
          ++malformed_;
          buffer_.clear();
          skip_line_ = true;
          break;
        }
        if (length > max_) {
          ++oversize_;
          const std::size_t have = buffer_.size() - space - 1;
          if (have >= length) {
            buffer_.erase(0, space + 1 + length);
            continue;
          }
          skip_ = length - have;
          buffer_.clear();
          break;
        }
        if (buffer_.size() - space - 1 < length) break;
        out.push_back(buffer_.substr(space + 1, length));
        buffer_.erase(0, space + 1 + length);
      } else {
        const std::size_t newline = buffer_.find('\n');
        if (newline == std::string::npos) {
          if (buffer_.size() > max_) {
            ++oversize_;
            buffer_.clear();
            skip_line_ = true;
          }
          break;
        }
        if (newline > max_) {
          ++oversize_;
        } else if (newline > 0) {
          out.push_back(buffer_.substr(0, newline));
        }
        buffer_.erase(0, newline + 1);
      }
    }
  }
  return out;
}

std::string SyslogStreamFramer::Finish() {
  std::string rest;
  if (!buffer_.empty() && !IsDigit(buffer_.front()) && buffer_.size() <= max_) rest = buffer_;
  buffer_.clear();
  return rest;
}

}  // namespace mimamori::collector
