#include "collector/ledger/ledger.h"

#include <sqlite3.h>

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdio>
#include <map>
#include <system_error>

namespace mimamori::collector {
namespace {

using std::chrono::milliseconds;

// ---------------------------------------------------------------------------
// The schema. Step i takes user_version i to i + 1. Append only.

// Version 1. Names follow the operator's words. CHECKs repeat the C++
// enums so that a hand edit in the sqlite3 shell cannot put a value in the
// file that the collector would then refuse to read.
constexpr const char* kSchemaV1 = R"sql(
CREATE TABLE ledger_info (
  key TEXT PRIMARY KEY,
  value TEXT NOT NULL
) WITHOUT ROWID;
-- Random per file: generated Message-IDs stay unique even if the file is
-- lost and recreated and report ids start again at 1.
INSERT INTO ledger_info (key, value) VALUES ('message_id_token', lower(hex(randomblob(8))));

-- AUTOINCREMENT everywhere: ids are never reused, so an id in a mail or a
-- log line always means the same row.
CREATE TABLE incidents (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  class TEXT NOT NULL DEFAULT 'trouble' CHECK (class IN ('trouble')),
  scope TEXT NOT NULL CHECK (scope IN ('platform', 'vm')),
  title TEXT NOT NULL CHECK (title <> ''),
  priority TEXT NOT NULL CHECK (priority IN ('high', 'low')),
  service_level TEXT NOT NULL CHECK (service_level IN ('A', 'B', 'C', 'C-dev', '')),
  status TEXT NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'closed')),
  opened_at INTEGER NOT NULL,
  detected_at INTEGER NOT NULL,
  closed_at INTEGER,
  closed_by TEXT NOT NULL DEFAULT '',
  acknowledged_at INTEGER,
  acknowledged_by TEXT NOT NULL DEFAULT '',
  CHECK (scope = 'platform' OR service_level <> ''),
  CHECK ((status = 'closed') = (closed_at IS NOT NULL)),
  CHECK (closed_at IS NULL OR closed_at >= detected_at)
);
CREATE INDEX incidents_by_status ON incidents (status, detected_at);
CREATE INDEX incidents_by_detection ON incidents (detected_at);

CREATE TABLE incident_monitors (
  incident_id INTEGER NOT NULL REFERENCES incidents (id),
  node TEXT NOT NULL CHECK (node <> ''),
  monitor TEXT NOT NULL CHECK (monitor <> ''),
  system TEXT NOT NULL DEFAULT '',
  attached_at INTEGER NOT NULL,
  PRIMARY KEY (incident_id, node, monitor)
) WITHOUT ROWID;
CREATE INDEX incident_monitors_by_monitor ON incident_monitors (node, monitor);

CREATE TABLE incident_affected_vms (
  incident_id INTEGER NOT NULL REFERENCES incidents (id),
  vm TEXT NOT NULL CHECK (vm <> ''),
  system TEXT NOT NULL DEFAULT '',
  host TEXT NOT NULL DEFAULT '',
  added_at INTEGER NOT NULL,
  PRIMARY KEY (incident_id, vm)
) WITHOUT ROWID;

CREATE TABLE incident_events (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  incident_id INTEGER NOT NULL REFERENCES incidents (id),
  at INTEGER NOT NULL,
  kind TEXT NOT NULL CHECK (kind IN ('opened', 'state-change', 'priority-change', 'acknowledged',
                                     'progress', 'work-start', 'work-done', 'closed')),
  actor TEXT NOT NULL CHECK (actor <> ''),
  node TEXT NOT NULL DEFAULT '',
  monitor TEXT NOT NULL DEFAULT '',
  text TEXT NOT NULL DEFAULT ''
);
CREATE INDEX incident_events_by_incident ON incident_events (incident_id, at, id);

CREATE TABLE suppressions (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  target_kind TEXT NOT NULL CHECK (target_kind IN ('node', 'system')),
  target TEXT NOT NULL CHECK (target <> ''),
  starts_at INTEGER NOT NULL,
  ends_at INTEGER NOT NULL,
  reason TEXT NOT NULL DEFAULT '',
  requested_by TEXT NOT NULL CHECK (requested_by <> ''),
  created_at INTEGER NOT NULL,
  cancelled_at INTEGER,
  start_mail_sent INTEGER NOT NULL DEFAULT 0 CHECK (start_mail_sent IN (0, 1)),
  end_mail_sent INTEGER NOT NULL DEFAULT 0 CHECK (end_mail_sent IN (0, 1)),
  CHECK (ends_at > starts_at)
);
CREATE INDEX suppressions_by_end ON suppressions (ends_at);

-- The outbox and the record of every report.
CREATE TABLE reports (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  incident_id INTEGER REFERENCES incidents (id),
  suppression_id INTEGER REFERENCES suppressions (id),
  report_number INTEGER NOT NULL CHECK (report_number >= 1),
  kind TEXT NOT NULL CHECK (kind IN ('first', 'continuing', 'final', 'work-start', 'work-done',
                                     'suppression-start', 'monitoring-resumed')),
  channel TEXT NOT NULL CHECK (channel IN ('mail', 'phone')),
  recipients TEXT NOT NULL CHECK (recipients <> ''),  -- one per line
  subject TEXT NOT NULL,
  body TEXT NOT NULL,
  message_id TEXT NOT NULL,
  due_at INTEGER NOT NULL,
  created_at INTEGER NOT NULL,
  status TEXT NOT NULL DEFAULT 'pending'
      CHECK (status IN ('pending', 'sending', 'sent', 'failed-permanently')),
  attempts INTEGER NOT NULL DEFAULT 0 CHECK (attempts >= 0),
  next_attempt_at INTEGER NOT NULL,
  claimed_at INTEGER,
  sent_at INTEGER,
  -- Derived, so it can never disagree with the two times it compares.
  on_time INTEGER GENERATED ALWAYS AS
      (CASE WHEN sent_at IS NULL THEN NULL ELSE sent_at <= due_at END) VIRTUAL,
  last_error TEXT NOT NULL DEFAULT '',
  server_reply TEXT NOT NULL DEFAULT '',
  CHECK ((incident_id IS NULL) <> (suppression_id IS NULL)),
  CHECK ((suppression_id IS NOT NULL) = (kind IN ('suppression-start', 'monitoring-resumed'))),
  CHECK ((status = 'sent') = (sent_at IS NOT NULL))
);
CREATE UNIQUE INDEX reports_by_message_id ON reports (message_id);
-- "Never repeat": the same report of an incident, or the same suppression
-- mail, cannot be queued twice, whatever the stage above does.
CREATE UNIQUE INDEX reports_one_per_number ON reports (incident_id, report_number, channel)
    WHERE incident_id IS NOT NULL;
CREATE UNIQUE INDEX reports_one_per_suppression_mail ON reports (suppression_id, kind, channel)
    WHERE suppression_id IS NOT NULL;
CREATE INDEX reports_pending ON reports (due_at, id) WHERE status = 'pending';
CREATE INDEX reports_by_incident ON reports (incident_id, created_at);
CREATE INDEX reports_by_due ON reports (due_at);
)sql";

// Version 2: resource usage for the monthly report (spec section 6). One row
// per node, monitor and Tokyo day rather than one per sample: 10,000 nodes x
// 5 monitors every 5 minutes would be 14 million rows a day, while the report
// needs only the average and the maximum. `last_at` makes a repeated offer of
// the same sample harmless. `day` is the Tokyo date 'YYYY-MM-DD', so a text
// comparison orders it and the sqlite3 shell reads it.
constexpr const char* kSchemaV2 = R"sql(
CREATE TABLE resource_usage (
  node TEXT NOT NULL CHECK (node <> ''),
  monitor TEXT NOT NULL CHECK (monitor <> ''),
  day TEXT NOT NULL CHECK (day GLOB '[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]'),
  samples INTEGER NOT NULL CHECK (samples >= 1),
  sum REAL NOT NULL,
  max REAL NOT NULL,
  last_at INTEGER NOT NULL,
  PRIMARY KEY (node, monitor, day)
) WITHOUT ROWID;
-- The report reads a month across all nodes.
CREATE INDEX resource_usage_by_day ON resource_usage (day);
)sql";

// v3: nothing confirmed is lost across a crash. A confirmed failure is
// written before it waits in its grouping window (pending_changes), and each
// monitor of an open incident keeps its latest status, so a restarted
// collector presumes exactly that until the monitor's first check.
constexpr const char* kSchemaV3 = R"sql(
ALTER TABLE incident_monitors ADD COLUMN kind TEXT NOT NULL DEFAULT '';
ALTER TABLE incident_monitors ADD COLUMN status TEXT NOT NULL DEFAULT 'CRITICAL'
  CHECK (status IN ('OK', 'WARNING', 'CRITICAL', 'UNKNOWN'));
ALTER TABLE incident_events ADD COLUMN to_status TEXT
  CHECK (to_status IS NULL OR to_status IN ('OK', 'WARNING', 'CRITICAL', 'UNKNOWN'));
CREATE TABLE pending_changes (
  id INTEGER PRIMARY KEY,
  node TEXT NOT NULL CHECK (node <> ''),
  monitor TEXT NOT NULL CHECK (monitor <> ''),
  kind TEXT NOT NULL,
  from_status TEXT NOT NULL CHECK (from_status IN ('OK', 'WARNING', 'CRITICAL', 'UNKNOWN')),
  to_status TEXT NOT NULL CHECK (to_status IN ('OK', 'WARNING', 'CRITICAL', 'UNKNOWN')),
  detected_at INTEGER NOT NULL,
  first_seen_at INTEGER NOT NULL,
  reason TEXT NOT NULL,
  value REAL,
  recorded_at INTEGER NOT NULL
);
)sql";

// ---------------------------------------------------------------------------
// Names

constexpr std::array<std::string_view, 7> kErrorKindNames = {
    "storage", "busy", "schema", "duplicate", "not found", "wrong state", "invalid argument"};
constexpr std::array<std::string_view, 2> kScopeNames = {"platform", "vm"};
constexpr std::array<std::string_view, 2> kPriorityNames = {"high", "low"};
constexpr std::array<std::string_view, 2> kIncidentStatusNames = {"open", "closed"};
constexpr std::array<std::string_view, 8> kEventKindNames = {
    "opened",   "state-change", "priority-change", "acknowledged",
    "progress", "work-start",   "work-done",       "closed"};
constexpr std::array<std::string_view, 7> kReportKindNames = {"first",
                                                              "continuing",
                                                              "final",
                                                              "work-start",
                                                              "work-done",
                                                              "suppression-start",
                                                              "monitoring-resumed"};
constexpr std::array<std::string_view, 2> kChannelNames = {"mail", "phone"};
constexpr std::array<std::string_view, 4> kReportStatusNames = {"pending", "sending", "sent",
                                                                "failed-permanently"};
constexpr std::array<std::string_view, 2> kSuppressionTargetNames = {"node", "system"};
constexpr std::array<std::string_view, 5> kLevels = {"A", "B", "C", "C-dev", ""};
// In the order of Status's values.
constexpr std::array<std::string_view, 4> kStatusNames = {"OK", "WARNING", "CRITICAL", "UNKNOWN"};

template <typename E, std::size_t N>
std::string_view NameOf(E value, const std::array<std::string_view, N>& names) {
  return names.at(static_cast<std::size_t>(value));
}

// ---------------------------------------------------------------------------
// Time: INTEGER milliseconds since the Unix epoch.

std::int64_t ToMs(LedgerTime t) {
  return std::chrono::duration_cast<milliseconds>(t.time_since_epoch()).count();
}
LedgerTime FromMs(std::int64_t ms) {
  return LedgerTime(std::chrono::duration_cast<LedgerTime::duration>(milliseconds(ms)));
}

std::string JoinLines(const std::vector<std::string>& lines) {
  std::string out;
  for (const auto& line : lines) {
    if (!out.empty()) out += '\n';
    out += line;
  }
  return out;
}

std::vector<std::string> SplitLines(const std::string& text) {
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
// A prepared statement. A failed prepare or bind is kept and returned by the
// first Step, so call sites check one code.

class Stmt {
 public:
  Stmt(sqlite3* db, const std::string& sql) {
    rc_ = sqlite3_prepare_v2(db, sql.c_str(), -1, &stmt_, nullptr);
  }
  ~Stmt() { sqlite3_finalize(stmt_); }
  Stmt(const Stmt&) = delete;
  Stmt& operator=(const Stmt&) = delete;

  Stmt& Bind(int i, std::int64_t v) { return Keep(sqlite3_bind_int64(stmt_, i, v)); }
  Stmt& Bind(int i, int v) { return Keep(sqlite3_bind_int(stmt_, i, v)); }
  Stmt& Bind(int i, std::string_view v) {
    return Keep(
        sqlite3_bind_text(stmt_, i, v.data(), static_cast<int>(v.size()), SQLITE_TRANSIENT));
  }
  Stmt& Bind(int i, const std::string& v) { return Bind(i, std::string_view(v)); }
  Stmt& Bind(int i, const char* v) { return Bind(i, std::string_view(v)); }
  Stmt& Bind(int i, LedgerTime t) { return Bind(i, ToMs(t)); }
  Stmt& Bind(int i, double v) { return Keep(sqlite3_bind_double(stmt_, i, v)); }

  /// Makes the statement ready to run again with new bindings, so a loop
  /// pays for one prepare. A failed prepare stays failed.
  void Reset() {
    if (stmt_ == nullptr) return;
    sqlite3_reset(stmt_);
    sqlite3_clear_bindings(stmt_);
  }
  Stmt& Bind(int i, std::optional<std::int64_t> v) {
    return v ? Bind(i, *v) : Keep(sqlite3_bind_null(stmt_, i));
  }
  Stmt& Bind(int i, std::optional<double> v) {
    return v ? Bind(i, *v) : Keep(sqlite3_bind_null(stmt_, i));
  }
  Stmt& Bind(int i, std::optional<std::string_view> v) {
    return v ? Bind(i, *v) : Keep(sqlite3_bind_null(stmt_, i));
  }
  Stmt& Bind(int i, std::optional<LedgerTime> t) {
    return t ? Bind(i, *t) : Keep(sqlite3_bind_null(stmt_, i));
  }

  /// SQLITE_ROW, SQLITE_DONE, or an error code.
  int Step() {
    if (rc_ != SQLITE_OK) return rc_;
    return sqlite3_step(stmt_);
  }

  bool Null(int c) const { return sqlite3_column_type(stmt_, c) == SQLITE_NULL; }
  std::int64_t Int64(int c) const { return sqlite3_column_int64(stmt_, c); }
  int Int(int c) const { return sqlite3_column_int(stmt_, c); }
  double Double(int c) const { return sqlite3_column_double(stmt_, c); }
  std::string Text(int c) const {
    const unsigned char* p = sqlite3_column_text(stmt_, c);
    return p ? std::string(reinterpret_cast<const char*>(p),
                           static_cast<std::size_t>(sqlite3_column_bytes(stmt_, c)))
             : std::string();
  }
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
      bad =
          std::string("unknown value \"") + text + "\" in column " + sqlite3_column_name(stmt_, c);
    }
    return static_cast<E>(0);
  }

 private:
  Stmt& Keep(int rc) {
    if (rc_ == SQLITE_OK) rc_ = rc;
    return *this;
  }

  sqlite3_stmt* stmt_ = nullptr;
  int rc_ = SQLITE_OK;
};

// Row readers: one per row type, each matching its column list.

constexpr const char* kIncidentColumns =
    "id, class, scope, title, priority, service_level, status, opened_at, detected_at, "
    "closed_at, closed_by, acknowledged_at, acknowledged_by";

void ReadRow(const Stmt& st, Incident& row, std::string& bad) {
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
}

constexpr const char* kMonitorColumns =
    "incident_id, node, monitor, system, attached_at, kind, status";

void ReadRow(const Stmt& st, IncidentMonitor& row, std::string& bad) {
  row.incident_id = st.Int64(0);
  row.node = st.Text(1);
  row.monitor = st.Text(2);
  row.system = st.Text(3);
  row.attached_at = st.Time(4);
  row.kind = st.Text(5);
  row.status = st.Enum<Status>(6, kStatusNames, bad);
}

constexpr const char* kVmColumns = "incident_id, vm, system, host, added_at";

void ReadRow(const Stmt& st, AffectedVm& row, std::string&) {
  row.incident_id = st.Int64(0);
  row.vm = st.Text(1);
  row.system = st.Text(2);
  row.host = st.Text(3);
  row.added_at = st.Time(4);
}

constexpr const char* kEventColumns =
    "id, incident_id, at, kind, actor, node, monitor, text, to_status";

void ReadRow(const Stmt& st, IncidentEvent& row, std::string& bad) {
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

constexpr const char* kPendingColumns =
    "id, node, monitor, kind, from_status, to_status, detected_at, first_seen_at, reason, value, "
    "recorded_at";

void ReadRow(const Stmt& st, PendingChange& row, std::string& bad) {
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

constexpr const char* kReportColumns =
    "id, incident_id, suppression_id, report_number, kind, channel, recipients, subject, body, "
    "message_id, due_at, created_at, status, attempts, next_attempt_at, claimed_at, sent_at, "
    "on_time, last_error, server_reply";

void ReadRow(const Stmt& st, Report& row, std::string& bad) {
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

constexpr const char* kSuppressionColumns =
    "id, target_kind, target, starts_at, ends_at, reason, requested_by, created_at, "
    "cancelled_at, start_mail_sent, end_mail_sent";

void ReadRow(const Stmt& st, Suppression& row, std::string& bad) {
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

/// Reads every row; returns SQLITE_DONE on success.
template <typename Row>
int ReadAll(Stmt& st, std::vector<Row>& rows, std::string& bad) {
  int rc;
  while ((rc = st.Step()) == SQLITE_ROW) {
    rows.emplace_back();
    ReadRow(st, rows.back(), bad);
  }
  return rc;
}

std::string Id(std::int64_t id) { return std::to_string(id); }

}  // namespace

// ---------------------------------------------------------------------------
// Public names

std::string_view LedgerErrorKindName(LedgerErrorKind kind) { return NameOf(kind, kErrorKindNames); }
std::string_view ToString(IncidentScope v) { return NameOf(v, kScopeNames); }
std::string_view ToString(Priority v) { return NameOf(v, kPriorityNames); }
std::string_view ToString(IncidentStatus v) { return NameOf(v, kIncidentStatusNames); }
std::string_view ToString(EventKind v) { return NameOf(v, kEventKindNames); }
std::string_view ToString(ReportKind v) { return NameOf(v, kReportKindNames); }
std::string_view ToString(Channel v) { return NameOf(v, kChannelNames); }
std::string_view ToString(ReportStatus v) { return NameOf(v, kReportStatusNames); }
std::string_view ToString(SuppressionTarget v) { return NameOf(v, kSuppressionTargetNames); }

const std::vector<std::string>& LedgerMigrations() {
  static const std::vector<std::string> migrations = {kSchemaV1, kSchemaV2, kSchemaV3};
  return migrations;
}

// ---------------------------------------------------------------------------
// Savepoint: makes one Ledger call atomic. Outside a transaction it is the
// transaction (BEGIN IMMEDIATE for writes, so two writers queue on the busy
// timeout at the start instead of failing with SQLITE_BUSY on lock upgrade;
// BEGIN for reads, a consistent snapshot); inside one it is a SAVEPOINT, so a
// failed call undoes only its own partial work.

class Ledger::Savepoint {
 public:
  Savepoint(Ledger& ledger, bool write, std::string_view what) : ledger_(ledger), what_(what) {
    if ((status_ = ledger.CheckNotBroken(what))) return;
    own_ = sqlite3_get_autocommit(ledger.db_) != 0;
    status_ =
        ledger.Exec(own_ ? (write ? "BEGIN IMMEDIATE" : "BEGIN") : "SAVEPOINT ledger_call", what);
    active_ = !status_.has_value();
  }
  ~Savepoint() {
    if (!active_ || sqlite3_get_autocommit(ledger_.db_)) return;
    if (own_) {
      sqlite3_exec(ledger_.db_, "ROLLBACK", nullptr, nullptr, nullptr);
    } else {
      sqlite3_exec(ledger_.db_, "ROLLBACK TO ledger_call; RELEASE ledger_call", nullptr, nullptr,
                   nullptr);
    }
  }
  Savepoint(const Savepoint&) = delete;
  Savepoint& operator=(const Savepoint&) = delete;

  /// The error of starting, if any: check it before the first statement.
  const LedgerStatus& status() const { return status_; }

  /// Keeps the call's work: commits when it owns the transaction.
  LedgerStatus Release() {
    if (sqlite3_get_autocommit(ledger_.db_)) {
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

// ---------------------------------------------------------------------------
// LedgerTx

LedgerTx::LedgerTx(LedgerTx&& other) noexcept : ledger_(other.ledger_) { other.ledger_ = nullptr; }

LedgerTx::~LedgerTx() { Rollback(); }

LedgerStatus LedgerTx::Commit() {
  if (ledger_ == nullptr) {
    return LedgerError{LedgerErrorKind::kWrongState, "ledger: commit of a finished transaction"};
  }
  LedgerStatus result;
  ledger_->EndTx(true, &result);
  ledger_ = nullptr;
  return result;
}

void LedgerTx::Rollback() {
  if (ledger_ == nullptr) return;
  ledger_->EndTx(false, nullptr);
  ledger_ = nullptr;
}

// ---------------------------------------------------------------------------
// Ledger: opening, errors, transactions

Ledger::Ledger(sqlite3* db, std::string path, LedgerOptions options)
    : db_(db), path_(std::move(path)), options_(std::move(options)) {}

Ledger::Ledger(Ledger&& other) noexcept
    : db_(other.db_),
      path_(std::move(other.path_)),
      options_(std::move(other.options_)),
      token_(std::move(other.token_)),
      in_tx_(other.in_tx_) {
  other.db_ = nullptr;
  other.in_tx_ = false;
}

Ledger& Ledger::operator=(Ledger&& other) noexcept {
  if (this != &other) {
    sqlite3_close_v2(db_);
    db_ = other.db_;
    path_ = std::move(other.path_);
    options_ = std::move(other.options_);
    token_ = std::move(other.token_);
    in_tx_ = other.in_tx_;
    other.db_ = nullptr;
    other.in_tx_ = false;
  }
  return *this;
}

// close_v2: a statement that is somehow still open must not keep the file
// open forever; it closes when the last one is finalized.
Ledger::~Ledger() { sqlite3_close_v2(db_); }

LedgerError Ledger::Error(LedgerErrorKind kind, std::string_view what, std::string_view why) const {
  std::string message = "ledger " + path_ + ": ";
  message += what;
  message += ": ";
  message += why;
  return LedgerError{kind, std::move(message)};
}

LedgerError Ledger::Error(std::string_view what, int rc) const {
  LedgerErrorKind kind = LedgerErrorKind::kStorage;
  switch (rc & 0xff) {
    case SQLITE_BUSY:
    case SQLITE_LOCKED:
      kind = LedgerErrorKind::kBusy;
      break;
    case SQLITE_CONSTRAINT:
      if (rc == SQLITE_CONSTRAINT_UNIQUE || rc == SQLITE_CONSTRAINT_PRIMARYKEY) {
        kind = LedgerErrorKind::kDuplicate;
      } else if (rc == SQLITE_CONSTRAINT_FOREIGNKEY) {
        kind = LedgerErrorKind::kNotFound;
      } else {
        kind = LedgerErrorKind::kInvalidArgument;
      }
      break;
    case SQLITE_MISUSE:
    case SQLITE_RANGE:
    case SQLITE_ERROR:  // SQL error: a bug here, or a schema someone changed by hand
      kind = LedgerErrorKind::kSchema;
      break;
    default:  // FULL, IOERR, READONLY, CANTOPEN, CORRUPT, NOTADB, PERM, NOMEM, ...
      break;
  }
  std::string why = db_ != nullptr ? sqlite3_errmsg(db_) : sqlite3_errstr(rc);
  // The OS error says what an operator must fix (no space, permissions).
  int sys = db_ != nullptr ? sqlite3_system_errno(db_) : 0;
  if (kind == LedgerErrorKind::kStorage && sys != 0) {
    why += " (errno " + std::to_string(sys) + ": " +
           std::error_code(sys, std::generic_category()).message() + ")";
  }
  return Error(kind, what, why);
}

LedgerStatus Ledger::Exec(const char* sql, std::string_view what) {
  int rc = sqlite3_exec(db_, sql, nullptr, nullptr, nullptr);
  if (rc != SQLITE_OK) return Error(what, rc);
  return std::nullopt;
}

LedgerStatus Ledger::CheckNotBroken(std::string_view what) {
  // SQLite itself rolls back the whole transaction on some errors (full
  // disk, I/O error). Statements after that would run in autocommit mode, one
  // by one, and break the caller's all-or-nothing: refuse them instead.
  if (in_tx_ && sqlite3_get_autocommit(db_)) {
    return Error(LedgerErrorKind::kStorage, what,
                 "the transaction was rolled back by an earlier error; nothing of it was kept");
  }
  return std::nullopt;
}

LedgerStatus Ledger::RowsStatus(int rc, const std::string& bad, std::string_view what) const {
  if (rc != SQLITE_DONE) return Error(what, rc);
  if (!bad.empty()) return Error(LedgerErrorKind::kSchema, what, bad);
  return std::nullopt;
}

LedgerError Ledger::MissingOrWrongState(const char* table, std::int64_t id, std::string_view what,
                                        std::string_view expected) {
  Stmt st(db_, std::string("SELECT 1 FROM ") + table + " WHERE id = ?1");
  st.Bind(1, id);
  int rc = st.Step();
  if (rc == SQLITE_DONE) return Error(LedgerErrorKind::kNotFound, what, "no such row");
  if (rc != SQLITE_ROW) return Error(what, rc);
  return Error(LedgerErrorKind::kWrongState, what, expected);
}

LedgerResult<Ledger> Ledger::Open(const std::string& path, LedgerOptions options) {
  // NOMUTEX: the contract is one Ledger per thread, so SQLite's own
  // connection mutex would only cost.
  int flags =
      SQLITE_OPEN_NOMUTEX |
      (options.read_only ? SQLITE_OPEN_READONLY : (SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE));
  sqlite3* db = nullptr;
  int rc = sqlite3_open_v2(path.c_str(), &db, flags, nullptr);
  // Owns `db` from here on, even when the open failed (SQLite still
  // allocates a handle that carries the message).
  Ledger ledger(db, path, std::move(options));
  if (rc != SQLITE_OK) return ledger.Error("open", rc);
  sqlite3_extended_result_codes(db, 1);
  sqlite3_busy_timeout(db, static_cast<int>(ledger.options_.busy_timeout.count()));

  // SQLite quietly opens a file it may not write read-only; say so now, not
  // at the first report.
  if (!ledger.options_.read_only && sqlite3_db_readonly(db, "main") == 1) {
    return ledger.Error(LedgerErrorKind::kStorage, "open",
                        "the file is read-only (check its permissions and owner)");
  }
  if (auto err = ledger.Exec("PRAGMA foreign_keys = ON", "enable foreign keys")) return *err;
  if (!ledger.options_.read_only) {
    // WAL: the CLI and the monthly report read while the collector writes,
    // without blocking it. The mode is stored in the file.
    Stmt st(db, "PRAGMA journal_mode = WAL");
    rc = st.Step();
    if (rc != SQLITE_ROW) return ledger.Error("set WAL mode", rc);
    if (std::string mode = st.Text(0); mode != "wal") {
      return ledger.Error(LedgerErrorKind::kStorage, "set WAL mode",
                          "the file system refused WAL (journal mode is " + mode + ")");
    }
  }
  // FULL, not NORMAL: in WAL mode NORMAL syncs only at checkpoints, so a
  // power cut can undo the last commits. Undoing an EnqueueReport loses a
  // report; undoing a MarkSent repeats one. FULL syncs the WAL at every
  // commit; the cost, one fsync per report step, is nothing at our rate.
  if (auto err = ledger.Exec("PRAGMA synchronous = FULL", "set synchronous=FULL")) return *err;
  if (auto err = ledger.Migrate()) return *err;

  {
    Stmt st(db, "SELECT value FROM ledger_info WHERE key = 'message_id_token'");
    rc = st.Step();
    if (rc == SQLITE_ROW) {
      ledger.token_ = st.Text(0);
    } else if (ledger.options_.migrations.empty()) {  // test schemas may lack it
      return ledger.Error("read the Message-ID token", rc == SQLITE_DONE ? SQLITE_CORRUPT : rc);
    }
  }
  return ledger;
}

LedgerResult<int> Ledger::SchemaVersion() {
  Stmt st(db_, "PRAGMA user_version");
  int rc = st.Step();
  if (rc != SQLITE_ROW) return Error("read the schema version", rc);
  return st.Int(0);
}

LedgerStatus Ledger::Migrate() {
  const std::vector<std::string>& steps =
      options_.migrations.empty() ? LedgerMigrations() : options_.migrations;
  const int known = static_cast<int>(steps.size());
  auto version = SchemaVersion();
  if (!version) return version.error();
  if (*version > known) {
    return Error(LedgerErrorKind::kSchema, "open",
                 "schema version " + std::to_string(*version) +
                     " is newer than this program knows (" + std::to_string(known) +
                     "); run a newer mimamori or restore a backup");
  }
  if (options_.read_only) {
    if (*version < known) {
      return Error(LedgerErrorKind::kSchema, "open read-only",
                   "schema version " + std::to_string(*version) + " is older than " +
                       std::to_string(known) + "; open it read-write once to migrate");
    }
    return std::nullopt;
  }
  for (int step = *version; step < known; ++step) {
    const std::string what = "migrate the schema to version " + std::to_string(step + 1);
    // One transaction per step: a failed step leaves the file at the
    // previous version, whole.
    if (auto err = Exec("BEGIN IMMEDIATE", what)) return err;
    // Another process may have migrated while we waited for the lock.
    auto now_at = SchemaVersion();
    if (!now_at) {
      Exec("ROLLBACK", what);
      return now_at.error();
    }
    if (*now_at > step) {
      Exec("ROLLBACK", what);
      step = *now_at - 1;
      continue;
    }
    std::string sql = steps[static_cast<std::size_t>(step)] +
                      ";\nPRAGMA user_version = " + std::to_string(step + 1) + ";";
    LedgerStatus err = Exec(sql.c_str(), what);
    if (!err) err = Exec("COMMIT", what);
    if (err) {
      if (!sqlite3_get_autocommit(db_)) Exec("ROLLBACK", what);
      return err;
    }
  }
  return std::nullopt;
}

LedgerResult<LedgerTx> Ledger::Begin() {
  if (in_tx_) {
    return Error(LedgerErrorKind::kWrongState, "begin a transaction",
                 "a transaction is already open on this connection");
  }
  if (auto err = Exec("BEGIN IMMEDIATE", "begin a transaction")) return *err;
  in_tx_ = true;
  return LedgerTx(this);
}

void Ledger::EndTx(bool commit, LedgerStatus* result) {
  in_tx_ = false;
  if (sqlite3_get_autocommit(db_)) {  // SQLite already rolled it back
    if (commit) {
      *result =
          Error(LedgerErrorKind::kStorage, "commit",
                "the transaction was rolled back by an earlier error; nothing of it was kept");
    }
    return;
  }
  if (commit) {
    *result = Exec("COMMIT", "commit");
    if (!*result) return;
    // A failed COMMIT (busy, I/O) may leave the transaction open; end it so
    // "Commit failed" always means "nothing was kept".
  }
  if (!sqlite3_get_autocommit(db_)) sqlite3_exec(db_, "ROLLBACK", nullptr, nullptr, nullptr);
}

LedgerStatus Ledger::Transaction(const std::function<LedgerStatus(Ledger&)>& step) {
  auto tx = Begin();
  if (!tx) return tx.error();
  if (LedgerStatus err = step(*this)) {
    tx->Rollback();
    return err;
  }
  return tx->Commit();
}

// ---------------------------------------------------------------------------
// Incidents

namespace {

/// Returns SQLITE_DONE and sets `id` on success.
int InsertEvent(sqlite3* db, const IncidentEvent& e, std::int64_t& id) {
  Stmt st(db,
          "INSERT INTO incident_events (incident_id, at, kind, actor, node, monitor, text, "
          "to_status) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)");
  st.Bind(1, e.incident_id)
      .Bind(2, e.at)
      .Bind(3, ToString(e.kind))
      .Bind(4, e.actor)
      .Bind(5, e.node)
      .Bind(6, e.monitor)
      .Bind(7, e.text)
      .Bind(8, e.to_status ? std::optional<std::string_view>(NameOf(*e.to_status, kStatusNames))
                           : std::nullopt);
  int rc = st.Step();
  id = sqlite3_last_insert_rowid(db);
  return rc;
}

bool KnownLevel(std::string_view level) {
  for (auto known : kLevels) {
    if (known == level) return true;
  }
  return false;
}

}  // namespace

LedgerResult<IncidentId> Ledger::OpenIncident(const NewIncident& in) {
  const std::string what = "open incident \"" + in.title + "\"";
  if (in.title.empty()) return Error(LedgerErrorKind::kInvalidArgument, what, "the title is empty");
  if (!KnownLevel(in.service_level)) {
    return Error(LedgerErrorKind::kInvalidArgument, what,
                 "service level \"" + in.service_level + "\" is not A, B, C, C-dev or empty");
  }
  if (in.scope == IncidentScope::kVm && in.service_level.empty()) {
    return Error(LedgerErrorKind::kInvalidArgument, what, "a VM incident needs a service level");
  }
  if (in.opened_by.empty()) {
    return Error(LedgerErrorKind::kInvalidArgument, what, "opened_by is empty");
  }
  Savepoint sp(*this, true, what);
  if (sp.status()) return *sp.status();
  Stmt st(db_,
          "INSERT INTO incidents (scope, title, priority, service_level, opened_at, detected_at) "
          "VALUES (?1, ?2, ?3, ?4, ?5, ?6)");
  st.Bind(1, ToString(in.scope))
      .Bind(2, in.title)
      .Bind(3, ToString(in.priority))
      .Bind(4, in.service_level)
      .Bind(5, in.opened_at)
      .Bind(6, in.detected_at);
  int rc = st.Step();
  if (rc != SQLITE_DONE) return Error(what, rc);
  const IncidentId id = sqlite3_last_insert_rowid(db_);
  IncidentEvent opened{0,  id, in.opened_at, EventKind::kOpened, in.opened_by,
                       "", "", in.text,      std::nullopt};
  std::int64_t event_id = 0;
  rc = InsertEvent(db_, opened, event_id);
  if (rc != SQLITE_DONE) return Error(what, rc);
  if (auto err = sp.Release()) return *err;
  return id;
}

LedgerResult<Incident> Ledger::GetIncident(IncidentId id) {
  const std::string what = "read incident " + Id(id);
  Stmt st(db_, std::string("SELECT ") + kIncidentColumns + " FROM incidents WHERE id = ?1");
  st.Bind(1, id);
  std::vector<Incident> rows;
  std::string bad;
  if (auto err = RowsStatus(ReadAll(st, rows, bad), bad, what)) return *err;
  if (rows.empty()) return Error(LedgerErrorKind::kNotFound, what, "no such incident");
  return std::move(rows.front());
}

LedgerStatus Ledger::ChangePriority(IncidentId id, Priority priority, LedgerTime at,
                                    const std::string& actor, const std::string& reason) {
  const std::string what = "change the priority of incident " + Id(id);
  Savepoint sp(*this, true, what);
  if (sp.status()) return sp.status();
  auto incident = GetIncident(id);
  if (!incident) return incident.error();
  if (incident->status != IncidentStatus::kOpen) {
    return Error(LedgerErrorKind::kWrongState, what, "the incident is closed");
  }
  if (incident->priority == priority) {
    return Error(LedgerErrorKind::kWrongState, what,
                 "the priority is already " + std::string(ToString(priority)));
  }
  Stmt st(db_, "UPDATE incidents SET priority = ?1 WHERE id = ?2");
  st.Bind(1, ToString(priority)).Bind(2, id);
  int rc = st.Step();
  if (rc != SQLITE_DONE) return Error(what, rc);
  std::string text =
      std::string(ToString(incident->priority)) + " -> " + std::string(ToString(priority));
  if (!reason.empty()) text += ": " + reason;
  auto event =
      AppendEvent({0, id, at, EventKind::kPriorityChange, actor, "", "", text, std::nullopt});
  if (!event) return event.error();
  return sp.Release();
}

LedgerStatus Ledger::Acknowledge(IncidentId id, LedgerTime at, const std::string& actor,
                                 const std::string& text) {
  const std::string what = "acknowledge incident " + Id(id);
  Savepoint sp(*this, true, what);
  if (sp.status()) return sp.status();
  // Every SET term sees the old row, so both keep the FIRST acknowledgement.
  Stmt st(db_,
          "UPDATE incidents SET acknowledged_at = COALESCE(acknowledged_at, ?1), "
          "acknowledged_by = CASE WHEN acknowledged_at IS NULL THEN ?2 ELSE acknowledged_by END "
          "WHERE id = ?3");
  st.Bind(1, at).Bind(2, actor).Bind(3, id);
  int rc = st.Step();
  if (rc != SQLITE_DONE) return Error(what, rc);
  if (sqlite3_changes(db_) == 0) return Error(LedgerErrorKind::kNotFound, what, "no such incident");
  auto event =
      AppendEvent({0, id, at, EventKind::kAcknowledged, actor, "", "", text, std::nullopt});
  if (!event) return event.error();
  return sp.Release();
}

LedgerStatus Ledger::CloseIncident(IncidentId id, LedgerTime at, const std::string& actor,
                                   const std::string& text) {
  const std::string what = "close incident " + Id(id);
  if (actor.empty()) return Error(LedgerErrorKind::kInvalidArgument, what, "the actor is empty");
  Savepoint sp(*this, true, what);
  if (sp.status()) return sp.status();
  Stmt st(db_,
          "UPDATE incidents SET status = 'closed', closed_at = ?1, closed_by = ?2 "
          "WHERE id = ?3 AND status = 'open'");
  st.Bind(1, at).Bind(2, actor).Bind(3, id);
  int rc = st.Step();
  if (rc != SQLITE_DONE) return Error(what, rc);
  if (sqlite3_changes(db_) == 0) {
    return MissingOrWrongState("incidents", id, what, "the incident is already closed");
  }
  auto event = AppendEvent({0, id, at, EventKind::kClosed, actor, "", "", text, std::nullopt});
  if (!event) return event.error();
  return sp.Release();
}

LedgerStatus Ledger::AttachMonitor(const IncidentMonitor& m) {
  const std::string what =
      "attach monitor " + m.node + "/" + m.monitor + " to incident " + Id(m.incident_id);
  Savepoint sp(*this, true, what);
  if (sp.status()) return sp.status();
  // ON CONFLICT DO UPDATE, not INSERT OR REPLACE: the latter would also
  // swallow CHECK and NOT NULL failures, and lose attached_at.
  Stmt st(db_,
          "INSERT INTO incident_monitors (incident_id, node, monitor, system, attached_at, kind, "
          "status) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7) ON CONFLICT (incident_id, node, monitor) "
          "DO UPDATE SET status = excluded.status, "
          "kind = CASE WHEN excluded.kind <> '' THEN excluded.kind ELSE kind END");
  st.Bind(1, m.incident_id)
      .Bind(2, m.node)
      .Bind(3, m.monitor)
      .Bind(4, m.system)
      .Bind(5, m.attached_at)
      .Bind(6, m.kind)
      .Bind(7, NameOf(m.status, kStatusNames));
  int rc = st.Step();
  if (rc != SQLITE_DONE) return Error(what, rc);
  return sp.Release();
}

LedgerStatus Ledger::SetMonitorStatus(IncidentId id, const std::string& node,
                                      const std::string& monitor, Status status) {
  const std::string what = "set the status of monitor " + node + "/" + monitor + " of incident " +
                           Id(id) + " to " + std::string(NameOf(status, kStatusNames));
  Stmt st(db_,
          "UPDATE incident_monitors SET status = ?4 "
          "WHERE incident_id = ?1 AND node = ?2 AND monitor = ?3");
  st.Bind(1, id).Bind(2, node).Bind(3, monitor).Bind(4, NameOf(status, kStatusNames));
  int rc = st.Step();
  if (rc != SQLITE_DONE) return Error(what, rc);
  if (sqlite3_changes(db_) == 0) {
    return Error(LedgerErrorKind::kNotFound, what, "the monitor is not attached");
  }
  return std::nullopt;
}

// ---------------------------------------------------------------------------
// Pending changes

LedgerResult<std::vector<std::int64_t>> Ledger::RecordPendingChanges(
    const std::vector<StateChange>& changes, LedgerTime recorded_at) {
  const std::string what = "record " + std::to_string(changes.size()) + " pending state changes";
  std::vector<std::int64_t> ids;
  if (changes.empty()) return ids;
  Savepoint sp(*this, true, what);
  if (sp.status()) return *sp.status();
  Stmt st(db_,
          "INSERT INTO pending_changes (node, monitor, kind, from_status, to_status, detected_at, "
          "first_seen_at, reason, value, recorded_at) "
          "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)");
  for (const StateChange& c : changes) {
    st.Reset();
    st.Bind(1, c.node)
        .Bind(2, c.monitor)
        .Bind(3, c.kind)
        .Bind(4, NameOf(c.from, kStatusNames))
        .Bind(5, NameOf(c.to, kStatusNames))
        .Bind(6, c.detected_at)
        .Bind(7, c.first_seen_at)
        .Bind(8, c.reason)
        .Bind(9, c.value)
        .Bind(10, recorded_at);
    int rc = st.Step();
    if (rc != SQLITE_DONE) return Error(what + " (" + c.node + "/" + c.monitor + ")", rc);
    ids.push_back(sqlite3_last_insert_rowid(db_));
  }
  if (auto err = sp.Release()) return *err;
  return ids;
}

LedgerResult<std::vector<PendingChange>> Ledger::PendingChanges() {
  const std::string what = "read the pending state changes";
  Stmt st(db_, std::string("SELECT ") + kPendingColumns + " FROM pending_changes ORDER BY id");
  std::vector<PendingChange> rows;
  std::string bad;
  if (auto err = RowsStatus(ReadAll(st, rows, bad), bad, what)) return *err;
  return rows;
}

LedgerStatus Ledger::ForgetPendingChanges(const std::vector<std::int64_t>& ids) {
  const std::string what = "remove " + std::to_string(ids.size()) + " pending state changes";
  if (ids.empty()) return std::nullopt;
  Savepoint sp(*this, true, what);
  if (sp.status()) return sp.status();
  Stmt st(db_, "DELETE FROM pending_changes WHERE id = ?1");
  for (std::int64_t id : ids) {
    st.Reset();
    st.Bind(1, id);
    int rc = st.Step();
    if (rc != SQLITE_DONE) return Error(what, rc);
  }
  return sp.Release();
}

LedgerStatus Ledger::AddAffectedVm(const AffectedVm& vm) {
  const std::string what = "add affected VM " + vm.vm + " to incident " + Id(vm.incident_id);
  Savepoint sp(*this, true, what);
  if (sp.status()) return sp.status();
  Stmt st(db_,
          "INSERT INTO incident_affected_vms (incident_id, vm, system, host, added_at) "
          "VALUES (?1, ?2, ?3, ?4, ?5) ON CONFLICT (incident_id, vm) DO UPDATE SET "
          "system = excluded.system, host = excluded.host");
  st.Bind(1, vm.incident_id)
      .Bind(2, vm.vm)
      .Bind(3, vm.system)
      .Bind(4, vm.host)
      .Bind(5, vm.added_at);
  int rc = st.Step();
  if (rc != SQLITE_DONE) return Error(what, rc);
  return sp.Release();
}

LedgerResult<std::optional<IncidentId>> Ledger::FindOpenIncident(const std::string& node,
                                                                 const std::string& monitor) {
  const std::string what = "find the open incident of " + node + "/" + monitor;
  Stmt st(db_,
          "SELECT i.id FROM incident_monitors m JOIN incidents i ON i.id = m.incident_id "
          "WHERE m.node = ?1 AND m.monitor = ?2 AND i.status = 'open' "
          "ORDER BY i.detected_at DESC, i.id DESC LIMIT 1");
  st.Bind(1, node).Bind(2, monitor);
  int rc = st.Step();
  if (rc == SQLITE_DONE) return std::optional<IncidentId>();
  if (rc != SQLITE_ROW) return Error(what, rc);
  return std::optional<IncidentId>(st.Int64(0));
}

LedgerResult<EventId> Ledger::AppendEvent(const IncidentEvent& event) {
  const std::string what = "append a " + std::string(ToString(event.kind)) + " event to incident " +
                           Id(event.incident_id);
  if (event.actor.empty()) {
    return Error(LedgerErrorKind::kInvalidArgument, what, "the actor is empty");
  }
  Savepoint sp(*this, true, what);
  if (sp.status()) return *sp.status();
  std::int64_t id = 0;
  int rc = InsertEvent(db_, event, id);
  if (rc != SQLITE_DONE) return Error(what, rc);
  if (auto err = sp.Release()) return *err;
  return id;
}

// ---------------------------------------------------------------------------
// The outbox

LedgerResult<int> Ledger::NextReportNumber(IncidentId id) {
  const std::string what = "number the next report of incident " + Id(id);
  Stmt st(db_,
          "SELECT (SELECT COUNT(*) FROM incidents WHERE id = ?1), "
          "COALESCE((SELECT MAX(report_number) FROM reports WHERE incident_id = ?1), 0) + 1");
  st.Bind(1, id);
  int rc = st.Step();
  if (rc != SQLITE_ROW) return Error(what, rc);
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
          "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12)");
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
  int rc = st.Step();
  if (rc != SQLITE_DONE) return Error(what, rc);
  const ReportId id = sqlite3_last_insert_rowid(db_);
  if (r.message_id.empty()) {
    std::string message_id = "<r" + Id(id) + (token_.empty() ? "" : "." + token_) + "@" +
                             options_.message_id_domain + ">";
    Stmt update(db_, "UPDATE reports SET message_id = ?1 WHERE id = ?2");
    update.Bind(1, message_id).Bind(2, id);
    rc = update.Step();
    if (rc != SQLITE_DONE) return Error(what, rc);
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

LedgerResult<Report> Ledger::ClaimForSending(ReportId id, LedgerTime now) {
  const std::string what = "claim report " + Id(id) + " for sending";
  Savepoint sp(*this, true, what);
  if (sp.status()) return *sp.status();
  // The status guard makes the claim atomic: of two senders, one wins.
  Stmt st(db_,
          "UPDATE reports SET status = 'sending', attempts = attempts + 1, claimed_at = ?1 "
          "WHERE id = ?2 AND status = 'pending'");
  st.Bind(1, now).Bind(2, id);
  int rc = st.Step();
  if (rc != SQLITE_DONE) return Error(what, rc);
  if (sqlite3_changes(db_) == 0) {
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
  int rc = st.Step();
  if (rc != SQLITE_DONE) return Error(what, rc);
  if (sqlite3_changes(db_) == 0) {
    return MissingOrWrongState("reports", id, what, "the report is not being sent");
  }
  // The suppression's flags change with the report, in the same commit, so
  // they can never claim a mail that was not sent.
  Stmt flags(db_,
             "UPDATE suppressions SET "
             "start_mail_sent = start_mail_sent OR r.kind = 'suppression-start', "
             "end_mail_sent = end_mail_sent OR r.kind = 'monitoring-resumed' "
             "FROM (SELECT suppression_id, kind FROM reports WHERE id = ?1) AS r "
             "WHERE suppressions.id = r.suppression_id");
  flags.Bind(1, id);
  rc = flags.Step();
  if (rc != SQLITE_DONE) return Error(what, rc);
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
  int rc = st.Step();
  if (rc != SQLITE_DONE) return Error(what, rc);
  if (sqlite3_changes(db_) == 0) {
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
  int rc = st.Step();
  if (rc != SQLITE_DONE) return Error(what, rc);
  if (sqlite3_changes(db_) == 0) {
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
  int rc;
  while ((rc = st.Step()) == SQLITE_ROW) ids.push_back(st.Int64(0));
  if (rc != SQLITE_DONE) return Error(what, rc);
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

// ---------------------------------------------------------------------------
// Suppressions

LedgerResult<SuppressionId> Ledger::AddSuppression(const NewSuppression& s) {
  const std::string what =
      "add a suppression of " + std::string(ToString(s.target_kind)) + " " + s.target;
  if (s.target.empty()) return Error(LedgerErrorKind::kInvalidArgument, what, "no target");
  if (s.requested_by.empty()) {
    return Error(LedgerErrorKind::kInvalidArgument, what, "requested_by is empty");
  }
  if (s.ends_at <= s.starts_at) {
    return Error(LedgerErrorKind::kInvalidArgument, what, "the end is not after the start");
  }
  Savepoint sp(*this, true, what);
  if (sp.status()) return *sp.status();
  Stmt st(db_,
          "INSERT INTO suppressions (target_kind, target, starts_at, ends_at, reason, "
          "requested_by, created_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)");
  st.Bind(1, ToString(s.target_kind))
      .Bind(2, s.target)
      .Bind(3, s.starts_at)
      .Bind(4, s.ends_at)
      .Bind(5, s.reason)
      .Bind(6, s.requested_by)
      .Bind(7, s.created_at);
  int rc = st.Step();
  if (rc != SQLITE_DONE) return Error(what, rc);
  const SuppressionId id = sqlite3_last_insert_rowid(db_);
  if (auto err = sp.Release()) return *err;
  return id;
}

LedgerResult<Suppression> Ledger::GetSuppression(SuppressionId id) {
  const std::string what = "read suppression " + Id(id);
  Stmt st(db_, std::string("SELECT ") + kSuppressionColumns + " FROM suppressions WHERE id = ?1");
  st.Bind(1, id);
  std::vector<Suppression> rows;
  std::string bad;
  if (auto err = RowsStatus(ReadAll(st, rows, bad), bad, what)) return *err;
  if (rows.empty()) return Error(LedgerErrorKind::kNotFound, what, "no such suppression");
  return std::move(rows.front());
}

LedgerStatus Ledger::SetSuppressionPeriod(SuppressionId id, LedgerTime starts_at,
                                          LedgerTime ends_at) {
  const std::string what = "change the period of suppression " + Id(id);
  if (ends_at <= starts_at) {
    return Error(LedgerErrorKind::kInvalidArgument, what, "the end is not after the start");
  }
  Savepoint sp(*this, true, what);
  if (sp.status()) return sp.status();
  Stmt st(db_,
          "UPDATE suppressions SET starts_at = ?1, ends_at = ?2 "
          "WHERE id = ?3 AND cancelled_at IS NULL");
  st.Bind(1, starts_at).Bind(2, ends_at).Bind(3, id);
  int rc = st.Step();
  if (rc != SQLITE_DONE) return Error(what, rc);
  if (sqlite3_changes(db_) == 0) {
    return MissingOrWrongState("suppressions", id, what, "the suppression is cancelled");
  }
  return sp.Release();
}

LedgerStatus Ledger::CancelSuppression(SuppressionId id, LedgerTime at) {
  const std::string what = "cancel suppression " + Id(id);
  Savepoint sp(*this, true, what);
  if (sp.status()) return sp.status();
  Stmt st(db_, "UPDATE suppressions SET cancelled_at = ?1 WHERE id = ?2 AND cancelled_at IS NULL");
  st.Bind(1, at).Bind(2, id);
  int rc = st.Step();
  if (rc != SQLITE_DONE) return Error(what, rc);
  if (sqlite3_changes(db_) == 0) {
    return MissingOrWrongState("suppressions", id, what, "the suppression is already cancelled");
  }
  return sp.Release();
}

LedgerResult<std::vector<Suppression>> Ledger::ActiveSuppressions(LedgerTime now) {
  const std::string what = "list active suppressions";
  Stmt st(db_, std::string("SELECT ") + kSuppressionColumns +
                   " FROM suppressions WHERE starts_at <= ?1 AND ?1 < ends_at "
                   "AND (cancelled_at IS NULL OR cancelled_at > ?1) ORDER BY starts_at, id");
  st.Bind(1, now);
  std::vector<Suppression> rows;
  std::string bad;
  if (auto err = RowsStatus(ReadAll(st, rows, bad), bad, what)) return *err;
  return rows;
}

LedgerResult<std::vector<Suppression>> Ledger::ListSuppressions(LedgerTime since) {
  const std::string what = "list suppressions";
  Stmt st(db_, std::string("SELECT ") + kSuppressionColumns +
                   " FROM suppressions WHERE ends_at > ?1 ORDER BY starts_at, id");
  st.Bind(1, since);
  std::vector<Suppression> rows;
  std::string bad;
  if (auto err = RowsStatus(ReadAll(st, rows, bad), bad, what)) return *err;
  return rows;
}

// ---------------------------------------------------------------------------
// Queries

LedgerResult<std::vector<Incident>> Ledger::OpenIncidents() {
  const std::string what = "list open incidents";
  Stmt st(db_, std::string("SELECT ") + kIncidentColumns +
                   " FROM incidents WHERE status = 'open' ORDER BY detected_at, id");
  std::vector<Incident> rows;
  std::string bad;
  if (auto err = RowsStatus(ReadAll(st, rows, bad), bad, what)) return *err;
  return rows;
}

LedgerResult<std::vector<Incident>> Ledger::RecentIncidents(LedgerTime since, int limit) {
  const std::string what = "list recent incidents";
  Stmt st(db_, std::string("SELECT ") + kIncidentColumns +
                   " FROM incidents WHERE detected_at >= ?1 "
                   "ORDER BY detected_at DESC, id DESC LIMIT ?2");
  st.Bind(1, since).Bind(2, limit);
  std::vector<Incident> rows;
  std::string bad;
  if (auto err = RowsStatus(ReadAll(st, rows, bad), bad, what)) return *err;
  return rows;
}

LedgerResult<IncidentTimeline> Ledger::Timeline(IncidentId id) {
  const std::string what = "read the timeline of incident " + Id(id);
  Savepoint snapshot(*this, false, what);  // all five reads see one state
  if (snapshot.status()) return *snapshot.status();
  IncidentTimeline out;
  auto incident = GetIncident(id);
  if (!incident) return incident.error();
  out.incident = std::move(*incident);
  std::string bad;
  {
    Stmt st(db_, std::string("SELECT ") + kMonitorColumns +
                     " FROM incident_monitors WHERE incident_id = ?1 "
                     "ORDER BY attached_at, node, monitor");
    st.Bind(1, id);
    if (auto err = RowsStatus(ReadAll(st, out.monitors, bad), bad, what)) return *err;
  }
  {
    Stmt st(db_, std::string("SELECT ") + kVmColumns +
                     " FROM incident_affected_vms WHERE incident_id = ?1 ORDER BY added_at, vm");
    st.Bind(1, id);
    if (auto err = RowsStatus(ReadAll(st, out.affected_vms, bad), bad, what)) return *err;
  }
  {
    Stmt st(db_, std::string("SELECT ") + kEventColumns +
                     " FROM incident_events WHERE incident_id = ?1 ORDER BY at, id");
    st.Bind(1, id);
    if (auto err = RowsStatus(ReadAll(st, out.events, bad), bad, what)) return *err;
  }
  {
    Stmt st(db_, std::string("SELECT ") + kReportColumns +
                     " FROM reports WHERE incident_id = ?1 ORDER BY created_at, id");
    st.Bind(1, id);
    if (auto err = RowsStatus(ReadAll(st, out.reports, bad), bad, what)) return *err;
  }
  if (auto err = snapshot.Release()) return *err;
  return out;
}

LedgerResult<MonthlySummary> Ledger::Summarize(LedgerTime from, LedgerTime to) {
  const std::string what = "summarize the period";
  if (to <= from) {
    return Error(LedgerErrorKind::kInvalidArgument, what, "the end is not after the start");
  }
  Savepoint snapshot(*this, false, what);
  if (snapshot.status()) return *snapshot.status();
  MonthlySummary out;
  out.from = from;
  out.to = to;
  std::map<std::string, LevelSummary> by_level;
  {
    // Every incident whose outage overlaps [from, to); its outage clipped to
    // the period, and counted as a detection only if detected inside it.
    Stmt st(db_,
            "SELECT service_level, "
            "  SUM(detected_at >= ?1), "
            "  SUM(detected_at >= ?1 AND EXISTS (SELECT 1 FROM reports r "
            "      WHERE r.incident_id = i.id AND r.kind = 'first' AND "
            "      ((r.sent_at IS NOT NULL AND r.sent_at > r.due_at) OR "
            "       (r.sent_at IS NULL AND r.due_at < ?2)))), "
            "  SUM(MAX(0, MIN(COALESCE(closed_at, ?2), ?2) - MAX(detected_at, ?1))) "
            "FROM incidents i "
            "WHERE detected_at < ?2 AND (closed_at IS NULL OR closed_at > ?1 OR detected_at >= ?1) "
            "GROUP BY service_level");
    st.Bind(1, from).Bind(2, to);
    int rc;
    while ((rc = st.Step()) == SQLITE_ROW) {
      LevelSummary& level = by_level[st.Text(0)];
      level.detections = st.Int(1);
      level.first_report_late = st.Int(2);
      level.outage = milliseconds(st.Int64(3));
    }
    if (rc != SQLITE_DONE) return Error(what, rc);
  }
  for (std::string_view name : kLevels) {
    LevelSummary level = by_level[std::string(name)];
    level.service_level = std::string(name);
    out.levels.push_back(std::move(level));
  }
  {
    Stmt st(db_,
            "SELECT COALESCE(SUM(status = 'sent' AND sent_at <= due_at), 0), "
            "  COALESCE(SUM(status = 'sent' AND sent_at > due_at), 0), "
            "  COALESCE(SUM(status IN ('pending', 'sending')), 0), "
            "  COALESCE(SUM(status = 'failed-permanently'), 0) "
            "FROM reports WHERE due_at >= ?1 AND due_at < ?2");
    st.Bind(1, from).Bind(2, to);
    int rc = st.Step();
    if (rc != SQLITE_ROW) return Error(what, rc);
    out.reports.on_time = st.Int(0);
    out.reports.late = st.Int(1);
    out.reports.unsent = st.Int(2);
    out.reports.failed_permanently = st.Int(3);
  }
  if (auto err = snapshot.Release()) return *err;
  return out;
}

// ---------------------------------------------------------------------------
// Incidents by period, resource usage

LedgerResult<std::vector<Incident>> Ledger::IncidentsOverlapping(LedgerTime from, LedgerTime to) {
  const std::string what = "list the incidents of the period";
  if (to <= from) {
    return Error(LedgerErrorKind::kInvalidArgument, what, "the end is not after the start");
  }
  // The same WHERE as Summarize, so both see the same incidents.
  Stmt st(db_, std::string("SELECT ") + kIncidentColumns +
                   " FROM incidents WHERE detected_at < ?2 AND "
                   "(closed_at IS NULL OR closed_at > ?1 OR detected_at >= ?1) "
                   "ORDER BY detected_at, id");
  st.Bind(1, from).Bind(2, to);
  std::vector<Incident> rows;
  std::string bad;
  if (auto err = RowsStatus(ReadAll(st, rows, bad), bad, what)) return *err;
  return rows;
}

namespace {

/// The Asia/Tokyo date of `t` as 'YYYY-MM-DD'. Tokyo has no daylight saving,
/// so UTC+9 is exact; the ledger does not need the business calendar for it.
std::string TokyoDay(LedgerTime t) {
  const auto local = std::chrono::floor<std::chrono::days>(t + std::chrono::hours(9));
  const std::chrono::year_month_day ymd{std::chrono::sys_days(local.time_since_epoch())};
  char text[16];
  std::snprintf(text, sizeof text, "%04d-%02u-%02u", static_cast<int>(ymd.year()),
                static_cast<unsigned>(ymd.month()), static_cast<unsigned>(ymd.day()));
  return text;
}

}  // namespace

LedgerStatus Ledger::RecordResourceUsage(const std::vector<ResourceSample>& samples) {
  const std::string what = "record " + std::to_string(samples.size()) + " resource samples";
  // Checked before the first write, so a bad sample leaves nothing behind
  // even when the caller commits the rest of its transaction.
  for (const auto& sample : samples) {
    if (sample.node.empty() || sample.monitor.empty()) {
      return Error(LedgerErrorKind::kInvalidArgument, what,
                   "a sample has an empty node or monitor");
    }
    if (!std::isfinite(sample.value)) {
      return Error(LedgerErrorKind::kInvalidArgument, what,
                   "sample " + sample.node + "/" + sample.monitor + " is not a finite number");
    }
  }
  if (samples.empty()) return std::nullopt;
  Savepoint sp(*this, true, what);
  if (sp.status()) return sp.status();
  // The WHERE on the update is the "same sample twice" rule: an offer not
  // newer than the row's last sample changes nothing.
  Stmt st(db_,
          "INSERT INTO resource_usage (node, monitor, day, samples, sum, max, last_at) "
          "VALUES (?1, ?2, ?3, 1, ?4, ?4, ?5) "
          "ON CONFLICT (node, monitor, day) DO UPDATE SET samples = samples + 1, "
          "sum = sum + excluded.sum, max = MAX(max, excluded.max), last_at = excluded.last_at "
          "WHERE excluded.last_at > resource_usage.last_at");
  for (const auto& sample : samples) {
    st.Reset();
    st.Bind(1, sample.node)
        .Bind(2, sample.monitor)
        .Bind(3, TokyoDay(sample.at))
        .Bind(4, sample.value)
        .Bind(5, sample.at);
    int rc = st.Step();
    if (rc != SQLITE_DONE) {
      return Error(what + " (" + sample.node + "/" + sample.monitor + ")", rc);
    }
  }
  return sp.Release();
}

LedgerResult<std::vector<ResourceUsageRow>> Ledger::ResourceUsage(LedgerTime from, LedgerTime to) {
  const std::string what = "read the resource usage of the period";
  if (to <= from) {
    return Error(LedgerErrorKind::kInvalidArgument, what, "the end is not after the start");
  }
  Stmt st(db_,
          "SELECT node, monitor, SUM(samples), SUM(sum) / SUM(samples), MAX(max) "
          "FROM resource_usage WHERE day >= ?1 AND day < ?2 "
          "GROUP BY node, monitor ORDER BY node, monitor");
  st.Bind(1, TokyoDay(from)).Bind(2, TokyoDay(to));
  std::vector<ResourceUsageRow> rows;
  int rc;
  while ((rc = st.Step()) == SQLITE_ROW) {
    rows.push_back({st.Text(0), st.Text(1), st.Int64(2), st.Double(3), st.Double(4)});
  }
  if (rc != SQLITE_DONE) return Error(what, rc);
  return rows;
}

}  // namespace mimamori::collector
