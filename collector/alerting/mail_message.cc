#include "collector/alerting/mail_message.h"

#include <algorithm>
#include <array>
#include <chrono>
#include <cstdint>
#include <cstdio>

namespace mimamori::collector {
namespace {

// RFC 5322 2.1.1: lines SHOULD be at most 78 characters; RFC 2047 2: an
// encoded-word at most 75. "=?UTF-8?B?" + "?=" is the encoded-word overhead.
constexpr std::size_t kMaxLine = 78;
constexpr std::size_t kMaxEncodedWord = 75;
constexpr std::string_view kWordStart = "=?UTF-8?B?";
constexpr std::string_view kWordEnd = "?=";
constexpr std::string_view kCrlf = "\r\n";

constexpr char kBase64Alphabet[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

std::string Base64(std::string_view data) {
  std::string out;
  out.reserve((data.size() + 2) / 3 * 4);
  std::size_t i = 0;
  for (; i + 3 <= data.size(); i += 3) {
    const std::uint32_t n = (std::uint32_t{static_cast<unsigned char>(data[i])} << 16) |
                            (std::uint32_t{static_cast<unsigned char>(data[i + 1])} << 8) |
                            std::uint32_t{static_cast<unsigned char>(data[i + 2])};
    out += kBase64Alphabet[(n >> 18) & 63];
    out += kBase64Alphabet[(n >> 12) & 63];
    out += kBase64Alphabet[(n >> 6) & 63];
    out += kBase64Alphabet[n & 63];
  }
  const std::size_t rest = data.size() - i;
  if (rest > 0) {
    std::uint32_t n = std::uint32_t{static_cast<unsigned char>(data[i])} << 16;
    if (rest == 2) n |= std::uint32_t{static_cast<unsigned char>(data[i + 1])} << 8;
    out += kBase64Alphabet[(n >> 18) & 63];
    out += kBase64Alphabet[(n >> 12) & 63];
    out += rest == 2 ? kBase64Alphabet[(n >> 6) & 63] : '=';
    out += '=';
  }
  return out;
}

std::size_t EncodedWordLength(std::size_t bytes) {
  return kWordStart.size() + (bytes + 2) / 3 * 4 + kWordEnd.size();
}

// Length of the UTF-8 sequence starting with lead byte `c` (input is known
// to be valid UTF-8 here).
std::size_t Utf8Length(unsigned char c) {
  if (c < 0x80) return 1;
  if (c < 0xE0) return 2;
  if (c < 0xF0) return 3;
  return 4;
}

// Always encodes: splits `text` into encoded-words of whole characters, one
// per line, each as long as its line allows.
std::string EncodeWords(std::string_view text, std::size_t used) {
  std::string out;
  std::size_t line_used = used;
  std::size_t pos = 0;
  do {
    const std::size_t limit =
        line_used >= kMaxLine ? 0 : std::min(kMaxEncodedWord, kMaxLine - line_used);
    std::size_t end = pos;
    while (end < text.size()) {
      const std::size_t next = end + Utf8Length(static_cast<unsigned char>(text[end]));
      if (EncodedWordLength(next - pos) > limit) break;
      end = next;
    }
    if (end == pos && pos < text.size()) {
      // Not even one character fits after a long field name: start on a
      // continuation line, where a whole word always fits (1 + 75 <= 78).
      out += kCrlf;
      out += ' ';
      line_used = 1;
      continue;
    }
    if (pos != 0) {
      out += kCrlf;
      out += ' ';
    }
    out += kWordStart;
    out += Base64(text.substr(pos, end - pos));
    out += kWordEnd;
    pos = end;
    line_used = 1;  // the next word goes on a continuation line: " =?..."
  } while (pos < text.size());
  return out;
}

bool IsPrintableAscii(std::string_view text) {
  return std::all_of(text.begin(), text.end(), [](char c) { return c >= 0x20 && c <= 0x7E; });
}

bool HasLineBreak(std::string_view text) {
  return text.find_first_of("\r\n") != std::string_view::npos;
}

bool HasControl(std::string_view text) {
  return std::any_of(text.begin(), text.end(), [](char c) {
    const auto u = static_cast<unsigned char>(c);
    return u < 0x20 || u == 0x7F;
  });
}

bool IsHostName(std::string_view domain) {
  if (domain.empty() || domain.size() > 253) return false;
  std::size_t start = 0;
  while (true) {
    const std::size_t dot = domain.find('.', start);
    const std::string_view label =
        domain.substr(start, dot == std::string_view::npos ? std::string_view::npos : dot - start);
    if (label.empty() || label.size() > 63 || label.front() == '-' || label.back() == '-') {
      return false;
    }
    for (char c : label) {
      const bool ok =
          (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-';
      if (!ok) return false;
    }
    if (dot == std::string_view::npos) return true;
    start = dot + 1;
  }
}

// Message-ID syntax we write and accept: "<left@right>" with both sides
// printable ASCII without spaces, '<', '>' or a second '@'.
bool IsValidMessageId(std::string_view id) {
  if (id.size() < 5 || id.front() != '<' || id.back() != '>') return false;
  const std::string_view inner = id.substr(1, id.size() - 2);
  const std::size_t at = inner.find('@');
  if (at == 0 || at == std::string_view::npos || at + 1 == inner.size()) return false;
  if (inner.find('@', at + 1) != std::string_view::npos) return false;
  return std::all_of(inner.begin(), inner.end(),
                     [](char c) { return c > 0x20 && c < 0x7F && c != '<' && c != '>'; });
}

bool IsIdPart(std::string_view part) {
  if (part.empty() || part.front() == '.' || part.back() == '.') return false;
  if (part.find("..") != std::string_view::npos) return false;
  return std::all_of(part.begin(), part.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' ||
           c == '-' || c == '_';
  });
}

// Characters used on the line the string `s` ends on.
std::size_t LastLineLength(std::string_view s) {
  const std::size_t nl = s.rfind('\n');
  return nl == std::string_view::npos ? s.size() : s.size() - nl - 1;
}

// "Name: a@x, b@y" folded before an address that would pass column 78.
std::string AddressList(std::string_view name, const std::vector<std::string>& addresses) {
  std::string out(name);
  out += ':';
  std::size_t line = out.size();
  for (std::size_t i = 0; i < addresses.size(); ++i) {
    const std::string& a = addresses[i];
    const std::size_t need = 1 + a.size() + (i + 1 < addresses.size() ? 1 : 0);
    if (i > 0 && line + need > kMaxLine) {
      out += kCrlf;
      line = 0;
    }
    out += ' ';
    out += a;
    if (i + 1 < addresses.size()) out += ',';
    line += need;
  }
  out += kCrlf;
  return out;
}

// The From field: "addr", "\"Name\" <addr>" or "=?UTF-8?B?...?= <addr>".
std::string FromField(const MailMessage& m) {
  std::string out = "From:";
  if (m.from_name.empty()) {
    out += ' ';
    out += m.from;
  } else {
    // A quoted-string keeps ASCII names readable; anything with a quote,
    // backslash or non-ASCII goes through encoded-words, which are valid in
    // a display name (RFC 2047 5(3)) where quoted text with escapes is not
    // always handled well by Japanese mail clients.
    const bool plain = IsPrintableAscii(m.from_name) &&
                       m.from_name.find_first_of("\"\\") == std::string::npos &&
                       out.size() + 3 + m.from_name.size() <= kMaxLine;
    out += ' ';
    if (plain) {
      out += '"' + m.from_name + '"';
    } else {
      out += EncodeWords(m.from_name, out.size());
    }
    if (LastLineLength(out) + 3 + m.from.size() > kMaxLine) {
      out += kCrlf;
    }
    out += " <" + m.from + ">";
  }
  out += kCrlf;
  return out;
}

// Canonical text for MIME: every line break becomes CRLF (RFC 2046 4.1.1),
// and the body ends with one.
std::string CanonicalText(std::string_view body) {
  std::string out;
  out.reserve(body.size() + body.size() / 16 + 2);
  for (std::size_t i = 0; i < body.size(); ++i) {
    const char c = body[i];
    if (c == '\r') {
      if (i + 1 < body.size() && body[i + 1] == '\n') ++i;
      out += kCrlf;
    } else if (c == '\n') {
      out += kCrlf;
    } else {
      out += c;
    }
  }
  if (!out.empty() && out.back() != '\n') out += kCrlf;
  return out;
}

std::string CheckHeaderText(std::string_view what, std::string_view text) {
  if (HasLineBreak(text)) return std::string(what) + " contains a line break";
  if (HasControl(text)) return std::string(what) + " contains a control character";
  if (!IsValidUtf8(text)) return std::string(what) + " is not valid UTF-8";
  return {};
}

std::string CheckAddresses(std::string_view what, const std::vector<std::string>& list) {
  for (const std::string& a : list) {
    if (HasLineBreak(a)) return std::string(what) + " address contains a line break";
    if (!IsValidMailAddress(a)) return std::string(what) + " address \"" + a + "\" is not valid";
  }
  return {};
}

}  // namespace

bool IsValidUtf8(std::string_view text) {
  std::size_t i = 0;
  while (i < text.size()) {
    const auto c = static_cast<unsigned char>(text[i]);
    std::size_t n = 0;
    std::uint32_t cp = 0;
    if (c < 0x80) {
      ++i;
      continue;
    } else if ((c & 0xE0) == 0xC0) {
      n = 1;
      cp = c & 0x1F;
    } else if ((c & 0xF0) == 0xE0) {
      n = 2;
      cp = c & 0x0F;
    } else if ((c & 0xF8) == 0xF0) {
      n = 3;
      cp = c & 0x07;
    } else {
      return false;
    }
    if (i + n >= text.size()) return false;  // truncated sequence
    for (std::size_t k = 1; k <= n; ++k) {
      const auto d = static_cast<unsigned char>(text[i + k]);
      if ((d & 0xC0) != 0x80) return false;
      cp = (cp << 6) | (d & 0x3F);
    }
    static constexpr std::array<std::uint32_t, 4> kMin = {0, 0x80, 0x800, 0x10000};
    if (cp < kMin[n] || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return false;
    i += n + 1;
  }
  return true;
}

bool IsValidMailAddress(std::string_view address) {
  if (address.size() > 254) return false;
  const std::size_t at = address.rfind('@');
  if (at == std::string_view::npos || at == 0 || at > 64) return false;
  const std::string_view local = address.substr(0, at);
  if (local.front() == '.' || local.back() == '.' || local.find("..") != std::string_view::npos) {
    return false;
  }
  for (char c : local) {
    const bool atext = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                       std::string_view("!#$%&'*+-/=?^_`{|}~.").find(c) != std::string_view::npos;
    if (!atext) return false;
  }
  return IsHostName(address.substr(at + 1));
}

std::string MessageId(std::string_view local, std::string_view domain) {
  if (!IsIdPart(local) || !IsHostName(domain)) return {};
  std::string id = "<mimamori.";
  id += local;
  id += '@';
  id += domain;
  id += '>';
  return id;
}

std::string ReportMessageId(std::string_view incident_id, int report_number,
                            std::string_view domain) {
  if (report_number < 1 || !IsIdPart(incident_id)) return {};
  return MessageId(
      "incident-" + std::string(incident_id) + ".report-" + std::to_string(report_number), domain);
}

std::string FormatMailDate(TimePoint t) {
  namespace chrono = std::chrono;
  static constexpr std::array<const char*, 7> kDays = {"Sun", "Mon", "Tue", "Wed",
                                                       "Thu", "Fri", "Sat"};
  static constexpr std::array<const char*, 12> kMonths = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                                          "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
  const auto local = chrono::floor<chrono::seconds>(t) + chrono::hours{9};
  const auto day = chrono::floor<chrono::days>(local);
  const chrono::year_month_day ymd{day};
  const chrono::weekday wd{day};
  const chrono::hh_mm_ss hms{local - day};
  char buf[48];
  std::snprintf(buf, sizeof buf, "%s, %02u %s %04d %02d:%02d:%02d +0900", kDays[wd.c_encoding()],
                static_cast<unsigned>(ymd.day()), kMonths[static_cast<unsigned>(ymd.month()) - 1],
                static_cast<int>(ymd.year()), static_cast<int>(hms.hours().count()),
                static_cast<int>(hms.minutes().count()), static_cast<int>(hms.seconds().count()));
  return buf;
}

std::string EncodeHeaderText(std::string_view text, std::size_t used) {
  // Plain ASCII stays readable in logs and raw views; "=?" would be taken for
  // the start of an encoded-word by readers, so such text is encoded too.
  if (IsPrintableAscii(text) && used + text.size() <= kMaxLine &&
      text.find("=?") == std::string_view::npos) {
    return std::string(text);
  }
  return EncodeWords(text, used);
}

std::string Base64Lines(std::string_view data) {
  // 57 input bytes are exactly 76 base64 characters.
  std::string out;
  for (std::size_t i = 0; i < data.size(); i += 57) {
    out += Base64(data.substr(i, 57));
    out += kCrlf;
  }
  return out;
}

EncodedMail EncodeMail(const MailMessage& m) {
  EncodedMail result;
  auto fail = [&result](std::string why) {
    result.error = std::move(why);
    return result;
  };
  if (HasLineBreak(m.from)) return fail("From address contains a line break");
  if (!IsValidMailAddress(m.from)) return fail("From address \"" + m.from + "\" is not valid");
  if (std::string e = CheckHeaderText("From name", m.from_name); !e.empty()) return fail(e);
  if (m.to.empty()) return fail("no To address");
  if (std::string e = CheckAddresses("To", m.to); !e.empty()) return fail(e);
  if (std::string e = CheckAddresses("Cc", m.cc); !e.empty()) return fail(e);
  if (m.subject.empty()) return fail("subject is empty");
  if (std::string e = CheckHeaderText("subject", m.subject); !e.empty()) return fail(e);
  if (HasLineBreak(m.message_id)) return fail("Message-ID contains a line break");
  if (!IsValidMessageId(m.message_id)) {
    return fail("Message-ID \"" + m.message_id + "\" is not of the form <left@right>");
  }
  if (HasLineBreak(m.thread_root)) return fail("thread root Message-ID contains a line break");
  if (!m.thread_root.empty() && !IsValidMessageId(m.thread_root)) {
    return fail("thread root Message-ID \"" + m.thread_root + "\" is not of the form <left@right>");
  }
  if (!IsValidUtf8(m.body)) return fail("body is not valid UTF-8");

  std::string& out = result.bytes;
  out += "Date: " + FormatMailDate(m.date) + "\r\n";
  out += FromField(m);
  out += AddressList("To", m.to);
  if (!m.cc.empty()) out += AddressList("Cc", m.cc);
  out += "Subject: " + EncodeHeaderText(m.subject, 9) + "\r\n";
  out += "Message-ID: " + m.message_id + "\r\n";
  if (!m.thread_root.empty()) {
    out += "In-Reply-To: " + m.thread_root + "\r\n";
    out += "References: " + m.thread_root + "\r\n";
  }
  // RFC 3834: keeps vacation auto-replies of the recipients from answering
  // a monitoring system nobody reads replies of.
  out += "Auto-Submitted: auto-generated\r\n";
  out += "MIME-Version: 1.0\r\n";
  out += "Content-Type: text/plain; charset=UTF-8\r\n";
  out += "Content-Transfer-Encoding: base64\r\n";
  out += "\r\n";
  out += Base64Lines(CanonicalText(m.body));
  return result;
}

}  // namespace mimamori::collector
