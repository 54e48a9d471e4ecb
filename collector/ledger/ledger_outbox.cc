// The outbox: reports queued, claimed, sent, retried and recovered after a crash.
#include "collector/ledger/ledger.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <map>
#include <system_error>

#include "collector/ledger/ledger_internal.h"

namespace mimamori::collector {

using namespace ledger_internal;  // NOLINT: this file is the ledger

// ---------------------------------------------------------------------------
// The outbox

LedgerResult<int> Ledger::NextReportNumber(IncidentId id) {
  const std::string what = "number the next report of incident " + Id(id);
  Stmt st(db_,
          "SELECT (SELECT COUNT(*) FROM incidents WHERE id = ?1), "
          "COALESCE((SELECT MAX(report_number) FROM reports WHERE incident_id = ?1), 0) + 1");
  st.Bind(1, id);
  SqlCode rc = st.Step();
  if (rc != SqlCode::kRow) return Error(what, rc);
  if (st.Int(0) == 0) return Error(LedgerErrorKind::kNotFound, what, "no such incident");
  return st.Int(1);
}

LedgerResult<ReportId> Ledger::EnqueueReport(const NewReport& r) {
  std::string what = "queue the " + std::string(ToString(r.kind)) + " " +
                     std::string(ToString(r.channel)) + " report";
  if (r.incident_id) what += " of incident " + Id(*r.incident_id);
  if (r.suppression_id) what += " of suppression " + Id(*r.suppression_id);
  const bool suppression_kind =
      r.kind == ReportKind::kSuppressionStart || r.kind == ReportKind::kMonitoringResumed;
  if (r.incident_id.has_value() == r.suppression_id.has_value() ||
      suppression_kind != r.suppression_id.has_value()) {
    return Error(LedgerErrorKind::kInvalidArgument, what,
                 "suppression mails name a suppression, other reports an incident (exactly one)");
  }
  if (r.recipients.empty()) {
    return Error(LedgerErrorKind::kInvalidArgument, what, "there are no recipients");
  }
  for (const auto& recipient : r.recipients) {
    if (recipient.empty() || recipient.find('\n') != std::string::npos) {
      return Error(LedgerErrorKind::kInvalidArgument, what,
                   "a recipient is empty or holds a line break");
    }
  }
  if (r.report_number < 1) {
    return Error(LedgerErrorKind::kInvalidArgument, what, "the report number is below 1");
  }
  Savepoint sp(*this, true, what);
  if (sp.status()) return *sp.status();
  Stmt st(db_,
          "INSERT INTO reports (incident_id, suppression_id, report_number, kind, channel, "
          "recipients, subject, body, message_id, due_at, created_at, next_attempt_at) "
          "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12) RETURNING id");
  st.Bind(1, r.incident_id)
      .Bind(2, r.suppression_id)
      .Bind(3, r.report_number)
      .Bind(4, ToString(r.kind))
      .Bind(5, ToString(r.channel))
      .Bind(6, JoinLines(r.recipients))
      .Bind(7, r.subject)
      .Bind(8, r.body)
      .Bind(9, r.message_id)  // "" is replaced below, in the same savepoint
      .Bind(10, r.due_at)
      .Bind(11, r.created_at)
      .Bind(12, r.not_before.value_or(r.created_at));
  ReportId id = 0;
  SqlCode rc = st.StepReturningId(id);
  if (rc != SqlCode::kDone) return Error(what, rc);
  if (r.message_id.empty()) {
    std::string message_id = "<r" + Id(id) + (token_.empty() ? "" : "." + token_) + "@" +
                             options_.message_id_domain + ">";
    Stmt update(db_, "UPDATE reports SET message_id = ?1 WHERE id = ?2");
    update.Bind(1, message_id).Bind(2, id);
    rc = update.Step();
    if (rc != SqlCode::kDone) return Error(what, rc);
  }
  if (auto err = sp.Release()) return *err;
  return id;
}

LedgerResult<Report> Ledger::GetReport(ReportId id) {
  const std::string what = "read report " + Id(id);
  Stmt st(db_, std::string("SELECT ") + kReportColumns + " FROM reports WHERE id = ?1");
  st.Bind(1, id);
  std::vector<Report> rows;
  std::string bad;
  if (auto err = RowsStatus(ReadAll(st, rows, bad), bad, what)) return *err;
  if (rows.empty()) return Error(LedgerErrorKind::kNotFound, what, "no such report");
  return std::move(rows.front());
}

LedgerResult<std::vector<Report>> Ledger::DueReports(LedgerTime now, int limit) {
  const std::string what = "list due reports";
  Stmt st(db_, std::string("SELECT ") + kReportColumns +
                   " FROM reports WHERE status = 'pending' AND next_attempt_at <= ?1 "
                   "ORDER BY due_at, id LIMIT ?2");
  st.Bind(1, now).Bind(2, limit);
  std::vector<Report> rows;
  std::string bad;
  if (auto err = RowsStatus(ReadAll(st, rows, bad), bad, what)) return *err;
  return rows;
}

LedgerResult<std::vector<ReportAttempt>> Ledger::UpcomingAttempts(LedgerTime after,
                                                                  LedgerTime until, int limit) {
  const std::string what = "list upcoming report attempts";
  Stmt st(db_,
          "SELECT id, channel, attempts, next_attempt_at FROM reports "
          "WHERE status = 'pending' AND next_attempt_at > ?1 AND next_attempt_at <= ?2 "
          "ORDER BY next_attempt_at, id LIMIT ?3");
  st.Bind(1, after).Bind(2, until).Bind(3, limit);
  std::vector<ReportAttempt> rows;
  std::string bad;
  SqlCode rc;
  while ((rc = st.Step()) == SqlCode::kRow) {
    ReportAttempt row;
    row.id = st.Int64(0);
    row.channel = st.Enum<Channel>(1, kChannelNames, bad);
    row.attempts = st.Int(2);
    row.next_attempt_at = st.Time(3);
    rows.push_back(row);
  }
  if (auto err = RowsStatus(rc, bad, what)) return *err;
  return rows;
}

LedgerResult<Report> Ledger::ClaimForSending(ReportId id, LedgerTime now) {
  const std::string what = "claim report " + Id(id) + " for sending";
  Savepoint sp(*this, true, what);
  if (sp.status()) return *sp.status();
  // The status guard makes the claim atomic: of two senders, one wins.
  Stmt st(db_,
          "UPDATE reports SET status = 'sending', attempts = attempts + 1, claimed_at = ?1 "
          "WHERE id = ?2 AND status = 'pending'");
  st.Bind(1, now).Bind(2, id);
  SqlCode rc = st.Step();
  if (rc != SqlCode::kDone) return Error(what, rc);
  if (db_->Changes() == 0) {
    return MissingOrWrongState("reports", id, what, "the report is not pending");
  }
  auto report = GetReport(id);
  if (!report) return report.error();
  if (auto err = sp.Release()) return *err;
  return report;
}

LedgerStatus Ledger::MarkSent(ReportId id, LedgerTime sent_at, const std::string& server_reply) {
  const std::string what = "mark report " + Id(id) + " sent";
  Savepoint sp(*this, true, what);
  if (sp.status()) return sp.status();
  Stmt st(db_,
          "UPDATE reports SET status = 'sent', sent_at = ?1, server_reply = ?2 "
          "WHERE id = ?3 AND status = 'sending'");
  st.Bind(1, sent_at).Bind(2, server_reply).Bind(3, id);
  SqlCode rc = st.Step();
  if (rc != SqlCode::kDone) return Error(what, rc);
  if (db_->Changes() == 0) {
    return MissingOrWrongState("reports", id, what, "the report is not being sent");
  }
  // The suppression's flags change with the report, in the same commit, so
  // they can never claim a mail that was not sent.
  Stmt flags(db_,
             "UPDATE suppressions SET "
             "start_mail_sent = CASE WHEN r.kind = 'suppression-start' THEN 1 "
             "  ELSE start_mail_sent END, "
             "end_mail_sent = CASE WHEN r.kind = 'monitoring-resumed' THEN 1 "
             "  ELSE end_mail_sent END "
             "FROM (SELECT suppression_id, kind FROM reports WHERE id = ?1) AS r "
             "WHERE suppressions.id = r.suppression_id");
  flags.Bind(1, id);
  rc = flags.Step();
  if (rc != SqlCode::kDone) return Error(what, rc);
  return sp.Release();
}

LedgerStatus Ledger::MarkFailed(ReportId id, const std::string& error, LedgerTime retry_at) {
  const std::string what = "mark report " + Id(id) + " failed";
  Savepoint sp(*this, true, what);
  if (sp.status()) return sp.status();
  Stmt st(db_,
          "UPDATE reports SET status = 'pending', next_attempt_at = ?1, last_error = ?2 "
          "WHERE id = ?3 AND status = 'sending'");
  st.Bind(1, retry_at).Bind(2, error).Bind(3, id);
  SqlCode rc = st.Step();
  if (rc != SqlCode::kDone) return Error(what, rc);
  if (db_->Changes() == 0) {
    return MissingOrWrongState("reports", id, what, "the report is not being sent");
  }
  return sp.Release();
}

LedgerStatus Ledger::MarkFailedPermanently(ReportId id, const std::string& error) {
  const std::string what = "mark report " + Id(id) + " failed permanently";
  Savepoint sp(*this, true, what);
  if (sp.status()) return sp.status();
  Stmt st(db_,
          "UPDATE reports SET status = 'failed-permanently', last_error = ?1 "
          "WHERE id = ?2 AND status = 'sending'");
  st.Bind(1, error).Bind(2, id);
  SqlCode rc = st.Step();
  if (rc != SqlCode::kDone) return Error(what, rc);
  if (db_->Changes() == 0) {
    return MissingOrWrongState("reports", id, what, "the report is not being sent");
  }
  return sp.Release();
}

LedgerResult<std::vector<Report>> Ledger::RecoverAfterCrash(LedgerTime now) {
  const std::string what = "recover reports left sending";
  Savepoint sp(*this, true, what);
  if (sp.status()) return *sp.status();
  // message_id is left alone on purpose: the resend must carry the same one.
  Stmt st(db_,
          "UPDATE reports SET status = 'pending', next_attempt_at = ?1, "
          "last_error = 'interrupted while sending (attempt ' || attempts || "
          "'); resent with the same Message-ID' "
          "WHERE status = 'sending' RETURNING id");
  st.Bind(1, now);
  std::vector<ReportId> ids;
  SqlCode rc;
  while ((rc = st.Step()) == SqlCode::kRow) ids.push_back(st.Int64(0));
  if (rc != SqlCode::kDone) return Error(what, rc);
  std::vector<Report> recovered;
  for (ReportId id : ids) {
    auto report = GetReport(id);
    if (!report) return report.error();
    recovered.push_back(std::move(*report));
  }
  if (auto err = sp.Release()) return *err;
  std::sort(recovered.begin(), recovered.end(),
            [](const Report& a, const Report& b) { return a.id < b.id; });
  return recovered;
}

}  // namespace mimamori::collector
