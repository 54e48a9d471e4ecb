// status: the HA pair sharing the ledger on PostgreSQL (who leads, since
// when, each member's heartbeat lag), read from the pair's own tables.
#include <cstdio>
#include <iostream>

#include "collector/alerting/ledger_access.h"
#include "collector/ctl/commands.h"
#include "collector/ctl/format.h"
#include "collector/ha/leadership.h"

namespace mimamori::collector::ctl {
namespace {

constexpr const char* kStatusUsage = "mimamorictl [--config PATH] [--ledger LOCATION] status";

std::string Age(std::chrono::milliseconds age) {
  char text[32];
  std::snprintf(text, sizeof text, "%.1fs", std::chrono::duration<double>(age).count());
  return text;
}

}  // namespace

int StatusCommand(Session& session, const Words& words) {
  std::string error;
  auto args = ParseCommandArgs(words, {}, error);
  if (!args || !args->positional.empty()) {
    return Fail(kExitUsage, (args ? "unexpected argument '" + args->positional[0] + "'" : error) +
                                "\nusage: " + kStatusUsage);
  }
  std::string location = session.options().ledger;
  if (auto failed = session.LoadInventory(location.empty())) return *failed;
  if (location.empty()) location = session.inventory()->alerting.ledger;
  Secret password;
  if (session.inventory()) {
    if (std::string why = ReadLedgerPassword(session.inventory()->alerting, password);
        !why.empty()) {
      return Fail(kExitUsage, why);
    }
  }
  if (!IsPostgresLocation(location)) {
    if (session.json()) {
      std::cout << Json()
                       .BeginObject()
                       .Key("ledger")
                       .String(location)
                       .Key("pair")
                       .Null()
                       .EndObject()
                       .str()
                << "\n";
    } else {
      std::cout << "ledger " << location
                << " (SQLite): one collector, no HA pair (a pair shares a ledger on PostgreSQL)\n";
    }
    return kExitOk;
  }
  auto status = ReadMembers(location, session.now(), password);
  if (!status) return Fail(kExitRefused, status.error().message);
  if (session.json()) {
    Json json;
    json.BeginObject().Key("ledger").String(DescribeConninfo(location)).Key("leader");
    status->leader.empty() ? json.Null() : json.String(status->leader);
    json.Key("term").Number(status->term).Key("leader_since").Time(status->leader_since);
    json.Key("members").BeginArray();
    for (const MemberStatus& m : status->members) {
      json.BeginObject()
          .Key("name")
          .String(m.name)
          .Key("role")
          .String(ToString(m.role))
          .Key("leading")
          .Bool(m.leading)
          .Key("term")
          .Number(m.term)
          .Key("leader_since")
          .Time(m.leader_since)
          .Key("last_heartbeat")
          .Time(m.last_heartbeat)
          .Key("heartbeat_age_ms")
          .Number(m.heartbeat_age.count())
          .Key("seen_leader")
          .String(m.seen_leader)
          .Key("pid")
          .Number(m.pid)
          .Key("host")
          .String(m.host)
          .Key("started_at")
          .Time(m.started_at)
          .Key("nodes")
          .Number(static_cast<std::int64_t>(m.nodes))
          .EndObject();
    }
    json.EndArray().Key("shard_generation").Number(status->shard_generation);
    std::cout << json.EndObject().str() << "\n";
    return kExitOk;
  }
  std::cout << "ledger  " << DescribeConninfo(location) << "\n";
  if (status->leader.empty()) {
    std::cout << "leader  none (no collector holds the lead"
              << (status->members.empty() ? "; none has run on this ledger)\n" : ")\n");
  } else {
    std::cout << "leader  " << status->leader << " since " << TimeOrDash(status->leader_since)
              << " (term " << status->term << ")\n";
  }
  if (status->members.empty()) return kExitOk;
  if (status->shard_generation > 0) {
    std::cout << "shards  generation " << status->shard_generation
              << " (NODES: how many nodes each member polls)\n";
  }
  Table table({"MEMBER", "ROLE", "TERM", "NODES", "HEARTBEAT", "LAG", "LEADER SEEN", "PID", "HOST",
               "STARTED"});
  for (const MemberStatus& m : status->members) {
    table.Add({m.name, m.leading ? "leader" : std::string(ToString(m.role)), std::to_string(m.term),
               std::to_string(m.nodes), TimeOrDash(m.last_heartbeat), Age(m.heartbeat_age),
               m.seen_leader.empty() ? "-" : m.seen_leader, std::to_string(m.pid), m.host,
               TimeOrDash(m.started_at)});
  }
  std::cout << "\n" << table.Render();
  return kExitOk;
}

}  // namespace mimamori::collector::ctl
