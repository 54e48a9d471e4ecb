// Backup monitoring (spec section 2: every service level's recovery point is
// "the previous day's backup", so a night without a successful backup is a
// failure): the result of each daily backup job of a node, from a source
// an operator really has:
//   file  a result file or directory (a glob) the job writes every night;
//         it must have been updated since the day before's deadline, and,
//         with `match`, contain the pattern (RE2), e.g. "completed".
//   url   an HTTP endpoint of the backup software answering JSON; a field
//         (a path such as last_result.status) must equal `expect`, and,
//         with age_field, the time of the last success must be recent.
//   message  the backup product's own syslog line or trap on success: a
//         message rule with `records: success`, which the receivers only
//         record (its last match per node, on the MessageBoard); it must
//         have matched since the day before's deadline. With `failure`, a
//         `records: failure` rule's message fails the job at once, until
//         the next success.
#pragma once

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "collector/core/monitor.h"

namespace mimamori::collector {

/// The window a night's run belongs to. At `now`, the deadline is the last
/// `before_minute` (Asia/Tokyo) at or before `now`; the run due by it must
/// have succeeded after `since`, the deadline a day earlier. A success
/// after the deadline (a late run) also counts: the backup exists.
struct BackupWindow {
  TimePoint since;
  TimePoint deadline;
};
BackupWindow BackupWindowAt(TimePoint now, int before_minute);

/// A time as backup software writes it in JSON: a number of seconds since
/// 1970 (milliseconds when above 10^11), or ISO 8601 text
/// "2026-12-03T05:12:00Z", "...+09:00", "...+0900", with 'T' or a space,
/// optional fractions; without a zone it is Asia/Tokyo time (reading).
/// nullopt when it is none of those.
std::optional<TimePoint> ParseBackupTime(std::string_view text, bool is_number);

struct BackupMonitorOptions {
  /// Runs the file checks (stat, glob, reads: an NFS mount may hang) off
  /// the scheduler's thread; empty = a thread of their own. Tests run
  /// them in place.
  std::function<void(std::function<void()>)> run_file_check;
};

/// One "backup" monitor for `node` when it has backup jobs, else none;
/// CheckCount() is the number of jobs. Interval
/// inventory.defaults.intervals.backup (5 min), failure threshold
/// inventory.defaults.failures.backup. Times come from services.clock.
///
/// Results "backup:<name>", one per job: OK, or CRITICAL when the night's
/// success is missing, with a reason naming the job, the source and the
/// last success found ("nightly-db: no success since 2026-12-02 06:00
/// (daily by 06:00 Asia/Tokyo): ... ; last success 2026-12-01 05:10
/// (/backup/db/1201.log)"), or, for a message job, when its failure
/// message came after its last success. A source that cannot be read (no
/// answer, HTTP error, not JSON, the field missing, a directory not
/// readable, no message receiver) is UNKNOWN with the reason. Measurement
/// mimamori_backup_last_success_timestamp_seconds{job} where known.
///
/// Messages: the board keeps them in memory only, so after the collector
/// starts no earlier success is known. A deadline that passed before the
/// start is not judged (UNKNOWN "not judged until ...": no false alarm, and
/// no false recovery of an incident carried over from before the restart);
/// the first deadline after the start is, counting from the start, as the
/// syslog silence check does (so a restart between a night's success and
/// its deadline makes that deadline CRITICAL). The board is
/// services.messages; it is read on the scheduler's thread.
///
/// Files: the glob's matches (directories count by their own mtime, unless
/// `match` is given: then only regular files); with `match`, the last 1 MiB
/// of up to the 20 newest files is searched, newest first.
///
/// Thread-safety: as Monitor. `done` runs on the HTTP client's thread or
/// the file-check thread; the monitor may be destroyed while a check runs.
std::vector<std::unique_ptr<Monitor>> MakeBackupMonitors(const Node& node,
                                                         const Inventory& inventory,
                                                         MonitorServices& services);
std::vector<std::unique_ptr<Monitor>> MakeBackupMonitors(const Node& node,
                                                         const Inventory& inventory,
                                                         MonitorServices& services,
                                                         BackupMonitorOptions options);

}  // namespace mimamori::collector
