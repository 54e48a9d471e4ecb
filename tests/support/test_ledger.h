// Where a test's ledger lives, so that the ledger's tests, and the tests of
// everything written on the ledger (the incident engine, operations, the
// monthly report), run on both engines unchanged:
//
//   - by default a SQLite file in the test's directory;
//   - with MIMAMORI_TEST_LEDGER=postgresql:<connection string>, a new empty
//     database on that server ("host=/path user=mimamori", started by
//     postgres_fixture.sh as a CTest fixture); with just
//     MIMAMORI_TEST_LEDGER=postgresql the process starts a private server of
//     its own (PrivatePostgres), once.
//
// CTest runs the ledger-using suites a second time that way, as
// "postgresql.<suite>.<test>" (tests/CMakeLists.txt).
#pragma once

#include <string>

namespace mimamori::testing {

/// Whether this run puts test ledgers on PostgreSQL.
bool LedgerTestsOnPostgres();

/// The ledger location for a test whose temporary directory is `dir`: a
/// file path or a connection string for Ledger::Open. "" when PostgreSQL was
/// asked for and cannot be had; then `*skip` says why (for GTEST_SKIP).
std::string TestLedgerLocation(const std::string& dir, std::string* skip);

/// A new empty database on the run's PostgreSQL server (started here if
/// needed): its connection string, or "" with `*error`.
std::string NewPostgresDatabase(std::string* error);

/// Rows of `sql` on `conninfo` as "a|b\n" per row ("NULL" for nulls), or
/// "ERROR: ..." when it fails: the way the SQLite tests read their file.
std::string PostgresQuery(const std::string& conninfo, const std::string& sql);

}  // namespace mimamori::testing
