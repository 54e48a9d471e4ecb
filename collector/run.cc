#include "collector/run.h"

#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/steady_timer.hpp>
#include <csignal>
#include <cstdio>
#include <functional>
#include <iostream>
#include <list>
#include <set>
#include <sstream>

#include "collector/alerting/alerting_service.h"
#include "collector/alerting/ledger_access.h"
#include "collector/calendar/business_calendar.h"
#include "collector/core/json.h"
#include "collector/core/log.h"
#include "collector/core/scheduler.h"
#include "collector/ha/pair_member.h"
#include "collector/ha/shard_link.h"
#include "collector/ha/shard_plan.h"
#include "collector/inventory/inventory_loader.h"
#include "collector/ledger/ledger.h"
#include "collector/messages/message_board.h"
#include "collector/messages/message_intake.h"
#include "collector/messages/message_receiver.h"
#include "collector/metrics/collector_metrics.h"
#include "collector/monitors/registry.h"
#include "collector/net/asio_tcp_probe.h"
#include "collector/net/curl_http_client.h"
#include "collector/net/icmp_pinger.h"
#include "collector/net/netsnmp_client.h"
#include "collector/vcenter/placement.h"
#include "collector/vcenter/vcenter_link.h"
#include "mimamori/sdnotify/service_notifier.h"

namespace mimamori::collector {
namespace {

std::shared_ptr<const Inventory> Load(const std::string& path, std::vector<std::string>& errors) {
  std::vector<ConfigError> found;
  auto inventory = LoadInventory(path, found);
  for (const ConfigError& e : found) errors.push_back(e.ToString());
  if (!inventory) return nullptr;
  return std::make_shared<const Inventory>(std::move(*inventory));
}

/// What a SIGHUP asks for: the inventory (with the VM placement vCenter
/// reported) and its templates, checked as at start. nullopt, logged and
/// counted, when they do not load: the running configuration stays.
struct Reloaded {
  std::shared_ptr<const Inventory> inventory;
  AlertingContext context;
};
std::optional<Reloaded> ReadReload(const std::string& path,
                                   const std::vector<VmPlacement>& placement,
                                   CollectorMetrics& metrics) {
  std::vector<std::string> why;
  auto next = Load(path, why);
  if (next && !placement.empty()) {
    std::vector<PlacementChange> moved;
    next = WithPlacement(*next, placement, moved);
  }
  std::optional<AlertingContext> context;
  if (next) context = AlertingContext::Make(next, MessageDomain(), why);
  if (!next || !context) {
    for (const auto& e : why) Log(LogLevel::kError, "reload: " + e);
    Log(LogLevel::kError, "reload failed; the running configuration stays in force");
    metrics.ConfigReloaded(false);
    return std::nullopt;
  }
  return Reloaded{std::move(next), std::move(*context)};
}

std::string FormatValue(const std::optional<double>& value) {
  if (!value) return "";
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.2f", *value);
  return buf;
}

// --once output: the raw result of each monitor's single check (the failure
// rule's "2 in a row" does not apply to one check).
int PrintOnce(const std::vector<MonitorState>& states, bool json) {
  bool failed = false;
  for (const auto& s : states) failed |= s.last_result != Status::kOk;
  if (json) {
    std::cout << "[";
    for (std::size_t i = 0; i < states.size(); ++i) {
      const auto& s = states[i];
      std::cout << (i ? ",\n " : "\n ") << "{\"node\":" << JsonString(s.node)
                << ",\"monitor\":" << JsonString(s.monitor) << ",\"kind\":" << JsonString(s.kind)
                << ",\"status\":" << JsonString(StatusName(s.last_result))
                << ",\"value\":" << (s.value ? FormatValue(s.value) : "null")
                << ",\"reason\":" << JsonString(s.reason) << "}";
    }
    std::cout << "\n]\n";
  } else {
    std::size_t node_width = 4, monitor_width = 7;
    for (const auto& s : states) {
      node_width = std::max(node_width, s.node.size());
      monitor_width = std::max(monitor_width, s.monitor.size());
    }
    std::printf("%-*s  %-*s  %-8s  %10s  %s\n", static_cast<int>(node_width), "NODE",
                static_cast<int>(monitor_width), "MONITOR", "STATUS", "VALUE", "REASON");
    for (const auto& s : states) {
      std::printf("%-*s  %-*s  %-8s  %10s  %s\n", static_cast<int>(node_width), s.node.c_str(),
                  static_cast<int>(monitor_width), s.monitor.c_str(),
                  std::string(StatusName(s.last_result)).c_str(), FormatValue(s.value).c_str(),
                  s.reason.c_str());
    }
  }
  return failed ? 1 : 0;
}

std::vector<std::string> NodeNames(const Inventory& inventory) {
  std::vector<std::string> names;
  names.reserve(inventory.nodes.size());
  for (const Node& n : inventory.nodes) names.push_back(n.name);
  return names;
}

/// Carries on where the previous run (or a node's previous collector)
/// stopped: each failing monitor the ledger names and `runs_here` accepts is
/// presumed failing until its first check, which comes first.
void PresumeInherited(const std::vector<InheritedState>& inherited,
                      const std::function<bool(const InheritedState&)>& runs_here,
                      StateTracker& tracker, Scheduler& scheduler, CollectorMetrics& metrics) {
  std::set<std::pair<std::string, std::string>> first;
  for (const InheritedState& s : inherited) {
    if (!runs_here(s)) continue;
    tracker.Presume(s.node, s.monitor, s.kind, s.status, s.since);
    first.insert({s.node, s.kind});
  }
  scheduler.CheckSoon(first);
  metrics.PublishStates(tracker.Current());
}

/// Sharding (a pair on PostgreSQL): installs this collector's monitors, those
/// of the nodes of its share and, while it leads, those that run on the
/// leader only (shard_plan.h), whenever the share, the role or the
/// inventory changes. The new nodes of a share are installed only once the
/// ledger has said what they inherit (ShardLink::ReadInherited), so the
/// tracker carries on where their previous collector stopped, as after a
/// restart: their open incidents close at their first OK check.
class SharePlanner {
 public:
  SharePlanner(boost::asio::io_context& io, PairMember& pair, ShardLink& link, Scheduler& scheduler,
               StateTracker& tracker, CollectorMetrics& metrics, MonitorServices& services,
               std::shared_ptr<const Inventory> inventory)
      : io_(io),
        pair_(pair),
        link_(link),
        scheduler_(scheduler),
        tracker_(tracker),
        metrics_(metrics),
        services_(services),
        inventory_(std::move(inventory)) {}

  /// At every turn of the loop: takes a new share when the heartbeat read one.
  void Turn() {
    const std::int64_t generation = pair_.share_generation();
    if (generation == requested_) return;
    requested_ = generation;
    std::shared_ptr<const ShardShare> share = pair_.share();
    std::set<std::string> nodes(share->nodes.begin(), share->nodes.end());
    std::set<std::string> added;
    for (const std::string& n : nodes) {
      if (!nodes_.contains(n)) added.insert(n);
    }
    if (added.empty()) {
      Install(share->generation, std::move(nodes), {});
      return;
    }
    link_.ReadInherited(std::move(added),
                        [this, generation = share->generation,
                         nodes = std::move(nodes)](std::vector<InheritedState> states) mutable {
                          boost::asio::post(io_, [this, generation, nodes = std::move(nodes),
                                                  states = std::move(states)]() mutable {
                            Install(generation, std::move(nodes), std::move(states));
                          });
                        });
  }

  /// A new inventory (reload, vCenter placement) or role, on the same share.
  void Replan(std::shared_ptr<const Inventory> inventory, bool leading) {
    inventory_ = std::move(inventory);
    leading_ = leading;
    Install(installed_, nodes_, {});
  }

  std::size_t share_size() const { return nodes_.size(); }

  /// On taking the lead: installs the share as it is now, with the monitors
  /// of the leader, carrying on from `inherited` (what the engine's ledger
  /// said at its start), so the leader's first share needs no read of its own.
  void Lead(std::shared_ptr<const Inventory> inventory,
            const std::vector<InheritedState>& inherited) {
    inventory_ = std::move(inventory);
    leading_ = true;
    requested_ = pair_.share_generation();
    std::shared_ptr<const ShardShare> share = pair_.share();
    Install(share->generation, {share->nodes.begin(), share->nodes.end()}, {});
    Presume(inherited);
  }

 private:
  /// Presumes what the ledger says was failing, for the monitors this
  /// collector runs (the rest are other collectors' to carry on).
  void Presume(const std::vector<InheritedState>& inherited) {
    PresumeInherited(
        inherited,
        [this](const InheritedState& s) {
          return nodes_.contains(s.node) || (leading_ && RunsOnLeaderOnly(s.kind));
        },
        tracker_, scheduler_, metrics_);
  }

  void Install(std::int64_t generation, std::set<std::string> nodes,
               std::vector<InheritedState> inherited) {
    // A share read after this one was installed already: this one is stale.
    if (generation < installed_) return;
    installed_ = generation;
    const bool moved = nodes != nodes_;
    nodes_ = std::move(nodes);
    scheduler_.SetPlan(MonitorsOfShare(CreateMonitors(*inventory_, services_), nodes_, leading_),
                       inventory_, std::make_shared<const BusinessCalendar>(inventory_->calendar));
    if (!inherited.empty()) Presume(inherited);
    if (moved) {
      Log(LogLevel::kInfo,
          "collector " + pair_.name() + ": monitoring its share: " + std::to_string(nodes_.size()) +
              " nodes, " + std::to_string(scheduler_.size()) + " monitors (" +
              std::to_string(inherited.size()) + " failing monitors carried on from the ledger)");
    }
  }

  boost::asio::io_context& io_;
  PairMember& pair_;
  ShardLink& link_;
  Scheduler& scheduler_;
  StateTracker& tracker_;
  CollectorMetrics& metrics_;
  MonitorServices& services_;
  std::shared_ptr<const Inventory> inventory_;
  bool leading_ = false;
  std::int64_t requested_ = -1;
  std::int64_t installed_ = -1;
  std::set<std::string> nodes_;
};

/// How long the loop sleeps: until the next check is due, within 10 ms ..
/// 1 s, and never past the next watchdog ping.
std::chrono::milliseconds NextWait(const Scheduler& scheduler, const Clock& clock,
                                   std::chrono::microseconds watchdog_period,
                                   std::chrono::steady_clock::time_point next_watchdog) {
  auto wait =
      std::chrono::duration_cast<std::chrono::milliseconds>(scheduler.NextDue() - clock.Now());
  wait = std::clamp(wait, std::chrono::milliseconds(10), std::chrono::milliseconds(1000));
  if (watchdog_period.count() > 0) {
    wait = std::min(wait, std::chrono::duration_cast<std::chrono::milliseconds>(
                              next_watchdog - std::chrono::steady_clock::now()));
    wait = std::max(wait, std::chrono::milliseconds(10));
  }
  return wait;
}

}  // namespace

int Run(const CommandLine& command_line) {
  std::vector<std::string> errors;
  std::shared_ptr<const Inventory> inventory = Load(command_line.config_path, errors);
  if (!inventory) {
    for (const auto& e : errors) std::fprintf(stderr, "%s\n", e.c_str());
    std::fprintf(stderr, "%s: %zu error(s); not started\n", command_line.config_path.c_str(),
                 errors.size());
    return 2;
  }
  // The templates are part of the configuration: a typo in one must stop
  // the start (or the reload), not show in a mail at 3 a.m.
  std::optional<AlertingContext> alerting_context;
  if (!command_line.once) {
    alerting_context = AlertingContext::Make(inventory, MessageDomain(), errors);
    if (!alerting_context) {
      for (const auto& e : errors) std::fprintf(stderr, "%s\n", e.c_str());
      std::fprintf(stderr, "%s: %zu error(s) in the mail templates; not started\n",
                   command_line.config_path.c_str(), errors.size());
      return 2;
    }
  }
  if (command_line.check_config) {
    std::printf(
        "%s: OK: %zu systems, %zu nodes, %s; templates %s OK\n", command_line.config_path.c_str(),
        inventory->systems.size(), inventory->nodes.size(),
        inventory->DescribeChecks(std::chrono::system_clock::now(), ScheduledChecks(*inventory))
            .c_str(),
        inventory->alerting.templates.c_str());
    return 0;
  }

  const auto notifier = sdnotify::ServiceNotifier::FromEnvironment();
  // A lost notification must not stop monitoring: said once, then quiet.
  bool notify_failed = false;
  auto notified = [&](const std::string& why) {
    if (why.empty() || notify_failed) return;
    notify_failed = true;
    Log(LogLevel::kWarning, "systemd notification failed: " + why);
  };

  SystemClock clock;
  EventQueue events;
  StateTracker tracker(events);
  CollectorMetrics metrics;
  boost::asio::io_context io;

  Scheduler scheduler(clock, tracker, metrics,
                      [&io](std::function<void()> f) { boost::asio::post(io, std::move(f)); });
  // The engines are declared after the scheduler so they are destroyed
  // first: their destructors complete pending checks, whose callbacks post
  // through the scheduler onto the (still existing) io_context.
  IcmpPinger pinger;
  NetSnmpClient snmp;
  CurlHttpClient http;
  AsioTcpProbe tcp;
  MonitorServices services{pinger, snmp, http, tcp, clock};
  // Messages: the receivers' thread records on the board, the message
  // monitors report from it through the scheduler like any other check.
  MessageBoard message_board(clock.Now());
  MessageIntake message_intake(message_board, clock, &metrics.registry());
  services.messages = &message_board;
  auto calendar = std::make_shared<const BusinessCalendar>(inventory->calendar);
  scheduler.SetPlan(CreateMonitors(*inventory, services), inventory, calendar);

  if (command_line.once) {
    bool finished = false;
    scheduler.RunAllOnce([&] {
      finished = true;
      io.stop();
    });
    boost::asio::steady_timer limit(io, std::chrono::minutes(2));
    limit.async_wait([&](const boost::system::error_code& ec) {
      if (!ec) io.stop();
    });
    io.run();
    if (!finished) Log(LogLevel::kError, "--once: some checks did not finish within 2 minutes");
    return PrintOnce(tracker.Current(), command_line.json) | (finished ? 0 : 1);
  }

  const std::string listen =
      command_line.metrics_listen.empty() ? inventory->metrics.listen : command_line.metrics_listen;
  if (std::string why = metrics.Serve(listen); !why.empty()) {
    Log(LogLevel::kError, why);
    return 1;
  }
  // Pinged from the scheduling loop itself: if it stops turning, systemd
  // restarts the collector.
  const auto watchdog_period = notifier.watchdog_ping_period();
  auto next_watchdog = std::chrono::steady_clock::now();
  const auto ping_watchdog = [&] {
    if (watchdog_period.count() > 0 && std::chrono::steady_clock::now() >= next_watchdog) {
      notified(notifier.WatchdogPing());
      next_watchdog = std::chrono::steady_clock::now() + watchdog_period;
    }
  };

  std::optional<PairMember> pair;
  std::optional<ShardLink> shard_link;
  std::optional<SharePlanner> planner;
  // A follower polls its share and hands its changes to the leader through
  // the ledger (ShardLink), until it leads (true) or a signal stops it
  // (false). It is "ready" for systemd meanwhile: a follower is a normal
  // state, not a start that hangs. A SIGHUP reloads the inventory here too.
  const auto FollowUntilLeading = [&]() -> bool {
    if (pair->leading()) return true;
    Log(LogLevel::kInfo, "collector " + pair->name() +
                             ": follows; polls its share of the nodes; /metrics on port " +
                             std::to_string(metrics.port()));
    const auto status = [&] {
      return "standby: " + pair->describe() + "; polling " + std::to_string(planner->share_size()) +
             " nodes";
    };
    notified(notifier.Ready(status()));
    bool leading = false;
    boost::asio::signal_set signals(io, SIGINT, SIGTERM, SIGHUP);
    std::function<void(const boost::system::error_code&, int)> on_signal =
        [&](const boost::system::error_code& ec, int signal) {
          if (ec) return;
          if (signal != SIGHUP) {
            Log(LogLevel::kInfo,
                "stopping on signal " + std::to_string(signal) + " while following");
            notified(notifier.Stopping());
            io.stop();
            return;
          }
          notified(notifier.Reloading());
          if (auto next = ReadReload(command_line.config_path, {}, metrics)) {
            inventory = next->inventory;
            alerting_context = std::move(next->context);
            pair->SetNodes(NodeNames(*inventory));
            planner->Replan(inventory, false);
            metrics.ConfigReloaded(true);
            Log(LogLevel::kInfo, "configuration reloaded while following: " +
                                     std::to_string(inventory->nodes.size()) + " nodes");
          }
          notified(notifier.Ready(status()));
          signals.async_wait(on_signal);
        };
    signals.async_wait(on_signal);
    boost::asio::steady_timer tick(io);
    auto next_status = std::chrono::steady_clock::now();
    std::function<void()> turn = [&] {
      if (pair->leading()) {
        leading = true;
        io.stop();
        return;
      }
      ping_watchdog();
      planner->Turn();
      scheduler.RunDue();
      metrics.EventsQueued(events.size(), events.dropped());
      if (std::chrono::steady_clock::now() >= next_status) {
        notified(notifier.Notify("STATUS=" + status()));
        next_status = std::chrono::steady_clock::now() + PairMember::kHeartbeat;
      }
      tick.expires_after(NextWait(scheduler, clock, watchdog_period, next_watchdog));
      tick.async_wait([&](const boost::system::error_code& ec) {
        if (!ec) turn();
      });
    };
    turn();
    io.run();
    io.restart();
    return leading;
  };

  // With the ledger on PostgreSQL this collector is a member of an HA pair
  // (collector/ha/pair_member.h): it polls its share of the nodes, and
  // follows until it leads.
  if (IsPostgresLocation(inventory->alerting.ledger)) {
    LeadershipOptions leadership_options;
    leadership_options.collector_name = CollectorName(command_line.collector_name);
    leadership_options.clock = &clock;
    if (std::string why = ReadLedgerPassword(inventory->alerting, leadership_options.password);
        !why.empty()) {
      Log(LogLevel::kError, "HA pair: " + why);
      return 1;
    }
    auto leadership = Leadership::Open(inventory->alerting.ledger, leadership_options);
    if (!leadership) {
      Log(LogLevel::kError, "HA pair: " + leadership.error().message);
      return 1;
    }
    auto link_ledger =
        OpenLedgerAt(inventory->alerting.ledger, inventory->alerting, LedgerOptions{});
    if (!link_ledger) {
      Log(LogLevel::kError, "HA pair: " + link_ledger.error().message);
      return 1;
    }
    pair.emplace(std::move(*leadership), clock, metrics.registry());
    metrics.LabelWithCollector(pair->name());
    pair->SetNodes(NodeNames(*inventory));
    shard_link.emplace(std::move(*link_ledger), events, clock, pair->name());
    planner.emplace(io, *pair, *shard_link, scheduler, tracker, metrics, services, inventory);
    planner->Replan(inventory, false);  // nothing until the leader shares the nodes
    shard_link->Start(/*forwarding=*/true);
    pair->StartHeartbeat();
    if (!FollowUntilLeading()) {
      shard_link->Stop();
      pair->StopHeartbeat();
      pair->Leave();
      return 0;
    }
    // This collector's own engine takes its changes from here on.
    shard_link->StopForwarding();
  }
  MessageReceiver message_receiver(message_intake);
  if (inventory->messages.enabled) {
    message_intake.SetRules(MessageRules::Build(inventory));
    if (std::string why = message_receiver.Start(inventory->messages); !why.empty()) {
      Log(LogLevel::kError, "messages: cannot listen: " + why);
      return 1;
    }
    Log(LogLevel::kInfo, "messages: syslog udp port " +
                             std::to_string(message_receiver.syslog_udp_port()) + ", tcp port " +
                             std::to_string(message_receiver.syslog_tcp_port()) +
                             ", traps udp port " + std::to_string(message_receiver.trap_port()));
  }
  AlertingService alerting(events, clock, metrics.registry());
  if (pair) alerting.SetFencingTerm(pair->fencing_term());
  if (std::string why = alerting.Start(*alerting_context); !why.empty()) {
    Log(LogLevel::kError, "alerting cannot start: " + why);
    return 1;
  }
  // Carry on where the previous run stopped: its failing monitors stay
  // failing until their first check, which comes first. In a pair, only the
  // monitors of this collector's share (and those of the leader alone).
  if (planner) {
    planner->Lead(inventory, alerting.inherited());
  } else {
    PresumeInherited(
        alerting.inherited(), [](const InheritedState&) { return true; }, tracker, scheduler,
        metrics);
  }
  if (!alerting.inherited().empty()) {
    Log(LogLevel::kInfo, std::to_string(alerting.inherited().size()) +
                             " monitors were failing when the collector stopped; checking them "
                             "first");
  }
  Log(LogLevel::kInfo, std::string("mimamori-collector ") + MIMAMORI_VERSION + ": " +
                           std::to_string(inventory->nodes.size()) + " nodes, " +
                           std::to_string(scheduler.size()) + " monitors; /metrics on port " +
                           std::to_string(metrics.port()));

  // Old inventories stay alive: checks started under them may still run.
  std::list<std::shared_ptr<const Inventory>> history{inventory};

  boost::asio::steady_timer tick(io);
  auto next_snapshot = clock.Now();
  int exit_code = 0;
  std::function<void()> loop = [&] {
    // PostgreSQL out of reach: nothing can be recorded or sent by anyone, so
    // the engine holds its work (its writes are fenced meanwhile) and this
    // collector takes the lead again when the server is back. Any other loss
    // of the lead ends this run: exiting is the one step-down that cannot
    // leave half an engine beside the new leader's.
    if (pair && pair->lost_lead()) {
      Log(LogLevel::kError, "collector " + pair->name() + ": no longer leads the pair (" +
                                pair->describe() +
                                "); stopping so that only the leader runs the incident engine "
                                "and the outbox (systemd starts this collector again, as a "
                                "follower)");
      exit_code = 3;
      io.stop();
      return;
    }
    ping_watchdog();
    if (planner) planner->Turn();
    scheduler.RunDue();
    metrics.EventsQueued(events.size(), events.dropped());
    // The alerting half reconciles with the tracker's view now and then
    // (after a restart, or if the queue ever dropped events).
    if (clock.Now() >= next_snapshot) {
      alerting.OfferSnapshot(tracker.Current());
      next_snapshot = clock.Now() + std::chrono::seconds(30);
    }
    tick.expires_after(NextWait(scheduler, clock, watchdog_period, next_watchdog));
    tick.async_wait([&](const boost::system::error_code& ec) {
      if (!ec) loop();
    });
  };
  loop();
  notified(notifier.Ready(std::to_string(inventory->nodes.size()) + " nodes, " +
                          std::to_string(scheduler.size()) + " monitors"));

  // The vCenter link: VM placement overrides the inventory's `host` (DRS),
  // for this inventory and every reloaded one.
  std::vector<VmPlacement> placement;
  const auto install = [&](std::shared_ptr<const Inventory> next, AlertingContext context) {
    history.push_back(next);
    if (planner) {
      pair->SetNodes(NodeNames(*next));
      planner->Replan(next, /*leading=*/true);
    } else {
      scheduler.SetPlan(CreateMonitors(*next, services), next,
                        std::make_shared<const BusinessCalendar>(next->calendar));
    }
    alerting.Reload(std::move(context));
  };
  VcenterLink vcenter(metrics.registry(), [&](std::vector<VmPlacement> vms) {
    boost::asio::post(io, [&, vms = std::move(vms)]() mutable {
      placement = std::move(vms);
      std::vector<PlacementChange> moved;
      auto next = WithPlacement(*history.back(), placement, moved);
      if (moved.empty()) return;
      std::vector<std::string> why;
      auto context = AlertingContext::Make(next, MessageDomain(), why);
      if (!context) {
        for (const auto& e : why) Log(LogLevel::kError, "VM placement: " + e);
        return;
      }
      install(next, std::move(*context));
    });
  });
  vcenter.Configure(inventory->vcenter);

  boost::asio::signal_set signals(io, SIGINT, SIGTERM, SIGHUP);
  std::function<void(const boost::system::error_code&, int)> on_signal =
      [&](const boost::system::error_code& ec, int signal) {
        if (ec) return;
        if (signal != SIGHUP) {
          Log(LogLevel::kInfo, "stopping on signal " + std::to_string(signal));
          notified(notifier.Stopping());
          io.stop();
          return;
        }
        notified(notifier.Reloading());
        if (auto reloaded = ReadReload(command_line.config_path, placement, metrics)) {
          const std::shared_ptr<const Inventory> next = reloaded->inventory;
          if (!history.front()->messages.enabled && next->messages.enabled) {
            Log(LogLevel::kWarning,
                "reload: the messages section is new; its receivers start at the next restart");
          }
          if (history.front()->messages.enabled) {
            message_intake.SetRules(MessageRules::Build(next));
            const MessageSettings &was = history.front()->messages, &now = next->messages;
            if (was.syslog_udp != now.syslog_udp || was.syslog_tcp != now.syslog_tcp ||
                was.traps_udp != now.traps_udp || !now.enabled) {
              Log(LogLevel::kWarning, "reload: messages listen addresses are kept until a restart");
            }
          }
          install(next, std::move(reloaded->context));
          vcenter.Configure(next->vcenter);
          metrics.ConfigReloaded(true);
          Log(LogLevel::kInfo, "configuration reloaded: " + std::to_string(next->nodes.size()) +
                                   " nodes, " + std::to_string(scheduler.size()) + " monitors");
        }
        notified(notifier.Ready(std::to_string(history.back()->nodes.size()) + " nodes, " +
                                std::to_string(scheduler.size()) + " monitors"));
        signals.async_wait(on_signal);
      };
  signals.async_wait(on_signal);
  io.run();
  vcenter.Stop();
  alerting.Stop();
  if (shard_link) shard_link->Stop();
  if (pair) pair->StopHeartbeat();
  if (pair && exit_code == 0) pair->Leave();
  return exit_code;
}

}  // namespace mimamori::collector
