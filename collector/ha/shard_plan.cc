#include "collector/ha/shard_plan.h"

#include <algorithm>

namespace mimamori::collector {
namespace {

// FNV-1a then SplitMix64's finalizer: FNV alone mixes the last bytes of
// similar names ("vm-0001", "vm-0002") too little for a fair spread.
std::uint64_t Weight(std::string_view member, std::string_view node) {
  std::uint64_t h = 0xcbf29ce484222325ULL;
  auto feed = [&h](std::string_view s) {
    for (unsigned char c : s) {
      h ^= c;
      h *= 0x100000001b3ULL;
    }
  };
  feed(member);
  feed(std::string_view("\x1f", 1));
  feed(node);
  h ^= h >> 30;
  h *= 0xbf58476d1ce4e5b9ULL;
  h ^= h >> 27;
  h *= 0x94d049bb133111ebULL;
  h ^= h >> 31;
  return h;
}

}  // namespace

std::string OwnerOf(std::string_view node, const std::vector<std::string>& members) {
  const std::string* best = nullptr;
  std::uint64_t best_weight = 0;
  for (const std::string& m : members) {
    const std::uint64_t w = Weight(m, node);
    // Ties (never seen, but possible) go to the smaller name, so that every
    // collector still agrees.
    if (best == nullptr || w > best_weight || (w == best_weight && m < *best)) {
      best = &m;
      best_weight = w;
    }
  }
  return best != nullptr ? *best : std::string();
}

std::map<std::string, std::string> PlanShares(const std::vector<std::string>& nodes,
                                              const std::vector<std::string>& members) {
  std::map<std::string, std::string> plan;
  for (const std::string& node : nodes) plan[node] = OwnerOf(node, members);
  return plan;
}

bool RunsOnLeaderOnly(std::string_view kind) { return kind == "message" || kind == "backup"; }

std::vector<std::shared_ptr<Monitor>> MonitorsOfShare(std::vector<std::shared_ptr<Monitor>> all,
                                                      const std::set<std::string>& share,
                                                      bool leading) {
  std::erase_if(all, [&](const std::shared_ptr<Monitor>& m) {
    if (RunsOnLeaderOnly(m->Kind())) return !leading;
    return !share.contains(m->NodeName());
  });
  return all;
}

}  // namespace mimamori::collector
