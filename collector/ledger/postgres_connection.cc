// The ledger on PostgreSQL: one database shared by every collector of a
// platform (the HA pair, the shards), so the ledger has no single machine.
//
// Durability is the server's: a COMMIT returns once the WAL is flushed
// (synchronous_commit on, the default; we refuse nothing weaker). Writers
// exclude each other by a transaction-level advisory lock, the same rule as
// SQLite's one writer, so every ledger operation keeps its meaning on both.
#include <libpq-fe.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <optional>
#include <string>

#include "collector/ledger/ledger.h"
#include "collector/ledger/sql_connection.h"

namespace mimamori::collector::ledger_internal {

namespace {

// The ledger writers' lock: the two-key form (its own space, apart from any
// one-key lock another part of mimamori takes), key 1 in "mima"'s class.
constexpr const char* kWriterLock = "SELECT pg_advisory_xact_lock(1835625837, 1)";

// Type OIDs of pg_type, stable since PostgreSQL 7.
constexpr Oid kInt8Oid = 20;
constexpr Oid kTextOid = 25;
constexpr Oid kFloat8Oid = 701;

SqlCode CodeOfState(const char* sqlstate) {
  if (sqlstate == nullptr) return SqlCode::kStorage;  // no server answer: the connection
  const std::string state(sqlstate);
  if (state == "23505") return SqlCode::kDuplicate;
  if (state == "23503") return SqlCode::kMissingReference;
  if (state.rfind("23", 0) == 0) return SqlCode::kRefused;
  if (state == "55P03" || state == "40001" || state == "40P01") return SqlCode::kBusy;
  if (state.rfind("42", 0) == 0 || state.rfind("22", 0) == 0 || state == "0A000") {
    return SqlCode::kSqlError;
  }
  return SqlCode::kStorage;  // 08 connection, 53 resources (disk full), 57 shutdown, 58 I/O
}

/// "?1 … ?N" (and bare "?") to PostgreSQL's "$1 … $N", outside quoted text.
std::string ToDollarPlaceholders(const std::string& sql) {
  std::string out;
  out.reserve(sql.size() + 8);
  int next = 1;
  char quote = 0;
  for (std::size_t i = 0; i < sql.size(); ++i) {
    const char c = sql[i];
    if (quote != 0) {
      out += c;
      if (c == quote) quote = 0;
      continue;
    }
    if (c == '\'' || c == '"') {
      quote = c;
      out += c;
      continue;
    }
    if (c != '?') {
      out += c;
      continue;
    }
    std::size_t j = i + 1;
    while (j < sql.size() && sql[j] >= '0' && sql[j] <= '9') ++j;
    if (j > i + 1) {
      out += '$';
      out.append(sql, i + 1, j - i - 1);
      next = std::atoi(sql.c_str() + i + 1) + 1;
      i = j - 1;
    } else {
      out += '$' + std::to_string(next++);
    }
  }
  return out;
}

std::string Trimmed(const char* text) {
  std::string s = text ? text : "";
  while (!s.empty() && (s.back() == '\n' || s.back() == ' ')) s.pop_back();
  return s;
}

class PostgresConnection;

/// libpq's parameter values: the text of each, NULL for a null.
std::vector<const char*> ValuePointers(const std::vector<std::optional<std::string>>& params) {
  std::vector<const char*> values;
  values.reserve(params.size());
  for (const auto& p : params) values.push_back(p ? p->c_str() : nullptr);
  return values;
}

class PostgresStatement final : public SqlStatement {
 public:
  PostgresStatement(PostgresConnection& connection, const std::string& sql)
      : connection_(connection), sql_(ToDollarPlaceholders(sql)) {}
  ~PostgresStatement() override;
  PostgresStatement(const PostgresStatement&) = delete;
  PostgresStatement& operator=(const PostgresStatement&) = delete;

  void BindInt64(int i, std::int64_t v) override { Set(i, std::to_string(v), kInt8Oid); }
  void BindDouble(int i, double v) override {
    char text[32];
    std::snprintf(text, sizeof text, "%.17g", v);
    Set(i, text, kFloat8Oid);
  }
  void BindText(int i, std::string_view v) override { Set(i, std::string(v), kTextOid); }
  // Untyped: the server takes the column's type (a typed NULL of text would
  // not go into a BIGINT column).
  void BindNull(int i) override { Set(i, std::nullopt, 0); }

  SqlCode Step() override;
  /// Runs the statement once: as it is the first time, prepared (once per
  /// session) from the second on. Leaves the result in result_.
  SqlCode Execute();
  // A statement run again is a loop (50,000 resource samples in one
  // transaction): from its second run on it is prepared once on the server,
  // so each run skips the parse and the plan.
  void Reset() override {
    reused_ = true;
    Clear();
    params_.clear();
    types_.clear();
  }
  bool Null(int c) const override { return PQgetisnull(result_, row_, c) != 0; }
  std::int64_t Int64(int c) const override {
    return std::strtoll(PQgetvalue(result_, row_, c), nullptr, 10);
  }
  double Double(int c) const override { return std::strtod(PQgetvalue(result_, row_, c), nullptr); }
  std::string Text(int c) const override {
    return std::string(PQgetvalue(result_, row_, c),
                       static_cast<std::size_t>(PQgetlength(result_, row_, c)));
  }
  std::string ColumnName(int c) const override {
    const char* name = PQfname(result_, c);
    return name ? name : "";
  }

 private:
  void Set(int i, std::optional<std::string> value, Oid type) {
    if (i < 1) return;
    const auto at = static_cast<std::size_t>(i - 1);
    if (params_.size() <= at) {
      params_.resize(at + 1);
      types_.resize(at + 1, kTextOid);
    }
    params_[at] = std::move(value);
    types_[at] = type;
  }
  void Clear() {
    if (result_ != nullptr) PQclear(result_);
    result_ = nullptr;
    row_ = -1;
    rows_ = 0;
  }

  PostgresConnection& connection_;
  std::string sql_;
  std::vector<std::optional<std::string>> params_;
  std::vector<Oid> types_;
  PGresult* result_ = nullptr;
  int row_ = -1;
  int rows_ = 0;
  SqlCode failed_ = SqlCode::kOk;
  bool reused_ = false;
  std::string prepared_name_;  ///< set while prepared on the connection
  int prepared_session_ = -1;  ///< the session it was prepared in (see session())
};

class PostgresConnection final : public SqlConnection {
 public:
  PostgresConnection(PGconn* conn, std::chrono::milliseconds busy_timeout)
      : conn_(conn), busy_timeout_(busy_timeout) {}
  ~PostgresConnection() override { PQfinish(conn_); }
  PostgresConnection(const PostgresConnection&) = delete;
  PostgresConnection& operator=(const PostgresConnection&) = delete;

  /// Session settings, after every (re)connection.
  SqlCode Setup() {
    // The server's notices (an IF NOT EXISTS that found the table) are not
    // errors and must not reach stderr.
    PQsetNoticeProcessor(
        conn_, [](void*, const char*) {}, nullptr);
    return Exec("SET lock_timeout = " + std::to_string(busy_timeout_.count()) +
                "; SET synchronous_commit = on; SET client_min_messages = warning");
  }

  /// A collector outlives PostgreSQL restarts: a connection lost between
  /// transactions is made again before the next statement. One lost inside
  /// a transaction is not: the transaction is gone, and the caller's
  /// InTransaction check reports it.
  void Reconnect() {
    if (PQstatus(conn_) == CONNECTION_OK || InTransaction()) return;
    PQreset(conn_);
    ++session_;  // prepared statements died with the old session
    if (PQstatus(conn_) == CONNECTION_OK) Setup();
  }
  int session() const { return session_; }
  std::string NextStatementName() { return "mimamori_" + std::to_string(++statements_); }

  /// Prepares `sql` as `name`; the outcome as Outcome reports it.
  SqlCode PrepareNamed(const std::string& name, const std::string& sql,
                       const std::vector<Oid>& types) {
    Reconnect();
    PGresult* result =
        PQprepare(conn_, name.c_str(), sql.c_str(), static_cast<int>(types.size()), types.data());
    const SqlCode code = Outcome(result);
    PQclear(result);
    return code;
  }
  PGresult* RunPrepared(const std::string& name,
                        const std::vector<std::optional<std::string>>& params) {
    const std::vector<const char*> values = ValuePointers(params);
    return PQexecPrepared(conn_, name.c_str(), static_cast<int>(params.size()), values.data(),
                          nullptr, nullptr, 0);
  }
  /// Frees a prepared statement of the current session (no error reported:
  /// a statement of a lost session is gone anyway).
  void Deallocate(const std::string& name) {
    if (PQstatus(conn_) != CONNECTION_OK) return;
    PQclear(PQexec(conn_, ("DEALLOCATE " + name).c_str()));
  }

  PGresult* Run(const std::string& sql, const std::vector<std::optional<std::string>>& params,
                const std::vector<Oid>& types) {
    Reconnect();
    const std::vector<const char*> values = ValuePointers(params);
    return PQexecParams(conn_, sql.c_str(), static_cast<int>(params.size()), types.data(),
                        values.data(), nullptr, nullptr, 0);
  }

  /// Records the outcome of `result` (which stays the caller's).
  SqlCode Outcome(PGresult* result) {
    const ExecStatusType status = result ? PQresultStatus(result) : PGRES_FATAL_ERROR;
    if (status == PGRES_COMMAND_OK || status == PGRES_TUPLES_OK) {
      const char* tuples = result ? PQcmdTuples(result) : "";
      changes_ = (tuples && *tuples) ? std::strtoll(tuples, nullptr, 10) : 0;
      return SqlCode::kOk;
    }
    last_error_ = result ? Trimmed(PQresultErrorMessage(result)) : "";
    if (last_error_.empty()) last_error_ = Trimmed(PQerrorMessage(conn_));
    if (last_error_.empty()) last_error_ = "no answer from the server";
    return CodeOfState(result ? PQresultErrorField(result, PG_DIAG_SQLSTATE) : nullptr);
  }

  std::unique_ptr<SqlStatement> Prepare(const std::string& sql) override {
    return std::make_unique<PostgresStatement>(*this, sql);
  }
  SqlCode Exec(const std::string& sql) override {
    Reconnect();
    PGresult* result = PQexec(conn_, sql.c_str());
    SqlCode code = Outcome(result);
    // PostgreSQL answers COMMIT of a transaction that an error aborted with
    // a ROLLBACK and no error: that must not read as kept.
    if (code == SqlCode::kOk && sql == "COMMIT" && std::string(PQcmdStatus(result)) == "ROLLBACK") {
      last_error_ = "the transaction was rolled back by an earlier error; nothing of it was kept";
      code = SqlCode::kStorage;
    }
    PQclear(result);
    return code;
  }
  bool InTransaction() override {
    if (PQstatus(conn_) != CONNECTION_OK) return false;
    const PGTransactionStatusType t = PQtransactionStatus(conn_);
    return t == PQTRANS_INTRANS || t == PQTRANS_INERROR || t == PQTRANS_ACTIVE;
  }
  std::int64_t Changes() override { return changes_; }
  std::string ErrorMessage(SqlCode) override {
    return last_error_.empty() ? Trimmed(PQerrorMessage(conn_)) : last_error_;
  }

  std::string BeginWriteSql() const override {
    return std::string("BEGIN ISOLATION LEVEL READ COMMITTED; ") + kWriterLock;
  }
  std::string BeginReadSql() const override { return "BEGIN ISOLATION LEVEL REPEATABLE READ"; }

  const std::vector<std::string>& Migrations() const override { return PostgresLedgerMigrations(); }
  SqlCode SchemaVersion(int& version) override {
    // pg_tables, not to_regclass: a plain MVCC read sees a table another
    // process created and committed while we waited for the writers' lock;
    // to_regclass may answer from a stale catalog cache.
    PGresult* r =
        Run("SELECT EXISTS (SELECT 1 FROM pg_catalog.pg_tables WHERE schemaname = current_schema() "
            "AND tablename = 'ledger_info')",
            {}, {});
    SqlCode code = Outcome(r);
    const bool exists = code == SqlCode::kOk && PQntuples(r) == 1 && *PQgetvalue(r, 0, 0) == 't';
    PQclear(r);
    if (code != SqlCode::kOk) return code;
    version = 0;
    if (!exists) return SqlCode::kOk;
    r = Run("SELECT value FROM ledger_info WHERE key = 'schema_version'", {}, {});
    code = Outcome(r);
    if (code == SqlCode::kOk && PQntuples(r) == 1) {
      version = std::atoi(PQgetvalue(r, 0, 0));
    }
    PQclear(r);
    return code;
  }
  std::string SetSchemaVersionSql(int version) const override {
    return "INSERT INTO ledger_info (key, value) VALUES ('schema_version', '" +
           std::to_string(version) + "') ON CONFLICT (key) DO UPDATE SET value = excluded.value";
  }
  SqlCode BeforeMigration() override { return SqlCode::kOk; }
  SqlCode AfterMigration() override { return SqlCode::kOk; }
  // PostgreSQL checks every reference when the statement runs.
  std::string BrokenReference() override { return ""; }

 private:
  PGconn* conn_;
  std::chrono::milliseconds busy_timeout_;
  std::int64_t changes_ = 0;
  std::string last_error_;
  int session_ = 0;
  long long statements_ = 0;
};

PostgresStatement::~PostgresStatement() {
  Clear();
  if (!prepared_name_.empty() && prepared_session_ == connection_.session()) {
    connection_.Deallocate(prepared_name_);
  }
}

SqlCode PostgresStatement::Execute() {
  if (!reused_) {
    result_ = connection_.Run(sql_, params_, types_);
    return connection_.Outcome(result_);
  }
  // Reconnect first: a new session has none of our prepared statements.
  connection_.Reconnect();
  if (prepared_name_.empty() || prepared_session_ != connection_.session()) {
    prepared_name_ = connection_.NextStatementName();
    if (const SqlCode code = connection_.PrepareNamed(prepared_name_, sql_, types_);
        code != SqlCode::kOk) {
      prepared_name_.clear();
      return code;
    }
    prepared_session_ = connection_.session();
  }
  result_ = connection_.RunPrepared(prepared_name_, params_);
  return connection_.Outcome(result_);
}

SqlCode PostgresStatement::Step() {
  if (result_ == nullptr) {
    failed_ = Execute();
    if (failed_ != SqlCode::kOk) return failed_;
    rows_ = PQresultStatus(result_) == PGRES_TUPLES_OK ? PQntuples(result_) : 0;
    row_ = -1;
  } else if (failed_ != SqlCode::kOk) {
    return failed_;
  }
  if (row_ + 1 < rows_) {
    ++row_;
    return SqlCode::kRow;
  }
  row_ = rows_;
  return SqlCode::kDone;
}

}  // namespace

SqlOpenResult OpenPostgres(const std::string& conninfo, const SqlOpenOptions& options) {
  SqlOpenResult result;
  char* parse_error = nullptr;
  PQconninfoOption* parsed = PQconninfoParse(conninfo.c_str(), &parse_error);
  if (parsed == nullptr) {
    result.code = SqlCode::kSqlError;
    // libpq's message may quote the string, password and all: not shown.
    result.error = "the connection string does not parse (key=value pairs or a postgresql:// URI)";
    PQfreemem(parse_error);
    return result;
  }
  PQconninfoFree(parsed);
  // expand_dbname: `dbname` carries the whole connection string; the
  // password comes apart from it, so it is never in what we print.
  // The caller's string wins over these defaults (they come before the
  // expanded dbname): connect_timeout bounds a connection attempt; over TCP,
  // tcp_user_timeout bounds a statement whose answer never comes (a split
  // network) and the keepalives find a dead server on an idle session.
  std::vector<const char*> keys = {"application_name",
                                   "connect_timeout",
                                   "tcp_user_timeout",
                                   "keepalives_idle",
                                   "keepalives_interval",
                                   "keepalives_count",
                                   "dbname"};
  std::vector<const char*> values = {"mimamori", "10", "10000", "10", "5", "3", conninfo.c_str()};
  if (!options.password.empty()) {
    keys.push_back("password");
    values.push_back(options.password.c_str());
  }
  keys.push_back(nullptr);
  values.push_back(nullptr);
  PGconn* conn = PQconnectdbParams(keys.data(), values.data(), 1);
  auto connection = std::make_unique<PostgresConnection>(conn, options.busy_timeout);
  if (conn == nullptr || PQstatus(conn) != CONNECTION_OK) {
    result.code = SqlCode::kStorage;
    result.error = "connect: " + (conn ? Trimmed(PQerrorMessage(conn)) : "out of memory");
    return result;
  }
  if (SqlCode code = connection->Setup(); code != SqlCode::kOk) {
    result.code = code;
    result.error = "set up the session: " + connection->ErrorMessage(code);
    return result;
  }
  if (options.read_only) {
    // Every write fails, as the SQLite file opened read-only does.
    if (SqlCode code = connection->Exec("SET default_transaction_read_only = on");
        code != SqlCode::kOk) {
      result.code = code;
      result.error = "open read-only: " + connection->ErrorMessage(code);
      return result;
    }
  }
  result.connection = std::move(connection);
  return result;
}

}  // namespace mimamori::collector::ledger_internal
