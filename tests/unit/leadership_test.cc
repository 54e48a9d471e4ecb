// Leadership of the HA pair against a private PostgreSQL server: one leader
// of two, takeover when the leader's session ends (terminated backend, a
// SIGKILLed collector process), fencing terms, the members' status, and a
// server that stops, crashes and comes back. Skips without PostgreSQL.
#include "collector/ha/leadership.h"

#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <memory>
#include <string>
#include <thread>
#include <utility>

#include "tests/support/private_postgres.h"

namespace mimamori::collector {
namespace {

using mimamori::testing::PrivatePostgres;
using std::chrono::milliseconds;
using std::chrono::seconds;

// 2026-04-01 09:00:00 UTC. Times are the test's; no test reads the clock.
const TimePoint kT0 =
    TimePoint(std::chrono::sys_days(std::chrono::year(2026) / 4 / 1)) + std::chrono::hours(9);

::testing::AssertionResult Contains(const std::string& text, const std::string& part) {
  if (text.find(part) != std::string::npos) return ::testing::AssertionSuccess();
  return ::testing::AssertionFailure() << "\"" << text << "\" does not contain \"" << part << "\"";
}

// Not reached in the server: just the description of a connection string.
TEST(DescribeConninfoTest, NamesTheConnectionWithoutItsPassword) {
  EXPECT_EQ(DescribeConninfo("host=db1 port=5433 dbname=mimamori user=collector password=s3cret"),
            "postgresql host=db1 port=5433 dbname=mimamori user=collector");
  const std::string uri = DescribeConninfo("postgresql://collector:s3cret@db1:5433/mimamori");
  EXPECT_EQ(uri, "postgresql host=db1 port=5433 dbname=mimamori user=collector");
  EXPECT_EQ(DescribeConninfo("host='db1 password=s3cret"),
            "postgresql (invalid connection string)");
  EXPECT_EQ(DescribeConninfo(""), "postgresql");
}

TEST(LeadershipOpenTest, RefusesAnEmptyNameAndABadConnectionString) {
  auto unnamed = Leadership::Open("host=/nonexistent", {});
  ASSERT_FALSE(unnamed.ok());
  EXPECT_EQ(unnamed.error().kind, LeadershipErrorKind::kInvalidArgument);
  EXPECT_TRUE(Contains(unnamed.error().message, "collector name is empty"));

  auto bad = Leadership::Open("host='db1 password=s3cret", {.collector_name = "a"});
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.error().kind, LeadershipErrorKind::kInvalidArgument);
  EXPECT_FALSE(Contains(bad.error().message, "s3cret"));
}

TEST(LeadershipOpenTest, AnUnreachableServerIsAConnectionErrorNamingIt) {
  auto opened =
      Leadership::Open("host=/nonexistent-mimamori port=5432 dbname=m user=u password=s3cret",
                       {.collector_name = "a"});
  ASSERT_FALSE(opened.ok());
  EXPECT_EQ(opened.error().kind, LeadershipErrorKind::kConnection);
  EXPECT_TRUE(Contains(opened.error().message,
                       "leadership a, postgresql host=/nonexistent-mimamori port=5432 dbname=m "
                       "user=u: connect: "));
  EXPECT_FALSE(Contains(opened.error().message, "s3cret"));

  auto status = ReadMembers("host=/nonexistent-mimamori dbname=m password=s3cret", kT0);
  ASSERT_FALSE(status.ok());
  EXPECT_EQ(status.error().kind, LeadershipErrorKind::kConnection);
  EXPECT_TRUE(
      Contains(status.error().message, "pair status, postgresql host=/nonexistent-mimamori"));
  EXPECT_FALSE(Contains(status.error().message, "s3cret"));
}

// SIGKILL and reap, now or when the test returns (a failed ASSERT).
struct KilledAtExit {
  pid_t pid;
  ~KilledAtExit() { KillNow(); }
  void KillNow() {
    if (pid > 0 && ::kill(pid, SIGKILL) == 0) ::waitpid(pid, nullptr, 0);
    pid = 0;
  }
};

class LeadershipTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string why;
    if (!PrivatePostgres::Available(&why)) GTEST_SKIP() << why;
    pg_ = PrivatePostgres::Create(&why);
    ASSERT_NE(pg_, nullptr) << why;
  }

  Leadership Open(const std::string& name) {
    auto opened = Leadership::Open(pg_->conninfo(), {.collector_name = name, .clock = &clock_});
    if (!opened.ok()) {
      ADD_FAILURE() << opened.error().message;
      std::abort();  // the test cannot go on, and Leadership has no empty state
    }
    return std::move(*opened);
  }

  PairStatus Status(TimePoint now) {
    auto status = ReadMembers(pg_->conninfo(), now);
    EXPECT_TRUE(status.ok()) << status.error().message;
    return status.ok() ? std::move(*status) : PairStatus{};
  }

  // Ends `leadership`'s session from the server side and waits until its
  // backend is gone (so its lock is released).
  void TerminateBackend(const Leadership& leadership) {
    const int pid = leadership.backend_pid();
    ASSERT_GT(pid, 0);
    std::string error;
    ASSERT_TRUE(
        pg_->Execute("SELECT pg_terminate_backend(" + std::to_string(pid) + ", 10000)", &error))
        << error;
  }

  ManualClock clock_{kT0};
  std::unique_ptr<PrivatePostgres> pg_;
};

TEST_F(LeadershipTest, OneLeaderOfTwo) {
  Leadership a = Open("a");
  Leadership b = Open("b");
  EXPECT_FALSE(a.IsLeader());  // Open does not take the lead

  const LeadershipState first = a.Tick(kT0);
  ASSERT_FALSE(first.error) << first.error->message;
  EXPECT_EQ(first.role, Role::kLeader);
  EXPECT_EQ(first.change, LeadershipChange::kBecameLeader);
  EXPECT_EQ(first.term, 1);
  EXPECT_EQ(first.leader, "a");
  EXPECT_EQ(first.leader_since, kT0);

  const LeadershipState second = b.Tick(kT0 + seconds(1));
  ASSERT_FALSE(second.error) << second.error->message;
  EXPECT_EQ(second.role, Role::kFollower);
  EXPECT_EQ(second.change, LeadershipChange::kNone);
  EXPECT_EQ(second.term, 0);
  EXPECT_EQ(second.leader, "a");
  EXPECT_EQ(second.leader_term, 1);
  EXPECT_EQ(second.leader_since, kT0);

  for (int i = 1; i <= 3; ++i) {
    const LeadershipState sa = a.Tick(kT0 + seconds(10 * i));
    const LeadershipState sb = b.Tick(kT0 + seconds(10 * i + 1));
    EXPECT_EQ(sa.role, Role::kLeader);
    EXPECT_EQ(sa.change, LeadershipChange::kNone);
    EXPECT_EQ(sa.term, 1);
    EXPECT_EQ(sb.role, Role::kFollower);
    EXPECT_EQ(sb.change, LeadershipChange::kNone);
  }
  EXPECT_TRUE(a.IsLeader());
  EXPECT_EQ(a.term(), 1);
  EXPECT_TRUE(a.VerifyTerm());
  EXPECT_FALSE(b.IsLeader());
  EXPECT_EQ(b.term(), 0);
  EXPECT_FALSE(b.VerifyTerm());
  EXPECT_EQ(pg_->QueryValue("SELECT count(*) FROM collector_terms"), "1");
}

TEST_F(LeadershipTest, FollowerTakesOverWhenTheLeadersSessionEnds) {
  Leadership a = Open("a");
  Leadership b = Open("b");
  ASSERT_EQ(a.Tick(kT0).role, Role::kLeader);
  ASSERT_EQ(b.Tick(kT0).role, Role::kFollower);

  TerminateBackend(a);
  // No Tick needed: the server's farewell on the idle socket is enough.
  EXPECT_FALSE(a.IsLeader());
  EXPECT_EQ(a.term(), 0);
  EXPECT_FALSE(a.VerifyTerm());

  const LeadershipState taken = b.Tick(kT0 + seconds(10));
  ASSERT_FALSE(taken.error) << taken.error->message;
  EXPECT_EQ(taken.role, Role::kLeader);
  EXPECT_EQ(taken.change, LeadershipChange::kBecameLeader);
  EXPECT_EQ(taken.term, 2);
  EXPECT_EQ(taken.leader_since, kT0 + seconds(10));
  EXPECT_TRUE(b.VerifyTerm());

  // The old leader reconnects, reports its step-down once, and follows.
  const LeadershipState down = a.Tick(kT0 + seconds(11));
  ASSERT_FALSE(down.error) << down.error->message;
  EXPECT_EQ(down.role, Role::kFollower);
  EXPECT_EQ(down.change, LeadershipChange::kSteppedDown);
  EXPECT_TRUE(Contains(down.step_down_reason, "connection lost"));
  EXPECT_TRUE(
      Contains(down.step_down_reason, "terminating connection due to administrator command"))
      << down.step_down_reason;
  EXPECT_EQ(down.leader, "b");
  EXPECT_EQ(down.leader_term, 2);
  const LeadershipState after = a.Tick(kT0 + seconds(21));
  EXPECT_EQ(after.change, LeadershipChange::kNone);
  EXPECT_EQ(after.role, Role::kFollower);
  EXPECT_FALSE(a.IsLeader());
}

TEST_F(LeadershipTest, ALeaderThatLosesItsSessionLeadsAgainOnlyUnderANewTerm) {
  Leadership a = Open("a");
  ASSERT_EQ(a.Tick(kT0).term, 1);
  TerminateBackend(a);
  EXPECT_FALSE(a.IsLeader());
  // Nobody else tried: a takes the lock back, but a send fenced with term 1
  // must not go out any more.
  const LeadershipState again = a.Tick(kT0 + seconds(10));
  ASSERT_FALSE(again.error) << again.error->message;
  EXPECT_EQ(again.role, Role::kLeader);
  EXPECT_EQ(again.change, LeadershipChange::kBecameLeader);
  EXPECT_EQ(again.term, 2);
  EXPECT_TRUE(Contains(again.step_down_reason, "connection lost"));
  EXPECT_EQ(pg_->QueryValue(std::string(kCurrentTermSql)), "2");
}

TEST_F(LeadershipTest, FollowerTakesOverFromAKilledCollectorProcess) {
  int ready[2];
  ASSERT_EQ(::pipe(ready), 0);
  const pid_t child = ::fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    // The leader: a collector process of its own, killed with SIGKILL below.
    ::close(ready[0]);
    auto opened = Leadership::Open(pg_->conninfo(), {.collector_name = "a"});
    char result = 'e';
    if (opened.ok() && opened->Tick(kT0).role == Role::kLeader) result = 'L';
    [[maybe_unused]] ssize_t n = ::write(ready[1], &result, 1);
    while (true) ::pause();
  }
  ::close(ready[1]);
  // Whatever fails below, the child does not outlive the test.
  KilledAtExit reap{child};
  char result = 0;
  ASSERT_EQ(::read(ready[0], &result, 1), 1);
  ::close(ready[0]);
  ASSERT_EQ(result, 'L');

  Leadership b = Open("b");
  const LeadershipState follower = b.Tick(kT0 + seconds(1));
  EXPECT_EQ(follower.role, Role::kFollower);
  EXPECT_EQ(follower.leader, "a");

  reap.KillNow();
  // The backend sees end of file and exits, releasing the lock; that is the
  // server's work, so wait for it (a real process, a bounded wait).
  const auto deadline = std::chrono::steady_clock::now() + seconds(20);
  while (pg_->QueryValue("SELECT count(*) FROM pg_stat_activity"
                         " WHERE application_name = 'mimamori-collector a'") != "0") {
    ASSERT_LT(std::chrono::steady_clock::now(), deadline) << "the killed leader's backend stayed";
    std::this_thread::sleep_for(milliseconds(20));
  }

  const LeadershipState taken = b.Tick(kT0 + seconds(10));
  ASSERT_FALSE(taken.error) << taken.error->message;
  EXPECT_EQ(taken.role, Role::kLeader);
  EXPECT_EQ(taken.change, LeadershipChange::kBecameLeader);
  EXPECT_EQ(taken.term, 2);

  // The dead leader's row no longer says it leads; its heartbeat ages.
  const PairStatus status = Status(kT0 + seconds(15));
  EXPECT_EQ(status.leader, "b");
  EXPECT_EQ(status.term, 2);
  ASSERT_EQ(status.members.size(), 2u);
  EXPECT_EQ(status.members[0].name, "a");
  EXPECT_EQ(status.members[0].role, Role::kFollower);
  EXPECT_FALSE(status.members[0].leading);
  EXPECT_EQ(status.members[0].heartbeat_age, seconds(15));
  EXPECT_EQ(status.members[0].pid, child);
  EXPECT_EQ(status.members[1].name, "b");
  EXPECT_TRUE(status.members[1].leading);
}

TEST_F(LeadershipTest, MembersShowTheLeaderSinceWhenAndEachLag) {
  // No collector yet: nothing to show, and no error.
  const PairStatus empty = Status(kT0);
  EXPECT_EQ(empty.leader, "");
  EXPECT_TRUE(empty.members.empty());

  clock_.Set(kT0 - seconds(30));
  Leadership a = Open("a");
  Leadership b = Open("b");
  ASSERT_EQ(a.Tick(kT0).role, Role::kLeader);
  ASSERT_EQ(b.Tick(kT0 + seconds(1)).role, Role::kFollower);
  ASSERT_EQ(a.Tick(kT0 + seconds(10)).role, Role::kLeader);

  const PairStatus status = Status(kT0 + seconds(15));
  EXPECT_EQ(status.leader, "a");
  EXPECT_EQ(status.term, 1);
  ASSERT_TRUE(status.leader_since);
  EXPECT_EQ(*status.leader_since, kT0);
  ASSERT_EQ(status.members.size(), 2u);

  const MemberStatus& ma = status.members[0];
  EXPECT_EQ(ma.name, "a");
  EXPECT_EQ(ma.role, Role::kLeader);
  EXPECT_TRUE(ma.leading);
  EXPECT_EQ(ma.term, 1);
  ASSERT_TRUE(ma.leader_since);
  EXPECT_EQ(*ma.leader_since, kT0);
  EXPECT_EQ(ma.last_heartbeat, kT0 + seconds(10));
  EXPECT_EQ(ma.heartbeat_age, seconds(5));
  EXPECT_EQ(ma.pid, ::getpid());
  EXPECT_FALSE(ma.host.empty());
  EXPECT_EQ(ma.started_at, kT0 - seconds(30));
  EXPECT_EQ(ma.seen_leader, "");

  const MemberStatus& mb = status.members[1];
  EXPECT_EQ(mb.name, "b");
  EXPECT_EQ(mb.role, Role::kFollower);
  EXPECT_FALSE(mb.leading);
  EXPECT_EQ(mb.term, 1);
  EXPECT_FALSE(mb.leader_since);
  EXPECT_EQ(mb.heartbeat_age, seconds(14));
  EXPECT_EQ(mb.seen_leader, "a");
  ASSERT_TRUE(mb.seen_leader_heartbeat);
  EXPECT_EQ(*mb.seen_leader_heartbeat, kT0);  // a's heartbeat when b last beat

  // A clean shutdown: marked stopped, and the lead passes at b's next Tick.
  a.Shutdown(kT0 + seconds(16));
  EXPECT_FALSE(a.IsLeader());
  const LeadershipState taken = b.Tick(kT0 + seconds(20));
  EXPECT_EQ(taken.change, LeadershipChange::kBecameLeader);
  EXPECT_EQ(taken.term, 2);
  const PairStatus after = Status(kT0 + seconds(21));
  EXPECT_EQ(after.leader, "b");
  ASSERT_EQ(after.members.size(), 2u);
  EXPECT_EQ(after.members[0].role, Role::kStopped);
  EXPECT_EQ(after.members[0].last_heartbeat, kT0 + seconds(16));
  EXPECT_TRUE(after.members[1].leading);
}

TEST_F(LeadershipTest, StoppedServerMeansNoLeaderThenLeadershipResumes) {
  Leadership a = Open("a");
  Leadership b = Open("b");
  ASSERT_EQ(a.Tick(kT0).role, Role::kLeader);
  ASSERT_EQ(b.Tick(kT0).role, Role::kFollower);

  std::string error;
  ASSERT_TRUE(pg_->Stop(&error)) << error;
  EXPECT_FALSE(a.IsLeader());  // the shutdown ended its session

  for (int i = 1; i <= 3; ++i) {
    const LeadershipState sa = a.Tick(kT0 + seconds(10 * i));
    const LeadershipState sb = b.Tick(kT0 + seconds(10 * i));
    for (const LeadershipState* s : {&sa, &sb}) {
      ASSERT_TRUE(s->error);
      EXPECT_EQ(s->error->kind, LeadershipErrorKind::kConnection);
      EXPECT_TRUE(Contains(s->error->message, "host=" + pg_->directory()));
      EXPECT_EQ(s->role, Role::kFollower);
      EXPECT_EQ(s->leader, "");
    }
    EXPECT_EQ(sa.change, i == 1 ? LeadershipChange::kSteppedDown : LeadershipChange::kNone);
    EXPECT_EQ(sb.change, LeadershipChange::kNone);
    EXPECT_FALSE(a.IsLeader());
    EXPECT_FALSE(b.IsLeader());
  }
  EXPECT_FALSE(ReadMembers(pg_->conninfo(), kT0).ok());

  ASSERT_TRUE(pg_->Start(&error)) << error;
  const LeadershipState sb = b.Tick(kT0 + seconds(40));
  ASSERT_FALSE(sb.error) << sb.error->message;
  EXPECT_EQ(sb.role, Role::kLeader);
  EXPECT_EQ(sb.term, 2);
  const LeadershipState sa = a.Tick(kT0 + seconds(41));
  ASSERT_FALSE(sa.error) << sa.error->message;
  EXPECT_EQ(sa.role, Role::kFollower);
  EXPECT_EQ(sa.leader, "b");
}

TEST_F(LeadershipTest, AFailedHeartbeatStepsDownAndTheNextSessionMakesTheTablesAgain) {
  Leadership a = Open("a");
  Leadership b = Open("b");
  ASSERT_EQ(a.Tick(kT0).term, 1);
  std::string error;
  ASSERT_TRUE(pg_->Execute("DROP TABLE collector_members", &error)) << error;

  const LeadershipState failed = a.Tick(kT0 + seconds(10));
  ASSERT_TRUE(failed.error);
  EXPECT_EQ(failed.error->kind, LeadershipErrorKind::kQuery);
  EXPECT_TRUE(Contains(failed.error->message, "write the heartbeat"));
  EXPECT_EQ(failed.role, Role::kFollower);
  EXPECT_EQ(failed.change, LeadershipChange::kSteppedDown);
  EXPECT_TRUE(Contains(failed.step_down_reason, "collector_members"));
  EXPECT_FALSE(a.IsLeader());

  // The lock was given back at once, not when the old backend exits.
  EXPECT_EQ(pg_->QueryValue("SELECT count(*) FROM pg_locks WHERE locktype = 'advisory'"), "0");

  // a's new session makes the table again and a leads under a new term.
  const LeadershipState again = a.Tick(kT0 + seconds(20));
  ASSERT_FALSE(again.error) << again.error->message;
  EXPECT_EQ(again.role, Role::kLeader);
  EXPECT_EQ(again.term, 2);
  const LeadershipState follows = b.Tick(kT0 + seconds(21));
  ASSERT_FALSE(follows.error) << follows.error->message;
  EXPECT_EQ(follows.leader, "a");
  EXPECT_EQ(Status(kT0 + seconds(22)).members.size(), 2u);
}

TEST_F(LeadershipTest, CrashedServerComesBackAfterRecovery) {
  Leadership a = Open("a");
  ASSERT_EQ(a.Tick(kT0).role, Role::kLeader);
  pg_->Kill();
  const LeadershipState down = a.Tick(kT0 + seconds(10));
  ASSERT_TRUE(down.error);
  EXPECT_EQ(down.change, LeadershipChange::kSteppedDown);
  EXPECT_FALSE(a.IsLeader());

  std::string error;
  ASSERT_TRUE(pg_->Start(&error)) << error;
  const LeadershipState up = a.Tick(kT0 + seconds(20));
  ASSERT_FALSE(up.error) << up.error->message;
  EXPECT_EQ(up.role, Role::kLeader);
  EXPECT_EQ(up.term, 2);  // the committed term 1 survived the crash
}

}  // namespace
}  // namespace mimamori::collector
