#include "tests/support/private_postgres.h"

#include <dirent.h>
#include <fcntl.h>
#include <grp.h>
#include <libpq-fe.h>
#include <pwd.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <deque>
#include <filesystem>
#include <fstream>
#include <optional>
#include <sstream>
#include <thread>
#include <vector>

namespace mimamori::testing {
namespace {

namespace fs = std::filesystem;
using std::chrono::steady_clock;

constexpr const char* kSuperuser = "mimamori";
// Only the file name of the socket depends on it: no TCP port is opened.
constexpr int kPort = 5432;
// How long initdb, a start, a stop may take on a loaded CI machine.
constexpr auto kProcessTimeout = std::chrono::seconds(60);
// Readiness and exit are polled: the server is a real process, and there is
// nothing to wait on but its socket and its exit status.
constexpr auto kPollInterval = std::chrono::milliseconds(20);

bool IsExecutable(const fs::path& file) { return ::access(file.c_str(), X_OK) == 0; }

bool HasServerBinaries(const fs::path& dir) {
  return !dir.empty() && IsExecutable(dir / "initdb") && IsExecutable(dir / "postgres");
}

// "15" < "16"; a directory that is not a number sorts first.
long VersionOf(const std::string& name) {
  char* end = nullptr;
  const long v = std::strtol(name.c_str(), &end, 10);
  return end != name.c_str() ? v : -1;
}

std::string PgConfigBindir() {
  FILE* pipe = ::popen("pg_config --bindir 2>/dev/null", "r");
  if (pipe == nullptr) return "";
  char line[4096] = {};
  const bool got = std::fgets(line, sizeof line, pipe) != nullptr;
  ::pclose(pipe);
  if (!got) return "";
  std::string dir(line);
  while (!dir.empty() && (dir.back() == '\n' || dir.back() == '\r')) dir.pop_back();
  return dir;
}

std::optional<std::string> FindBinDir() {
  if (const char* env = std::getenv("MIMAMORI_PG_BINDIR"); env != nullptr && *env != '\0') {
    if (HasServerBinaries(env)) return std::string(env);
    return std::nullopt;  // an explicit choice that does not work is not overridden
  }
  std::error_code ec;
  fs::path best;
  long best_version = -2;
  for (const auto& entry : fs::directory_iterator("/usr/lib/postgresql", ec)) {
    const long v = VersionOf(entry.path().filename().string());
    if (v > best_version && HasServerBinaries(entry.path() / "bin")) {
      best = entry.path() / "bin";
      best_version = v;
    }
  }
  if (!best.empty()) return best.string();
  if (const std::string dir = PgConfigBindir(); HasServerBinaries(dir)) return dir;
  if (const char* path = std::getenv("PATH"); path != nullptr) {
    std::stringstream parts(path);
    std::string dir;
    while (std::getline(parts, dir, ':')) {
      if (HasServerBinaries(dir)) return dir;
    }
  }
  return std::nullopt;
}

struct ServerUser {
  bool drop = false;  // the test is root: run the server as uid/gid
  uid_t uid = 0;
  gid_t gid = 0;
  std::string name;
};

std::optional<ServerUser> ResolveUser(std::string* why) {
  ServerUser user;
  if (::geteuid() != 0) return user;
  const char* env = std::getenv("MIMAMORI_TEST_PG_USER");
  user.name = env != nullptr && *env != '\0' ? env : "nobody";
  const passwd* pw = ::getpwnam(user.name.c_str());
  if (pw == nullptr || pw->pw_uid == 0) {
    if (why) {
      *why = "PostgreSQL refuses to run as root and there is no unprivileged user \"" + user.name +
             "\" to run it as (set MIMAMORI_TEST_PG_USER to one)";
    }
    return std::nullopt;
  }
  user.drop = true;
  user.uid = pw->pw_uid;
  user.gid = pw->pw_gid;
  return user;
}

// The directory for the cluster and its socket. A socket path is limited to
// sizeof(sun_path); and when the server drops to another user every parent
// must be searchable by it, which /tmp is and a root's TMPDIR may not be.
std::string TemporaryParent(bool drop) {
  const char* env = std::getenv("TMPDIR");
  if (!drop && env != nullptr && *env == '/' &&
      std::strlen(env) + sizeof("/mimamori-pg-XXXXXX/.s.PGSQL.5432") <
          sizeof(sockaddr_un{}.sun_path)) {
    return env;
  }
  return "/tmp";
}

// A libpq connection-string value, quoted only when it must be.
std::string QuoteValue(const std::string& value) {
  if (!value.empty() && value.find_first_of(" '\\") == std::string::npos) return value;
  std::string out = "'";
  for (char c : value) {
    if (c == '\'' || c == '\\') out += '\\';
    out += c;
  }
  return out + "'";
}

std::string ReadTail(const fs::path& file, std::size_t lines) {
  std::ifstream in(file);
  std::deque<std::string> last;
  std::string line;
  while (std::getline(in, line)) {
    last.push_back(line);
    if (last.size() > lines) last.pop_front();
  }
  std::string out;
  for (const auto& l : last) out += l + "\n";
  return out;
}

std::string DescribeStatus(int status) {
  if (WIFEXITED(status)) return "exit status " + std::to_string(WEXITSTATUS(status));
  if (WIFSIGNALED(status)) return std::string("killed by signal ") + strsignal(WTERMSIG(status));
  return "status " + std::to_string(status);
}

// fork + exec of `argv` with stdout and stderr appended to `log`, in `cwd`,
// as the server user. Everything the child needs is prepared here: between
// fork and exec only async-signal-safe calls are made.
pid_t Spawn(const std::vector<std::string>& args, const std::string& log, const std::string& cwd,
            const ServerUser& user, bool own_session) {
  std::vector<char*> argv;
  for (const auto& a : args) argv.push_back(const_cast<char*>(a.c_str()));
  argv.push_back(nullptr);
  const pid_t parent = ::getpid();
  const pid_t pid = ::fork();
  if (pid != 0) return pid;  // the parent, or -1

  sigset_t none;
  ::sigemptyset(&none);
  ::sigprocmask(SIG_SETMASK, &none, nullptr);
  if (own_session) ::setsid();
  const int in = ::open("/dev/null", O_RDONLY | O_CLOEXEC);
  const int out = ::open(log.c_str(), O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644);
  if (in < 0 || out < 0 || ::dup2(in, 0) < 0 || ::dup2(out, 1) < 0 || ::dup2(out, 2) < 0) {
    ::_exit(126);
  }
  if (::chdir(cwd.c_str()) != 0) ::_exit(126);
  if (user.drop) {
    if (::setgroups(0, nullptr) != 0 || ::setgid(user.gid) != 0 || ::setuid(user.uid) != 0) {
      constexpr char kMessage[] = "private_postgres: cannot drop privileges\n";
      [[maybe_unused]] ssize_t n = ::write(2, kMessage, sizeof kMessage - 1);
      ::_exit(126);
    }
  }
  // After the credentials change, which clears it. A test killed by ctest's
  // timeout must not leave a server behind.
  ::prctl(PR_SET_PDEATHSIG, SIGKILL);
  if (::getppid() != parent) ::_exit(126);
  ::execv(argv[0], argv.data());
  ::_exit(127);
}

// Waits for `pid` up to `timeout`; its wait status, or nullopt on timeout.
std::optional<int> WaitFor(pid_t pid, std::chrono::milliseconds timeout) {
  const auto deadline = steady_clock::now() + timeout;
  while (true) {
    int status = 0;
    const pid_t r = ::waitpid(pid, &status, WNOHANG);
    if (r == pid) return status;
    if (r < 0 && errno != EINTR) return -1;
    if (steady_clock::now() >= deadline) return std::nullopt;
    std::this_thread::sleep_for(kPollInterval);
  }
}

// A process's state letter and parent from /proc/<pid>/stat; state 0 when
// it is gone.
struct ProcState {
  char state = 0;
  long ppid = 0;
};

ProcState ReadProcState(const std::string& pid) {
  std::ifstream stat("/proc/" + pid + "/stat");
  std::string content((std::istreambuf_iterator<char>(stat)), std::istreambuf_iterator<char>());
  // pid (comm) state ppid ...: comm may hold spaces and parentheses.
  const auto close = content.rfind(')');
  ProcState out;
  if (close == std::string::npos) return out;
  std::istringstream fields(content.substr(close + 1));
  if (!(fields >> out.state >> out.ppid)) out.state = 0;
  return out;
}

// The postmaster's children: its backends and helpers. Each calls setsid()
// (so the postmaster can signal its group), hence not in the postmaster's
// process group, and found by parent.
std::vector<pid_t> ChildrenOf(pid_t parent) {
  std::vector<pid_t> children;
  DIR* proc = ::opendir("/proc");
  if (proc == nullptr) return children;
  while (const dirent* entry = ::readdir(proc)) {
    if (entry->d_name[0] < '0' || entry->d_name[0] > '9') continue;
    if (ReadProcState(entry->d_name).ppid == parent) {
      children.push_back(static_cast<pid_t>(std::strtol(entry->d_name, nullptr, 10)));
    }
  }
  ::closedir(proc);
  return children;
}

// Still running: zombies do not count (they hold no shared memory, and in a
// container nobody may reap them).
bool Running(pid_t pid) {
  const char state = ReadProcState(std::to_string(pid)).state;
  return state != 0 && state != 'Z' && state != 'X';
}

}  // namespace

bool PrivatePostgres::Available(std::string* why) {
  if (!FindBinDir()) {
    if (why) {
      const char* env = std::getenv("MIMAMORI_PG_BINDIR");
      *why =
          env != nullptr && *env != '\0'
              ? std::string("MIMAMORI_PG_BINDIR=") + env + " has no executable initdb and postgres"
              : "PostgreSQL server binaries (initdb, postgres) not found in "
                "/usr/lib/postgresql/*/bin, pg_config --bindir or PATH; install postgresql";
    }
    return false;
  }
  return ResolveUser(why).has_value();
}

std::unique_ptr<PrivatePostgres> PrivatePostgres::Create(std::string* error, std::string database) {
  auto fail = [error](std::string text) -> std::unique_ptr<PrivatePostgres> {
    if (error) *error = "private postgres: " + std::move(text);
    return nullptr;
  };
  std::string why;
  const auto bindir = FindBinDir();
  if (!bindir || !Available(&why)) return fail(why.empty() ? "not available" : why);
  const auto user = ResolveUser(&why);
  if (!user) return fail(why);

  std::unique_ptr<PrivatePostgres> pg(new PrivatePostgres());
  pg->bindir_ = *bindir;
  pg->database_ = std::move(database);
  pg->drop_privileges_ = user->drop;
  pg->uid_ = user->uid;
  pg->gid_ = user->gid;

  std::string templ = TemporaryParent(user->drop) + "/mimamori-pg-XXXXXX";
  if (::mkdtemp(templ.data()) == nullptr) {
    return fail("mkdtemp " + templ + ": " + std::strerror(errno));
  }
  pg->directory_ = templ;  // from here on the destructor removes it
  if (user->drop && ::chown(templ.c_str(), user->uid, user->gid) != 0) {
    return fail("chown " + templ + " to " + user->name + ": " + std::strerror(errno));
  }
  pg->conninfo_ = pg->ConnInfo(pg->database_);

  const std::string data = pg->directory_ + "/data";
  const std::string log = pg->directory_ + "/initdb.log";
  const pid_t initdb = Spawn({pg->bindir_ + "/initdb", "-D", data, "-A", "trust", "-U", kSuperuser,
                              "--locale=C", "-E", "UTF8", "--no-sync", "--no-instructions"},
                             log, pg->directory_, *user, /*own_session=*/false);
  if (initdb < 0) return fail(std::string("fork for initdb: ") + std::strerror(errno));
  const auto status = WaitFor(initdb, kProcessTimeout);
  if (!status) {
    ::kill(initdb, SIGKILL);
    ::waitpid(initdb, nullptr, 0);
    return fail("initdb did not finish in 60 s:\n" + ReadTail(log, 20));
  }
  if (*status != 0) {
    return fail("initdb " + data + ": " + DescribeStatus(*status) + ":\n" + ReadTail(log, 20));
  }

  // The server's settings, written once: Start after Stop finds them again.
  {
    std::ofstream conf(data + "/postgresql.conf", std::ios::app);
    conf << "\n# tests/support/private_postgres.cc\n"
         << "listen_addresses = ''\n"
         << "unix_socket_directories = '" << pg->directory_ << "'\n"
         << "port = " << kPort << "\n"
         << "shared_buffers = 16MB\n"
         << "max_connections = 50\n"
         << "log_line_prefix = '%m [%p] '\n";
    if (!conf) return fail("cannot append to " + data + "/postgresql.conf");
  }

  if (!pg->Start(&why)) return fail(why);
  PGconn* conn = PQconnectdb(pg->ConnInfo("postgres").c_str());
  std::string create_error;
  if (PQstatus(conn) == CONNECTION_OK) {
    char* quoted = PQescapeIdentifier(conn, pg->database_.data(), pg->database_.size());
    PGresult* result = PQexec(conn, ("CREATE DATABASE " + std::string(quoted)).c_str());
    PQfreemem(quoted);
    if (PQresultStatus(result) != PGRES_COMMAND_OK) create_error = PQresultErrorMessage(result);
    PQclear(result);
  } else {
    create_error = PQerrorMessage(conn);
  }
  PQfinish(conn);
  if (!create_error.empty()) return fail("create database " + pg->database_ + ": " + create_error);
  return pg;
}

PrivatePostgres::~PrivatePostgres() {
  if (running()) {
    // Immediate shutdown: the postmaster ends its children and reaps them,
    // leaving no orphans for an init that may not reap (containers).
    ::kill(pid_, SIGQUIT);
    if (WaitFor(pid_, std::chrono::seconds(10))) {
      pid_ = 0;
    } else {
      Kill();
    }
  }
  if (!directory_.empty()) {
    std::error_code ec;
    fs::remove_all(directory_, ec);
  }
}

std::string PrivatePostgres::ConnInfo(std::string_view database) const {
  return "host=" + QuoteValue(directory_) + " port=" + std::to_string(kPort) +
         " dbname=" + QuoteValue(std::string(database)) + " user=" + kSuperuser;
}

bool PrivatePostgres::Start(std::string* error) {
  if (running()) return true;
  ServerUser user{drop_privileges_, uid_, gid_, ""};
  const std::string log = directory_ + "/postgres.log";
  const pid_t pid =
      Spawn({bindir_ + "/postgres", "-D", directory_ + "/data"}, log, directory_, user,
            /*own_session=*/true);
  if (pid < 0) {
    if (error) *error = std::string("fork for postgres: ") + std::strerror(errno);
    return false;
  }
  pid_ = pid;
  const std::string ping = ConnInfo("postgres");
  const auto deadline = steady_clock::now() + kProcessTimeout;
  while (true) {
    if (PQping(ping.c_str()) == PQPING_OK) return true;
    int status = 0;
    if (::waitpid(pid_, &status, WNOHANG) == pid_) {
      pid_ = 0;
      if (error) {
        *error =
            "postgres -D " + directory_ + "/data: " + DescribeStatus(status) + ":\n" + LogTail(20);
      }
      return false;
    }
    if (steady_clock::now() >= deadline) {
      Kill();
      if (error) *error = "postgres did not accept connections in 60 s:\n" + LogTail(20);
      return false;
    }
    std::this_thread::sleep_for(kPollInterval);
  }
}

bool PrivatePostgres::Stop(std::string* error) {
  if (!running()) return true;
  ::kill(pid_, SIGINT);  // fast shutdown
  if (WaitFor(pid_, kProcessTimeout)) {
    pid_ = 0;
    return true;
  }
  Kill();
  if (error) *error = "postgres did not stop in 60 s (killed):\n" + LogTail(20);
  return false;
}

void PrivatePostgres::Kill() {
  if (!running()) return;
  // Stopped first, so that it forks no child while its children are listed;
  // then all of them at once, as a machine that loses power would.
  ::kill(pid_, SIGSTOP);
  const std::vector<pid_t> children = ChildrenOf(pid_);
  for (pid_t child : children) {
    ::kill(-child, SIGKILL);  // a child's own group, should it have forked
    ::kill(child, SIGKILL);
  }
  ::kill(-pid_, SIGKILL);
  ::waitpid(pid_, nullptr, 0);
  pid_ = 0;
  // A new postmaster refuses to start while an old backend still holds the
  // shared memory, and a backend not yet gone could still answer a query:
  // SIGKILL is sent at once but taken asynchronously.
  const auto deadline = steady_clock::now() + std::chrono::seconds(10);
  for (pid_t child : children) {
    while (Running(child) && steady_clock::now() < deadline) {
      std::this_thread::sleep_for(kPollInterval);
    }
  }
}

bool PrivatePostgres::Execute(std::string_view sql, std::string* error) const {
  PGconn* conn = PQconnectdb(conninfo_.c_str());
  bool ok = false;
  if (PQstatus(conn) == CONNECTION_OK) {
    PGresult* result = PQexec(conn, std::string(sql).c_str());
    const auto status = PQresultStatus(result);
    ok = status == PGRES_COMMAND_OK || status == PGRES_TUPLES_OK;
    if (!ok && error) *error = PQresultErrorMessage(result);
    PQclear(result);
  } else if (error) {
    *error = PQerrorMessage(conn);
  }
  PQfinish(conn);
  return ok;
}

std::string PrivatePostgres::QueryValue(std::string_view sql, std::string* error) const {
  PGconn* conn = PQconnectdb(conninfo_.c_str());
  std::string value;
  if (PQstatus(conn) == CONNECTION_OK) {
    PGresult* result = PQexec(conn, std::string(sql).c_str());
    if (PQresultStatus(result) == PGRES_TUPLES_OK) {
      if (PQntuples(result) > 0 && PQnfields(result) > 0) value = PQgetvalue(result, 0, 0);
    } else if (error) {
      *error = PQresultErrorMessage(result);
    }
    PQclear(result);
  } else if (error) {
    *error = PQerrorMessage(conn);
  }
  PQfinish(conn);
  return value;
}

std::string PrivatePostgres::LogTail(std::size_t lines) const {
  return ReadTail(directory_ + "/postgres.log", lines);
}

}  // namespace mimamori::testing
