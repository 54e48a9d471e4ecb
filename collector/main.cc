// mimamori-collector: watches the platform's nodes and publishes their state.
#include <cstdio>
#include <cstdlib>
#include <string>

#include "collector/run.h"

namespace {

constexpr const char* kUsage =
    "usage: mimamori-collector --config FILE [--metrics-listen HOST:PORT]\n"
    "       mimamori-collector --check-config FILE\n"
    "       mimamori-collector --config FILE --once [--json]\n"
    "\n"
    "  --config FILE          the inventory (see docs/inventory.md)\n"
    "  --check-config FILE    validate the inventory, print every error, exit\n"
    "  --once                 run every monitor once, print the results, exit 1 if any failed\n"
    "  --json                 with --once: print JSON\n"
    "  --metrics-listen ADDR  serve /metrics and /healthz here (default from the inventory)\n"
    "  --collector-name NAME  this collector's name in an HA pair (default: the host name)\n";

}  // namespace

int main(int argc, char** argv) {
  mimamori::collector::CommandLine command_line;
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    auto value = [&](const char* flag) -> std::string {
      if (i + 1 >= argc) {
        std::fprintf(stderr, "mimamori-collector: %s needs a value\n%s", flag, kUsage);
        std::exit(2);
      }
      return argv[++i];
    };
    if (arg == "--help" || arg == "-h") {
      std::fputs(kUsage, stdout);
      return 0;
    } else if (arg == "--version") {
      std::printf("mimamori-collector %s\n", MIMAMORI_VERSION);
      return 0;
    } else if (arg == "--config" || arg == "-c") {
      command_line.config_path = value("--config");
    } else if (arg == "--check-config") {
      command_line.check_config = true;
      command_line.config_path = value("--check-config");
    } else if (arg == "--once") {
      command_line.once = true;
    } else if (arg == "--json") {
      command_line.json = true;
    } else if (arg == "--metrics-listen") {
      command_line.metrics_listen = value("--metrics-listen");
    } else if (arg == "--collector-name") {
      command_line.collector_name = value("--collector-name");
    } else {
      std::fprintf(stderr, "mimamori-collector: unknown option '%s'\n%s", arg.c_str(), kUsage);
      return 2;
    }
  }
  if (command_line.config_path.empty()) {
    std::fprintf(stderr, "mimamori-collector: --config FILE is required\n%s", kUsage);
    return 2;
  }
  return mimamori::collector::Run(command_line);
}
