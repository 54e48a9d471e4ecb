#include "collector/alerting/phone_sender.h"

#include <curl/curl.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <spawn.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <climits>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <optional>
#include <stdexcept>
#include <string_view>
#include <utility>

#include "collector/core/json.h"

extern char** environ;

namespace mimamori::collector {
namespace {

using std::chrono::milliseconds;
using SteadyClock = std::chrono::steady_clock;

// What a command may say (stdout and stderr together) that is kept for the
// ledger. The rest is read and dropped so that a chatty command never blocks
// on a full pipe.
constexpr std::size_t kMaxOutput = 4096;
// How much of a webhook's reply body server_reply quotes ("HTTP 503 busy"),
// and of a command's output an error text quotes: enough to say why.
constexpr std::size_t kMaxQuote = 200;
// After the timeout a command gets SIGTERM and this long to clean up before
// its whole process group gets SIGKILL.
constexpr milliseconds kTermGrace{2000};

// ------------------------------------------------------------------ text

// What the other side said, fit for a ledger row and a log line: at most
// `max_bytes` (cut on a character boundary, "…" marking the cut), malformed
// UTF-8 replaced, every control character (line breaks included) a space,
// surrounding blanks trimmed.
std::string Printable(std::string_view text, std::size_t max_bytes) {
  std::string out;
  bool cut = false;
  std::size_t i = 0;
  while (i < text.size()) {
    const std::size_t n = Utf8SequenceLength(text, i);
    std::string_view piece = n == 0 ? kUtf8Replacement : text.substr(i, n);
    const auto c = static_cast<unsigned char>(text[i]);
    if (n == 1 && (c < 0x20 || c == 0x7F)) piece = " ";
    if (out.size() + piece.size() > max_bytes) {
      cut = true;
      break;
    }
    out += piece;
    i += n == 0 ? 1 : n;
  }
  const std::size_t first = out.find_first_not_of(' ');
  if (first == std::string::npos) return cut ? "…" : "";
  out.erase(0, first);
  out.erase(out.find_last_not_of(' ') + 1);
  if (cut) out += "…";
  return out;
}

// Japan has had no daylight saving time since 1951, so Asia/Tokyo is a fixed
// +09:00 and needs no time zone database.
std::string JapanTime(TimePoint t) {
  using namespace std::chrono;
  const auto local = floor<seconds>(t) + hours(9);
  const auto day = floor<days>(local);
  const year_month_day ymd(day);
  const hh_mm_ss<seconds> hms(local - day);
  char text[48];
  std::snprintf(text, sizeof text, "%04d-%02u-%02uT%02d:%02d:%02d+09:00",
                static_cast<int>(ymd.year()), static_cast<unsigned>(ymd.month()),
                static_cast<unsigned>(ymd.day()), static_cast<int>(hms.hours().count()),
                static_cast<int>(hms.minutes().count()), static_cast<int>(hms.seconds().count()));
  return text;
}

// The document both channels hand over (docs/alerting.md describes it).
std::string CallJson(const PhoneCall& call) {
  std::string json = "{\"incident_id\":";
  AppendJsonString(json, call.incident_id);
  json += ",\"report_number\":" + std::to_string(call.report_number);
  json += ",\"report_kind\":";
  AppendJsonString(json, call.report_kind);
  json += ",\"targets\":[";
  for (std::size_t i = 0; i < call.targets.size(); ++i) {
    if (i > 0) json += ',';
    AppendJsonString(json, call.targets[i]);
  }
  json += "],\"subject\":";
  AppendJsonString(json, call.subject);
  json += ",\"body\":";
  AppendJsonString(json, call.body);
  json += ",\"due_at\":\"" + JapanTime(call.due_at) + "\"";
  json += ",\"idempotency_key\":";
  AppendJsonString(json, call.idempotency_key);
  json += '}';
  return json;
}

// "phone call for incident 42 report 1 via command /usr/local/bin/call-duty".
std::string Who(const PhoneCall& call, const std::string& channel) {
  return "phone call for incident " + Printable(call.incident_id, 64) + " report " +
         std::to_string(call.report_number) + " via " + channel;
}

// The key goes into an HTTP header and the environment: a line break in it
// could add headers of its own.
std::optional<std::string> KeyProblem(const std::string& key) {
  if (key.empty()) return "idempotency key is empty";
  const bool printable =
      std::all_of(key.begin(), key.end(), [](char c) { return c > 0x20 && c < 0x7F; });
  if (!printable) return "idempotency key has characters other than printable ASCII";
  return std::nullopt;
}

// Overwrites a secret before its memory is freed, through a volatile pointer
// so the compiler cannot drop the stores as dead.
void Wipe(char* data, std::size_t size) {
  volatile char* p = data;
  for (std::size_t i = 0; i < size; ++i) p[i] = '\0';
}

struct SecretGuard {
  std::string& secret;
  ~SecretGuard() {
    Wipe(secret.data(), secret.size());
    secret.clear();
  }
};

void ReplaceAll(std::string& text, const std::string& secret, std::string_view with) {
  if (secret.empty()) return;
  for (std::size_t at = text.find(secret); at != std::string::npos;
       at = text.find(secret, at + with.size())) {
    text.replace(at, secret.size(), with);
  }
}

// ------------------------------------------------------------- command

// An owned file descriptor.
class Fd {
 public:
  Fd() = default;
  explicit Fd(int fd) : fd_(fd) {}
  ~Fd() { Close(); }
  Fd(Fd&& other) noexcept : fd_(std::exchange(other.fd_, -1)) {}
  Fd& operator=(Fd&& other) noexcept {
    if (this != &other) {
      Close();
      fd_ = std::exchange(other.fd_, -1);
    }
    return *this;
  }
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;

  int get() const { return fd_; }
  bool valid() const { return fd_ >= 0; }
  void Close() {
    if (fd_ >= 0) ::close(fd_);
    fd_ = -1;
  }

 private:
  int fd_ = -1;
};

// A close-on-exec pipe whose ends are above 2: were the collector started
// with stdin closed, pipe() could hand out fd 0, and dup2(0, 0) in the child
// would neither move it nor clear its close-on-exec flag.
bool MakePipe(Fd& read_end, Fd& write_end) {
  int fds[2];
  if (::pipe2(fds, O_CLOEXEC) != 0) return false;
  for (int& fd : fds) {
    if (fd > 2) continue;
    const int moved = ::fcntl(fd, F_DUPFD_CLOEXEC, 3);
    const int saved = errno;
    ::close(fd);
    fd = moved;
    errno = saved;
  }
  read_end = Fd(fds[0]);
  write_end = Fd(fds[1]);
  return read_end.valid() && write_end.valid();
}

bool SetNonBlocking(int fd) {
  const int flags = ::fcntl(fd, F_GETFL);
  return flags >= 0 && ::fcntl(fd, F_SETFL, flags | O_NONBLOCK) == 0;
}

// Writing to a command that closed its stdin raises SIGPIPE, whose default
// action would end the whole collector. Blocked in this thread, it leaves
// write() failing with EPIPE instead; the SIGPIPE our own write left pending
// is consumed before the old mask comes back, so it is not delivered later.
class SigpipeBlock {
 public:
  SigpipeBlock() {
    sigemptyset(&pipe_);
    sigaddset(&pipe_, SIGPIPE);
    sigset_t pending;
    sigemptyset(&pending);
    ::sigpending(&pending);
    pending_before_ = sigismember(&pending, SIGPIPE) == 1;
    ::pthread_sigmask(SIG_BLOCK, &pipe_, &old_);
  }
  ~SigpipeBlock() {
    if (broken_ && !pending_before_) {
      const timespec zero{0, 0};
      while (::sigtimedwait(&pipe_, nullptr, &zero) < 0 && errno == EINTR) {
      }
    }
    ::pthread_sigmask(SIG_SETMASK, &old_, nullptr);
  }
  SigpipeBlock(const SigpipeBlock&) = delete;
  SigpipeBlock& operator=(const SigpipeBlock&) = delete;
  void NoteBrokenPipe() { broken_ = true; }

 private:
  sigset_t pipe_;
  sigset_t old_;
  bool pending_before_ = false;
  bool broken_ = false;
};

// The child's start: its own process group (so a timeout also reaches what
// it started), no blocked signals (this thread blocks SIGPIPE) and default
// actions for signals the collector may ignore or handle.
class SpawnAttributes {
 public:
  SpawnAttributes() {
    ::posix_spawnattr_init(&attr_);
    sigset_t empty;
    sigemptyset(&empty);
    sigset_t defaults;
    sigemptyset(&defaults);
    for (int sig : {SIGPIPE, SIGTERM, SIGINT, SIGHUP, SIGQUIT, SIGCHLD, SIGALRM, SIGUSR1, SIGUSR2,
                    SIGTTIN, SIGTTOU, SIGTSTP}) {
      sigaddset(&defaults, sig);
    }
    ::posix_spawnattr_setsigmask(&attr_, &empty);
    ::posix_spawnattr_setsigdefault(&attr_, &defaults);
    ::posix_spawnattr_setpgroup(&attr_, 0);
    ::posix_spawnattr_setflags(
        &attr_,
        static_cast<short>(POSIX_SPAWN_SETPGROUP | POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF));
  }
  ~SpawnAttributes() { ::posix_spawnattr_destroy(&attr_); }
  SpawnAttributes(const SpawnAttributes&) = delete;
  SpawnAttributes& operator=(const SpawnAttributes&) = delete;
  const posix_spawnattr_t* get() const { return &attr_; }

 private:
  posix_spawnattr_t attr_;
};

class FileActions {
 public:
  FileActions() { ::posix_spawn_file_actions_init(&actions_); }
  ~FileActions() { ::posix_spawn_file_actions_destroy(&actions_); }
  FileActions(const FileActions&) = delete;
  FileActions& operator=(const FileActions&) = delete;
  posix_spawn_file_actions_t* get() { return &actions_; }

 private:
  posix_spawn_file_actions_t actions_;
};

std::vector<char*> Pointers(std::vector<std::string>& strings) {
  std::vector<char*> pointers;
  pointers.reserve(strings.size() + 1);
  for (std::string& s : strings) pointers.push_back(s.data());
  pointers.push_back(nullptr);
  return pointers;
}

// The collector's environment plus the call's variables (replacing any of
// the same name). A NUL cannot be passed in the environment and a line break
// inside one target would split it in MIMAMORI_TARGETS, so those become
// spaces there; the JSON on stdin carries the exact text.
std::vector<std::string> CallEnvironment(const PhoneCall& call) {
  auto clean = [](std::string value, bool one_line) {
    for (char& c : value) {
      if (c == '\0' || (one_line && (c == '\n' || c == '\r'))) c = ' ';
    }
    return value;
  };
  std::string targets;
  for (std::size_t i = 0; i < call.targets.size(); ++i) {
    if (i > 0) targets += '\n';
    targets += clean(call.targets[i], true);
  }
  const std::pair<std::string_view, std::string> ours[] = {
      {"MIMAMORI_INCIDENT_ID", clean(call.incident_id, false)},
      {"MIMAMORI_REPORT_NUMBER", std::to_string(call.report_number)},
      {"MIMAMORI_REPORT_KIND", clean(call.report_kind, false)},
      {"MIMAMORI_TARGETS", targets},
      {"MIMAMORI_DUE_AT", JapanTime(call.due_at)},
      {"MIMAMORI_IDEMPOTENCY_KEY", clean(call.idempotency_key, false)},
  };
  std::vector<std::string> env;
  for (char** entry = environ; entry != nullptr && *entry != nullptr; ++entry) {
    const std::string_view text(*entry);
    const std::string_view name = text.substr(0, text.find('='));
    const bool replaced = std::any_of(std::begin(ours), std::end(ours),
                                      [&](const auto& v) { return v.first == name; });
    if (!replaced) env.emplace_back(text);
  }
  for (const auto& [name, value] : ours) env.push_back(std::string(name) + "=" + value);
  return env;
}

// Exit errors that no later attempt can fix: the program is missing, not
// executable, or not a program.
bool PermanentSpawnError(int error) {
  switch (error) {
    case ENOENT:
    case EACCES:
    case EPERM:
    case ENOEXEC:
    case ENOTDIR:
    case ELOOP:
    case ENAMETOOLONG:
    case EISDIR:
    case ELIBBAD:
      return true;
    default:
      return false;
  }
}

// True once `pid` has exited (or cannot be waited for). It is left unreaped
// so that its pid, and with it the process group id, cannot be reused before
// the group is killed.
bool HasExited(pid_t pid) {
  siginfo_t info{};
  if (::waitid(P_PID, static_cast<id_t>(pid), &info, WEXITED | WNOHANG | WNOWAIT) != 0) {
    return errno != EINTR;
  }
  return info.si_pid == pid;
}

struct Outcome {
  bool timed_out = false;
  bool status_known = false;
  int status = 0;
  std::string output;  // the first kMaxOutput bytes of stdout and stderr
  bool output_cut = false;
};

// Feeds `input` to the child's stdin and collects its output until it exits
// or the deadline passes; then kills what must be killed and reaps it. Every
// descriptor is non-blocking and every wait is bounded by the deadline, so a
// child that does not read, floods its output or hangs costs at most
// timeout + kTermGrace.
Outcome Supervise(pid_t pid, Fd& stdin_w, Fd& output_r, std::string_view input,
                  milliseconds timeout, SigpipeBlock& sigpipe) {
  Outcome outcome;
  // A pidfd makes the child's exit a poll() event; on kernels older than
  // 5.3 the loop wakes every few milliseconds to ask instead.
  Fd pidfd(static_cast<int>(::syscall(SYS_pidfd_open, pid, 0)));
  char buffer[4096];
  auto read_output = [&]() -> bool {  // false once nothing more will come now
    const ssize_t n = ::read(output_r.get(), buffer, sizeof buffer);
    if (n > 0) {
      const std::size_t got = static_cast<std::size_t>(n);
      const std::size_t keep = std::min(got, kMaxOutput - outcome.output.size());
      outcome.output.append(buffer, keep);
      if (keep < got) outcome.output_cut = true;
      return true;
    }
    if (n < 0 && (errno == EAGAIN || errno == EINTR)) return false;
    output_r.Close();  // end of file, or an error no retry fixes
    return false;
  };

  std::size_t written = 0;
  const auto deadline = SteadyClock::now() + timeout;
  std::optional<SteadyClock::time_point> kill_at;
  while (!HasExited(pid)) {
    const auto now = SteadyClock::now();
    if (!kill_at && now >= deadline) {
      outcome.timed_out = true;
      ::kill(-pid, SIGTERM);
      kill_at = now + kTermGrace;
      stdin_w.Close();
    }
    if (kill_at && now >= *kill_at) break;
    const auto until = kill_at ? *kill_at : deadline;
    long long wait_ms = std::chrono::ceil<milliseconds>(until - now).count();
    if (!pidfd.valid()) wait_ms = std::min(wait_ms, 10LL);
    wait_ms = std::clamp(wait_ms, 1LL, static_cast<long long>(INT_MAX));

    pollfd fds[3];
    nfds_t count = 0;
    const nfds_t none = 3;
    nfds_t in_at = none, out_at = none;
    if (stdin_w.valid()) {
      in_at = count;
      fds[count++] = {stdin_w.get(), POLLOUT, 0};
    }
    if (output_r.valid()) {
      out_at = count;
      fds[count++] = {output_r.get(), POLLIN, 0};
    }
    if (pidfd.valid()) fds[count++] = {pidfd.get(), POLLIN, 0};
    if (::poll(fds, count, static_cast<int>(wait_ms)) < 0 && errno != EINTR) {
      // Nothing can be waited for any more: give up on the child now rather
      // than spin.
      outcome.timed_out = !HasExited(pid);
      break;
    }
    if (in_at != none && fds[in_at].revents != 0) {
      const ssize_t n = ::write(stdin_w.get(), input.data() + written, input.size() - written);
      if (n > 0) {
        written += static_cast<std::size_t>(n);
        if (written == input.size()) stdin_w.Close();  // EOF tells the child that was all
      } else if (n < 0 && errno != EAGAIN && errno != EINTR) {
        // EPIPE: the child closed its stdin; its exit status says whether
        // it minded.
        if (errno == EPIPE) sigpipe.NoteBrokenPipe();
        stdin_w.Close();
      }
    }
    if (out_at != none && fds[out_at].revents != 0) read_output();
  }
  stdin_w.Close();
  // What the child wrote before it exited is in the pipe; a bounded number
  // of reads, since a grandchild may still be writing.
  for (int i = 0; i < 64 && output_r.valid() && read_output(); ++i) {
  }
  output_r.Close();

  if (outcome.timed_out) {
    // The leader is still unreaped, so its pid still names this group.
    ::kill(-pid, SIGKILL);
    ::kill(pid, SIGKILL);
  }
  int status = 0;
  pid_t reaped;
  while ((reaped = ::waitpid(pid, &status, 0)) < 0 && errno == EINTR) {
  }
  outcome.status_known = reaped == pid;
  outcome.status = status;
  return outcome;
}

std::string ExitText(int status) {
  if (WIFEXITED(status)) {
    const int code = WEXITSTATUS(status);
    return "exit " + std::to_string(code) + (code == 75 ? " (EX_TEMPFAIL)" : "");
  }
  if (WIFSIGNALED(status)) {
    const int sig = WTERMSIG(status);
    const char* name = ::sigabbrev_np(sig);
    return "killed by signal " + std::to_string(sig) +
           (name != nullptr ? std::string(" (SIG") + name + ")" : "");
  }
  return "status " + std::to_string(status);
}

class CommandPhoneSender final : public PhoneSender {
 public:
  CommandPhoneSender(std::vector<std::string> argv, milliseconds timeout)
      : argv_(std::move(argv)), timeout_(timeout) {}

  std::string Describe() const override { return "command " + Printable(argv_[0], 256); }

  SendResult Call(const PhoneCall& call) override {
    SendResult result;
    const std::string who = Who(call, Describe());
    auto fail = [&](std::string why, bool retryable) {
      result.ok = false;
      result.retryable = retryable;
      result.error = who + ": " + why;
      return result;
    };
    if (argv_[0].empty()) return fail("command has an empty program name", false);
    if (timeout_ <= milliseconds::zero()) return fail("timeout must be positive", false);
    if (const auto problem = KeyProblem(call.idempotency_key)) return fail(*problem, false);

    const std::string input = CallJson(call) + "\n";  // a final newline for `read` in shells
    std::vector<std::string> env = CallEnvironment(call);
    std::vector<std::string> args = argv_;
    std::vector<char*> arg_pointers = Pointers(args);
    std::vector<char*> env_pointers = Pointers(env);

    Fd stdin_r, stdin_w, output_r, output_w;
    if (!MakePipe(stdin_r, stdin_w) || !MakePipe(output_r, output_w)) {
      return fail(std::string("pipe: ") + std::strerror(errno), true);
    }
    FileActions actions;
    ::posix_spawn_file_actions_adddup2(actions.get(), stdin_r.get(), 0);
    ::posix_spawn_file_actions_adddup2(actions.get(), output_w.get(), 1);
    ::posix_spawn_file_actions_adddup2(actions.get(), output_w.get(), 2);
#if defined(__GLIBC__) && (__GLIBC__ > 2 || (__GLIBC__ == 2 && __GLIBC_MINOR__ >= 34))
    // Descriptors another thread opened without O_CLOEXEC (sockets, the
    // ledger) must not leak into a program that may outlive this call.
    ::posix_spawn_file_actions_addclosefrom_np(actions.get(), 3);
#endif
    const SpawnAttributes attributes;

    SigpipeBlock sigpipe;
    pid_t pid = -1;
    // posix_spawn reports a failed exec as its own error (glibc, musl), so a
    // missing program is told apart from a program that fails.
    const bool search = argv_[0].find('/') == std::string::npos;
    const int spawn_error =
        search ? ::posix_spawnp(&pid, args[0].c_str(), actions.get(), attributes.get(),
                                arg_pointers.data(), env_pointers.data())
               : ::posix_spawn(&pid, args[0].c_str(), actions.get(), attributes.get(),
                               arg_pointers.data(), env_pointers.data());
    if (spawn_error != 0) {
      return fail("cannot run " + Printable(argv_[0], 256) + ": " + std::strerror(spawn_error),
                  !PermanentSpawnError(spawn_error));
    }
    // Only the child holds these ends now, so its exit gives us EOF and
    // its closing stdin gives us EPIPE.
    stdin_r.Close();
    output_w.Close();
    SetNonBlocking(stdin_w.get());
    SetNonBlocking(output_r.get());

    const Outcome outcome = Supervise(pid, stdin_w, output_r, input, timeout_, sigpipe);
    std::string output = Printable(outcome.output, kMaxOutput);
    if (outcome.output_cut && !output.ends_with("…")) output += "…";
    auto with_output = [&](std::string text) {
      return output.empty() ? text : text + ": " + output;
    };

    if (outcome.timed_out) {
      result.server_reply =
          with_output("timed out after " + std::to_string(timeout_.count()) + " ms");
      fail(with_output("timed out after " + std::to_string(timeout_.count()) +
                       " ms; its process group was killed"),
           true);
    } else if (!outcome.status_known) {
      // waitpid found no child: SIGCHLD is set to SIG_IGN somewhere, which
      // makes the kernel reap children itself.
      fail("exit status lost (is SIGCHLD ignored?)", true);
    } else if (WIFEXITED(outcome.status) && WEXITSTATUS(outcome.status) == 0) {
      result.ok = true;
      result.server_reply = with_output("exit 0");
    } else {
      // EX_TEMPFAIL asks for a retry; any other failure might be passing
      // too (a busy line, a gateway down), and the outbox falls back to the
      // on-duty mail after its phone attempts, so retrying costs little.
      result.server_reply = with_output(ExitText(outcome.status));
      fail(Printable(result.server_reply, kMaxQuote), true);
    }
    return result;
  }

 private:
  std::vector<std::string> argv_;
  milliseconds timeout_;
};

// ------------------------------------------------------------- webhook

// curl_global_init must run once before any other libcurl call (see
// smtp_sender.cc, which does the same; libcurl counts the calls).
void InitCurlOnce() {
  static const CURLcode init = curl_global_init(CURL_GLOBAL_DEFAULT);
  if (init != CURLE_OK) {
    throw std::runtime_error(std::string("phone webhook: curl_global_init: ") +
                             curl_easy_strerror(init));
  }
}

// Failures a later attempt cannot fix without an operator: the settings or
// the installation are wrong. Everything else on the transport (refused,
// reset, timed out, name not resolved) is worth another try.
bool PermanentCurlError(CURLcode code) {
  switch (code) {
    case CURLE_UNSUPPORTED_PROTOCOL:
    case CURLE_URL_MALFORMAT:
    case CURLE_NOT_BUILT_IN:
    case CURLE_PEER_FAILED_VERIFICATION:
    case CURLE_SSL_CACERT_BADFILE:
    case CURLE_SSL_CERTPROBLEM:
    case CURLE_BAD_FUNCTION_ARGUMENT:
    case CURLE_UNKNOWN_OPTION:
      return true;
    default:
      return false;
  }
}

bool HasUserInfo(const std::string& url) {
  const std::size_t scheme = url.find("://");
  const std::size_t host = scheme == std::string::npos ? 0 : scheme + 3;
  const std::size_t end = url.find_first_of("/?#", host);
  return url.substr(host, end == std::string::npos ? std::string::npos : end - host).find('@') !=
         std::string::npos;
}

// The URL as logs may show it: query strings often carry API keys, and user
// info carries a password.
std::string ShownUrl(const std::string& url) {
  if (HasUserInfo(url)) return "(url with user info)";
  const std::size_t query = url.find_first_of("?#");
  return Printable(url.substr(0, query), 256) + (query == std::string::npos ? "" : "?…");
}

// An HTTP header list that wipes its strings (one carries the token) before
// libcurl frees them.
struct HeaderList {
  curl_slist* list = nullptr;
  ~HeaderList() {
    for (curl_slist* item = list; item != nullptr; item = item->next) {
      Wipe(item->data, std::strlen(item->data));
    }
    curl_slist_free_all(list);
  }
  bool Add(const std::string& header) {
    curl_slist* next = curl_slist_append(list, header.c_str());
    if (next == nullptr) return false;
    list = next;
    return true;
  }
};

struct ReplyBody {
  std::string text;
  static std::size_t Write(char* data, std::size_t size, std::size_t count, void* self) {
    auto& body = static_cast<ReplyBody*>(self)->text;
    const std::size_t n = size * count;
    // Only the start is ever shown; the rest is read and dropped.
    body.append(data, std::min(n, kMaxOutput - std::min(kMaxOutput, body.size())));
    return n;
  }
};

class WebhookPhoneSender final : public PhoneSender {
 public:
  explicit WebhookPhoneSender(PhoneSettings settings) : settings_(std::move(settings)) {
    InitCurlOnce();
  }

  std::string Describe() const override { return "webhook " + ShownUrl(settings_.webhook_url); }

  SendResult Call(const PhoneCall& call) override {
    SendResult result;
    const std::string who = Who(call, Describe());
    auto fail = [&](std::string why, bool retryable) {
      result.ok = false;
      result.retryable = retryable;
      result.error = who + ": " + why;
      return result;
    };
    // Everything before the transfer is a settings problem: no later
    // attempt goes better.
    const std::string& url = settings_.webhook_url;
    if (!url.starts_with("http://") && !url.starts_with("https://")) {
      return fail("webhook_url must start with http:// or https://", false);
    }
    if (HasUserInfo(url)) {
      return fail("webhook_url must not contain user info; use token_file or token_env", false);
    }
    if (settings_.timeout <= milliseconds::zero()) {
      // libcurl reads 0 as "no timeout": a hung receiver would hold the outbox.
      return fail("timeout must be positive", false);
    }
    if (const auto problem = KeyProblem(call.idempotency_key)) return fail(*problem, false);

    std::string token;
    SecretGuard token_guard{token};
    if (!settings_.token_file.empty()) {
      std::ifstream in(settings_.token_file);
      if (!in) {
        return fail("token file " + settings_.token_file + ": cannot read: " + std::strerror(errno),
                    false);
      }
      std::getline(in, token);
      if (!token.empty() && token.back() == '\r') token.pop_back();
      if (token.empty()) return fail("token file " + settings_.token_file + " is empty", false);
    } else if (!settings_.token_env.empty()) {
      const char* value = std::getenv(settings_.token_env.c_str());
      if (value == nullptr || *value == '\0') {
        return fail("environment variable " + settings_.token_env + " is not set", false);
      }
      token = value;
    }
    // A line break in the token would start a header of its own.
    if (std::any_of(token.begin(), token.end(),
                    [](char c) { return static_cast<unsigned char>(c) < 0x20 || c == 0x7F; })) {
      return fail("the token has control characters", false);
    }

    HeaderList headers;
    std::string authorization;
    SecretGuard authorization_guard{authorization};
    if (!token.empty()) authorization = "Authorization: Bearer " + token;
    // "Expect:" drops the 100-continue round trip libcurl adds to larger
    // POSTs, which some small receivers never answer.
    if (!headers.Add("Content-Type: application/json; charset=utf-8") ||
        !headers.Add("Idempotency-Key: " + call.idempotency_key) || !headers.Add("Expect:") ||
        (!authorization.empty() && !headers.Add(authorization))) {
      return fail("out of memory", true);
    }

    std::unique_ptr<CURL, decltype(&curl_easy_cleanup)> easy(curl_easy_init(), &curl_easy_cleanup);
    if (!easy) return fail("curl_easy_init failed", true);
    const std::string json = CallJson(call);
    ReplyBody body;
    char errbuf[CURL_ERROR_SIZE] = {};
    const long timeout_ms = static_cast<long>(settings_.timeout.count());
    const std::string user_agent = std::string("mimamori-collector/") + MIMAMORI_VERSION;

    CURL* h = easy.get();
    curl_easy_setopt(h, CURLOPT_URL, url.c_str());
    curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);  // many threads; no SIGALRM for timeouts
    curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, timeout_ms);
    curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS, timeout_ms);
    curl_easy_setopt(h, CURLOPT_ERRORBUFFER, errbuf);
    curl_easy_setopt(h, CURLOPT_USERAGENT, user_agent.c_str());
    curl_easy_setopt(h, CURLOPT_HTTPHEADER, headers.list);
    curl_easy_setopt(h, CURLOPT_POST, 1L);
    curl_easy_setopt(h, CURLOPT_POSTFIELDS, json.data());
    curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(json.size()));
    curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, &ReplyBody::Write);
    curl_easy_setopt(h, CURLOPT_WRITEDATA, &body);
    // Redirects are not followed: a 3xx means the configured URL is wrong,
    // and following one could hand the token to another host.
    curl_easy_setopt(h, CURLOPT_FOLLOWLOCATION, 0L);

    const CURLcode code = curl_easy_perform(h);
    long status = 0;
    curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &status);

    // Scrubbed before it is cut: a cut could leave a prefix of the token
    // that no longer matches it whole.
    ReplaceAll(body.text, token, "***");
    if (status > 0) {
      const std::string shown = Printable(body.text, kMaxQuote);
      result.server_reply = "HTTP " + std::to_string(status) + (shown.empty() ? "" : " " + shown);
    }
    if (code == CURLE_OK && status >= 200 && status < 300) {
      result.ok = true;
    } else if (code == CURLE_OK) {
      // 408 and 429 ask to come back later, 5xx is the receiver's trouble;
      // any other answer (400, 401, 404, a redirect) needs an operator.
      const bool retryable = status == 408 || status == 429 || status >= 500;
      fail(result.server_reply, retryable);
    } else {
      std::string why = errbuf[0] != '\0' ? errbuf : curl_easy_strerror(code);
      if (!result.server_reply.empty()) why += " after " + result.server_reply;
      fail(Printable(why, 512), !PermanentCurlError(code));
    }

    // Nothing we return may carry the token, whatever a receiver echoes.
    for (std::string* text : {&result.error, &result.server_reply}) {
      ReplaceAll(*text, token, "***");
    }
    return result;
  }

 private:
  PhoneSettings settings_;
};

}  // namespace

std::unique_ptr<PhoneSender> MakePhoneSender(const PhoneSettings& settings) {
  // The inventory accepts at most one of the two; a command wins should
  // both ever be set, since it needs nothing from the network.
  if (!settings.command.empty()) {
    return std::make_unique<CommandPhoneSender>(settings.command, settings.timeout);
  }
  if (!settings.webhook_url.empty()) return std::make_unique<WebhookPhoneSender>(settings);
  return nullptr;
}

}  // namespace mimamori::collector
