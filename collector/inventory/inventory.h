// The inventory: what the collector watches, decoded from YAML into plain
// structs with the spec's defaults filled in first (../shared/spec
// MONITORING-SPEC.md section 1 and 2).
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "collector/core/incident_terms.h"

namespace mimamori::collector {

/// Service level of a system (spec section 2). C-dev is level C used for
/// development/test: watched in business hours only and never pinged.
enum class ServiceLevel { kA, kB, kC, kCDev };

enum class NodeKind { kVm, kEsxiHost, kStorage, kNetwork, kVcenter, kMonitoringServer };

std::string_view ServiceLevelName(ServiceLevel level);  ///< "A", "B", "C", "C-dev"
std::string_view NodeKindName(NodeKind kind);           ///< "vm", "esxi-host", ...

/// A person reports go to. `mail` is required for owners and contacts;
/// `phone` (free text, e.g. "+81-59-000-0000") is where the phone channel
/// calls, may be empty.
struct Owner {
  std::string name;
  std::string mail;
  std::string phone;
};

/// What kind of failure a state change is, for the priority rules (spec
/// section 3 judges urgency; these are the defaults an operator can change).
enum class FailureClass {
  kAlive,             ///< "alive": ping (node down)
  kProcess,           ///< "process"
  kPort,              ///< "port"
  kService,           ///< "service": Windows service
  kWeb,               ///< "web"
  kResourceCritical,  ///< "resource-critical"
  kResourceWarning,   ///< "resource-warning"
  kHardware,          ///< "hardware": a device or sensor not running/ok
  kTimeSync,          ///< "time": a clock out of sync
  kBackup,            ///< "backup": no daily success of a backup job
  kMessage,           ///< "message": a syslog line or trap matched a rule
};
std::string_view FailureClassName(FailureClass c);

/// Failure class -> priority. Defaults (issue 4): every failure is high
/// except a resource warning, which is low.
struct PriorityRules {
  std::map<FailureClass, Priority> by_class = {
      {FailureClass::kAlive, Priority::kHigh},
      {FailureClass::kProcess, Priority::kHigh},
      {FailureClass::kPort, Priority::kHigh},
      {FailureClass::kService, Priority::kHigh},
      {FailureClass::kWeb, Priority::kHigh},
      {FailureClass::kResourceCritical, Priority::kHigh},
      {FailureClass::kResourceWarning, Priority::kLow},
      // Nothing has stopped when a clock drifts or last night's backup is
      // missing: both are for business hours, not a night call.
      {FailureClass::kHardware, Priority::kHigh},
      {FailureClass::kTimeSync, Priority::kLow},
      {FailureClass::kBackup, Priority::kLow},
      {FailureClass::kMessage, Priority::kHigh},
  };
  Priority For(FailureClass c) const {
    auto it = by_class.find(c);
    return it == by_class.end() ? Priority::kHigh : it->second;
  }
};

struct System {
  std::string name;
  ServiceLevel level = ServiceLevel::kA;
  std::vector<Owner> owners;
  /// Per-system overrides of the platform's priority rules (only the classes
  /// given; the rest follow `alerting.priority`).
  std::map<FailureClass, Priority> priority;
  /// Has a standby (冗長化): see AlertingSettings::a_without_redundancy_as_b.
  bool redundant = true;
};

/// Warning and critical levels in percent; a value at or over the level
/// (>=) is that state (spec: "usage at or over a threshold").
struct Threshold {
  double warning = 0;
  double critical = 0;
  friend bool operator==(const Threshold&, const Threshold&) = default;
};

struct Thresholds {
  Threshold cpu{75, 90};
  Threshold memory{90, 95};
  Threshold disk{75, 85};
  /// Per file system (mount point) overrides of `disk`.
  std::map<std::string, Threshold> disk_by_mount;
  /// The threshold that applies to one mount point.
  const Threshold& DiskFor(const std::string& mount) const {
    auto it = disk_by_mount.find(mount);
    return it == disk_by_mount.end() ? disk : it->second;
  }
};

struct SnmpSettings {
  std::string version = "2c";  ///< only "2c" is accepted for now
  std::string community = "MieKiban";
  std::uint16_t port = 161;
  std::chrono::milliseconds timeout{3000};
  int retries = 1;
};

struct PingSettings {
  int packets = 1;                           ///< echo requests per check (Hinemos: 1)
  std::chrono::milliseconds timeout{5000};   ///< wait for each reply (Hinemos: 5 s)
  std::chrono::milliseconds interval{1000};  ///< between packets of one check
  /// Optional RTT / loss levels (Hinemos: warning RTT >= 1 s or loss >= 1 %,
  /// critical RTT >= 3 s or loss >= 51 %); unset = only up/down.
  std::optional<std::chrono::milliseconds> rtt_warning, rtt_critical;
  std::optional<double> loss_warning_percent, loss_critical_percent;
};

struct ProcessCheck {
  std::string name;              ///< monitor label, e.g. "sshd"
  std::string command;           ///< regex fully matching hrSWRunPath (or hrSWRunName if empty)
  std::string arguments = ".*";  ///< regex fully matching hrSWRunParameters
  bool case_insensitive = false;
  int min_count = 1;  ///< allowed number of matching processes (Hinemos: 1 to 99)
  int max_count = 99;
};

struct PortCheck {
  std::uint16_t port = 0;
  std::string name;  ///< label; default "tcp/PORT"
  std::chrono::milliseconds timeout{5000};
};

/// How a Windows service's state is read.
enum class ServiceVia {
  kWinRm,  ///< WS-Management Get of Win32_Service (spec section 1)
  kSnmp,   ///< our agent's mimamoriServiceTable, with the node's snmp settings
};

/// A Windows service (spec section 1: anything but Running is a failure).
/// The WinRM fields apply to via kWinRm only.
struct ServiceCheck {
  std::string service;  ///< the service name, e.g. "W3SVC"
  ServiceVia via = ServiceVia::kWinRm;
  std::string user;
  std::string password_file;  ///< or password_env; never the password itself
  std::string password_env;
  std::uint16_t port = 5985;
  bool https = false;
  bool verify_tls = true;  ///< https; false only by `insecure_skip_verify: true`
  std::string ca_file;     ///< https: PEM CA file; "" = the system's CAs
  std::chrono::milliseconds timeout{5000};
  int retries = 1;
};

struct WebCheck {
  std::string name;  ///< label; default the URL
  std::string url;
  int expected_status = 200;  ///< Hinemos: only 200 is OK
  std::string body_regex;     ///< empty: body not checked; else must match (search)
  std::chrono::milliseconds timeout{5000};
};

// ---- Hardware, time synchronization and backups (issue 10) ----

/// The clock check against a node's hrSystemDate (spec section 7: all
/// equipment must be time-synchronized). A skew beyond a level, after
/// allowing for the request's round trip, is that state.
struct TimeSyncSettings {
  /// nullopt: on wherever resource monitoring (SNMP) is on.
  std::optional<bool> enabled;
  std::chrono::seconds warning{60};
  std::chrono::seconds critical{300};
};

/// One daily backup job whose result the collector checks (issue 10). The
/// source is a result file (`file`, a glob), an HTTP JSON endpoint (`url`)
/// or the backup product's own message (`message`, a message rule);
/// exactly one is set.
struct BackupJob {
  std::string name;  ///< the operator's name of the job, e.g. "nightly-db"
  /// Absolute path or glob (`/backup/db/*.log`); the newest match counts.
  std::string file;
  /// Regex (RE2) the file's content must contain; empty: not checked.
  std::string match;
  std::string url;        ///< http(s) URL answering JSON
  std::string field;      ///< JSON path of the result, e.g. "last_result.status"
  std::string expect;     ///< the value `field` must have, e.g. "success"
  std::string age_field;  ///< JSON path of the last success's time; empty: not checked
  std::chrono::milliseconds timeout{10000};
  /// The message rule (`records: success`) whose match is the job's
  /// success, as the backup product says it in syslog or a trap.
  std::string message;
  /// With `message`: the rule (`records: failure`) of the product's failure
  /// message, which fails the job until the next success; empty: none.
  std::string failure;
  /// The daily deadline, minutes after 00:00 Asia/Tokyo: by then the run of
  /// the night must have succeeded (06:00 for an 18:00-06:00 window).
  /// Required with `file`, `message` and `age_field`.
  std::optional<int> before_minute;
  std::string before_text;  ///< "06:00", as written
  int line = 0;
};

/// Where a node stands in its life on the platform, at a given moment.
enum class NodeState {
  kMonitored,          ///< checks run, failures open incidents and are reported
  kAcceptanceTesting,  ///< checks run and are recorded; no incident, no mail
  kBeforeGoLive,       ///< nothing runs until `monitoring_starts`
  kDisabled,           ///< in the inventory (`enabled: false`), nothing runs
};
inline constexpr NodeState kAllNodeStates[] = {NodeState::kMonitored, NodeState::kAcceptanceTesting,
                                               NodeState::kBeforeGoLive, NodeState::kDisabled};
/// "monitored", "acceptance-testing", "before-go-live", "disabled" (metrics
/// labels, check-config).
std::string_view NodeStateName(NodeState state);

// --- Messages (syslog and SNMP traps; issue 10) ---

/// What a message must carry for a rule to take it. Every condition given
/// must hold; a rule names at least one. Syslog conditions (facility,
/// severity, program, text) and trap conditions (trap, varbinds) do not mix:
/// a rule is about one or the other.
struct MessageMatch {
  std::vector<int> facilities;  ///< RFC 5424 facility codes; empty = any
  /// The least severe severity taken (RFC 5424 numbers, 0 emerg .. 7
  /// debug): "error" takes err, crit, alert and emerg. -1 = any.
  int severity = -1;
  std::string program;  ///< APP-NAME / TAG, exactly; "" = any
  std::string text;     ///< RE2 searched in the message text; "" = any
  std::string trap;     ///< snmpTrapOID.0, dotted; "" = any
  /// varbind OID (dotted, the varbind's OID or a prefix of it) -> RE2
  /// searched in its value as text.
  std::vector<std::pair<std::string, std::string>> varbinds;
  bool IsTrap() const { return !trap.empty() || !varbinds.empty(); }
  bool Empty() const {
    return facilities.empty() && severity < 0 && program.empty() && text.empty() && !IsTrap();
  }
};

/// One message rule: monitor "message:<name>" of each node it applies to.
struct MessageRule {
  std::string name;
  std::vector<NodeKind> kinds;     ///< applies to nodes of these kinds
  std::vector<std::string> nodes;  ///< and to these nodes (by name)
  MessageMatch match;
  std::string status = "critical";  ///< "warning" or "critical"
  /// The device's own "recovered" message, when it sends one.
  std::optional<MessageMatch> recovered;
  /// Without a recovered message: OK again this long after the last match;
  /// unset = messages.auto_clear.
  std::optional<std::chrono::seconds> auto_clear;
  /// `records: success|failure`: the message is a backup product's word on
  /// a backup job that names the rule (BackupJob::message, ::failure). The
  /// rule is no monitor of its own and opens no incident: its last match is
  /// recorded for the job, which judges it against its deadline.
  enum class Records { kNothing, kSuccess, kFailure };
  Records records = Records::kNothing;
  int line = 0;
};

/// Where the receivers listen and how much they take.
struct MessageSettings {
  bool enabled = false;  ///< a `messages:` section is present
  /// "" = that receiver is off; given as `syslog: {udp: ..., tcp: ...}`.
  std::string syslog_udp;          ///< default "0.0.0.0:514" when `syslog:` is given
  std::string syslog_tcp;          ///< default "0.0.0.0:514" when `syslog:` is given
  std::string traps_udp;           ///< default "0.0.0.0:162" when `traps:` is given
  std::string trap_community;      ///< default defaults.snmp.community
  std::size_t max_message = 8192;  ///< bytes; longer ones are dropped and counted
  /// Token bucket per source address: sustained rate and burst. Messages
  /// over it are not examined further, except for rule state changes.
  double rate_per_source = 1000;
  double burst_per_source = 2000;
  std::chrono::seconds auto_clear{3600};
  std::chrono::seconds interval{5};  ///< how often the message monitors report
  std::vector<MessageRule> rules;
  bool SyslogOn() const { return !syslog_udp.empty() || !syslog_tcp.empty(); }
  bool TrapsOn() const { return !traps_udp.empty(); }
};

struct Node {
  std::string name;
  std::string address;  ///< IPv4, IPv6 or DNS name
  NodeKind kind = NodeKind::kVm;
  std::string host;    ///< the ESXi host a VM runs on (node name), may be empty
  std::string system;  ///< System::name, may be empty for infrastructure
  std::string os;      ///< free text, e.g. "RHEL 9", "Windows Server 2022"
  SnmpSettings snmp;
  PingSettings ping;
  bool resource = true;  ///< poll CPU/memory/disk through SNMP
  std::vector<ProcessCheck> processes;
  std::vector<PortCheck> ports;
  std::vector<ServiceCheck> services;
  std::vector<WebCheck> web;
  // Issue 10: hardware status (on by default for esxi-host, storage and
  // monitoring-server), clock skew and daily backups.
  bool hardware = false;
  std::vector<std::string> hardware_ignore;  ///< RE2, full match of a device or sensor name
  TimeSyncSettings time_sync;
  std::vector<BackupJob> backups;
  Thresholds thresholds;
  /// `enabled: false`: added to the inventory ahead of time, nothing runs.
  bool enabled = true;
  /// `acceptance_testing: true`: checks run and are recorded, nothing is
  /// reported; with monitoring_starts it ends by itself on go-live.
  bool acceptance_testing = false;
  /// Go-live: 00:00 Tokyo of `monitoring_starts`. Before it nothing runs,
  /// or only the acceptance tests.
  std::optional<std::chrono::system_clock::time_point> monitoring_starts;
  std::string monitoring_starts_text;  ///< "2027-01-04", as written
  int line = 0;                        ///< where it is defined, for messages
  /// `syslog: {silence_limit: 24h}`: no syslog message for this long is a
  /// failure of monitor "message:silence". Unset = not watched.
  std::optional<std::chrono::seconds> syslog_silence_limit;
  /// `messages:` rules of this node alone (as MessageRule, kinds/nodes empty).
  std::vector<MessageRule> message_rules;

  /// The node's state at `at`. Disabled wins; before go-live an acceptance
  /// node tests and any other waits; from go-live on (or with no date) the
  /// node is monitored unless acceptance testing has no end date.
  NodeState StateAt(std::chrono::system_clock::time_point at) const;
  /// Whether checks run at `at` (monitored or acceptance testing).
  bool ChecksRunAt(std::chrono::system_clock::time_point at) const {
    const NodeState s = StateAt(at);
    return s == NodeState::kMonitored || s == NodeState::kAcceptanceTesting;
  }
};

struct Intervals {
  std::chrono::seconds ping{60};
  std::chrono::seconds process{300};
  std::chrono::seconds port{300};
  std::chrono::seconds service{300};
  std::chrono::seconds web{300};
  std::chrono::seconds resource{300};
  std::chrono::seconds hardware{300};
  std::chrono::seconds time{300};
  std::chrono::seconds backup{300};
};

/// Consecutive failed checks before a monitor's failure is confirmed (spec:
/// "from the first miss on, 2 consecutive" for ping and port).
struct FailureCounts {
  int ping = 2;
  int port = 2;
  int process = 1;
  int service = 1;
  int web = 1;
  int resource = 1;
  int hardware = 1;
  int time = 1;
  int backup = 1;
};

/// When a service level is watched: always (A, B), or business hours only
/// (C, C-dev); and whether nodes of that level are pinged (not C-dev).
struct MonitoringHours {
  bool business_hours_only = false;
  bool ping = true;
};

struct CalendarSettings {
  /// Business hours, local time Asia/Tokyo (UTC+9, no daylight saving).
  int open_minute = 9 * 60;                    ///< 09:00
  int close_minute = 17 * 60 + 45;             ///< 17:45
  std::vector<std::string> extra_closed_days;  ///< "YYYY-MM-DD"
  std::vector<std::string> extra_open_days;    ///< "YYYY-MM-DD"
};

struct Defaults {
  Intervals intervals;
  FailureCounts failures;
  Thresholds thresholds;
  SnmpSettings snmp;
  PingSettings ping;
  TimeSyncSettings time_sync;  ///< issue 10: nodes start from it
  std::map<ServiceLevel, MonitoringHours> hours = {
      {ServiceLevel::kA, {false, true}},
      {ServiceLevel::kB, {false, true}},
      {ServiceLevel::kC, {true, true}},
      {ServiceLevel::kCDev, {true, false}},
  };
};

struct MetricsSettings {
  std::string listen = "127.0.0.1:9716";  ///< /metrics and /healthz
};

/// The SMTP submission the reports go out by (see SmtpSettings).
struct MailSettings {
  std::string url;  ///< "smtp://host:25" or "smtps://host:465"; "" = mail not configured
  bool starttls = false;
  std::string user;           ///< SMTP AUTH user; "" = no AUTH
  std::string password_file;  ///< or password_env; never the password itself
  std::string password_env;
  std::string from;       ///< From: address (required when url is set)
  std::string from_name;  ///< display name, may be Japanese
  std::chrono::milliseconds timeout{30000};
};

/// The phone channel (spec section 4: "phone" is handed to a configurable
/// command or webhook and recorded). At most one of command / webhook_url;
/// with neither, a phone duty is mailed to `alerting.on_duty` as "call
/// required: whom, by when".
struct PhoneSettings {
  /// argv of a program run once per phone report (no shell); the report is
  /// given as JSON on stdin and in the environment (see docs/alerting.md).
  std::vector<std::string> command;
  std::string webhook_url;  ///< http(s) URL receiving a JSON POST
  /// Optional bearer token for the webhook, from a file or the environment.
  std::string token_file;
  std::string token_env;
  std::chrono::milliseconds timeout{10000};
};

/// Retry policy of the outbox: the wait after the n-th failed attempt is
/// min(initial * 2^(n-1), max).
struct RetrySettings {
  std::chrono::seconds initial{30};
  std::chrono::seconds max{600};
  /// Phone attempts before the duty is handed to the on-duty mail address.
  int phone_attempts = 3;
};

/// A suppression window from the config (spec section 5). Exactly one of
/// node / system is set.
struct ConfiguredSuppression {
  std::string node;
  std::string system;
  std::string start;  ///< "YYYY-MM-DD HH:MM" Asia/Tokyo, as written
  std::string end;
  std::string reason;
  std::string requested_by;
  int line = 0;
};

/// A recovery-completion target (復旧完了目標, spec section 2): a time from
/// detection, or, with `within` empty, the close of the next business day.
struct RecoveryTarget {
  std::optional<std::chrono::seconds> within;
};

/// Targets per level. Defaults are the spec's: A within 60 min, B within 4 h,
/// C (and C-dev) by the next business day; platform-wide incidents, which
/// stop VMs of every level, take A's.
struct RecoveryTargets {
  RecoveryTarget a{std::chrono::minutes(60)};
  RecoveryTarget b{std::chrono::hours(4)};
  RecoveryTarget c{};
  RecoveryTarget c_dev{};
  RecoveryTarget platform{std::chrono::minutes(60)};
  /// An open incident past its target is raised to high priority.
  bool raise_priority = false;
  /// The target for an incident's level ("A", "B", "C", "C-dev", "").
  const RecoveryTarget& For(std::string_view level) const {
    if (level == "A") return a;
    if (level == "B") return b;
    if (level == "C") return c;
    if (level == "C-dev") return c_dev;
    return platform;
  }
};

struct AlertingSettings {
  std::vector<Owner> platform_managers;   ///< 統括責任者
  std::vector<Owner> ict_service_center;  ///< ICTサービスセンター管理者
  std::vector<Owner> on_duty;  ///< gets "call required" mails when no phone channel works
  MailSettings mail;
  PhoneSettings phone;
  RetrySettings retry;
  PriorityRules priority;
  /// The incident ledger: a SQLite file, or a PostgreSQL connection string
  /// (libpq URI or key=value; see IsPostgresLocation) shared by an HA pair
  /// or by shards.
  std::string ledger = "/var/lib/mimamori/ledger.db";
  /// PostgreSQL only: where its password comes from (else libpq's own
  /// PGPASSWORD, ~/.pgpass, or none for peer/trust authentication).
  std::string ledger_password_file;
  std::string ledger_password_env;
  std::string templates = "/etc/mimamori/templates";
  /// Failures detected within this window of the first are grouped into one
  /// incident (well inside the shortest first-report deadline, 5 min).
  std::chrono::seconds grouping_window{60};
  /// This many VMs of one ESXi host failing within one window make one
  /// platform-wide incident instead of one per VM.
  int platform_vm_threshold = 3;
  std::vector<ConfiguredSuppression> suppressions;
  /// The platform's name in the suppression mails' subjects; "" = the
  /// failure mails' platform_name. One document names the platform
  /// differently there (第三期サーバ仮想化統合基盤).
  std::string suppression_platform_name;
  /// How long before a window starts its 監視一時抑止開始連絡 is queued (due
  /// at the start), so it reaches the owners before monitoring stops rather
  /// than after (spec section 5: "as close as possible to the moment").
  std::chrono::seconds suppression_notice_lead{300};
  RecoveryTargets recovery_targets;
  /// Availability: count a level-A system that is not `redundant` as level
  /// B (its outage is then measured against B's service, as some documents
  /// do for A systems without a standby).
  bool a_without_redundancy_as_b = false;
};

/// The optional vCenter link (DRS-aware recipients): where each VM runs is
/// read from vCenter on a schedule and overrides the nodes' `host`, which
/// stays the fallback while vCenter cannot be read.
struct VcenterSettings {
  std::string url;  ///< "https://vcenter.example.lg.jp/sdk"
  std::string user;
  std::string password_file;  ///< or password_env; never the password itself
  std::string password_env;
  bool verify_tls = true;  ///< false only by `insecure_skip_verify: true`
  std::string ca_file;     ///< PEM CA file; "" = the system's CAs
  std::chrono::seconds interval{300};
  std::chrono::milliseconds timeout{30000};
};

struct Inventory {
  std::string platform_name = "第三期サーバ仮想基盤";
  Defaults defaults;
  CalendarSettings calendar;
  MetricsSettings metrics;
  AlertingSettings alerting;
  std::optional<VcenterSettings> vcenter;
  MessageSettings messages;  ///< syslog and trap receivers, message rules
  std::vector<System> systems;
  std::vector<Node> nodes;
  std::string source;  ///< the file it was read from

 private:
  // Positions, not pointers, so a copied inventory stays right. Used only
  // while it covers exactly the vectors (their size when built).
  std::unordered_map<std::string, std::size_t> node_index_;
  std::unordered_map<std::string, std::size_t> system_index_;
  std::size_t indexed_nodes_ = 0;
  std::size_t indexed_systems_ = 0;
  bool indexed_ = false;

 public:
  /// alerting.suppression_platform_name, else platform_name.
  const std::string& SuppressionPlatformName() const {
    return alerting.suppression_platform_name.empty() ? platform_name
                                                      : alerting.suppression_platform_name;
  }

  /// Lookups by name. The loader indexes `nodes` and `systems` once, so the
  /// engine's many lookups per failure in a storm of 1,000 VMs stay cheap.
  /// An inventory built or grown by hand (tests) is searched one by one
  /// until BuildIndex() is called; code that renames entries in place must
  /// call it again.
  const System* FindSystem(const std::string& name) const;
  const Node* FindNode(const std::string& name) const;
  /// Indexes nodes and systems by name (the first of a repeated name, as a
  /// scan would find). Not thread-safe: call before sharing the inventory.
  void BuildIndex();
  /// The node's system's service level; infrastructure nodes without a
  /// system (hosts, storage, network) are watched 24x365 like level A.
  ServiceLevel LevelOf(const Node& node) const;

  /// The checks a node runs when it runs. The inventory cannot tell (an
  /// entry no monitor kind runs must not be counted): the monitor registry
  /// answers it (ScheduledChecks in collector/monitors/registry.h).
  using ChecksOfNode = std::function<std::size_t(const Node&)>;

  /// Nodes and their checks per state at `at`: what really runs.
  struct StateCount {
    std::size_t nodes = 0;
    std::size_t checks = 0;
  };
  std::map<NodeState, StateCount> CountByState(std::chrono::system_clock::time_point at,
                                               const ChecksOfNode& checks_of) const;
  /// For --check-config: "14 checks run: 9 monitored (3 nodes), 5
  /// acceptance-testing (1 node); not run: 3 before-go-live (1 node), 2
  /// disabled (1 node)"; states without nodes are left out.
  std::string DescribeChecks(std::chrono::system_clock::time_point at,
                             const ChecksOfNode& checks_of) const;
};

}  // namespace mimamori::collector
