#include "collector/ctl/format.h"

#include <algorithm>
#include <cstdio>

#include "collector/alerting/incident_actions.h"
#include "collector/core/json.h"

namespace mimamori::collector::ctl {
namespace {

bool IsWide(char32_t c) {
  return (c >= 0x1100 && c <= 0x115F) || (c >= 0x2E80 && c <= 0x303E) ||
         (c >= 0x3041 && c <= 0x33FF) || (c >= 0x3400 && c <= 0x4DBF) ||
         (c >= 0x4E00 && c <= 0x9FFF) || (c >= 0xA000 && c <= 0xA4CF) ||
         (c >= 0xAC00 && c <= 0xD7A3) || (c >= 0xF900 && c <= 0xFAFF) ||
         (c >= 0xFE30 && c <= 0xFE4F) || (c >= 0xFF00 && c <= 0xFF60) ||
         (c >= 0xFFE0 && c <= 0xFFE6) || (c >= 0x20000 && c <= 0x3FFFD);
}

std::string Short(TimePoint t) { return FormatTokyoTime(t); }

}  // namespace

std::size_t DisplayWidth(std::string_view text) {
  std::size_t width = 0;
  for (std::size_t i = 0; i < text.size();) {
    const auto lead = static_cast<unsigned char>(text[i]);
    std::size_t length = 1;
    char32_t c = lead;
    if (lead >= 0xF0) {
      length = 4;
      c = lead & 0x07u;
    } else if (lead >= 0xE0) {
      length = 3;
      c = lead & 0x0Fu;
    } else if (lead >= 0xC0) {
      length = 2;
      c = lead & 0x1Fu;
    }
    // A truncated sequence counts as one column per byte left.
    if (i + length > text.size()) length = 1;
    for (std::size_t k = 1; k < length; ++k) {
      c = (c << 6) | (static_cast<unsigned char>(text[i + k]) & 0x3Fu);
    }
    width += IsWide(c) ? 2 : 1;
    i += length;
  }
  return width;
}

std::string Table::Render(std::string_view indent) const {
  std::vector<std::size_t> widths;
  for (const auto& row : rows_) {
    if (widths.size() < row.size()) widths.resize(row.size(), 0);
    for (std::size_t c = 0; c < row.size(); ++c) {
      widths[c] = std::max(widths[c], DisplayWidth(row[c]));
    }
  }
  std::string out;
  for (const auto& row : rows_) {
    std::string line(indent);
    for (std::size_t c = 0; c < row.size(); ++c) {
      line += row[c];
      if (c + 1 < row.size()) line += std::string(widths[c] - DisplayWidth(row[c]) + 2, ' ');
    }
    while (!line.empty() && line.back() == ' ') line.pop_back();
    out += line + "\n";
  }
  return out;
}

void Json::Separate() {
  if (need_comma_) out_ += ',';
  need_comma_ = false;
}

Json& Json::BeginObject() {
  Separate();
  out_ += '{';
  return *this;
}

Json& Json::EndObject() {
  out_ += '}';
  need_comma_ = true;
  return *this;
}

Json& Json::BeginArray() {
  Separate();
  out_ += '[';
  return *this;
}

Json& Json::EndArray() {
  out_ += ']';
  need_comma_ = true;
  return *this;
}

Json& Json::Key(std::string_view key) {
  String(key);
  out_ += ':';
  need_comma_ = false;
  return *this;
}

Json& Json::String(std::string_view value) {
  Separate();
  AppendJsonString(out_, value);
  need_comma_ = true;
  return *this;
}

Json& Json::Number(long long value) {
  Separate();
  out_ += std::to_string(value);
  need_comma_ = true;
  return *this;
}

Json& Json::Bool(bool value) {
  Separate();
  out_ += value ? "true" : "false";
  need_comma_ = true;
  return *this;
}

Json& Json::Null() {
  Separate();
  out_ += "null";
  need_comma_ = true;
  return *this;
}

Json& Json::Time(std::optional<TimePoint> t) { return t ? String(IsoTokyo(*t)) : Null(); }

Json& Json::Strings(const std::vector<std::string>& values) {
  BeginArray();
  for (const auto& v : values) String(v);
  return EndArray();
}

std::string TimeOrDash(std::optional<TimePoint> t) { return t ? Short(*t) : "-"; }

std::string IsoTokyo(TimePoint t) {
  using namespace std::chrono;
  const local_seconds local = BusinessCalendar::ToTokyo(t);
  const local_days day = floor<days>(local);
  const year_month_day ymd{day};
  const hh_mm_ss hms{local - day};
  char buf[40];
  std::snprintf(buf, sizeof buf, "%04d-%02u-%02uT%02d:%02d:%02d+09:00", int(ymd.year()),
                unsigned(ymd.month()), unsigned(ymd.day()), static_cast<int>(hms.hours().count()),
                static_cast<int>(hms.minutes().count()), static_cast<int>(hms.seconds().count()));
  return buf;
}

IncidentSla ComputeSla(const IncidentTimeline& timeline, const BusinessCalendar& calendar,
                       TimePoint now) {
  const Incident& incident = timeline.incident;
  IncidentSla sla;
  sla.plan = PlanFor(incident, calendar);
  sla.first_due = FirstReportDue(sla.plan, incident.detected_at);

  std::vector<const Report*> firsts;
  std::vector<const Report*> continuing;
  for (const Report& r : timeline.reports) {
    if (r.kind == ReportKind::kFirst) firsts.push_back(&r);
    if (r.kind == ReportKind::kContinuing) continuing.push_back(&r);
  }

  // A first report queued under an earlier plan (before a priority change)
  // still counts: its own due time is the deadline it was judged by.
  std::optional<TimePoint> due = sla.first_due;
  if (!due && !firsts.empty()) due = firsts.front()->due_at;
  if (firsts.empty()) {
    sla.first_state = sla.first_due ? "not queued" : "none";
    sla.first_late = sla.first_due && now > *sla.first_due;
  } else {
    bool all_sent = true;
    bool failed = false;
    bool late = false;
    for (const Report* r : firsts) {
      failed |= r->status == ReportStatus::kFailedPermanently;
      if (r->status != ReportStatus::kSent) {
        all_sent = false;
        continue;
      }
      late |= r->on_time.has_value() && !*r->on_time;
      if (r->sent_at && (!sla.first_sent || *r->sent_at > *sla.first_sent)) {
        sla.first_sent = r->sent_at;
      }
    }
    if (!all_sent) sla.first_sent.reset();
    if (failed) {
      sla.first_state = "failed";
      sla.first_late = true;
    } else if (all_sent) {
      sla.first_state = "sent";
      sla.first_late = late;
    } else {
      sla.first_state = "pending";
      sla.first_late = due && now > *due;
    }
  }
  if (!sla.first_due) sla.first_due = due;

  if (incident.status == IncidentStatus::kOpen &&
      sla.plan.continuing.kind == ContinuingKind::kHourly) {
    std::optional<TimePoint> last_sent;
    for (const Report* r : continuing) {
      if (r->status == ReportStatus::kPending || r->status == ReportStatus::kSending) {
        if (!sla.next_continuing || r->due_at < *sla.next_continuing) {
          sla.next_continuing = r->due_at;
        }
        sla.next_continuing_queued = true;
      } else if (r->sent_at && (!last_sent || *r->sent_at > *last_sent)) {
        last_sent = r->sent_at;
      }
    }
    if (!sla.next_continuing_queued) {
      sla.next_continuing = NextContinuingReportDue(sla.plan, incident.detected_at, last_sent);
    }
  }
  return sla;
}

std::string DescribeFirstReport(const IncidentSla& sla) {
  if (sla.first_state == "none") return "none";
  std::string text = "due " + TimeOrDash(sla.first_due);
  if (sla.plan.first) text += " (" + std::string(ChannelsName(sla.plan.first->channels)) + ")";
  text += ": ";
  if (sla.first_state == "sent") {
    text += "sent " + TimeOrDash(sla.first_sent) + (sla.first_late ? ", LATE" : ", on time");
  } else if (sla.first_state == "failed") {
    text += "FAILED (given up; an operator must act)";
  } else if (sla.first_state == "pending") {
    text += sla.first_late ? "queued, not sent, OVERDUE" : "queued, not sent yet";
  } else {
    text += sla.first_late ? "not queued, OVERDUE" : "not queued yet";
  }
  return text;
}

std::string DescribeNextContinuing(const IncidentSla& sla, const Incident& incident,
                                   TimePoint now) {
  if (incident.status != IncidentStatus::kOpen) return "-";
  switch (sla.plan.continuing.kind) {
    case ContinuingKind::kNone:
      return "none (final report only)";
    case ContinuingKind::kOnProgress:
      return "on each progress (" + std::string(ChannelsName(sla.plan.continuing.channels)) + ")";
    case ContinuingKind::kHourly:
      break;
  }
  if (!sla.next_continuing) return "-";
  std::string text = Short(*sla.next_continuing);
  if (sla.next_continuing_queued) text += " (queued)";
  if (now > *sla.next_continuing) text += " OVERDUE";
  return text;
}

std::string Timeliness(const Report& report, TimePoint now) {
  switch (report.status) {
    case ReportStatus::kSent:
      return report.on_time.value_or(true) ? "on time" : "LATE";
    case ReportStatus::kFailedPermanently:
      return "FAILED";
    case ReportStatus::kPending:
    case ReportStatus::kSending:
      return now > report.due_at ? "OVERDUE" : "";
  }
  return "";
}

}  // namespace mimamori::collector::ctl
