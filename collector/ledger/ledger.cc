// The ledger's connection: opening, migration, transactions and errors.
// The tables' operations are in ledger_incidents.cc, ledger_outbox.cc,
// ledger_suppressions.cc and ledger_usage.cc.
#include "collector/ledger/ledger.h"

#include <sqlite3.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <map>
#include <system_error>

#include "collector/ledger/ledger_sqlite.h"

namespace mimamori::collector {

using namespace ledger_internal;  // NOLINT: this file is the ledger

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
std::string_view ToString(IncidentCause v) { return NameOf(v, kCauseNames); }
std::string_view ToString(InventoryChangeKind v) { return NameOf(v, kInventoryChangeNames); }

bool IsIncidentClass(std::string_view name) {
  for (std::string_view known : kIncidentClasses) {
    if (known == name) return true;
  }
  return false;
}

std::optional<IncidentCause> ParseIncidentCause(std::string_view name) {
  for (std::size_t i = 0; i < kCauseNames.size(); ++i) {
    if (kCauseNames[i] == name) return static_cast<IncidentCause>(i);
  }
  return std::nullopt;
}

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
  if (*version == known) return std::nullopt;
  // Rebuilding a table (the only way to change a CHECK) drops the old one,
  // which with foreign keys on would count as deleting every referenced row.
  // The pragma is a no-op inside a transaction, so it is set around them;
  // each step proves its work kept every reference with foreign_key_check.
  if (auto err = Exec("PRAGMA foreign_keys = OFF", "migrate the schema")) return err;
  LedgerStatus result = MigrateSteps(steps, *version);
  if (auto err = Exec("PRAGMA foreign_keys = ON", "migrate the schema"); err && !result) {
    result = err;
  }
  return result;
}

LedgerStatus Ledger::MigrateSteps(const std::vector<std::string>& steps, int from) {
  const int known = static_cast<int>(steps.size());
  for (int step = from; step < known; ++step) {
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
    if (!err) {
      Stmt check(db_, "PRAGMA foreign_key_check");
      if (const int rc = check.Step(); rc == SQLITE_ROW) {
        err = Error(LedgerErrorKind::kSchema, what,
                    "the step would leave a row of " + check.Text(0) +
                        " pointing to a missing row of " + check.Text(2));
      } else if (rc != SQLITE_DONE) {
        err = Error(what, rc);
      }
    }
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

}  // namespace mimamori::collector
