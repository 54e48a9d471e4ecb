#include "agent/run.h"

#include <asio/io_context.hpp>
#include <asio/post.hpp>
#include <asio/signal_set.hpp>
#include <asio/steady_timer.hpp>
#include <cstdio>
#include <functional>

#include "agent/core/config.h"
#include "agent/core/log.h"
#include "agent/core/mib_view.h"
#include "agent/core/privileges.h"
#include "agent/core/request_handler.h"
#include "agent/core/server.h"
#include "agent/mib/registry.h"
#ifndef _WIN32
#include "mimamori/sdnotify/service_notifier.h"
#endif

namespace mimamori::agent {
namespace {

// CPU load history is kept at this period (Net-SNMP samples every 5 s too).
constexpr std::chrono::seconds kSamplePeriod{5};

std::optional<AgentConfig> Configure(const CommandLine& command_line, std::string& error) {
  std::optional<AgentConfig> config = AgentConfig{};
  if (!command_line.config_path.empty()) {
    config = LoadAgentConfig(command_line.config_path, error);
    if (!config) return std::nullopt;
  }
  if (!command_line.listen.empty()) {
    config->listen.clear();
    for (const std::string& text : command_line.listen) {
      std::string why;
      auto address = ParseListenAddress(text, why);
      if (!address) {
        error = "--listen: " + why;
        return std::nullopt;
      }
      config->listen.push_back(*address);
    }
  }
  if (!command_line.user.empty()) config->user = command_line.user;
  return config;
}

RequestHandlerOptions HandlerOptions(const AgentConfig& config) {
  RequestHandlerOptions options;
  options.community = config.community;
  options.max_message_size = config.max_message_size;
  options.max_getbulk_responses = config.max_getbulk_responses;
  options.max_getbulk_repeats = config.max_getbulk_repeats;
  return options;
}

std::string Describe(const AgentConfig& config) {
  std::string out;
  for (const auto& address : config.listen) out += (out.empty() ? "" : ", ") + address.ToString();
  out += config.allowed_managers.empty() ? "; any manager"
                                         : "; " + std::to_string(config.allowed_managers.size()) +
                                               " allowed manager network(s)";
  out += "; cache " + std::to_string(config.cache_lifetime.count()) + " ms";
  return out;
}

}  // namespace

int Run(const CommandLine& command_line, const RunHooks& hooks) {
  std::string error;
  std::optional<AgentConfig> config = Configure(command_line, error);
  if (!config) {
    Log(LogLevel::kError, error);
    return 2;
  }
  if (command_line.check_config) {
    std::printf("%s: OK (%s)\n",
                config->source.empty() ? "built-in defaults" : config->source.c_str(),
                Describe(*config).c_str());
    return 0;
  }

#ifndef _WIN32
  const auto notifier = sdnotify::ServiceNotifier::FromEnvironment();
  // A lost notification must not stop the agent: said once, then quiet.
  bool notify_failed = false;
  auto notified = [&](const std::string& why) {
    if (why.empty() || notify_failed) return;
    notify_failed = true;
    Log(LogLevel::kWarning, "systemd notification failed: " + why);
  };
#endif

  const std::unique_ptr<HostData> host_data = MakeLocalHostData();
  HostData& host = *host_data;
  SnmpCounters counters;
  SystemSettings system = config->system;
  const auto steady_now = [] { return std::chrono::steady_clock::now(); };
  ProviderContext context{
      host,        system, counters, steady_now, [] { return std::chrono::system_clock::now(); },
      steady_now()};

  std::unique_ptr<MibView> view;
  try {
    view = std::make_unique<MibView>(MakeProviders(context), config->cache_lifetime, steady_now);
  } catch (const std::exception& e) {
    Log(LogLevel::kError, std::string("internal error: ") + e.what());
    return 70;
  }
  RequestHandler handler(*view, counters, HandlerOptions(*config));

  asio::io_context io;
  AgentServer server(io, handler, counters, ManagerAcl(config->allowed_managers));
  if (std::string why = server.Bind(config->listen); !why.empty()) {
    Log(LogLevel::kError, "cannot listen: " + why);
    return 1;
  }
  if (std::string why = DropPrivileges(config->user); !why.empty()) {
    Log(LogLevel::kError, "cannot drop root privileges: " + why);
    return 1;
  }
  server.Start();
  // The bound endpoints, not the configured ones: with port 0 (tests) this
  // line is how the caller learns the port.
  std::string bound;
  for (const auto& endpoint : server.LocalEndpoints()) {
    bound += (bound.empty() ? "" : ", ") +
             ListenAddress{endpoint.address().to_string(), endpoint.port()}.ToString();
  }
  Log(LogLevel::kInfo, std::string("mimamori-agent ") + MIMAMORI_VERSION + " listening on " +
                           bound + " (" + Describe(*config) + "); " + ProcessAccount());

  asio::steady_timer sampler(io);
  std::function<void()> sample = [&] {
    view->Sample();
    sampler.expires_after(kSamplePeriod);
    sampler.async_wait([&](const asio::error_code& ec) {
      if (!ec) sample();
    });
  };
  sample();

#ifndef _WIN32
  // Pinged from the io thread that answers requests: if it hangs, systemd
  // restarts the agent.
  asio::steady_timer watchdog(io);
  std::function<void()> ping = [&] {
    notified(notifier.WatchdogPing());
    watchdog.expires_after(notifier.watchdog_ping_period());
    watchdog.async_wait([&](const asio::error_code& ec) {
      if (!ec) ping();
    });
  };
  if (notifier.watchdog_interval().count() > 0) ping();
  notified(notifier.Ready("listening on " + bound));
#endif

  // Reload: validate first; a bad file leaves the running settings alone.
  const auto reload = [&] {
#ifndef _WIN32
    notified(notifier.Reloading());
#endif
    std::string why;
    std::optional<AgentConfig> next = Configure(command_line, why);
    if (!next) {
      Log(LogLevel::kError, "reload failed, keeping the running configuration: " + why);
    } else {
      if (next->listen != config->listen || next->user != config->user) {
        Log(LogLevel::kWarning,
            "listen addresses and user change only on restart; the rest is reloaded");
      }
      handler.set_options(HandlerOptions(*next));
      server.SetAcl(ManagerAcl(next->allowed_managers));
      view->set_cache_lifetime(next->cache_lifetime);
      system = next->system;
      view->Invalidate();
      config->community = next->community;
      config->allowed_managers = next->allowed_managers;
      config->cache_lifetime = next->cache_lifetime;
      Log(LogLevel::kInfo, "configuration reloaded: " + Describe(*config));
    }
#ifndef _WIN32
    notified(notifier.Ready("listening on " + bound));
#endif
  };

#ifdef SIGHUP
  asio::signal_set signals(io, SIGINT, SIGTERM, SIGHUP);
#else
  asio::signal_set signals(io, SIGINT, SIGTERM);  // Windows: Ctrl+C in a console
#endif
  std::function<void(const asio::error_code&, int)> on_signal = [&](const asio::error_code& ec,
                                                                    int signal) {
    if (ec) return;
#ifdef SIGHUP
    if (signal == SIGHUP) {
      reload();
      signals.async_wait(on_signal);
      return;
    }
#endif
    Log(LogLevel::kInfo, "stopping on signal " + std::to_string(signal));
#ifndef _WIN32
    notified(notifier.Stopping());
#endif
    io.stop();
  };
  signals.async_wait(on_signal);

  // The Windows service reports SERVICE_RUNNING from here.
  if (hooks.serving) {
    hooks.serving(AgentControl{
        [&io] { asio::post(io, [&io] { io.stop(); }); },
        [&io, &reload] { asio::post(io, reload); },
    });
  }

  io.run();
  return 0;
}

}  // namespace mimamori::agent
