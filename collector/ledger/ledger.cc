// The ledger's connection: opening, migration, transactions and errors.
// The tables' operations are in ledger_incidents.cc, ledger_outbox.cc,
// ledger_suppressions.cc and ledger_usage.cc.
#include "collector/ledger/ledger.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <map>
#include <system_error>

#include "collector/core/conninfo.h"
#include "collector/ledger/ledger_internal.h"

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

bool IsPostgresLocation(std::string_view location) {
  if (location.rfind("postgresql://", 0) == 0 || location.rfind("postgres://", 0) == 0) {
    return true;
  }
  // key=value form: a file path holds no "dbname=" or "host=" word.
  for (std::string_view key : {"dbname=", "host=", "service="}) {
    const std::size_t at = location.find(key);
    if (at != std::string_view::npos && (at == 0 || location[at - 1] == ' ')) return true;
  }
  return false;
}

Ledger::Ledger(std::unique_ptr<SqlConnection> db, std::string path, LedgerOptions options,
               bool on_postgres)
    : db_(std::move(db)),
      path_(std::move(path)),
      options_(std::move(options)),
      on_postgres_(on_postgres) {}

Ledger::Ledger(Ledger&& other) noexcept
    : db_(std::move(other.db_)),
      path_(std::move(other.path_)),
      options_(std::move(other.options_)),
      on_postgres_(other.on_postgres_),
      token_(std::move(other.token_)),
      in_tx_(other.in_tx_) {
  other.in_tx_ = false;
}

Ledger& Ledger::operator=(Ledger&& other) noexcept {
  if (this != &other) {
    db_ = std::move(other.db_);
    path_ = std::move(other.path_);
    options_ = std::move(other.options_);
    on_postgres_ = other.on_postgres_;
    token_ = std::move(other.token_);
    in_tx_ = other.in_tx_;
    other.in_tx_ = false;
  }
  return *this;
}

Ledger::~Ledger() = default;

LedgerError Ledger::Error(LedgerErrorKind kind, std::string_view what, std::string_view why) const {
  std::string message = "ledger " + path_ + ": ";
  message += what;
  message += ": ";
  message += why;
  return LedgerError{kind, std::move(message)};
}

LedgerError Ledger::Error(std::string_view what, SqlCode rc) const {
  LedgerErrorKind kind = LedgerErrorKind::kStorage;
  switch (rc) {
    case SqlCode::kBusy:
      kind = LedgerErrorKind::kBusy;
      break;
    case SqlCode::kDuplicate:
      kind = LedgerErrorKind::kDuplicate;
      break;
    case SqlCode::kMissingReference:
      kind = LedgerErrorKind::kNotFound;
      break;
    case SqlCode::kRefused:
      kind = LedgerErrorKind::kInvalidArgument;
      break;
    case SqlCode::kSqlError:  // a bug here, or a schema someone changed by hand
      kind = LedgerErrorKind::kSchema;
      break;
    default:
      break;
  }
  return Error(kind, what, db_ != nullptr ? db_->ErrorMessage(rc) : "no connection");
}

LedgerStatus Ledger::Exec(const std::string& sql, std::string_view what) {
  const SqlCode rc = db_->Exec(sql);
  if (rc != SqlCode::kOk) return Error(what, rc);
  return std::nullopt;
}

LedgerStatus Ledger::CheckNotBroken(std::string_view what) {
  // SQLite itself rolls back the whole transaction on some errors (full
  // disk, I/O error), and a lost PostgreSQL connection takes it along.
  // Statements after that would run in autocommit mode, one by one, and
  // break the caller's all-or-nothing: refuse them instead.
  if (in_tx_ && !db_->InTransaction()) {
    return Error(LedgerErrorKind::kStorage, what,
                 "the transaction was rolled back by an earlier error; nothing of it was kept");
  }
  return std::nullopt;
}

LedgerStatus Ledger::CheckFence(std::string_view what) {
  if (!on_postgres_ || options_.fencing_term == nullptr) return std::nullopt;
  const std::int64_t mine = options_.fencing_term->load();
  if (mine == 0) {
    return Error(LedgerErrorKind::kStorage, what,
                 "fenced: this collector does not lead the HA pair");
  }
  Stmt st(db_, "SELECT coalesce(max(term), 0) FROM collector_terms");
  const SqlCode rc = st.Step();
  if (rc != SqlCode::kRow) return Error(std::string(what) + " (fencing check)", rc);
  if (const std::int64_t latest = st.Int64(0); latest != mine) {
    return Error(LedgerErrorKind::kStorage, what,
                 "fenced: this collector led under term " + std::to_string(mine) + ", and term " +
                     std::to_string(latest) + " has begun");
  }
  return std::nullopt;
}

LedgerStatus Ledger::RowsStatus(SqlCode rc, const std::string& bad, std::string_view what) const {
  if (rc != SqlCode::kDone) return Error(what, rc);
  if (!bad.empty()) return Error(LedgerErrorKind::kSchema, what, bad);
  return std::nullopt;
}

LedgerError Ledger::MissingOrWrongState(const char* table, std::int64_t id, std::string_view what,
                                        std::string_view expected) {
  Stmt st(db_, std::string("SELECT 1 FROM ") + table + " WHERE id = ?1");
  st.Bind(1, id);
  const SqlCode rc = st.Step();
  if (rc == SqlCode::kDone) return Error(LedgerErrorKind::kNotFound, what, "no such row");
  if (rc != SqlCode::kRow) return Error(what, rc);
  return Error(LedgerErrorKind::kWrongState, what, expected);
}

LedgerResult<Ledger> Ledger::Open(const std::string& path, LedgerOptions options) {
  const bool postgres = IsPostgresLocation(path);
  SqlOpenOptions open_options{options.read_only, options.busy_timeout, options.password.Reveal()};
  SqlOpenResult opened =
      postgres ? OpenPostgres(path, open_options) : OpenSqlite(path, open_options);
  Ledger ledger(std::move(opened.connection), postgres ? DescribeConninfo(path) : path,
                std::move(options), postgres);
  if (ledger.db_ == nullptr) {
    return ledger.Error(LedgerErrorKind::kStorage, "open", opened.error);
  }
  if (auto err = ledger.Migrate()) return *err;

  {
    Stmt st(ledger.db_, "SELECT value FROM ledger_info WHERE key = 'message_id_token'");
    const SqlCode rc = st.Step();
    if (rc == SqlCode::kRow) {
      ledger.token_ = st.Text(0);
    } else if (ledger.options_.migrations.empty()) {  // test schemas may lack it
      if (rc == SqlCode::kDone) {
        return ledger.Error(LedgerErrorKind::kStorage, "read the Message-ID token",
                            "ledger_info has no message_id_token: the ledger is damaged");
      }
      return ledger.Error("read the Message-ID token", rc);
    }
  }
  return ledger;
}

LedgerResult<int> Ledger::SchemaVersion() {
  int version = 0;
  const SqlCode rc = db_->SchemaVersion(version);
  if (rc != SqlCode::kOk) return Error("read the schema version", rc);
  return version;
}

LedgerStatus Ledger::Migrate() {
  const std::vector<std::string>& steps =
      options_.migrations.empty() ? db_->Migrations() : options_.migrations;
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
  if (const SqlCode rc = db_->BeforeMigration(); rc != SqlCode::kOk) {
    return Error("migrate the schema", rc);
  }
  LedgerStatus result = MigrateSteps(steps, *version);
  if (const SqlCode rc = db_->AfterMigration(); rc != SqlCode::kOk && !result) {
    result = Error("migrate the schema", rc);
  }
  return result;
}

LedgerStatus Ledger::MigrateSteps(const std::vector<std::string>& steps, int from) {
  const int known = static_cast<int>(steps.size());
  for (int step = from; step < known; ++step) {
    const std::string what = "migrate the schema to version " + std::to_string(step + 1);
    // One transaction per step: a failed step leaves the ledger at the
    // previous version, whole.
    if (auto err = Exec(db_->BeginWriteSql(), what)) {
      if (db_->InTransaction()) db_->Exec("ROLLBACK");
      return err;
    }
    // Another process may have migrated while we waited for the lock.
    auto now_at = SchemaVersion();
    if (!now_at) {
      db_->Exec("ROLLBACK");
      return now_at.error();
    }
    if (*now_at > step) {
      db_->Exec("ROLLBACK");
      step = *now_at - 1;
      continue;
    }
    std::string sql = steps[static_cast<std::size_t>(step)];
    sql += ";\n" + db_->SetSchemaVersionSql(step + 1) + ";";
    LedgerStatus err = Exec(sql, what);
    if (!err) {
      if (std::string broken = db_->BrokenReference(); !broken.empty()) {
        err = Error(LedgerErrorKind::kSchema, what, "the step would leave " + broken);
      }
    }
    if (!err) err = Exec("COMMIT", what);
    if (err) {
      if (db_->InTransaction()) db_->Exec("ROLLBACK");
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
  if (auto err = CheckNotBroken("begin a transaction")) return *err;
  LedgerStatus err = Exec(db_->BeginWriteSql(), "begin a transaction");
  if (!err) err = CheckFence("begin a transaction");
  if (err) {
    if (db_->InTransaction()) db_->Exec("ROLLBACK");
    return *err;
  }
  in_tx_ = true;
  return LedgerTx(this);
}

void Ledger::EndTx(bool commit, LedgerStatus* result) {
  in_tx_ = false;
  if (!db_->InTransaction()) {  // the engine already rolled it back
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
  if (db_->InTransaction()) db_->Exec("ROLLBACK");
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
