// The monthly report (月次報告): the quality indicators of spec section 6 for
// one calendar month in Tokyo time, from the ledger and the inventory.
//
// Decisions, and why:
//
// - The month is [1st 00:00, next 1st 00:00) Asia/Tokyo: the people who read
//   the report count months on the Tokyo calendar. Incidents and suppressions
//   that span a month boundary are clipped to it.
// - Service time T of a level = (service hours of the month) x (systems of
//   that level). A and B are served 24 h, so their service hours are the
//   whole month; C and C-dev are served in business hours only (spec section
//   2), so theirs are the business hours of the month by the
//   BusinessCalendar built from `inventory.calendar`.
// - Systems are counted from the inventory as it is now: the inventory keeps
//   no history, so a system added mid-month counts for the whole month.
//   Infrastructure nodes without a system (hosts, storage, network) belong
//   to no level; their failures are platform-wide incidents.
// - Planned downtime (計画停止) is the suppression time (監視の一時抑止) of the
//   level's systems: a suppression of a system, or of any of its nodes (a
//   planned stop of one node is a planned stop of the system's service),
//   from its start to its end or its cancellation, clipped to the month and
//   to the level's service hours. Per system the suppressions are merged
//   first, so overlapping ones count once. Suppressions of nodes or systems
//   no longer in the inventory have no level and are not counted.
// - Outage counts only what stopped or affected a system because of the
//   platform (spec section 6, issue 11): each incident of class trouble has
//   a cause. "platform" counts against EVERY affected system's level (a
//   failed ESXi host takes its A, B and C VMs down together, so each of
//   their systems loses service); "system" (inside the VM: a process, a web
//   page, a resource warning: the owner's side) does not count; "unknown"
//   (a VM that stopped, not yet classified) counts, so an unclassified stop
//   never flatters the figure, and is shown apart (`outage_unknown_cause`)
//   so the reader sees what classification would move. An incident's
//   systems are those of its affected VMs and monitors; one without any
//   (built by hand, or before VMs were recorded) counts once for its own
//   level. Requests and questions never count.
// - Outage lasts from detection to recovery completion (the operator's
//   provisional close when there is one, else the close), clipped to the
//   month; for C and C-dev further clipped to business hours, because an
//   outage on a Sunday takes nothing from business-hours service. `outage`
//   keeps the month-clipped figure, `outage_in_service_hours` the one the
//   formula uses (equal for A and B). An incident still open counts to the
//   month's end, so the current month's report is provisional.
// - A level-A system with `redundant: false` counts as level B when
//   alerting.availability.a_without_redundancy_as_b is set (systems, service
//   time, planned downtime and outage alike).
// - Availability = ((T − planned) − Σ outage) / (T − planned) x 100. It is
//   absent (shown "-", an empty CSV field) when a level has no systems or
//   T − planned is zero: 100 % would claim a service that did not exist. It
//   is not clamped at 0: a negative figure means incidents overlapped and
//   says so rather than hiding it.
// - Monitoring-operation indicator = (detections − first response late) /
//   detections x 100, and 100 when there were no detections (nothing was
//   handled late). "Late" is the ledger's: the first report was sent after
//   its due time, or is unsent and was due within the month.
// - The platform-wide row (level "") has detections, late first responses,
//   the indicator and outage; it has no systems, so no service time or
//   availability. `total_*` add up every row including it: the spec's
//   indicator is over "all detections".
// - `detections_previous_month` sits beside each count so that a growth
//   stands out; its cause is for a person to write (spec: "the cause when
//   they grow").
// - Resource usage rows come sorted by maximum, highest first (ties by node,
//   then monitor): the report's reader looks for the VMs close to their
//   limits.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "collector/inventory/inventory.h"
#include "collector/ledger/ledger.h"

namespace mimamori::collector {

/// One service level's figures. Durations are milliseconds (the ledger's
/// resolution).
struct MonthlyLevelRow {
  std::string level;  ///< "A", "B", "C", "C-dev", or "" for platform-wide
  /// nullopt for the platform-wide row, which has no systems.
  std::optional<int> systems;
  /// T: service hours of the month x systems; nullopt for platform-wide.
  std::optional<std::chrono::milliseconds> service_time;
  /// Suppression time of the level's systems; nullopt for platform-wide.
  std::optional<std::chrono::milliseconds> planned_downtime;
  std::chrono::milliseconds outage{0};                   ///< clipped to the month
  std::chrono::milliseconds outage_in_service_hours{0};  ///< what the formula subtracts
  /// Of outage_in_service_hours, the part of incidents whose cause is
  /// still unknown.
  std::chrono::milliseconds outage_unknown_cause{0};
  /// Percent; nullopt when there is no service time to measure (see above).
  std::optional<double> availability_percent;
  int detections = 0;
  int detections_previous_month = 0;
  int first_report_late = 0;
  double monitoring_operation_percent = 100;
};

/// How the month's reports (due in the month) went.
struct MonthlyReportCounts {
  int on_time = 0;
  int late = 0;
  int unsent = 0;  ///< pending or being sent when the report was built
  int failed = 0;  ///< failed permanently
};

/// A count under a name (a class, a cause).
struct MonthlyCount {
  std::string name;
  int count = 0;
};

/// Recovery-completion targets of the month's trouble incidents, per level.
struct MonthlyRecoveryRow {
  std::string level;  ///< "A", "B", "C", "C-dev", "" (platform-wide)
  int met = 0;
  int missed = 0;
  int open_past = 0;     ///< still open, target passed
  int open_pending = 0;  ///< still open, target ahead
};

/// A suppression window of the month, clipped to it.
struct MonthlySuppressionRow {
  SuppressionId id = 0;
  std::string target;  ///< "node web01" / "system 住民記録"
  LedgerTime starts_at;
  LedgerTime ends_at;  ///< the end, or the cancellation when earlier
  bool cancelled = false;
  std::string reason;
  std::string requested_by;
};

/// How a resource's threshold breaches of the month went (閾値超過の種別).
enum class BreachClass {
  kSingle,          ///< "single" 単発: one breach, seen by one check only
  kContinuous,      ///< "continuous" 連続: a breach seen by consecutive checks
  kRepeatedSingle,  ///< "repeated-single" 単発の繰り返し: several one-check breaches
};
std::string_view ToString(BreachClass c);

struct MonthlyBreachRow {
  std::string node;
  std::string monitor;  ///< "cpu", "memory", "disk:/var"
  BreachClass breach_class = BreachClass::kSingle;
  int breaches = 0;                      ///< separate breaches in the month
  std::chrono::milliseconds longest{0};  ///< the longest one, detection to recovery
};

/// Classifies breaches of one monitor: continuous when any lasted two check
/// intervals or more (consecutive checks saw it), else repeated-single when
/// there were two or more, else single. `durations` are detection to
/// recovery (or to the end of the period).
BreachClass ClassifyBreaches(const std::vector<std::chrono::milliseconds>& durations,
                             std::chrono::milliseconds check_interval);

struct MonthlyResourceRow {
  std::string node;
  std::string monitor;
  std::int64_t samples = 0;
  double average = 0;  ///< percent
  double max = 0;      ///< percent
};

struct MonthlyReport {
  int year = 0;
  int month = 0;  ///< 1-12
  std::string platform_name;
  LedgerTime from;  ///< the 1st 00:00 Tokyo
  LedgerTime to;    ///< the next month's 1st 00:00 Tokyo
  /// Business hours of the month (one C system's service hours).
  std::chrono::milliseconds business_hours{0};
  /// Five rows, in this order: "A", "B", "C", "C-dev", "" (platform-wide).
  std::vector<MonthlyLevelRow> levels;
  int total_detections = 0;
  int total_first_report_late = 0;
  double total_monitoring_operation_percent = 100;
  MonthlyReportCounts reports;
  std::vector<MonthlyResourceRow> resources;  ///< by max, highest first
  /// Detections of the month (every class) per class: trouble, request,
  /// question; and trouble per cause: platform, system, unknown.
  std::vector<MonthlyCount> by_class;
  std::vector<MonthlyCount> by_cause;
  /// Five rows, as `levels`.
  std::vector<MonthlyRecoveryRow> recovery;
  std::vector<MonthlySuppressionRow> suppressions;  ///< by start
  std::vector<InventoryChange> inventory_changes;   ///< by time
  std::vector<MonthlyBreachRow> breaches;           ///< by node, then monitor
};

/// Builds the report of `month` (1-12) of `year`, Tokyo time, from one
/// ledger connection (read-only is enough) and the current inventory.
/// Errors: the ledger's, and kInvalidArgument for a month outside 1-12 or a
/// year outside 1970-9999. Not thread-safe with other uses of `ledger`.
/// `now` decides whether an open incident's recovery target has passed
/// (default and at most: the month's end).
LedgerResult<MonthlyReport> BuildMonthlyReport(Ledger& ledger, const Inventory& inventory, int year,
                                               int month,
                                               std::optional<LedgerTime> now = std::nullopt);

/// Plain text for mail or a terminal: Japanese and English headings, columns
/// aligned by display width (a Japanese character takes two columns), "-"
/// for a figure that does not exist, one line each explaining the
/// availability formula and what counted as planned downtime. Ends in '\n'.
std::string MonthlyReportText(const MonthlyReport& report);

/// RFC 4180 CSV (CRLF line ends, fields with a comma, quote, CR or LF are
/// quoted, quotes doubled), UTF-8 without a byte-order mark.
///
/// One table, not one per section: a single header row and a leading
/// "section" column ("level", "total", "reports", "resource"), because RFC
/// 4180 wants the same number of fields on every line and one table loads
/// into a spreadsheet or a script in one step (filter on the column). Every
/// row repeats "month" (YYYY-MM) so that months can be concatenated. Fields
/// that do not apply to a section, and figures that do not exist, are
/// empty. Durations are seconds (with three decimals when not whole),
/// percentages have three decimals, the platform-wide level is "platform".
std::string MonthlyReportCsv(const MonthlyReport& report);

}  // namespace mimamori::collector
