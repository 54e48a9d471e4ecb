// One report mail as RFC 5322 / MIME bytes: Japanese subject as RFC 2047
// encoded-words, UTF-8 body in base64, Message-IDs derived from the incident
// so a resend after a crash is recognisably the same report.
//
// Pure functions of their inputs (no clock, no host name, no randomness):
// the outbox can rebuild the exact bytes of a report from its ledger row.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include "collector/core/clock.h"

namespace mimamori::collector {

/// The fields of one mail before encoding. Plain data; all text is UTF-8.
struct MailMessage {
  std::string from;             ///< addr-spec only: "kanshi@example.lg.jp"
  std::string from_name;        ///< optional display name, may be Japanese ("監視システム")
  std::vector<std::string> to;  ///< at least one addr-spec
  std::vector<std::string> cc;  ///< optional
  std::string subject;          ///< one line, UTF-8
  TimePoint date;               ///< written as Japan Standard Time (+0900)
  /// With angle brackets, as made by ReportMessageId()/MessageId().
  std::string message_id;
  /// Message-ID of the mail this one continues ("" = starts a thread). Written
  /// as both In-Reply-To and References, which is what mail clients group by.
  std::string thread_root;
  /// The body as the template rendered it; "\n" or "\r\n" line ends.
  std::string body;
};

/// The wire form of a MailMessage, or why it cannot be built.
struct EncodedMail {
  std::string bytes;  ///< CRLF line ends, ready for SMTP DATA
  std::string error;  ///< "" on success, else e.g. "subject contains a line break"
  bool ok() const { return error.empty(); }
};

/// Builds the message. Never throws on bad field values: a value that could
/// inject a header (CR or LF in any header field), an invalid address, an
/// empty To list, invalid UTF-8 or a malformed Message-ID is reported in
/// `error` and no bytes are produced, because a report with a silently
/// altered header is worse than one that visibly fails in the ledger.
///
/// Guarantees on success: every line ends in CRLF and is at most 78
/// characters (except an address or Message-ID longer than that, which
/// cannot be folded; still below the 998 limit); each encoded-word is at most
/// 75 characters and holds whole UTF-8 characters only; the body is base64 in
/// lines of 76.
EncodedMail EncodeMail(const MailMessage& message);

/// "<mimamori.LOCAL@DOMAIN>", or "" when `local` is not a dot-atom of
/// [A-Za-z0-9._-] or `domain` is not a host name. For mails that are not
/// numbered reports (work announcements, suppression notices), so that those
/// too are recognisable when resent.
std::string MessageId(std::string_view local, std::string_view domain);

/// "<mimamori.incident-42.report-3@DOMAIN>": the same incident, report number
/// and domain always give the same ID, so a report resent after a crash is
/// recognisably the same report to both the server's duplicate checks and the
/// reader. Report numbers count an incident's report mails from 1; report 1
/// is the thread root the later reports point at. "" when the incident id or
/// domain are unusable (see MessageId) or report_number < 1.
std::string ReportMessageId(std::string_view incident_id, int report_number,
                            std::string_view domain);

/// "Tue, 01 Jul 2025 09:00:00 +0900" (RFC 5322 date-time, always Japan
/// Standard Time: Japan has no daylight saving, so a fixed offset is exact).
std::string FormatMailDate(TimePoint t);

/// The header field body for `text`: as-is when it is printable ASCII that
/// fits, else RFC 2047 "B" encoded-words in UTF-8, folded with CRLF + space.
/// `used` is how many characters of the first line are already taken
/// ("Subject: " = 9). Precondition: `text` is valid UTF-8 without CR/LF.
std::string EncodeHeaderText(std::string_view text, std::size_t used);

/// RFC 2045 base64 of `data` in lines of at most 76 characters, CRLF after
/// each line (including the last).
std::string Base64Lines(std::string_view data);

/// A deliberately simple check: one '@', a non-empty local part of
/// printable ASCII without specials or spaces, a host-name domain. Enough to
/// stop typos and injection; not a full RFC 5321 parser (quoted local parts
/// are refused).
bool IsValidMailAddress(std::string_view address);

/// Well-formed UTF-8 (no overlongs, no surrogates, nothing above U+10FFFF).
bool IsValidUtf8(std::string_view text);

}  // namespace mimamori::collector
