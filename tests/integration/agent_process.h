// Harness for the integration tests: our agent, Debian's snmpd and the
// Net-SNMP command-line tools as real processes on the loopback interface.
//
// Every wait here is bounded and every child is killed by its owner's
// destructor, so a hung agent fails one test instead of hanging the suite and
// a failed assertion leaves no process behind. Ports are always ephemeral
// (bind to port 0, read it back): several suites, other helpers' tests and a
// long-running snmpd may share the machine.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

namespace mimamori::testing {

/// The community both agents are configured with.
inline constexpr const char* kCommunity = "MieKiban";

/// A private directory under $TMPDIR (or /tmp), removed with its contents by
/// the destructor. Mode 0700: the config files in it are read by the agent
/// before it drops root.
class TempDir {
 public:
  TempDir();
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;

  const std::filesystem::path& path() const { return path_; }
  /// Writes `contents` to path()/name and returns the file's path.
  std::filesystem::path Write(const std::string& name, std::string_view contents) const;

 private:
  std::filesystem::path path_;
};

/// Reads a whole file; "" when it cannot be read.
std::string ReadFile(const std::filesystem::path& path);

struct CommandResult {
  int exit_code = -1;      ///< exit status; 128 + signal when killed; -1: could not start
  bool timed_out = false;  ///< killed because it outlived its deadline
  std::string out;         ///< standard output
  std::string err;         ///< standard error
  /// "exit N" plus the first lines of stderr, for assertion messages.
  std::string Describe() const;
};

/// Runs argv[0] (searched in PATH) with `argv`, stdin from /dev/null, and
/// captures stdout and stderr separately. Beyond `timeout` the command's
/// process group is killed and timed_out is set. `extra_env` entries
/// ("NAME=value") are added to the inherited environment.
CommandResult RunCommand(const std::vector<std::string>& argv,
                         std::chrono::milliseconds timeout = std::chrono::seconds(60),
                         const std::vector<std::string>& extra_env = {});

/// A UDP (or TCP) port that was free on 127.0.0.1 a moment ago: bound to port
/// 0, read back, closed. Only for daemons that cannot bind port 0 themselves
/// (snmpd); a daemon that can, must (our agent does).
std::uint16_t FreeUdpPort();

/// A process started with posix_spawn in its own process group, stdout and
/// stderr sent to files. The destructor stops it (SIGTERM, then SIGKILL).
class ChildProcess {
 public:
  struct Options {
    std::vector<std::string> argv = {};  ///< argv[0] is the program (searched in PATH)
    std::filesystem::path stdout_path = "/dev/null";
    std::filesystem::path stderr_path = "/dev/null";
    std::vector<std::string> extra_env = {};  ///< "NAME=value" added to the environment
  };

  ChildProcess() = default;
  ~ChildProcess();
  ChildProcess(ChildProcess&& other) noexcept;
  ChildProcess& operator=(ChildProcess&& other) noexcept;
  ChildProcess(const ChildProcess&) = delete;
  ChildProcess& operator=(const ChildProcess&) = delete;

  /// Starts the process; nullopt (and `error` set) when posix_spawn fails.
  static std::optional<ChildProcess> Spawn(const Options& options, std::string& error);

  pid_t pid() const { return pid_; }
  /// False once the process has exited (it is then reaped).
  bool Running();
  /// SIGTERM, up to `grace` for it to exit, then SIGKILL to its process group.
  /// Returns the exit status as CommandResult::exit_code does; -1 if never
  /// started. Idempotent.
  int Stop(std::chrono::milliseconds grace = std::chrono::seconds(5));

 private:
  pid_t pid_ = -1;
  int status_ = -1;      // decoded exit status once reaped
  bool reaped_ = false;  // waited for: pid_ may belong to another process now
};

/// How to start mimamori-agent.
struct AgentOptions {
  /// agent.yaml contents; empty: no --config (built-in defaults).
  std::string config_yaml = {};
  std::string listen = "udp:127.0.0.1:0";
  std::string user = "nobody";
  /// Further --listen addresses.
  std::vector<std::string> more_listen = {};
  /// Run the agent through this command (e.g. {"ip", "netns", "exec", NAME}),
  /// which must exec it so that the child's PID stays the agent's.
  std::vector<std::string> command_prefix = {};
};

/// Path of the agent binary under test (MIMAMORI_AGENT_BINARY, overridable
/// with the environment variable of the same name).
std::string AgentBinary();

/// mimamori-agent running on an ephemeral loopback port.
class AgentProcess {
 public:
  /// Starts the agent and waits (at most 15 s) for the "listening on" line
  /// of its log, from which it reads the bound port. nullptr on failure, with
  /// `error` saying why (including the agent's stderr).
  static std::unique_ptr<AgentProcess> Start(const AgentOptions& options, std::string& error);

  ~AgentProcess();
  std::uint16_t port() const { return port_; }
  /// "127.0.0.1:PORT", as the Net-SNMP tools want it.
  std::string endpoint() const;
  pid_t pid() const { return child_.pid(); }
  bool Running() { return child_.Running(); }
  /// What the agent logged so far.
  std::string Log() const;
  int Stop() { return child_.Stop(); }

 private:
  AgentProcess() = default;
  std::unique_ptr<TempDir> dir_;
  ChildProcess child_;
  std::uint16_t port_ = 0;
};

/// Debian's snmpd with a private configuration, on an ephemeral loopback port.
class SnmpdProcess {
 public:
  /// True when an snmpd binary is installed.
  static bool Available();

  /// Starts snmpd with a configuration giving `kCommunity` read access from
  /// 127.0.0.1, filling dskTable for every disk (includeAllDisks) and
  /// setting sysServices as Debian's packaged snmpd.conf does, plus
  /// `extra_config` lines. Waits (bounded) until it answers. nullptr on
  /// failure, with `error` set.
  static std::unique_ptr<SnmpdProcess> Start(std::string& error,
                                             const std::string& extra_config = "");

  ~SnmpdProcess();
  std::uint16_t port() const { return port_; }
  std::string endpoint() const;
  pid_t pid() const { return child_.pid(); }
  bool Running() { return child_.Running(); }
  std::string Log() const;
  int Stop() { return child_.Stop(); }

 private:
  SnmpdProcess() = default;
  std::unique_ptr<TempDir> dir_;
  ChildProcess child_;
  std::uint16_t port_ = 0;
};

/// Options every tool call gets: v2c, our community, one try, no MIB files
/// loaded (numeric OIDs in and out, identical output whatever MIBs the
/// machine has), numeric OIDs.
std::vector<std::string> SnmpBaseOptions(std::string_view community = kCommunity,
                                         std::string_view timeout_seconds = "2");

/// Runs a Net-SNMP tool ("snmpget", "snmpwalk", ...) against `endpoint` as
/// `tool [SnmpBaseOptions()] [options] endpoint [oids]`.
CommandResult SnmpTool(const std::string& tool, const std::string& endpoint,
                       const std::vector<std::string>& options,
                       const std::vector<std::string>& oids,
                       std::chrono::milliseconds timeout = std::chrono::seconds(120));

/// An OID as arcs; compared lexicographically, which is SNMP's order.
using Oid = std::vector<std::uint32_t>;

/// Parses ".1.3.6" or "1.3.6"; nullopt when malformed.
std::optional<Oid> ParseOid(std::string_view text);
/// ".1.3.6".
std::string OidToString(const Oid& oid);
/// True when `prefix` is a (non-strict) prefix of `oid`.
bool OidStartsWith(const Oid& oid, const Oid& prefix);

/// One line of `-On` tool output: ".1.3.6.1.2.1.1.5.0 = STRING: "vm"".
struct VarBind {
  Oid oid;
  /// "INTEGER", "STRING", "Hex-STRING", "OID", "Timeticks", "Counter32",
  /// "Counter64", "Gauge32", "IpAddress", "Opaque", ...; "" for an empty
  /// string (printed as `""`); for an exception the exception's text
  /// ("No Such Object available on this agent at this OID", ...).
  std::string type;
  std::string value;       ///< text after "TYPE: " (continuation lines joined by '\n')
  bool exception = false;  ///< noSuchObject, noSuchInstance or endOfMibView

  /// The value as a number: INTEGER/Counter/Gauge/Timeticks ("(123) 0:00:01.23"
  /// gives 123), "Opaque: Float: 0.43", and strings holding a number ("0.43").
  std::optional<double> Number() const;
  /// The octets of a Hex-STRING or STRING value.
  std::optional<std::string> Octets() const;
  /// "TYPE: value", as the tools print it.
  std::string Text() const;
};

/// Parses `-On` output of snmpget/snmpgetnext/snmpwalk/snmpbulkwalk. Lines
/// that do not start a new variable continue the previous one (long
/// Hex-STRINGs and strings with line breaks span several lines).
std::vector<VarBind> ParseVarBinds(std::string_view output);

/// Reads one counter or scalar with snmpget; nullopt on any failure.
std::optional<double> GetNumber(const std::string& endpoint, const std::string& oid,
                                const std::vector<std::string>& options = {});

/// Polls `predicate` every `interval` until it returns true or `timeout`
/// elapses; returns its last result.
template <typename Predicate>
bool WaitFor(Predicate predicate, std::chrono::milliseconds timeout,
             std::chrono::milliseconds interval = std::chrono::milliseconds(100)) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (true) {
    if (predicate()) return true;
    if (std::chrono::steady_clock::now() >= deadline) return false;
    std::this_thread::sleep_for(interval);
  }
}

/// The first python3 that can import `modules` ("winrm, xmltodict"):
/// Debian's /usr/bin/python3 first, since a pyenv or venv python3 earlier in
/// PATH does not see Debian's packages (aiosmtpd, python3-winrm). nullopt
/// when none can; callers skip.
std::optional<std::string> FindPython(const std::string& modules);

/// Source tree and MIB directory helpers.
std::filesystem::path SourceDir();
/// The standard MIB files (../shared/mibs beside the repository), or nullopt
/// when that directory does not exist.
std::optional<std::filesystem::path> SharedMibDir();

/// MemTotal of /proc/meminfo in kB; 0 when unreadable.
std::uint64_t MemTotalKb();

}  // namespace mimamori::testing
