// The incident ledger against real SQLite files in a temporary directory:
// schema migration, the outbox's state machine, crash recovery with real
// SIGKILLed processes, atomicity, storage errors, and the monthly figures.
// CTest runs the same cases again on PostgreSQL ("postgresql.LedgerTest.*",
// tests/support/test_ledger.h); the few about the SQLite file itself skip
// there, and PostgreSQL's own (a restarted server, concurrent claims) are in
// ledger_postgres_test.cc.
#include "collector/ledger/ledger.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <sqlite3.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <functional>
#include <string>
#include <tuple>
#include <utility>
#include <vector>

#include "tests/support/test_ledger.h"

namespace mimamori::collector {
namespace {

using std::chrono::hours;
using std::chrono::milliseconds;
using std::chrono::minutes;

// 2025-04-01 00:00:00 UTC; whole minutes from it. No test reads the clock.
LedgerTime At(int day, int hour, int minute = 0) {
  return LedgerTime(std::chrono::sys_days(std::chrono::year(2025) / 4 / 1)) +
         hours(24 * (day - 1)) + hours(hour) + minutes(minute);
}
const LedgerTime kT0 = At(1, 9);

::testing::AssertionResult Contains(const std::string& text, const std::string& part) {
  if (text.find(part) != std::string::npos) return ::testing::AssertionSuccess();
  return ::testing::AssertionFailure() << "\"" << text << "\" does not contain \"" << part << "\"";
}

std::string Slurp(int fd) {
  std::string out;
  char buf[512];
  ssize_t n;
  while ((n = read(fd, buf, sizeof buf)) > 0) out.append(buf, static_cast<std::size_t>(n));
  return out;
}

/// Runs `body` in a child process; returns its wait status and what it
/// wrote to the given fd. The child never returns into gtest.
std::pair<int, std::string> InChild(const std::function<int(int fd)>& body) {
  int fds[2];
  if (pipe(fds) != 0) return {-1, "pipe failed"};
  pid_t pid = fork();
  if (pid == 0) {
    close(fds[0]);
    int code = body(fds[1]);
    _exit(code);
  }
  close(fds[1]);
  std::string output = Slurp(fds[0]);
  close(fds[0]);
  int status = 0;
  waitpid(pid, &status, 0);
  return {status, output};
}

void Say(int fd, const std::string& text) {
  ssize_t ignored = write(fd, text.data(), text.size());
  (void)ignored;
}

class LedgerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string pattern = ::testing::TempDir() + "ledger_test.XXXXXX";
    ASSERT_NE(mkdtemp(pattern.data()), nullptr);
    dir_ = pattern;
    std::string skip;
    path_ = ::mimamori::testing::TestLedgerLocation(dir_, &skip);
    if (path_.empty()) GTEST_SKIP() << skip;
    on_postgres_ = IsPostgresLocation(path_);
  }

  /// Whether an error message names this ledger: its path, or its
  /// connection string (without a password).
  ::testing::AssertionResult NamesLedger(const std::string& message) const {
    if (!on_postgres_) return Contains(message, "ledger " + path_);
    const std::string database = path_.substr(path_.find("dbname="));
    if (message.find("ledger postgresql ") != std::string::npos &&
        message.find(database) != std::string::npos) {
      return ::testing::AssertionSuccess();
    }
    return ::testing::AssertionFailure() << "\"" << message << "\" does not name " << database;
  }
  void TearDown() override {
    chmod(dir_.c_str(), 0700);
    std::filesystem::remove_all(dir_);
  }

  Ledger OpenOrDie(LedgerOptions options = {}) {
    auto ledger = Ledger::Open(path_, std::move(options));
    if (!ledger) ADD_FAILURE() << ledger.error().message;
    return std::move(*ledger);
  }

  static NewIncident Vm(std::string level, LedgerTime detected,
                        Priority priority = Priority::kHigh) {
    NewIncident in;
    in.scope = IncidentScope::kVm;
    in.title = "web01 ping failed";
    in.priority = priority;
    in.service_level = std::move(level);
    in.detected_at = detected;
    in.opened_at = detected;
    in.text = "2 pings without reply";
    return in;
  }

  static NewReport Mail(IncidentId incident, int number, LedgerTime due, LedgerTime created,
                        ReportKind kind = ReportKind::kFirst) {
    NewReport r;
    r.incident_id = incident;
    r.report_number = number;
    r.kind = kind;
    r.channel = Channel::kMail;
    r.recipients = {"platform-manager@example.jp", "owner@example.jp"};
    r.subject = "【第三期サーバ仮想基盤障害発生】";
    r.body = "発生日時: 2025/04/01 09:00";
    r.due_at = due;
    r.created_at = created;
    return r;
  }

  // Raw SQL, to look at the ledger the way an operator's sqlite3 shell (or
  // psql) would.
  std::string Query(const std::string& sql) {
    if (on_postgres_) return ::mimamori::testing::PostgresQuery(path_, sql);
    sqlite3* db = nullptr;
    sqlite3_open_v2(path_.c_str(), &db, SQLITE_OPEN_READWRITE, nullptr);
    std::string out;
    sqlite3_exec(
        db, sql.c_str(),
        [](void* arg, int n, char** values, char**) {
          auto* s = static_cast<std::string*>(arg);
          for (int i = 0; i < n; ++i) {
            if (!s->empty() && s->back() != '\n') *s += '|';
            *s += values[i] ? values[i] : "NULL";
          }
          *s += '\n';
          return 0;
        },
        &out, nullptr);
    sqlite3_close(db);
    return out;
  }

  std::string dir_;
  std::string path_;
  bool on_postgres_ = false;
};

// What only a SQLite file has (its pragmas, permissions, a file size limit).
#define SQLITE_ONLY()                                                 \
  do {                                                                \
    if (on_postgres_) GTEST_SKIP() << "about the SQLite file itself"; \
  } while (0)

// --- schema

TEST_F(LedgerTest, MigratesAnEmptyFileAndReopensWithoutMigratingAgain) {
  SQLITE_ONLY();
  std::string first_id;
  {
    Ledger ledger = OpenOrDie();
    auto version = ledger.SchemaVersion();
    ASSERT_TRUE(version);
    EXPECT_EQ(*version, static_cast<int>(LedgerMigrations().size()));
    auto incident = ledger.OpenIncident(Vm("A", kT0));
    ASSERT_TRUE(incident) << incident.error().message;
    auto report = ledger.EnqueueReport(Mail(*incident, 1, kT0 + minutes(15), kT0));
    ASSERT_TRUE(report) << report.error().message;
    first_id = ledger.GetReport(*report)->message_id;
  }
  EXPECT_EQ(Query("PRAGMA journal_mode"), "wal\n");
  EXPECT_EQ(Query("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE "
                  "'sqlite_%' ORDER BY name"),
            "incident_affected_vms\nincident_events\nincident_monitors\nincidents\n"
            "inventory_changes\ninventory_items\nledger_info\npending_changes\nreports\n"
            "resource_usage\nsuppressions\n");

  Ledger ledger = OpenOrDie();
  EXPECT_EQ(*ledger.SchemaVersion(), static_cast<int>(LedgerMigrations().size()));
  auto open = ledger.OpenIncidents();
  ASSERT_TRUE(open);
  ASSERT_EQ(open->size(), 1u);
  EXPECT_EQ(open->front().title, "web01 ping failed");
  EXPECT_EQ(open->front().incident_class, "trouble");
  // Generated Message-IDs: report id + the file's token, stable over reopen.
  auto second = ledger.EnqueueReport(Mail(1, 2, kT0 + hours(1), kT0 + hours(1)));
  ASSERT_TRUE(second) << second.error().message;
  std::string second_id = ledger.GetReport(*second)->message_id;
  EXPECT_NE(first_id, second_id);
  EXPECT_EQ(first_id.substr(first_id.find('.')), second_id.substr(second_id.find('.')));
  EXPECT_EQ(first_id.substr(0, 4), "<r1.");
  EXPECT_TRUE(Contains(first_id, "@mimamori.invalid>"));
}

TEST_F(LedgerTest, EachMigrationStepIsOneTransaction) {
  SQLITE_ONLY();
  LedgerOptions broken;
  broken.migrations = {"CREATE TABLE first_step (x)",
                       "CREATE TABLE second_step (y); INSERT INTO no_such_table VALUES (1)"};
  auto failed = Ledger::Open(path_, broken);
  ASSERT_FALSE(failed);
  EXPECT_TRUE(Contains(failed.error().message, "ledger " + path_));
  EXPECT_TRUE(Contains(failed.error().message, "migrate the schema to version 2"));
  EXPECT_TRUE(Contains(failed.error().message, "no_such_table"));
  // Step 1 was kept, step 2 left no trace.
  EXPECT_EQ(Query("PRAGMA user_version"), "1\n");
  EXPECT_EQ(Query("SELECT name FROM sqlite_master WHERE name LIKE '%_step'"), "first_step\n");

  LedgerOptions fixed;
  fixed.migrations = {"CREATE TABLE first_step (x)", "CREATE TABLE second_step (y)"};
  auto ledger = Ledger::Open(path_, fixed);
  ASSERT_TRUE(ledger) << ledger.error().message;
  EXPECT_EQ(*ledger->SchemaVersion(), 2);
}

TEST_F(LedgerTest, RefusesASchemaNewerThanItKnows) {
  { Ledger ledger = OpenOrDie(); }
  Query(on_postgres_ ? "UPDATE ledger_info SET value = '99' WHERE key = 'schema_version'"
                     : "PRAGMA user_version = 99");
  auto ledger = Ledger::Open(path_);
  ASSERT_FALSE(ledger);
  EXPECT_EQ(ledger.error().kind, LedgerErrorKind::kSchema);
  EXPECT_TRUE(NamesLedger(ledger.error().message));
  EXPECT_TRUE(Contains(ledger.error().message, "schema version 99 is newer than this program"));
}

// --- the outbox

TEST_F(LedgerTest, DueReportsComeByDueTimeThenIdAndHonourNotBefore) {
  Ledger ledger = OpenOrDie();
  IncidentId a = *ledger.OpenIncident(Vm("A", kT0));
  IncidentId c = *ledger.OpenIncident(Vm("C", kT0));
  ReportId late_due = *ledger.EnqueueReport(Mail(c, 1, kT0 + minutes(60), kT0));
  ReportId early_due = *ledger.EnqueueReport(Mail(a, 1, kT0 + minutes(15), kT0));
  NewReport phone = Mail(a, 1, kT0 + minutes(15), kT0);
  phone.channel = Channel::kPhone;
  phone.recipients = {"+81-59-000-0000"};
  ReportId same_due = *ledger.EnqueueReport(phone);
  NewReport scheduled = Mail(a, 2, kT0 + minutes(5), kT0);
  scheduled.not_before = kT0 + minutes(10);
  ReportId not_yet = *ledger.EnqueueReport(scheduled);

  auto due = ledger.DueReports(kT0, 10);
  ASSERT_TRUE(due) << due.error().message;
  std::vector<ReportId> ids;
  for (const auto& r : *due) ids.push_back(r.id);
  EXPECT_EQ(ids, (std::vector<ReportId>{early_due, same_due, late_due}));
  EXPECT_EQ((*due)[1].recipients, std::vector<std::string>{"+81-59-000-0000"});
  EXPECT_EQ((*due)[0].recipients.size(), 2u);

  due = ledger.DueReports(kT0 + minutes(10), 2);
  ASSERT_TRUE(due);
  ASSERT_EQ(due->size(), 2u);
  EXPECT_EQ((*due)[0].id, not_yet);  // due first once it may be sent
  EXPECT_EQ((*due)[1].id, early_due);
}

TEST_F(LedgerTest, UpcomingAttemptsAreThePendingOnesAfterNowEarliestFirst) {
  Ledger ledger = OpenOrDie();
  IncidentId a = *ledger.OpenIncident(Vm("A", kT0));
  ReportId due_now = *ledger.EnqueueReport(Mail(a, 1, kT0, kT0));
  NewReport later = Mail(a, 2, kT0 + minutes(5), kT0);
  later.not_before = kT0 + minutes(30);
  ReportId in_30 = *ledger.EnqueueReport(later);
  NewReport phone = Mail(a, 3, kT0 + minutes(5), kT0);
  phone.channel = Channel::kPhone;
  phone.recipients = {"+81-59-000-0000"};
  phone.not_before = kT0 + minutes(10);
  ReportId in_10 = *ledger.EnqueueReport(phone);
  NewReport far = Mail(a, 4, kT0 + hours(48), kT0);
  far.not_before = kT0 + hours(48);
  ASSERT_TRUE(ledger.EnqueueReport(far));
  ReportId claimed = *ledger.EnqueueReport([&] {
    NewReport r = Mail(a, 5, kT0 + minutes(20), kT0);
    r.not_before = kT0 + minutes(20);
    return r;
  }());
  ASSERT_TRUE(ledger.ClaimForSending(claimed, kT0));  // sending: not pending

  auto upcoming = ledger.UpcomingAttempts(kT0, kT0 + hours(24), 10);
  ASSERT_TRUE(upcoming) << upcoming.error().message;
  ASSERT_EQ(upcoming->size(), 2u);  // not the one due now, the far one or the claimed one
  EXPECT_EQ((*upcoming)[0].id, in_10);
  EXPECT_EQ((*upcoming)[0].channel, Channel::kPhone);
  EXPECT_EQ((*upcoming)[0].attempts, 0);
  EXPECT_EQ((*upcoming)[0].next_attempt_at, kT0 + minutes(10));
  EXPECT_EQ((*upcoming)[1].id, in_30);
  EXPECT_EQ((*upcoming)[1].channel, Channel::kMail);
  EXPECT_EQ(ledger.UpcomingAttempts(kT0, kT0 + hours(24), 1)->size(), 1u);
  (void)due_now;
}

TEST_F(LedgerTest, ClaimSendFailRetryRecordsEveryStep) {
  Ledger ledger = OpenOrDie();
  IncidentId incident = *ledger.OpenIncident(Vm("A", kT0));
  ReportId id = *ledger.EnqueueReport(Mail(incident, 1, kT0 + minutes(15), kT0));

  auto claimed = ledger.ClaimForSending(id, kT0 + minutes(1));
  ASSERT_TRUE(claimed) << claimed.error().message;
  EXPECT_EQ(claimed->status, ReportStatus::kSending);
  EXPECT_EQ(claimed->attempts, 1);
  EXPECT_EQ(claimed->claimed_at, kT0 + minutes(1));
  EXPECT_TRUE(ledger.DueReports(kT0 + minutes(1), 10)->empty());  // a claimed report is not due
  auto again = ledger.ClaimForSending(id, kT0 + minutes(1));
  ASSERT_FALSE(again);
  EXPECT_EQ(again.error().kind, LedgerErrorKind::kWrongState);
  EXPECT_TRUE(Contains(again.error().message, "claim report " + std::to_string(id)));

  ASSERT_EQ(ledger.MarkFailed(id, "smtp 10.0.0.25:25: connect: timeout", kT0 + minutes(3)),
            std::nullopt);
  auto report = ledger.GetReport(id);
  EXPECT_EQ(report->status, ReportStatus::kPending);
  EXPECT_EQ(report->last_error, "smtp 10.0.0.25:25: connect: timeout");
  EXPECT_EQ(report->next_attempt_at, kT0 + minutes(3));
  EXPECT_TRUE(ledger.DueReports(kT0 + minutes(2), 10)->empty());
  ASSERT_EQ(ledger.DueReports(kT0 + minutes(3), 10)->size(), 1u);

  claimed = ledger.ClaimForSending(id, kT0 + minutes(3));
  ASSERT_TRUE(claimed);
  EXPECT_EQ(claimed->attempts, 2);
  EXPECT_EQ(claimed->message_id, report->message_id);
  ASSERT_EQ(ledger.MarkSent(id, kT0 + minutes(3) + milliseconds(1500), "250 2.0.0 Ok: queued"),
            std::nullopt);
  report = ledger.GetReport(id);
  EXPECT_EQ(report->status, ReportStatus::kSent);
  EXPECT_EQ(report->sent_at, kT0 + minutes(3) + milliseconds(1500));
  EXPECT_EQ(report->on_time, true);
  EXPECT_EQ(report->server_reply, "250 2.0.0 Ok: queued");
  EXPECT_EQ(report->attempts, 2);

  // A sent report stays sent: no second MarkSent, no failure, no claim.
  auto twice = ledger.MarkSent(id, kT0 + minutes(4), "250 again");
  ASSERT_TRUE(twice);
  EXPECT_EQ(twice->kind, LedgerErrorKind::kWrongState);
  EXPECT_EQ(ledger.MarkFailed(id, "x", kT0)->kind, LedgerErrorKind::kWrongState);
  EXPECT_EQ(ledger.ClaimForSending(id, kT0).error().kind, LedgerErrorKind::kWrongState);
  EXPECT_EQ(ledger.GetReport(id)->sent_at, kT0 + minutes(3) + milliseconds(1500));
  EXPECT_EQ(ledger.MarkSent(9999, kT0, "")->kind, LedgerErrorKind::kNotFound);

  // Late, and given up.
  ReportId late = *ledger.EnqueueReport(Mail(incident, 2, kT0 + minutes(5), kT0));
  ASSERT_TRUE(ledger.ClaimForSending(late, kT0 + minutes(6)));
  ASSERT_EQ(ledger.MarkSent(late, kT0 + minutes(6), "250 Ok"), std::nullopt);
  EXPECT_EQ(ledger.GetReport(late)->on_time, false);
  ReportId refused = *ledger.EnqueueReport(Mail(incident, 3, kT0 + minutes(5), kT0));
  ASSERT_TRUE(ledger.ClaimForSending(refused, kT0));
  ASSERT_EQ(ledger.MarkFailedPermanently(refused, "550 5.1.1 recipient unknown"), std::nullopt);
  EXPECT_EQ(ledger.GetReport(refused)->status, ReportStatus::kFailedPermanently);
  EXPECT_EQ(ledger.GetReport(refused)->on_time, std::nullopt);
  EXPECT_TRUE(ledger.DueReports(kT0 + hours(10), 10)->empty());
}

TEST_F(LedgerTest, TheSameReportCannotBeQueuedTwice) {
  Ledger ledger = OpenOrDie();
  IncidentId incident = *ledger.OpenIncident(Vm("B", kT0));
  ASSERT_EQ(*ledger.NextReportNumber(incident), 1);
  ASSERT_TRUE(ledger.EnqueueReport(Mail(incident, 1, kT0, kT0)));
  auto again = ledger.EnqueueReport(Mail(incident, 1, kT0, kT0));
  ASSERT_FALSE(again);
  EXPECT_EQ(again.error().kind, LedgerErrorKind::kDuplicate);
  EXPECT_TRUE(Contains(again.error().message, "queue the first mail report of incident 1"));
  NewReport phone =
      Mail(incident, 1, kT0, kT0);  // the phone copy of the same report is another row
  phone.channel = Channel::kPhone;
  ASSERT_TRUE(ledger.EnqueueReport(phone));
  EXPECT_EQ(*ledger.NextReportNumber(incident), 2);
  NewReport same_message = Mail(incident, 2, kT0, kT0);
  same_message.message_id = "<fixed@x>";
  ASSERT_TRUE(ledger.EnqueueReport(same_message));
  same_message.report_number = 3;
  EXPECT_EQ(ledger.EnqueueReport(same_message).error().kind, LedgerErrorKind::kDuplicate);
  EXPECT_EQ(ledger.NextReportNumber(77).error().kind, LedgerErrorKind::kNotFound);
  EXPECT_EQ(ledger.EnqueueReport(Mail(77, 1, kT0, kT0)).error().kind, LedgerErrorKind::kNotFound);
  NewReport no_one = Mail(incident, 4, kT0, kT0);
  no_one.recipients.clear();
  EXPECT_EQ(ledger.EnqueueReport(no_one).error().kind, LedgerErrorKind::kInvalidArgument);
}

// --- crashes

TEST_F(LedgerTest, AReportClaimedByAKilledSenderIsResentWithTheSameMessageId) {
  ReportId id = 0;
  std::string message_id;
  {
    Ledger ledger = OpenOrDie();
    IncidentId incident = *ledger.OpenIncident(Vm("A", kT0));
    id = *ledger.EnqueueReport(Mail(incident, 1, kT0 + minutes(15), kT0));
    message_id = ledger.GetReport(id)->message_id;
  }
  // The sender claims, "talks to the server", and dies before MarkSent.
  auto [status, output] = InChild([&](int fd) {
    auto ledger = Ledger::Open(path_);
    if (!ledger) return Say(fd, ledger.error().message), 2;
    auto claimed = ledger->ClaimForSending(id, kT0 + minutes(1));
    if (!claimed) return Say(fd, claimed.error().message), 3;
    raise(SIGKILL);
    return 4;
  });
  ASSERT_TRUE(WIFSIGNALED(status)) << output;
  ASSERT_EQ(WTERMSIG(status), SIGKILL);

  Ledger ledger = OpenOrDie();
  auto left = ledger.GetReport(id);
  ASSERT_TRUE(left);
  EXPECT_EQ(left->status, ReportStatus::kSending);  // recognisable after the crash
  EXPECT_EQ(left->attempts, 1);
  EXPECT_TRUE(ledger.DueReports(kT0 + minutes(2), 10)->empty());

  auto recovered = ledger.RecoverAfterCrash(kT0 + minutes(2));
  ASSERT_TRUE(recovered) << recovered.error().message;
  ASSERT_EQ(recovered->size(), 1u);
  EXPECT_EQ(recovered->front().id, id);
  EXPECT_EQ(recovered->front().status, ReportStatus::kPending);
  EXPECT_EQ(recovered->front().message_id, message_id);
  EXPECT_EQ(recovered->front().attempts, 1);
  EXPECT_TRUE(Contains(recovered->front().last_error, "interrupted while sending (attempt 1)"));
  auto due = ledger.DueReports(kT0 + minutes(2), 10);
  ASSERT_EQ(due->size(), 1u);
  EXPECT_EQ(due->front().message_id, message_id);

  auto claimed = ledger.ClaimForSending(id, kT0 + minutes(2));
  ASSERT_TRUE(claimed);
  EXPECT_EQ(claimed->attempts, 2);
  ASSERT_EQ(ledger.MarkSent(id, kT0 + minutes(2), "250 Ok"), std::nullopt);
  EXPECT_TRUE(ledger.RecoverAfterCrash(kT0 + minutes(3))->empty());
  EXPECT_EQ(ledger.MarkSent(id, kT0 + minutes(3), "250 Ok")->kind, LedgerErrorKind::kWrongState);
  EXPECT_EQ(Query("SELECT COUNT(*), MIN(status) FROM reports"), "1|sent\n");
}

TEST_F(LedgerTest, AKilledTransactionLeavesNeitherTheStateChangeNorItsReport) {
  IncidentId incident = 0;
  ReportId first = 0;
  {
    Ledger ledger = OpenOrDie();
    incident = *ledger.OpenIncident(Vm("A", kT0, Priority::kLow));
    first = *ledger.EnqueueReport(Mail(incident, 1, kT0 + minutes(30), kT0));
  }
  auto [status, output] = InChild([&](int fd) {
    auto ledger = Ledger::Open(path_);
    if (!ledger) return Say(fd, ledger.error().message), 2;
    // A sender that got the server's reply, but died before MarkSent
    // committed: the documented duplicate window.
    if (!ledger->ClaimForSending(first, kT0 + minutes(1))) return 3;
    auto tx = ledger->Begin();
    if (!tx) return Say(fd, tx.error().message), 4;
    if (auto err = ledger->MarkSent(first, kT0 + minutes(1), "250 Ok")) return 5;
    if (auto err = ledger->ChangePriority(incident, Priority::kHigh, kT0 + minutes(1), "suzuki",
                                          "residents affected")) {
      return Say(fd, err->message), 6;
    }
    if (!ledger->EnqueueReport(Mail(incident, 2, kT0 + minutes(5), kT0 + minutes(1)))) return 7;
    raise(SIGKILL);
    return 8;
  });
  ASSERT_TRUE(WIFSIGNALED(status)) << output;

  Ledger ledger = OpenOrDie();
  EXPECT_EQ(ledger.GetIncident(incident)->priority, Priority::kLow);
  auto timeline = ledger.Timeline(incident);
  ASSERT_TRUE(timeline);
  ASSERT_EQ(timeline->events.size(), 1u);  // "opened" only
  ASSERT_EQ(timeline->reports.size(), 1u);
  EXPECT_EQ(timeline->reports[0].status, ReportStatus::kSending);
  ASSERT_EQ(ledger.RecoverAfterCrash(kT0 + minutes(2))->size(), 1u);
}

TEST_F(LedgerTest, AFailingStepRollsBackTheStateChangeAndTheReport) {
  Ledger ledger = OpenOrDie();
  IncidentId incident = *ledger.OpenIncident(Vm("B", kT0, Priority::kLow));
  ASSERT_TRUE(ledger.EnqueueReport(Mail(incident, 1, kT0 + minutes(60), kT0)));

  LedgerStatus result = ledger.Transaction([&](Ledger& l) -> LedgerStatus {
    if (auto err = l.ChangePriority(incident, Priority::kHigh, kT0, "suzuki", "")) return err;
    auto report = l.EnqueueReport(Mail(incident, 2, kT0 + minutes(30), kT0));
    if (!report) return report.error();
    auto duplicate = l.EnqueueReport(Mail(incident, 1, kT0, kT0));  // fails
    if (!duplicate) return duplicate.error();
    return std::nullopt;
  });
  ASSERT_TRUE(result);
  EXPECT_EQ(result->kind, LedgerErrorKind::kDuplicate);
  EXPECT_EQ(ledger.GetIncident(incident)->priority, Priority::kLow);
  EXPECT_EQ(ledger.Timeline(incident)->events.size(), 1u);
  EXPECT_EQ(ledger.Timeline(incident)->reports.size(), 1u);

  // RAII: dropped without Commit is rolled back.
  {
    auto tx = ledger.Begin();
    ASSERT_TRUE(tx);
    EXPECT_EQ(ledger.Begin().error().kind, LedgerErrorKind::kWrongState);  // no nesting
    ASSERT_EQ(ledger.ChangePriority(incident, Priority::kHigh, kT0, "suzuki", ""), std::nullopt);
  }
  EXPECT_EQ(ledger.GetIncident(incident)->priority, Priority::kLow);

  // A failed call inside a transaction undoes only itself; the caller may
  // treat "already queued" as done and commit the rest.
  {
    auto tx = ledger.Begin();
    ASSERT_TRUE(tx);
    ASSERT_EQ(ledger.ChangePriority(incident, Priority::kHigh, kT0, "suzuki", "all VMs down"),
              std::nullopt);
    EXPECT_EQ(ledger.EnqueueReport(Mail(incident, 1, kT0, kT0)).error().kind,
              LedgerErrorKind::kDuplicate);
    ASSERT_TRUE(ledger.EnqueueReport(Mail(incident, 2, kT0 + minutes(30), kT0)));
    ASSERT_EQ(tx->Commit(), std::nullopt);
  }
  EXPECT_EQ(ledger.GetIncident(incident)->priority, Priority::kHigh);
  EXPECT_EQ(ledger.Timeline(incident)->reports.size(), 2u);
  EXPECT_EQ(ledger.Timeline(incident)->events.back().text, "low -> high: all VMs down");
}

// --- storage errors

TEST_F(LedgerTest, AnUncreatableFileIsAnErrorNamingThePath) {
  SQLITE_ONLY();
  std::string regular_file = dir_ + "/not-a-directory";
  std::ofstream(regular_file) << "x";
  for (const std::string& path :
       {regular_file + "/ledger.db", std::string("/proc/self/no-such-dir/ledger.db")}) {
    auto ledger = Ledger::Open(path);
    ASSERT_FALSE(ledger) << path;
    EXPECT_EQ(ledger.error().kind, LedgerErrorKind::kStorage);
    EXPECT_TRUE(Contains(ledger.error().message, "ledger " + path + ": open: "));
    EXPECT_TRUE(Contains(ledger.error().message, "unable to open database file"));
  }
}

TEST_F(LedgerTest, AnUnwritableDirectoryIsAnError) {
  SQLITE_ONLY();
  if (geteuid() == 0) {
    GTEST_SKIP() << "root ignores directory permissions; the uncreatable-path test covers this";
  }
  ASSERT_EQ(chmod(dir_.c_str(), 0500), 0);
  auto ledger = Ledger::Open(path_);
  ASSERT_FALSE(ledger);
  EXPECT_EQ(ledger.error().kind, LedgerErrorKind::kStorage);
  EXPECT_TRUE(Contains(ledger.error().message, path_));
}

TEST_F(LedgerTest, AReadOnlyFileIsRefusedAtOpen) {
  SQLITE_ONLY();
  if (geteuid() == 0) GTEST_SKIP() << "root may write a 0400 file; see the read-only open test";
  { Ledger ledger = OpenOrDie(); }
  ASSERT_EQ(chmod(path_.c_str(), 0400), 0);
  auto ledger = Ledger::Open(path_);
  ASSERT_FALSE(ledger);
  EXPECT_EQ(ledger.error().kind, LedgerErrorKind::kStorage);
  EXPECT_TRUE(Contains(ledger.error().message, path_));
}

TEST_F(LedgerTest, WritesThroughAReadOnlyConnectionFail) {
  IncidentId incident = 0;
  {
    Ledger ledger = OpenOrDie();
    incident = *ledger.OpenIncident(Vm("A", kT0));
  }
  LedgerOptions read_only;
  read_only.read_only = true;
  Ledger ledger = OpenOrDie(read_only);
  EXPECT_EQ(ledger.GetIncident(incident)->title, "web01 ping failed");
  auto opened = ledger.OpenIncident(Vm("B", kT0));
  ASSERT_FALSE(opened);
  EXPECT_EQ(opened.error().kind, LedgerErrorKind::kStorage);
  EXPECT_TRUE(NamesLedger(opened.error().message));
  EXPECT_TRUE(
      Contains(opened.error().message, on_postgres_ ? "read-only transaction" : "readonly"));
  EXPECT_EQ(ledger.CloseIncident(incident, kT0, "suzuki", "")->kind, LedgerErrorKind::kStorage);
}

TEST_F(LedgerTest, AFullDiskFailsTheWriteLoudlyAndKeepsNothingOfIt) {
  SQLITE_ONLY();
  IncidentId incident = 0;
  {
    Ledger ledger = OpenOrDie();
    incident = *ledger.OpenIncident(Vm("A", kT0));
  }
  // A file size limit makes every write past it fail (EFBIG), as a full disk
  // does; done in a child so the limit cannot touch the test runner.
  auto [status, output] = InChild([&](int fd) {
    signal(SIGXFSZ, SIG_IGN);
    auto ledger = Ledger::Open(path_);
    if (!ledger) return Say(fd, ledger.error().message), 2;
    rlimit limit{256 * 1024, 256 * 1024};
    if (setrlimit(RLIMIT_FSIZE, &limit) != 0) return 3;
    NewReport big = Mail(incident, 1, kT0, kT0);
    big.body.assign(2 * 1024 * 1024, 'x');
    auto direct = ledger->EnqueueReport(big);
    if (direct) return 4;
    Say(fd, direct.error().message + "\n" + std::string(LedgerErrorKindName(direct.error().kind)) +
                "\n");
    // Inside a transaction the rows wait in the page cache, so the commit
    // is what fails.
    auto tx = ledger->Begin();
    if (!tx) return Say(fd, tx.error().message), 5;
    NewReport medium = big;
    medium.body.resize(512 * 1024);
    if (!ledger->EnqueueReport(medium)) return 6;
    auto committed = tx->Commit();
    if (!committed) return 7;
    Say(fd, committed->message + "\n" + std::string(LedgerErrorKindName(committed->kind)) + "\n");
    // Too big for the cache: the failure comes mid-transaction. SQLite may
    // roll the whole transaction back then; later calls must say so rather
    // than write outside it.
    auto tx2 = ledger->Begin();
    if (!tx2) return Say(fd, tx2.error().message), 9;
    if (ledger->EnqueueReport(big)) return 10;
    auto small = ledger->EnqueueReport(Mail(incident, 2, kT0, kT0));
    Say(fd, "after: " + (small ? std::string("ok") : small.error().message) + "\n");
    auto committed2 = tx2->Commit();
    Say(fd, "commit2: " + (committed2 ? committed2->message : std::string("ok")) + "\n");
    // The connection is still usable after the failure.
    if (!ledger->GetIncident(incident)) return 8;
    return 0;
  });
  ASSERT_TRUE(WIFEXITED(status)) << output;
  ASSERT_EQ(WEXITSTATUS(status), 0) << output;
  EXPECT_TRUE(Contains(output, "ledger " + path_ + ": queue the first mail report of incident"));
  EXPECT_TRUE(Contains(output, "ledger " + path_ + ": commit: "));
  EXPECT_TRUE(Contains(output, "File too large"));
  EXPECT_TRUE(Contains(output, "\nstorage\n"));
  // SQLite 3.40 drops the whole transaction on the mid-transaction I/O
  // error; the ledger then refuses the calls that would have run outside it.
  EXPECT_TRUE(
      Contains(output, "after: ledger " + path_ +
                           ": queue the first mail report of "
                           "incident 1: the transaction was rolled back by an earlier error"));
  EXPECT_TRUE(
      Contains(output, "commit2: ledger " + path_ + ": commit: the transaction was rolled back"));

  Ledger ledger = OpenOrDie();
  EXPECT_TRUE(ledger.Timeline(incident)->reports.empty());
  EXPECT_EQ(Query("PRAGMA integrity_check"), "ok\n");
}

TEST_F(LedgerTest, AReaderIsNotBlockedByAnOpenWriteTransaction) {
  Ledger writer = OpenOrDie();
  IncidentId first = *writer.OpenIncident(Vm("A", kT0));
  LedgerOptions read_only;
  read_only.read_only = true;
  Ledger reader = OpenOrDie(read_only);
  LedgerOptions impatient;
  impatient.busy_timeout = milliseconds(50);
  Ledger second_writer = OpenOrDie(impatient);

  auto tx = writer.Begin();
  ASSERT_TRUE(tx);
  IncidentId second = *writer.OpenIncident(Vm("B", kT0));
  ASSERT_TRUE(writer.EnqueueReport(Mail(second, 1, kT0, kT0)));

  auto open = reader.OpenIncidents();  // sees the last commit, without waiting
  ASSERT_TRUE(open) << open.error().message;
  ASSERT_EQ(open->size(), 1u);
  EXPECT_EQ(open->front().id, first);
  EXPECT_TRUE(reader.DueReports(kT0, 10)->empty());
  auto blocked = second_writer.Begin();  // writers take turns
  ASSERT_FALSE(blocked);
  EXPECT_EQ(blocked.error().kind, LedgerErrorKind::kBusy);
  EXPECT_TRUE(NamesLedger(blocked.error().message));

  ASSERT_EQ(tx->Commit(), std::nullopt);
  EXPECT_EQ(reader.OpenIncidents()->size(), 2u);
  EXPECT_EQ(reader.DueReports(kT0, 10)->size(), 1u);
  EXPECT_TRUE(second_writer.Begin());
}

// --- incidents, suppressions, queries

TEST_F(LedgerTest, TheTimelineHoldsMonitorsVmsEventsAndReports) {
  Ledger ledger = OpenOrDie();
  NewIncident in = Vm("", kT0);
  in.scope = IncidentScope::kPlatform;
  in.title = "esxi03 down";
  IncidentId id = *ledger.OpenIncident(in);
  ASSERT_EQ(ledger.AttachMonitor({id, "esxi03", "ping", "platform", kT0, "ping", Status::kWarning}),
            std::nullopt);
  // Attached again: the status follows, the rest stays.
  ASSERT_EQ(ledger.AttachMonitor(
                {id, "esxi03", "ping", "platform", kT0 + minutes(1), "", Status::kCritical}),
            std::nullopt);
  ASSERT_EQ(ledger.AddAffectedVm({id, "web01", "juminhyo", "esxi03", kT0}), std::nullopt);
  ASSERT_EQ(ledger.AddAffectedVm({id, "web01", "juminhyo", "esxi04", kT0 + minutes(2)}),
            std::nullopt);  // moved by DRS
  EXPECT_EQ(*ledger.FindOpenIncident("esxi03", "ping"), std::optional<IncidentId>(id));
  EXPECT_EQ(*ledger.FindOpenIncident("esxi03", "disk:/"), std::nullopt);
  ASSERT_TRUE(ledger.AppendEvent({0, id, kT0 + minutes(3), EventKind::kStateChange, "mimamori",
                                  "esxi03", "ping", "ok -> critical", Status::kCritical}));
  ASSERT_EQ(ledger.Acknowledge(id, kT0 + minutes(4), "suzuki", "on it"), std::nullopt);
  ASSERT_EQ(ledger.Acknowledge(id, kT0 + minutes(5), "tanaka", "me too"), std::nullopt);
  ASSERT_TRUE(ledger.AppendEvent(
      {0, id, kT0 + minutes(6), EventKind::kWorkStart, "suzuki", "", "", "host reboot", {}}));
  ASSERT_TRUE(ledger.EnqueueReport(Mail(id, 1, kT0 + minutes(5), kT0)));
  ASSERT_EQ(ledger.CloseIncident(id, kT0 + minutes(40), "suzuki", "host replaced"), std::nullopt);
  EXPECT_EQ(ledger.CloseIncident(id, kT0 + minutes(41), "suzuki", "")->kind,
            LedgerErrorKind::kWrongState);
  EXPECT_EQ(ledger.ChangePriority(id, Priority::kLow, kT0, "suzuki", "")->kind,
            LedgerErrorKind::kWrongState);
  EXPECT_EQ(ledger.CloseIncident(999, kT0, "suzuki", "")->kind, LedgerErrorKind::kNotFound);
  EXPECT_EQ(*ledger.FindOpenIncident("esxi03", "ping"), std::nullopt);

  auto t = ledger.Timeline(id);
  ASSERT_TRUE(t) << t.error().message;
  EXPECT_EQ(t->incident.scope, IncidentScope::kPlatform);
  EXPECT_EQ(t->incident.status, IncidentStatus::kClosed);
  EXPECT_EQ(t->incident.closed_at, kT0 + minutes(40));
  EXPECT_EQ(t->incident.closed_by, "suzuki");
  EXPECT_EQ(t->incident.acknowledged_at, kT0 + minutes(4));
  EXPECT_EQ(t->incident.acknowledged_by, "suzuki");
  ASSERT_EQ(t->monitors.size(), 1u);
  EXPECT_EQ(t->monitors[0].attached_at, kT0);
  EXPECT_EQ(t->monitors[0].kind, "ping");
  EXPECT_EQ(t->monitors[0].status, Status::kCritical);
  ASSERT_EQ(t->affected_vms.size(), 1u);
  EXPECT_EQ(t->affected_vms[0].host, "esxi04");
  std::vector<EventKind> kinds;
  for (const auto& e : t->events) kinds.push_back(e.kind);
  EXPECT_EQ(kinds, (std::vector<EventKind>{EventKind::kOpened, EventKind::kStateChange,
                                           EventKind::kAcknowledged, EventKind::kAcknowledged,
                                           EventKind::kWorkStart, EventKind::kClosed}));
  EXPECT_EQ(t->events[1].node, "esxi03");
  ASSERT_EQ(t->reports.size(), 1u);

  EXPECT_TRUE(ledger.OpenIncidents()->empty());
  IncidentId later = *ledger.OpenIncident(Vm("B", kT0 + hours(2)));
  auto recent = ledger.RecentIncidents(kT0, 10);
  ASSERT_EQ(recent->size(), 2u);
  EXPECT_EQ((*recent)[0].id, later);  // newest first
  EXPECT_EQ(ledger.RecentIncidents(kT0 + hours(1), 10)->size(), 1u);

  NewIncident bad = Vm("D", kT0);
  EXPECT_EQ(ledger.OpenIncident(bad).error().kind, LedgerErrorKind::kInvalidArgument);
  bad = Vm("", kT0);
  EXPECT_TRUE(Contains(ledger.OpenIncident(bad).error().message, "needs a service level"));
}

TEST_F(LedgerTest, OpenIncidentMonitorsAreThoseOfOpenIncidentsOnlyByIncidentThenTimeline) {
  Ledger ledger = OpenOrDie();
  IncidentId first = *ledger.OpenIncident(Vm("A", kT0));
  IncidentId closed = *ledger.OpenIncident(Vm("B", kT0));
  IncidentId second = *ledger.OpenIncident(Vm("C", kT0));
  IncidentId bare = *ledger.OpenIncident(Vm("C", kT0));  // no monitor attached
  ASSERT_EQ(ledger.AttachMonitor({second, "db01", "ping", "zeimu", kT0, "ping", Status::kCritical}),
            std::nullopt);
  ASSERT_EQ(ledger.AttachMonitor({first, "web01", "process:httpd", "juminhyo", kT0 + minutes(2),
                                  "process", Status::kCritical}),
            std::nullopt);
  ASSERT_EQ(ledger.AttachMonitor({first, "web01", "disk:/", "juminhyo", kT0 + minutes(1),
                                  "resource", Status::kWarning}),
            std::nullopt);
  ASSERT_EQ(
      ledger.AttachMonitor({closed, "ap01", "ping", "kokuho", kT0, "ping", Status::kCritical}),
      std::nullopt);
  ASSERT_EQ(ledger.CloseIncident(closed, kT0 + minutes(5), "suzuki", "fixed"), std::nullopt);

  auto monitors = ledger.OpenIncidentMonitors();
  ASSERT_TRUE(monitors) << monitors.error().message;
  std::vector<std::tuple<IncidentId, std::string, std::string, Status>> got;
  for (const IncidentMonitor& m : *monitors)
    got.emplace_back(m.incident_id, m.node, m.monitor, m.status);
  EXPECT_EQ(got, (std::vector<std::tuple<IncidentId, std::string, std::string, Status>>{
                     {first, "web01", "disk:/", Status::kWarning},
                     {first, "web01", "process:httpd", Status::kCritical},
                     {second, "db01", "ping", Status::kCritical}}));
  // The same as each open incident's timeline says.
  for (IncidentId id : {first, second, bare}) {
    auto t = ledger.Timeline(id);
    ASSERT_TRUE(t);
    std::size_t n = 0;
    for (const IncidentMonitor& m : *monitors) n += m.incident_id == id;
    EXPECT_EQ(n, t->monitors.size()) << "incident " << id;
  }
}

TEST_F(LedgerTest, SuppressionsAreActiveInTheirPeriodAndTheirMailsAreRecorded) {
  Ledger ledger = OpenOrDie();
  NewSuppression s{SuppressionTarget::kSystem, "juminhyo", At(2, 10), At(2, 12),
                   "statutory inspection",     "owner",    At(1, 15)};
  SuppressionId id = *ledger.AddSuppression(s);
  EXPECT_TRUE(ledger.ActiveSuppressions(At(2, 9, 59))->empty());
  EXPECT_EQ(ledger.ActiveSuppressions(At(2, 10))->size(), 1u);  // start included
  EXPECT_TRUE(ledger.ActiveSuppressions(At(2, 12))->empty());   // end excluded
  s.ends_at = s.starts_at;
  EXPECT_EQ(ledger.AddSuppression(s).error().kind, LedgerErrorKind::kInvalidArgument);

  ASSERT_EQ(ledger.SetSuppressionPeriod(id, At(2, 10), At(2, 14)), std::nullopt);
  EXPECT_EQ(ledger.ActiveSuppressions(At(2, 13))->size(), 1u);
  ASSERT_EQ(ledger.CancelSuppression(id, At(2, 11)), std::nullopt);
  EXPECT_EQ(ledger.ActiveSuppressions(At(2, 10, 30))->size(), 1u);
  EXPECT_TRUE(ledger.ActiveSuppressions(At(2, 11))->empty());
  EXPECT_EQ(ledger.CancelSuppression(id, At(2, 11))->kind, LedgerErrorKind::kWrongState);
  EXPECT_EQ(ledger.ListSuppressions(At(2, 0))->size(), 1u);  // still on record
  EXPECT_TRUE(ledger.ListSuppressions(At(3, 0))->empty());

  NewReport start;
  start.suppression_id = id;
  start.kind = ReportKind::kSuppressionStart;
  start.recipients = {"owner@example.jp"};
  start.subject = "【第三期サーバ仮想基盤】監視一時抑止開始連絡";
  start.body = "250402 10:00 より、監視一時抑止を開始します。";
  start.due_at = At(2, 10);
  start.created_at = At(2, 10);
  ReportId mail = *ledger.EnqueueReport(start);
  EXPECT_EQ(ledger.EnqueueReport(start).error().kind, LedgerErrorKind::kDuplicate);
  start.incident_id = 1;
  EXPECT_EQ(ledger.EnqueueReport(start).error().kind, LedgerErrorKind::kInvalidArgument);
  EXPECT_FALSE(ledger.GetSuppression(id)->start_mail_sent);
  ASSERT_TRUE(ledger.ClaimForSending(mail, At(2, 10)));
  ASSERT_EQ(ledger.MarkSent(mail, At(2, 10), "250 Ok"), std::nullopt);
  EXPECT_TRUE(ledger.GetSuppression(id)->start_mail_sent);
  EXPECT_FALSE(ledger.GetSuppression(id)->end_mail_sent);
}

// Hand-computed figures for April 2025 [04-01 00:00, 05-01 00:00) UTC.
TEST_F(LedgerTest, MonthlyFiguresMatchAHandCount) {
  Ledger ledger = OpenOrDie();
  const LedgerTime from = At(1, 0);
  const LedgerTime to = At(31, 0);  // 2025-05-01
  auto open = [&](std::string level, LedgerTime detected) {
    NewIncident in = Vm(std::move(level), detected);
    if (in.service_level.empty()) in.scope = IncidentScope::kPlatform;
    return *ledger.OpenIncident(in);
  };
  auto send = [&](ReportId id, LedgerTime at) {
    ASSERT_TRUE(ledger.ClaimForSending(id, at));
    ASSERT_EQ(ledger.MarkSent(id, at, "250 Ok"), std::nullopt);
  };
  // A: from March: 30 min in April, no detection counted in April.
  IncidentId a1 = open("A", At(1, 0) - minutes(30));
  ASSERT_EQ(ledger.CloseIncident(a1, At(1, 0, 30), "suzuki", ""), std::nullopt);
  // A: 45 min, first report late (due 10:15, sent 10:20); continuing on time.
  IncidentId a2 = open("A", At(10, 10));
  send(*ledger.EnqueueReport(Mail(a2, 1, At(10, 10, 15), At(10, 10))), At(10, 10, 20));
  send(*ledger.EnqueueReport(Mail(a2, 2, At(10, 11, 15), At(10, 11), ReportKind::kContinuing)),
       At(10, 11, 10));
  ASSERT_EQ(ledger.CloseIncident(a2, At(10, 10, 45), "suzuki", ""), std::nullopt);
  // B: 240 min, first report on time; final report refused by the server.
  IncidentId b1 = open("B", At(20, 9));
  send(*ledger.EnqueueReport(Mail(b1, 1, At(20, 9, 30), At(20, 9))), At(20, 9, 10));
  ASSERT_EQ(ledger.CloseIncident(b1, At(20, 13), "suzuki", ""), std::nullopt);
  ReportId final_report =
      *ledger.EnqueueReport(Mail(b1, 2, At(20, 13, 30), At(20, 13), ReportKind::kFinal));
  ASSERT_TRUE(ledger.ClaimForSending(final_report, At(20, 13)));
  ASSERT_EQ(ledger.MarkFailedPermanently(final_report, "550"), std::nullopt);
  // B: still open at the end of the month: 60 min; its first report is due
  // exactly at `to`, so neither late nor counted among April's reports.
  IncidentId b2 = open("B", At(30, 23));
  ASSERT_TRUE(ledger.EnqueueReport(Mail(b2, 1, to, At(30, 23))));
  // C: closed at once: a detection with no outage.
  IncidentId c1 = open("C", At(15, 10));
  ASSERT_EQ(ledger.CloseIncident(c1, At(15, 10), "suzuki", ""), std::nullopt);
  // C in May: outside the period.
  open("C", At(32, 1));
  // Platform-wide: 10 min.
  IncidentId p1 = open("", At(5, 1));
  ASSERT_EQ(ledger.CloseIncident(p1, At(5, 1, 10), "suzuki", ""), std::nullopt);
  // A suppression mail due in April, never sent.
  SuppressionId s = *ledger.AddSuppression(
      {SuppressionTarget::kNode, "web01", At(28, 10), At(28, 12), "", "owner", At(27, 0)});
  NewReport mail;
  mail.suppression_id = s;
  mail.kind = ReportKind::kSuppressionStart;
  mail.recipients = {"owner@example.jp"};
  mail.due_at = At(28, 10);
  mail.created_at = At(28, 10);
  ASSERT_TRUE(ledger.EnqueueReport(mail));

  auto summary = ledger.Summarize(from, to);
  ASSERT_TRUE(summary) << summary.error().message;
  ASSERT_EQ(summary->levels.size(), 5u);
  auto level = [&](std::size_t i) { return summary->levels[i]; };
  EXPECT_EQ(level(0).service_level, "A");
  EXPECT_EQ(level(0).detections, 1);
  EXPECT_EQ(level(0).first_report_late, 1);
  EXPECT_EQ(level(0).outage, minutes(30 + 45));
  EXPECT_EQ(level(1).service_level, "B");
  EXPECT_EQ(level(1).detections, 2);
  EXPECT_EQ(level(1).first_report_late, 0);
  EXPECT_EQ(level(1).outage, minutes(240 + 60));
  EXPECT_EQ(level(2).service_level, "C");
  EXPECT_EQ(level(2).detections, 1);
  EXPECT_EQ(level(2).outage, minutes(0));
  EXPECT_EQ(level(3).service_level, "C-dev");
  EXPECT_EQ(level(3).detections, 0);
  EXPECT_EQ(level(4).service_level, "");
  EXPECT_EQ(level(4).detections, 1);
  EXPECT_EQ(level(4).outage, minutes(10));
  EXPECT_EQ(summary->reports.on_time, 2);
  EXPECT_EQ(summary->reports.late, 1);
  EXPECT_EQ(summary->reports.unsent, 1);
  EXPECT_EQ(summary->reports.failed_permanently, 1);

  EXPECT_EQ(ledger.Summarize(to, from).error().kind, LedgerErrorKind::kInvalidArgument);
}

}  // namespace
}  // namespace mimamori::collector
