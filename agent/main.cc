// mimamori-agent: a read-only SNMP v2c agent serving the standard host MIBs.
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#include "agent/run.h"
#ifdef _WIN32
#include "agent/windows/service.h"
#include "agent/windows/win32_results.h"
#endif

namespace {

constexpr const char* kUsage =
    "usage: mimamori-agent [--config FILE] [--listen udp:HOST:PORT]... [--user USER]\n"
    "                      [--check-config] [--help] [--version]\n"
    "\n"
    "  --config FILE         agent.yaml (default: built-in defaults: udp:0.0.0.0:161 and\n"
    "                        udp:[::]:161, community MieKiban, any manager, cache 5s)\n"
    "  --listen udp:HOST:PORT  listen address; repeatable; replaces the config's list\n"
    "  --user USER           account (or UID[:GID]) to switch to after binding as root\n"
    "  --check-config        validate the configuration and exit\n"
#ifdef _WIN32
    "  --console             run in this console, not as the Windows service\n"
    "                        (also the case when not started by the service manager)\n"
    "\n"
    "Without --config: %ProgramData%\\mimamori\\agent.yaml, created from\n"
    "agent.yaml.default beside the .exe when missing.\n"
#endif
    ;

int AgentMain(int argc, char** argv) {
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
#ifdef _WIN32
    } else if (arg == "--console") {
      command_line.console = true;
#endif
    } else {
      std::fprintf(stderr, "mimamori-agent: unknown option '%s'\n%s", arg.c_str(), kUsage);
      return 2;
    }
  }
#ifdef _WIN32
  return mimamori::agent::RunWindowsAgent(command_line);
#else
  return mimamori::agent::Run(command_line);
#endif
}

}  // namespace

#ifdef _WIN32
// The UTF-16 command line, so that paths outside the ANSI code page survive.
int wmain(int argc, wchar_t** argv) {
  std::vector<std::string> args;
  for (int i = 0; i < argc; ++i) {
    args.push_back(mimamori::agent::win32::Utf8(reinterpret_cast<const char16_t*>(argv[i])));
  }
  std::vector<char*> pointers;
  for (std::string& arg : args) pointers.push_back(arg.data());
  pointers.push_back(nullptr);
  return AgentMain(argc, pointers.data());
}
#else
int main(int argc, char** argv) { return AgentMain(argc, argv); }
#endif
