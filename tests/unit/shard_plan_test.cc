// Rendezvous hashing of the nodes over the collectors of a pair: a fair
// spread, the same answer everywhere, and a join or a leave moves only the
// nodes it must.
#include "collector/ha/shard_plan.h"

#include <gtest/gtest.h>

#include <map>
#include <string>
#include <vector>

namespace mimamori::collector {
namespace {

std::vector<std::string> Nodes(int n) {
  std::vector<std::string> nodes;
  for (int i = 0; i < n; ++i) nodes.push_back("vm-" + std::to_string(i));
  return nodes;
}

TEST(ShardPlanTest, SpreadsTheNodesFairlyAndTheSameWayInAnyMemberOrder) {
  const auto nodes = Nodes(3000);
  const auto plan = PlanShares(nodes, {"col-a", "col-b", "col-c"});
  std::map<std::string, int> counts;
  for (const auto& [node, owner] : plan) ++counts[owner];
  ASSERT_EQ(counts.size(), 3u);
  for (const auto& [owner, n] : counts) {
    EXPECT_GT(n, 850) << owner;  // 1000 each, give or take a few percent
    EXPECT_LT(n, 1150) << owner;
  }
  EXPECT_EQ(PlanShares(nodes, {"col-c", "col-a", "col-b"}), plan);
  EXPECT_EQ(OwnerOf("vm-1", {}), "");
  EXPECT_EQ(OwnerOf("vm-1", {"only"}), "only");
}

TEST(ShardPlanTest, AJoiningCollectorTakesOnlyItsShareAndALeavingOneGivesOnlyItsOwn) {
  const auto nodes = Nodes(3000);
  const auto three = PlanShares(nodes, {"col-a", "col-b", "col-c"});
  const auto four = PlanShares(nodes, {"col-a", "col-b", "col-c", "col-d"});
  int moved = 0;
  for (const auto& node : nodes) {
    if (three.at(node) == four.at(node)) continue;
    ++moved;
    EXPECT_EQ(four.at(node), "col-d") << node << " moved between collectors that stayed";
  }
  EXPECT_GT(moved, 600);  // a quarter of 3000, give or take
  EXPECT_LT(moved, 900);

  const auto two = PlanShares(nodes, {"col-a", "col-c"});
  for (const auto& node : nodes) {
    if (three.at(node) != "col-b") {
      EXPECT_EQ(two.at(node), three.at(node)) << node << " moved though its collector stayed";
    }
  }
}

TEST(ShardPlanTest, MessageAndBackupMonitorsRunOnTheLeaderOnly) {
  EXPECT_TRUE(RunsOnLeaderOnly("message"));
  EXPECT_TRUE(RunsOnLeaderOnly("backup"));
  for (const char* kind :
       {"ping", "resource", "process", "port", "service", "web", "hardware", "time"}) {
    EXPECT_FALSE(RunsOnLeaderOnly(kind)) << kind;
  }
}

}  // namespace
}  // namespace mimamori::collector
