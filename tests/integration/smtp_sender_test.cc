// SmtpSender against a real SMTP server: Debian's python3-aiosmtpd, driven
// by a small handler written into a temp dir. The server saves every
// accepted message, and Python's own email parser decodes it, so the
// Japanese subject, threading headers and body are checked by a parser that
// is not ours. The handler can refuse given recipients with 451 or 550 and
// can require AUTH, to check retryable vs not and that the password never
// leaks into results.
//
// Skips (with the package name) when no python3 can import aiosmtpd. Ports
// are ephemeral; every wait is bounded; the server is killed by its owner's
// destructor and also exits when its stdin closes, so a crashed test binary
// leaves nothing behind.
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <memory>
#include <optional>
#include <sstream>
#include <stdexcept>
#include <string>
#include <vector>

#include "collector/alerting/mail_message.h"
#include "collector/alerting/mail_templates.h"
#include "collector/alerting/smtp_sender.h"

namespace mimamori::collector {
namespace {

namespace fs = std::filesystem;
using std::chrono::milliseconds;

constexpr char kServerScript[] = R"PY(
import argparse, asyncio, email, email.policy, os, sys, threading
from aiosmtpd.smtp import SMTP, AuthResult

ap = argparse.ArgumentParser()
ap.add_argument('--dir', required=True)
ap.add_argument('--reject', action='append', default=[])  # ADDRESS=REPLY
ap.add_argument('--user')
ap.add_argument('--password-file')
args = ap.parse_args()
rejects = dict(r.split('=', 1) for r in args.reject)
count = 0

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
    server = await asyncio.get_running_loop().create_server(factory, host='127.0.0.1', port=0)
    print(server.sockets[0].getsockname()[1], flush=True)
    await server.serve_forever()

threading.Thread(target=exit_when_parent_goes, daemon=True).start()
asyncio.run(main())
)PY";

std::string ReadAll(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream out;
  out << in.rdbuf();
  return out.str();
}

// The first python3 that can import aiosmtpd: Debian's /usr/bin/python3
// first, since a pyenv or venv python3 earlier in PATH does not see Debian's
// packages.
std::optional<std::string> FindPython() {
  for (const char* python : {"/usr/bin/python3", "python3"}) {
    const std::string probe = std::string(python) + " -c 'import aiosmtpd' >/dev/null 2>&1";
    if (std::system(probe.c_str()) == 0) return python;
  }
  return std::nullopt;
}

class ScratchDir {
 public:
  ScratchDir() {
    std::string pattern = (fs::temp_directory_path() / "mimamori-smtp-XXXXXX").string();
    if (::mkdtemp(pattern.data()) == nullptr) throw std::runtime_error("mkdtemp failed");
    path_ = pattern;
  }
  ~ScratchDir() {
    std::error_code ignored;
    fs::remove_all(path_, ignored);
  }
  ScratchDir(const ScratchDir&) = delete;
  ScratchDir& operator=(const ScratchDir&) = delete;
  const fs::path& path() const { return path_; }
  fs::path Write(const std::string& name, const std::string& contents) const {
    std::ofstream(path_ / name, std::ios::binary) << contents;
    return path_ / name;
  }

 private:
  fs::path path_;
};

/// One aiosmtpd process on 127.0.0.1:<ephemeral>.
class SmtpServer {
 public:
  struct Options {
    std::vector<std::string> rejects;  // "ADDRESS=REPLY"
    std::string user;
    std::string password;
  };

  SmtpServer(const std::string& python, const Options& options) {
    inbox_ = dir_.path() / "inbox";
    fs::create_directory(inbox_);
    const fs::path script = dir_.Write("server.py", kServerScript);
    std::vector<std::string> argv = {python, script.string(), "--dir", inbox_.string()};
    for (const std::string& r : options.rejects) {
      argv.push_back("--reject");
      argv.push_back(r);
    }
    if (!options.user.empty()) {
      argv.insert(argv.end(), {"--user", options.user, "--password-file",
                               dir_.Write("server-password", options.password).string()});
    }
    const std::string log = (dir_.path() / "server.log").string();
    int to_child[2], from_child[2];
    if (::pipe2(to_child, O_CLOEXEC) != 0 || ::pipe2(from_child, O_CLOEXEC) != 0) return;
    pid_ = ::fork();
    if (pid_ == 0) {
      ::setpgid(0, 0);
      ::dup2(to_child[0], 0);
      ::dup2(from_child[1], 1);
      const int err = ::open(log.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
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
      const auto left =
          std::chrono::duration_cast<milliseconds>(deadline - std::chrono::steady_clock::now());
      pollfd p{from_child[0], POLLIN, 0};
      if (left.count() <= 0 || ::poll(&p, 1, static_cast<int>(left.count())) <= 0) break;
      char buf[64];
      const ssize_t n = ::read(from_child[0], buf, sizeof buf);
      if (n <= 0) break;
      line.append(buf, static_cast<std::size_t>(n));
    }
    ::close(from_child[0]);
    if (line.find('\n') != std::string::npos) port_ = std::stoi(line);
  }

  ~SmtpServer() {
    if (pid_ > 0) {
      // SIGKILL: nothing to flush (each message is saved before its 250), and
      // it cannot be ignored, so the blocking waitpid is bounded.
      ::kill(-pid_, SIGKILL);
      ::kill(pid_, SIGKILL);
      int status;
      ::waitpid(pid_, &status, 0);
    }
    if (stdin_ >= 0) ::close(stdin_);
  }
  SmtpServer(const SmtpServer&) = delete;
  SmtpServer& operator=(const SmtpServer&) = delete;

  bool started() const { return port_ > 0; }
  std::string url() const { return "smtp://127.0.0.1:" + std::to_string(port_); }
  std::string log() const { return ReadAll(dir_.path() / "server.log"); }

  /// A field of the n-th accepted message as the server saw it ("" when absent).
  std::string Field(int n, const std::string& name) const {
    return ReadAll(inbox_ / ("msg-" + std::to_string(n)) / name);
  }
  int Accepted() const {
    int n = 0;
    for (const auto& entry : fs::directory_iterator(inbox_)) {
      n += !entry.path().filename().string().ends_with(".tmp");
    }
    return n;
  }

 private:
  ScratchDir dir_;
  fs::path inbox_;
  pid_t pid_ = -1;
  int stdin_ = -1;
  int port_ = 0;
};

SmtpServer::Options Rejecting(std::string rule) {
  SmtpServer::Options o;
  o.rejects.push_back(std::move(rule));
  return o;
}

SmtpServer::Options WithAuth(std::string user, std::string password) {
  SmtpServer::Options o;
  o.user = std::move(user);
  o.password = std::move(password);
  return o;
}

fs::path DefaultTemplates() { return fs::path(MIMAMORI_SOURCE_DIR) / "packaging" / "templates"; }

TimePoint Utc(int y, unsigned mo, unsigned d, int h, int mi) {
  return std::chrono::sys_days{std::chrono::year{y} / std::chrono::month{mo} /
                               std::chrono::day{d}} +
         std::chrono::hours{h} + std::chrono::minutes{mi};
}

constexpr char kDomain[] = "kanshi.example.lg.jp";
const std::vector<std::string> kTo = {"kiban-kanri@example.lg.jp", "jumin-system@example.lg.jp"};
const std::vector<std::string> kCc = {"ict-center@example.lg.jp"};

MailMessage Report(const RenderedMail& rendered, int number) {
  MailMessage m;
  m.from = "kanshi@example.lg.jp";
  m.from_name = "サーバ仮想基盤 監視システム";
  m.to = kTo;
  m.cc = kCc;
  m.subject = rendered.subject;
  m.body = rendered.body;
  m.date = Utc(2025, 7, 1, 0, 5);
  m.message_id = ReportMessageId("2025-0042", number, kDomain);
  if (number > 1) m.thread_root = ReportMessageId("2025-0042", 1, kDomain);
  return m;
}

std::vector<std::string> AllRecipients() {
  std::vector<std::string> all = kTo;
  all.insert(all.end(), kCc.begin(), kCc.end());
  return all;
}

// Tests that need no SMTP server (and so no python).
class SmtpSenderNoServerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    MailTemplatesLoadResult loaded = MailTemplates::Load(DefaultTemplates());
    ASSERT_TRUE(loaded.templates) << (loaded.errors.empty() ? "" : loaded.errors[0]);
    templates_.emplace(std::move(*loaded.templates));
  }

  MailMessage FirstReport() {
    const RenderedMail r =
        templates_->Render(MailKind::kFirstReport, {{"platform_name", "第三期サーバ仮想基盤"},
                                                    {"incident_id", "2025-0042"},
                                                    {"occurred_at", "2025/07/01 09:05"},
                                                    {"affected_vms", "jumin-db01\njumin-ap02"}});
    EXPECT_TRUE(r.ok()) << r.error;
    return Report(r, 1);
  }

  std::optional<MailTemplates> templates_;
};

class SmtpSenderTest : public SmtpSenderNoServerTest {
 protected:
  void SetUp() override {
    python_ = FindPython();
    if (!python_) {
      GTEST_SKIP() << "no python3 with aiosmtpd (import aiosmtpd failed); "
                      "install Debian's python3-aiosmtpd to run the SMTP tests";
    }
    SmtpSenderNoServerTest::SetUp();
  }

  std::unique_ptr<SmtpServer> Start(const SmtpServer::Options& options = {}) {
    auto server = std::make_unique<SmtpServer>(*python_, options);
    EXPECT_TRUE(server->started()) << "aiosmtpd did not start:\n" << server->log();
    return server;
  }

  SmtpSettings Settings(const SmtpServer& server) {
    SmtpSettings s;
    s.url = server.url();
    s.from = "kanshi-bounce@example.lg.jp";
    s.timeout = milliseconds(10000);
    s.helo_domain = "collector.example.lg.jp";
    return s;
  }

  std::optional<std::string> python_;
};

TEST_F(SmtpSenderTest, FirstReportArrivesAsTheParserReadsIt) {
  auto server = Start();
  ASSERT_TRUE(server->started());
  SmtpSender sender(Settings(*server));
  const SendResult sent = sender.Send(FirstReport(), AllRecipients());
  ASSERT_TRUE(sent.ok) << sent.error << "\n" << server->log();
  EXPECT_EQ(sent.error, "");
  EXPECT_EQ(sent.server_reply, "250 OK queued as mimamori-1");

  EXPECT_EQ(server->Field(1, "defects"), "");
  EXPECT_EQ(server->Field(1, "mail_from"), "kanshi-bounce@example.lg.jp");
  EXPECT_EQ(server->Field(1, "rcpt_tos"),
            "kiban-kanri@example.lg.jp\njumin-system@example.lg.jp\nict-center@example.lg.jp");
  EXPECT_EQ(server->Field(1, "helo"), "collector.example.lg.jp");
  EXPECT_EQ(server->Field(1, "subject"), "【第三期サーバ仮想基盤障害発生】");
  EXPECT_EQ(server->Field(1, "from"), "サーバ仮想基盤 監視システム <kanshi@example.lg.jp>");
  EXPECT_EQ(server->Field(1, "to"), "kiban-kanri@example.lg.jp, jumin-system@example.lg.jp");
  EXPECT_EQ(server->Field(1, "cc"), "ict-center@example.lg.jp");
  EXPECT_EQ(server->Field(1, "message_id"),
            "<mimamori.incident-2025-0042.report-1@" + std::string(kDomain) + ">");
  EXPECT_EQ(server->Field(1, "in_reply_to"), "");
  EXPECT_EQ(server->Field(1, "references"), "");
  EXPECT_EQ(server->Field(1, "date"), "Tue, 01 Jul 2025 09:05:00 +0900");
  EXPECT_EQ(server->Field(1, "content_type"), "text/plain; charset=utf-8");
  const std::string body = server->Field(1, "body");
  EXPECT_NE(body.find("■発生日時\n2025/07/01 09:05\n"), std::string::npos) << body;
  EXPECT_NE(body.find("■影響を受けている仮想マシン\njumin-db01\njumin-ap02\n"), std::string::npos)
      << body;
  EXPECT_NE(body.find("インシデント番号: 2025-0042"), std::string::npos) << body;
  EXPECT_NE(body.find("第一報"), std::string::npos) << body;
}

// Every kind, through the default templates and a long platform name (two
// encoded-words in the subject): what the parser decodes is exactly what
// was rendered.
TEST_F(SmtpSenderTest, EveryKindRoundTripsThroughARealParser) {
  auto server = Start();
  ASSERT_TRUE(server->started());
  SmtpSender sender(Settings(*server));
  int n = 0;
  for (MailKind kind : kAllMailKinds) {
    MailValues values;
    for (const MailField& f : FieldsOf(kind)) {
      values[std::string(f.name)] = std::string(f.name) + "：値🖥 " + std::string(f.name);
    }
    values["platform_name"] = "第三期サーバ仮想基盤（本庁舎・第二庁舎・消防本部）";
    if (values.contains("incident_id")) values["incident_id"] = "2025-0042";
    const RenderedMail r = templates_->Render(kind, values);
    ASSERT_TRUE(r.ok()) << r.error;
    ++n;
    const SendResult sent = sender.Send(Report(r, n), AllRecipients());
    ASSERT_TRUE(sent.ok) << TemplateFileName(kind) << ": " << sent.error;
    EXPECT_EQ(sent.server_reply, "250 OK queued as mimamori-" + std::to_string(n));
    EXPECT_EQ(server->Field(n, "defects"), "") << TemplateFileName(kind);
    EXPECT_EQ(server->Field(n, "subject"), r.subject) << TemplateFileName(kind);
    EXPECT_EQ(server->Field(n, "body"), r.body) << TemplateFileName(kind);
    for (const MailField& f : FieldsOf(kind)) {
      const std::string& v = values[std::string(f.name)];
      EXPECT_TRUE(server->Field(n, "body").find(v) != std::string::npos ||
                  server->Field(n, "subject").find(v) != std::string::npos)
          << TemplateFileName(kind) << ": {{" << f.name << "}} not delivered";
    }
    if (n > 1) {
      const std::string root =
          "<mimamori.incident-2025-0042.report-1@" + std::string(kDomain) + ">";
      EXPECT_EQ(server->Field(n, "in_reply_to"), root);
      EXPECT_EQ(server->Field(n, "references"), root);
    }
  }
  EXPECT_EQ(server->Accepted(), 7);
}

TEST_F(SmtpSenderTest, ResendIsRecognisablyTheSameReport) {
  auto server = Start();
  ASSERT_TRUE(server->started());
  SmtpSender sender(Settings(*server));
  ASSERT_TRUE(sender.Send(FirstReport(), kTo).ok);
  ASSERT_TRUE(sender.Send(FirstReport(), kTo).ok);  // "after a crash"
  EXPECT_EQ(server->Field(1, "raw.eml"), server->Field(2, "raw.eml"));
}

TEST_F(SmtpSenderTest, Temporary451IsRetryable) {
  auto server = Start(Rejecting("jumin-system@example.lg.jp=451 4.3.0 Try again later"));
  ASSERT_TRUE(server->started());
  const SendResult sent = SmtpSender(Settings(*server)).Send(FirstReport(), AllRecipients());
  EXPECT_FALSE(sent.ok);
  EXPECT_TRUE(sent.retryable) << sent.error;
  EXPECT_EQ(sent.server_reply, "451 4.3.0 Try again later");
  EXPECT_TRUE(
      sent.error.ends_with(": RCPT TO:<jumin-system@example.lg.jp>: 451 4.3.0 Try again later"))
      << sent.error;
  EXPECT_EQ(server->Accepted(), 0);  // no partial delivery
}

TEST_F(SmtpSenderTest, Permanent550IsNotRetryable) {
  auto server = Start(Rejecting("gone@example.lg.jp=550 5.1.1 Mailbox unavailable"));
  ASSERT_TRUE(server->started());
  const SendResult sent =
      SmtpSender(Settings(*server))
          .Send(FirstReport(), {"kiban-kanri@example.lg.jp", "gone@example.lg.jp"});
  EXPECT_FALSE(sent.ok);
  EXPECT_FALSE(sent.retryable) << sent.error;
  EXPECT_EQ(sent.server_reply, "550 5.1.1 Mailbox unavailable");
  EXPECT_EQ(sent.error, "mail <mimamori.incident-2025-0042.report-1@" + std::string(kDomain) +
                            "> via " + server->url() +
                            ": to kiban-kanri@example.lg.jp, gone@example.lg.jp: "
                            "RCPT TO:<gone@example.lg.jp>: 550 5.1.1 Mailbox unavailable");
  EXPECT_EQ(server->Accepted(), 0);
}

TEST_F(SmtpSenderNoServerTest, ServerDownIsRetryable) {
  // A port that was free a moment ago and has no listener now.
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ASSERT_EQ(::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
  socklen_t len = sizeof addr;
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
  ::close(fd);
  SmtpSettings s;
  s.url = "smtp://127.0.0.1:" + std::to_string(ntohs(addr.sin_port));
  s.timeout = milliseconds(5000);
  const SendResult sent = SmtpSender(s).Send(FirstReport(), kTo);
  EXPECT_FALSE(sent.ok);
  EXPECT_TRUE(sent.retryable) << sent.error;
  EXPECT_EQ(sent.server_reply, "");
  EXPECT_NE(sent.error.find("onnect"), std::string::npos) << sent.error;  // "Failed to connect"
}

TEST_F(SmtpSenderNoServerTest, SilentServerTimesOutRetryably) {
  // Listening but never greeting: the kernel completes the handshake, and
  // the client waits for a "220" that never comes.
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ASSERT_EQ(::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
  ASSERT_EQ(::listen(fd, 4), 0);
  socklen_t len = sizeof addr;
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
  SmtpSettings s;
  s.url = "smtp://127.0.0.1:" + std::to_string(ntohs(addr.sin_port));
  s.timeout = milliseconds(300);
  const auto started = std::chrono::steady_clock::now();
  const SendResult sent = SmtpSender(s).Send(FirstReport(), kTo);
  const auto took = std::chrono::steady_clock::now() - started;
  ::close(fd);
  EXPECT_FALSE(sent.ok);
  EXPECT_TRUE(sent.retryable) << sent.error;
  EXPECT_NE(sent.error.find("timed out"), std::string::npos) << sent.error;
  EXPECT_LT(took, std::chrono::seconds(5));
}

TEST_F(SmtpSenderTest, StarttlsRequiredButNotOfferedIsNotRetryable) {
  // Sending a report in clear text because the relay lost its TLS setup
  // would be a silent downgrade; this needs an operator, not a retry.
  auto server = Start();
  ASSERT_TRUE(server->started());
  SmtpSettings s = Settings(*server);
  s.starttls = true;
  const SendResult sent = SmtpSender(s).Send(FirstReport(), kTo);
  EXPECT_FALSE(sent.ok);
  EXPECT_FALSE(sent.retryable) << sent.error;
  EXPECT_EQ(server->Accepted(), 0);
}

TEST_F(SmtpSenderTest, AuthWithPasswordFromFileOrEnvironment) {
  const std::string password = "Kiban-s3cret!2025";
  auto server = Start(WithAuth("kanshi", password));
  ASSERT_TRUE(server->started());
  ScratchDir secrets;
  SmtpSettings s = Settings(*server);
  s.user = "kanshi";
  s.password_file = secrets.Write("smtp-password", password + "\n").string();
  SendResult sent = SmtpSender(s).Send(FirstReport(), kTo);
  ASSERT_TRUE(sent.ok) << sent.error << "\n" << server->log();
  EXPECT_EQ(server->Field(1, "login"), "kanshi");

  s.password_file.clear();
  s.password_env = "MIMAMORI_TEST_SMTP_PASSWORD";
  ::setenv("MIMAMORI_TEST_SMTP_PASSWORD", password.c_str(), 1);
  sent = SmtpSender(s).Send(FirstReport(), kTo);
  ::unsetenv("MIMAMORI_TEST_SMTP_PASSWORD");
  ASSERT_TRUE(sent.ok) << sent.error;
  EXPECT_EQ(server->Accepted(), 2);
}

TEST_F(SmtpSenderTest, WrongPasswordIsNotRetryableAndNeverShown) {
  auto server = Start(WithAuth("kanshi", "the-right-one"));
  ASSERT_TRUE(server->started());
  ScratchDir secrets;
  const std::string wrong = "Wrong-Pa55word";
  SmtpSettings s = Settings(*server);
  s.user = "kanshi";
  s.password_file = secrets.Write("smtp-password", wrong).string();
  const SendResult sent = SmtpSender(s).Send(FirstReport(), kTo);
  EXPECT_FALSE(sent.ok);
  EXPECT_FALSE(sent.retryable) << sent.error;
  EXPECT_TRUE(sent.server_reply.starts_with("535 ")) << sent.server_reply;
  EXPECT_EQ(sent.error.find(wrong), std::string::npos) << sent.error;
  EXPECT_EQ(sent.server_reply.find(wrong), std::string::npos) << sent.server_reply;
  EXPECT_EQ(server->Accepted(), 0);
}

TEST_F(SmtpSenderTest, MissingAuthAndMissingPasswordAreNotRetryable) {
  auto server = Start(WithAuth("kanshi", "pw"));
  ASSERT_TRUE(server->started());
  SmtpSettings s = Settings(*server);
  SendResult sent = SmtpSender(s).Send(FirstReport(), kTo);  // no AUTH at all
  EXPECT_FALSE(sent.ok);
  EXPECT_FALSE(sent.retryable) << sent.error;
  EXPECT_TRUE(sent.server_reply.starts_with("530 ")) << sent.server_reply;

  s.user = "kanshi";
  s.password_file = "/nonexistent/mimamori/smtp-password";
  sent = SmtpSender(s).Send(FirstReport(), kTo);
  EXPECT_FALSE(sent.retryable);
  EXPECT_EQ(sent.error, "mail <mimamori.incident-2025-0042.report-1@" + std::string(kDomain) +
                            "> via " + server->url() +
                            ": password file /nonexistent/mimamori/smtp-password: cannot read: "
                            "No such file or directory");
}

TEST_F(SmtpSenderNoServerTest, BadMessagesAndSettingsFailBeforeConnecting) {
  SmtpSettings s;
  s.url = "smtp://127.0.0.1:1";  // never reached
  MailMessage bad = FirstReport();
  bad.subject = "x\r\nBcc: evil@example.com";
  SendResult sent = SmtpSender(s).Send(bad, kTo);
  EXPECT_FALSE(sent.retryable);
  EXPECT_TRUE(sent.error.ends_with(": cannot build the message: subject contains a line break"))
      << sent.error;

  sent = SmtpSender(s).Send(FirstReport(), {"a@b.jp>\r\nRCPT TO:<evil@example.com"});
  EXPECT_FALSE(sent.retryable);
  EXPECT_NE(sent.error.find("is not a valid address"), std::string::npos) << sent.error;

  s.url = "smtp://kanshi:secret@127.0.0.1:25";
  sent = SmtpSender(s).Send(FirstReport(), kTo);
  EXPECT_FALSE(sent.retryable);
  EXPECT_EQ(sent.error.find("secret"), std::string::npos) << sent.error;

  s.url = "http://127.0.0.1:25";
  sent = SmtpSender(s).Send(FirstReport(), kTo);
  EXPECT_FALSE(sent.retryable);
  EXPECT_NE(sent.error.find("url must start with smtp:// or smtps://"), std::string::npos);
}

}  // namespace
}  // namespace mimamori::collector
