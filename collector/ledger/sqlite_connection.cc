// The ledger on SQLite: one file beside the collector.
#include <sqlite3.h>

#include <string>
#include <system_error>

#include "collector/ledger/ledger.h"
#include "collector/ledger/sql_connection.h"

namespace mimamori::collector::ledger_internal {

namespace {

SqlCode CodeOf(int rc) {
  switch (rc) {
    case SQLITE_OK:
      return SqlCode::kOk;
    case SQLITE_ROW:
      return SqlCode::kRow;
    case SQLITE_DONE:
      return SqlCode::kDone;
    case SQLITE_CONSTRAINT_UNIQUE:
    case SQLITE_CONSTRAINT_PRIMARYKEY:
      return SqlCode::kDuplicate;
    case SQLITE_CONSTRAINT_FOREIGNKEY:
      return SqlCode::kMissingReference;
    default:
      break;
  }
  switch (rc & 0xff) {
    case SQLITE_BUSY:
    case SQLITE_LOCKED:
      return SqlCode::kBusy;
    case SQLITE_CONSTRAINT:
      return SqlCode::kRefused;
    case SQLITE_MISUSE:
    case SQLITE_RANGE:
    case SQLITE_ERROR:
      return SqlCode::kSqlError;
    default:  // FULL, IOERR, READONLY, CANTOPEN, CORRUPT, NOTADB, PERM, NOMEM, ...
      return SqlCode::kStorage;
  }
}

class SqliteStatement final : public SqlStatement {
 public:
  SqliteStatement(sqlite3* db, const std::string& sql) {
    rc_ = sqlite3_prepare_v2(db, sql.c_str(), -1, &stmt_, nullptr);
  }
  ~SqliteStatement() override { sqlite3_finalize(stmt_); }
  SqliteStatement(const SqliteStatement&) = delete;
  SqliteStatement& operator=(const SqliteStatement&) = delete;

  void BindInt64(int i, std::int64_t v) override { Keep(sqlite3_bind_int64(stmt_, i, v)); }
  void BindDouble(int i, double v) override { Keep(sqlite3_bind_double(stmt_, i, v)); }
  void BindText(int i, std::string_view v) override {
    Keep(sqlite3_bind_text(stmt_, i, v.data(), static_cast<int>(v.size()), SQLITE_TRANSIENT));
  }
  void BindNull(int i) override { Keep(sqlite3_bind_null(stmt_, i)); }

  SqlCode Step() override {
    if (rc_ != SQLITE_OK) return CodeOf(rc_);
    return CodeOf(sqlite3_step(stmt_));
  }
  void Reset() override {
    if (stmt_ == nullptr) return;
    sqlite3_reset(stmt_);
    sqlite3_clear_bindings(stmt_);
  }
  bool Null(int c) const override { return sqlite3_column_type(stmt_, c) == SQLITE_NULL; }
  std::int64_t Int64(int c) const override { return sqlite3_column_int64(stmt_, c); }
  double Double(int c) const override { return sqlite3_column_double(stmt_, c); }
  std::string Text(int c) const override {
    const unsigned char* p = sqlite3_column_text(stmt_, c);
    return p ? std::string(reinterpret_cast<const char*>(p),
                           static_cast<std::size_t>(sqlite3_column_bytes(stmt_, c)))
             : std::string();
  }
  std::string ColumnName(int c) const override {
    const char* name = sqlite3_column_name(stmt_, c);
    return name ? name : "";
  }

 private:
  void Keep(int rc) {
    if (rc_ == SQLITE_OK) rc_ = rc;
  }

  sqlite3_stmt* stmt_ = nullptr;
  int rc_ = SQLITE_OK;
};

class SqliteConnection final : public SqlConnection {
 public:
  explicit SqliteConnection(sqlite3* db) : db_(db) {}
  // close_v2: a statement that is somehow still open must not keep the file
  // open forever; it closes when the last one is finalized.
  ~SqliteConnection() override { sqlite3_close_v2(db_); }
  SqliteConnection(const SqliteConnection&) = delete;
  SqliteConnection& operator=(const SqliteConnection&) = delete;

  std::unique_ptr<SqlStatement> Prepare(const std::string& sql) override {
    return std::make_unique<SqliteStatement>(db_, sql);
  }
  SqlCode Exec(const std::string& sql) override {
    return CodeOf(sqlite3_exec(db_, sql.c_str(), nullptr, nullptr, nullptr));
  }
  bool InTransaction() override { return sqlite3_get_autocommit(db_) == 0; }
  std::int64_t Changes() override { return sqlite3_changes(db_); }
  std::string ErrorMessage(SqlCode code) override {
    std::string why = sqlite3_errmsg(db_);
    // The OS error says what an operator must fix (no space, permissions).
    const int sys = sqlite3_system_errno(db_);
    if (code == SqlCode::kStorage && sys != 0) {
      why += " (errno " + std::to_string(sys) + ": " +
             std::error_code(sys, std::generic_category()).message() + ")";
    }
    return why;
  }

  // IMMEDIATE: two writers queue on the busy timeout at the start instead
  // of failing with SQLITE_BUSY when a read lock would have to upgrade.
  std::string BeginWriteSql() const override { return "BEGIN IMMEDIATE"; }
  std::string BeginReadSql() const override { return "BEGIN"; }

  const std::vector<std::string>& Migrations() const override { return LedgerMigrations(); }
  SqlCode SchemaVersion(int& version) override {
    SqliteStatement st(db_, "PRAGMA user_version");
    const SqlCode rc = st.Step();
    if (rc == SqlCode::kRow) version = static_cast<int>(st.Int64(0));
    return rc == SqlCode::kRow ? SqlCode::kOk : rc;
  }
  std::string SetSchemaVersionSql(int version) const override {
    return "PRAGMA user_version = " + std::to_string(version);
  }
  // Rebuilding a table (the only way to change a CHECK) drops the old one,
  // which with foreign keys on would count as deleting every referenced row.
  // The pragma is a no-op inside a transaction, so it is set around them;
  // each step proves its work kept every reference (BrokenReference).
  SqlCode BeforeMigration() override { return Exec("PRAGMA foreign_keys = OFF"); }
  SqlCode AfterMigration() override { return Exec("PRAGMA foreign_keys = ON"); }
  std::string BrokenReference() override {
    SqliteStatement check(db_, "PRAGMA foreign_key_check");
    const SqlCode rc = check.Step();
    if (rc == SqlCode::kRow) {
      return "a row of " + check.Text(0) + " points to a missing row of " + check.Text(2);
    }
    if (rc != SqlCode::kDone) return "the foreign key check failed: " + ErrorMessage(rc);
    return "";
  }

 private:
  sqlite3* db_;
};

}  // namespace

SqlOpenResult OpenSqlite(const std::string& path, const SqlOpenOptions& options) {
  // NOMUTEX: the contract is one Ledger per thread, so SQLite's own
  // connection mutex would only cost.
  const int flags =
      SQLITE_OPEN_NOMUTEX |
      (options.read_only ? SQLITE_OPEN_READONLY : (SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE));
  sqlite3* db = nullptr;
  const int rc = sqlite3_open_v2(path.c_str(), &db, flags, nullptr);
  // Owns `db` from here on, even when the open failed (SQLite still
  // allocates a handle that carries the message).
  auto connection = std::make_unique<SqliteConnection>(db);
  SqlOpenResult result;
  auto fail = [&](SqlCode code, std::string why) {
    result.code = code;
    result.error = std::move(why);
    return std::move(result);
  };
  if (rc != SQLITE_OK) return fail(CodeOf(rc), "open: " + connection->ErrorMessage(CodeOf(rc)));
  sqlite3_extended_result_codes(db, 1);
  sqlite3_busy_timeout(db, static_cast<int>(options.busy_timeout.count()));

  // SQLite quietly opens a file it may not write read-only; say so now, not
  // at the first report.
  if (!options.read_only && sqlite3_db_readonly(db, "main") == 1) {
    return fail(SqlCode::kStorage, "open: the file is read-only (check its permissions and owner)");
  }
  if (SqlCode code = connection->Exec("PRAGMA foreign_keys = ON"); code != SqlCode::kOk) {
    return fail(code, "enable foreign keys: " + connection->ErrorMessage(code));
  }
  if (!options.read_only) {
    // WAL: the CLI and the monthly report read while the collector writes,
    // without blocking it. The mode is stored in the file.
    SqliteStatement st(db, "PRAGMA journal_mode = WAL");
    if (SqlCode code = st.Step(); code != SqlCode::kRow) {
      return fail(code, "set WAL mode: " + connection->ErrorMessage(code));
    }
    if (std::string mode = st.Text(0); mode != "wal") {
      return fail(SqlCode::kStorage,
                  "set WAL mode: the file system refused WAL (journal mode is " + mode + ")");
    }
  }
  // FULL, not NORMAL: in WAL mode NORMAL syncs only at checkpoints, so a
  // power cut can undo the last commits. Undoing an EnqueueReport loses a
  // report; undoing a MarkSent repeats one. FULL syncs the WAL at every
  // commit; the cost, one fsync per report step, is nothing at our rate.
  if (SqlCode code = connection->Exec("PRAGMA synchronous = FULL"); code != SqlCode::kOk) {
    return fail(code, "set synchronous=FULL: " + connection->ErrorMessage(code));
  }
  result.connection = std::move(connection);
  return result;
}

}  // namespace mimamori::collector::ledger_internal
