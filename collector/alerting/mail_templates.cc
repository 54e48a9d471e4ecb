#include "collector/alerting/mail_templates.h"

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <utility>

#include "collector/alerting/mail_message.h"

namespace mimamori::collector {
namespace {

// Defaults only for what a person types in later (see MailField::if_empty).
constexpr std::string_view kTbd = "未定";
constexpr std::string_view kInvestigating = "調査中";

constexpr MailField kFirstReportFields[] = {
    {"platform_name", ""},
    {"incident_id", ""},
    {"occurred_at", ""},
    {"affected_vms", ""},
};
constexpr MailField kContinuingReportFields[] = {
    {"platform_name", ""},
    {"incident_id", ""},
    {"occurred_at", ""},
    {"symptom", ""},
    {"business_impact", kInvestigating},
    {"expected_recovery", kTbd},
    {"presumed_cause", kInvestigating},
    {"actions", kInvestigating},
};
constexpr MailField kFinalReportFields[] = {
    {"platform_name", ""},
    {"incident_id", ""},
    {"occurred_at", ""},
    {"symptom", ""},
    {"business_impact", kInvestigating},
    {"recovered_at", ""},
    {"presumed_cause", kInvestigating},
    {"actions", kInvestigating},
};
// Work notices are written by the person doing the work, not sent on a
// timetable, so nothing has a default: a blank is a form left unfilled.
constexpr MailField kWorkFields[] = {
    {"platform_name", ""}, {"incident_id", ""},  {"work_at", ""},
    {"worker", ""},        {"work_content", ""}, {"business_impact", ""},
};
constexpr MailField kSuppressionFields[] = {
    {"platform_name", ""},
    {"system_name", ""},
    {"suppression_start", ""},
    {"suppression_end", ""},
};

bool IsBlank(std::string_view s) {
  return std::all_of(s.begin(), s.end(),
                     [](char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; });
}

std::string_view Trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

const MailField* FindField(MailKind kind, std::string_view name) {
  for (const MailField& f : FieldsOf(kind)) {
    if (f.name == name) return &f;
  }
  return nullptr;
}

std::string KnownNames(MailKind kind) {
  std::string out;
  for (const MailField& f : FieldsOf(kind)) {
    if (!out.empty()) out += ", ";
    out += f.name;
  }
  return out;
}

std::string Where(std::string_view file, std::size_t line) {
  return std::string(file) + ":" + std::to_string(line) + ": ";
}

}  // namespace

std::string_view TemplateFileName(MailKind kind) {
  switch (kind) {
    case MailKind::kFirstReport:
      return "first-report.txt";
    case MailKind::kContinuingReport:
      return "continuing-report.txt";
    case MailKind::kFinalReport:
      return "final-report.txt";
    case MailKind::kWorkStart:
      return "work-start.txt";
    case MailKind::kWorkDone:
      return "work-done.txt";
    case MailKind::kSuppressionStart:
      return "suppression-start.txt";
    case MailKind::kMonitoringResumed:
      return "monitoring-resumed.txt";
  }
  throw std::invalid_argument("TemplateFileName: not a MailKind");
}

std::span<const MailField> FieldsOf(MailKind kind) {
  switch (kind) {
    case MailKind::kFirstReport:
      return kFirstReportFields;
    case MailKind::kContinuingReport:
      return kContinuingReportFields;
    case MailKind::kFinalReport:
      return kFinalReportFields;
    case MailKind::kWorkStart:
    case MailKind::kWorkDone:
      return kWorkFields;
    case MailKind::kSuppressionStart:
    case MailKind::kMonitoringResumed:
      return kSuppressionFields;
  }
  throw std::invalid_argument("FieldsOf: not a MailKind");
}

std::optional<MailTemplate> MailTemplate::Parse(MailKind kind, std::string_view text,
                                                std::string_view file,
                                                std::vector<std::string>& errors) {
  const std::size_t errors_before = errors.size();
  MailTemplate result(kind, std::string(file));

  if (text.starts_with("\xEF\xBB\xBF")) text.remove_prefix(3);
  std::vector<std::string_view> lines;
  for (std::size_t start = 0; start <= text.size();) {
    std::size_t end = text.find('\n', start);
    if (end == std::string_view::npos) end = text.size();
    std::string_view line = text.substr(start, end - start);
    if (line.ends_with('\r')) line.remove_suffix(1);
    lines.push_back(line);
    start = end + 1;
  }
  // A final newline does not make an extra empty line.
  if (lines.size() > 1 && lines.back().empty()) lines.pop_back();

  // Splits one line into literal text and fields, appending to `pieces`.
  auto scan = [&](std::string_view line, std::size_t number, std::vector<Piece>& pieces) {
    if (!IsValidUtf8(line)) {
      errors.push_back(Where(file, number) + "not valid UTF-8");
      return;
    }
    std::size_t pos = 0;
    while (pos < line.size()) {
      const std::size_t open = line.find("{{", pos);
      const std::size_t literal_end = open == std::string_view::npos ? line.size() : open;
      if (literal_end > pos) {
        if (pieces.empty() || pieces.back().field) pieces.push_back({false, {}});
        pieces.back().text += line.substr(pos, literal_end - pos);
      }
      if (open == std::string_view::npos) break;
      const std::size_t close = line.find("}}", open + 2);
      if (close == std::string_view::npos) {
        errors.push_back(Where(file, number) + "unterminated placeholder \"" +
                         std::string(line.substr(open)) + "\" (expected \"}}\" on the same line)");
        return;
      }
      const std::string_view name = Trim(line.substr(open + 2, close - open - 2));
      if (FindField(kind, name) == nullptr) {
        errors.push_back(Where(file, number) + "unknown placeholder {{" + std::string(name) +
                         "}} (known: " + KnownNames(kind) + ")");
      } else {
        pieces.push_back({true, std::string(name)});
      }
      pos = close + 2;
    }
  };

  constexpr std::string_view kSubject = "Subject:";
  if (lines.empty() || !lines[0].starts_with(kSubject)) {
    errors.push_back(Where(file, 1) + "first line must be \"Subject: ...\"");
    return std::nullopt;
  }
  const std::string_view subject = Trim(lines[0].substr(kSubject.size()));
  if (subject.empty()) errors.push_back(Where(file, 1) + "the Subject is empty");
  scan(subject, 1, result.subject_);
  if (lines.size() < 2 || !lines[1].empty()) {
    errors.push_back(Where(file, 2) + "expected a blank line after the Subject line");
  }
  bool body_empty = true;
  for (std::size_t i = 2; i < lines.size(); ++i) {
    scan(lines[i], i + 1, result.body_);
    if (result.body_.empty() || result.body_.back().field) result.body_.push_back({false, {}});
    result.body_.back().text += '\n';
    if (!IsBlank(lines[i])) body_empty = false;
  }
  if (body_empty && errors.size() == errors_before) {
    errors.push_back(Where(file, 3) + "the body is empty");
  }
  if (errors.size() != errors_before) return std::nullopt;
  return result;
}

RenderedMail MailTemplate::Render(const MailValues& values) const {
  RenderedMail out;
  for (const auto& [name, value] : values) {
    if (FindField(kind_, name) == nullptr) {
      out.error = file_ + ": value given for {{" + name + "}}, which is not a field of this mail";
      return out;
    }
  }
  // Resolve every field of the kind, used by this template or not, so that
  // the caller's contract does not change when an operator edits the text.
  std::map<std::string_view, std::string_view> resolved;
  for (const MailField& f : FieldsOf(kind_)) {
    const auto it = values.find(f.name);
    const bool blank = it == values.end() || IsBlank(it->second);
    if (!blank) {
      resolved[f.name] = it->second;
    } else if (!f.if_empty.empty()) {
      resolved[f.name] = f.if_empty;
    } else if (it == values.end()) {
      out.error = file_ + ": no value for {{" + std::string(f.name) + "}}";
      return out;
    } else {
      out.error = file_ + ": {{" + std::string(f.name) + "}} is empty and must be filled in";
      return out;
    }
  }
  for (const Piece& p : subject_) {
    if (!p.field) {
      out.subject += p.text;
      continue;
    }
    const std::string_view value = resolved.at(p.text);
    if (value.find_first_of("\r\n") != std::string_view::npos) {
      out.error = file_ + ": {{" + p.text + "}} is used in the Subject but has a line break";
      return out;
    }
    out.subject += value;
  }
  for (const Piece& p : body_) out.body += p.field ? resolved.at(p.text) : std::string_view(p.text);
  return out;
}

MailTemplatesLoadResult MailTemplates::Load(const std::filesystem::path& dir) {
  MailTemplatesLoadResult result;
  MailTemplates set;
  for (MailKind kind : kAllMailKinds) {
    const std::filesystem::path path = dir / TemplateFileName(kind);
    std::ifstream in(path, std::ios::binary);
    if (!in) {
      result.errors.push_back(path.string() + ": cannot read: " + std::strerror(errno));
      continue;
    }
    std::ostringstream text;
    text << in.rdbuf();
    std::optional<MailTemplate> t =
        MailTemplate::Parse(kind, text.str(), path.string(), result.errors);
    if (t) set.templates_.push_back(std::move(*t));
  }
  if (result.errors.empty()) result.templates = std::move(set);
  return result;
}

const MailTemplate& MailTemplates::Get(MailKind kind) const {
  return templates_.at(static_cast<std::size_t>(kind));
}

namespace {

struct JstParts {
  int year;
  unsigned month, day;
  long hour, minute;
};

JstParts ToJst(TimePoint t) {
  namespace chrono = std::chrono;
  // Japan has had no daylight saving since 1951: +9 h is exact.
  const auto local = chrono::floor<chrono::minutes>(t) + chrono::hours{9};
  const auto day = chrono::floor<chrono::days>(local);
  const chrono::year_month_day ymd{day};
  const chrono::hh_mm_ss hms{local - day};
  return {static_cast<int>(ymd.year()), static_cast<unsigned>(ymd.month()),
          static_cast<unsigned>(ymd.day()), static_cast<long>(hms.hours().count()),
          static_cast<long>(hms.minutes().count())};
}

}  // namespace

std::string FormatYymmddHhmm(TimePoint t) {
  const JstParts p = ToJst(t);
  char buf[32];
  std::snprintf(buf, sizeof buf, "%02d%02u%02u %02ld:%02ld", p.year % 100, p.month, p.day, p.hour,
                p.minute);
  return buf;
}

std::string FormatReportTime(TimePoint t) {
  const JstParts p = ToJst(t);
  char buf[32];
  std::snprintf(buf, sizeof buf, "%04d/%02u/%02u %02ld:%02ld", p.year, p.month, p.day, p.hour,
                p.minute);
  return buf;
}

}  // namespace mimamori::collector
