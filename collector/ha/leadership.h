// Leadership of an HA pair: two (or more) collectors share one PostgreSQL,
// and exactly one of them, the leader, runs the incident engine and sends
// from the outbox. The others (followers) monitor and wait.
//
// The leader is whoever holds a session-level advisory lock
// (pg_try_advisory_lock(kLeaderLockKey)) on its own dedicated connection.
// PostgreSQL releases that lock when the session ends, for whatever reason:
// the collector exits, is killed with SIGKILL (the kernel closes its socket,
// the backend sees end of file), or its backend is terminated. A follower
// tries to take the lock at every Tick, so it takes over within one Tick
// period of the old leader's session ending.
//
// Fencing. Each time a collector takes the lock it opens a new term: a row
// in collector_terms whose number is one more than any before. The term
// number only grows. A leader checks, before anything it must do once
// (a send), that it still leads: IsLeader() (no round trip, notices a closed
// connection at once) or VerifyTerm() (a round trip: the connection is alive,
// so the lock is still held, and no later term exists). A leader that loses
// its connection steps down at once and reconnects at its next Tick; it may
// then lead again, but only under a new, higher term.
//
// Status. Every Tick upserts this collector's row in collector_members
// (role, term, leader_since, last_heartbeat, the leader it saw, pid, host,
// started_at); ReadMembers reads them for `mimamorictl status`.
//
// Times are the caller's (the injected Clock), stored as timestamptz.
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <variant>
#include <vector>

#include "collector/core/clock.h"
#include "collector/core/conninfo.h"
#include "collector/core/result.h"
#include "collector/core/secret.h"

struct pg_conn;

namespace mimamori::collector {

// ---------------------------------------------------------------------------
// Errors and results

enum class LeadershipErrorKind {
  /// PostgreSQL cannot be reached, or the connection broke. Retried at the
  /// next Tick; nobody leads through this collector meanwhile.
  kConnection,
  /// The server refused a statement (permissions, a table of another shape).
  /// Also retried, but an operator must act.
  kQuery,
  /// Options or a connection string that can never work (empty name,
  /// unparsable connection string).
  kInvalidArgument,
};

std::string_view LeadershipErrorKindName(LeadershipErrorKind kind);

/// An expected failure. `message` names the connection (host, port, dbname,
/// user; never the password) and the step: "leadership postgresql
/// host=db1 port=5432 dbname=mimamori user=collector: connect: connection to
/// server ... failed: Connection refused".
struct LeadershipError {
  LeadershipErrorKind kind = LeadershipErrorKind::kConnection;
  std::string message;
};

/// A value or a LeadershipError.
template <typename T>
using LeadershipResult = Result<T, LeadershipError>;

// ---------------------------------------------------------------------------
// Schema

/// The advisory lock whose holder leads ("mimamori" in ASCII).
inline constexpr std::int64_t kLeaderLockKey = 0x6d696d616d6f7269;
/// A transaction-level advisory lock that serializes the DDL below when two
/// collectors start at once (concurrent CREATE TABLE IF NOT EXISTS can fail).
inline constexpr std::int64_t kSchemaLockKey = kLeaderLockKey + 1;

/// Every table of the HA pair, created (IF NOT EXISTS) by Leadership::Open
/// and after every reconnection. The one place that defines them.
extern const char* const kLeadershipSchema;

/// The current term, for a fencing check inside another transaction on the
/// same database (the ledger's outbox): compare with Leadership::term().
inline constexpr std::string_view kCurrentTermSql =
    "SELECT coalesce(max(term), 0) FROM collector_terms";

// ---------------------------------------------------------------------------
// Leadership

enum class Role { kFollower, kLeader, kStopped };  ///< "follower", "leader", "stopped"
std::string_view ToString(Role role);

/// What a Tick changed for this collector.
enum class LeadershipChange {
  kNone,
  kBecameLeader,  ///< took the lock: a new term began
  kSteppedDown,   ///< led, and no longer does (connection lost, term superseded)
};

struct LeadershipOptions {
  /// This collector's name in collector_members and in the terms; the
  /// configured collector name, else the host name. Must be unique in the
  /// pair.
  std::string collector_name;
  /// started_at, and the times of Open's first connection. Not owned; must
  /// outlive the Leadership. nullptr = the system clock.
  const Clock* clock = nullptr;
  /// Limits each statement (server side) so that a Tick cannot hang on a
  /// lock; the connection string's connect_timeout limits connecting
  /// (default here: 5 s when the string sets none).
  std::chrono::milliseconds statement_timeout{10000};
  /// The password (alerting.ledger's password_file or password_env), apart
  /// from the connection string, which appears in messages.
  Secret password{};
  /// Sharding: a member whose heartbeat is older than this has left; the
  /// leader gives its nodes to the others. Four heartbeats: one slow beat
  /// (a connect_timeout) must not move a share.
  std::chrono::milliseconds member_timeout{20000};
};

/// The nodes one collector polls, as the leader last assigned them.
struct ShardShare {
  /// Grows with every change of the assignments; 0 before the first.
  std::int64_t generation = 0;
  std::vector<std::string> nodes;  ///< sorted
};

/// What a leader's Rebalance did.
struct RebalanceOutcome {
  bool changed = false;  ///< something was written (a new generation)
  std::int64_t generation = 0;
  std::vector<std::string> members;  ///< the live members shared among, sorted
  std::size_t moved = 0;             ///< nodes given to another collector (or new)
  std::size_t removed = 0;           ///< nodes no longer in the inventory
};

/// What one Tick saw.
struct LeadershipState {
  Role role = Role::kFollower;
  /// This collector's term while it leads; 0 otherwise.
  std::int64_t term = 0;
  LeadershipChange change = LeadershipChange::kNone;
  /// Why it stepped down (change == kSteppedDown): "connection lost: ...",
  /// "term 4 superseded by 5".
  std::string step_down_reason;
  /// Who leads as this collector saw it: the holder of the latest term while
  /// someone holds the lock. Empty when nobody leads or PostgreSQL could not
  /// be read (then `error` says why).
  std::string leader;
  std::int64_t leader_term = 0;
  TimePoint leader_since{};
  /// Set when this Tick could not reach or use PostgreSQL; role is then
  /// kFollower (a leader steps down).
  std::optional<LeadershipError> error;
};

/// One collector's side of the pair.
///
/// Thread-safety: none; the run loop's thread calls everything. Movable.
///
/// Blocking: Tick and VerifyTerm make round trips on the dedicated
/// connection (a few ms); when PostgreSQL is unreachable a Tick blocks up to
/// the connection string's connect_timeout (default 5 s), and a statement up
/// to statement_timeout.
///
/// Errors: values, never exceptions. A lost PostgreSQL is not fatal: the
/// leader steps down, every Tick reports the error and retries.
struct PairStatus;

class Leadership {
 public:
  /// Checks the options and the connection string, connects and creates the
  /// tables (kLeadershipSchema). Does not take the lead: the first Tick does.
  /// Fails with kInvalidArgument (empty name, bad connection string) or
  /// with the connection's or the schema's error.
  static LeadershipResult<Leadership> Open(const std::string& conninfo, LeadershipOptions options);

  Leadership(Leadership&& other) noexcept;
  Leadership& operator=(Leadership&& other) noexcept;
  Leadership(const Leadership&) = delete;
  Leadership& operator=(const Leadership&) = delete;
  /// Closes the connection without a round trip: the server releases the
  /// lock (if held) when it sees the session end, within milliseconds, and a
  /// follower takes over at its next Tick. The member row stays as it was;
  /// call Shutdown first to mark it stopped and hand over at once.
  ~Leadership();

  /// One heartbeat: reconnects when needed (one attempt), tries to take the
  /// lead when it does not hold it, checks its term when it does, and
  /// upserts this collector's member row with `now`. Call it once per ping
  /// cycle. On any error a leader steps down (the lock is given back) and
  /// the next Tick starts on a new session; a collector whose session was
  /// lost may take the lead again, but always under a new term.
  LeadershipState Tick(TimePoint now);

  /// True while this collector holds the lock under term(). Makes no round
  /// trip, but reads the connection's socket without blocking: a connection
  /// the server closed (pg_terminate_backend, shutdown) is noticed here at
  /// once and the collector steps down (reported by the next Tick).
  bool IsLeader() const;
  /// The term this collector leads under; 0 when it does not lead.
  std::int64_t term() const { return IsLeader() ? term_ : 0; }

  /// A round trip that proves the lead: the connection is alive (so the lock
  /// is still held) and collector_terms has no term after ours. Steps down
  /// when it fails. Call before committing a send.
  bool VerifyTerm();

  /// Leaves the pair cleanly: marks the member row "stopped" with `now`,
  /// releases the lock and closes the connection. Tick reconnects after it.
  void Shutdown(TimePoint now);

  /// "postgresql host=... port=... dbname=... user=..." (no password).
  const std::string& description() const { return description_; }
  const std::string& collector_name() const { return options_.collector_name; }
  /// The dedicated connection's backend pid (pg_stat_activity.pid); 0 when
  /// not connected.
  int backend_pid() const;

  /// The pair's status (ReadMembers) on this collector's own session: no
  /// connection of its own for each heartbeat of the leader.
  LeadershipResult<PairStatus> Members(TimePoint now);

  /// Sharding, leader only: shares `nodes` among the live members (see
  /// shard_plan.h) and records what changed in shard_assignments, with a
  /// new generation, in one transaction. Nothing is written while the
  /// members and the nodes are what they were. Fails with kQuery when this
  /// collector does not lead.
  LeadershipResult<RebalanceOutcome> Rebalance(const std::vector<std::string>& nodes,
                                               TimePoint now);
  /// Sharding, any member: this collector's share when the generation is not
  /// `known_generation` any more; nullopt while it is (or while no leader has
  /// assigned anything yet).
  LeadershipResult<std::optional<ShardShare>> ReadShare(std::int64_t known_generation);

 private:
  Leadership(std::string conninfo, std::string description, LeadershipOptions options);
  LeadershipError Fail(LeadershipErrorKind kind, std::string_view step,
                       std::string_view detail) const;
  // A statement on the dedicated connection failed: a query error while the
  // connection lives, else a connection error (and the connection is
  // dropped, a leader stepping down).
  LeadershipError StatementFailed(std::string_view step) const;
  std::optional<LeadershipError> Connect();
  void Disconnect();
  // Drops a broken connection; a leader steps down with `reason`.
  void LoseConnection(const std::string& reason) const;
  std::string LostReason() const;
  // Gives the lock back (the session stays) and records why.
  void StepDown(const std::string& reason);
  std::optional<LeadershipError> TryTakeLead(TimePoint now);
  std::optional<LeadershipError> CheckTerm();
  std::optional<LeadershipError> Heartbeat(TimePoint now, LeadershipState* state);

  std::string conninfo_;
  std::string description_;
  LeadershipOptions options_;
  TimePoint started_at_{};
  std::string host_;
  // The server's last FATAL message on the connection (a stable address
  // for libpq's notice processor, whatever moves the Leadership).
  std::unique_ptr<std::string> farewell_;
  // Mutable: IsLeader() const notices a closed connection and drops it.
  mutable pg_conn* conn_ = nullptr;
  mutable bool leader_ = false;
  mutable std::string step_down_reason_;  // pending until the next Tick reports it
  std::int64_t term_ = 0;
  TimePoint leader_since_{};
  bool reported_leader_ = false;  // what the last Tick reported
  std::int64_t reported_term_ = 0;
  // The leader's view of shard_assignments: read once per term, then kept
  // by its own writes.
  struct Shards {
    std::int64_t loaded_term = 0;
    std::map<std::string, std::string> owner;  // node -> collector
    std::vector<std::string> members;
    std::vector<std::string> nodes;
  };
  Shards shards_;
};

// ---------------------------------------------------------------------------
// Status for mimamorictl

struct MemberStatus {
  std::string name;
  /// The role the member wrote at its last heartbeat. A member whose
  /// collector died keeps its last row; `leading` and `heartbeat_age` tell.
  Role role = Role::kFollower;
  /// It is the holder of the current term and the lock is held: it leads.
  bool leading = false;
  /// The term it leads (leader) or the latest it saw (follower).
  std::int64_t term = 0;
  std::optional<TimePoint> leader_since;
  TimePoint last_heartbeat{};
  /// now - last_heartbeat: the member's lag. More than a few ping cycles
  /// means the collector stopped or cannot reach PostgreSQL.
  std::chrono::milliseconds heartbeat_age{0};
  /// A follower's view at its last heartbeat: who led and that leader's
  /// heartbeat then. seen_leader_heartbeat far behind last_heartbeat means
  /// the leader had stopped beating while it still held the lock.
  std::string seen_leader;
  std::optional<TimePoint> seen_leader_heartbeat;
  int pid = 0;
  std::string host;
  TimePoint started_at{};
  /// Sharding: how many nodes the leader assigned it.
  std::size_t nodes = 0;
};

struct PairStatus {
  /// The leader's name; empty when nobody holds the lock.
  std::string leader;
  std::int64_t term = 0;  ///< the latest term (the leader's while someone leads)
  std::optional<TimePoint> leader_since;
  std::vector<MemberStatus> members;  ///< by name
  /// Sharding: the generation of the assignments (0: none yet).
  std::int64_t shard_generation = 0;
};

/// Reads the pair's status on a connection of its own (closed before it
/// returns). Nothing to read (no collector has run) is an empty status, not
/// an error. `now` computes the ages.
LeadershipResult<PairStatus> ReadMembers(const std::string& conninfo, TimePoint now,
                                         const Secret& password = Secret());

}  // namespace mimamori::collector
