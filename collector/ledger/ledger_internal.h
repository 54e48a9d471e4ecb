// Internal to the ledger: the statement wrapper, row readers and time/name
// helpers shared by the files that implement Ledger (one per group of
// tables), on either engine (sql_connection.h). Not part of the ledger's
// interface.
#pragma once

#include <array>
#include <chrono>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "collector/ledger/ledger.h"
#include "collector/ledger/sql_connection.h"

namespace mimamori::collector::ledger_internal {

using std::chrono::milliseconds;

// ---------------------------------------------------------------------------
// Names

inline constexpr std::array<std::string_view, 7> kErrorKindNames = {
    "storage", "busy", "schema", "duplicate", "not found", "wrong state", "invalid argument"};
inline constexpr std::array<std::string_view, 2> kScopeNames = {"platform", "vm"};
inline constexpr std::array<std::string_view, 2> kPriorityNames = {"high", "low"};
inline constexpr std::array<std::string_view, 2> kIncidentStatusNames = {"open", "closed"};
inline constexpr std::array<std::string_view, 10> kEventKindNames = {
    "opened",     "state-change", "priority-change", "acknowledged",      "progress",
    "work-start", "work-done",    "closed",          "provisional-close", "cause-change"};
inline constexpr std::array<std::string_view, 3> kCauseNames = {"platform", "system", "unknown"};
inline constexpr std::array<std::string_view, 3> kInventoryChangeNames = {"added", "changed",
                                                                          "removed"};
inline constexpr std::array<std::string_view, 7> kReportKindNames = {"first",
                                                                     "continuing",
                                                                     "final",
                                                                     "work-start",
                                                                     "work-done",
                                                                     "suppression-start",
                                                                     "monitoring-resumed"};
inline constexpr std::array<std::string_view, 2> kChannelNames = {"mail", "phone"};
inline constexpr std::array<std::string_view, 4> kReportStatusNames = {"pending", "sending", "sent",
                                                                       "failed-permanently"};
inline constexpr std::array<std::string_view, 2> kSuppressionTargetNames = {"node", "system"};
inline constexpr std::array<std::string_view, 5> kLevels = {"A", "B", "C", "C-dev", ""};
// In the order of Status's values.
inline constexpr std::array<std::string_view, 4> kStatusNames = {"OK", "WARNING", "CRITICAL",
                                                                 "UNKNOWN"};

template <typename E, std::size_t N>
inline std::string_view NameOf(E value, const std::array<std::string_view, N>& names) {
  return names.at(static_cast<std::size_t>(value));
}

// ---------------------------------------------------------------------------
// Time: INTEGER milliseconds since the Unix epoch.

inline std::int64_t ToMs(LedgerTime t) {
  return std::chrono::duration_cast<milliseconds>(t.time_since_epoch()).count();
}
inline LedgerTime FromMs(std::int64_t ms) {
  return LedgerTime(std::chrono::duration_cast<LedgerTime::duration>(milliseconds(ms)));
}

inline std::string JoinLines(const std::vector<std::string>& lines) {
  std::string out;
  for (const auto& line : lines) {
    if (!out.empty()) out += '\n';
    out += line;
  }
  return out;
}

inline std::vector<std::string> SplitLines(const std::string& text) {
  std::vector<std::string> out;
  std::size_t start = 0;
  while (start <= text.size() && !text.empty()) {
    std::size_t end = text.find('\n', start);
    if (end == std::string::npos) end = text.size();
    out.push_back(text.substr(start, end - start));
    start = end + 1;
  }
  return out;
}

// ---------------------------------------------------------------------------
// A prepared statement on either engine. A failed prepare or bind is kept and
// returned by the first Step, so call sites check one code.

class Stmt {
 public:
  Stmt(SqlConnection& db, const std::string& sql) : st_(db.Prepare(sql)) {}
  Stmt(const std::unique_ptr<SqlConnection>& db, const std::string& sql) : Stmt(*db, sql) {}
  Stmt(const Stmt&) = delete;
  Stmt& operator=(const Stmt&) = delete;

  Stmt& Bind(int i, std::int64_t v) {
    st_->BindInt64(i, v);
    return *this;
  }
  Stmt& Bind(int i, int v) { return Bind(i, static_cast<std::int64_t>(v)); }
  Stmt& Bind(int i, std::string_view v) {
    st_->BindText(i, v);
    return *this;
  }
  Stmt& Bind(int i, const std::string& v) { return Bind(i, std::string_view(v)); }
  Stmt& Bind(int i, const char* v) { return Bind(i, std::string_view(v)); }
  Stmt& Bind(int i, LedgerTime t) { return Bind(i, ToMs(t)); }
  Stmt& Bind(int i, double v) {
    st_->BindDouble(i, v);
    return *this;
  }
  Stmt& BindNull(int i) {
    st_->BindNull(i);
    return *this;
  }

  /// Makes the statement ready to run again with new bindings, so a loop
  /// pays for one prepare. A failed prepare stays failed.
  void Reset() { st_->Reset(); }
  Stmt& Bind(int i, std::optional<std::int64_t> v) { return v ? Bind(i, *v) : BindNull(i); }
  Stmt& Bind(int i, std::optional<double> v) { return v ? Bind(i, *v) : BindNull(i); }
  Stmt& Bind(int i, std::optional<std::string_view> v) { return v ? Bind(i, *v) : BindNull(i); }
  Stmt& Bind(int i, std::optional<LedgerTime> t) { return t ? Bind(i, *t) : BindNull(i); }

  /// kRow, kDone, or an error.
  SqlCode Step() { return st_->Step(); }
  /// Runs an INSERT ... RETURNING id: kDone with `id` set, or the error.
  SqlCode StepReturningId(std::int64_t& id) {
    const SqlCode rc = Step();
    if (rc != SqlCode::kRow) return rc == SqlCode::kDone ? SqlCode::kSqlError : rc;
    id = Int64(0);
    // To the end: SQLite keeps an unfinished write statement open, which
    // would make the transaction's COMMIT fail.
    return Step();
  }

  bool Null(int c) const { return st_->Null(c); }
  std::int64_t Int64(int c) const { return st_->Int64(c); }
  int Int(int c) const { return static_cast<int>(st_->Int64(c)); }
  double Double(int c) const { return st_->Double(c); }
  std::string Text(int c) const { return st_->Text(c); }
  LedgerTime Time(int c) const { return FromMs(Int64(c)); }
  std::optional<LedgerTime> OptTime(int c) const {
    return Null(c) ? std::nullopt : std::optional<LedgerTime>(Time(c));
  }
  std::optional<std::int64_t> OptInt64(int c) const {
    return Null(c) ? std::nullopt : std::optional<std::int64_t>(Int64(c));
  }

  /// Reads an enum column; an unknown text is recorded in `bad` (a file
  /// written by a newer schema, or edited by hand).
  template <typename E, std::size_t N>
  E Enum(int c, const std::array<std::string_view, N>& names, std::string& bad) const {
    std::string text = Text(c);
    for (std::size_t i = 0; i < N; ++i) {
      if (names[i] == text) return static_cast<E>(i);
    }
    if (bad.empty()) {
      bad = std::string("unknown value \"") + text + "\" in column " + st_->ColumnName(c);
    }
    return static_cast<E>(0);
  }

 private:
  std::unique_ptr<SqlStatement> st_;
};

/// Statements of many rows each ("INSERT ... VALUES (...), (...), ..."): one
/// round trip, and on PostgreSQL one prepared statement, for many rows. The
/// statement of `full_rows` rows is prepared once and reused; a shorter one
/// (a last slice) is prepared for its call.
class MultiRowStatement {
 public:
  MultiRowStatement(SqlConnection& db, std::size_t full_rows,
                    std::function<std::string(std::size_t rows)> sql_for)
      : db_(db), full_rows_(full_rows), sql_for_(std::move(sql_for)) {}

  /// The statement of `rows` rows, ready for its bindings.
  Stmt& For(std::size_t rows) {
    if (rows != full_rows_) return partial_.emplace(db_, sql_for_(rows));
    if (full_) {
      full_->Reset();
      return *full_;
    }
    return full_.emplace(db_, sql_for_(rows));
  }

 private:
  SqlConnection& db_;
  std::size_t full_rows_;
  std::function<std::string(std::size_t)> sql_for_;
  std::optional<Stmt> full_;
  std::optional<Stmt> partial_;
};

// Row readers: one per row type, each matching its column list.

inline constexpr const char* kIncidentColumns =
    "id, class, scope, title, priority, service_level, status, opened_at, detected_at, "
    "closed_at, closed_by, acknowledged_at, acknowledged_by, cause, opened_by, "
    "provisional_closed_at, provisional_closed_by";

inline void ReadRow(const Stmt& st, Incident& row, std::string& bad) {
  row.id = st.Int64(0);
  row.incident_class = st.Text(1);
  row.scope = st.Enum<IncidentScope>(2, kScopeNames, bad);
  row.title = st.Text(3);
  row.priority = st.Enum<Priority>(4, kPriorityNames, bad);
  row.service_level = st.Text(5);
  row.status = st.Enum<IncidentStatus>(6, kIncidentStatusNames, bad);
  row.opened_at = st.Time(7);
  row.detected_at = st.Time(8);
  row.closed_at = st.OptTime(9);
  row.closed_by = st.Text(10);
  row.acknowledged_at = st.OptTime(11);
  row.acknowledged_by = st.Text(12);
  row.cause = st.Enum<IncidentCause>(13, kCauseNames, bad);
  row.opened_by = st.Text(14);
  row.provisional_closed_at = st.OptTime(15);
  row.provisional_closed_by = st.Text(16);
}

inline constexpr const char* kMonitorColumns =
    "incident_id, node, monitor, system, attached_at, kind, status";

inline void ReadRow(const Stmt& st, IncidentMonitor& row, std::string& bad) {
  row.incident_id = st.Int64(0);
  row.node = st.Text(1);
  row.monitor = st.Text(2);
  row.system = st.Text(3);
  row.attached_at = st.Time(4);
  row.kind = st.Text(5);
  row.status = st.Enum<Status>(6, kStatusNames, bad);
}

inline constexpr const char* kVmColumns = "incident_id, vm, system, host, added_at";

inline void ReadRow(const Stmt& st, AffectedVm& row, std::string&) {
  row.incident_id = st.Int64(0);
  row.vm = st.Text(1);
  row.system = st.Text(2);
  row.host = st.Text(3);
  row.added_at = st.Time(4);
}

inline constexpr const char* kEventColumns =
    "id, incident_id, at, kind, actor, node, monitor, text, to_status";

inline void ReadRow(const Stmt& st, IncidentEvent& row, std::string& bad) {
  row.id = st.Int64(0);
  row.incident_id = st.Int64(1);
  row.at = st.Time(2);
  row.kind = st.Enum<EventKind>(3, kEventKindNames, bad);
  row.actor = st.Text(4);
  row.node = st.Text(5);
  row.monitor = st.Text(6);
  row.text = st.Text(7);
  if (!st.Null(8)) row.to_status = st.Enum<Status>(8, kStatusNames, bad);
}

inline constexpr const char* kPendingColumns =
    "id, node, monitor, kind, from_status, to_status, detected_at, first_seen_at, reason, value, "
    "recorded_at";

inline void ReadRow(const Stmt& st, PendingChange& row, std::string& bad) {
  row.id = st.Int64(0);
  row.change.node = st.Text(1);
  row.change.monitor = st.Text(2);
  row.change.kind = st.Text(3);
  row.change.from = st.Enum<Status>(4, kStatusNames, bad);
  row.change.to = st.Enum<Status>(5, kStatusNames, bad);
  row.change.detected_at = st.Time(6);
  row.change.first_seen_at = st.Time(7);
  row.change.reason = st.Text(8);
  if (!st.Null(9)) row.change.value = st.Double(9);
  row.recorded_at = st.Time(10);
}

inline constexpr const char* kReportColumns =
    "id, incident_id, suppression_id, report_number, kind, channel, recipients, subject, body, "
    "message_id, due_at, created_at, status, attempts, next_attempt_at, claimed_at, sent_at, "
    "on_time, last_error, server_reply";

inline void ReadRow(const Stmt& st, Report& row, std::string& bad) {
  row.id = st.Int64(0);
  row.incident_id = st.OptInt64(1);
  row.suppression_id = st.OptInt64(2);
  row.report_number = st.Int(3);
  row.kind = st.Enum<ReportKind>(4, kReportKindNames, bad);
  row.channel = st.Enum<Channel>(5, kChannelNames, bad);
  row.recipients = SplitLines(st.Text(6));
  row.subject = st.Text(7);
  row.body = st.Text(8);
  row.message_id = st.Text(9);
  row.due_at = st.Time(10);
  row.created_at = st.Time(11);
  row.status = st.Enum<ReportStatus>(12, kReportStatusNames, bad);
  row.attempts = st.Int(13);
  row.next_attempt_at = st.Time(14);
  row.claimed_at = st.OptTime(15);
  row.sent_at = st.OptTime(16);
  row.on_time = st.Null(17) ? std::nullopt : std::optional<bool>(st.Int(17) != 0);
  row.last_error = st.Text(18);
  row.server_reply = st.Text(19);
}

inline constexpr const char* kSuppressionColumns =
    "id, target_kind, target, starts_at, ends_at, reason, requested_by, created_at, "
    "cancelled_at, start_mail_sent, end_mail_sent";

inline void ReadRow(const Stmt& st, Suppression& row, std::string& bad) {
  row.id = st.Int64(0);
  row.target_kind = st.Enum<SuppressionTarget>(1, kSuppressionTargetNames, bad);
  row.target = st.Text(2);
  row.starts_at = st.Time(3);
  row.ends_at = st.Time(4);
  row.reason = st.Text(5);
  row.requested_by = st.Text(6);
  row.created_at = st.Time(7);
  row.cancelled_at = st.OptTime(8);
  row.start_mail_sent = st.Int(9) != 0;
  row.end_mail_sent = st.Int(10) != 0;
}

inline constexpr const char* kInventoryChangeColumns =
    "id, at, change, node, item, before, after, source";

inline void ReadRow(const Stmt& st, InventoryChange& row, std::string& bad) {
  row.id = st.Int64(0);
  row.at = st.Time(1);
  row.change = st.Enum<InventoryChangeKind>(2, kInventoryChangeNames, bad);
  row.node = st.Text(3);
  row.item = st.Text(4);
  row.before = st.Text(5);
  row.after = st.Text(6);
  row.source = st.Text(7);
}

/// Reads every row; returns kDone on success.
template <typename Row>
inline SqlCode ReadAll(Stmt& st, std::vector<Row>& rows, std::string& bad) {
  SqlCode rc;
  while ((rc = st.Step()) == SqlCode::kRow) {
    rows.emplace_back();
    ReadRow(st, rows.back(), bad);
  }
  return rc;
}

inline std::string Id(std::int64_t id) { return std::to_string(id); }
}  // namespace mimamori::collector::ledger_internal

namespace mimamori::collector {

// ---------------------------------------------------------------------------
// Savepoint: makes one Ledger call atomic. Outside a transaction it is the
// transaction (the engine's exclusive write transaction for writes, so two
// writers queue at the start; a plain one for reads, a consistent snapshot);
// inside one it is a SAVEPOINT, so a failed call undoes only its own partial
// work.

class Ledger::Savepoint {
 public:
  Savepoint(Ledger& ledger, bool write, std::string_view what) : ledger_(ledger), what_(what) {
    if ((status_ = ledger.CheckNotBroken(what))) return;
    own_ = !ledger.db_->InTransaction();
    status_ = ledger.Exec(own_ ? (write ? ledger.db_->BeginWriteSql() : ledger.db_->BeginReadSql())
                               : std::string("SAVEPOINT ledger_call"),
                          what);
    active_ = !status_.has_value();
    if (active_ && own_ && write) status_ = ledger.CheckFence(what);
    // A begin that failed half way (PostgreSQL: BEGIN done, the writers'
    // lock timed out) must not leave an aborted transaction behind.
    if (status_ && own_ && ledger.db_->InTransaction()) {
      ledger.db_->Exec("ROLLBACK");
      active_ = false;
    }
  }
  ~Savepoint() {
    if (!active_ || !ledger_.db_->InTransaction()) return;
    if (own_) {
      ledger_.db_->Exec("ROLLBACK");
    } else {
      ledger_.db_->Exec("ROLLBACK TO ledger_call; RELEASE ledger_call");
    }
  }
  Savepoint(const Savepoint&) = delete;
  Savepoint& operator=(const Savepoint&) = delete;

  /// The error of starting, if any: check it before the first statement.
  const LedgerStatus& status() const { return status_; }

  /// Keeps the call's work: commits when it owns the transaction.
  LedgerStatus Release() {
    if (!ledger_.db_->InTransaction()) {
      active_ = false;
      return ledger_.Error(LedgerErrorKind::kStorage, what_,
                           "the transaction was rolled back by an earlier error");
    }
    LedgerStatus result = ledger_.Exec(own_ ? "COMMIT" : "RELEASE ledger_call", what_);
    if (!result) active_ = false;  // else the destructor rolls back
    return result;
  }

 private:
  Ledger& ledger_;
  std::string what_;
  LedgerStatus status_;
  bool own_ = false;
  bool active_ = false;
};

}  // namespace mimamori::collector
