#include "collector/alerting/outbox.h"

#include <algorithm>
#include <chrono>
#include <set>
#include <string_view>
#include <utility>

#include "collector/alerting/mail_templates.h"
#include "collector/core/log.h"

namespace mimamori::collector {
namespace {

// Reports fetched per query; a pass fetches again (with a larger limit)
// until nothing new is due, so this bounds memory, not the pass.
constexpr int kBatch = 200;

std::string Join(const std::vector<std::string>& items, std::string_view sep) {
  std::string out;
  for (const std::string& item : items) {
    if (!out.empty()) out += sep;
    out += item;
  }
  return out;
}

std::string IncidentField(const Report& r) {
  return r.incident_id ? std::to_string(*r.incident_id) : std::string();
}

// Every line about a report carries incident=<id> (as a log field) and
// starts with report=<id>, so one grep shows an incident's whole delivery.
void LogReport(LogLevel level, const Report& r, std::string_view text) {
  const std::string incident = IncidentField(r);
  LogSubject subject;
  subject.incident = incident;
  std::string line = "report=" + std::to_string(r.id);
  if (r.suppression_id) line += " suppression=" + std::to_string(*r.suppression_id);
  line += ' ';
  line += text;
  Log(level, subject, line);
}

// "mail 第2報 (continuing) <id>" / "phone 第1報 (first)": which report, in
// the words of the ledger.
std::string Describe(const Report& r) {
  std::string out(ToString(r.channel));
  out += " 第" + std::to_string(r.report_number) + "報 (" + std::string(ToString(r.kind)) + ")";
  if (r.channel == Channel::kMail) out += " " + r.message_id;
  return out;
}

// The server could not be reached at all (nothing answered, or it said it
// is closing down), as opposed to refusing this one message: then every
// mail would fail the same way, so the whole channel waits.
bool ServerUnreachable(const SendResult& result) {
  return !result.ok && result.retryable &&
         (result.server_reply.empty() || result.server_reply.starts_with("421"));
}

std::string MessageIdDomain(std::string_view message_id) {
  const std::size_t at = message_id.rfind('@');
  if (at == std::string_view::npos) return {};
  std::string_view domain = message_id.substr(at + 1);
  if (domain.ends_with('>')) domain.remove_suffix(1);
  return std::string(domain);
}

}  // namespace

std::string HandOffSubject(const std::string& platform_name, const Report& report) {
  std::string subject = "【" + platform_name + "】電話連絡依頼: ";
  if (report.incident_id) {
    subject += "インシデント " + std::to_string(*report.incident_id) + " 第" +
               std::to_string(report.report_number) + "報";
  } else {
    subject += "報告 " + std::to_string(report.id);
  }
  return subject;
}

std::string HandOffMessageId(const Report& report) {
  const std::string_view id = report.message_id;
  const std::size_t at = id.rfind('@');
  if (id.size() > 3 && id.front() == '<' && id.back() == '>' && at != std::string_view::npos &&
      at > 1) {
    // "<x@d>" → "<on-duty.x@d>": one per phone report, the same on a resend.
    return "<on-duty." + std::string(id.substr(1, at - 1)) + std::string(id.substr(at));
  }
  return MessageId("on-duty.report-" + std::to_string(report.id), "mimamori.invalid");
}

Outbox::Outbox(Ledger& ledger, MailSender* mail, PhoneSender* phone, OutboxSettings settings,
               const Clock& clock)
    : ledger_(ledger), mail_(mail), phone_(phone), settings_(std::move(settings)), clock_(clock) {}

LedgerStatus Outbox::Recover() {
  auto recovered = ledger_.RecoverAfterCrash(clock_.Now());
  if (!recovered) {
    Log(LogLevel::kError,
        "outbox: cannot put back reports left sending by a crash: " + recovered.error().message);
    return recovered.error();
  }
  for (const Report& r : *recovered) {
    LogReport(LogLevel::kWarning, r,
              Describe(r) + " was being sent when the collector stopped (attempt " +
                  std::to_string(r.attempts) +
                  "); it is resent with the same Message-ID and may reach its recipients twice");
  }
  return std::nullopt;
}

TimePoint Outbox::Backoff(int attempts, TimePoint now) const {
  // Doubling stops at max, so large attempt counts cannot overflow.
  std::chrono::seconds delay = settings_.retry.initial;
  for (int i = 1; i < attempts && delay < settings_.retry.max; ++i) delay *= 2;
  return now + std::min(delay, settings_.retry.max);
}

void Outbox::Fail(Pass& pass, const LedgerError& error, const Report* report) {
  // Loud: alerting that cannot record what it does needs an operator.
  const std::string text = "outbox stopped: the ledger cannot be used: " + error.message;
  if (report != nullptr) {
    LogReport(LogLevel::kError, *report, text);
  } else {
    Log(LogLevel::kError, text);
  }
  if (!pass.error) pass.error = error;
}

Outbox::Step Outbox::Record(Outcome outcome, Pass& pass) {
  LedgerStatus status;
  switch (outcome.kind) {
    case Outcome::Kind::kSent:
      status = ledger_.MarkSent(outcome.report.id, outcome.at, outcome.text);
      break;
    case Outcome::Kind::kRetry:
      status = ledger_.MarkFailed(outcome.report.id, outcome.text, outcome.at);
      break;
    case Outcome::Kind::kFailedPermanently:
      status = ledger_.MarkFailedPermanently(outcome.report.id, outcome.text);
      break;
  }
  if (!status) {
    switch (outcome.kind) {
      case Outcome::Kind::kSent:
        ++pass.sent;
        break;
      case Outcome::Kind::kRetry:
        ++pass.retried;
        break;
      case Outcome::Kind::kFailedPermanently:
        ++pass.failed_permanently;
        break;
    }
    return Step::kDone;
  }
  Fail(pass, *status, &outcome.report);
  if (status->kind == LedgerErrorKind::kWrongState || status->kind == LedgerErrorKind::kNotFound) {
    // Someone else moved the row (a second sender on this ledger, or an
    // operator): writing again cannot help.
    return Step::kLedgerError;
  }
  LogReport(LogLevel::kError, outcome.report,
            "the outcome is kept in memory and recorded by the next pass; until then the report "
            "stays \"sending\" in the ledger");
  unrecorded_.push_back(std::move(outcome));
  return Step::kLedgerError;
}

Outbox::Step Outbox::RecordSent(const Report& r, TimePoint at, const std::string& reply,
                                Pass& pass) {
  return Record(Outcome{Outcome::Kind::kSent, r, at, reply}, pass);
}

Outbox::Step Outbox::RecordRetry(const Report& r, const std::string& error, Pass& pass) {
  const TimePoint retry_at = Backoff(r.attempts, clock_.Now());
  LogReport(LogLevel::kWarning, r,
            Describe(r) + " attempt " + std::to_string(r.attempts) + " failed, retry at " +
                FormatReportTime(retry_at) + ": " + error);
  return Record(Outcome{Outcome::Kind::kRetry, r, retry_at, error}, pass);
}

Outbox::Step Outbox::RecordPermanent(const Report& r, const std::string& error, Pass& pass) {
  LogReport(LogLevel::kError, r,
            Describe(r) +
                " FAILED PERMANENTLY, will not be retried; an operator must deliver it: " + error);
  return Record(Outcome{Outcome::Kind::kFailedPermanently, r, {}, error}, pass);
}

bool Outbox::FlushUnrecorded(Pass& pass) {
  while (!unrecorded_.empty()) {
    Outcome outcome = unrecorded_.front();
    unrecorded_.erase(unrecorded_.begin());
    const std::size_t before = unrecorded_.size();
    if (Record(outcome, pass) != Step::kDone) {
      // Record put it back at the end; keep the original order.
      if (unrecorded_.size() > before) {
        std::rotate(unrecorded_.begin(), unrecorded_.end() - 1, unrecorded_.end());
      }
      return false;
    }
    LogReport(LogLevel::kInfo, outcome.report,
              "recorded the outcome that could not be written earlier");
  }
  return true;
}

std::optional<Report> Outbox::Claim(const Report& report, Pass& pass, Step& step) {
  auto claimed = ledger_.ClaimForSending(report.id, clock_.Now());
  if (claimed) return std::move(*claimed);
  const LedgerError& error = claimed.error();
  if (error.kind == LedgerErrorKind::kWrongState || error.kind == LedgerErrorKind::kNotFound) {
    LogReport(LogLevel::kWarning, report, "not sent: " + error.message);
    step = Step::kSkipped;
  } else {
    Fail(pass, error, &report);
    step = Step::kLedgerError;
  }
  return std::nullopt;
}

LedgerResult<bool> Outbox::EarlierUnsent(const Report& report) {
  if (!report.incident_id || report.report_number <= 1) return false;
  auto timeline = ledger_.Timeline(*report.incident_id);
  if (!timeline) return timeline.error();
  for (const Report& other : timeline->reports) {
    if (other.channel != report.channel || other.report_number >= report.report_number) continue;
    if (other.status == ReportStatus::kPending || other.status == ReportStatus::kSending) {
      return true;
    }
  }
  return false;
}

void Outbox::NoteMailResult(const SendResult& result, const Report& report,
                            const std::string& what) {
  if (!ServerUnreachable(result)) {
    if (mail_channel_.failures > 0 && (result.ok || !result.server_reply.empty())) {
      // The server answered: log the recovery once (collectd's "complain"
      // pattern: once on failure, with back-off, once on recovery).
      LogReport(LogLevel::kInfo, report,
                "mail server reachable again after " + std::to_string(mail_channel_.failures) +
                    " failed attempts (last: " + mail_channel_.last_error + ")");
      mail_channel_ = ChannelState{};
    }
    return;
  }
  ++mail_channel_.failures;
  mail_channel_.last_error = result.error;
  mail_channel_.blocked_until = Backoff(mail_channel_.failures, clock_.Now());
  LogReport(LogLevel::kWarning, report,
            "mail server unreachable (" + what + ", failure " +
                std::to_string(mail_channel_.failures) + "): " + result.error +
                "; all mail held back until " + FormatReportTime(*mail_channel_.blocked_until) +
                " so that reports leave in order when it is back");
}

MailMessage Outbox::ReportMail(const Report& r) const {
  MailMessage m;
  m.from = settings_.from;
  m.from_name = settings_.from_name;
  m.to = r.recipients;
  m.subject = r.subject;
  m.body = r.body;
  // The row's own time, not now: a resend after a crash is then the same
  // bytes, and a receiver can tell it from a new report.
  m.date = r.created_at;
  m.message_id = r.message_id;
  if (r.incident_id && r.report_number > 1) {
    m.thread_root =
        ReportMessageId(std::to_string(*r.incident_id), 1, MessageIdDomain(r.message_id));
  }
  return m;
}

MailMessage Outbox::HandOffMail(const Report& r, const std::string& why) const {
  MailMessage m;
  m.from = settings_.from;
  m.from_name = settings_.from_name;
  m.to = settings_.on_duty;
  m.subject = HandOffSubject(settings_.platform_name, r);
  m.date = r.created_at;
  m.message_id = HandOffMessageId(r);
  std::string body;
  body += "電話連絡をお願いします（call required）。\n";
  body += "この報告は電話で伝える必要がありますが、電話連絡チャネルで届けられなかったため、\n";
  body += "当番の方に依頼します。\n";
  body += "理由: " + why + "\n\n";
  body += "■電話する相手\n";
  if (r.recipients.empty()) body += "（指定なし）\n";
  for (const std::string& target : r.recipients) body += "・" + target + "\n";
  body += "\n■期限\n" + FormatReportTime(r.due_at) + " まで\n\n";
  body += "■伝える内容\n";
  body += "件名: " + r.subject + "\n\n";
  body += r.body;
  if (!r.body.ends_with('\n')) body += '\n';
  body += "\n--\n";
  if (r.incident_id) {
    body += "インシデント番号: " + std::to_string(*r.incident_id) + " 第" +
            std::to_string(r.report_number) + "報\n";
  }
  body += "報告 " + std::to_string(r.id) + " (" + std::string(ToString(r.kind)) + ", " +
          r.message_id + ")\n";
  m.body = std::move(body);
  return m;
}

Outbox::Step Outbox::HandOff(const Report& claimed, const std::string& why, Pass& pass) {
  if (settings_.on_duty.empty()) {
    return RecordPermanent(
        claimed, "no phone channel could take it (" + why + ") and alerting.on_duty is empty",
        pass);
  }
  if (mail_ == nullptr) {
    // Like a mail report: kept until mail is configured, never dropped.
    return RecordRetry(claimed,
                       why + "; cannot hand it to the on-duty mail: mail is not configured", pass);
  }
  const MailMessage message = HandOffMail(claimed, why);
  const std::string to = Join(settings_.on_duty, ", ");
  const EncodedMail encoded = EncodeMail(message);
  if (!encoded.ok()) {
    return RecordPermanent(
        claimed, why + "; cannot build the on-duty mail to " + to + ": " + encoded.error, pass);
  }
  const SendResult result = mail_->Send(message, settings_.on_duty);
  if (result.ok) {
    // Recorded first: the duplicate window ends here.
    const Step step = RecordSent(claimed, clock_.Now(),
                                 "handed to on-duty mail " + to + ": " + result.server_reply, pass);
    NoteMailResult(result, claimed, "on-duty mail " + message.message_id);
    LogReport(LogLevel::kWarning, claimed,
              Describe(claimed) + " handed to the on-duty mail " + to + " (" + why +
                  "): " + result.server_reply);
    return step;
  }
  NoteMailResult(result, claimed, "on-duty mail " + message.message_id);
  const std::string error = why + "; on-duty mail to " + to + ": " + result.error;
  if (!result.retryable) return RecordPermanent(claimed, error, pass);
  return RecordRetry(claimed, error, pass);
}

Outbox::Step Outbox::HandleMail(const Report& report, Pass& pass) {
  Step step = Step::kDone;
  std::optional<Report> claimed = Claim(report, pass, step);
  if (!claimed) return step;
  const MailMessage message = ReportMail(*claimed);
  const EncodedMail encoded = EncodeMail(message);
  if (!encoded.ok()) {
    return RecordPermanent(*claimed, "cannot build the mail: " + encoded.error, pass);
  }
  const SendResult result = mail_->Send(message, claimed->recipients);
  if (result.ok) {
    // MarkSent before anything else: the time from the server's reply to
    // this commit is the only window in which a crash causes a duplicate.
    const Step recorded = RecordSent(*claimed, clock_.Now(), result.server_reply, pass);
    NoteMailResult(result, *claimed, Describe(*claimed));
    LogReport(LogLevel::kInfo, *claimed,
              Describe(*claimed) + " sent to " + Join(claimed->recipients, ", ") + ": " +
                  result.server_reply);
    return recorded;
  }
  NoteMailResult(result, *claimed, Describe(*claimed));
  if (!result.retryable) return RecordPermanent(*claimed, result.error, pass);
  return RecordRetry(*claimed, result.error, pass);
}

Outbox::Step Outbox::HandlePhone(const Report& report, Pass& pass) {
  const int allowed = std::max(1, settings_.retry.phone_attempts);
  if (phone_ == nullptr || report.attempts >= allowed) {
    const std::string why = phone_ == nullptr ? "no phone channel is configured"
                                              : "phone channel " + phone_->Describe() + " failed " +
                                                    std::to_string(report.attempts) +
                                                    " times (last: " + report.last_error + ")";
    if (!settings_.on_duty.empty()) {
      // The hand-off is a mail: it waits for the mail channel like any mail.
      if (mail_ == nullptr) return Step::kSkipped;
      if (mail_channel_.blocked_until && clock_.Now() < *mail_channel_.blocked_until) {
        return Step::kSkipped;
      }
    }
    Step step = Step::kDone;
    std::optional<Report> claimed = Claim(report, pass, step);
    if (!claimed) return step;
    return HandOff(*claimed, why, pass);
  }

  Step step = Step::kDone;
  std::optional<Report> claimed = Claim(report, pass, step);
  if (!claimed) return step;
  PhoneCall call;
  call.idempotency_key = claimed->message_id;
  call.incident_id = IncidentField(*claimed);
  call.report_number = claimed->report_number;
  call.report_kind = std::string(ToString(claimed->kind));
  call.targets = claimed->recipients;
  call.subject = claimed->subject;
  call.body = claimed->body;
  call.due_at = claimed->due_at;
  const SendResult result = phone_->Call(call);
  if (result.ok) {
    const Step recorded = RecordSent(*claimed, clock_.Now(), result.server_reply, pass);
    LogReport(LogLevel::kInfo, *claimed,
              Describe(*claimed) + " handed to " + phone_->Describe() + " for " +
                  Join(claimed->recipients, ", ") + ": " + result.server_reply);
    return recorded;
  }
  const std::string error = "phone channel " + phone_->Describe() + ": " + result.error;
  if (!result.retryable) return HandOff(*claimed, error + " (not retryable)", pass);
  if (claimed->attempts >= allowed) {
    return HandOff(*claimed,
                   error + " (attempt " + std::to_string(claimed->attempts) + " of " +
                       std::to_string(allowed) + ")",
                   pass);
  }
  return RecordRetry(*claimed, error, pass);
}

Outbox::Step Outbox::Handle(const Report& report, Pass& pass) {
  if (report.channel == Channel::kMail) {
    if (mail_ == nullptr) return Step::kSkipped;
    if (mail_channel_.blocked_until && clock_.Now() < *mail_channel_.blocked_until) {
      return Step::kSkipped;
    }
  }
  auto earlier = EarlierUnsent(report);
  if (!earlier) {
    Fail(pass, earlier.error(), &report);
    return Step::kLedgerError;
  }
  if (*earlier) return Step::kBlocked;
  return report.channel == Channel::kMail ? HandleMail(report, pass) : HandlePhone(report, pass);
}

std::optional<TimePoint> Outbox::NextAttempt(TimePoint now, bool mail_held_back, Pass& pass) {
  const bool mail_blocked = mail_channel_.blocked_until && now < *mail_channel_.blocked_until;
  // Reports due now that this pass held back for the mail channel go when it
  // may be tried again.
  std::optional<TimePoint> next;
  if (mail_held_back && mail_blocked) next = *mail_channel_.blocked_until;
  // A bound for the query: a day ahead (or the longest back-off, if longer)
  // covers every retry and any not_before the engine sets; beyond it the
  // caller's regular passes come first anyway.
  const auto horizon = std::max<std::chrono::seconds>(settings_.retry.max, std::chrono::hours(24));
  auto rows = ledger_.UpcomingAttempts(now, now + horizon, kBatch * 5);
  if (!rows) {
    Fail(pass, rows.error(), nullptr);
    return now + settings_.retry.initial;
  }
  for (const ReportAttempt& r : *rows) {
    const bool needs_mail =
        r.channel == Channel::kMail ||
        (!settings_.on_duty.empty() &&
         (phone_ == nullptr || r.attempts >= std::max(1, settings_.retry.phone_attempts)));
    if (needs_mail && mail_ == nullptr) continue;
    TimePoint t = r.next_attempt_at;
    if (needs_mail && mail_blocked) t = std::max(t, *mail_channel_.blocked_until);
    if (!next || t < *next) next = t;
  }
  return next;
}

Outbox::Pass Outbox::RunOnce() {
  Pass pass;
  if (!FlushUnrecorded(pass)) {
    pass.next_attempt = clock_.Now() + settings_.retry.initial;
    return pass;
  }
  std::set<ReportId> seen;
  std::vector<Report> waiting_for_mail;  // mail not configured
  std::vector<Report> held_back;         // mail channel backing off
  for (;;) {
    const TimePoint now = clock_.Now();
    auto due = ledger_.DueReports(now, static_cast<int>(seen.size()) + kBatch);
    if (!due) {
      Fail(pass, due.error(), nullptr);
      break;
    }
    bool progressed = false;
    bool stop = false;
    for (const Report& r : *due) {
      if (seen.contains(r.id)) continue;
      const Step step = Handle(r, pass);
      if (step == Step::kLedgerError) {
        stop = true;
        break;
      }
      if (step == Step::kBlocked) continue;  // retried once the earlier one went
      seen.insert(r.id);
      progressed = true;
      if (step == Step::kSkipped) {
        (mail_ == nullptr ? waiting_for_mail : held_back).push_back(r);
      }
    }
    if (stop || !progressed) break;
  }
  if (!waiting_for_mail.empty()) {
    // Once per pass, naming every report kept back, so none looks dropped.
    std::vector<std::string> reports;
    std::set<IncidentId> incidents;
    for (const Report& r : waiting_for_mail) {
      reports.push_back(std::to_string(r.id));
      if (r.incident_id) incidents.insert(*r.incident_id);
    }
    std::vector<std::string> ids;
    for (IncidentId id : incidents) ids.push_back(std::to_string(id));
    const std::string incident_list = Join(ids, ",");
    LogSubject subject;
    subject.incident = incident_list;
    Log(LogLevel::kWarning, subject,
        "report=" + Join(reports, ",") +
            " stay pending: mail is not configured (alerting.mail.url is empty)");
  }
  if (!held_back.empty() && mail_channel_.blocked_until) {
    for (const Report& r : held_back) {
      LogReport(LogLevel::kDebug, r,
                Describe(r) + " held back until " + FormatReportTime(*mail_channel_.blocked_until) +
                    ": mail server unreachable");
    }
  }
  const TimePoint now = clock_.Now();
  pass.next_attempt = pass.error ? std::optional<TimePoint>(now + settings_.retry.initial)
                                 : NextAttempt(now, !held_back.empty(), pass);
  return pass;
}

}  // namespace mimamori::collector
