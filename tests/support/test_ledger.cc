#include "tests/support/test_ledger.h"

#include <libpq-fe.h>
#include <unistd.h>

#include <atomic>
#include <cstdlib>
#include <memory>
#include <mutex>
#include <string_view>

#include "tests/support/private_postgres.h"

namespace mimamori::testing {

namespace {

/// The server of this process, when the run did not provide one.
std::string OwnServer(std::string* error) {
  static std::mutex mutex;
  static std::unique_ptr<PrivatePostgres> server;
  static std::string failure;
  std::lock_guard lock(mutex);
  if (server == nullptr && failure.empty()) {
    if (!PrivatePostgres::Available(&failure)) {
      if (failure.empty()) failure = "PostgreSQL is not available";
    } else {
      server = PrivatePostgres::Create(&failure);
      if (server == nullptr && failure.empty()) failure = "the private PostgreSQL did not start";
    }
  }
  if (server == nullptr) {
    *error = failure;
    return "";
  }
  return "host=" + server->directory() + " user=mimamori";
}

constexpr std::string_view kPostgres = "postgresql";

std::string EngineAsked() {
  const char* engine = std::getenv("MIMAMORI_TEST_LEDGER");
  return engine != nullptr ? engine : "";
}

std::string ServerConnInfo(std::string* error) {
  // "postgresql:<connection string of the run's server>"
  if (const std::string asked = EngineAsked(); asked.size() > kPostgres.size() + 1) {
    return asked.substr(kPostgres.size() + 1);
  }
  return OwnServer(error);
}

}  // namespace

bool LedgerTestsOnPostgres() { return EngineAsked().rfind(kPostgres, 0) == 0; }

std::string NewPostgresDatabase(std::string* error) {
  const std::string server = ServerConnInfo(error);
  if (server.empty()) return "";
  static std::atomic<int> counter{0};
  const std::string name =
      "ledger_" + std::to_string(getpid()) + "_" + std::to_string(counter.fetch_add(1));
  PGconn* conn = PQconnectdb((server + " dbname=postgres").c_str());
  if (PQstatus(conn) != CONNECTION_OK) {
    *error = "connect to the test PostgreSQL (" + server + "): " + PQerrorMessage(conn);
    PQfinish(conn);
    return "";
  }
  PGresult* result = PQexec(conn, ("CREATE DATABASE " + name).c_str());
  const bool made = PQresultStatus(result) == PGRES_COMMAND_OK;
  if (!made) *error = "create database " + name + ": " + PQresultErrorMessage(result);
  PQclear(result);
  PQfinish(conn);
  return made ? server + " dbname=" + name : "";
}

std::string TestLedgerLocation(const std::string& dir, std::string* skip) {
  if (!LedgerTestsOnPostgres()) return dir + "/ledger.db";
  std::string error;
  std::string location = NewPostgresDatabase(&error);
  if (location.empty()) *skip = "ledger on PostgreSQL: " + error;
  return location;
}

std::string PostgresQuery(const std::string& conninfo, const std::string& sql) {
  PGconn* conn = PQconnectdb(conninfo.c_str());
  std::string out;
  if (PQstatus(conn) != CONNECTION_OK) {
    out = std::string("ERROR: ") + PQerrorMessage(conn);
  } else {
    PGresult* r = PQexec(conn, sql.c_str());
    if (PQresultStatus(r) == PGRES_TUPLES_OK) {
      for (int row = 0; row < PQntuples(r); ++row) {
        for (int col = 0; col < PQnfields(r); ++col) {
          if (col > 0) out += '|';
          out += PQgetisnull(r, row, col) ? "NULL" : PQgetvalue(r, row, col);
        }
        out += '\n';
      }
    } else if (PQresultStatus(r) != PGRES_COMMAND_OK) {
      out = std::string("ERROR: ") + PQresultErrorMessage(r);
    }
    PQclear(r);
  }
  PQfinish(conn);
  return out;
}

}  // namespace mimamori::testing
