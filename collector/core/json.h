// JSON text for everything mimamori writes as JSON: `--once --json`, the
// phone channel's payload and mimamorictl's --json output share one escaper,
// so a node name or a note reads the same in each, and a byte that is not
// UTF-8 (a process argument, a web page) never makes a document that a
// strict parser refuses.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace mimamori::collector {

/// U+FFFD, which stands for every byte that is not part of well-formed UTF-8.
inline constexpr std::string_view kUtf8Replacement = "\xEF\xBF\xBD";

/// Length of the well-formed UTF-8 sequence at s[i] (RFC 3629: no overlong
/// forms, no surrogates, nothing above U+10FFFF); 0 when it is not one.
/// `i` must be inside `s`.
std::size_t Utf8SequenceLength(std::string_view s, std::size_t i);

/// Appends `text` as a quoted JSON string (RFC 8259). Well-formed UTF-8
/// passes through as is, so a receiver reads the Japanese without decoding
/// \u escapes; each malformed byte becomes U+FFFD; `"` and `\` are escaped,
/// as are every control character and DEL (\b \f \n \r \t by name, the rest
/// as \u00XX), so the text stays on one line in logs and terminals.
void AppendJsonString(std::string& out, std::string_view text);

/// AppendJsonString into a new string: `"text"` with its quotes.
std::string JsonString(std::string_view text);

}  // namespace mimamori::collector
