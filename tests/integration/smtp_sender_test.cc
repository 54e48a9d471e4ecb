// SmtpSender against a real SMTP server (aiosmtpd, see smtp_server.h):
// Python's own email parser decodes what arrived, so the Japanese subject,
// threading headers and body are checked by a parser that is not ours. The
// server refuses given recipients with 451 or 550 and can require AUTH, to
// check retryable vs not and that the password never leaks into results.
//
// Skips (with the package name) when no python3 can import aiosmtpd.
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <chrono>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "collector/alerting/mail_message.h"
#include "collector/alerting/mail_templates.h"
#include "collector/alerting/smtp_sender.h"
#include "tests/integration/smtp_server.h"

namespace mimamori::collector {
namespace {

namespace fs = std::filesystem;
using mimamori::testing::FindPython;
using mimamori::testing::ScratchDir;
using mimamori::testing::SmtpServer;
using std::chrono::milliseconds;

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
