// The report and notice mails of spec sections 4 and 5 as templates an
// operator can edit: one file per kind in a directory (defaults in
// packaging/templates/), "Subject: ..." on the first line, a blank line, then
// the body, with {{name}} placeholders.
//
// A template is checked when loaded (unknown placeholders name FILE:LINE and
// the known names), so a typo shows at --check-config or reload, never as a
// mail with "{{symtom}}" in it at 3 a.m.
#pragma once

#include <array>
#include <filesystem>
#include <map>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "collector/core/clock.h"

namespace mimamori::collector {

enum class MailKind {
  kFirstReport,        ///< 第一報
  kContinuingReport,   ///< 継続報
  kFinalReport,        ///< 最終報
  kWorkStart,          ///< 復旧作業開始連絡
  kWorkDone,           ///< 復旧作業完了連絡
  kSuppressionStart,   ///< 監視一時抑止開始連絡
  kMonitoringResumed,  ///< 監視再開連絡
};

inline constexpr std::array<MailKind, 7> kAllMailKinds = {
    MailKind::kFirstReport,       MailKind::kContinuingReport, MailKind::kFinalReport,
    MailKind::kWorkStart,         MailKind::kWorkDone,         MailKind::kSuppressionStart,
    MailKind::kMonitoringResumed,
};

/// "first-report.txt", "continuing-report.txt", ...
std::string_view TemplateFileName(MailKind kind);

/// One value a kind of mail is rendered with.
struct MailField {
  std::string_view name;  ///< the placeholder's name: "symptom" for {{symptom}}
  /// Written when the value is missing or blank; "" = required. Only facts a
  /// person fills in later have one (復旧予定時間 "未定", 想定される原因
  /// "調査中", ...): a report is due on time whether or not someone has typed
  /// them yet. What the system itself knows (times, VMs, symptom, names) is
  /// required, so a bug upstream fails loudly instead of mailing a blank.
  std::string_view if_empty;
};

/// The fields of `kind`, in the spec's order; the placeholders its template
/// may use, and the values Render() expects.
std::span<const MailField> FieldsOf(MailKind kind);

/// Placeholder name -> value (UTF-8; may span lines in the body).
using MailValues = std::map<std::string, std::string, std::less<>>;

/// A rendered subject and body, or why not.
struct RenderedMail {
  std::string subject;
  std::string body;   ///< "\n" line ends
  std::string error;  ///< "" on success
  bool ok() const { return error.empty(); }
};

/// One parsed template. Immutable after Parse(); thread-safe to share.
class MailTemplate {
 public:
  /// Parses `text` (the file's contents; a UTF-8 BOM and CRLF line ends are
  /// accepted, as Windows editors write them). `file` names the file in
  /// errors. Returns std::nullopt and appends every problem to `errors`, each
  /// as "FILE:LINE: what", e.g.
  ///   "first-report.txt:7: unknown placeholder {{vm}} (known: platform_name, ...)"
  ///   "first-report.txt:1: first line must be \"Subject: ...\""
  static std::optional<MailTemplate> Parse(MailKind kind, std::string_view text,
                                           std::string_view file, std::vector<std::string>& errors);

  /// Fills in the placeholders. Every field of the kind must have a value in
  /// `values` unless it has an if_empty text; a value for a name the kind
  /// does not know is an error too (it is a caller's typo). Errors name the
  /// file: "first-report.txt: no value for {{affected_vms}}". A value with a
  /// line break used in the subject is an error (it would break the header).
  RenderedMail Render(const MailValues& values) const;

  MailKind kind() const { return kind_; }
  const std::string& file() const { return file_; }

 private:
  /// Literal text, or a field name when `field` is set.
  struct Piece {
    bool field = false;
    std::string text;
  };

  MailTemplate(MailKind kind, std::string file) : kind_(kind), file_(std::move(file)) {}

  MailKind kind_;
  std::string file_;
  std::vector<Piece> subject_;
  std::vector<Piece> body_;
};

struct MailTemplatesLoadResult;

/// The seven templates of one directory. Immutable; thread-safe to share. A
/// reload loads a new set and swaps it in only when Load() succeeded.
class MailTemplates {
 public:
  /// Reads TemplateFileName(kind) for every kind from `dir`. A missing or
  /// unreadable file is an error ("DIR/work-done.txt: cannot read: ...").
  static MailTemplatesLoadResult Load(const std::filesystem::path& dir);

  const MailTemplate& Get(MailKind kind) const;
  RenderedMail Render(MailKind kind, const MailValues& values) const {
    return Get(kind).Render(values);
  }

 private:
  MailTemplates() = default;
  std::vector<MailTemplate> templates_;  // indexed by MailKind
};

struct MailTemplatesLoadResult {
  std::optional<MailTemplates> templates;  ///< set when `errors` is empty
  std::vector<std::string> errors;         ///< every problem of every file
};

/// "250701 09:00": the spec's "yymmdd tt:mm" in Japan Standard Time, for
/// {{suppression_start}} / {{suppression_end}}.
std::string FormatYymmddHhmm(TimePoint t);

/// "2025/07/01 09:00" in Japan Standard Time, for report times.
std::string FormatReportTime(TimePoint t);

}  // namespace mimamori::collector
