// The tests' private PostgreSQL server itself: a database that keeps its
// data across Stop and Start and across a crash, a socket only, and nothing
// left behind. Skips without PostgreSQL.
#include "tests/support/private_postgres.h"

#include <gtest/gtest.h>
#include <libpq-fe.h>

#include <filesystem>
#include <string>

namespace mimamori::testing {
namespace {

bool Reachable(const std::string& conninfo) { return PQping(conninfo.c_str()) == PQPING_OK; }

TEST(PrivatePostgresTest, KeepsItsDataAcrossStopStartAndCrash) {
  std::string why;
  if (!PrivatePostgres::Available(&why)) GTEST_SKIP() << why;
  std::string directory;
  {
    auto pg = PrivatePostgres::Create(&why);
    ASSERT_NE(pg, nullptr) << why;
    directory = pg->directory();
    EXPECT_EQ(pg->conninfo(), "host=" + directory + " port=5432 dbname=mimamori user=mimamori");
    EXPECT_TRUE(std::filesystem::exists(directory + "/.s.PGSQL.5432"));
    EXPECT_EQ(pg->QueryValue("SHOW listen_addresses"), "");
    EXPECT_EQ(pg->QueryValue("SELECT current_database()"), "mimamori");
    EXPECT_EQ(pg->QueryValue("SHOW server_encoding"), "UTF8");
    ASSERT_TRUE(pg->Execute("CREATE TABLE t (v text); INSERT INTO t VALUES ('kept')", &why)) << why;

    ASSERT_TRUE(pg->Stop(&why)) << why;
    EXPECT_FALSE(pg->running());
    EXPECT_FALSE(Reachable(pg->conninfo()));
    EXPECT_FALSE(pg->Execute("SELECT 1", &why));
    EXPECT_FALSE(why.empty());

    ASSERT_TRUE(pg->Start(&why)) << why;
    EXPECT_TRUE(Reachable(pg->conninfo()));
    EXPECT_EQ(pg->QueryValue("SELECT v FROM t"), "kept");

    pg->Kill();
    EXPECT_FALSE(Reachable(pg->conninfo()));
    ASSERT_TRUE(pg->Start(&why)) << why << pg->LogTail();
    EXPECT_EQ(pg->QueryValue("SELECT v FROM t"), "kept");
    EXPECT_TRUE(pg->Start(&why));  // already running: nothing to do
  }
  EXPECT_FALSE(std::filesystem::exists(directory));
}

TEST(PrivatePostgresTest, TwoServersRunSideBySide) {
  std::string why;
  if (!PrivatePostgres::Available(&why)) GTEST_SKIP() << why;
  auto one = PrivatePostgres::Create(&why);
  ASSERT_NE(one, nullptr) << why;
  auto two = PrivatePostgres::Create(&why, "other");
  ASSERT_NE(two, nullptr) << why;
  EXPECT_NE(one->directory(), two->directory());
  EXPECT_EQ(two->QueryValue("SELECT current_database()"), "other");
  ASSERT_TRUE(one->Execute("CREATE TABLE only_here (v int)", &why)) << why;
  EXPECT_EQ(two->QueryValue("SELECT to_regclass('only_here') IS NULL"), "t");
}

}  // namespace
}  // namespace mimamori::testing
