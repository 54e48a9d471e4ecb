#include "collector/monitors/backup_monitor.h"

#include <glob.h>
#include <sys/stat.h>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <cmath>
#include <cstring>
#include <fstream>
#include <mutex>
#include <thread>
#include <utility>

#include "collector/alerting/timetable.h"
#include "collector/calendar/business_calendar.h"
#include "collector/core/json_reader.h"
#include "collector/messages/message_board.h"
#include "collector/net/http_client.h"
#include "re2/re2.h"

namespace mimamori::collector {
namespace {

using std::chrono::minutes;
using std::chrono::seconds;

// The tail a result file's verdict is searched in: logs end with it, and a
// multi-gigabyte dump must not be read whole every 5 minutes.
constexpr std::size_t kTailBytes = 1 << 20;
// Newest files searched for `match`; older ones are not "last night".
constexpr std::size_t kMaxFilesSearched = 20;

double EpochSeconds(TimePoint t) {
  return std::chrono::duration<double>(t.time_since_epoch()).count();
}

std::string Quoted(const std::string& text) { return "'" + text + "'"; }

struct Job {
  BackupJob job;
  std::shared_ptr<const RE2> match;  // null when no match is asked for
};

struct Config {
  std::string node;
  std::chrono::seconds interval{300};
  int failure_threshold = 1;
  std::vector<Job> jobs;
  BackupMonitorOptions options;
};

// The common head of every reason: who, and the window.
std::string Window(const BackupJob& job, const BackupWindow& window) {
  return "since " + FormatTokyoTime(window.since) + " (daily by " + job.before_text +
         " Asia/Tokyo)";
}

std::string SourceOf(const BackupJob& job) {
  if (!job.file.empty()) return job.file;
  if (!job.url.empty()) return job.url;
  return "message rule " + job.message;
}

CheckResult Result(const BackupJob& job, Status status, std::string reason) {
  CheckResult result;
  result.monitor = "backup:" + job.name;
  result.status = status;
  result.reason = job.name + " (" + SourceOf(job) + "): " + reason;
  return result;
}

// ------------------------------------------------------------------ files

struct Found {
  std::string path;
  TimePoint mtime;
  bool directory = false;
};

TimePoint MtimeOf(const struct stat& st) {
  return TimePoint(std::chrono::duration_cast<TimePoint::duration>(
      seconds(st.st_mtim.tv_sec) + std::chrono::nanoseconds(st.st_mtim.tv_nsec)));
}

// nullopt and `error` set when the file cannot be read.
std::optional<std::string> Tail(const std::string& path, std::string& error) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    error = "cannot read " + path + ": " + std::strerror(errno);
    return std::nullopt;
  }
  in.seekg(0, std::ios::end);
  const std::streamoff size = in.tellg();
  const std::streamoff start = size > static_cast<std::streamoff>(kTailBytes)
                                   ? size - static_cast<std::streamoff>(kTailBytes)
                                   : 0;
  in.seekg(start);
  std::string text(static_cast<std::size_t>(size - start), '\0');
  in.read(text.data(), static_cast<std::streamsize>(text.size()));
  text.resize(static_cast<std::size_t>(in.gcount()));
  if (in.bad()) {
    error = "cannot read " + path + ": " + std::strerror(errno);
    return std::nullopt;
  }
  return text;
}

// glob(3) skips directories it cannot read and reports "no match": a
// backup share mounted without read access would look like a missing
// backup. Stop on such errors instead; a directory that does not exist is
// a real "nothing there". glob calls this on the calling thread.
thread_local std::string glob_error;
int GlobError(const char* path, int error) {
  if (error == ENOENT || error == ENOTDIR) return 0;
  glob_error = std::string(path) + ": " + std::strerror(error);
  return 1;
}

CheckResult JudgeFile(const Job& entry, TimePoint now, CheckReport& report) {
  const BackupJob& job = entry.job;
  const BackupWindow window = BackupWindowAt(now, job.before_minute.value_or(6 * 60));
  if (!job.match.empty() && !entry.match) {
    return Result(job, Status::kUnknown, Quoted(job.match) + " is not a valid RE2 pattern");
  }
  glob_t matches{};
  glob_error.clear();
  const int rc = ::glob(job.file.c_str(), GLOB_NOSORT, &GlobError, &matches);
  std::vector<Found> found;
  if (rc == 0) {
    for (std::size_t i = 0; i < matches.gl_pathc; ++i) {
      struct stat st {};
      if (::stat(matches.gl_pathv[i], &st) != 0) continue;  // gone since the glob
      const bool directory = S_ISDIR(st.st_mode);
      if (entry.match && !S_ISREG(st.st_mode)) continue;
      if (!directory && !S_ISREG(st.st_mode)) continue;
      found.push_back({matches.gl_pathv[i], MtimeOf(st), directory});
    }
  }
  ::globfree(&matches);
  if (rc == GLOB_ABORTED || rc == GLOB_NOSPACE) {
    return Result(job, Status::kUnknown,
                  "cannot list " + job.file +
                      (rc == GLOB_NOSPACE ? ": out of memory" : ": cannot read " + glob_error));
  }
  std::sort(found.begin(), found.end(),
            [](const Found& a, const Found& b) { return a.mtime > b.mtime; });

  std::optional<Found> success;
  std::string detail;
  if (found.empty()) {
    detail = entry.match ? "no file matches " + job.file : "nothing matches " + job.file;
  } else if (!entry.match) {
    success = found.front();
  } else {
    for (std::size_t i = 0; i < found.size() && i < kMaxFilesSearched; ++i) {
      std::string error;
      std::optional<std::string> text = Tail(found[i].path, error);
      if (!text) return Result(job, Status::kUnknown, error);
      if (RE2::PartialMatch(*text, *entry.match)) {
        success = found[i];
        break;
      }
      if (i == 0) {
        detail = "newest " + found[0].path + " (updated " + FormatTokyoTime(found[0].mtime) +
                 ") does not contain " + Quoted(job.match);
      }
    }
    if (!success && detail.empty()) detail = "no file contains " + Quoted(job.match);
  }
  if (success) {
    report.measurements.push_back({"mimamori_backup_last_success_timestamp_seconds",
                                   {{"job", job.name}},
                                   EpochSeconds(success->mtime)});
  }
  if (success && success->mtime > window.since) {
    std::string reason =
        success->path + " updated " + FormatTokyoTime(success->mtime) + ", " + Window(job, window);
    if (entry.match) reason += ", contains " + Quoted(job.match);
    return Result(job, Status::kOk, std::move(reason));
  }
  std::string reason = "no success " + Window(job, window);
  if (!detail.empty()) reason += ": " + detail;
  reason += success
                ? "; last success " + FormatTokyoTime(success->mtime) + " (" + success->path + ")"
                : "; no earlier success found";
  return Result(job, Status::kCritical, std::move(reason));
}

// ------------------------------------------------------------------ HTTP

CheckResult JudgeHttp(const BackupJob& job, const HttpResponse& response, TimePoint now,
                      CheckReport& report) {
  if (!response.complete) {
    return Result(job, Status::kUnknown,
                  "no answer: " + (response.error.empty() ? "failed" : response.error));
  }
  if (response.status != 200) {
    return Result(job, Status::kUnknown,
                  "HTTP " + std::to_string(response.status) + ", expected 200 with JSON");
  }
  std::string error;
  const std::optional<JsonValue> root = ParseJson(response.body, error);
  if (!root) return Result(job, Status::kUnknown, "the answer is not JSON: " + error);
  const JsonValue* value = FindJsonPath(*root, job.field);
  if (!value) return Result(job, Status::kUnknown, "no " + job.field + " in the answer");
  if (value->type == JsonValue::Type::kArray || value->type == JsonValue::Type::kObject) {
    return Result(job, Status::kUnknown,
                  job.field + " is " + std::string(value->TypeName()) + ", not a value");
  }
  std::optional<TimePoint> last;
  std::string age_problem;
  if (!job.age_field.empty()) {
    const JsonValue* age = FindJsonPath(*root, job.age_field);
    if (!age) {
      age_problem = "no " + job.age_field + " in the answer";
    } else if (age->type != JsonValue::Type::kString && age->type != JsonValue::Type::kNumber) {
      age_problem = job.age_field + " is " + std::string(age->TypeName()) + ", not a time";
    } else {
      last = ParseBackupTime(age->text, age->type == JsonValue::Type::kNumber);
      if (!last) age_problem = job.age_field + " '" + age->text + "' is not a time";
    }
  }
  if (last) {
    report.measurements.push_back({"mimamori_backup_last_success_timestamp_seconds",
                                   {{"job", job.name}},
                                   EpochSeconds(*last)});
  }
  const std::string got = value->Scalar();
  const std::string last_text = last ? "; last success " + FormatTokyoTime(*last) : "";
  if (got != job.expect) {
    return Result(job, Status::kCritical,
                  job.field + " is " + Quoted(got) + ", expected " + Quoted(job.expect) +
                      (age_problem.empty() ? last_text : "; " + age_problem));
  }
  if (job.age_field.empty()) {
    return Result(job, Status::kOk, job.field + " is " + Quoted(got));
  }
  if (!last) return Result(job, Status::kUnknown, age_problem);
  const BackupWindow window = BackupWindowAt(now, job.before_minute.value_or(6 * 60));
  if (*last <= window.since) {
    return Result(job, Status::kCritical,
                  "no success " + Window(job, window) + ": " + job.field + " is " + Quoted(got) +
                      " but " + job.age_field + " is " + FormatTokyoTime(*last));
  }
  return Result(job, Status::kOk,
                job.field + " is " + Quoted(got) + ", " + job.age_field + " " +
                    FormatTokyoTime(*last) + ", " + Window(job, window));
}

// ------------------------------------------------------------------ messages

// The message receivers keep a rule's last match in memory only, so after a
// start the collector knows no success before it. A deadline that passed
// before the start is not judged (UNKNOWN, which opens no incident, and,
// unlike OK, does not close one carried over from before the restart); the
// first deadline after the start is, with the success counted from the
// start, as the silence check counts.
CheckResult JudgeMessages(const BackupJob& job, const std::string& node, const MessageBoard* board,
                          TimePoint now, CheckReport& report) {
  if (board == nullptr) return Result(job, Status::kUnknown, "no message receiver is running");
  const std::optional<MessageBoard::Record> success = board->LastRecorded(node, job.message);
  const std::optional<MessageBoard::Record> failure =
      job.failure.empty() ? std::nullopt : board->LastRecorded(node, job.failure);
  const TimePoint started = board->started();
  if (success) {
    report.measurements.push_back({"mimamori_backup_last_success_timestamp_seconds",
                                   {{"job", job.name}},
                                   EpochSeconds(success->at)});
  }
  const std::string last =
      success ? "; last success " + FormatTokyoTime(success->at)
              : "; no success message since the collector started at " + FormatTokyoTime(started);
  // A failure stands until a success comes after it; at the same moment the
  // failure wins (which came last is not known).
  if (failure && (!success || failure->at >= success->at)) {
    return Result(job, Status::kCritical,
                  "failure message (" + job.failure + ") at " + FormatTokyoTime(failure->at) +
                      ": " + failure->reason + last);
  }
  const BackupWindow window = BackupWindowAt(now, job.before_minute.value_or(6 * 60));
  if (success && success->at > window.since) {
    return Result(job, Status::kOk,
                  "success message at " + FormatTokyoTime(success->at) + ", " +
                      Window(job, window) + ": " + success->reason);
  }
  if (window.deadline <= started) {
    return Result(job, Status::kUnknown,
                  "not judged until " + FormatTokyoTime(window.deadline + std::chrono::days(1)) +
                      ": the collector started at " + FormatTokyoTime(started) + ", after the " +
                      FormatTokyoTime(window.deadline) +
                      " deadline, and knows no message from before its start");
  }
  if (started > window.since) {
    // No success since the start (one would be after `since`): the night
    // due by the first deadline after the start is missing.
    return Result(job, Status::kCritical,
                  "no success since the collector started at " + FormatTokyoTime(started) +
                      " (daily by " + job.before_text + " Asia/Tokyo)");
  }
  return Result(job, Status::kCritical, "no success " + Window(job, window) + last);
}

// ------------------------------------------------------------------ monitor

// Collects one result per job, in inventory order, and reports once.
class Gather {
 public:
  Gather(std::size_t jobs, std::function<void(CheckReport)> done)
      : results_(jobs), pending_(jobs), done_(std::move(done)) {}

  void Add(std::size_t index, CheckResult result, std::vector<Measurement> measurements) {
    std::function<void(CheckReport)> done;
    CheckReport report;
    {
      std::lock_guard lock(mutex_);
      results_[index] = std::move(result);
      for (Measurement& m : measurements) measurements_.push_back(std::move(m));
      if (--pending_ > 0) return;
      report.results = std::move(results_);
      report.measurements = std::move(measurements_);
      done = std::move(done_);
    }
    done(std::move(report));
  }

 private:
  std::mutex mutex_;
  std::vector<CheckResult> results_;
  std::vector<Measurement> measurements_;
  std::size_t pending_;
  std::function<void(CheckReport)> done_;
};

class BackupMonitor final : public Monitor {
 public:
  BackupMonitor(std::shared_ptr<const Config> config, MonitorServices& services)
      : config_(std::move(config)),
        http_(services.http),
        clock_(services.clock),
        board_(services.messages) {}

  std::string_view Kind() const override { return "backup"; }
  const std::string& NodeName() const override { return config_->node; }
  std::chrono::seconds Interval() const override { return config_->interval; }
  int FailureThreshold() const override { return config_->failure_threshold; }
  std::size_t CheckCount() const override { return config_->jobs.size(); }

  void Start(std::function<void(CheckReport)> done) override {
    auto gather = std::make_shared<Gather>(config_->jobs.size(), std::move(done));
    const Config& config = *config_;
    bool any_file = false;
    for (std::size_t i = 0; i < config.jobs.size(); ++i) {
      const BackupJob& job = config.jobs[i].job;
      if (!job.file.empty()) {
        any_file = true;
        continue;
      }
      if (!job.message.empty()) {
        CheckReport part;
        CheckResult result = JudgeMessages(job, config.node, board_, clock_.Now(), part);
        gather->Add(i, std::move(result), std::move(part.measurements));
        continue;
      }
      http_.Get(job.url, job.timeout,
                [config = config_, i, &clock = clock_, gather](HttpResponse response) {
                  CheckReport part;
                  CheckResult result = JudgeHttp(config->jobs[i].job, response, clock.Now(), part);
                  gather->Add(i, std::move(result), std::move(part.measurements));
                });
    }
    if (!any_file) return;
    // The time of the start, taken here: the thread needs nothing of the
    // monitor's or the services' once it runs.
    auto files = [config = config_, now = clock_.Now(), gather] {
      for (std::size_t i = 0; i < config->jobs.size(); ++i) {
        if (config->jobs[i].job.file.empty()) continue;
        CheckReport part;
        CheckResult result = JudgeFile(config->jobs[i], now, part);
        gather->Add(i, std::move(result), std::move(part.measurements));
      }
    };
    if (config.options.run_file_check) {
      config.options.run_file_check(std::move(files));
    } else {
      std::thread(std::move(files)).detach();
    }
  }

 private:
  std::shared_ptr<const Config> config_;
  HttpClient& http_;
  const Clock& clock_;
  const MessageBoard* board_;  // null where no receiver runs
};

// Digits at text[at, at + n) as a number; false when they are not digits.
bool Digits(std::string_view text, std::size_t at, std::size_t n, int& out) {
  if (at + n > text.size()) return false;
  for (std::size_t i = at; i < at + n; ++i) {
    if (text[i] < '0' || text[i] > '9') return false;
  }
  std::from_chars(text.data() + at, text.data() + at + n, out);
  return true;
}

}  // namespace

BackupWindow BackupWindowAt(TimePoint now, int before_minute) {
  const std::chrono::local_seconds local = BusinessCalendar::ToTokyo(now);
  const auto day = std::chrono::floor<std::chrono::days>(local);
  std::chrono::local_seconds deadline = day + minutes(before_minute);
  if (local < deadline) deadline -= std::chrono::days(1);
  BackupWindow window;
  window.deadline = BusinessCalendar::FromTokyo(deadline);
  window.since = BusinessCalendar::FromTokyo(deadline - std::chrono::days(1));
  return window;
}

std::optional<TimePoint> ParseBackupTime(std::string_view text, bool is_number) {
  const bool all_digits =
      !text.empty() && text.find_first_not_of("0123456789.") == std::string_view::npos;
  if (is_number || all_digits) {
    double value = 0;
    const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
    if (ec != std::errc() || end != text.data() + text.size() || !std::isfinite(value) ||
        value < 0 || value > 1e15) {
      return std::nullopt;
    }
    // Java and JavaScript write milliseconds; seconds stay below 10^11 until
    // the year 5138.
    if (value > 1e11) value /= 1000;
    return TimePoint(
        std::chrono::duration_cast<TimePoint::duration>(std::chrono::duration<double>(value)));
  }
  int year = 0, month = 0, day = 0, hour = 0, minute = 0, second = 0;
  if (!Digits(text, 0, 4, year) || text.size() < 16 || text[4] != '-' ||
      !Digits(text, 5, 2, month) || text[7] != '-' || !Digits(text, 8, 2, day) ||
      (text[10] != 'T' && text[10] != ' ') || !Digits(text, 11, 2, hour) || text[13] != ':' ||
      !Digits(text, 14, 2, minute)) {
    return std::nullopt;
  }
  std::size_t at = 16;
  if (at < text.size() && text[at] == ':') {
    if (!Digits(text, at + 1, 2, second)) return std::nullopt;
    at += 3;
  }
  double fraction = 0;
  if (at < text.size() && (text[at] == '.' || text[at] == ',')) {
    std::size_t end = at + 1;
    double scale = 0.1;
    while (end < text.size() && text[end] >= '0' && text[end] <= '9') {
      fraction += (text[end] - '0') * scale;
      scale /= 10;
      ++end;
    }
    if (end == at + 1) return std::nullopt;
    at = end;
  }
  std::chrono::minutes offset = std::chrono::hours(9);  // no zone: Tokyo
  if (at < text.size()) {
    const std::string_view zone = text.substr(at);
    int zone_hours = 0, zone_minutes = 0;
    if (zone == "Z" || zone == "z") {
      offset = minutes(0);
    } else if ((zone[0] == '+' || zone[0] == '-') &&
               ((zone.size() == 6 && zone[3] == ':' && Digits(zone, 1, 2, zone_hours) &&
                 Digits(zone, 4, 2, zone_minutes)) ||
                (zone.size() == 5 && Digits(zone, 1, 2, zone_hours) &&
                 Digits(zone, 3, 2, zone_minutes)) ||
                (zone.size() == 3 && Digits(zone, 1, 2, zone_hours)))) {
      if (zone_hours > 14 || zone_minutes > 59) return std::nullopt;
      offset = std::chrono::hours(zone_hours) + minutes(zone_minutes);
      if (zone[0] == '-') offset = -offset;
    } else {
      return std::nullopt;
    }
  }
  const std::chrono::year_month_day date{std::chrono::year(year),
                                         std::chrono::month(static_cast<unsigned>(month)),
                                         std::chrono::day(static_cast<unsigned>(day))};
  if (!date.ok() || hour > 23 || minute > 59 || second > 60) return std::nullopt;
  const auto utc = std::chrono::sys_days(date) + std::chrono::hours(hour) + minutes(minute) +
                   seconds(second) - offset;
  return std::chrono::time_point_cast<TimePoint::duration>(utc) +
         std::chrono::duration_cast<TimePoint::duration>(std::chrono::duration<double>(fraction));
}

std::vector<std::unique_ptr<Monitor>> MakeBackupMonitors(const Node& node,
                                                         const Inventory& inventory,
                                                         MonitorServices& services,
                                                         BackupMonitorOptions options) {
  std::vector<std::unique_ptr<Monitor>> monitors;
  if (node.backups.empty()) return monitors;
  auto config = std::make_shared<Config>();
  config->node = node.name;
  config->interval = inventory.defaults.intervals.backup;
  config->failure_threshold = inventory.defaults.failures.backup;
  config->options = std::move(options);
  for (const BackupJob& job : node.backups) {
    Job entry;
    entry.job = job;
    if (!job.match.empty()) {
      RE2::Options re_options;
      re_options.set_log_errors(false);
      auto re = std::make_shared<const RE2>(job.match, re_options);
      if (re->ok()) entry.match = std::move(re);
    }
    config->jobs.push_back(std::move(entry));
  }
  monitors.push_back(std::make_unique<BackupMonitor>(std::move(config), services));
  return monitors;
}

std::vector<std::unique_ptr<Monitor>> MakeBackupMonitors(const Node& node,
                                                         const Inventory& inventory,
                                                         MonitorServices& services) {
  return MakeBackupMonitors(node, inventory, services, BackupMonitorOptions{});
}

}  // namespace mimamori::collector
