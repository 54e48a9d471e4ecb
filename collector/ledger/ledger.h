// The incident ledger (インシデント管理台帳 / 監視対応台帳): every alert, its
// handling and its closing, and the outbox of reports that must reach people.
//
// Alerting must never lose a report and never repeat one. The ledger gives
// that by one rule: a report is written (EnqueueReport) in the SAME SQLite
// transaction as the state change that makes it due, and a sender moves it
// pending → sending → sent with one committed step each. A crash can then
// only leave a report "pending" (it will be sent) or "sending" (it may have
// reached the server; RecoverAfterCrash resends it with the same Message-ID
// so the receiving side can drop the duplicate).
//
// The remaining duplicate window, which no local database can close: the
// mail server accepted the message, and the process died before MarkSent
// committed. Callers keep it to one fsync by calling MarkSent right after
// the server's reply, outside any larger transaction, before doing anything
// else. The resend carries the same Message-ID (and, for phone, the same
// idempotency key), so a deduplicating receiver sees one report.
//
// Storage: one SQLite file in WAL mode, synchronous=FULL, foreign keys on;
// or a PostgreSQL database (Open with a connection string), which several
// collectors share: the HA pair and the shards. The same operations, the
// same schema versions and the same rules hold on both; the tests run every
// ledger case on each.
// Times are stored as INTEGER milliseconds since 1970-01-01 UTC (sub-millisecond
// parts are truncated), so `datetime(detected_at / 1000, 'unixepoch')` reads
// them in the sqlite3 shell.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <variant>
#include <vector>

#include "collector/core/check.h"
#include "collector/core/incident_terms.h"
#include "collector/core/result.h"
#include "collector/core/secret.h"
#include "collector/core/state_change.h"

namespace mimamori::collector {

namespace ledger_internal {
class SqlConnection;
enum class SqlCode;
}  // namespace ledger_internal

using LedgerTime = std::chrono::system_clock::time_point;
using IncidentId = std::int64_t;
using ReportId = std::int64_t;
using SuppressionId = std::int64_t;
using EventId = std::int64_t;

// ---------------------------------------------------------------------------
// Errors and results

/// What kind of failure, so a caller can choose its reaction without parsing
/// text.
enum class LedgerErrorKind {
  /// The file cannot be opened, read or written: missing directory, read-only
  /// file, full disk, I/O error, damaged file. Log at error level and page
  /// an operator: alerting cannot record what it does.
  kStorage,
  /// Another connection held the lock longer than the busy timeout.
  kBusy,
  /// The file's schema is newer than this program knows, or holds values it
  /// does not understand.
  kSchema,
  /// A unique rule refused the row: the same report (incident, number,
  /// channel), the same suppression mail, or the same Message-ID is already
  /// queued. Enqueuing is idempotent through this.
  kDuplicate,
  /// No row with that id.
  kNotFound,
  /// The row is not in a state that allows the step (MarkSent on a report
  /// that is not "sending", closing a closed incident).
  kWrongState,
  /// A value the schema refuses (empty title, end before start).
  kInvalidArgument,
};

std::string_view LedgerErrorKindName(LedgerErrorKind kind);

/// An expected failure. `message` says who, what and why, and always names
/// the ledger file: "ledger /var/lib/mimamori/ledger.db: mark report 12
/// sent: database or disk is full (errno 28: No space left on device)".
struct LedgerError {
  LedgerErrorKind kind = LedgerErrorKind::kStorage;
  std::string message;
};

/// nullopt on success; the error otherwise.
using LedgerStatus = std::optional<LedgerError>;

/// A value or a LedgerError (std::expected is C++23).
template <typename T>
using LedgerResult = Result<T, LedgerError>;

// ---------------------------------------------------------------------------
// Rows

enum class IncidentStatus { kOpen, kClosed };  ///< "open", "closed"

/// The timeline's entries.
enum class EventKind {
  kOpened,            ///< "opened"
  kStateChange,       ///< "state-change": a monitor of the incident changed state
  kPriorityChange,    ///< "priority-change"
  kAcknowledged,      ///< "acknowledged"
  kProgress,          ///< "progress": a note on handling (may make a continuing report due)
  kWorkStart,         ///< "work-start": 復旧作業開始
  kWorkDone,          ///< "work-done": 復旧作業完了
  kClosed,            ///< "closed"
  kProvisionalClose,  ///< "provisional-close": 仮クローズ by the operator
  kCauseChange,       ///< "cause-change"
};

/// Whose side a failure was on, for the availability figures: only platform
/// causes count as outage against the affected VMs' levels (spec section 6:
/// "a VM stops or is affected because of the platform"); a failure inside a
/// VM (a process, a web page, a resource warning) is the owner's.
enum class IncidentCause {
  kPlatform,  ///< "platform": the virtualization platform (host, storage, network)
  kSystem,    ///< "system": the owner's side, inside the VM
  kUnknown,   ///< "unknown": not yet classified (a VM that stopped, until someone says why)
};

/// The classes of the ledger (インシデント分類): alerts from monitoring are
/// "trouble"; "request" and "question" are opened by operators.
inline constexpr std::string_view kIncidentClasses[] = {"trouble", "request", "question"};
bool IsIncidentClass(std::string_view name);
/// The cause by its name; nullopt when unknown text.
std::optional<IncidentCause> ParseIncidentCause(std::string_view name);

enum class ReportKind {
  kFirst,              ///< "first" 第一報
  kContinuing,         ///< "continuing" 継続報
  kFinal,              ///< "final" 最終報
  kWorkStart,          ///< "work-start" 復旧作業開始連絡
  kWorkDone,           ///< "work-done" 復旧作業完了連絡
  kSuppressionStart,   ///< "suppression-start" 監視一時抑止開始連絡
  kMonitoringResumed,  ///< "monitoring-resumed" 監視再開連絡
};

enum class Channel { kMail, kPhone };  ///< "mail", "phone"

enum class ReportStatus {
  kPending,            ///< "pending": waits for next_attempt_at
  kSending,            ///< "sending": claimed by a sender, outcome not yet recorded
  kSent,               ///< "sent"
  kFailedPermanently,  ///< "failed-permanently": will not be retried; an operator must act
};

enum class SuppressionTarget { kNode, kSystem };  ///< "node", "system"

std::string_view ToString(IncidentScope v);
std::string_view ToString(Priority v);
std::string_view ToString(IncidentStatus v);
std::string_view ToString(EventKind v);
std::string_view ToString(ReportKind v);
std::string_view ToString(Channel v);
std::string_view ToString(ReportStatus v);
std::string_view ToString(SuppressionTarget v);
std::string_view ToString(IncidentCause v);

struct NewIncident {
  IncidentScope scope = IncidentScope::kVm;
  std::string title;  ///< not empty
  Priority priority = Priority::kLow;
  /// "A", "B", "C" or "C-dev"; "" for a failure of the whole platform, which
  /// has no single level.
  std::string service_level;
  LedgerTime detected_at;  ///< when the failure was confirmed: starts the outage
  LedgerTime opened_at;    ///< when the ledger row was made
  std::string opened_by = "mimamori";
  std::string text;                        ///< the "opened" event's text (what was detected)
  std::string incident_class = "trouble";  ///< one of kIncidentClasses
  IncidentCause cause = IncidentCause::kUnknown;
};

struct Incident {
  IncidentId id = 0;
  std::string incident_class = "trouble";  ///< alerts from monitoring are "trouble"
  IncidentScope scope = IncidentScope::kVm;
  std::string title;
  Priority priority = Priority::kLow;
  std::string service_level;
  IncidentStatus status = IncidentStatus::kOpen;
  LedgerTime opened_at;
  LedgerTime detected_at;
  /// Taken as recovery completion (復旧完了時間): ends the outage in the
  /// availability figures, so close when service is back.
  std::optional<LedgerTime> closed_at;
  std::string closed_by;
  std::optional<LedgerTime> acknowledged_at;  ///< the first acknowledgement
  std::string acknowledged_by;
  IncidentCause cause = IncidentCause::kUnknown;
  std::string opened_by = "mimamori";  ///< "mimamori" for monitoring, else the operator
  /// The operator's provisional close (仮クローズ): service is back, the
  /// manager's close (closed_at) is still to come.
  std::optional<LedgerTime> provisional_closed_at;
  std::string provisional_closed_by;

  /// Recovery completion: the provisional close when there is one (the
  /// operator recorded the recovery then), else the close; nullopt while
  /// neither happened.
  std::optional<LedgerTime> RecoveredAt() const {
    return provisional_closed_at ? provisional_closed_at : closed_at;
  }
};

/// A node/monitor whose state changes belong to the incident.
struct IncidentMonitor {
  IncidentId incident_id = 0;
  std::string node;
  std::string monitor;  ///< "ping", "process:httpd", "disk:/var", ...
  std::string system;   ///< the system the node belongs to (its owner gets the reports)
  LedgerTime attached_at;
  std::string kind;  ///< the monitor kind ("ping", "process", ...); "" in ledgers before v3
  /// The monitor's latest confirmed status while the incident is open: after
  /// a restart the collector presumes this until the monitor's first check
  /// (ledgers before v3 read CRITICAL: presumed failing).
  Status status = Status::kCritical;
};

/// A VM affected by the incident. Recorded with its system and host at the
/// time, because the owners to notify follow the VM's host (DRS).
struct AffectedVm {
  IncidentId incident_id = 0;
  std::string vm;
  std::string system;
  std::string host;  ///< ESXi host at the time; may be empty
  LedgerTime added_at;
};

struct IncidentEvent {
  EventId id = 0;  ///< set by the ledger
  IncidentId incident_id = 0;
  LedgerTime at;
  EventKind kind = EventKind::kProgress;
  std::string actor;    ///< "mimamori" for the system, else the operator's name
  std::string node;     ///< for state changes; else empty
  std::string monitor;  ///< for state changes; else empty
  std::string text;
  /// For state changes: the status the monitor went to, so a report can tell
  /// the failure from its recovery without reading the text. nullopt for
  /// other events and for state changes recorded before ledger v3.
  std::optional<Status> to_status;
};

/// A confirmed state change the incident engine has taken and not finished
/// with: a failure waiting in its grouping window, or the recovery of one.
/// The engine writes it before anything else happens to it and removes it in
/// the same transaction as its effect (the incident it opened, joined or
/// closed), so a crash keeps either the change or its effect, never neither.
struct PendingChange {
  std::int64_t id = 0;  ///< set by the ledger
  StateChange change;   ///< `sequence` is not kept (it is per collector run)
  /// When the engine took it: its grouping window runs from here.
  LedgerTime recorded_at;
};

/// A report to queue. Exactly one of incident_id / suppression_id is set:
/// incident reports (first … work-done) name the incident, suppression mails
/// name the suppression.
struct NewReport {
  std::optional<IncidentId> incident_id;
  std::optional<SuppressionId> suppression_id;
  /// The report's place in the incident's series (第N報), shared by the phone
  /// and mail copies of one report. See NextReportNumber.
  int report_number = 1;
  ReportKind kind = ReportKind::kFirst;
  Channel channel = Channel::kMail;
  std::vector<std::string> recipients;  ///< addresses or phone targets; none may hold '\n'
  std::string subject;
  std::string body;
  /// Empty: the ledger makes a unique one, "<r12.5f3a…@domain>", from the
  /// report id and a random token stored in the file at creation.
  std::string message_id;
  LedgerTime due_at;      ///< deadline from the timetable; sent_at <= due_at is "on time"
  LedgerTime created_at;  ///< now
  /// First send attempt; defaults to created_at (send at once).
  std::optional<LedgerTime> not_before;
};

struct Report {
  ReportId id = 0;
  std::optional<IncidentId> incident_id;
  std::optional<SuppressionId> suppression_id;
  int report_number = 0;
  ReportKind kind = ReportKind::kFirst;
  Channel channel = Channel::kMail;
  std::vector<std::string> recipients;
  std::string subject;
  std::string body;
  std::string message_id;
  LedgerTime due_at;
  LedgerTime created_at;
  ReportStatus status = ReportStatus::kPending;
  int attempts = 0;  ///< claims so far, including one that a crash interrupted
  LedgerTime next_attempt_at;
  std::optional<LedgerTime> claimed_at;  ///< the latest claim
  std::optional<LedgerTime> sent_at;
  std::optional<bool> on_time;  ///< set once sent: sent_at <= due_at
  std::string last_error;
  std::string server_reply;
};

/// When a pending report is tried next, and what decides which channel that
/// try needs (Outbox::NextAttempt), without the report's text.
struct ReportAttempt {
  ReportId id = 0;
  Channel channel = Channel::kMail;
  int attempts = 0;
  LedgerTime next_attempt_at;
};

struct NewSuppression {
  SuppressionTarget target_kind = SuppressionTarget::kNode;
  std::string target;  ///< node name or system name
  LedgerTime starts_at;
  LedgerTime ends_at;  ///< after starts_at; monitoring resumes by itself then
  std::string reason;
  std::string requested_by;
  LedgerTime created_at;
};

struct Suppression {
  SuppressionId id = 0;
  SuppressionTarget target_kind = SuppressionTarget::kNode;
  std::string target;
  LedgerTime starts_at;
  LedgerTime ends_at;
  std::string reason;
  std::string requested_by;
  LedgerTime created_at;
  std::optional<LedgerTime> cancelled_at;  ///< ends the suppression early
  bool start_mail_sent = false;            ///< set by MarkSent of its start mail
  bool end_mail_sent = false;              ///< set by MarkSent of its resumption mail
};

/// An incident with everything recorded about it, for `mimamori incident show`.
struct IncidentTimeline {
  Incident incident;
  std::vector<IncidentMonitor> monitors;
  std::vector<AffectedVm> affected_vms;
  std::vector<IncidentEvent> events;  ///< by time, then id
  std::vector<Report> reports;        ///< by created_at, then id
};

/// Figures for one service level over a period [from, to), of the incidents
/// of class trouble (requests and questions are not failures).
struct LevelSummary {
  std::string service_level;  ///< "A", "B", "C", "C-dev", or "" for platform-wide
  int detections = 0;         ///< incidents detected in the period
  /// Of those, incidents whose first report was sent after its due time, or
  /// is unsent and was due before `to` (the "first response started late"
  /// of the monitoring-operation indicator).
  int first_report_late = 0;
  /// Σ (closed_at − detected_at), each outage clipped to [from, to); an
  /// incident still open counts until `to`. Feeds the availability figure.
  std::chrono::milliseconds outage{0};
};

/// Reports whose due time falls in [from, to).
struct ReportSummary {
  int on_time = 0;             ///< sent, sent_at <= due_at
  int late = 0;                ///< sent, sent_at > due_at
  int unsent = 0;              ///< pending or sending at the time of the query
  int failed_permanently = 0;  ///< given up; counted apart from late
};

struct MonthlySummary {
  LedgerTime from;
  LedgerTime to;
  /// Always five rows, in this order: "A", "B", "C", "C-dev", "".
  std::vector<LevelSummary> levels;
  ReportSummary reports;
};

/// One reading of a resource monitor (CPU, memory, a file system), in
/// percent, for the monthly report's resource-usage section (spec section 6).
struct ResourceSample {
  std::string node;     ///< not empty
  std::string monitor;  ///< not empty: "cpu", "memory", "disk:/var", ...
  /// When it was read. Files it under its Tokyo date (UTC+9), the day the
  /// monthly report counts it in.
  LedgerTime at;
  double value = 0;  ///< finite
};

/// A node/monitor's figures over a period: every sample of the Tokyo days in
/// it.
struct ResourceUsageRow {
  std::string node;
  std::string monitor;
  std::int64_t samples = 0;
  double average = 0;  ///< Σ value / samples
  double max = 0;
};

/// One thing the inventory monitors, as a canonical text, for the change log.
struct InventoryItem {
  std::string node;        ///< not empty
  std::string item;        ///< "node" (the node's own settings), "ping", "process:httpd", ...
  std::string definition;  ///< compared as text: any difference is a change
};

enum class InventoryChangeKind { kAdded, kChanged, kRemoved };  ///< "added", "changed", "removed"
std::string_view ToString(InventoryChangeKind v);

/// A monitoring addition, change or removal (監視追加・変更・削除), found when the
/// collector loaded an inventory that differs from the previous one.
struct InventoryChange {
  std::int64_t id = 0;
  LedgerTime at;
  InventoryChangeKind change = InventoryChangeKind::kAdded;
  std::string node;
  std::string item;
  std::string before;  ///< the old definition; empty when added
  std::string after;   ///< the new definition; empty when removed
  std::string source;  ///< the inventory file
};

// ---------------------------------------------------------------------------
// The ledger

struct LedgerOptions {
  /// How long a statement waits for another connection's lock before
  /// failing with kBusy.
  std::chrono::milliseconds busy_timeout{5000};
  /// Open without writing (the CLI while the collector runs): no migration;
  /// the schema must already be the current one; every write fails with
  /// kStorage.
  bool read_only = false;
  /// The domain part of generated Message-IDs; set it to the collector's
  /// host name.
  std::string message_id_domain = "mimamori.invalid";
  /// Tests only: replaces the built-in migrations (empty = built-in).
  std::vector<std::string> migrations;
  /// PostgreSQL only: the password (read from a file or the environment by
  /// the caller; libpq's own PGPASSWORD and ~/.pgpass work too). Never put
  /// it in the connection string, which appears in every error message.
  Secret password;
  /// PostgreSQL, HA pair: the leadership term this process holds (0 while
  /// it does not lead), as Leadership keeps it. When set, every write
  /// transaction checks, under the writers' lock, that no later term has
  /// begun (collector_terms) and fails with kStorage ("fenced": nothing can
  /// be recorded, the caller keeps its work and retries) if one has, so a collector that lost the
  /// lead cannot write one row after the new leader took over, even before it notices. The
  /// operator's writes (mimamorictl) are not fenced.
  std::shared_ptr<const std::atomic<std::int64_t>> fencing_term;
};

/// The built-in migrations: step i (0-based) takes the schema from version i
/// to version i + 1 (PRAGMA user_version). Append only; never edit a step
/// that has shipped.
const std::vector<std::string>& LedgerMigrations();
/// The same versions in PostgreSQL's dialect (version kept in ledger_info).
/// PostgreSQL ledgers began at version 4, so steps 2 and 3 have nothing to
/// do there and step 4 creates the tables as they are at version 4.
const std::vector<std::string>& PostgresLedgerMigrations();

/// Whether `location` names a PostgreSQL database rather than a SQLite file:
/// a URI ("postgresql://host/db", "postgres://...") or libpq's key=value
/// form ("host=/run/postgresql dbname=mimamori").
bool IsPostgresLocation(std::string_view location);

class Ledger;

/// A write transaction (BEGIN IMMEDIATE). Rolls back when destroyed without
/// Commit. Ledger calls made while it lives are part of it; a call that fails
/// inside it undoes only its own partial work (a savepoint), and the caller
/// decides whether to commit the rest or to drop everything.
/// Movable, not copyable; its Ledger must not be moved or destroyed while it
/// lives.
class [[nodiscard]] LedgerTx {
 public:
  LedgerTx(LedgerTx&& other) noexcept;
  LedgerTx& operator=(LedgerTx&&) = delete;
  LedgerTx(const LedgerTx&) = delete;
  LedgerTx& operator=(const LedgerTx&) = delete;
  ~LedgerTx();

  /// Makes everything durable (one fsync under synchronous=FULL). On error
  /// the transaction is rolled back and nothing of it is kept.
  [[nodiscard]] LedgerStatus Commit();
  void Rollback();

 private:
  friend class Ledger;
  explicit LedgerTx(Ledger* ledger) : ledger_(ledger) {}
  Ledger* ledger_;
};

/// One connection to a ledger file.
///
/// Thread-safety: none. Use one Ledger per thread; several Ledgers (threads
/// or processes) may share one file: readers never wait for the writer (WAL),
/// writers take turns up to the busy timeout.
///
/// Errors: expected failures (storage, lock, state, duplicates) come back as
/// LedgerError values and never throw; an unwritable file or a full disk is
/// always an error, never silently ignored. Misuse (value() on an error)
/// throws.
///
/// Sending: exactly one process may send from a ledger, and it calls
/// RecoverAfterCrash once at start before its first claim.
class Ledger {
 public:
  /// Opens (creating if needed) the ledger at `path` and brings its schema
  /// to the current version, one migration step per transaction. Fails with
  /// kSchema when the file's schema is newer than this program knows, and
  /// kStorage when the file or its directory cannot be used. `path` may be
  /// a PostgreSQL connection string (IsPostgresLocation): the database must
  /// exist; the tables are made in it.
  static LedgerResult<Ledger> Open(const std::string& path, LedgerOptions options = {});

  Ledger(Ledger&& other) noexcept;
  Ledger& operator=(Ledger&& other) noexcept;
  Ledger(const Ledger&) = delete;
  Ledger& operator=(const Ledger&) = delete;
  ~Ledger();

  /// The file, or the PostgreSQL connection string without its password.
  const std::string& path() const { return path_; }
  bool on_postgres() const { return on_postgres_; }
  /// The schema version of the open ledger.
  LedgerResult<int> SchemaVersion();

  // --- transactions

  /// Starts a write transaction. Fails with kWrongState if one is open on
  /// this Ledger (they do not nest; the calls below nest inside it).
  LedgerResult<LedgerTx> Begin();
  /// Runs `step` in a transaction and commits when it returns nullopt; rolls
  /// back and returns the step's error otherwise.
  LedgerStatus Transaction(const std::function<LedgerStatus(Ledger&)>& step);

  // --- incidents

  /// Adds an open incident of class "trouble" and its "opened" event.
  LedgerResult<IncidentId> OpenIncident(const NewIncident& incident);
  LedgerResult<Incident> GetIncident(IncidentId id);
  /// Records the change and a "priority-change" event. A change to the same
  /// priority is kWrongState. Only while open.
  LedgerStatus ChangePriority(IncidentId id, Priority priority, LedgerTime at,
                              const std::string& actor, const std::string& reason);
  /// Appends an "acknowledged" event; the first acknowledgement also sets
  /// acknowledged_at/by.
  LedgerStatus Acknowledge(IncidentId id, LedgerTime at, const std::string& actor,
                           const std::string& text);
  /// Closes an open incident (kWrongState when already closed) and appends a
  /// "closed" event.
  LedgerStatus CloseIncident(IncidentId id, LedgerTime at, const std::string& actor,
                             const std::string& text);
  /// The operator's provisional close (仮クローズ): records who and when and a
  /// "provisional-close" event; the incident stays open for the manager's
  /// CloseIncident. kWrongState when closed or already provisionally closed.
  LedgerStatus ProvisionalClose(IncidentId id, LedgerTime at, const std::string& actor,
                                const std::string& text);
  /// Sets the cause and appends a "cause-change" event; allowed on closed
  /// incidents too (classification often comes after recovery). The same
  /// cause again is kWrongState.
  LedgerStatus SetCause(IncidentId id, IncidentCause cause, LedgerTime at, const std::string& actor,
                        const std::string& reason);
  /// Adds a monitor to the incident; attaching it again updates its status
  /// (and its kind, when given) and keeps the rest.
  LedgerStatus AttachMonitor(const IncidentMonitor& monitor);
  /// Sets the latest confirmed status of a monitor of the incident (a
  /// recovery sets kOk). kNotFound when the monitor is not attached.
  LedgerStatus SetMonitorStatus(IncidentId id, const std::string& node, const std::string& monitor,
                                Status status);
  /// Adds an affected VM; adding it again updates its system and host (DRS).
  LedgerStatus AddAffectedVm(const AffectedVm& vm);
  /// The open incident a monitor belongs to, if any (the newest one).
  LedgerResult<std::optional<IncidentId>> FindOpenIncident(const std::string& node,
                                                           const std::string& monitor);
  /// Appends an entry to the timeline; returns its id. `event.id` is ignored.
  LedgerResult<EventId> AppendEvent(const IncidentEvent& event);

  // --- pending changes (see PendingChange)

  /// Records the changes, all in one transaction (one fsync) or inside the
  /// caller's; returns their ids in the same order.
  LedgerResult<std::vector<std::int64_t>> RecordPendingChanges(
      const std::vector<StateChange>& changes, LedgerTime recorded_at);
  /// Sharding (PostgreSQL, with the pair's tables): records, in one
  /// transaction, the changes of the nodes shard_assignments gives to
  /// `collector`; the id of each change in order, 0 for one refused because
  /// its node is no longer that collector's (its new owner checks it again).
  LedgerResult<std::vector<std::int64_t>> RecordForwardedChanges(
      const std::vector<StateChange>& changes, LedgerTime recorded_at,
      const std::string& collector);
  /// Every pending change, oldest first (by id).
  LedgerResult<std::vector<PendingChange>> PendingChanges();
  /// The pending changes whose id is above `after`, oldest first. Ids grow
  /// in the order their transactions commit (writers take turns), so a
  /// reader that remembers the highest id it saw misses none.
  LedgerResult<std::vector<PendingChange>> PendingChangesAfter(std::int64_t after);
  /// Removes the rows; ids not (or no longer) present are ignored, so a
  /// change consumed twice is not an error.
  LedgerStatus ForgetPendingChanges(const std::vector<std::int64_t>& ids);

  // --- the outbox

  /// The number for the next report of an incident: 1 + the highest so far.
  LedgerResult<int> NextReportNumber(IncidentId id);
  /// Queues a report as pending. Call it inside the transaction of the state
  /// change that makes it due, so both are kept or neither. kDuplicate when
  /// the same report is already queued.
  LedgerResult<ReportId> EnqueueReport(const NewReport& report);
  LedgerResult<Report> GetReport(ReportId id);
  /// Pending reports whose next attempt is at or before `now`, by due_at,
  /// then id; at most `limit`.
  LedgerResult<std::vector<Report>> DueReports(LedgerTime now, int limit);
  /// Pending reports whose next attempt is after `after` and at or before
  /// `until`, earliest first; at most `limit`. Light rows: a sender asks
  /// this after every pass, with thousands of reports queued.
  LedgerResult<std::vector<ReportAttempt>> UpcomingAttempts(LedgerTime after, LedgerTime until,
                                                            int limit);
  /// pending → sending, attempts + 1, claimed_at = now; returns the claimed
  /// report. Commit it (outside a transaction it commits at once) BEFORE
  /// contacting the server, so a crash is recognisable afterwards.
  /// kWrongState unless pending (another sender took it, or it is done).
  LedgerResult<Report> ClaimForSending(ReportId id, LedgerTime now);
  /// sending → sent. Call it at once after the server accepted, outside any
  /// larger transaction: the time until it commits is the duplicate window.
  /// kWrongState unless sending, so a report is never marked sent twice.
  /// Also sets the suppression's start/end_mail_sent for suppression mails.
  LedgerStatus MarkSent(ReportId id, LedgerTime sent_at, const std::string& server_reply);
  /// sending → pending, to be retried at `retry_at` (the outbox owns back-off).
  LedgerStatus MarkFailed(ReportId id, const std::string& error, LedgerTime retry_at);
  /// sending → failed-permanently (refused recipient, bad configuration).
  LedgerStatus MarkFailedPermanently(ReportId id, const std::string& error);
  /// Every report left "sending" by a crash goes back to pending, due for a
  /// resend at `now` with the SAME message_id; attempts stays (it counts the
  /// interrupted try). Returns them so the caller can log each as a possible
  /// duplicate. Call once at start, before any claim: with two senders on
  /// one ledger it would take back the other's claims.
  LedgerResult<std::vector<Report>> RecoverAfterCrash(LedgerTime now);

  // --- suppressions

  LedgerResult<SuppressionId> AddSuppression(const NewSuppression& suppression);
  LedgerResult<Suppression> GetSuppression(SuppressionId id);
  /// Moves the period (extend, shorten). Only while not cancelled.
  LedgerStatus SetSuppressionPeriod(SuppressionId id, LedgerTime starts_at, LedgerTime ends_at);
  /// Ends a suppression early (the row stays as the record). Cancelling twice
  /// is kWrongState.
  LedgerStatus CancelSuppression(SuppressionId id, LedgerTime at);
  /// Suppressions in force at `now`: starts_at <= now < ends_at, and not
  /// cancelled at or before now. By starts_at, then id.
  LedgerResult<std::vector<Suppression>> ActiveSuppressions(LedgerTime now);
  /// Suppressions that end after `since` (current and future, and recent
  /// ones), by starts_at, then id.
  LedgerResult<std::vector<Suppression>> ListSuppressions(LedgerTime since);

  // --- queries for the CLI and the monthly report

  /// Open incidents, oldest detection first.
  LedgerResult<std::vector<Incident>> OpenIncidents();
  /// The monitors of every open incident, by incident id, then as Timeline
  /// orders them: one query where a Timeline per incident would be five.
  LedgerResult<std::vector<IncidentMonitor>> OpenIncidentMonitors();
  /// Incidents detected at or after `since`, newest first, at most `limit`.
  LedgerResult<std::vector<Incident>> RecentIncidents(LedgerTime since, int limit);
  LedgerResult<IncidentTimeline> Timeline(IncidentId id);
  /// Figures for [from, to). Month boundaries in local time are the caller's
  /// (the business calendar's) job.
  LedgerResult<MonthlySummary> Summarize(LedgerTime from, LedgerTime to);
  /// Incidents whose outage overlaps [from, to) by the rule of Summarize
  /// (detected before `to`, and still open, closed after `from`, or detected
  /// inside), by detected_at, then id. The monthly report clips each one to
  /// the service hours of its level, which Summarize's sum cannot do.
  LedgerResult<std::vector<Incident>> IncidentsOverlapping(LedgerTime from, LedgerTime to);

  // --- the inventory change log

  /// Compares `items` (every item of the inventory just loaded) with those
  /// of the previous load, appends one change per difference, and keeps
  /// `items` as the new previous, in one transaction. Returns the changes
  /// (none when nothing differs). The first call on a ledger records every
  /// item as added: monitoring of it started then. kInvalidArgument for an
  /// empty node or item, or the same node/item twice.
  LedgerResult<std::vector<InventoryChange>> RecordInventory(
      const std::vector<InventoryItem>& items, LedgerTime at, const std::string& source);
  /// Changes with from <= at < to, oldest first.
  LedgerResult<std::vector<InventoryChange>> InventoryChanges(LedgerTime from, LedgerTime to);

  // --- resource usage (table resource_usage, one row per node, monitor and
  // Tokyo day: samples, Σ value, max and the newest sample's time)

  /// Adds the samples to their days' rows, all in one transaction (or inside
  /// the caller's; then a failure undoes only this call). A sample whose `at`
  /// is not after its row's newest sample is ignored without error: the
  /// collector offers its latest snapshot repeatedly, and one check must not
  /// count twice. Within one call the same rule holds in vector order, so
  /// pass samples of one node/monitor oldest first. Statements of up to 250
  /// samples each serve the whole vector: 50,000 samples (10,000 nodes x 5
  /// monitors) are 200 statements, one transaction and one fsync. kInvalidArgument, and nothing
  /// recorded, when a node or monitor is empty or a value is not finite.
  LedgerStatus RecordResourceUsage(const std::vector<ResourceSample>& samples);
  /// Figures per node and monitor over the Tokyo days d with
  /// date(from) <= d < date(to) (dates in Asia/Tokyo; the rows are daily, so
  /// pass Tokyo midnights for exact periods). By node, then monitor.
  LedgerResult<std::vector<ResourceUsageRow>> ResourceUsage(LedgerTime from, LedgerTime to);

 private:
  friend class LedgerTx;
  class Savepoint;

  Ledger(std::unique_ptr<ledger_internal::SqlConnection> db, std::string path,
         LedgerOptions options, bool on_postgres);

  LedgerStatus Exec(const std::string& sql, std::string_view what);
  LedgerError Error(std::string_view what, ledger_internal::SqlCode rc) const;
  LedgerError Error(LedgerErrorKind kind, std::string_view what, std::string_view why) const;
  LedgerStatus Migrate();
  LedgerStatus MigrateSteps(const std::vector<std::string>& steps, int from);
  LedgerStatus CheckNotBroken(std::string_view what);
  /// After a write transaction began: the fencing check (LedgerOptions).
  LedgerStatus CheckFence(std::string_view what);
  void EndTx(bool commit, LedgerStatus* result);
  LedgerStatus RowsStatus(ledger_internal::SqlCode rc, const std::string& bad,
                          std::string_view what) const;
  /// Tells kNotFound from kWrongState after an UPDATE guarded by a state
  /// matched no row.
  LedgerError MissingOrWrongState(const char* table, std::int64_t id, std::string_view what,
                                  std::string_view expected);

  std::unique_ptr<ledger_internal::SqlConnection> db_;
  std::string path_;
  LedgerOptions options_;
  bool on_postgres_ = false;
  std::string token_;  ///< random, per ledger file: makes generated Message-IDs unique
  bool in_tx_ = false;
};

}  // namespace mimamori::collector
