// The phone channel against real peers: commands run as real processes
// (phone_record_call.sh records what it was handed; sh one-liners exit,
// hang, ignore stdin or flood stdout), and the webhook posts to a real HTTP
// server (phone_webhook_server.py, Python's http.server) whose own JSON
// parser decodes the body, so the escaping is checked by a parser that is
// not ours.
//
// No assertion is about durations: a timeout test only checks the verdict
// and that nothing is left running. Ports are ephemeral; every wait is
// bounded; servers are stopped by their owners' destructors and also exit
// when the test binary goes.
#include <netinet/in.h>
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
#include <string>
#include <thread>
#include <vector>

#include "collector/alerting/phone_sender.h"
#include "tests/integration/agent_process.h"

namespace mimamori::collector {
namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;
using mimamori::testing::ChildProcess;
using mimamori::testing::CommandResult;
using mimamori::testing::FindPython;
using mimamori::testing::ReadFile;
using mimamori::testing::RunCommand;
using mimamori::testing::SourceDir;
using mimamori::testing::TempDir;
using mimamori::testing::WaitFor;

TimePoint Utc(int y, unsigned mo, unsigned d, int h, int mi) {
  return std::chrono::sys_days{std::chrono::year{y} / std::chrono::month{mo} /
                               std::chrono::day{d}} +
         std::chrono::hours{h} + std::chrono::minutes{mi};
}

constexpr char kKey[] = "<2025-0042.1@kanshi.example.lg.jp>";
constexpr char kToken[] = "s3cr3t-Bearer-token-4711";

// Japanese text, every kind of escape and one malformed byte (0xFF).
PhoneCall SampleCall() {
  PhoneCall call;
  call.idempotency_key = kKey;
  call.incident_id = "2025-0042";
  call.report_number = 1;
  call.report_kind = "first";
  call.targets = {"山田 太郎 <090-1234-5678>", "ICTセンター \"当番\" <03-0000-0000>"};
  call.subject = "【第三期サーバ仮想基盤障害発生】第一報";
  call.body =
      "発生日時: 2025/07/01 00:25\n影響を受けている仮想マシン:\tjumin-db01\r\n"
      "パス C:\\temp \x01 \x7f end\xff";
  call.due_at = Utc(2025, 6, 30, 15, 30);  // already the next day in Japan
  return call;
}

// SampleCall() as JSON, exactly (the malformed byte became U+FFFD).
const std::string kSampleJson =
    R"({"incident_id":"2025-0042","report_number":1,"report_kind":"first",)"
    R"("targets":["山田 太郎 <090-1234-5678>","ICTセンター \"当番\" <03-0000-0000>"],)"
    R"("subject":"【第三期サーバ仮想基盤障害発生】第一報",)"
    R"("body":"発生日時: 2025/07/01 00:25\n影響を受けている仮想マシン:\tjumin-db01\r\n)"
    R"(パス C:\\temp \u0001 \u007f end)"
    "\xEF\xBF\xBD"
    R"(","due_at":"2025-07-01T00:30:00+09:00",)"
    R"("idempotency_key":"<2025-0042.1@kanshi.example.lg.jp>"})";

// SampleCall().body as a JSON parser reads it back.
const std::string kDecodedBody =
    "発生日時: 2025/07/01 00:25\n影響を受けている仮想マシン:\tjumin-db01\r\n"
    "パス C:\\temp \x01 \x7f end\xEF\xBF\xBD";

fs::path HelperScript(const std::string& name) {
  return SourceDir() / "tests" / "integration" / name;
}

std::unique_ptr<PhoneSender> CommandSender(std::vector<std::string> argv,
                                           std::chrono::milliseconds timeout = 60s) {
  PhoneSettings settings;
  settings.command = std::move(argv);
  settings.timeout = timeout;
  return MakePhoneSender(settings);
}

// No child of ours has exited without being reaped (a zombie). Children
// other suites keep running do not count; nothing is reaped here.
void ExpectNoZombieChildren() {
  siginfo_t info{};
  const int rc = ::waitid(P_ALL, 0, &info, WEXITED | WNOHANG | WNOWAIT);
  if (rc != 0) {
    EXPECT_EQ(errno, ECHILD);
    return;
  }
  EXPECT_EQ(info.si_pid, 0) << "child " << info.si_pid << " exited and was never reaped";
}

// True when `pid` is gone or a zombie (whoever inherited it reaps it).
bool ProcessIsDead(pid_t pid) {
  const std::string stat = ReadFile("/proc/" + std::to_string(pid) + "/stat");
  if (stat.empty()) return true;
  const std::size_t paren = stat.rfind(')');
  return paren != std::string::npos && paren + 2 < stat.size() &&
         (stat[paren + 2] == 'Z' || stat[paren + 2] == 'X');
}

bool SigpipeBlockedInThisThread() {
  sigset_t current;
  sigemptyset(&current);
  ::pthread_sigmask(SIG_BLOCK, nullptr, &current);
  return sigismember(&current, SIGPIPE) == 1;
}

class ScopedEnv {
 public:
  ScopedEnv(const char* name, const char* value) : name_(name) {
    if (const char* old = std::getenv(name)) old_ = old;
    ::setenv(name, value, 1);
  }
  ~ScopedEnv() {
    if (old_) {
      ::setenv(name_, old_->c_str(), 1);
    } else {
      ::unsetenv(name_);
    }
  }
  ScopedEnv(const ScopedEnv&) = delete;
  ScopedEnv& operator=(const ScopedEnv&) = delete;

 private:
  const char* name_;
  std::optional<std::string> old_;
};

// ---------------------------------------------------------------- command

TEST(PhoneSenderFactory, NothingConfiguredMeansNoPhoneChannel) {
  EXPECT_EQ(MakePhoneSender(PhoneSettings{}), nullptr);
}

TEST(PhoneCommand, HandsTheCallOverAsJsonOnStdinAndInTheEnvironment) {
  TempDir dir;
  const ScopedEnv inherited("MIMAMORI_TEST_INHERITED", "yes");
  const ScopedEnv stale("MIMAMORI_REPORT_KIND", "stale value from the collector's environment");
  auto sender = CommandSender(
      {"/bin/sh", HelperScript("phone_record_call.sh").string(), dir.path().string(), "0"});
  ASSERT_NE(sender, nullptr);
  EXPECT_EQ(sender->Describe(), "command /bin/sh");

  const SendResult result = sender->Call(SampleCall());
  EXPECT_TRUE(result.ok) << result.error;
  EXPECT_EQ(result.error, "");
  EXPECT_EQ(result.server_reply,
            std::string("exit 0: recorded call ") + kKey + " a line on stderr");

  EXPECT_EQ(ReadFile(dir.path() / "stdin.json"), kSampleJson + "\n");
  EXPECT_EQ(ReadFile(dir.path() / "MIMAMORI_INCIDENT_ID"), "2025-0042");
  EXPECT_EQ(ReadFile(dir.path() / "MIMAMORI_REPORT_NUMBER"), "1");
  EXPECT_EQ(ReadFile(dir.path() / "MIMAMORI_REPORT_KIND"), "first");
  EXPECT_EQ(ReadFile(dir.path() / "MIMAMORI_TARGETS"),
            "山田 太郎 <090-1234-5678>\nICTセンター \"当番\" <03-0000-0000>");
  EXPECT_EQ(ReadFile(dir.path() / "MIMAMORI_DUE_AT"), "2025-07-01T00:30:00+09:00");
  EXPECT_EQ(ReadFile(dir.path() / "MIMAMORI_IDEMPOTENCY_KEY"), kKey);
  EXPECT_EQ(ReadFile(dir.path() / "inherited"), "yes");
  EXPECT_FALSE(SigpipeBlockedInThisThread());
  ExpectNoZombieChildren();
}

TEST(PhoneCommand, JsonStdinParsesWithPythonsParser) {
  const CommandResult have_python = RunCommand({"python3", "-c", "import json"}, 30s);
  if (have_python.exit_code != 0) GTEST_SKIP() << "python3 is not installed";
  TempDir dir;
  auto sender = CommandSender(
      {"/bin/sh", HelperScript("phone_record_call.sh").string(), dir.path().string(), "0"});
  ASSERT_TRUE(sender->Call(SampleCall()).ok);
  const CommandResult parsed = RunCommand({"python3", "-c",
                                           "import json, sys\n"
                                           "d = json.load(open(sys.argv[1], encoding='utf-8'))\n"
                                           "sys.stdout.write(d['body'])\n",
                                           (dir.path() / "stdin.json").string()},
                                          30s, {"PYTHONIOENCODING=utf-8"});
  ASSERT_EQ(parsed.exit_code, 0) << parsed.Describe();
  EXPECT_EQ(parsed.out, kDecodedBody);
}

TEST(PhoneCommand, ExitTempfailIsRetryable) {
  TempDir dir;
  auto sender = CommandSender(
      {"/bin/sh", HelperScript("phone_record_call.sh").string(), dir.path().string(), "75"});
  const SendResult result = sender->Call(SampleCall());
  EXPECT_FALSE(result.ok);
  EXPECT_TRUE(result.retryable);
  EXPECT_EQ(result.server_reply,
            std::string("exit 75 (EX_TEMPFAIL): recorded call ") + kKey + " a line on stderr");
  EXPECT_EQ(result.error, "phone call for incident 2025-0042 report 1 via command /bin/sh: " +
                              result.server_reply);
  ExpectNoZombieChildren();
}

TEST(PhoneCommand, OtherFailuresAreRetryableToo) {
  TempDir dir;
  auto exit1 = CommandSender(
      {"/bin/sh", HelperScript("phone_record_call.sh").string(), dir.path().string(), "1"});
  const SendResult failed = exit1->Call(SampleCall());
  EXPECT_FALSE(failed.ok);
  EXPECT_TRUE(failed.retryable);
  EXPECT_TRUE(failed.server_reply.starts_with("exit 1: ")) << failed.server_reply;

  auto killed = CommandSender({"/bin/sh", "-c", "kill -KILL $$"});
  const SendResult signalled = killed->Call(SampleCall());
  EXPECT_FALSE(signalled.ok);
  EXPECT_TRUE(signalled.retryable);
  EXPECT_EQ(signalled.server_reply, "killed by signal 9 (SIGKILL)");
  ExpectNoZombieChildren();
}

TEST(PhoneCommand, ProgramThatCannotRunIsPermanentAndNamed) {
  TempDir dir;
  const fs::path not_executable = dir.Write("call-duty", "#!/bin/sh\nexit 0\n");
  fs::permissions(not_executable, fs::perms::owner_read | fs::perms::owner_write);
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"/nonexistent/mimamori-call-duty", "No such file or directory"},
      {"mimamori-no-such-program-in-path", "No such file or directory"},
      {not_executable.string(), "Permission denied"},
  };
  for (const auto& [program, why] : cases) {
    SCOPED_TRACE(program);
    const SendResult result = CommandSender({program, "--now"})->Call(SampleCall());
    EXPECT_FALSE(result.ok);
    EXPECT_FALSE(result.retryable);
    EXPECT_EQ(result.error, "phone call for incident 2025-0042 report 1 via command " + program +
                                ": cannot run " + program + ": " + why);
  }
  ExpectNoZombieChildren();
}

TEST(PhoneCommand, TimeoutKillsTheWholeProcessGroup) {
  TempDir dir;
  const std::string background = (dir.path() / "background.pid").string();
  auto sender = CommandSender(
      {"/bin/sh", "-c", "sleep 60 & echo $! > \"$0\"; echo waiting; wait", background}, 300ms);
  const SendResult result = sender->Call(SampleCall());
  EXPECT_FALSE(result.ok);
  EXPECT_TRUE(result.retryable);
  EXPECT_TRUE(result.server_reply.starts_with("timed out after 300 ms")) << result.server_reply;
  EXPECT_NE(result.error.find("timed out after 300 ms; its process group was killed"),
            std::string::npos)
      << result.error;
  ExpectNoZombieChildren();
  // The shell's own child got the signal too (when the shell got as far as
  // starting it before the deadline).
  const std::string pid_text = ReadFile(background);
  if (!pid_text.empty()) {
    const pid_t pid = std::stoi(pid_text);
    EXPECT_TRUE(WaitFor([&] { return ProcessIsDead(pid); }, 10s, 10ms))
        << "the background sleep " << pid << " survived";
  }
}

TEST(PhoneCommand, TimeoutEscalatesToSigkillWhenSigtermIsIgnored) {
  auto sender = CommandSender({"/bin/sh", "-c", "trap '' TERM; sleep 60; sleep 60"}, 300ms);
  const SendResult result = sender->Call(SampleCall());
  EXPECT_FALSE(result.ok);
  EXPECT_TRUE(result.retryable);
  EXPECT_TRUE(result.server_reply.starts_with("timed out after 300 ms")) << result.server_reply;
  ExpectNoZombieChildren();
}

TEST(PhoneCommand, CommandThatNeverReadsItsStdinDoesNotBlockOrKillUs) {
  // Far more than a pipe holds, so writing it all would block forever; the
  // child exits without reading, so our writes fail with EPIPE (and would
  // raise SIGPIPE, which gtest leaves at its default: ending the process).
  PhoneCall call = SampleCall();
  call.body = std::string(1 << 20, 'x');
  auto sender = CommandSender({"/bin/sh", "-c", "echo not reading; exit 0"});
  for (int i = 0; i < 3; ++i) {
    const SendResult result = sender->Call(call);
    EXPECT_TRUE(result.ok) << result.error;
    EXPECT_EQ(result.server_reply, "exit 0: not reading");
  }
  EXPECT_FALSE(SigpipeBlockedInThisThread());
  sigset_t pending;
  sigemptyset(&pending);
  ::sigpending(&pending);
  EXPECT_FALSE(sigismember(&pending, SIGPIPE));
  ExpectNoZombieChildren();
}

TEST(PhoneCommand, FloodOfOutputIsCutNotBlocking) {
  // Neither side reads what the other writes first: without non-blocking
  // I/O on both pipes this deadlocks.
  PhoneCall call = SampleCall();
  call.body = std::string(1 << 20, 'y');
  auto sender = CommandSender({"/bin/sh", "-c", "head -c 4000000 /dev/zero | tr '\\0' x; exit 0"});
  const SendResult result = sender->Call(call);
  EXPECT_TRUE(result.ok) << result.error;
  EXPECT_TRUE(result.server_reply.starts_with("exit 0: xxxxxxxx")) << result.server_reply;
  EXPECT_TRUE(result.server_reply.ends_with("…"));
  EXPECT_LE(result.server_reply.size(), 4096u + 32u);
  ExpectNoZombieChildren();
}

TEST(PhoneCommand, ConcurrentCallsKeepTheirOwnPipes) {
  auto sender =
      CommandSender({"/bin/sh", "-c", "cat >/dev/null; printf %s \"$MIMAMORI_IDEMPOTENCY_KEY\""});
  constexpr int kThreads = 4;
  constexpr int kCallsEach = 5;
  std::vector<std::vector<SendResult>> results(kThreads);
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kCallsEach; ++i) {
        PhoneCall call = SampleCall();
        call.idempotency_key = "<key-" + std::to_string(t) + "-" + std::to_string(i) + ">";
        results[t].push_back(sender->Call(call));
      }
    });
  }
  for (std::thread& thread : threads) thread.join();
  for (int t = 0; t < kThreads; ++t) {
    for (int i = 0; i < kCallsEach; ++i) {
      const SendResult& r = results[t][i];
      EXPECT_TRUE(r.ok) << r.error;
      EXPECT_EQ(r.server_reply,
                "exit 0: <key-" + std::to_string(t) + "-" + std::to_string(i) + ">");
    }
  }
  ExpectNoZombieChildren();
}

TEST(PhoneCommand, MissingIdempotencyKeyIsRefused) {
  PhoneCall call = SampleCall();
  call.idempotency_key = "";
  const SendResult result = CommandSender({"/bin/true"})->Call(call);
  EXPECT_FALSE(result.ok);
  EXPECT_FALSE(result.retryable);
  EXPECT_NE(result.error.find("idempotency key is empty"), std::string::npos) << result.error;
}

// ---------------------------------------------------------------- webhook

/// phone_webhook_server.py on 127.0.0.1:<ephemeral>.
class WebhookServer {
 public:
  WebhookServer(const std::string& python, const std::vector<std::string>& options) {
    inbox_ = dir_.path() / "inbox";
    fs::create_directory(inbox_);
    ChildProcess::Options spawn;
    spawn.argv = {python, HelperScript("phone_webhook_server.py").string(), "--dir",
                  inbox_.string()};
    spawn.argv.insert(spawn.argv.end(), options.begin(), options.end());
    spawn.stdout_path = dir_.path() / "port";
    spawn.stderr_path = dir_.path() / "server.log";
    std::optional<ChildProcess> child = ChildProcess::Spawn(spawn, error_);
    if (!child) return;
    child_ = std::move(*child);
    std::string port;
    WaitFor(
        [&] {
          port = ReadFile(dir_.path() / "port");
          return port.find('\n') != std::string::npos || !child_.Running();
        },
        20s, 10ms);
    if (port.find('\n') != std::string::npos) {
      port_ = std::stoi(port);
    } else {
      error_ = "the webhook server did not print its port; its log:\n" + log();
    }
  }
  ~WebhookServer() { child_.Stop(1s); }
  WebhookServer(const WebhookServer&) = delete;
  WebhookServer& operator=(const WebhookServer&) = delete;

  bool started() const { return port_ > 0; }
  const std::string& error() const { return error_; }
  std::string url(const std::string& path) const {
    return "http://127.0.0.1:" + std::to_string(port_) + path;
  }
  std::string log() const { return ReadFile(dir_.path() / "server.log"); }
  /// A recorded part of the n-th request ("" when absent).
  std::string Field(int n, const std::string& name) const {
    return ReadFile(inbox_ / ("req-" + std::to_string(n)) / name);
  }
  bool Has(int n, const std::string& name) const {
    return fs::exists(inbox_ / ("req-" + std::to_string(n)) / name);
  }
  int Requests() const {
    int n = 0;
    for (const auto& entry : fs::directory_iterator(inbox_)) {
      n += !entry.path().filename().string().ends_with(".tmp");
    }
    return n;
  }

 private:
  TempDir dir_;
  fs::path inbox_;
  ChildProcess child_;
  std::string error_;
  int port_ = 0;
};

class PhoneWebhookTest : public ::testing::Test {
 protected:
  void SetUp() override {
    python_ = FindPython("http.server, json");
    if (!python_) GTEST_SKIP() << "no python3 with http.server (Debian package python3)";
  }

  std::unique_ptr<WebhookServer> Start(const std::vector<std::string>& options = {}) {
    auto server = std::make_unique<WebhookServer>(*python_, options);
    EXPECT_TRUE(server->started()) << server->error();
    return server;
  }

  std::unique_ptr<PhoneSender> Sender(const std::string& url,
                                      std::chrono::milliseconds timeout = 60s) {
    PhoneSettings settings;
    settings.webhook_url = url;
    settings.timeout = timeout;
    settings.token_file = token_file_;
    settings.token_env = token_env_;
    return MakePhoneSender(settings);
  }

  static void ExpectNoToken(const SendResult& result, const std::string& token = kToken) {
    EXPECT_EQ(result.server_reply.find(token), std::string::npos) << result.server_reply;
    EXPECT_EQ(result.error.find(token), std::string::npos) << result.error;
  }

  std::optional<std::string> python_;
  TempDir dir_;
  std::string token_file_;
  std::string token_env_;
};

TEST_F(PhoneWebhookTest, PostsTheCallAsJsonWithItsHeaders) {
  auto server = Start({"--echo-auth"});
  ASSERT_TRUE(server->started());
  token_file_ = dir_.Write("token", std::string(kToken) + "\n").string();
  auto sender = Sender(server->url("/duty/call?tenant=mie"));
  ASSERT_NE(sender, nullptr);
  EXPECT_EQ(sender->Describe(), "webhook " + server->url("/duty/call") + "?…");

  const SendResult result = sender->Call(SampleCall());
  EXPECT_TRUE(result.ok) << result.error;
  EXPECT_EQ(result.error, "");
  // The server echoed the token; we must not repeat it.
  EXPECT_EQ(result.server_reply, "HTTP 200 recorded request 1; you sent Bearer ***");
  ExpectNoToken(result);
  EXPECT_EQ(sender->Describe().find(kToken), std::string::npos);

  ASSERT_EQ(server->Requests(), 1);
  EXPECT_EQ(server->Field(1, "method"), "POST");
  EXPECT_EQ(server->Field(1, "path"), "/duty/call?tenant=mie");
  EXPECT_EQ(server->Field(1, "header-content-type"), "application/json; charset=utf-8");
  EXPECT_EQ(server->Field(1, "header-idempotency-key"), kKey);
  EXPECT_EQ(server->Field(1, "header-authorization"), std::string("Bearer ") + kToken);
  EXPECT_EQ(server->Field(1, "body"), kSampleJson);
  EXPECT_FALSE(server->Has(1, "json_error")) << server->Field(1, "json_error");
  EXPECT_EQ(server->Field(1, "keys"),
            "incident_id,report_number,report_kind,targets,subject,body,due_at,idempotency_key");
  EXPECT_EQ(server->Field(1, "field-incident_id"), "2025-0042");
  EXPECT_EQ(server->Field(1, "field-report_number"), "1");
  EXPECT_EQ(server->Field(1, "field-report_kind"), "first");
  EXPECT_EQ(server->Field(1, "field-targets"),
            "山田 太郎 <090-1234-5678>\nICTセンター \"当番\" <03-0000-0000>");
  EXPECT_EQ(server->Field(1, "field-subject"), "【第三期サーバ仮想基盤障害発生】第一報");
  EXPECT_EQ(server->Field(1, "field-body"), kDecodedBody);
  EXPECT_EQ(server->Field(1, "field-due_at"), "2025-07-01T00:30:00+09:00");
  EXPECT_EQ(server->Field(1, "field-idempotency_key"), kKey);
}

TEST_F(PhoneWebhookTest, TokenIsReadAtEveryCall) {
  auto server = Start();
  ASSERT_TRUE(server->started());
  token_file_ = dir_.Write("token", "first-token\n").string();
  auto sender = Sender(server->url("/call"));
  ASSERT_TRUE(sender->Call(SampleCall()).ok);
  dir_.Write("token", "rotated-token\r\nsecond line is ignored\n");
  ASSERT_TRUE(sender->Call(SampleCall()).ok);
  EXPECT_EQ(server->Field(1, "header-authorization"), "Bearer first-token");
  EXPECT_EQ(server->Field(2, "header-authorization"), "Bearer rotated-token");
}

TEST_F(PhoneWebhookTest, TokenFromTheEnvironment) {
  auto server = Start({"--echo-auth", "--status", "403"});
  ASSERT_TRUE(server->started());
  const ScopedEnv token("MIMAMORI_TEST_PHONE_TOKEN", kToken);
  token_env_ = "MIMAMORI_TEST_PHONE_TOKEN";
  const SendResult result = Sender(server->url("/call"))->Call(SampleCall());
  EXPECT_FALSE(result.ok);
  EXPECT_FALSE(result.retryable);
  EXPECT_EQ(result.server_reply, "HTTP 403 recorded request 1; you sent Bearer ***");
  ExpectNoToken(result);
  EXPECT_EQ(server->Field(1, "header-authorization"), std::string("Bearer ") + kToken);
}

TEST_F(PhoneWebhookTest, NoTokenMeansNoAuthorizationHeader) {
  auto server = Start();
  ASSERT_TRUE(server->started());
  ASSERT_TRUE(Sender(server->url("/call"))->Call(SampleCall()).ok);
  ASSERT_EQ(server->Requests(), 1);
  EXPECT_FALSE(server->Has(1, "header-authorization"));
  EXPECT_EQ(server->Field(1, "header-idempotency-key"), kKey);
}

TEST_F(PhoneWebhookTest, StatusDecidesWhetherToRetry) {
  token_file_ = dir_.Write("token", kToken).string();
  const std::vector<std::pair<int, bool>> cases = {
      {500, true},  {503, true},  {429, true},  {408, true},
      {404, false}, {400, false}, {401, false}, {301, false},
  };
  for (const auto& [status, retryable] : cases) {
    SCOPED_TRACE(status);
    auto server = Start({"--echo-auth", "--status", std::to_string(status)});
    ASSERT_TRUE(server->started());
    const SendResult result = Sender(server->url("/call"))->Call(SampleCall());
    EXPECT_FALSE(result.ok);
    EXPECT_EQ(result.retryable, retryable);
    const std::string reply =
        "HTTP " + std::to_string(status) + " recorded request 1; you sent Bearer ***";
    EXPECT_EQ(result.server_reply, reply);
    EXPECT_EQ(result.error, "phone call for incident 2025-0042 report 1 via webhook " +
                                server->url("/call") + ": " + reply);
    ExpectNoToken(result);
  }
}

TEST_F(PhoneWebhookTest, ReplyBodyIsCutTo200BytesAfterTheTokenIsScrubbed) {
  // A token longer than the quote: cutting first would leave a prefix of it.
  const std::string long_token(300, 't');
  token_file_ = dir_.Write("token", long_token).string();
  auto server = Start({"--echo-auth", "--status", "502", "--pad", "1000"});
  ASSERT_TRUE(server->started());
  const SendResult result = Sender(server->url("/call"))->Call(SampleCall());
  EXPECT_FALSE(result.ok);
  EXPECT_TRUE(result.retryable);
  EXPECT_TRUE(
      result.server_reply.starts_with("HTTP 502 recorded request 1; you sent Bearer *** zzzz"))
      << result.server_reply;
  EXPECT_TRUE(result.server_reply.ends_with("z…")) << result.server_reply;
  EXPECT_EQ(result.server_reply.size(), std::string("HTTP 502 ").size() + 200 + 3);
  ExpectNoToken(result, std::string(20, 't'));
}

TEST_F(PhoneWebhookTest, ConnectionRefusedIsRetryable) {
  // A port that is bound but not listening refuses connections, and stays
  // ours (no other test can take it) until the end of the test.
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  ASSERT_GE(fd, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ASSERT_EQ(::bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof address), 0);
  socklen_t length = sizeof address;
  ASSERT_EQ(::getsockname(fd, reinterpret_cast<sockaddr*>(&address), &length), 0);
  token_file_ = dir_.Write("token", kToken).string();
  const std::string url = "http://127.0.0.1:" + std::to_string(ntohs(address.sin_port)) + "/call";
  const SendResult result = Sender(url)->Call(SampleCall());
  ::close(fd);
  EXPECT_FALSE(result.ok);
  EXPECT_TRUE(result.retryable);
  EXPECT_EQ(result.server_reply, "");
  EXPECT_TRUE(result.error.starts_with("phone call for incident 2025-0042 report 1 via webhook " +
                                       url + ": "))
      << result.error;
  ExpectNoToken(result);
}

TEST_F(PhoneWebhookTest, SlowReceiverTimesOutAndIsRetryable) {
  auto server = Start({"--delay", "60"});
  ASSERT_TRUE(server->started());
  const SendResult result = Sender(server->url("/call"), 300ms)->Call(SampleCall());
  EXPECT_FALSE(result.ok);
  EXPECT_TRUE(result.retryable);
  EXPECT_NE(result.error.find("timed out"), std::string::npos) << result.error;
}

TEST_F(PhoneWebhookTest, SettingsProblemsArePermanent) {
  struct Case {
    std::string url;
    std::string token_file;
    std::string token_env;
    std::string why;
  };
  const std::string missing = (dir_.path() / "no-such-token").string();
  const std::string empty = dir_.Write("empty-token", "\n").string();
  const std::string broken = dir_.Write("broken-token", std::string(kToken) + "\x01x\n").string();
  const std::vector<Case> cases = {
      {"ftp://127.0.0.1/call", "", "", "webhook_url must start with http:// or https://"},
      {"http://user:" + std::string(kToken) + "@127.0.0.1/call", "", "",
       "webhook_url must not contain user info; use token_file or token_env"},
      {"http://127.0.0.1/call", missing, "",
       "token file " + missing + ": cannot read: No such file or directory"},
      {"http://127.0.0.1/call", empty, "", "token file " + empty + " is empty"},
      {"http://127.0.0.1/call", broken, "", "the token has control characters"},
      {"http://127.0.0.1/call", "", "MIMAMORI_TEST_UNSET_TOKEN_VARIABLE",
       "environment variable MIMAMORI_TEST_UNSET_TOKEN_VARIABLE is not set"},
  };
  ::unsetenv("MIMAMORI_TEST_UNSET_TOKEN_VARIABLE");
  for (const Case& c : cases) {
    SCOPED_TRACE(c.url + " " + c.token_file + " " + c.token_env);
    token_file_ = c.token_file;
    token_env_ = c.token_env;
    auto sender = Sender(c.url);
    const SendResult result = sender->Call(SampleCall());
    EXPECT_FALSE(result.ok);
    EXPECT_FALSE(result.retryable);
    EXPECT_EQ(result.error, "phone call for incident 2025-0042 report 1 via " + sender->Describe() +
                                ": " + c.why);
    EXPECT_EQ(sender->Describe().find(kToken), std::string::npos) << sender->Describe();
    ExpectNoToken(result);
  }
}

}  // namespace
}  // namespace mimamori::collector
