// A private PostgreSQL server for one test: its own cluster in a temporary
// directory, reachable only through a Unix socket in that directory, gone
// with the object.
//
//   std::string why;
//   if (!PrivatePostgres::Available(&why)) GTEST_SKIP() << why;
//   auto pg = PrivatePostgres::Create(&why);
//   ASSERT_NE(pg, nullptr) << why;
//   PGconn* c = PQconnectdb(pg->conninfo().c_str());
//
// No TCP port is opened (listen_addresses = ''), so tests run in parallel
// without choosing ports: each server's socket is in its own directory.
//
// initdb and postgres refuse to run as root. When the test runs as root the
// server runs as an unprivileged user instead (MIMAMORI_TEST_PG_USER, else
// "nobody"), which owns the temporary directory; root still connects, as the
// socket's permissions do not apply to it. A normal user runs the server as
// itself. Either way authentication is "trust" and the superuser role is
// "mimamori", so the connection string works from any local user.
//
// The binaries are looked up in $MIMAMORI_PG_BINDIR, then the newest
// /usr/lib/postgresql/<version>/bin (Debian, Ubuntu), then `pg_config
// --bindir`, then PATH.
//
// Thread-safety: none; one test thread drives it. The server runs in its own
// session (setsid), dies with the thread that started it (PR_SET_PDEATHSIG;
// its backends follow when they see the postmaster gone) and its
// output goes to postgres.log in the directory (LogTail shows the end).
#pragma once

#include <sys/types.h>

#include <cstddef>
#include <memory>
#include <string>
#include <string_view>

namespace mimamori::testing {

class PrivatePostgres {
 public:
  /// True when a server can be made here. Otherwise false, and `*why` says
  /// what is missing (for GTEST_SKIP), e.g. "PostgreSQL server binaries
  /// (initdb, postgres) not found in /usr/lib/postgresql/*/bin, pg_config
  /// --bindir or PATH; install postgresql".
  static bool Available(std::string* why);

  /// initdb (trust, C locale, UTF8) into a new temporary directory, starts
  /// the server and creates `database`. nullptr on failure, with `*error`
  /// saying which step failed and the end of its output.
  static std::unique_ptr<PrivatePostgres> Create(std::string* error,
                                                 std::string database = "mimamori");

  /// Stops the server at once (immediate shutdown, SIGQUIT; Kill when that
  /// takes over 10 s) and removes the directory.
  ~PrivatePostgres();
  PrivatePostgres(const PrivatePostgres&) = delete;
  PrivatePostgres& operator=(const PrivatePostgres&) = delete;

  /// libpq connection string for the test database:
  /// "host=/tmp/mimamori-pg-XXXXXX port=5432 dbname=mimamori user=mimamori".
  /// Stays valid across Stop and Start (same socket directory and port).
  const std::string& conninfo() const { return conninfo_; }
  /// The same for another database of the cluster ("postgres").
  std::string ConnInfo(std::string_view database) const;
  /// The temporary directory: the socket directory; data/ is the cluster.
  const std::string& directory() const { return directory_; }
  /// The postmaster's pid; 0 while stopped.
  pid_t pid() const { return pid_; }
  bool running() const { return pid_ > 0; }

  /// Fast shutdown (SIGINT): sessions are ended, the server checkpoints and
  /// exits; waits for it. False with `*error` when it did not stop in 60 s
  /// (it is then killed).
  bool Stop(std::string* error = nullptr);
  /// Starts the server again on the same data directory and socket; waits
  /// until it accepts connections. False with `*error` (and the log's end)
  /// when it did not. Does nothing when already running.
  bool Start(std::string* error = nullptr);
  /// SIGKILL to the postmaster and every backend, as a power loss would;
  /// returns when none of them runs any more. Start afterwards runs crash
  /// recovery. The orphaned backends are left to init to reap.
  void Kill();

  /// Runs `sql` as the superuser on the test database (a new connection).
  /// False with `*error` (the server's message) on failure.
  bool Execute(std::string_view sql, std::string* error = nullptr) const;
  /// The first column of the first row of `sql`'s result; "" when there is
  /// none or on error (then `*error` is set).
  std::string QueryValue(std::string_view sql, std::string* error = nullptr) const;

  /// The last `lines` lines of the server's log (for failure messages).
  std::string LogTail(std::size_t lines = 20) const;

 private:
  PrivatePostgres() = default;

  std::string bindir_;
  std::string directory_;
  std::string database_;
  std::string conninfo_;
  uid_t uid_ = 0;  ///< whom the server runs as when the test is root
  gid_t gid_ = 0;
  bool drop_privileges_ = false;
  pid_t pid_ = 0;
};

}  // namespace mimamori::testing
