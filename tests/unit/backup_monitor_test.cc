#include "collector/monitors/backup_monitor.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <optional>
#include <string>

#include "collector/calendar/business_calendar.h"
#include "collector/messages/message_board.h"
#include "collector/net/http_client.h"
#include "collector/net/pinger.h"
#include "tests/unit/fake_snmp_client.h"

namespace mimamori::collector {
namespace {

using namespace std::chrono_literals;
namespace fs = std::filesystem;

// A moment in Tokyo time.
TimePoint Tokyo(int year, unsigned month, unsigned day, int hour, int minute) {
  return BusinessCalendar::FromTokyo(
      std::chrono::local_days{std::chrono::year{year} / month / day} + std::chrono::hours(hour) +
      std::chrono::minutes(minute));
}

TEST(BackupWindow, TheNightDueByTheLastDeadline) {
  // At 10:00 the 06:00 deadline of today has passed: the run due by it
  // must have succeeded after yesterday's 06:00.
  BackupWindow w = BackupWindowAt(Tokyo(2026, 12, 3, 10, 0), 6 * 60);
  EXPECT_EQ(w.deadline, Tokyo(2026, 12, 3, 6, 0));
  EXPECT_EQ(w.since, Tokyo(2026, 12, 2, 6, 0));
  // At 03:00 tonight's run may still be going: yesterday's deadline counts.
  w = BackupWindowAt(Tokyo(2026, 12, 3, 3, 0), 6 * 60);
  EXPECT_EQ(w.deadline, Tokyo(2026, 12, 2, 6, 0));
  EXPECT_EQ(w.since, Tokyo(2026, 12, 1, 6, 0));
  // At the deadline itself it is due.
  EXPECT_EQ(BackupWindowAt(Tokyo(2026, 12, 3, 6, 0), 6 * 60).deadline, Tokyo(2026, 12, 3, 6, 0));
  // Tokyo days, not UTC days: 08:00 Tokyo is 23:00 UTC the day before.
  EXPECT_EQ(BackupWindowAt(Tokyo(2027, 1, 1, 8, 0), 7 * 60 + 30).deadline,
            Tokyo(2027, 1, 1, 7, 30));
}

TEST(BackupTime, NumbersAndIsoText) {
  const TimePoint at = Tokyo(2026, 12, 3, 5, 12);
  const auto epoch = std::chrono::duration_cast<std::chrono::seconds>(at.time_since_epoch());
  EXPECT_EQ(ParseBackupTime(std::to_string(epoch.count()), true), at);
  EXPECT_EQ(ParseBackupTime(std::to_string(epoch.count() * 1000), true), at);
  EXPECT_EQ(ParseBackupTime(std::to_string(epoch.count()), false), at);
  EXPECT_EQ(ParseBackupTime("2026-12-02T20:12:00Z", false), at);
  EXPECT_EQ(ParseBackupTime("2026-12-03T05:12:00+09:00", false), at);
  EXPECT_EQ(ParseBackupTime("2026-12-03 05:12:00+0900", false), at);
  EXPECT_EQ(ParseBackupTime("2026-12-02T15:12:00-05", false), at);
  EXPECT_EQ(ParseBackupTime("2026-12-03T05:12", false), at);  // no zone: Tokyo
  EXPECT_EQ(ParseBackupTime("2026-12-03T05:12:00.250+09:00", false), at + 250ms);
  for (const char* bad :
       {"", "yesterday", "2026-12-03", "2026-13-03T05:12:00Z", "2026-02-30T05:12:00Z",
        "2026-12-03T25:12:00Z", "2026-12-03T05:12:00+9", "2026-12-03T05:12:00 JST", "-5"}) {
    EXPECT_FALSE(ParseBackupTime(bad, false)) << bad;
  }
}

// A recording fake HTTP client answering from a table.
class FakeHttp final : public HttpClient {
 public:
  void Get(const std::string& url, std::chrono::milliseconds timeout,
           std::function<void(HttpResponse)> done) override {
    requests.emplace_back(url, timeout);
    auto it = answers.find(url);
    done(it == answers.end() ? HttpResponse{} : it->second);
  }
  static HttpResponse Json(std::string body, long status = 200) {
    HttpResponse response;
    response.complete = true;
    response.status = status;
    response.body = std::move(body);
    return response;
  }
  std::map<std::string, HttpResponse> answers;
  std::vector<std::pair<std::string, std::chrono::milliseconds>> requests;
};

struct NoEngines final : Pinger, TcpProbe {
  void Ping(const std::string&, const PingSettings&, std::function<void(PingOutcome)>) override {
    ADD_FAILURE() << "backup monitor pinged";
  }
  void Connect(const std::string&, std::uint16_t, std::chrono::milliseconds,
               std::function<void(TcpProbeResult)>) override {
    ADD_FAILURE() << "backup monitor used TCP";
  }
};

class BackupMonitorTest : public ::testing::Test {
 protected:
  BackupMonitorTest() {
    char pattern[] = "/tmp/mimamori-backup-XXXXXX";
    dir_ = ::mkdtemp(pattern);
    node_.name = "db01";
    node_.address = "10.0.0.7";
  }
  ~BackupMonitorTest() override { fs::remove_all(dir_); }

  // A file with `content`, last modified at `mtime`.
  std::string Write(const std::string& name, const std::string& content, TimePoint mtime) {
    const fs::path path = dir_ / name;
    fs::create_directories(path.parent_path());
    std::ofstream(path) << content;
    Touch(path, mtime);
    return path.string();
  }
  static void Touch(const fs::path& path, TimePoint mtime) {
    const auto ns =
        std::chrono::duration_cast<std::chrono::nanoseconds>(mtime.time_since_epoch()).count();
    timespec times[2];
    times[0].tv_sec = times[1].tv_sec = static_cast<time_t>(ns / 1'000'000'000);
    times[0].tv_nsec = times[1].tv_nsec = static_cast<long>(ns % 1'000'000'000);
    ASSERT_EQ(::utimensat(AT_FDCWD, path.c_str(), times, 0), 0);
  }

  BackupJob FileJob(const std::string& name, const std::string& glob,
                    const std::string& match = "") {
    BackupJob job;
    job.name = name;
    job.file = (dir_ / glob).string();
    job.match = match;
    job.before_minute = 6 * 60;
    job.before_text = "06:00";
    return job;
  }

  CheckReport Run() {
    MonitorServices services{engines_, snmp_, http_, engines_, clock_, board_};
    BackupMonitorOptions options;
    options.run_file_check = [](std::function<void()> task) { task(); };
    auto monitors = MakeBackupMonitors(node_, inventory_, services, options);
    EXPECT_EQ(monitors.size(), 1u);
    if (monitors.empty()) return {};
    EXPECT_EQ(monitors[0]->Kind(), "backup");
    EXPECT_EQ(monitors[0]->CheckCount(), node_.backups.size());
    std::optional<CheckReport> report;
    monitors[0]->Start([&](CheckReport r) { report = std::move(r); });
    EXPECT_TRUE(report);
    return report.value_or(CheckReport{});
  }
  std::map<std::string, CheckResult> Results() {
    std::map<std::string, CheckResult> out;
    for (CheckResult& r : Run().results) out[r.monitor] = r;
    return out;
  }

  fs::path dir_;
  NoEngines engines_;
  testing::FakeSnmpClient snmp_;
  FakeHttp http_;
  ManualClock clock_{Tokyo(2026, 12, 3, 10, 0)};
  Node node_;
  Inventory inventory_;
  MessageBoard* board_ = nullptr;  // the message jobs' tests set it
};

TEST_F(BackupMonitorTest, NoJobsNoMonitor) {
  MonitorServices services{engines_, snmp_, http_, engines_, clock_};
  EXPECT_TRUE(MakeBackupMonitors(node_, inventory_, services).empty());
}

TEST_F(BackupMonitorTest, ResultFileUpdatedLastNight) {
  Write("db/1202.log", "dump started\ncompleted successfully\n", Tokyo(2026, 12, 2, 5, 10));
  const std::string last =
      Write("db/1203.log", "dump started\ncompleted successfully\n", Tokyo(2026, 12, 3, 5, 12));
  node_.backups = {FileJob("nightly-db", "db/*.log", "completed successfully")};
  auto results = Results();
  const CheckResult& r = results["backup:nightly-db"];
  EXPECT_EQ(r.status, Status::kOk) << r.reason;
  EXPECT_EQ(r.reason, "nightly-db (" + (dir_ / "db/*.log").string() + "): " + last +
                          " updated 2026-12-03 05:12, since 2026-12-02 06:00 (daily by 06:00 "
                          "Asia/Tokyo), contains 'completed successfully'");
}

TEST_F(BackupMonitorTest, NoRunLastNightIsCriticalNamingTheLastSuccess) {
  const std::string old =
      Write("db/1201.log", "completed successfully\n", Tokyo(2026, 12, 1, 5, 10));
  node_.backups = {FileJob("nightly-db", "db/*.log", "completed successfully")};
  auto results = Results();
  const CheckResult& r = results["backup:nightly-db"];
  EXPECT_EQ(r.status, Status::kCritical);
  EXPECT_EQ(r.reason, "nightly-db (" + (dir_ / "db/*.log").string() +
                          "): no success since 2026-12-02 06:00 (daily by 06:00 Asia/Tokyo); last "
                          "success 2026-12-01 05:10 (" +
                          old + ")");
  // At 03:00 on the 2nd the run of that night was not due yet.
  clock_.Set(Tokyo(2026, 12, 2, 3, 0));
  EXPECT_EQ(Results()["backup:nightly-db"].status, Status::kOk);
}

TEST_F(BackupMonitorTest, ANightThatFailedAndALateRun) {
  const std::string good =
      Write("db/1202.log", "completed successfully\n", Tokyo(2026, 12, 2, 5, 10));
  const std::string failed = Write("db/1203.log", "ERROR: disk full\n", Tokyo(2026, 12, 3, 4, 0));
  node_.backups = {FileJob("nightly-db", "db/*.log", "completed successfully")};
  CheckResult r = Results()["backup:nightly-db"];
  EXPECT_EQ(r.status, Status::kCritical);
  EXPECT_EQ(r.reason, "nightly-db (" + (dir_ / "db/*.log").string() +
                          "): no success since 2026-12-02 06:00 (daily by 06:00 Asia/Tokyo): "
                          "newest " +
                          failed +
                          " (updated 2026-12-03 04:00) does not contain "
                          "'completed successfully'; last success 2026-12-02 05:10 (" +
                          good + ")");
  // Rerun by hand at 10:30: the backup exists now, late but there.
  clock_.Set(Tokyo(2026, 12, 3, 10, 45));
  Write("db/1203-rerun.log", "completed successfully\n", Tokyo(2026, 12, 3, 10, 30));
  EXPECT_EQ(Results()["backup:nightly-db"].status, Status::kOk);
}

TEST_F(BackupMonitorTest, NothingThereAtAllAndDirectories) {
  node_.backups = {FileJob("gone", "none/*.log"), FileJob("dirs", "veeam/*")};
  fs::create_directories(dir_ / "veeam/2026-12-03");
  Touch(dir_ / "veeam/2026-12-03", Tokyo(2026, 12, 3, 2, 0));
  auto results = Results();
  EXPECT_EQ(results["backup:gone"].status, Status::kCritical);
  EXPECT_EQ(results["backup:gone"].reason,
            "gone (" + (dir_ / "none/*.log").string() +
                "): no success since 2026-12-02 06:00 (daily by 06:00 Asia/Tokyo): nothing "
                "matches " +
                (dir_ / "none/*.log").string() + "; no earlier success found");
  EXPECT_EQ(results["backup:dirs"].status, Status::kOk) << results["backup:dirs"].reason;
}

TEST_F(BackupMonitorTest, UnreadableResultIsUnknown) {
  if (::geteuid() == 0) GTEST_SKIP() << "root reads every file";
  const std::string path = Write("db/1203.log", "completed\n", Tokyo(2026, 12, 3, 5, 0));
  ::chmod(path.c_str(), 0);
  node_.backups = {FileJob("nightly-db", "db/*.log", "completed")};
  const CheckResult r = Results()["backup:nightly-db"];
  EXPECT_EQ(r.status, Status::kUnknown);
  EXPECT_NE(r.reason.find("cannot read " + path + ": Permission denied"), std::string::npos)
      << r.reason;
}

TEST_F(BackupMonitorTest, UnlistableDirectoryIsUnknownNotMissing) {
  if (::geteuid() == 0) GTEST_SKIP() << "root lists every directory";
  Write("db/1203.log", "completed\n", Tokyo(2026, 12, 3, 5, 0));
  ::chmod((dir_ / "db").c_str(), 0);
  node_.backups = {FileJob("nightly-db", "db/*.log")};
  const CheckResult r = Results()["backup:nightly-db"];
  ::chmod((dir_ / "db").c_str(), 0700);
  EXPECT_EQ(r.status, Status::kUnknown);
  EXPECT_EQ(r.reason, "nightly-db (" + (dir_ / "db/*.log").string() + "): cannot list " +
                          (dir_ / "db/*.log").string() + ": cannot read " + (dir_ / "db").string() +
                          ": Permission denied");
}

BackupJob UrlJob() {
  BackupJob job;
  job.name = "veeam";
  job.url = "http://backup.example/api/jobs/nightly";
  job.field = "last_result.status";
  job.expect = "success";
  job.age_field = "last_success.finished";
  job.before_minute = 6 * 60;
  job.before_text = "06:00";
  return job;
}

TEST_F(BackupMonitorTest, HttpJsonSuccessFailureAndAge) {
  node_.backups = {UrlJob()};
  const std::string url = node_.backups[0].url;
  http_.answers[url] = FakeHttp::Json(
      R"({"last_result": {"status": "success"}, "last_success": {"finished": "2026-12-03T05:30:00+09:00"}})");
  CheckResult r = Results()["backup:veeam"];
  EXPECT_EQ(r.status, Status::kOk) << r.reason;
  EXPECT_EQ(r.reason,
            "veeam (" + url +
                "): last_result.status is 'success', "
                "last_success.finished 2026-12-03 05:30, since 2026-12-02 06:00 (daily by "
                "06:00 Asia/Tokyo)");
  ASSERT_EQ(http_.requests.size(), 1u);
  EXPECT_EQ(http_.requests[0].second, 10s);

  http_.answers[url] = FakeHttp::Json(
      R"({"last_result": {"status": "failed"}, "last_success": {"finished": "2026-12-01T05:30:00+09:00"}})");
  r = Results()["backup:veeam"];
  EXPECT_EQ(r.status, Status::kCritical);
  EXPECT_EQ(r.reason, "veeam (" + url +
                          "): last_result.status is 'failed', expected 'success'; "
                          "last success 2026-12-01 05:30");

  // "success" but from the night before: the last night's run is missing.
  http_.answers[url] = FakeHttp::Json(
      R"({"last_result": {"status": "success"}, "last_success": {"finished": 1796070600}})");
  r = Results()["backup:veeam"];
  EXPECT_EQ(r.status, Status::kCritical);
  EXPECT_NE(r.reason.find("no success since 2026-12-02 06:00"), std::string::npos) << r.reason;
}

TEST_F(BackupMonitorTest, HttpSourcesThatCannotBeReadAreUnknown) {
  node_.backups = {UrlJob()};
  const std::string url = node_.backups[0].url;
  const std::pair<HttpResponse, std::string> cases[] = {
      {HttpResponse{}, "no answer: failed"},
      {FakeHttp::Json("{}", 503), "HTTP 503, expected 200 with JSON"},
      {FakeHttp::Json("<html>"), "the answer is not JSON: at byte 0: expected a JSON value"},
      {FakeHttp::Json(R"({"last_result": {}})"), "no last_result.status in the answer"},
      {FakeHttp::Json(R"({"last_result": {"status": ["success"]}})"),
       "last_result.status is an array, not a value"},
      {FakeHttp::Json(R"({"last_result": {"status": "success"}})"),
       "no last_success.finished in the answer"},
      {FakeHttp::Json(
           R"({"last_result": {"status": "success"}, "last_success": {"finished": "soon"}})"),
       "last_success.finished 'soon' is not a time"},
  };
  for (const auto& [answer, reason] : cases) {
    http_.answers[url] = answer;
    const CheckResult r = Results()["backup:veeam"];
    EXPECT_EQ(r.status, Status::kUnknown) << reason;
    EXPECT_EQ(r.reason, "veeam (" + url + "): " + reason);
  }
}

TEST_F(BackupMonitorTest, MixedJobsReportInInventoryOrder) {
  BackupJob status_only = UrlJob();
  status_only.name = "tape";
  status_only.url = "http://backup.example/tape";
  status_only.field = "jobs[1].ok";
  status_only.expect = "true";
  status_only.age_field.clear();
  http_.answers[status_only.url] = FakeHttp::Json(R"({"jobs": [{"ok": false}, {"ok": true}]})");
  Write("db/1203.log", "x", Tokyo(2026, 12, 3, 5, 0));
  node_.backups = {FileJob("nightly-db", "db/*.log"), status_only};
  const CheckReport report = Run();
  ASSERT_EQ(report.results.size(), 2u);
  EXPECT_EQ(report.results[0].monitor, "backup:nightly-db");
  EXPECT_EQ(report.results[0].status, Status::kOk);
  EXPECT_EQ(report.results[1].monitor, "backup:tape");
  EXPECT_EQ(report.results[1].status, Status::kOk);
  EXPECT_EQ(report.results[1].reason, "tape (http://backup.example/tape): jobs[1].ok is 'true'");
  ASSERT_EQ(report.measurements.size(), 1u);
  EXPECT_EQ(report.measurements[0].metric, "mimamori_backup_last_success_timestamp_seconds");
}

// The third source: what the message receivers recorded of the backup
// product's success and failure messages (rules with `records`), judged
// against the deadline like a result file.
class BackupMessageTest : public BackupMonitorTest {
 protected:
  BackupMessageTest() {
    node_.name = "backup01";
    success_.name = "veeam-ok";
    success_.records = MessageRule::Records::kSuccess;
    failure_.name = "veeam-failed";
    failure_.records = MessageRule::Records::kFailure;
    BackupJob job;
    job.name = "nightly";
    job.message = "veeam-ok";
    job.failure = "veeam-failed";
    job.before_minute = 6 * 60;
    job.before_text = "06:00";
    node_.backups = {job};
    board_ = &messages_;
  }
  // The receivers heard the product's message at `at`.
  void Succeeded(TimePoint at) {
    messages_.Recorded("backup01", success_,
                       "syslog from backup01 Veeam_MP: Job nightly finished with Success", at);
  }
  void Failed(TimePoint at) {
    messages_.Recorded("backup01", failure_,
                       "syslog from backup01 Veeam_MP: Job nightly finished with Failed", at);
  }
  CheckResult Nightly() { return Results()["backup:nightly"]; }

  MessageRule success_, failure_;
  // The collector has been listening since the 1st.
  MessageBoard messages_{Tokyo(2026, 12, 1, 9, 0)};
};

TEST_F(BackupMessageTest, ASuccessMessageBeforeTheDeadlineIsOk) {
  Succeeded(Tokyo(2026, 12, 3, 5, 12));
  const CheckReport report = Run();
  ASSERT_EQ(report.results.size(), 1u);
  EXPECT_EQ(report.results[0].status, Status::kOk) << report.results[0].reason;
  EXPECT_EQ(report.results[0].reason,
            "nightly (message rule veeam-ok): success message at 2026-12-03 05:12, since "
            "2026-12-02 06:00 (daily by 06:00 Asia/Tokyo): syslog from backup01 Veeam_MP: Job "
            "nightly finished with Success");
  ASSERT_EQ(report.measurements.size(), 1u);
  EXPECT_EQ(report.measurements[0].metric, "mimamori_backup_last_success_timestamp_seconds");
  EXPECT_EQ(report.measurements[0].value,
            std::chrono::duration<double>(Tokyo(2026, 12, 3, 5, 12).time_since_epoch()).count());
}

TEST_F(BackupMessageTest, NoSuccessByTheDeadlineIsCriticalNamingJobRuleDeadlineAndLastSuccess) {
  Succeeded(Tokyo(2026, 12, 2, 5, 10));
  // 03:00 on the 3rd: tonight's run is not due yet, the 2nd's counts.
  clock_.Set(Tokyo(2026, 12, 3, 3, 0));
  EXPECT_EQ(Nightly().status, Status::kOk);
  // 06:00: due, and no success since 06:00 yesterday.
  clock_.Set(Tokyo(2026, 12, 3, 6, 0));
  const CheckResult r = Nightly();
  EXPECT_EQ(r.status, Status::kCritical);
  EXPECT_EQ(r.reason,
            "nightly (message rule veeam-ok): no success since 2026-12-02 06:00 (daily by 06:00 "
            "Asia/Tokyo); last success 2026-12-02 05:10");
  // A late run clears it.
  Succeeded(Tokyo(2026, 12, 3, 9, 30));
  clock_.Set(Tokyo(2026, 12, 3, 9, 35));
  EXPECT_EQ(Nightly().status, Status::kOk);
}

TEST_F(BackupMessageTest, NoSuccessMessageEverSaysSinceWhenTheCollectorListens) {
  const CheckResult r = Nightly();
  EXPECT_EQ(r.status, Status::kCritical);
  EXPECT_EQ(r.reason,
            "nightly (message rule veeam-ok): no success since 2026-12-02 06:00 (daily by 06:00 "
            "Asia/Tokyo); no success message since the collector started at 2026-12-01 09:00");
}

TEST_F(BackupMessageTest, AFailureMessageIsCriticalAtOnceUntilTheNextSuccess) {
  Succeeded(Tokyo(2026, 12, 3, 2, 0));
  EXPECT_EQ(Nightly().status, Status::kOk);
  // A rerun by hand fails at 10:30: not waiting for tomorrow's deadline.
  Failed(Tokyo(2026, 12, 3, 10, 30));
  clock_.Set(Tokyo(2026, 12, 3, 10, 35));
  CheckResult r = Nightly();
  EXPECT_EQ(r.status, Status::kCritical);
  EXPECT_EQ(r.reason,
            "nightly (message rule veeam-ok): failure message (veeam-failed) at 2026-12-03 10:30: "
            "syslog from backup01 Veeam_MP: Job nightly finished with Failed; last success "
            "2026-12-03 02:00");
  // Still failed the next morning: only a success ends it.
  clock_.Set(Tokyo(2026, 12, 4, 3, 0));
  EXPECT_EQ(Nightly().status, Status::kCritical);
  Succeeded(Tokyo(2026, 12, 4, 3, 10));
  clock_.Set(Tokyo(2026, 12, 4, 3, 15));
  r = Nightly();
  EXPECT_EQ(r.status, Status::kOk) << r.reason;
  // Which came last at the same moment is not known: the failure stands.
  Failed(Tokyo(2026, 12, 4, 3, 10));
  EXPECT_EQ(Nightly().status, Status::kCritical);
}

// Success messages are kept in memory only: after a start the collector
// judges no deadline that passed before it (no false alarm, and UNKNOWN
// leaves an incident from before the restart open), and judges the first
// one after it, counting from the start.
TEST_F(BackupMessageTest, AfterARestartTheFirstDeadlineAfterTheStartIsJudged) {
  MessageBoard restarted(Tokyo(2026, 12, 3, 10, 0));
  board_ = &restarted;
  clock_.Set(Tokyo(2026, 12, 3, 10, 5));
  CheckResult r = Nightly();
  EXPECT_EQ(r.status, Status::kUnknown);
  EXPECT_EQ(r.reason,
            "nightly (message rule veeam-ok): not judged until 2026-12-04 06:00: the collector "
            "started at 2026-12-03 10:00, after the 2026-12-03 06:00 deadline, and knows no "
            "message from before its start");
  clock_.Set(Tokyo(2026, 12, 4, 5, 59));
  EXPECT_EQ(Nightly().status, Status::kUnknown);
  clock_.Set(Tokyo(2026, 12, 4, 6, 0));
  r = Nightly();
  EXPECT_EQ(r.status, Status::kCritical);
  EXPECT_EQ(r.reason,
            "nightly (message rule veeam-ok): no success since the collector started at "
            "2026-12-03 10:00 (daily by 06:00 Asia/Tokyo)");
  // The night's success after the start is what the first deadline needs.
  restarted.Recorded("backup01", success_, "syslog from backup01 Veeam_MP: ok",
                     Tokyo(2026, 12, 4, 2, 0));
  EXPECT_EQ(Nightly().status, Status::kOk);
}

TEST_F(BackupMessageTest, WithoutAMessageReceiverItIsUnknown) {
  board_ = nullptr;
  const CheckResult r = Nightly();
  EXPECT_EQ(r.status, Status::kUnknown);
  EXPECT_EQ(r.reason, "nightly (message rule veeam-ok): no message receiver is running");
}

TEST_F(BackupMessageTest, MessageFileAndHttpJobsReportInInventoryOrder) {
  Succeeded(Tokyo(2026, 12, 3, 5, 0));
  Write("db/1203.log", "x", Tokyo(2026, 12, 3, 5, 0));
  BackupJob tape = UrlJob();
  tape.name = "tape";
  tape.age_field.clear();
  http_.answers[tape.url] = FakeHttp::Json(R"({"last_result": {"status": "success"}})");
  node_.backups = {FileJob("nightly-db", "db/*.log"), node_.backups[0], tape};
  const CheckReport report = Run();
  ASSERT_EQ(report.results.size(), 3u);
  EXPECT_EQ(report.results[0].monitor, "backup:nightly-db");
  EXPECT_EQ(report.results[1].monitor, "backup:nightly");
  EXPECT_EQ(report.results[2].monitor, "backup:tape");
  for (const CheckResult& r : report.results) EXPECT_EQ(r.status, Status::kOk) << r.reason;
}

}  // namespace
}  // namespace mimamori::collector
