#include "collector/ha/pair_member.h"

#include <unistd.h>

#include "collector/core/log.h"

namespace mimamori::collector {

namespace {

double Seconds(TimePoint t) { return std::chrono::duration<double>(t.time_since_epoch()).count(); }

}  // namespace

std::string CollectorName(const std::string& configured) {
  if (!configured.empty()) return configured;
  char host[256] = {};
  if (gethostname(host, sizeof host - 1) != 0 || host[0] == '\0') return "mimamori-collector";
  return host;
}

PairMember::PairMember(Leadership leadership, const Clock& clock, prometheus::Registry& registry)
    : leadership_(std::move(leadership)),
      clock_(clock),
      leading_(prometheus::BuildGauge()
                   .Name("mimamori_ha_leading")
                   .Help("1 while this collector leads the HA pair (runs the incident engine and "
                         "the outbox), 0 while it follows")
                   .Register(registry)),
      term_(prometheus::BuildGauge()
                .Name("mimamori_ha_term")
                .Help("The latest leadership term this collector saw (grows at every takeover)")
                .Register(registry)),
      leader_since_(prometheus::BuildGauge()
                        .Name("mimamori_ha_leader_since_timestamp_seconds")
                        .Help("When the current leader took the lead (Unix time); 0 when nobody "
                              "leads")
                        .Register(registry)),
      leader_(prometheus::BuildGauge()
                  .Name("mimamori_ha_leader")
                  .Help("1 for the collector that leads the pair, as this collector sees it")
                  .Register(registry)),
      heartbeat_age_(prometheus::BuildGauge()
                         .Name("mimamori_ha_member_heartbeat_age_seconds")
                         .Help("Seconds since each member of the pair last beat (its lag); read "
                               "by the leader")
                         .Register(registry)),
      shard_nodes_(prometheus::BuildGauge()
                       .Name("mimamori_shard_nodes")
                       .Help("Nodes this collector polls: its share, as the leader assigned it")
                       .Register(registry)),
      member_nodes_(prometheus::BuildGauge()
                        .Name("mimamori_shard_member_nodes")
                        .Help("Nodes each member of the pair polls; read by the leader")
                        .Register(registry)) {}

PairMember::~PairMember() { StopHeartbeat(); }

void PairMember::StartHeartbeat() {
  heartbeat_ = std::thread([this] {
    std::unique_lock lock(wake_mutex_);
    do {
      lock.unlock();
      const LeadershipState state = Beat();
      if (state.role == Role::kLeader) led_ = true;
      if (led_ && state.role != Role::kLeader && !state.error) lost_lead_ = true;
      lock.lock();
    } while (!wake_.wait_for(lock, kHeartbeat, [this] { return stopping_; }));
  });
}

void PairMember::StopHeartbeat() {
  {
    std::lock_guard lock(wake_mutex_);
    stopping_ = true;
  }
  wake_.notify_all();
  if (heartbeat_.joinable()) heartbeat_.join();
}

void PairMember::Leave() {
  std::lock_guard lock(mutex_);
  leadership_.Shutdown(clock_.Now());
}

std::string PairMember::describe() const {
  std::lock_guard lock(state_mutex_);
  return description_;
}

LeadershipState PairMember::Beat() {
  std::lock_guard lock(mutex_);
  const TimePoint now = clock_.Now();
  const LeadershipState state = leadership_.Tick(now);
  term_now_->store(state.role == Role::kLeader ? state.term : 0);
  const std::string me = "collector " + name() + ": ";
  if (state.change == LeadershipChange::kBecameLeader) {
    Log(LogLevel::kInfo, me + "took the lead of the pair (term " + std::to_string(state.term) +
                             "); starting the incident engine and the outbox");
  } else if (state.change == LeadershipChange::kSteppedDown) {
    Log(LogLevel::kError, me + "lost the lead (" + state.step_down_reason + ")");
  }
  std::string description;
  if (state.role == Role::kLeader) {
    description = "leading (term " + std::to_string(state.term) + ")";
  } else if (state.error) {
    description = "no leader: " + state.error->message;
  } else if (!state.leader.empty()) {
    description = "following " + state.leader + " (term " + std::to_string(state.leader_term) + ")";
  } else {
    description = "following: nobody leads";
  }
  {
    std::lock_guard state_lock(state_mutex_);
    // Said when it changes, not every 5 seconds.
    if (description != description_ && state.change == LeadershipChange::kNone) {
      Log(state.error ? LogLevel::kWarning : LogLevel::kInfo, me + description);
    }
    description_ = std::move(description);
  }

  leading_.Add({{"collector", name()}}).Set(state.role == Role::kLeader ? 1 : 0);
  term_.Add({{"collector", name()}})
      .Set(static_cast<double>(std::max(state.term, state.leader_term)));
  leader_since_.Add({{"collector", name()}})
      .Set(state.leader.empty() ? 0 : Seconds(state.leader_since));
  if (state.leader != published_leader_) {
    if (!published_leader_.empty()) {
      leader_.Remove(&leader_.Add({{"collector", name()}, {"leader", published_leader_}}));
    }
    if (!state.leader.empty())
      leader_.Add({{"collector", name()}, {"leader", state.leader}}).Set(1);
    published_leader_ = state.leader;
  }
  if (state.role == Role::kLeader) PublishMembers(now);
  // The share first: a collector that sees itself leading finds its share
  // as the leader assigned it (Rebalance runs in this very beat).
  if (!state.error) ShareNodes(state, now);
  leading_now_ = state.role == Role::kLeader;
  return state;
}

void PairMember::SetNodes(std::vector<std::string> nodes) {
  std::lock_guard lock(state_mutex_);
  nodes_ = std::make_shared<const std::vector<std::string>>(std::move(nodes));
}

std::shared_ptr<const ShardShare> PairMember::share() const {
  std::lock_guard lock(state_mutex_);
  return share_;
}

void PairMember::ShareNodes(const LeadershipState& state, TimePoint now) {
  const std::string me = "collector " + name() + ": ";
  std::shared_ptr<const std::vector<std::string>> nodes;
  std::shared_ptr<const ShardShare> share;
  {
    std::lock_guard lock(state_mutex_);
    nodes = nodes_;
    share = share_;
  }
  std::string problem;
  if (state.role == Role::kLeader) {
    auto outcome = leadership_.Rebalance(*nodes, now);
    if (!outcome) {
      problem = outcome.error().message;
    } else if (outcome->changed) {
      std::string members;
      for (const auto& m : outcome->members) members += (members.empty() ? "" : ", ") + m;
      Log(LogLevel::kInfo, me + "shared " + std::to_string(nodes->size()) + " nodes among " +
                               std::to_string(outcome->members.size()) + " collectors (" + members +
                               "): " + std::to_string(outcome->moved) + " assigned anew, " +
                               std::to_string(outcome->removed) + " removed (shard generation " +
                               std::to_string(outcome->generation) + ")");
    }
  }
  if (problem.empty()) {
    auto read = leadership_.ReadShare(share->generation);
    if (!read) {
      problem = read.error().message;
    } else if (*read) {
      auto next = std::make_shared<const ShardShare>(std::move(**read));
      Log(LogLevel::kInfo, me + "polls " + std::to_string(next->nodes.size()) + " nodes (was " +
                               std::to_string(share->nodes.size()) + "; shard generation " +
                               std::to_string(next->generation) + ")");
      shard_nodes_.Add({{"collector", name()}}).Set(static_cast<double>(next->nodes.size()));
      {
        std::lock_guard lock(state_mutex_);
        share_ = next;
      }
      share_generation_ = next->generation;
    }
  }
  // Said when it changes: a member keeps polling its last share meanwhile.
  if (problem != shard_problem_) {
    if (!problem.empty()) {
      Log(LogLevel::kWarning, me + "sharding: " + problem + "; polling the last share meanwhile");
    }
    shard_problem_ = problem;
  }
}

void PairMember::PublishMembers(TimePoint now) {
  auto status = leadership_.Members(now);
  if (!status) return;  // the next beat tries again; Tick has reported the connection
  for (const MemberStatus& m : status->members) {
    heartbeat_age_.Add({{"collector", name()}, {"member", m.name}})
        .Set(std::chrono::duration<double>(m.heartbeat_age).count());
    member_nodes_.Add({{"collector", name()}, {"member", m.name}})
        .Set(static_cast<double>(m.nodes));
  }
}

}  // namespace mimamori::collector
