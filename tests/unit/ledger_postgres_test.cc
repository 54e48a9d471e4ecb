// What only the ledger on PostgreSQL has to show (every other ledger case
// runs on it as "postgresql.LedgerTest.*"): the schema made in an existing
// database, a server that restarts under a running collector, two processes
// claiming from one outbox, and a password that never appears in a message.
// Skips with the reason when PostgreSQL's server binaries are not installed.
#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <memory>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "collector/ha/leadership.h"
#include "collector/ha/shard_plan.h"
#include "collector/ledger/ledger.h"
#include "tests/support/private_postgres.h"
#include "tests/support/test_ledger.h"

namespace mimamori::collector {
namespace {

using std::chrono::minutes;

const LedgerTime kT0 = LedgerTime(std::chrono::sys_days(std::chrono::year(2025) / 4 / 1));

NewIncident Vm(LedgerTime at) {
  NewIncident in;
  in.title = "web01 ping failed";
  in.priority = Priority::kHigh;
  in.service_level = "A";
  in.detected_at = at;
  in.opened_at = at;
  return in;
}

NewReport Mail(IncidentId incident, int number) {
  NewReport r;
  r.incident_id = incident;
  r.report_number = number;
  r.kind = number == 1 ? ReportKind::kFirst : ReportKind::kContinuing;
  r.recipients = {"owner@example.jp"};
  r.subject = "第" + std::to_string(number) + "報";
  r.body = "本文";
  r.due_at = kT0 + minutes(15);
  r.created_at = kT0;
  return r;
}

class LedgerPostgresTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string why;
    if (!::mimamori::testing::PrivatePostgres::Available(&why)) GTEST_SKIP() << why;
    location_ = ::mimamori::testing::NewPostgresDatabase(&why);
    ASSERT_FALSE(location_.empty()) << why;
  }
  Ledger OpenOrDie(LedgerOptions options = {}) {
    auto ledger = Ledger::Open(location_, std::move(options));
    if (!ledger) ADD_FAILURE() << ledger.error().message;
    return std::move(*ledger);
  }
  std::string location_;
};

TEST_F(LedgerPostgresTest, MakesTheSchemaInAnEmptyDatabaseOnceAndKeepsItsToken) {
  ASSERT_TRUE(IsPostgresLocation(location_));
  std::string first_id;
  {
    Ledger ledger = OpenOrDie();
    EXPECT_TRUE(ledger.on_postgres());
    EXPECT_EQ(*ledger.SchemaVersion(), static_cast<int>(PostgresLedgerMigrations().size()));
    EXPECT_EQ(PostgresLedgerMigrations().size(), LedgerMigrations().size());
    IncidentId id = *ledger.OpenIncident(Vm(kT0));
    first_id = ledger.GetReport(*ledger.EnqueueReport(Mail(id, 1)))->message_id;
  }
  EXPECT_EQ(
      ::mimamori::testing::PostgresQuery(location_,
                                         "SELECT table_name FROM information_schema.tables WHERE "
                                         "table_schema = 'public' ORDER BY table_name"),
      "incident_affected_vms\nincident_events\nincident_monitors\nincidents\n"
      "inventory_changes\ninventory_items\nledger_info\npending_changes\nreports\n"
      "resource_usage\nsuppressions\n");
  Ledger ledger = OpenOrDie();
  auto second = ledger.EnqueueReport(Mail(1, 2));
  ASSERT_TRUE(second) << second.error().message;
  const std::string second_id = ledger.GetReport(*second)->message_id;
  EXPECT_EQ(first_id.substr(0, 4), "<r1.");
  EXPECT_EQ(second_id.substr(0, 4), "<r2.");
  EXPECT_EQ(first_id.substr(first_id.find('.')), second_id.substr(second_id.find('.')));
  EXPECT_EQ(first_id.size(), std::string("<r1.0123456789abcdef@mimamori.invalid>").size());
}

TEST_F(LedgerPostgresTest, TwoProcessesOpeningANewDatabaseAtOnceMigrateItOnce) {
  std::vector<pid_t> children;
  for (int i = 0; i < 4; ++i) {
    pid_t pid = fork();
    if (pid == 0) {
      auto ledger = Ledger::Open(location_);
      if (!ledger) std::fprintf(stderr, "%s\n", ledger.error().message.c_str());
      _exit(ledger ? 0 : 1);
    }
    children.push_back(pid);
  }
  for (pid_t pid : children) {
    int status = 0;
    waitpid(pid, &status, 0);
    EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0);
  }
  EXPECT_EQ(::mimamori::testing::PostgresQuery(location_, "SELECT COUNT(*) FROM ledger_info"),
            "2\n");
}

// Two senders on one outbox, as an HA pair's old and new leader may briefly
// be: each report is claimed by exactly one of them.
TEST_F(LedgerPostgresTest, TwoSendersClaimingTheSameOutboxNeverClaimAReportTwice) {
  constexpr int kReports = 120;
  {
    Ledger ledger = OpenOrDie();
    IncidentId id = *ledger.OpenIncident(Vm(kT0));
    for (int n = 1; n <= kReports; ++n) ASSERT_TRUE(ledger.EnqueueReport(Mail(id, n)));
  }
  struct Child {
    pid_t pid;
    int fd;
  };
  std::vector<Child> senders;
  for (int s = 0; s < 2; ++s) {
    int fds[2];
    ASSERT_EQ(pipe(fds), 0);
    pid_t pid = fork();
    if (pid == 0) {
      close(fds[0]);
      auto ledger = Ledger::Open(location_);
      if (!ledger) _exit(2);
      std::string claimed;
      for (;;) {
        auto due = ledger->DueReports(kT0 + minutes(1), 10);
        if (!due) _exit(3);
        if (due->empty()) break;
        for (const Report& r : *due) {
          if (ledger->ClaimForSending(r.id, kT0 + minutes(1))) {
            claimed += std::to_string(r.id) + "\n";
            if (ledger->MarkSent(r.id, kT0 + minutes(1), "250 Ok")) _exit(4);
          }
        }
      }
      ssize_t ignored = write(fds[1], claimed.data(), claimed.size());
      (void)ignored;
      _exit(0);
    }
    close(fds[1]);
    senders.push_back({pid, fds[0]});
  }
  std::multiset<long> all;
  std::vector<std::size_t> counts;
  for (const Child& c : senders) {
    std::string out;
    char buf[4096];
    ssize_t n;
    while ((n = read(c.fd, buf, sizeof buf)) > 0) out.append(buf, static_cast<std::size_t>(n));
    close(c.fd);
    int status = 0;
    waitpid(c.pid, &status, 0);
    ASSERT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << "sender exit " << status;
    std::istringstream lines(out);
    std::size_t count = 0;
    for (long id; lines >> id; ++count) all.insert(id);
    counts.push_back(count);
  }
  EXPECT_EQ(all.size(), static_cast<std::size_t>(kReports));
  EXPECT_EQ(std::set<long>(all.begin(), all.end()).size(), all.size()) << "a report claimed twice";
  EXPECT_EQ(::mimamori::testing::PostgresQuery(location_,
                                               "SELECT status, COUNT(*) FROM reports GROUP BY 1"),
            "sent|" + std::to_string(kReports) + "\n");
}

TEST_F(LedgerPostgresTest, APasswordNeverAppearsInAnError) {
  LedgerOptions options;
  options.password = Secret("s3cret-from-file");
  const std::string wrong = location_ + "_missing";  // a database that does not exist
  auto ledger = Ledger::Open(wrong, options);
  ASSERT_FALSE(ledger);
  EXPECT_EQ(ledger.error().kind, LedgerErrorKind::kStorage);
  EXPECT_NE(ledger.error().message.find("ledger postgresql "), std::string::npos)
      << ledger.error().message;
  EXPECT_NE(ledger.error().message.find("_missing"), std::string::npos) << ledger.error().message;
  EXPECT_EQ(ledger.error().message.find("s3cret"), std::string::npos) << ledger.error().message;

  auto inline_password = Ledger::Open(wrong + " password=inline-s3cret");
  ASSERT_FALSE(inline_password);
  EXPECT_EQ(inline_password.error().message.find("inline-s3cret"), std::string::npos)
      << inline_password.error().message;
}

// The HA pair's fence: a leader's write goes in only while its term is the
// latest; once another collector took the lead, nothing more of it is
// recorded (and reads still work).
TEST_F(LedgerPostgresTest, WritesOfALeaderWhoseTermWasSupersededAreRefused) {
  LeadershipOptions a_options;
  a_options.collector_name = "col-a";
  auto a = Leadership::Open(location_, a_options);
  ASSERT_TRUE(a) << a.error().message;
  ASSERT_EQ(a->Tick(kT0).role, Role::kLeader);
  auto term = std::make_shared<std::atomic<std::int64_t>>(a->term());
  LedgerOptions fenced;
  fenced.fencing_term = term;
  Ledger ledger = OpenOrDie(fenced);
  auto id = ledger.OpenIncident(Vm(kT0));
  ASSERT_TRUE(id) << id.error().message;

  // a's session is lost; b takes the lead under the next term. a has not
  // noticed yet: its term is still set.
  a->Shutdown(kT0);
  LeadershipOptions b_options;
  b_options.collector_name = "col-b";
  auto b = Leadership::Open(location_, b_options);
  ASSERT_TRUE(b) << b.error().message;
  ASSERT_EQ(b->Tick(kT0).role, Role::kLeader);
  ASSERT_GT(b->term(), term->load());

  auto late = ledger.EnqueueReport(Mail(*id, 1));
  ASSERT_FALSE(late);
  EXPECT_EQ(late.error().kind, LedgerErrorKind::kStorage);
  EXPECT_NE(late.error().message.find("fenced: this collector led under term"), std::string::npos)
      << late.error().message;
  auto tx = ledger.Begin();
  ASSERT_FALSE(tx);
  EXPECT_NE(tx.error().message.find("fenced"), std::string::npos) << tx.error().message;
  EXPECT_TRUE(ledger.GetIncident(*id));  // reads are not fenced
  EXPECT_EQ(ledger.Timeline(*id)->reports.size(), 0u);

  // Not leading at all (term 0) is refused too; the new term is accepted.
  term->store(0);
  EXPECT_FALSE(ledger.EnqueueReport(Mail(*id, 1)));
  term->store(b->term());
  EXPECT_TRUE(ledger.EnqueueReport(Mail(*id, 1)));
}

// A collector outlives a PostgreSQL restart: calls fail while it is down
// (nothing is lost: the caller keeps its work and retries) and work again
// once it is back, on the same Ledger.
TEST(LedgerPostgresRestartTest, CallsFailWhileTheServerIsDownAndWorkAgainAfter) {
  std::string why;
  if (!::mimamori::testing::PrivatePostgres::Available(&why)) GTEST_SKIP() << why;
  auto server = ::mimamori::testing::PrivatePostgres::Create(&why);
  ASSERT_NE(server, nullptr) << why;
  auto opened = Ledger::Open(server->conninfo());
  ASSERT_TRUE(opened) << opened.error().message;
  Ledger& ledger = *opened;
  IncidentId id = *ledger.OpenIncident(Vm(kT0));

  ASSERT_TRUE(server->Stop(&why)) << why;
  auto down = ledger.EnqueueReport(Mail(id, 1));
  ASSERT_FALSE(down);
  EXPECT_EQ(down.error().kind, LedgerErrorKind::kStorage);
  EXPECT_NE(down.error().message.find("queue the first mail report of incident 1"),
            std::string::npos)
      << down.error().message;
  auto read = ledger.OpenIncidents();
  EXPECT_FALSE(read);

  ASSERT_TRUE(server->Start(&why)) << why;
  auto back = ledger.EnqueueReport(Mail(id, 1));
  ASSERT_TRUE(back) << back.error().message;
  auto open = ledger.OpenIncidents();
  ASSERT_TRUE(open) << open.error().message;
  ASSERT_EQ(open->size(), 1u);
  EXPECT_EQ(ledger.Timeline(id)->reports.size(), 1u);

  // Inside a transaction the loss is the transaction's: it reports that
  // nothing of it was kept, and the next one works.
  auto tx = ledger.Begin();
  ASSERT_TRUE(tx);
  ASSERT_TRUE(ledger.EnqueueReport(Mail(id, 2)));
  server->Kill();
  ASSERT_TRUE(server->Start(&why)) << why;
  auto committed = tx->Commit();
  ASSERT_TRUE(committed);
  EXPECT_EQ(committed->kind, LedgerErrorKind::kStorage);
  EXPECT_EQ(ledger.Timeline(id)->reports.size(), 1u);
  ASSERT_TRUE(ledger.EnqueueReport(Mail(id, 2)));
  EXPECT_EQ(ledger.Timeline(id)->reports.size(), 2u);
}

// Sharding: the leader records who polls which node; each member reads its
// own share; the shares follow the live members.
TEST_F(LedgerPostgresTest, TheLeaderSharesTheNodesAmongTheLiveMembersAndEachReadsItsShare) {
  auto a = Leadership::Open(location_, {.collector_name = "col-a"});
  auto b = Leadership::Open(location_, {.collector_name = "col-b"});
  ASSERT_TRUE(a && b);
  ASSERT_EQ(a->Tick(kT0).role, Role::kLeader);
  ASSERT_EQ(b->Tick(kT0).role, Role::kFollower);
  std::vector<std::string> nodes;
  for (int i = 0; i < 40; ++i) nodes.push_back("vm" + std::to_string(i));
  auto none = b->ReadShare(0);
  ASSERT_TRUE(none) << none.error().message;
  EXPECT_FALSE(*none) << "nothing is assigned before the leader shares";

  auto first = a->Rebalance(nodes, kT0);
  ASSERT_TRUE(first) << first.error().message;
  EXPECT_TRUE(first->changed);
  EXPECT_EQ(first->members, (std::vector<std::string>{"col-a", "col-b"}));
  EXPECT_EQ(first->moved, nodes.size());
  auto share_a = a->ReadShare(0);
  auto share_b = b->ReadShare(0);
  ASSERT_TRUE(share_a && share_b && *share_a && *share_b);
  EXPECT_EQ((*share_a)->generation, first->generation);
  EXPECT_EQ((*share_a)->nodes.size() + (*share_b)->nodes.size(), nodes.size());
  for (const auto& n : (*share_b)->nodes) EXPECT_EQ(OwnerOf(n, first->members), "col-b") << n;
  EXPECT_FALSE(*b->ReadShare((*share_b)->generation)) << "unchanged: nothing to read again";

  // Nothing changed: nothing written.
  auto again = a->Rebalance(nodes, kT0 + std::chrono::seconds(5));
  ASSERT_TRUE(again);
  EXPECT_FALSE(again->changed);

  // b stops beating: after the member timeout its nodes are a's, and a
  // node gone from the inventory is dropped.
  ASSERT_FALSE(a->Tick(kT0 + std::chrono::seconds(25)).error);
  nodes.pop_back();
  auto alone = a->Rebalance(nodes, kT0 + std::chrono::seconds(25));
  ASSERT_TRUE(alone) << alone.error().message;
  EXPECT_TRUE(alone->changed);
  EXPECT_EQ(alone->members, std::vector<std::string>{"col-a"});
  EXPECT_EQ(alone->moved, (*share_b)->nodes.size() - (OwnerOf("vm39", first->members) == "col-b"));
  EXPECT_EQ(alone->removed, 1u);
  auto all = a->ReadShare((*share_a)->generation);
  ASSERT_TRUE(all && *all);
  EXPECT_EQ((*all)->nodes.size(), nodes.size());
  EXPECT_GT((*all)->generation, first->generation);
  auto gone = b->ReadShare((*share_b)->generation);
  ASSERT_TRUE(gone && *gone);
  EXPECT_TRUE((*gone)->nodes.empty());

  // mimamorictl status counts them.
  auto status = ReadMembers(location_, kT0 + std::chrono::seconds(25));
  ASSERT_TRUE(status) << status.error().message;
  EXPECT_EQ(status->shard_generation, (*all)->generation);
  ASSERT_EQ(status->members.size(), 2u);
  EXPECT_EQ(status->members[0].nodes, nodes.size());
  EXPECT_EQ(status->members[1].nodes, 0u);

  // A follower cannot share.
  auto refused = b->Rebalance(nodes, kT0);
  ASSERT_FALSE(refused);
  EXPECT_NE(refused.error().message.find("not the leader"), std::string::npos);
}

// A follower's changes are recorded only for the nodes it polls; the
// leader's engine reads them after the last id it saw, none missed.
TEST_F(LedgerPostgresTest, AFollowersChangesAreRecordedOnlyForItsOwnNodes) {
  auto a = Leadership::Open(location_, {.collector_name = "col-a"});
  auto b = Leadership::Open(location_, {.collector_name = "col-b"});
  ASSERT_TRUE(a && b);
  ASSERT_EQ(a->Tick(kT0).role, Role::kLeader);
  ASSERT_FALSE(b->Tick(kT0).error);
  std::vector<std::string> nodes;
  for (int i = 0; i < 20; ++i) nodes.push_back("vm" + std::to_string(i));
  auto plan = a->Rebalance(nodes, kT0);
  ASSERT_TRUE(plan) << plan.error().message;
  std::string mine, theirs;
  for (const auto& n : nodes) {
    (OwnerOf(n, plan->members) == "col-b" ? mine : theirs) = n;
  }
  ASSERT_FALSE(mine.empty() || theirs.empty());

  Ledger ledger = OpenOrDie();
  auto failure = [](const std::string& node) {
    StateChange c;
    c.node = node;
    c.monitor = "ping";
    c.kind = "ping";
    c.from = Status::kOk;
    c.to = Status::kCritical;
    c.detected_at = kT0;
    c.first_seen_at = kT0;
    c.reason = "no reply";
    return c;
  };
  auto before = ledger.RecordPendingChanges({failure("leader-node")}, kT0);
  ASSERT_TRUE(before) << before.error().message;
  auto ids = ledger.RecordForwardedChanges({failure(mine), failure(theirs)}, kT0, "col-b");
  ASSERT_TRUE(ids) << ids.error().message;
  ASSERT_EQ(ids->size(), 2u);
  EXPECT_GT((*ids)[0], before->front());
  EXPECT_EQ((*ids)[1], 0) << "a node of another collector is refused";

  auto after = ledger.PendingChangesAfter(before->front());
  ASSERT_TRUE(after) << after.error().message;
  ASSERT_EQ(after->size(), 1u);
  EXPECT_EQ((*after)[0].id, (*ids)[0]);
  EXPECT_EQ((*after)[0].change.node, mine);
  EXPECT_EQ((*after)[0].change.to, Status::kCritical);
  EXPECT_EQ(ledger.PendingChanges()->size(), 2u);
}

}  // namespace
}  // namespace mimamori::collector
