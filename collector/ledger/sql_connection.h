// Internal to the ledger: the two storage engines it runs on (SQLite, one
// file; PostgreSQL, shared by several collectors) behind one small
// interface, so that every ledger operation is written once. The ledger's
// SQL is the common part of both dialects (placeholders ?N, ON CONFLICT,
// RETURNING, CASE instead of SQLite's boolean sums); what differs (the
// schema's DDL, the schema version, how a write transaction excludes other
// writers) is asked of the connection.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace mimamori::collector::ledger_internal {

/// The outcome of a statement, in the ledger's terms rather than either
/// engine's codes.
enum class SqlCode {
  kOk,
  kRow,   ///< a result row is ready
  kDone,  ///< the statement ran to completion
  /// Another connection held a lock past the busy timeout (SQLite
  /// BUSY/LOCKED, PostgreSQL lock_not_available, serialization, deadlock).
  kBusy,
  kDuplicate,         ///< a unique or primary key refused the row
  kMissingReference,  ///< a foreign key points to no row
  kRefused,           ///< another constraint (CHECK, NOT NULL) refused the value
  kSqlError,          ///< the SQL itself failed: a bug here, or a schema changed by hand
  kStorage,           ///< the engine cannot store: disk, I/O, permissions, connection lost
};

/// A prepared statement. Binds and columns are numbered as in SQLite:
/// parameters from 1, columns from 0. A failed prepare or bind is kept and
/// returned by the first Step.
class SqlStatement {
 public:
  virtual ~SqlStatement() = default;
  virtual void BindInt64(int i, std::int64_t v) = 0;
  virtual void BindDouble(int i, double v) = 0;
  virtual void BindText(int i, std::string_view v) = 0;
  virtual void BindNull(int i) = 0;
  /// Runs the statement (on the first call) and moves to the next row.
  virtual SqlCode Step() = 0;
  /// Ready to run again with new bindings.
  virtual void Reset() = 0;
  virtual bool Null(int c) const = 0;
  virtual std::int64_t Int64(int c) const = 0;
  virtual double Double(int c) const = 0;
  virtual std::string Text(int c) const = 0;
  virtual std::string ColumnName(int c) const = 0;
};

/// One connection to the engine. Not thread-safe (one per thread, like the
/// Ledger that owns it).
class SqlConnection {
 public:
  virtual ~SqlConnection() = default;

  /// Never null: a statement that failed to prepare returns the error from
  /// its first Step.
  virtual std::unique_ptr<SqlStatement> Prepare(const std::string& sql) = 0;
  /// Runs one or more statements without results.
  virtual SqlCode Exec(const std::string& sql) = 0;
  /// Whether a transaction is open (false also when the engine itself
  /// ended it after an error, or lost the connection).
  virtual bool InTransaction() = 0;
  /// Rows changed by the latest INSERT, UPDATE or DELETE.
  virtual std::int64_t Changes() = 0;
  /// The latest error, as the engine put it, with the OS's reason where the
  /// engine knows one.
  virtual std::string ErrorMessage(SqlCode code) = 0;

  /// Starts a write transaction that excludes every other writer of the
  /// ledger until it ends, as SQLite's BEGIN IMMEDIATE does: the ledger's
  /// rules (one report number per report, one claim per report) are checked
  /// by reading before writing, which is only sound with one writer at a time.
  virtual std::string BeginWriteSql() const = 0;
  /// A read transaction: one consistent snapshot for a multi-query read.
  virtual std::string BeginReadSql() const = 0;

  // --- schema

  /// The built-in migrations of this engine: step i takes version i to
  /// i + 1. Both engines have the same versions; the steps differ in
  /// dialect.
  virtual const std::vector<std::string>& Migrations() const = 0;
  virtual SqlCode SchemaVersion(int& version) = 0;
  /// The SQL that records `version` inside the step's transaction.
  virtual std::string SetSchemaVersionSql(int version) const = 0;
  /// Around all steps (SQLite turns foreign keys off to rebuild tables).
  virtual SqlCode BeforeMigration() = 0;
  virtual SqlCode AfterMigration() = 0;
  /// After a step, inside its transaction: "" when every reference holds,
  /// else which table points to which missing row.
  virtual std::string BrokenReference() = 0;
};

struct SqlOpenOptions {
  bool read_only = false;
  std::chrono::milliseconds busy_timeout{5000};
  /// PostgreSQL only: the password, read by the caller from a file or the
  /// environment (never part of the connection string, which is logged).
  std::string password;
};

/// A connection, or why there is none (`connection` null, `code` and
/// `error` set).
struct SqlOpenResult {
  std::unique_ptr<SqlConnection> connection;
  SqlCode code = SqlCode::kOk;
  std::string error;
};

/// A SQLite file in WAL mode, synchronous=FULL, foreign keys on; created
/// unless read_only.
SqlOpenResult OpenSqlite(const std::string& path, const SqlOpenOptions& options);
/// A PostgreSQL database by a libpq connection string (URI or key=value).
SqlOpenResult OpenPostgres(const std::string& conninfo, const SqlOpenOptions& options);

}  // namespace mimamori::collector::ledger_internal
