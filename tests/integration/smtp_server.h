// A real SMTP server for the integration tests: Debian's python3-aiosmtpd,
// driven by a small handler written into a temp dir. The server saves every
// accepted message, and Python's own email parser decodes it, so the
// Japanese subject, threading headers and body are checked by a parser that
// is not ours. The handler can refuse given recipients (451, 550, ...),
// require AUTH, stall in DATA (to kill a sender mid-send), and be stopped and
// restarted on the same port with the same inbox (a mail server outage).
//
// FindPython() is nullopt when no python3 can import aiosmtpd; callers skip
// then, naming the package. Ports are ephemeral; every wait is bounded; the
// server is killed by its owner's destructor and also exits when its stdin
// closes, so a crashed test binary leaves nothing behind.
#pragma once

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <functional>
#include <optional>
#include <sstream>
#include <stdexcept>
#include <string>
#include <system_error>
#include <utility>
#include <vector>

#include "tests/integration/agent_process.h"

namespace mimamori::testing {

inline constexpr char kSmtpServerScript[] = R"PY(
import argparse, asyncio, email, email.policy, os, sys, threading
from aiosmtpd.smtp import SMTP, AuthResult

ap = argparse.ArgumentParser()
ap.add_argument('--dir', required=True)
ap.add_argument('--port', type=int, default=0)
ap.add_argument('--reject', action='append', default=[])  # ADDRESS=REPLY
ap.add_argument('--user')
ap.add_argument('--password-file')
ap.add_argument('--stall-flag')  # while this file exists, DATA stalls
args = ap.parse_args()
rejects = dict(r.split('=', 1) for r in args.reject)
# Numbering continues over a restart with the same inbox.
count = len([n for n in os.listdir(args.dir) if not n.endswith('.tmp')])

def save(d, name, text):
    mode = 'wb' if isinstance(text, bytes) else 'w'
    with open(os.path.join(d, name), mode, **({} if mode == 'wb' else {'encoding': 'utf-8'})) as f:
        f.write(text)

class Handler:
    async def handle_EHLO(self, server, session, envelope, hostname, responses):
        session.host_name = hostname
        return responses

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if address in rejects:
            return rejects[address]
        envelope.rcpt_tos.append(address)
        return '250 OK'

    async def handle_DATA(self, server, session, envelope):
        global count
        if args.stall_flag and os.path.exists(args.stall_flag):
            # The whole message is here but not yet accepted: the client
            # waits for the reply that a killed client never reads.
            open(args.stall_flag + '.stalled', 'w').close()
            while os.path.exists(args.stall_flag):
                await asyncio.sleep(0.01)
            return '421 4.3.2 stalled message dropped, not accepted'
        count += 1
        d = os.path.join(args.dir, 'msg-%d' % count)
        os.mkdir(d + '.tmp')
        raw = envelope.original_content
        msg = email.message_from_bytes(raw, policy=email.policy.default)
        defects = list(msg.defects)
        for k in msg.keys():
            defects += list(getattr(msg[k], 'defects', []))
        fields = {
            'raw.eml': raw,
            'mail_from': envelope.mail_from,
            'rcpt_tos': '\n'.join(envelope.rcpt_tos),
            'helo': session.host_name or '',
            'login': (session.auth_data.decode() if isinstance(session.auth_data, bytes) else ''),
            'subject': str(msg['Subject']),
            'from': str(msg['From']),
            'to': ', '.join(a.addr_spec for a in msg['To'].addresses),
            'cc': ', '.join(a.addr_spec for a in msg['Cc'].addresses) if msg['Cc'] else '',
            'message_id': str(msg['Message-ID']),
            'in_reply_to': str(msg['In-Reply-To'] or ''),
            'references': str(msg['References'] or ''),
            'date': str(msg['Date']),
            'content_type': msg.get_content_type() + '; charset=' + str(msg.get_content_charset()),
            'body': msg.get_content().replace('\r\n', '\n'),
            'defects': '\n'.join(repr(x) for x in defects),
        }
        for name, value in fields.items():
            save(d + '.tmp', name, value)
        os.rename(d + '.tmp', d)  # the test sees all files or none
        return '250 OK queued as mimamori-%d' % count

def authenticator(server, session, envelope, mechanism, auth_data):
    with open(args.password_file, 'rb') as f:
        password = f.read().strip()
    ok = auth_data.login == args.user.encode() and auth_data.password == password
    # handled=False: aiosmtpd then answers 235 or 535 itself.
    return AuthResult(success=ok, handled=False, auth_data=auth_data.login if ok else None)

def factory():
    kw = dict(hostname='mimamori-test-smtp')  # no reverse DNS lookups
    if args.user:
        kw.update(auth_required=True, auth_require_tls=False, authenticator=authenticator)
    return SMTP(Handler(), **kw)

def exit_when_parent_goes():
    sys.stdin.read()
    os._exit(0)

async def main():
    server = await asyncio.get_running_loop().create_server(
        factory, host='127.0.0.1', port=args.port, reuse_address=True)
    print(server.sockets[0].getsockname()[1], flush=True)
    await server.serve_forever()

threading.Thread(target=exit_when_parent_goes, daemon=True).start()
asyncio.run(main())
)PY";

inline std::string ReadAll(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream out;
  out << in.rdbuf();
  return out.str();
}

/// The first python3 that can import aiosmtpd (FindPython in agent_process.h).
inline std::optional<std::string> FindPython() { return FindPython("aiosmtpd"); }

/// Polls `done` every few milliseconds until it holds or `timeout` passes;
/// for waiting on another process, whose progress has no other signal here.
inline bool WaitUntil(const std::function<bool()>& done,
                      std::chrono::milliseconds timeout = std::chrono::seconds(10)) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (!done()) {
    if (std::chrono::steady_clock::now() >= deadline) return false;
    ::poll(nullptr, 0, 5);
  }
  return true;
}

/// A private directory under $TMPDIR, removed with its contents.
class ScratchDir {
 public:
  ScratchDir() {
    std::string pattern =
        (std::filesystem::temp_directory_path() / "mimamori-smtp-XXXXXX").string();
    if (::mkdtemp(pattern.data()) == nullptr) throw std::runtime_error("mkdtemp failed");
    path_ = pattern;
  }
  ~ScratchDir() {
    std::error_code ignored;
    std::filesystem::remove_all(path_, ignored);
  }
  ScratchDir(const ScratchDir&) = delete;
  ScratchDir& operator=(const ScratchDir&) = delete;
  const std::filesystem::path& path() const { return path_; }
  std::filesystem::path Write(const std::string& name, const std::string& contents) const {
    std::ofstream(path_ / name, std::ios::binary) << contents;
    return path_ / name;
  }

 private:
  std::filesystem::path path_;
};

/// One aiosmtpd process on 127.0.0.1:<ephemeral>. Not thread-safe. The
/// owner must not fork while relying on the child to leave it alone: a
/// forked child that exits through _exit (or is killed) leaves it running.
class SmtpServer {
 public:
  struct Options {
    std::vector<std::string> rejects;  ///< "ADDRESS=REPLY"
    std::string user;                  ///< require AUTH as this user
    std::string password;
    bool stallable = false;  ///< enables SetStall()
  };

  SmtpServer(const std::string& python, Options options)
      : python_(python), options_(std::move(options)) {
    inbox_ = dir_.path() / "inbox";
    std::filesystem::create_directory(inbox_);
    script_ = dir_.Write("server.py", kSmtpServerScript);
    Launch();
  }

  ~SmtpServer() {
    Stop();
    if (stdin_ >= 0) ::close(stdin_);
  }
  SmtpServer(const SmtpServer&) = delete;
  SmtpServer& operator=(const SmtpServer&) = delete;

  bool started() const { return port_ > 0 && pid_ > 0; }
  int port() const { return port_; }
  std::string url() const { return "smtp://127.0.0.1:" + std::to_string(port_); }
  std::string log() const { return ReadAll(dir_.path() / "server.log"); }

  /// Kills the server (an outage): connections are refused from now on.
  void Stop() {
    if (pid_ <= 0) return;
    // SIGKILL: nothing to flush (each message is saved before its 250), and
    // it cannot be ignored, so the blocking waitpid is bounded.
    ::kill(-pid_, SIGKILL);
    ::kill(pid_, SIGKILL);
    int status;
    ::waitpid(pid_, &status, 0);
    pid_ = -1;
    if (stdin_ >= 0) ::close(stdin_);
    stdin_ = -1;
  }

  /// Starts it again on the same port with the same inbox; message numbers
  /// continue. false when it did not come up (see log()).
  bool Restart() {
    Stop();
    Launch();
    return started();
  }

  /// While on, each DATA is held without a reply (and then dropped with a
  /// 421 when turned off). Needs Options::stallable.
  void SetStall(bool on) {
    if (on) {
      std::ofstream(StallFlag()) << "";
    } else {
      std::error_code ignored;
      std::filesystem::remove(StallFlag(), ignored);
    }
  }
  /// Whether a DATA has reached the stall since the server started.
  bool Stalled() const { return std::filesystem::exists(StallFlag().string() + ".stalled"); }

  /// A field of the n-th accepted message (from 1) as the server saw it
  /// ("" when absent).
  std::string Field(int n, const std::string& name) const {
    return ReadAll(inbox_ / ("msg-" + std::to_string(n)) / name);
  }
  /// One field of every accepted message, in the order they were accepted.
  std::vector<std::string> Column(const std::string& name) const {
    std::vector<std::string> out;
    for (int n = 1; n <= Accepted(); ++n) out.push_back(Field(n, name));
    return out;
  }
  int Accepted() const {
    int n = 0;
    for (const auto& entry : std::filesystem::directory_iterator(inbox_)) {
      n += !entry.path().filename().string().ends_with(".tmp");
    }
    return n;
  }

 private:
  std::filesystem::path StallFlag() const { return dir_.path() / "stall"; }

  void Launch() {
    std::vector<std::string> argv = {python_, script_.string(), "--dir", inbox_.string()};
    if (port_ > 0) argv.insert(argv.end(), {"--port", std::to_string(port_)});
    for (const std::string& r : options_.rejects) argv.insert(argv.end(), {"--reject", r});
    if (!options_.user.empty()) {
      argv.insert(argv.end(), {"--user", options_.user, "--password-file",
                               dir_.Write("server-password", options_.password).string()});
    }
    if (options_.stallable) argv.insert(argv.end(), {"--stall-flag", StallFlag().string()});
    const std::string log = (dir_.path() / "server.log").string();
    int to_child[2], from_child[2];
    if (::pipe2(to_child, O_CLOEXEC) != 0) return;
    if (::pipe2(from_child, O_CLOEXEC) != 0) {
      ::close(to_child[0]);
      ::close(to_child[1]);
      return;
    }
    pid_ = ::fork();
    if (pid_ == 0) {
      ::setpgid(0, 0);
      ::dup2(to_child[0], 0);
      ::dup2(from_child[1], 1);
      const int err = ::open(log.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0600);
      if (err >= 0) ::dup2(err, 2);
      std::vector<char*> args;
      for (std::string& a : argv) args.push_back(a.data());
      args.push_back(nullptr);
      ::execvp(args[0], args.data());
      ::_exit(127);
    }
    ::close(to_child[0]);
    ::close(from_child[1]);
    stdin_ = to_child[1];
    // The port line, within 10 s (python's start-up is well under one).
    std::string line;
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
    while (line.find('\n') == std::string::npos) {
      const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
          deadline - std::chrono::steady_clock::now());
      pollfd p{from_child[0], POLLIN, 0};
      if (left.count() <= 0 || ::poll(&p, 1, static_cast<int>(left.count())) <= 0) break;
      char buf[64];
      const ssize_t n = ::read(from_child[0], buf, sizeof buf);
      if (n <= 0) break;
      line.append(buf, static_cast<std::size_t>(n));
    }
    ::close(from_child[0]);
    if (line.find('\n') != std::string::npos) {
      port_ = std::stoi(line);
    } else {
      Stop();  // never came up: do not leave it half-started
    }
  }

  std::string python_;
  Options options_;
  ScratchDir dir_;
  std::filesystem::path inbox_;
  std::filesystem::path script_;
  pid_t pid_ = -1;
  int stdin_ = -1;
  int port_ = 0;
};

}  // namespace mimamori::testing
