// Sharding: with the ledger on PostgreSQL, every live collector of the pair
// polls a share of the nodes; the leader alone runs the incident engine and
// the outbox, and the others hand it their confirmed state changes through
// the ledger (as pending changes, fenced by the assignment).
//
// The assignment is rendezvous hashing (highest random weight): a node goes
// to the member with the highest hash of (member, node). It needs no state
// to agree on, every member computes the same owner, and a member joining or
// leaving moves only the nodes it gains or had (about 1/N of them), so the
// share of every other collector stays put across a rebalance. The leader
// records the result in PostgreSQL (shard_assignments) so that members read
// their share, operators see it, and a follower's changes can be checked
// against it in the transaction that records them.
//
// Nodes are assigned whole: every polled monitor of a node runs on one
// collector, so "the node is down" (ping) and the checks it makes UNKNOWN
// meet in one state tracker. The monitors of received messages (syslog,
// traps, backup results) run on the leader, which alone receives them.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "collector/core/monitor.h"

namespace mimamori::collector {

/// The member that polls `node`: the highest weight among `members`; ""
/// when there is no member. Deterministic across processes and builds.
std::string OwnerOf(std::string_view node, const std::vector<std::string>& members);

/// The owner of every node.
std::map<std::string, std::string> PlanShares(const std::vector<std::string>& nodes,
                                              const std::vector<std::string>& members);

/// True for the kinds whose checks read what this collector received
/// (message, backup): they run on the leader only, for every node.
bool RunsOnLeaderOnly(std::string_view kind);

/// The monitors this collector runs: those of the nodes in `share`, and
/// while `leading` those that run on the leader only.
std::vector<std::shared_ptr<Monitor>> MonitorsOfShare(std::vector<std::shared_ptr<Monitor>> all,
                                                      const std::set<std::string>& share,
                                                      bool leading);

}  // namespace mimamori::collector
