#include "tests/integration/agent_process.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <sstream>
#include <system_error>
#include <thread>
#include <utility>

extern char** environ;

#ifndef MIMAMORI_AGENT_BINARY
#define MIMAMORI_AGENT_BINARY "mimamori-agent"
#endif
#ifndef MIMAMORI_SOURCE_DIR
#define MIMAMORI_SOURCE_DIR "."
#endif

namespace mimamori::testing {

using namespace std::chrono_literals;

namespace {

using Clock = std::chrono::steady_clock;

int DecodeStatus(int status) {
  if (WIFEXITED(status)) return WEXITSTATUS(status);
  if (WIFSIGNALED(status)) return 128 + WTERMSIG(status);
  return -1;
}

// The inherited environment with `extra` ("NAME=value") added or replacing
// variables of the same name. The strings live as long as the vector.
std::vector<std::string> MergedEnvironment(const std::vector<std::string>& extra) {
  std::vector<std::string> merged;
  for (char** entry = environ; entry != nullptr && *entry != nullptr; ++entry) {
    const std::string_view text(*entry);
    const std::string_view name = text.substr(0, text.find('='));
    bool replaced = false;
    for (const std::string& e : extra) {
      if (std::string_view(e).substr(0, e.find('=')) == name) replaced = true;
    }
    if (!replaced) merged.emplace_back(text);
  }
  merged.insert(merged.end(), extra.begin(), extra.end());
  return merged;
}

std::vector<char*> Pointers(std::vector<std::string>& strings) {
  std::vector<char*> pointers;
  pointers.reserve(strings.size() + 1);
  for (std::string& s : strings) pointers.push_back(s.data());
  pointers.push_back(nullptr);
  return pointers;
}

// posix_spawn attributes shared by every child: its own process group (so
// that a timeout can kill whatever it started too) and default signal
// handling (gtest's process may block or ignore some).
class SpawnAttributes {
 public:
  SpawnAttributes() {
    posix_spawnattr_init(&attr_);
    sigset_t empty;
    sigemptyset(&empty);
    sigset_t defaults;
    sigemptyset(&defaults);
    sigaddset(&defaults, SIGPIPE);
    sigaddset(&defaults, SIGTERM);
    sigaddset(&defaults, SIGINT);
    sigaddset(&defaults, SIGHUP);
    posix_spawnattr_setsigmask(&attr_, &empty);
    posix_spawnattr_setsigdefault(&attr_, &defaults);
    posix_spawnattr_setpgroup(&attr_, 0);
    posix_spawnattr_setflags(
        &attr_,
        static_cast<short>(POSIX_SPAWN_SETPGROUP | POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF));
  }
  ~SpawnAttributes() { posix_spawnattr_destroy(&attr_); }
  SpawnAttributes(const SpawnAttributes&) = delete;
  SpawnAttributes& operator=(const SpawnAttributes&) = delete;
  const posix_spawnattr_t* get() const { return &attr_; }

 private:
  posix_spawnattr_t attr_;
};

class FileActions {
 public:
  FileActions() { posix_spawn_file_actions_init(&actions_); }
  ~FileActions() { posix_spawn_file_actions_destroy(&actions_); }
  FileActions(const FileActions&) = delete;
  FileActions& operator=(const FileActions&) = delete;
  posix_spawn_file_actions_t* get() { return &actions_; }

 private:
  posix_spawn_file_actions_t actions_;
};

// True once the child `pid` has exited (or is not our child); it is left
// unreaped, so that its process group id cannot be reused yet.
bool HasExited(pid_t pid) {
  siginfo_t info{};
  if (::waitid(P_PID, static_cast<id_t>(pid), &info, WEXITED | WNOHANG | WNOWAIT) != 0)
    return errno != EINTR;
  return info.si_pid == pid;
}

// Kills whatever is left in `pid`'s process group (a daemonised grandchild
// would outlive the test), then reaps `pid` and returns its exit status.
int KillGroupAndReap(pid_t pid) {
  ::kill(-pid, SIGKILL);
  ::kill(pid, SIGKILL);
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  return DecodeStatus(status);
}

// SIGTERM, at most `grace` to exit, then SIGKILL to the whole group.
int TerminateAndReap(pid_t pid, std::chrono::milliseconds grace) {
  ::kill(pid, SIGTERM);
  WaitFor([&] { return HasExited(pid); }, grace, 10ms);
  return KillGroupAndReap(pid);
}

bool IsDigit(char c) { return c >= '0' && c <= '9'; }

std::string_view Trim(std::string_view text) {
  while (!text.empty() && (text.front() == ' ' || text.front() == '\t')) text.remove_prefix(1);
  while (!text.empty() &&
         (text.back() == ' ' || text.back() == '\t' || text.back() == '\r' || text.back() == '\n'))
    text.remove_suffix(1);
  return text;
}

std::optional<double> ParseDouble(std::string_view text) {
  text = Trim(text);
  if (text.empty()) return std::nullopt;
  const std::string copy(text);
  char* end = nullptr;
  errno = 0;
  const double value = std::strtod(copy.c_str(), &end);
  if (end == copy.c_str() || errno != 0) return std::nullopt;
  // Allow a trailing unit ("24684084 kB" when a MIB adds a display hint).
  if (*end != '\0' && *end != ' ') return std::nullopt;
  return value;
}

std::optional<std::filesystem::path> FindInPath(const std::string& program,
                                                const std::vector<std::string>& also) {
  std::vector<std::string> dirs;
  if (const char* path = std::getenv("PATH")) {
    std::stringstream stream(path);
    std::string dir;
    while (std::getline(stream, dir, ':'))
      if (!dir.empty()) dirs.push_back(dir);
  }
  dirs.insert(dirs.end(), also.begin(), also.end());
  for (const std::string& dir : dirs) {
    const std::filesystem::path candidate = std::filesystem::path(dir) / program;
    if (::access(candidate.c_str(), X_OK) == 0) return candidate;
  }
  return std::nullopt;
}

}  // namespace

// ---------------------------------------------------------------- TempDir

TempDir::TempDir() {
  const char* base = std::getenv("TMPDIR");
  std::string templ =
      std::string(base != nullptr && *base != '\0' ? base : "/tmp") + "/mimamori-it-XXXXXX";
  if (::mkdtemp(templ.data()) == nullptr)
    throw std::system_error(errno, std::generic_category(), "mkdtemp " + templ);
  path_ = templ;
}

TempDir::~TempDir() {
  std::error_code ignored;
  std::filesystem::remove_all(path_, ignored);
}

std::filesystem::path TempDir::Write(const std::string& name, std::string_view contents) const {
  const std::filesystem::path file = path_ / name;
  std::ofstream out(file, std::ios::binary | std::ios::trunc);
  out.write(contents.data(), static_cast<std::streamsize>(contents.size()));
  return file;
}

std::string ReadFile(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return "";
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

// ------------------------------------------------------------- RunCommand

std::string CommandResult::Describe() const {
  std::string text = timed_out ? "timed out" : "exit " + std::to_string(exit_code);
  if (!err.empty()) text += "; stderr: " + err.substr(0, 2000);
  return text;
}

CommandResult RunCommand(const std::vector<std::string>& argv, std::chrono::milliseconds timeout,
                         const std::vector<std::string>& extra_env) {
  CommandResult result;
  if (argv.empty()) return result;
  int out_pipe[2];
  int err_pipe[2];
  if (::pipe2(out_pipe, O_CLOEXEC) != 0) return result;
  if (::pipe2(err_pipe, O_CLOEXEC) != 0) {
    ::close(out_pipe[0]);
    ::close(out_pipe[1]);
    return result;
  }
  FileActions actions;
  posix_spawn_file_actions_addopen(actions.get(), 0, "/dev/null", O_RDONLY, 0);
  posix_spawn_file_actions_adddup2(actions.get(), out_pipe[1], 1);
  posix_spawn_file_actions_adddup2(actions.get(), err_pipe[1], 2);
  SpawnAttributes attributes;
  std::vector<std::string> args = argv;
  std::vector<std::string> env = MergedEnvironment(extra_env);
  std::vector<char*> arg_pointers = Pointers(args);
  std::vector<char*> env_pointers = Pointers(env);
  pid_t pid = -1;
  const int spawn_error = ::posix_spawnp(&pid, args[0].c_str(), actions.get(), attributes.get(),
                                         arg_pointers.data(), env_pointers.data());
  ::close(out_pipe[1]);
  ::close(err_pipe[1]);
  if (spawn_error != 0) {
    ::close(out_pipe[0]);
    ::close(err_pipe[0]);
    result.err = "cannot run " + argv[0] + ": " + std::strerror(spawn_error);
    return result;
  }

  const auto deadline = Clock::now() + timeout;
  pollfd fds[2] = {{out_pipe[0], POLLIN, 0}, {err_pipe[0], POLLIN, 0}};
  std::string* sinks[2] = {&result.out, &result.err};
  int open_fds = 2;
  char buffer[65536];
  while (open_fds > 0) {
    const auto left =
        std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
    if (left <= 0ms) {
      result.timed_out = true;
      break;
    }
    const int ready = ::poll(fds, 2, static_cast<int>(std::min<std::int64_t>(left.count(), 1000)));
    if (ready < 0 && errno != EINTR) break;
    for (int i = 0; i < 2; ++i) {
      if (fds[i].fd < 0 || fds[i].revents == 0) continue;
      const ssize_t n = ::read(fds[i].fd, buffer, sizeof buffer);
      if (n > 0) {
        sinks[i]->append(buffer, static_cast<std::size_t>(n));
      } else if (n == 0 || (errno != EINTR && errno != EAGAIN)) {
        ::close(fds[i].fd);
        fds[i].fd = -1;
        --open_fds;
      }
    }
  }
  for (pollfd& fd : fds)
    if (fd.fd >= 0) ::close(fd.fd);

  // Both pipes closed: the command has normally exited; give it until the
  // deadline to do so, then kill it.
  if (!result.timed_out && !WaitFor([&] { return HasExited(pid); },
                                    std::chrono::duration_cast<std::chrono::milliseconds>(
                                        std::max(deadline - Clock::now(), Clock::duration::zero())),
                                    5ms))
    result.timed_out = true;
  result.exit_code = result.timed_out ? TerminateAndReap(pid, 0ms) : KillGroupAndReap(pid);
  return result;
}

std::uint16_t FreeUdpPort() {
  const int fd = ::socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return 0;
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  address.sin_port = 0;
  socklen_t length = sizeof address;
  std::uint16_t port = 0;
  if (::bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) == 0 &&
      ::getsockname(fd, reinterpret_cast<sockaddr*>(&address), &length) == 0)
    port = ntohs(address.sin_port);
  ::close(fd);
  return port;
}

// ----------------------------------------------------------- ChildProcess

ChildProcess::~ChildProcess() { Stop(); }

ChildProcess::ChildProcess(ChildProcess&& other) noexcept
    : pid_(std::exchange(other.pid_, -1)),
      status_(std::exchange(other.status_, -1)),
      reaped_(std::exchange(other.reaped_, false)) {}

ChildProcess& ChildProcess::operator=(ChildProcess&& other) noexcept {
  if (this != &other) {
    Stop();
    pid_ = std::exchange(other.pid_, -1);
    status_ = std::exchange(other.status_, -1);
    reaped_ = std::exchange(other.reaped_, false);
  }
  return *this;
}

std::optional<ChildProcess> ChildProcess::Spawn(const Options& options, std::string& error) {
  if (options.argv.empty()) {
    error = "no program";
    return std::nullopt;
  }
  FileActions actions;
  posix_spawn_file_actions_addopen(actions.get(), 0, "/dev/null", O_RDONLY, 0);
  posix_spawn_file_actions_addopen(actions.get(), 1, options.stdout_path.c_str(),
                                   O_WRONLY | O_CREAT | O_APPEND, 0644);
  posix_spawn_file_actions_addopen(actions.get(), 2, options.stderr_path.c_str(),
                                   O_WRONLY | O_CREAT | O_APPEND, 0644);
  SpawnAttributes attributes;
  std::vector<std::string> args = options.argv;
  std::vector<std::string> env = MergedEnvironment(options.extra_env);
  std::vector<char*> arg_pointers = Pointers(args);
  std::vector<char*> env_pointers = Pointers(env);
  ChildProcess child;
  const int spawn_error =
      ::posix_spawnp(&child.pid_, args[0].c_str(), actions.get(), attributes.get(),
                     arg_pointers.data(), env_pointers.data());
  if (spawn_error != 0) {
    child.pid_ = -1;
    error = "cannot start " + args[0] + ": " + std::strerror(spawn_error);
    return std::nullopt;
  }
  return child;
}

bool ChildProcess::Running() {
  if (pid_ < 0 || reaped_) return false;
  if (!HasExited(pid_)) return true;
  status_ = KillGroupAndReap(pid_);
  reaped_ = true;
  return false;
}

int ChildProcess::Stop(std::chrono::milliseconds grace) {
  if (pid_ < 0) return -1;
  if (Running()) {
    status_ = TerminateAndReap(pid_, grace);
    reaped_ = true;
  }
  return status_;
}

// ----------------------------------------------------------- AgentProcess

std::string AgentBinary() {
  if (const char* path = std::getenv("MIMAMORI_AGENT_BINARY"); path != nullptr && *path != '\0')
    return path;
  return MIMAMORI_AGENT_BINARY;
}

std::unique_ptr<AgentProcess> AgentProcess::Start(const AgentOptions& options, std::string& error) {
  std::unique_ptr<AgentProcess> agent(new AgentProcess());
  agent->dir_ = std::make_unique<TempDir>();
  ChildProcess::Options spawn;
  spawn.argv = options.command_prefix;
  for (const std::string& arg : {AgentBinary(), std::string("--listen"), options.listen,
                                 std::string("--user"), options.user})
    spawn.argv.push_back(arg);
  for (const std::string& listen : options.more_listen) {
    spawn.argv.push_back("--listen");
    spawn.argv.push_back(listen);
  }
  if (!options.config_yaml.empty()) {
    spawn.argv.push_back("--config");
    spawn.argv.push_back(agent->dir_->Write("agent.yaml", options.config_yaml).string());
  }
  spawn.stderr_path = agent->dir_->path() / "agent.log";
  spawn.stdout_path = agent->dir_->path() / "agent.out";
  std::optional<ChildProcess> child = ChildProcess::Spawn(spawn, error);
  if (!child) return nullptr;
  agent->child_ = std::move(*child);

  // The first log line names the bound endpoint(s):
  //   ... info: mimamori-agent 0.1.0 listening on udp:127.0.0.1:60446 (...)
  bool exited = false;
  WaitFor(
      [&] {
        const std::string log = agent->Log();
        const std::size_t at = log.find("listening on ");
        if (at != std::string::npos) {
          const std::size_t begin = at + std::strlen("listening on ");
          const std::size_t end = log.find_first_of(" ,(\n", begin);
          const std::string endpoint = log.substr(begin, end - begin);
          const std::size_t colon = endpoint.rfind(':');
          unsigned port = 0;
          if (colon != std::string::npos) {
            const char* first = endpoint.data() + colon + 1;
            const char* last = endpoint.data() + endpoint.size();
            std::from_chars(first, last, port);
          }
          if (port > 0 && port < 65536) {
            agent->port_ = static_cast<std::uint16_t>(port);
            return true;
          }
        }
        exited = !agent->child_.Running();
        return exited;
      },
      15s, 10ms);
  if (agent->port_ == 0) {
    error = std::string(exited ? "mimamori-agent exited" : "mimamori-agent did not log its port") +
            " (" + AgentBinary() + "); its log:\n" + agent->Log();
    return nullptr;
  }
  return agent;
}

AgentProcess::~AgentProcess() { child_.Stop(); }

std::string AgentProcess::endpoint() const { return "127.0.0.1:" + std::to_string(port_); }

std::string AgentProcess::Log() const { return ReadFile(dir_->path() / "agent.log"); }

// ----------------------------------------------------------- SnmpdProcess

namespace {
std::optional<std::filesystem::path> SnmpdBinary() {
  return FindInPath("snmpd", {"/usr/sbin", "/usr/local/sbin", "/sbin"});
}
}  // namespace

bool SnmpdProcess::Available() { return SnmpdBinary().has_value(); }

std::unique_ptr<SnmpdProcess> SnmpdProcess::Start(std::string& error,
                                                  const std::string& extra_config) {
  const std::optional<std::filesystem::path> binary = SnmpdBinary();
  if (!binary) {
    error = "snmpd is not installed";
    return nullptr;
  }
  // The port is chosen by us and bound by snmpd a moment later; another
  // process may take it in between, so try a few ports.
  for (int attempt = 0; attempt < 3; ++attempt) {
    std::unique_ptr<SnmpdProcess> snmpd(new SnmpdProcess());
    snmpd->dir_ = std::make_unique<TempDir>();
    const std::filesystem::path& dir = snmpd->dir_->path();
    std::filesystem::create_directory(dir / "persist");
    // - rocommunity: read-only, from 127.0.0.1 only, the whole tree.
    // - includeAllDisks: dskTable rows for every file system, as our agent
    //   always has them.
    // - sysServices 72: Debian's packaged snmpd.conf sets it (this build
    //   answers noSuchInstance without it); our agent answers 72 as well.
    // - no connection logging: each request would add a log line.
    const std::string config = std::string("rocommunity ") + kCommunity +
                               " 127.0.0.1\n"
                               "includeAllDisks 10%\n"
                               "sysServices 72\n"
                               "dontLogTCPWrappersConnects yes\n" +
                               extra_config + "\n";
    const std::filesystem::path config_path = snmpd->dir_->Write("snmpd.conf", config);
    const std::uint16_t port = FreeUdpPort();
    if (port == 0) {
      error = "no free UDP port";
      return nullptr;
    }
    ChildProcess::Options spawn;
    // -f: foreground; -C -c: only our config; -I: skip modules that need
    // a master agent or would write traps; -Lf: log to our directory.
    spawn.argv = {binary->string(),
                  "-f",
                  "-Lf",
                  (dir / "snmpd.log").string(),
                  "-C",
                  "-c",
                  config_path.string(),
                  "-I",
                  "-smux,mteTrigger,mteTriggerConf",
                  "-p",
                  (dir / "snmpd.pid").string(),
                  "udp:127.0.0.1:" + std::to_string(port)};
    spawn.stdout_path = dir / "snmpd.out";
    spawn.stderr_path = dir / "snmpd.out";
    // Persistent state (engine boots, ...) goes to our directory, not to
    // /var/lib/snmp; no MIB files: snmpd needs none and would log about
    // every missing one.
    spawn.extra_env = {"SNMP_PERSISTENT_DIR=" + (dir / "persist").string(), "MIBS=", "MIBDIRS="};
    std::optional<ChildProcess> child = ChildProcess::Spawn(spawn, error);
    if (!child) return nullptr;
    snmpd->child_ = std::move(*child);
    snmpd->port_ = port;

    const bool answered = WaitFor(
        [&] {
          if (!snmpd->child_.Running()) return true;
          const CommandResult get =
              SnmpTool("snmpget", snmpd->endpoint(), {"-t", "0.3"}, {".1.3.6.1.2.1.1.3.0"}, 5s);
          return get.exit_code == 0 && get.out.find("Timeticks") != std::string::npos;
        },
        20s, 50ms);
    if (answered && snmpd->child_.Running()) return snmpd;
    error = std::string(snmpd->child_.Running() ? "snmpd did not answer" : "snmpd exited") +
            " on port " + std::to_string(port) + "; its log:\n" + snmpd->Log();
  }
  return nullptr;
}

SnmpdProcess::~SnmpdProcess() { child_.Stop(); }

std::string SnmpdProcess::endpoint() const { return "127.0.0.1:" + std::to_string(port_); }

std::string SnmpdProcess::Log() const {
  return ReadFile(dir_->path() / "snmpd.log") + ReadFile(dir_->path() / "snmpd.out");
}

// -------------------------------------------------------------- SNMP tools

std::vector<std::string> SnmpBaseOptions(std::string_view community,
                                         std::string_view timeout_seconds) {
  return {"-v2c", "-c", std::string(community), "-r0", "-t", std::string(timeout_seconds), "-On",
          "-m",   ""};
}

CommandResult SnmpTool(const std::string& tool, const std::string& endpoint,
                       const std::vector<std::string>& options,
                       const std::vector<std::string>& oids, std::chrono::milliseconds timeout) {
  std::vector<std::string> argv = {tool};
  for (std::string& option : SnmpBaseOptions()) argv.push_back(std::move(option));
  argv.insert(argv.end(), options.begin(), options.end());
  argv.push_back(endpoint);
  argv.insert(argv.end(), oids.begin(), oids.end());
  return RunCommand(argv, timeout);
}

std::optional<Oid> ParseOid(std::string_view text) {
  if (!text.empty() && text.front() == '.') text.remove_prefix(1);
  if (text.empty()) return std::nullopt;
  Oid oid;
  while (!text.empty()) {
    std::uint32_t arc = 0;
    const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), arc);
    if (ec != std::errc() || end == text.data()) return std::nullopt;
    oid.push_back(arc);
    text.remove_prefix(static_cast<std::size_t>(end - text.data()));
    if (text.empty()) break;
    if (text.front() != '.' || text.size() == 1) return std::nullopt;
    text.remove_prefix(1);
  }
  return oid;
}

std::string OidToString(const Oid& oid) {
  std::string text;
  for (const std::uint32_t arc : oid) text += "." + std::to_string(arc);
  return text;
}

bool OidStartsWith(const Oid& oid, const Oid& prefix) {
  return oid.size() >= prefix.size() && std::equal(prefix.begin(), prefix.end(), oid.begin());
}

std::optional<double> VarBind::Number() const {
  if (exception) return std::nullopt;
  std::string_view text = value;
  if (type == "Timeticks") {
    // "(12345) 0:02:03.45"
    if (text.empty() || text.front() != '(') return std::nullopt;
    return ParseDouble(text.substr(1, text.find(')') - 1));
  }
  if (type == "Opaque") {
    // "Float: 0.434082" / "Double: ..." / "UInt64: ..."
    const std::size_t colon = text.find(": ");
    return colon == std::string_view::npos ? std::nullopt : ParseDouble(text.substr(colon + 2));
  }
  if (type == "STRING") {
    if (text.size() >= 2 && text.front() == '"' && text.back() == '"')
      text = text.substr(1, text.size() - 2);
    return ParseDouble(text);
  }
  // INTEGER with an enumeration label when MIBs are loaded: "up(1)".
  if (const std::size_t open = text.find('(');
      open != std::string_view::npos && open > 0 && !IsDigit(text.front()) && text.front() != '-') {
    return ParseDouble(text.substr(open + 1, text.find(')', open) - open - 1));
  }
  return ParseDouble(text);
}

std::optional<std::string> VarBind::Octets() const {
  if (exception) return std::nullopt;
  if (type == "STRING") {
    std::string_view text = value;
    if (text.size() >= 2 && text.front() == '"' && text.back() == '"')
      text = text.substr(1, text.size() - 2);
    // The tools escape '"' and '\\' inside quoted strings with a backslash.
    std::string octets;
    for (std::size_t i = 0; i < text.size(); ++i) {
      if (text[i] == '\\' && i + 1 < text.size()) ++i;
      octets.push_back(text[i]);
    }
    return octets;
  }
  if (type == "Hex-STRING") {
    std::string octets;
    std::istringstream in(value);
    std::string byte;
    while (in >> byte) {
      unsigned v = 0;
      const auto [end, ec] = std::from_chars(byte.data(), byte.data() + byte.size(), v, 16);
      if (ec != std::errc() || end != byte.data() + byte.size() || v > 255) return std::nullopt;
      octets.push_back(static_cast<char>(v));
    }
    return octets;
  }
  return std::nullopt;
}

std::string VarBind::Text() const { return exception ? type : type + ": " + value; }

std::vector<VarBind> ParseVarBinds(std::string_view output) {
  std::vector<VarBind> binds;
  std::size_t pos = 0;
  while (pos < output.size()) {
    std::size_t end = output.find('\n', pos);
    if (end == std::string_view::npos) end = output.size();
    const std::string_view line = output.substr(pos, end - pos);
    pos = end + 1;

    // A new variable: ".1.3.6... = ...".
    const std::size_t equals = line.find(" = ");
    std::optional<Oid> oid;
    if (equals != std::string_view::npos && !line.empty() && line.front() == '.')
      oid = ParseOid(line.substr(0, equals));
    if (!oid) {
      if (!binds.empty()) binds.back().value += "\n" + std::string(line);
      continue;
    }
    VarBind bind;
    bind.oid = std::move(*oid);
    const std::string_view rest = line.substr(equals + 3);
    if (rest.starts_with("No Such Object") || rest.starts_with("No Such Instance") ||
        rest.starts_with("No more variables")) {
      bind.exception = true;
      bind.type = std::string(rest);
    } else if (rest.starts_with("\"")) {
      // An empty octet string is printed as just "".
      bind.type = "STRING";
      bind.value = std::string(rest);
    } else if (const std::size_t colon = rest.find(": "); colon != std::string_view::npos) {
      bind.type = std::string(rest.substr(0, colon));
      bind.value = std::string(rest.substr(colon + 2));
    } else {
      bind.type = std::string(rest);
    }
    binds.push_back(std::move(bind));
  }
  // Strip the trailing whitespace the tools leave on Hex-STRING lines.
  for (VarBind& bind : binds) bind.value = std::string(Trim(bind.value));
  return binds;
}

std::optional<double> GetNumber(const std::string& endpoint, const std::string& oid,
                                const std::vector<std::string>& options) {
  const CommandResult get = SnmpTool("snmpget", endpoint, options, {oid}, 10s);
  if (get.exit_code != 0) return std::nullopt;
  const std::vector<VarBind> binds = ParseVarBinds(get.out);
  if (binds.size() != 1) return std::nullopt;
  return binds[0].Number();
}

std::optional<std::string> FindPython(const std::string& modules) {
  for (const char* python : {"/usr/bin/python3", "python3"}) {
    if (RunCommand({python, "-c", "import " + modules}, std::chrono::seconds(30)).exit_code == 0)
      return python;
  }
  return std::nullopt;
}

std::filesystem::path SourceDir() { return MIMAMORI_SOURCE_DIR; }

std::optional<std::filesystem::path> SharedMibDir() {
  std::error_code ignored;
  const std::filesystem::path dir = SourceDir() / ".." / "shared" / "mibs";
  if (!std::filesystem::is_directory(dir, ignored)) return std::nullopt;
  return std::filesystem::weakly_canonical(dir, ignored);
}

std::uint64_t MemTotalKb() {
  std::istringstream in(ReadFile("/proc/meminfo"));
  std::string line;
  while (std::getline(in, line)) {
    if (!line.starts_with("MemTotal:")) continue;
    const std::optional<double> kb = ParseDouble(line.substr(9, line.find(" kB") - 9));
    return kb ? static_cast<std::uint64_t>(*kb) : 0;
  }
  return 0;
}

}  // namespace mimamori::testing
