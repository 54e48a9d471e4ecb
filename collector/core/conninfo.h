// How a PostgreSQL connection string is shown in messages and logs: its
// host, port, database and user, never its password.
#pragma once

#include <string>

namespace mimamori::collector {

/// "postgresql host=db1 port=5432 dbname=mimamori user=collector": the
/// connection string's host, hostaddr, port, dbname and user, for messages;
/// never its password. "postgresql (invalid connection string)" when it
/// does not parse.
std::string DescribeConninfo(const std::string& conninfo);

}  // namespace mimamori::collector
