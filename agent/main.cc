// mimamori-agent: a read-only SNMP v2c agent serving the standard host MIBs.
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>

#include "agent/run.h"

namespace {

constexpr const char* kUsage =
    "usage: mimamori-agent [--config FILE] [--listen udp:HOST:PORT]... [--user USER]\n"
    "                      [--check-config] [--help] [--version]\n"
    "\n"
    "  --config FILE         agent.yaml (default: built-in defaults: udp:0.0.0.0:161 and\n"
    "                        udp:[::]:161, community MieKiban, any manager, cache 5s)\n"
    "  --listen udp:HOST:PORT  listen address; repeatable; replaces the config's list\n"
    "  --user USER           account (or UID[:GID]) to switch to after binding as root\n"
    "  --check-config        validate the configuration and exit\n";

}  // namespace

int main(int argc, char** argv) {
  mimamori::agent::CommandLine command_line;
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    auto value = [&](const char* flag) -> const char* {
      if (i + 1 >= argc) {
        std::fprintf(stderr, "mimamori-agent: %s needs a value\n%s", flag, kUsage);
        std::exit(2);
      }
      return argv[++i];
    };
    if (arg == "--help" || arg == "-h") {
      std::fputs(kUsage, stdout);
      return 0;
    } else if (arg == "--version") {
      std::printf("mimamori-agent %s\n", MIMAMORI_VERSION);
      return 0;
    } else if (arg == "--config" || arg == "-c") {
      command_line.config_path = value("--config");
    } else if (arg == "--listen") {
      command_line.listen.push_back(value("--listen"));
    } else if (arg == "--user") {
      command_line.user = value("--user");
    } else if (arg == "--check-config") {
      command_line.check_config = true;
    } else {
      std::fprintf(stderr, "mimamori-agent: unknown option '%s'\n%s", arg.c_str(), kUsage);
      return 2;
    }
  }
  return mimamori::agent::Run(command_line);
}
