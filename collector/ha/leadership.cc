#include "collector/ha/leadership.h"

#include <libpq-fe.h>
#include <poll.h>
#include <unistd.h>

#include <algorithm>
#include <climits>
#include <cstdlib>
#include <memory>
#include <set>
#include <vector>

#include "collector/ha/shard_plan.h"

namespace mimamori::collector {

// The tables of the HA pair. Created IF NOT EXISTS, so a new table or column
// needs a migration step here (ALTER TABLE ... ADD COLUMN IF NOT EXISTS),
// never an edit of a shipped CREATE.
const char* const kLeadershipSchema = R"sql(
-- One row per term of leadership: who led from when. A term begins when a
-- collector takes the advisory lock (kLeaderLockKey); its number is one more
-- than any before, so it only grows, and a send can be fenced by checking
-- that its term is still the latest.
CREATE TABLE IF NOT EXISTS collector_terms (
  term bigint PRIMARY KEY CHECK (term > 0),
  leader text NOT NULL,
  began_at timestamptz NOT NULL
);
-- One row per collector of the pair, upserted at each of its heartbeats
-- (Tick). A collector that died keeps its last row: last_heartbeat ages.
CREATE TABLE IF NOT EXISTS collector_members (
  name text PRIMARY KEY,
  role text NOT NULL CHECK (role IN ('leader', 'follower', 'stopped')),
  -- the term it leads (leader), or the latest it saw (follower)
  term bigint NOT NULL DEFAULT 0,
  -- when it took the lead; NULL unless it leads
  leader_since timestamptz,
  last_heartbeat timestamptz NOT NULL,
  -- a follower's view at its heartbeat: who led, and that leader's heartbeat
  seen_leader text,
  seen_leader_heartbeat timestamptz,
  pid integer NOT NULL,
  host text NOT NULL,
  started_at timestamptz NOT NULL
);
-- Sharding: the collector that polls each node, written by the leader
-- (Rebalance). A follower records a node's state changes only while its row
-- here names that follower.
CREATE TABLE IF NOT EXISTS shard_assignments (
  node text PRIMARY KEY,
  collector text NOT NULL,
  assigned_at timestamptz NOT NULL
);
CREATE INDEX IF NOT EXISTS shard_assignments_by_collector ON shard_assignments (collector);
-- One row, rewritten with every change of the assignments: a member reads
-- its share again only when the generation moved.
CREATE TABLE IF NOT EXISTS shard_plan (
  id integer PRIMARY KEY CHECK (id = 1),
  generation bigint NOT NULL,
  term bigint NOT NULL,
  members text NOT NULL,
  updated_at timestamptz NOT NULL
);
)sql";

namespace {

struct ResultDeleter {
  void operator()(PGresult* r) const { PQclear(r); }
};
using PgResult = std::unique_ptr<PGresult, ResultDeleter>;

struct ConnDeleter {
  void operator()(PGconn* c) const { PQfinish(c); }
};
using PgConn = std::unique_ptr<PGconn, ConnDeleter>;

// libpq's messages span lines ("...failed: Connection refused\n\tIs the
// server running..."); log lines do not.
std::string OneLine(std::string_view text) {
  std::string out;
  bool space = false;
  for (char c : text) {
    if (c == '\n' || c == '\t' || c == '\r') {
      space = true;
      continue;
    }
    if (space && !out.empty()) out += ' ';
    space = false;
    out += c;
  }
  while (!out.empty() && out.back() == ' ') out.pop_back();
  return out;
}

std::string ConnError(PGconn* conn) {
  std::string text = OneLine(PQerrorMessage(conn));
  return text.empty() ? "unknown libpq error" : text;
}

// The server's last words on an idle session ("FATAL: terminating connection
// due to administrator command") reach libpq as a notice; they say why the
// lead was lost. Other notices are dropped (never printed on stderr).
void KeepFarewell(void* arg, const PGresult* notice) {
  const char* severity = PQresultErrorField(notice, PG_DIAG_SEVERITY_NONLOCALIZED);
  if (arg == nullptr || severity == nullptr) return;
  if (std::string_view(severity) == "FATAL" || std::string_view(severity) == "PANIC") {
    *static_cast<std::string*>(arg) = OneLine(PQresultErrorMessage(notice));
  }
}

std::string Millis(TimePoint t) {
  return std::to_string(
      std::chrono::duration_cast<std::chrono::milliseconds>(t.time_since_epoch()).count());
}

TimePoint FromMillis(const char* text) {
  return TimePoint(std::chrono::milliseconds(std::strtoll(text, nullptr, 10)));
}

std::optional<TimePoint> OptionalMillis(const PGresult* r, int row, int column) {
  if (PQgetisnull(r, row, column)) return std::nullopt;
  return FromMillis(PQgetvalue(r, row, column));
}

// A statement with text parameters (nullopt = NULL).
PgResult Exec(PGconn* conn, const char* sql,
              const std::vector<std::optional<std::string>>& params) {
  std::vector<const char*> values;
  values.reserve(params.size());
  for (const auto& p : params) values.push_back(p ? p->c_str() : nullptr);
  return PgResult(PQexecParams(conn, sql, static_cast<int>(values.size()), nullptr, values.data(),
                               nullptr, nullptr, 0));
}

bool Succeeded(const PgResult& r) {
  const auto s = PQresultStatus(r.get());
  return s == PGRES_COMMAND_OK || s == PGRES_TUPLES_OK;
}

// Timestamps travel as milliseconds since the epoch, in and out.
std::string At(int param) {
  return "to_timestamp($" + std::to_string(param) + "::bigint / 1000.0)";
}
std::string MillisOf(std::string_view column) {
  return "(extract(epoch FROM " + std::string(column) + ") * 1000)::bigint";
}

// Connecting: the caller's string wins over these defaults (they come before
// the expanded dbname). connect_timeout bounds a connection attempt; over
// TCP, tcp_user_timeout bounds a statement whose answer never comes (a
// split network: statement_timeout is the server's and cannot help) and the
// keepalives find a dead server on an idle session. libpq ignores the TCP
// ones on a Unix socket.
PGconn* ConnectDb(const std::string& conninfo, const std::string& application_name,
                  std::string* farewell, const Secret& password = Secret()) {
  const char* keys[] = {"connect_timeout",
                        "tcp_user_timeout",
                        "keepalives_idle",
                        "keepalives_interval",
                        "keepalives_count",
                        "application_name",
                        "dbname",
                        "password",
                        nullptr};
  const char* values[] = {"5",
                          "10000",
                          "10",
                          "5",
                          "3",
                          application_name.c_str(),
                          conninfo.c_str(),
                          password.empty() ? nullptr : password.Reveal().c_str(),
                          nullptr};
  PGconn* conn = PQconnectdbParams(keys, values, /*expand_dbname=*/1);
  if (conn != nullptr) PQsetNoticeReceiver(conn, &KeepFarewell, farewell);
  return conn;
}

// Who leads: the latest term's leader while someone holds the lock. The
// lock shows in pg_locks with the key's high half in classid and its low
// half in objid (objsubid 1), per database.
struct LeaderRow {
  std::int64_t term = 0;
  std::string leader;  // the latest term's leader, whether or not it still holds the lock
  std::optional<TimePoint> began_at;
  std::optional<TimePoint> leader_heartbeat;
  bool held = false;
};

PgResult QueryLeader(PGconn* conn) {
  const auto key = static_cast<std::uint64_t>(kLeaderLockKey);
  static const std::string sql =
      "SELECT t.term, t.leader, " + MillisOf("t.began_at") + ", " + MillisOf("m.last_heartbeat") +
      ", EXISTS (SELECT 1 FROM pg_locks l WHERE l.locktype = 'advisory'"
      " AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database())"
      " AND l.classid = $1::bigint::oid AND l.objid = $2::bigint::oid AND l.objsubid = 1"
      " AND l.granted)"
      " FROM (SELECT 0) AS one"
      " LEFT JOIN (SELECT * FROM collector_terms ORDER BY term DESC LIMIT 1) t ON true"
      " LEFT JOIN collector_members m ON m.name = t.leader";
  return Exec(conn, sql.c_str(), {std::to_string(key >> 32), std::to_string(key & 0xffffffffu)});
}

LeaderRow ParseLeader(const PGresult* r) {
  LeaderRow row;
  if (PQntuples(r) < 1) return row;
  if (!PQgetisnull(r, 0, 0)) row.term = std::strtoll(PQgetvalue(r, 0, 0), nullptr, 10);
  if (!PQgetisnull(r, 0, 1)) row.leader = PQgetvalue(r, 0, 1);
  row.began_at = OptionalMillis(r, 0, 2);
  row.leader_heartbeat = OptionalMillis(r, 0, 3);
  row.held = PQgetvalue(r, 0, 4)[0] == 't';
  return row;
}

std::string HostName() {
  char buffer[HOST_NAME_MAX + 1] = {};
  if (::gethostname(buffer, sizeof buffer - 1) != 0) return "";
  return buffer;
}

constexpr std::string_view kErrorKindNames[] = {"connection", "query", "invalid-argument"};
constexpr std::string_view kRoleNames[] = {"follower", "leader", "stopped"};

std::optional<Role> ParseRole(std::string_view name) {
  for (std::size_t i = 0; i < std::size(kRoleNames); ++i) {
    if (kRoleNames[i] == name) return static_cast<Role>(i);
  }
  return std::nullopt;
}

}  // namespace

std::string_view LeadershipErrorKindName(LeadershipErrorKind kind) {
  return kErrorKindNames[static_cast<std::size_t>(kind)];
}

std::string_view ToString(Role role) { return kRoleNames[static_cast<std::size_t>(role)]; }

// ---------------------------------------------------------------------------
// Leadership

Leadership::Leadership(std::string conninfo, std::string description, LeadershipOptions options)
    : conninfo_(std::move(conninfo)),
      description_(std::move(description)),
      options_(std::move(options)),
      host_(HostName()),
      farewell_(std::make_unique<std::string>()) {}

Leadership::Leadership(Leadership&& other) noexcept
    : conninfo_(std::move(other.conninfo_)),
      description_(std::move(other.description_)),
      options_(std::move(other.options_)),
      started_at_(other.started_at_),
      host_(std::move(other.host_)),
      farewell_(std::move(other.farewell_)),
      conn_(std::exchange(other.conn_, nullptr)),
      leader_(std::exchange(other.leader_, false)),
      step_down_reason_(std::move(other.step_down_reason_)),
      term_(std::exchange(other.term_, 0)),
      leader_since_(other.leader_since_),
      reported_leader_(std::exchange(other.reported_leader_, false)),
      reported_term_(std::exchange(other.reported_term_, 0)),
      shards_(std::move(other.shards_)) {}

Leadership& Leadership::operator=(Leadership&& other) noexcept {
  if (this != &other) {
    Disconnect();
    conninfo_ = std::move(other.conninfo_);
    description_ = std::move(other.description_);
    options_ = std::move(other.options_);
    started_at_ = other.started_at_;
    host_ = std::move(other.host_);
    farewell_ = std::move(other.farewell_);
    conn_ = std::exchange(other.conn_, nullptr);
    leader_ = std::exchange(other.leader_, false);
    step_down_reason_ = std::move(other.step_down_reason_);
    term_ = std::exchange(other.term_, 0);
    leader_since_ = other.leader_since_;
    reported_leader_ = std::exchange(other.reported_leader_, false);
    reported_term_ = std::exchange(other.reported_term_, 0);
    shards_ = std::move(other.shards_);
  }
  return *this;
}

Leadership::~Leadership() { Disconnect(); }

LeadershipResult<Leadership> Leadership::Open(const std::string& conninfo,
                                              LeadershipOptions options) {
  const std::string description = DescribeConninfo(conninfo);
  if (options.collector_name.empty()) {
    return LeadershipError{LeadershipErrorKind::kInvalidArgument,
                           "leadership, " + description + ": the collector name is empty"};
  }
  char* parse_error = nullptr;
  PQconninfoOption* parsed = PQconninfoParse(conninfo.c_str(), &parse_error);
  if (parse_error != nullptr) PQfreemem(parse_error);
  if (parsed == nullptr) {
    return LeadershipError{LeadershipErrorKind::kInvalidArgument,
                           "leadership " + options.collector_name + ", " + description +
                               ": the connection string does not parse"};
  }
  PQconninfoFree(parsed);
  static const SystemClock system_clock;
  const Clock& clock = options.clock != nullptr ? *options.clock : system_clock;
  Leadership leadership(conninfo, description, std::move(options));
  leadership.started_at_ = clock.Now();
  if (auto error = leadership.Connect()) return *error;
  return leadership;
}

LeadershipError Leadership::StatementFailed(std::string_view step) const {
  const bool alive = PQstatus(conn_) == CONNECTION_OK;
  auto error = Fail(alive ? LeadershipErrorKind::kQuery : LeadershipErrorKind::kConnection, step,
                    ConnError(conn_));
  if (!alive) LoseConnection(LostReason());
  return error;
}

LeadershipError Leadership::Fail(LeadershipErrorKind kind, std::string_view step,
                                 std::string_view detail) const {
  return LeadershipError{kind, "leadership " + options_.collector_name + ", " + description_ +
                                   ": " + std::string(step) + ": " + std::string(detail)};
}

std::optional<LeadershipError> Leadership::Connect() {
  Disconnect();
  if (farewell_ == nullptr) farewell_ = std::make_unique<std::string>();  // moved from
  farewell_->clear();
  PGconn* conn = ConnectDb(conninfo_, "mimamori-collector " + options_.collector_name,
                           farewell_.get(), options_.password);
  if (conn == nullptr) return Fail(LeadershipErrorKind::kConnection, "connect", "out of memory");
  if (PQstatus(conn) != CONNECTION_OK) {
    auto error = Fail(LeadershipErrorKind::kConnection, "connect", ConnError(conn));
    PQfinish(conn);
    return error;
  }
  conn_ = conn;
  const std::string timeout =
      "SET statement_timeout = " + std::to_string(options_.statement_timeout.count()) +
      "; SET client_min_messages = warning";
  PgResult set(PQexec(conn_, timeout.c_str()));
  if (!Succeeded(set)) {
    auto error = Fail(PQstatus(conn_) == CONNECTION_OK ? LeadershipErrorKind::kQuery
                                                       : LeadershipErrorKind::kConnection,
                      "set statement_timeout", ConnError(conn_));
    Disconnect();
    return error;
  }
  // Two collectors starting together: the DDL takes turns (a transaction
  // lock, released by COMMIT or ROLLBACK).
  const std::string ddl = "BEGIN; SELECT pg_advisory_xact_lock(" + std::to_string(kSchemaLockKey) +
                          ");" + kLeadershipSchema + "COMMIT;";
  PgResult schema(PQexec(conn_, ddl.c_str()));
  if (!Succeeded(schema)) {
    const bool alive = PQstatus(conn_) == CONNECTION_OK;
    auto error = Fail(alive ? LeadershipErrorKind::kQuery : LeadershipErrorKind::kConnection,
                      "create tables", ConnError(conn_));
    Disconnect();
    return error;
  }
  return std::nullopt;
}

void Leadership::Disconnect() {
  if (conn_ != nullptr) PQfinish(conn_);
  conn_ = nullptr;
  if (leader_) {
    leader_ = false;
    if (step_down_reason_.empty()) step_down_reason_ = "disconnected";
  }
}

std::string Leadership::LostReason() const {
  std::string reason = "connection lost: ";
  if (farewell_ != nullptr && !farewell_->empty()) reason += *farewell_ + "; ";
  return reason + ConnError(conn_);
}

void Leadership::LoseConnection(const std::string& reason) const {
  if (leader_ && step_down_reason_.empty()) step_down_reason_ = reason;
  leader_ = false;
  if (conn_ != nullptr) PQfinish(conn_);
  conn_ = nullptr;
}

bool Leadership::IsLeader() const {
  if (!leader_) return false;
  if (conn_ == nullptr) {
    leader_ = false;
    return false;
  }
  // Anything readable on an idle session is the server's farewell (an error
  // such as "terminating connection due to administrator command", then end
  // of file). A few rounds: libpq may take the message and the end of file
  // in separate reads.
  for (int round = 0; round < 4; ++round) {
    pollfd p{PQsocket(conn_), POLLIN, 0};
    if (p.fd < 0) {
      LoseConnection("connection lost: no socket");
      return false;
    }
    if (::poll(&p, 1, 0) <= 0) break;
    if (PQconsumeInput(conn_) == 0 || PQstatus(conn_) != CONNECTION_OK) {
      LoseConnection(LostReason());
      return false;
    }
    PQisBusy(conn_);  // parses what was read: the farewell reaches KeepFarewell
  }
  return leader_;
}

int Leadership::backend_pid() const { return conn_ != nullptr ? PQbackendPID(conn_) : 0; }

LeadershipState Leadership::Tick(TimePoint now) {
  LeadershipState state;
  IsLeader();  // a closed connection is dropped here and reopened below
  std::optional<LeadershipError> error;
  if (conn_ == nullptr) error = Connect();
  if (!error) error = leader_ ? CheckTerm() : TryTakeLead(now);
  if (!error) error = Heartbeat(now, &state);
  if (error) {
    // A leader that cannot do its heartbeat cannot prove it leads. And the
    // next Tick starts on a new session, whose Connect makes the tables
    // again should someone have dropped them.
    StepDown(error->message);
    Disconnect();
  }
  state.error = std::move(error);

  state.role = leader_ ? Role::kLeader : Role::kFollower;
  state.term = leader_ ? term_ : 0;
  if (leader_ && (!reported_leader_ || term_ != reported_term_)) {
    state.change = LeadershipChange::kBecameLeader;
    // Lost and taken again between two Ticks: say why the old term ended.
    state.step_down_reason = std::exchange(step_down_reason_, {});
  } else if (!leader_ && reported_leader_) {
    state.change = LeadershipChange::kSteppedDown;
    state.step_down_reason = std::exchange(step_down_reason_, {});
    if (state.step_down_reason.empty()) state.step_down_reason = "lost the lead";
  } else {
    step_down_reason_.clear();
  }
  reported_leader_ = leader_;
  reported_term_ = leader_ ? term_ : 0;
  if (state.error) {
    state.leader.clear();
    state.leader_term = 0;
    state.leader_since = {};
  }
  return state;
}

std::optional<LeadershipError> Leadership::TryTakeLead(TimePoint now) {
  PgResult lock =
      Exec(conn_, "SELECT pg_try_advisory_lock($1::bigint)", {std::to_string(kLeaderLockKey)});
  if (!Succeeded(lock)) {
    return StatementFailed("try the leader lock");
  }
  if (PQgetvalue(lock.get(), 0, 0)[0] != 't') return std::nullopt;  // someone else leads

  // The lock is ours: open the next term, and clear the leader role of any
  // member that died leading (its row would still say "leader"). One
  // statement, so one transaction.
  static const std::string sql =
      "WITH next AS ("
      " INSERT INTO collector_terms (term, leader, began_at)"
      " SELECT coalesce(max(term), 0) + 1, $1, " +
      At(2) +
      " FROM collector_terms RETURNING term),"
      " old AS (UPDATE collector_members SET role = 'follower', leader_since = NULL"
      " WHERE role = 'leader' AND name <> $1)"
      " SELECT term FROM next";
  PgResult term = Exec(conn_, sql.c_str(), {options_.collector_name, Millis(now)});
  if (!Succeeded(term) || PQntuples(term.get()) != 1) {
    const bool alive = PQstatus(conn_) == CONNECTION_OK;
    auto error = Fail(alive ? LeadershipErrorKind::kQuery : LeadershipErrorKind::kConnection,
                      "open a term", ConnError(conn_));
    if (alive) {
      // Without a term there is no fenced lead: give the lock back.
      PgResult unlock =
          Exec(conn_, "SELECT pg_advisory_unlock($1::bigint)", {std::to_string(kLeaderLockKey)});
    } else {
      LoseConnection(LostReason());
    }
    return error;
  }
  term_ = std::strtoll(PQgetvalue(term.get(), 0, 0), nullptr, 10);
  leader_ = true;
  leader_since_ = now;
  return std::nullopt;
}

std::optional<LeadershipError> Leadership::CheckTerm() {
  PgResult r(PQexec(conn_, std::string(kCurrentTermSql).c_str()));
  if (!Succeeded(r) || PQntuples(r.get()) != 1) {
    return StatementFailed("check the term");
  }
  const std::int64_t latest = std::strtoll(PQgetvalue(r.get(), 0, 0), nullptr, 10);
  if (latest != term_) {
    // Impossible while the lock is held, unless someone edited the table:
    // the later term wins.
    StepDown("term " + std::to_string(term_) + " superseded by " + std::to_string(latest));
  }
  return std::nullopt;
}

bool Leadership::VerifyTerm() {
  if (!IsLeader()) return false;
  if (auto error = CheckTerm()) {
    if (leader_) StepDown(error->message);
    return false;
  }
  return leader_;
}

void Leadership::StepDown(const std::string& reason) {
  if (!leader_) return;
  step_down_reason_ = reason;
  leader_ = false;
  if (conn_ == nullptr) return;
  // Given back at once; if even that fails, ending the session does it.
  PgResult unlock =
      Exec(conn_, "SELECT pg_advisory_unlock($1::bigint)", {std::to_string(kLeaderLockKey)});
  if (!Succeeded(unlock)) Disconnect();
}

std::optional<LeadershipError> Leadership::Heartbeat(TimePoint now, LeadershipState* state) {
  LeaderRow row;
  if (leader_) {
    state->leader = options_.collector_name;
    state->leader_term = term_;
    state->leader_since = leader_since_;
  } else {
    PgResult leader = QueryLeader(conn_);
    if (!Succeeded(leader)) return StatementFailed("read the leader");
    row = ParseLeader(leader.get());
    if (row.held && !row.leader.empty()) {
      state->leader = row.leader;
      state->leader_term = row.term;
      state->leader_since = row.began_at.value_or(TimePoint{});
    }
  }

  static const std::string sql =
      "INSERT INTO collector_members (name, role, term, leader_since, last_heartbeat,"
      " seen_leader, seen_leader_heartbeat, pid, host, started_at)"
      " VALUES ($1, $2, $3::bigint, " +
      At(4) + ", " + At(5) + ", $6, " + At(7) + ", $8::integer, $9, " + At(10) +
      ") ON CONFLICT (name) DO UPDATE SET role = EXCLUDED.role, term = EXCLUDED.term,"
      " leader_since = EXCLUDED.leader_since, last_heartbeat = EXCLUDED.last_heartbeat,"
      " seen_leader = EXCLUDED.seen_leader,"
      " seen_leader_heartbeat = EXCLUDED.seen_leader_heartbeat, pid = EXCLUDED.pid,"
      " host = EXCLUDED.host, started_at = EXCLUDED.started_at";
  std::optional<std::string> seen_leader;
  std::optional<std::string> seen_heartbeat;
  if (!leader_ && !state->leader.empty()) {
    seen_leader = state->leader;
    if (row.leader_heartbeat) seen_heartbeat = Millis(*row.leader_heartbeat);
  }
  PgResult up = Exec(
      conn_, sql.c_str(),
      {options_.collector_name, std::string(ToString(leader_ ? Role::kLeader : Role::kFollower)),
       std::to_string(leader_ ? term_ : row.term),
       leader_ ? std::optional<std::string>(Millis(leader_since_)) : std::nullopt, Millis(now),
       seen_leader, seen_heartbeat, std::to_string(::getpid()), host_, Millis(started_at_)});
  if (!Succeeded(up)) return StatementFailed("write the heartbeat");
  return std::nullopt;
}

void Leadership::Shutdown(TimePoint now) {
  StepDown("shut down");  // the lock first: the follower need not wait for the rest
  if (conn_ != nullptr) {
    PgResult r = Exec(conn_,
                      ("UPDATE collector_members SET role = 'stopped', leader_since = NULL,"
                       " last_heartbeat = " +
                       At(2) + " WHERE name = $1")
                          .c_str(),
                      {options_.collector_name, Millis(now)});
  }
  Disconnect();
}

// ---------------------------------------------------------------------------
// Sharding

namespace {

// A text[] literal for one parameter: a batch of thousands of nodes is then
// one statement ("= ANY($1::text[])", "unnest($1::text[])").
std::string TextArray(const std::vector<std::string>& items) {
  std::string out = "{";
  for (std::size_t i = 0; i < items.size(); ++i) {
    if (i) out += ',';
    out += '"';
    for (char c : items[i]) {
      if (c == '"' || c == '\\') out += '\\';
      out += c;
    }
    out += '"';
  }
  out += '}';
  return out;
}

std::string Joined(const std::vector<std::string>& items) {
  std::string out;
  for (const auto& i : items) out += (out.empty() ? "" : ",") + i;
  return out;
}

}  // namespace

LeadershipResult<RebalanceOutcome> Leadership::Rebalance(const std::vector<std::string>& nodes,
                                                         TimePoint now) {
  if (!IsLeader()) return Fail(LeadershipErrorKind::kQuery, "rebalance", "not the leader");
  // Live: beating recently and not stopped. The leader of the term before
  // ours has lost the lock (it died, or exits to come back as a follower):
  // out until it beats again after our takeover, so its nodes move at once
  // instead of when its heartbeat ages out.
  static const std::string members_sql =
      "SELECT m.name FROM collector_members m WHERE m.role <> 'stopped' AND m.last_heartbeat >= " +
      At(1) + " AND NOT (m.last_heartbeat < " + At(2) +
      " AND m.name IN (SELECT leader FROM collector_terms WHERE term = $3::bigint - 1))"
      " ORDER BY m.name";
  const auto oldest = now - options_.member_timeout;
  PgResult live = Exec(conn_, members_sql.c_str(),
                       {Millis(oldest), Millis(leader_since_), std::to_string(term_)});
  if (!Succeeded(live)) return StatementFailed("read the live members");
  std::vector<std::string> members;
  bool self = false;
  for (int i = 0; i < PQntuples(live.get()); ++i) {
    members.emplace_back(PQgetvalue(live.get(), i, 0));
    self = self || members.back() == options_.collector_name;
  }
  if (!self) {
    members.push_back(options_.collector_name);
    std::sort(members.begin(), members.end());
  }

  RebalanceOutcome outcome;
  outcome.members = members;
  if (shards_.loaded_term != term_) {
    // A new term: what the previous leader assigned is the starting point.
    PgResult rows(PQexec(conn_, "SELECT node, collector FROM shard_assignments"));
    if (!Succeeded(rows)) return StatementFailed("read the assignments");
    shards_ = {};
    for (int i = 0; i < PQntuples(rows.get()); ++i) {
      shards_.owner[PQgetvalue(rows.get(), i, 0)] = PQgetvalue(rows.get(), i, 1);
    }
    shards_.loaded_term = term_;
  } else if (members == shards_.members && nodes == shards_.nodes) {
    return outcome;  // nothing moved
  }

  std::vector<std::string> gone;
  std::set<std::string> wanted(nodes.begin(), nodes.end());
  for (const auto& [node, owner] : shards_.owner) {
    if (!wanted.contains(node)) gone.push_back(node);
  }
  std::vector<std::string> moved_nodes, moved_to;
  for (const std::string& node : wanted) {
    std::string owner = OwnerOf(node, members);
    auto it = shards_.owner.find(node);
    if (it != shards_.owner.end() && it->second == owner) continue;
    moved_nodes.push_back(node);
    moved_to.push_back(std::move(owner));
  }
  if (!gone.empty() || !moved_nodes.empty() || shards_.members != members) {
    // Our lock guards the term; the transaction makes the generation and
    // its rows appear together.
    static const std::string upsert =
        "INSERT INTO shard_assignments (node, collector, assigned_at)"
        " SELECT n, c, " +
        At(3) +
        " FROM unnest($1::text[], $2::text[]) AS u(n, c)"
        " ON CONFLICT (node) DO UPDATE SET collector = EXCLUDED.collector,"
        " assigned_at = EXCLUDED.assigned_at";
    static const std::string plan =
        "INSERT INTO shard_plan (id, generation, term, members, updated_at)"
        " VALUES (1, 1, $1::bigint, $2, " +
        At(3) +
        ") ON CONFLICT (id) DO UPDATE SET generation = shard_plan.generation + 1,"
        " term = EXCLUDED.term, members = EXCLUDED.members, updated_at = EXCLUDED.updated_at"
        " RETURNING generation";
    PgResult begin(PQexec(conn_, "BEGIN"));
    if (!Succeeded(begin)) return StatementFailed("begin the rebalance");
    PgResult del = Exec(conn_, "DELETE FROM shard_assignments WHERE node = ANY($1::text[])",
                        {TextArray(gone)});
    PgResult up;
    if (Succeeded(del)) {
      up = Exec(conn_, upsert.c_str(), {TextArray(moved_nodes), TextArray(moved_to), Millis(now)});
    }
    PgResult gen;
    if (up != nullptr && Succeeded(up)) {
      gen = Exec(conn_, plan.c_str(), {std::to_string(term_), Joined(members), Millis(now)});
    }
    if (gen == nullptr || !Succeeded(gen) || PQntuples(gen.get()) != 1) {
      auto error = StatementFailed("write the assignments");
      if (conn_ != nullptr) PgResult rollback(PQexec(conn_, "ROLLBACK"));
      return error;
    }
    PgResult commit(PQexec(conn_, "COMMIT"));
    if (!Succeeded(commit)) return StatementFailed("commit the assignments");
    outcome.changed = true;
    outcome.generation = std::strtoll(PQgetvalue(gen.get(), 0, 0), nullptr, 10);
    outcome.moved = moved_nodes.size();
    outcome.removed = gone.size();
    for (const auto& node : gone) shards_.owner.erase(node);
    for (std::size_t i = 0; i < moved_nodes.size(); ++i) {
      shards_.owner[moved_nodes[i]] = moved_to[i];
    }
  }
  shards_.members = std::move(members);
  shards_.nodes = nodes;
  return outcome;
}

LeadershipResult<std::optional<ShardShare>> Leadership::ReadShare(std::int64_t known_generation) {
  if (conn_ == nullptr)
    return Fail(LeadershipErrorKind::kConnection, "read the share", "not connected");
  PgResult gen(PQexec(conn_, "SELECT generation FROM shard_plan WHERE id = 1"));
  if (!Succeeded(gen)) return StatementFailed("read the shard generation");
  if (PQntuples(gen.get()) != 1) return std::optional<ShardShare>();
  if (std::strtoll(PQgetvalue(gen.get(), 0, 0), nullptr, 10) == known_generation) {
    return std::optional<ShardShare>();
  }
  // One statement, one snapshot: the generation goes with its rows.
  PgResult rows = Exec(conn_,
                       "SELECT p.generation, a.node FROM shard_plan p LEFT JOIN shard_assignments a"
                       " ON a.collector = $1 WHERE p.id = 1 ORDER BY a.node COLLATE \"C\"",
                       {options_.collector_name});
  if (!Succeeded(rows) || PQntuples(rows.get()) < 1) return StatementFailed("read the share");
  ShardShare share;
  share.generation = std::strtoll(PQgetvalue(rows.get(), 0, 0), nullptr, 10);
  for (int i = 0; i < PQntuples(rows.get()); ++i) {
    if (!PQgetisnull(rows.get(), i, 1)) share.nodes.emplace_back(PQgetvalue(rows.get(), i, 1));
  }
  return std::optional<ShardShare>(std::move(share));
}

// ---------------------------------------------------------------------------
// Status

namespace {

// The pair's status read on `conn`, a connection to the pair's database.
LeadershipResult<PairStatus> ReadPairStatus(PGconn* conn, const std::string& description,
                                            TimePoint now) {
  auto fail = [&description, conn](std::string_view step) {
    const bool alive = PQstatus(conn) == CONNECTION_OK;
    return LeadershipError{
        alive ? LeadershipErrorKind::kQuery : LeadershipErrorKind::kConnection,
        "pair status, " + description + ": " + std::string(step) + ": " + ConnError(conn)};
  };
  if (PQstatus(conn) != CONNECTION_OK) return fail("connect");

  PairStatus status;
  PgResult exists(PQexec(conn,
                         "SELECT to_regclass('collector_terms') IS NOT NULL"
                         " AND to_regclass('collector_members') IS NOT NULL"));
  if (!Succeeded(exists)) return fail("look for the tables");
  if (PQgetvalue(exists.get(), 0, 0)[0] != 't') return status;  // no collector has run here

  PgResult leader = QueryLeader(conn);
  if (!Succeeded(leader)) return fail("read the leader");
  const LeaderRow row = ParseLeader(leader.get());
  status.term = row.term;
  if (row.held && !row.leader.empty()) {
    status.leader = row.leader;
    status.leader_since = row.began_at;
  }

  static const std::string sql = "SELECT name, role, term, " + MillisOf("leader_since") + ", " +
                                 MillisOf("last_heartbeat") + ", seen_leader, " +
                                 MillisOf("seen_leader_heartbeat") + ", pid, host, " +
                                 MillisOf("started_at") + " FROM collector_members ORDER BY name";
  PgResult members(PQexec(conn, sql.c_str()));
  if (!Succeeded(members)) return fail("read the members");
  const PGresult* r = members.get();
  for (int i = 0; i < PQntuples(r); ++i) {
    MemberStatus m;
    m.name = PQgetvalue(r, i, 0);
    m.role = ParseRole(PQgetvalue(r, i, 1)).value_or(Role::kFollower);
    m.term = std::strtoll(PQgetvalue(r, i, 2), nullptr, 10);
    m.leader_since = OptionalMillis(r, i, 3);
    m.last_heartbeat = FromMillis(PQgetvalue(r, i, 4));
    m.heartbeat_age = std::chrono::duration_cast<std::chrono::milliseconds>(now - m.last_heartbeat);
    if (!PQgetisnull(r, i, 5)) m.seen_leader = PQgetvalue(r, i, 5);
    m.seen_leader_heartbeat = OptionalMillis(r, i, 6);
    m.pid = static_cast<int>(std::strtol(PQgetvalue(r, i, 7), nullptr, 10));
    m.host = PQgetvalue(r, i, 8);
    m.started_at = FromMillis(PQgetvalue(r, i, 9));
    m.leading = !status.leader.empty() && m.name == status.leader && m.role == Role::kLeader;
    status.members.push_back(std::move(m));
  }

  // Sharding (tables of a later version: absent on a database an older
  // collector made, until a collector of this version connects).
  PgResult shards(PQexec(conn,
                         "SELECT to_regclass('shard_plan') IS NOT NULL"
                         " AND to_regclass('shard_assignments') IS NOT NULL"));
  if (!Succeeded(shards)) return fail("look for the shard tables");
  if (PQgetvalue(shards.get(), 0, 0)[0] != 't') return status;
  PgResult counts(PQexec(conn,
                         "SELECT collector, count(*), (SELECT generation FROM shard_plan"
                         " WHERE id = 1) FROM shard_assignments GROUP BY collector"));
  if (!Succeeded(counts)) return fail("read the shares");
  for (int i = 0; i < PQntuples(counts.get()); ++i) {
    const std::string name = PQgetvalue(counts.get(), i, 0);
    status.shard_generation = std::strtoll(PQgetvalue(counts.get(), i, 2), nullptr, 10);
    for (MemberStatus& m : status.members) {
      if (m.name == name) m.nodes = std::strtoull(PQgetvalue(counts.get(), i, 1), nullptr, 10);
    }
  }
  return status;
}

}  // namespace

LeadershipResult<PairStatus> ReadMembers(const std::string& conninfo, TimePoint now,
                                         const Secret& password) {
  const std::string description = DescribeConninfo(conninfo);
  PgConn conn(ConnectDb(conninfo, "mimamorictl", nullptr, password));
  if (conn == nullptr) {
    return LeadershipError{LeadershipErrorKind::kConnection,
                           "pair status, " + description + ": connect: out of memory"};
  }
  return ReadPairStatus(conn.get(), description, now);
}

LeadershipResult<PairStatus> Leadership::Members(TimePoint now) {
  if (conn_ == nullptr) {
    return Fail(LeadershipErrorKind::kConnection, "pair status", "not connected");
  }
  return ReadPairStatus(conn_, description_, now);
}

}  // namespace mimamori::collector
