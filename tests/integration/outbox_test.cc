// The outbox against a real SQLite ledger file and a real SMTP server
// (aiosmtpd, see smtp_server.h), driven by a ManualClock: an hour-long mail
// server outage takes a few dozen passes and no real time. Crashes are real:
// a forked child runs the outbox and is SIGKILLed mid-send, and the parent
// recovers from the file the child left.
//
// The phone channel is a test-local fake PhoneSender standing for the
// configured command; the hand-off of phone duties to the on-duty mail goes
// through the real SMTP server.
#include <signal.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <chrono>
#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <tuple>
#include <utility>
#include <vector>

#include "collector/alerting/mail_message.h"
#include "collector/alerting/mail_templates.h"
#include "collector/alerting/outbox.h"
#include "collector/alerting/phone_sender.h"
#include "collector/alerting/smtp_sender.h"
#include "collector/core/clock.h"
#include "collector/ledger/ledger.h"
#include "tests/integration/smtp_server.h"

namespace mimamori::collector {
namespace {

namespace fs = std::filesystem;
using mimamori::testing::FindPython;
using mimamori::testing::ScratchDir;
using mimamori::testing::SmtpServer;
using mimamori::testing::WaitUntil;
using std::chrono::minutes;
using std::chrono::seconds;

constexpr char kDomain[] = "kanshi.example.lg.jp";
constexpr char kPlatform[] = "第三期サーバ仮想基盤";
const std::vector<std::string> kTo = {"kiban-kanri@example.lg.jp", "jumin-system@example.lg.jp"};
const std::vector<std::string> kOnDuty = {"toban@example.lg.jp"};

// 2025-07-01 09:00 JST, a Tuesday.
const TimePoint kT0 =
    std::chrono::sys_days{std::chrono::year{2025} / 7 / 1} + std::chrono::hours{0};

/// A phone channel that answers from a script and records every call.
class FakePhone final : public PhoneSender {
 public:
  std::vector<SendResult> script;  ///< answers in order; the last one repeats
  std::vector<PhoneCall> calls;

  SendResult Call(const PhoneCall& call) override {
    calls.push_back(call);
    if (script.empty()) return SendResult{true, false, "exit 0: queued", ""};
    const std::size_t i = std::min(calls.size(), script.size()) - 1;
    return script[i];
  }
  std::string Describe() const override { return "command /usr/local/bin/call-duty"; }
};

/// A mail channel that answers from a script and records every message.
class FakeMail final : public MailSender {
 public:
  std::vector<SendResult> script;  ///< answers in order; then "250 ok"
  std::vector<MailMessage> sent;

  SendResult Send(const MailMessage& message, const std::vector<std::string>&) override {
    sent.push_back(message);
    if (sent.size() <= script.size()) return script[sent.size() - 1];
    return SendResult{true, false, "250 ok", ""};
  }
};

/// Wraps a sender; runs `before` and `after` around each accepted Send, so
/// a child process can die at exactly that point.
class HookedMail final : public MailSender {
 public:
  HookedMail(MailSender& inner, std::function<void()> before, std::function<void()> after)
      : inner_(inner), before_(std::move(before)), after_(std::move(after)) {}
  SendResult Send(const MailMessage& message, const std::vector<std::string>& to) override {
    if (before_) before_();
    SendResult result = inner_.Send(message, to);
    if (result.ok && after_) after_();
    return result;
  }

 private:
  MailSender& inner_;
  std::function<void()> before_;
  std::function<void()> after_;
};

SendResult Retryable(std::string error, std::string reply = "") {
  return SendResult{false, true, std::move(reply), std::move(error)};
}

class OutboxTest : public ::testing::Test {
 protected:
  void SetUp() override { path_ = (dir_.path() / "ledger.db").string(); }

  bool NeedSmtp() {
    python_ = FindPython();
    return python_.has_value();
  }

  std::unique_ptr<SmtpServer> StartServer(SmtpServer::Options options = {}) {
    auto server = std::make_unique<SmtpServer>(*python_, std::move(options));
    EXPECT_TRUE(server->started()) << "aiosmtpd did not start:\n" << server->log();
    return server;
  }

  Ledger Open(bool read_only = false) const {
    LedgerOptions options;
    options.message_id_domain = kDomain;
    options.read_only = read_only;
    auto ledger = Ledger::Open(path_, options);
    if (!ledger) throw std::runtime_error(ledger.error().message);
    return std::move(*ledger);
  }

  static IncidentId NewIncidentAt(Ledger& ledger, TimePoint at, const std::string& title) {
    NewIncident in;
    in.scope = IncidentScope::kVm;
    in.title = title;
    in.priority = Priority::kHigh;
    in.service_level = "A";
    in.detected_at = at;
    in.opened_at = at;
    in.text = "ping: 3 probes without reply";
    return *ledger.OpenIncident(in);
  }

  /// A mail report whose Message-ID is made as the engine makes it.
  static ReportId QueueMail(Ledger& ledger, IncidentId incident, int number, TimePoint created,
                            TimePoint due, std::vector<std::string> to = kTo,
                            const std::string& domain = kDomain) {
    NewReport r;
    r.incident_id = incident;
    r.report_number = number;
    r.kind = number == 1 ? ReportKind::kFirst : ReportKind::kContinuing;
    r.channel = Channel::kMail;
    r.recipients = std::move(to);
    r.subject = "【第三期サーバ仮想基盤障害発生】第" + std::to_string(number) + "報";
    r.body = "■発生日時\n2025/07/01 09:00\n■影響を受けている仮想マシン\njumin-db01\n";
    r.message_id = ReportMessageId(std::to_string(incident), number, domain);
    r.due_at = due;
    r.created_at = created;
    auto id = ledger.EnqueueReport(r);
    if (!id) throw std::runtime_error(id.error().message);
    return *id;
  }

  static ReportId QueuePhone(Ledger& ledger, IncidentId incident, int number, TimePoint created,
                             TimePoint due) {
    NewReport r;
    r.incident_id = incident;
    r.report_number = number;
    r.kind = ReportKind::kFirst;
    r.channel = Channel::kPhone;
    r.recipients = {"山田 太郎 <090-1234-5678>", "佐藤 花子 <080-2345-6789>"};
    r.subject = "【第三期サーバ仮想基盤障害発生】";
    r.body = "jumin-db01 が応答しません。";
    r.due_at = due;
    r.created_at = created;
    auto id = ledger.EnqueueReport(r);
    if (!id) throw std::runtime_error(id.error().message);
    return *id;
  }

  OutboxSettings Settings(std::vector<std::string> on_duty = kOnDuty) const {
    OutboxSettings s;
    s.from = "kanshi@example.lg.jp";
    s.from_name = "サーバ仮想基盤 監視システム";
    s.on_duty = std::move(on_duty);
    s.retry.initial = seconds(30);
    s.retry.max = seconds(600);
    s.retry.phone_attempts = 3;
    s.platform_name = kPlatform;
    return s;
  }

  static SmtpSettings Smtp(const SmtpServer& server) {
    SmtpSettings s;
    s.url = server.url();
    s.timeout = std::chrono::milliseconds(60000);  // a stalled server is killed long before
    s.helo_domain = "collector.example.lg.jp";
    return s;
  }

  static Report Get(Ledger& ledger, ReportId id) { return *ledger.GetReport(id); }

  ScratchDir dir_;
  std::string path_;
  ManualClock clock_{kT0};
  std::optional<std::string> python_;
};

#define REQUIRE_SMTP()                                                                     \
  if (!NeedSmtp()) {                                                                       \
    GTEST_SKIP() << "no python3 with aiosmtpd (import aiosmtpd failed); install Debian's " \
                    "python3-aiosmtpd to run the outbox tests";                            \
  }

// --- 1. delivery ----------------------------------------------------------

TEST_F(OutboxTest, DueReportsArriveThreadedAndOnTime) {
  REQUIRE_SMTP();
  auto server = StartServer();
  ASSERT_TRUE(server->started());
  SmtpSender smtp(Smtp(*server));
  Ledger ledger = Open();
  const IncidentId incident = NewIncidentAt(ledger, kT0, "jumin-db01 ping failed");
  const ReportId first = QueueMail(ledger, incident, 1, kT0, kT0 + minutes(15));
  // Due before the first one (never in practice): order within an incident
  // still wins over due time.
  const ReportId second = QueueMail(ledger, incident, 2, kT0 + minutes(1), kT0 + minutes(10));
  NewReport later;
  later.incident_id = incident;
  later.report_number = 3;
  later.kind = ReportKind::kContinuing;
  later.recipients = kTo;
  later.subject = "【第三期サーバ仮想基盤障害発生】第3報";
  later.body = "継続";
  later.message_id = ReportMessageId(std::to_string(incident), 3, kDomain);
  later.created_at = kT0 + minutes(1);
  later.due_at = kT0 + minutes(75);
  later.not_before = kT0 + minutes(60);
  const ReportId third = *ledger.EnqueueReport(later);

  clock_.Set(kT0 + minutes(2));
  Outbox outbox(ledger, &smtp, nullptr, Settings(), clock_);
  ASSERT_EQ(outbox.Recover(), std::nullopt);
  const Outbox::Pass pass = outbox.RunOnce();
  ASSERT_FALSE(pass.error) << pass.error->message;
  EXPECT_EQ(pass.sent, 2);
  EXPECT_EQ(pass.retried, 0);
  EXPECT_EQ(pass.next_attempt, kT0 + minutes(60));  // the third one's not_before
  ASSERT_EQ(server->Accepted(), 2) << server->log();

  const std::string id1 =
      "<mimamori.incident-" + std::to_string(incident) + ".report-1@" + std::string(kDomain) + ">";
  const std::string id2 =
      "<mimamori.incident-" + std::to_string(incident) + ".report-2@" + std::string(kDomain) + ">";
  EXPECT_EQ(server->Column("message_id"), (std::vector<std::string>{id1, id2}));
  EXPECT_EQ(server->Field(1, "defects"), "");
  EXPECT_EQ(server->Field(1, "subject"), "【第三期サーバ仮想基盤障害発生】第1報");
  EXPECT_EQ(server->Field(1, "from"), "サーバ仮想基盤 監視システム <kanshi@example.lg.jp>");
  EXPECT_EQ(server->Field(1, "to"), "kiban-kanri@example.lg.jp, jumin-system@example.lg.jp");
  EXPECT_EQ(server->Field(1, "rcpt_tos"), "kiban-kanri@example.lg.jp\njumin-system@example.lg.jp");
  EXPECT_EQ(server->Field(1, "date"), "Tue, 01 Jul 2025 09:00:00 +0900");  // created_at
  EXPECT_EQ(server->Field(1, "in_reply_to"), "");
  EXPECT_EQ(server->Field(1, "references"), "");
  EXPECT_EQ(server->Field(1, "body"),
            "■発生日時\n2025/07/01 09:00\n■影響を受けている仮想マシン\njumin-db01\n");
  EXPECT_EQ(server->Field(2, "subject"), "【第三期サーバ仮想基盤障害発生】第2報");
  EXPECT_EQ(server->Field(2, "date"), "Tue, 01 Jul 2025 09:01:00 +0900");
  EXPECT_EQ(server->Field(2, "in_reply_to"), id1);
  EXPECT_EQ(server->Field(2, "references"), id1);

  for (ReportId id : {first, second}) {
    const Report r = Get(ledger, id);
    EXPECT_EQ(r.status, ReportStatus::kSent);
    EXPECT_EQ(r.attempts, 1);
    EXPECT_EQ(r.sent_at, kT0 + minutes(2));
    EXPECT_EQ(r.on_time, true);
  }
  EXPECT_EQ(Get(ledger, first).server_reply, "250 OK queued as mimamori-1");
  EXPECT_EQ(Get(ledger, third).status, ReportStatus::kPending);

  // Nothing more is due: a second pass sends nothing.
  EXPECT_EQ(outbox.RunOnce().sent, 0);
  clock_.Set(kT0 + minutes(60));
  EXPECT_EQ(outbox.RunOnce().sent, 1);
  EXPECT_EQ(server->Field(3, "in_reply_to"), id1);
}

// A report that failed on its own (a 451 for one recipient: the server is
// fine) holds back only the later reports of its incident.
TEST_F(OutboxTest, ALaterReportWaitsForTheEarlierOneOfItsIncident) {
  FakeMail mail;
  mail.script = {Retryable("RCPT TO:<x>: 451 try later", "451 4.3.0 try later")};
  Ledger ledger = Open();
  const IncidentId a = NewIncidentAt(ledger, kT0, "a");
  const IncidentId b = NewIncidentAt(ledger, kT0, "b");
  const ReportId a1 = QueueMail(ledger, a, 1, kT0, kT0 + minutes(5));
  const ReportId a2 = QueueMail(ledger, a, 2, kT0, kT0 + minutes(6));
  const ReportId b1 = QueueMail(ledger, b, 1, kT0, kT0 + minutes(7));
  Outbox outbox(ledger, &mail, nullptr, Settings(), clock_);

  Outbox::Pass pass = outbox.RunOnce();
  EXPECT_EQ(pass.retried, 1);
  EXPECT_EQ(pass.sent, 1);
  EXPECT_EQ(pass.next_attempt, kT0 + seconds(30));
  ASSERT_EQ(mail.sent.size(), 2u);
  EXPECT_EQ(mail.sent[1].message_id, Get(ledger, b1).message_id);  // not held back
  EXPECT_EQ(Get(ledger, a2).attempts, 0);
  EXPECT_EQ(Get(ledger, a1).last_error, "RCPT TO:<x>: 451 try later");

  clock_.Advance(seconds(30));
  pass = outbox.RunOnce();
  EXPECT_EQ(pass.sent, 2);
  ASSERT_EQ(mail.sent.size(), 4u);
  EXPECT_EQ(mail.sent[2].message_id, Get(ledger, a1).message_id);
  EXPECT_EQ(mail.sent[3].message_id, Get(ledger, a2).message_id);
  EXPECT_EQ(Get(ledger, a1).attempts, 2);
}

// --- 2. an hour without a mail server ---------------------------------------

TEST_F(OutboxTest, AnHourLongOutageThenEverythingInOrderAndMarkedLate) {
  REQUIRE_SMTP();
  auto server = StartServer();
  ASSERT_TRUE(server->started());
  SmtpSender smtp(Smtp(*server));
  Ledger ledger = Open();
  const IncidentId a = NewIncidentAt(ledger, kT0, "jumin-db01 ping failed");
  const IncidentId b = NewIncidentAt(ledger, kT0, "zeimu-ap01 port 443 closed");
  const ReportId a1 = QueueMail(ledger, a, 1, kT0, kT0 + minutes(5));
  Outbox outbox(ledger, &smtp, nullptr, Settings(), clock_);
  ASSERT_EQ(outbox.RunOnce().sent, 1);

  server->Stop();
  const ReportId a2 = QueueMail(ledger, a, 2, kT0 + minutes(1), kT0 + minutes(10));
  const ReportId b1 = QueueMail(ledger, b, 1, kT0 + minutes(2), kT0 + minutes(15));
  const ReportId a3 = QueueMail(ledger, a, 3, kT0 + minutes(3), kT0 + minutes(20));

  // One pass a minute for an hour.
  std::vector<std::chrono::seconds> delays;
  for (int minute = 1; minute <= 60; ++minute) {
    clock_.Set(kT0 + minutes(minute));
    const Outbox::Pass pass = outbox.RunOnce();
    ASSERT_FALSE(pass.error) << pass.error->message;
    EXPECT_EQ(pass.sent, 0);
    EXPECT_EQ(pass.failed_permanently, 0);
    ASSERT_TRUE(pass.next_attempt) << "minute " << minute;
    if (pass.retried > 0) {
      EXPECT_EQ(pass.retried, 1) << "one probe per back-off, not one per report";
      delays.push_back(std::chrono::duration_cast<seconds>(*pass.next_attempt - clock_.Now()));
    }
  }
  // The channel probed with the oldest due report only; back-off doubled
  // from 30 s and stopped at 10 min.
  const std::vector<seconds> expected = {seconds(30),  seconds(60),  seconds(120), seconds(240),
                                         seconds(480), seconds(600), seconds(600), seconds(600),
                                         seconds(600), seconds(600)};
  EXPECT_EQ(delays, expected);
  EXPECT_EQ(Get(ledger, a2).attempts, 10);
  EXPECT_EQ(Get(ledger, a2).status, ReportStatus::kPending);
  EXPECT_EQ(Get(ledger, a2).next_attempt_at, kT0 + minutes(57) + seconds(600));
  EXPECT_NE(Get(ledger, a2).last_error.find("onnect"), std::string::npos)
      << Get(ledger, a2).last_error;
  EXPECT_EQ(Get(ledger, b1).attempts, 0);  // held back with the channel
  EXPECT_EQ(Get(ledger, a3).attempts, 0);

  ASSERT_TRUE(server->Restart()) << server->log();
  int passes = 0;
  ::testing::internal::CaptureStderr();
  while (Get(ledger, a3).status != ReportStatus::kSent && passes++ < 20) {
    clock_.Advance(minutes(1));
    EXPECT_FALSE(outbox.RunOnce().error);
  }
  const std::string log = ::testing::internal::GetCapturedStderr();
  // The recovery is logged once, naming the report that got through.
  EXPECT_NE(log.find("info incident=" + std::to_string(a) + ": report=" + std::to_string(a2) +
                     " mail server reachable again after 10 failed attempts"),
            std::string::npos)
      << log;
  EXPECT_EQ(clock_.Now(), kT0 + minutes(67));  // the end of the last back-off

  const auto id = [&](ReportId r) { return Get(ledger, r).message_id; };
  EXPECT_EQ(server->Column("message_id"),
            (std::vector<std::string>{id(a1), id(a2), id(b1), id(a3)}));
  EXPECT_EQ(server->Field(4, "in_reply_to"), id(a1));
  EXPECT_EQ(Get(ledger, a1).on_time, true);
  for (ReportId r : {a2, b1, a3}) {
    EXPECT_EQ(Get(ledger, r).status, ReportStatus::kSent);
    EXPECT_EQ(Get(ledger, r).on_time, false) << "report " << r << " was late";
    EXPECT_EQ(Get(ledger, r).sent_at, kT0 + minutes(67));
  }
  EXPECT_EQ(Get(ledger, a2).attempts, 11);
  EXPECT_EQ(Get(ledger, b1).attempts, 1);
  EXPECT_EQ(Get(ledger, a3).attempts, 1);
  EXPECT_EQ(outbox.RunOnce().next_attempt, std::nullopt);
}

// --- 3. kill -9 ---------------------------------------------------------------

/// Runs `body` in a forked child, which never returns into gtest; returns
/// the wait status.
int InChild(const std::function<void()>& body) {
  const pid_t pid = ::fork();
  if (pid == 0) {
    body();
    ::_exit(0);
  }
  int status = 0;
  ::waitpid(pid, &status, 0);
  return status;
}

TEST_F(OutboxTest, KilledWhileTheServerHoldsTheMailItIsResentOnceWithTheSameId) {
  REQUIRE_SMTP();
  SmtpServer::Options options;
  options.stallable = true;
  auto server = StartServer(options);
  ASSERT_TRUE(server->started());
  ReportId report = 0;
  {
    Ledger ledger = Open();
    report = QueueMail(ledger, NewIncidentAt(ledger, kT0, "x"), 1, kT0, kT0 + minutes(5));
  }
  server->SetStall(true);
  const pid_t child = ::fork();
  if (child == 0) {
    Ledger ledger = Open();
    SmtpSender smtp(Smtp(*server));
    Outbox outbox(ledger, &smtp, nullptr, Settings(), clock_);
    (void)outbox.RunOnce();  // blocks in DATA until killed
    ::_exit(3);
  }
  const bool stalled = WaitUntil([&] { return server->Stalled(); });
  Ledger ledger = Open();
  const ReportStatus while_stalled = Get(ledger, report).status;
  ::kill(child, SIGKILL);
  int status = 0;
  ::waitpid(child, &status, 0);
  ASSERT_TRUE(stalled) << server->log();
  ASSERT_TRUE(WIFSIGNALED(status));
  EXPECT_EQ(while_stalled, ReportStatus::kSending);  // claimed before the server was contacted
  server->SetStall(false);                           // the dead client's DATA is dropped

  clock_.Advance(minutes(1));
  SmtpSender smtp(Smtp(*server));
  Outbox outbox(ledger, &smtp, nullptr, Settings(), clock_);
  ASSERT_EQ(outbox.Recover(), std::nullopt);
  EXPECT_EQ(Get(ledger, report).status, ReportStatus::kPending);
  EXPECT_EQ(outbox.RunOnce().sent, 1);
  EXPECT_EQ(server->Column("message_id"),
            (std::vector<std::string>{Get(ledger, report).message_id}));
  EXPECT_EQ(Get(ledger, report).attempts, 2);
  EXPECT_EQ(Get(ledger, report).status, ReportStatus::kSent);
}

TEST_F(OutboxTest, KilledRightAfterAcceptanceTheOnlyDuplicateIsTheSameMessage) {
  REQUIRE_SMTP();
  auto server = StartServer();
  ASSERT_TRUE(server->started());
  ReportId report = 0;
  {
    Ledger ledger = Open();
    report = QueueMail(ledger, NewIncidentAt(ledger, kT0, "x"), 1, kT0, kT0 + minutes(5));
  }
  const int status = InChild([&] {
    Ledger ledger = Open();
    SmtpSender smtp(Smtp(*server));
    // Dies between the server's 250 and MarkSent: the duplicate window.
    HookedMail hooked(smtp, nullptr, [] { ::raise(SIGKILL); });
    Outbox outbox(ledger, &hooked, nullptr, Settings(), clock_);
    (void)outbox.RunOnce();
  });
  ASSERT_TRUE(WIFSIGNALED(status));
  ASSERT_EQ(server->Accepted(), 1);

  Ledger ledger = Open();
  EXPECT_EQ(Get(ledger, report).status, ReportStatus::kSending);
  clock_.Advance(minutes(1));
  SmtpSender smtp(Smtp(*server));
  Outbox outbox(ledger, &smtp, nullptr, Settings(), clock_);
  ASSERT_EQ(outbox.Recover(), std::nullopt);
  EXPECT_EQ(outbox.RunOnce().sent, 1);
  ASSERT_EQ(server->Accepted(), 2);
  EXPECT_EQ(server->Field(1, "message_id"), Get(ledger, report).message_id);
  // The same bytes (Date is the report's creation, not the send): a
  // receiver sees one report twice, never two different reports.
  EXPECT_EQ(server->Field(1, "raw.eml"), server->Field(2, "raw.eml"));
  EXPECT_EQ(Get(ledger, report).attempts, 2);
}

// Every point at which the sender can be killed around a send (after the
// claim, after the acceptance), for three reports: afterwards each report
// arrived, in order, and the only repeat ever is the one killed after
// acceptance, with its own Message-ID.
TEST_F(OutboxTest, NoReportIsSentTwiceWhereverTheSenderIsKilled) {
  REQUIRE_SMTP();
  auto server = StartServer();
  ASSERT_TRUE(server->started());
  constexpr int kReports = 3;
  for (int kill_at = 0; kill_at < 2 * kReports; ++kill_at) {
    SCOPED_TRACE("killed at event " + std::to_string(kill_at));
    path_ = (dir_.path() / ("ledger-" + std::to_string(kill_at) + ".db")).string();
    const std::string domain = "k" + std::to_string(kill_at) + ".example.lg.jp";
    std::vector<std::string> ids;
    {
      Ledger ledger = Open();
      const IncidentId a = NewIncidentAt(ledger, kT0, "a");
      const IncidentId b = NewIncidentAt(ledger, kT0, "b");
      using Row = std::tuple<IncidentId, int, int>;  // incident, number, due minute
      for (const auto& [incident, number, due] :
           std::vector<Row>{{a, 1, 5}, {b, 1, 6}, {a, 2, 7}}) {
        const ReportId r =
            QueueMail(ledger, incident, number, kT0, kT0 + minutes(due), kTo, domain);
        ids.push_back(Get(ledger, r).message_id);
      }
    }
    const int before = server->Accepted();
    const int status = InChild([&] {
      Ledger ledger = Open();
      SmtpSender smtp(Smtp(*server));
      int event = 0;
      const auto maybe_die = [&] {
        if (event++ == kill_at) ::raise(SIGKILL);
      };
      HookedMail hooked(smtp, maybe_die, maybe_die);
      Outbox outbox(ledger, &hooked, nullptr, Settings(), clock_);
      (void)outbox.RunOnce();
    });
    ASSERT_TRUE(WIFSIGNALED(status));

    Ledger ledger = Open();
    SmtpSender smtp(Smtp(*server));
    Outbox outbox(ledger, &smtp, nullptr, Settings(), clock_);
    ASSERT_EQ(outbox.Recover(), std::nullopt);
    ASSERT_FALSE(outbox.RunOnce().error);

    std::vector<std::string> arrived;
    for (int n = before + 1; n <= server->Accepted(); ++n) {
      arrived.push_back(server->Field(n, "message_id"));
    }
    std::vector<std::string> want = ids;
    if (kill_at % 2 == 1) {
      // Killed after report kill_at/2 was accepted: it comes once more.
      want.insert(want.begin() + kill_at / 2 + 1, ids[static_cast<std::size_t>(kill_at / 2)]);
    }
    EXPECT_EQ(arrived, want);
  }
}

// --- 4. an unwritable ledger ----------------------------------------------------

TEST_F(OutboxTest, AReadOnlyLedgerStopsThePassBeforeAnythingIsSent) {
  REQUIRE_SMTP();
  auto server = StartServer();
  ASSERT_TRUE(server->started());
  SmtpSender smtp(Smtp(*server));
  Ledger writable = Open();
  const IncidentId incident = NewIncidentAt(writable, kT0, "x");
  const ReportId report = QueueMail(writable, incident, 1, kT0, kT0 + minutes(5));

  Ledger read_only = Open(/*read_only=*/true);
  Outbox outbox(read_only, &smtp, nullptr, Settings(), clock_);
  ::testing::internal::CaptureStderr();
  const Outbox::Pass pass = outbox.RunOnce();
  const std::string log = ::testing::internal::GetCapturedStderr();
  ASSERT_TRUE(pass.error);
  EXPECT_EQ(pass.error->kind, LedgerErrorKind::kStorage);
  EXPECT_NE(pass.error->message.find(path_), std::string::npos) << pass.error->message;
  EXPECT_EQ(pass.sent, 0);
  EXPECT_NE(
      log.find("error incident=" + std::to_string(incident) + ": report=" + std::to_string(report) +
               " outbox stopped: the ledger cannot be used: ledger " + path_),
      std::string::npos)
      << log;
  EXPECT_EQ(server->Accepted(), 0);
  EXPECT_EQ(Get(writable, report).status, ReportStatus::kPending);

  Outbox working(writable, &smtp, nullptr, Settings(), clock_);
  EXPECT_EQ(working.RunOnce().sent, 1);
}

// The disk fills between the server's acceptance and MarkSent: the pass
// reports the error, the row stays "sending" (Recover would resend it), and
// once the disk has room again the next pass records the delivery instead of
// sending it again. In a child: the file size limit must not touch gtest.
TEST_F(OutboxTest, AFullDiskAfterAcceptanceIsReportedAndRecordedLaterWithoutResend) {
  REQUIRE_SMTP();
  auto server = StartServer();
  ASSERT_TRUE(server->started());
  ReportId report = 0;
  {
    Ledger ledger = Open();
    report = QueueMail(ledger, NewIncidentAt(ledger, kT0, "x"), 1, kT0, kT0 + minutes(5));
  }
  int fds[2];
  ASSERT_EQ(::pipe(fds), 0);
  const int status = InChild([&] {
    ::close(fds[0]);
    const auto say = [&](const std::string& text) {
      ssize_t ignored = ::write(fds[1], text.data(), text.size());
      (void)ignored;
    };
    ::signal(SIGXFSZ, SIG_IGN);
    Ledger ledger = Open();
    SmtpSender smtp(Smtp(*server));
    HookedMail hooked(smtp, nullptr, [] {
      rlimit limit{1, RLIM_INFINITY};  // every write past byte 1 fails (EFBIG)
      ::setrlimit(RLIMIT_FSIZE, &limit);
    });
    Outbox outbox(ledger, &hooked, nullptr, Settings(), clock_);
    Outbox::Pass pass = outbox.RunOnce();
    say("error=" + (pass.error ? std::string(LedgerErrorKindName(pass.error->kind)) : "none") +
        "\nsent=" + std::to_string(pass.sent) + "\n");
    auto row = ledger.GetReport(report);
    say("status=" + (row ? std::string(ToString(row->status)) : row.error().message) + "\n");
    rlimit room{RLIM_INFINITY, RLIM_INFINITY};
    ::setrlimit(RLIMIT_FSIZE, &room);
    pass = outbox.RunOnce();
    say("later error=" + (pass.error ? pass.error->message : std::string("none")) +
        "\nlater sent=" + std::to_string(pass.sent) + "\n");
  });
  ::close(fds[1]);
  std::string output;
  char buf[512];
  ssize_t n;
  while ((n = ::read(fds[0], buf, sizeof buf)) > 0) output.append(buf, static_cast<std::size_t>(n));
  ::close(fds[0]);
  ASSERT_TRUE(WIFEXITED(status)) << output;
  EXPECT_EQ(output, "error=storage\nsent=0\nstatus=sending\nlater error=none\nlater sent=1\n");
  Ledger ledger = Open();
  EXPECT_EQ(Get(ledger, report).status, ReportStatus::kSent);
  EXPECT_EQ(Get(ledger, report).attempts, 1);
  EXPECT_EQ(Get(ledger, report).server_reply, "250 OK queued as mimamori-1");
  EXPECT_EQ(server->Accepted(), 1);
}

// --- 5. phone duties --------------------------------------------------------------

TEST_F(OutboxTest, PhoneCallCarriesTheReportAndItsIdempotencyKey) {
  FakePhone phone;
  Ledger ledger = Open();
  const IncidentId incident = NewIncidentAt(ledger, kT0, "x");
  const ReportId report = QueuePhone(ledger, incident, 1, kT0, kT0 + minutes(30));
  Outbox outbox(ledger, nullptr, &phone, Settings(), clock_);
  EXPECT_EQ(outbox.RunOnce().sent, 1);
  ASSERT_EQ(phone.calls.size(), 1u);
  const Report r = Get(ledger, report);
  const PhoneCall& call = phone.calls[0];
  EXPECT_EQ(call.idempotency_key, r.message_id);
  EXPECT_EQ(call.incident_id, std::to_string(incident));
  EXPECT_EQ(call.report_number, 1);
  EXPECT_EQ(call.report_kind, "first");
  EXPECT_EQ(call.targets, r.recipients);
  EXPECT_EQ(call.subject, r.subject);
  EXPECT_EQ(call.body, r.body);
  EXPECT_EQ(call.due_at, kT0 + minutes(30));
  EXPECT_EQ(r.status, ReportStatus::kSent);
  EXPECT_EQ(r.server_reply, "exit 0: queued");
}

TEST_F(OutboxTest, PhoneFailingRetriesThenHandsTheDutyToTheOnDutyMail) {
  REQUIRE_SMTP();
  auto server = StartServer();
  ASSERT_TRUE(server->started());
  SmtpSender smtp(Smtp(*server));
  FakePhone phone;
  phone.script = {Retryable("exit 75: gateway busy")};
  Ledger ledger = Open();
  const IncidentId incident = NewIncidentAt(ledger, kT0, "x");
  const ReportId report = QueuePhone(ledger, incident, 1, kT0, kT0 + minutes(30));
  Outbox outbox(ledger, &smtp, &phone, Settings(), clock_);

  Outbox::Pass pass = outbox.RunOnce();
  EXPECT_EQ(pass.retried, 1);
  EXPECT_EQ(pass.next_attempt, kT0 + seconds(30));
  clock_.Set(*pass.next_attempt);
  pass = outbox.RunOnce();
  EXPECT_EQ(pass.retried, 1);
  EXPECT_EQ(pass.next_attempt, kT0 + seconds(90));
  EXPECT_EQ(server->Accepted(), 0);
  clock_.Set(*pass.next_attempt);
  pass = outbox.RunOnce();  // third failure: handed off in the same attempt
  EXPECT_EQ(pass.sent, 1);
  EXPECT_EQ(phone.calls.size(), 3u);
  for (const PhoneCall& call : phone.calls) {
    EXPECT_EQ(call.idempotency_key, phone.calls[0].idempotency_key);
  }

  ASSERT_EQ(server->Accepted(), 1) << server->log();
  const Report r = Get(ledger, report);
  EXPECT_EQ(server->Field(1, "defects"), "");
  EXPECT_EQ(server->Field(1, "subject"), "【第三期サーバ仮想基盤】電話連絡依頼: インシデント " +
                                             std::to_string(incident) + " 第1報");
  EXPECT_EQ(server->Field(1, "rcpt_tos"), "toban@example.lg.jp");
  EXPECT_EQ(server->Field(1, "message_id"), HandOffMessageId(r));
  EXPECT_EQ(HandOffMessageId(r), "<on-duty." + r.message_id.substr(1));
  const std::string body = server->Field(1, "body");
  for (const std::string& part :
       {std::string("・山田 太郎 <090-1234-5678>\n・佐藤 花子 <080-2345-6789>\n"),
        std::string("■期限\n2025/07/01 09:30 まで"), std::string("jumin-db01 が応答しません。"),
        std::string("件名: 【第三期サーバ仮想基盤障害発生】"),
        std::string("exit 75: gateway busy (attempt 3 of 3)")}) {
    EXPECT_NE(body.find(part), std::string::npos) << part << "\n---\n" << body;
  }
  EXPECT_EQ(r.status, ReportStatus::kSent);
  EXPECT_EQ(r.attempts, 3);
  EXPECT_EQ(r.on_time, true);
  EXPECT_EQ(r.server_reply,
            "handed to on-duty mail toban@example.lg.jp: 250 OK queued as mimamori-1");
}

TEST_F(OutboxTest, WithoutAPhoneChannelOrOnARefusalTheDutyGoesToTheOnDutyMailAtOnce) {
  REQUIRE_SMTP();
  auto server = StartServer();
  ASSERT_TRUE(server->started());
  SmtpSender smtp(Smtp(*server));
  Ledger ledger = Open();
  const IncidentId incident = NewIncidentAt(ledger, kT0, "x");
  const ReportId first = QueuePhone(ledger, incident, 1, kT0, kT0 + minutes(30));
  {
    Outbox outbox(ledger, &smtp, nullptr, Settings(), clock_);
    EXPECT_EQ(outbox.RunOnce().sent, 1);
  }
  EXPECT_NE(server->Field(1, "body").find("理由: no phone channel is configured"),
            std::string::npos)
      << server->Field(1, "body");
  EXPECT_EQ(Get(ledger, first).server_reply,
            "handed to on-duty mail toban@example.lg.jp: 250 OK queued as mimamori-1");

  FakePhone phone;
  phone.script = {SendResult{false, false, "exit 64", "exit 64: no such target"}};
  const ReportId second = QueuePhone(ledger, incident, 2, kT0, kT0 + minutes(60));
  Outbox outbox(ledger, &smtp, &phone, Settings(), clock_);
  EXPECT_EQ(outbox.RunOnce().sent, 1);
  EXPECT_EQ(phone.calls.size(), 1u);
  EXPECT_EQ(Get(ledger, second).attempts, 1);
  EXPECT_EQ(server->Field(2, "subject"), "【第三期サーバ仮想基盤】電話連絡依頼: インシデント " +
                                             std::to_string(incident) + " 第2報");
  EXPECT_NE(server->Field(2, "body").find("exit 64: no such target (not retryable)"),
            std::string::npos);
}

TEST_F(OutboxTest, NoPhoneChannelAndNoOnDutyFailsPermanentlyAndLoudly) {
  FakeMail mail;
  Ledger ledger = Open();
  const IncidentId incident = NewIncidentAt(ledger, kT0, "x");
  const ReportId report = QueuePhone(ledger, incident, 1, kT0, kT0 + minutes(30));
  const ReportId mail_report = QueueMail(ledger, incident, 1, kT0, kT0 + minutes(30));
  Outbox outbox(ledger, &mail, nullptr, Settings(/*on_duty=*/{}), clock_);
  ::testing::internal::CaptureStderr();
  const Outbox::Pass pass = outbox.RunOnce();
  const std::string log = ::testing::internal::GetCapturedStderr();
  EXPECT_EQ(pass.failed_permanently, 1);
  EXPECT_EQ(pass.sent, 1);  // the mail copy is not affected
  const Report r = Get(ledger, report);
  EXPECT_EQ(r.status, ReportStatus::kFailedPermanently);
  EXPECT_EQ(r.last_error,
            "no phone channel could take it (no phone channel is configured) and "
            "alerting.on_duty is empty");
  EXPECT_NE(log.find("error incident=" + std::to_string(incident) + ": report=" +
                     std::to_string(report) + " phone 第1報 (first) FAILED PERMANENTLY"),
            std::string::npos)
      << log;
  EXPECT_NE(log.find("info incident=" + std::to_string(incident) +
                     ": report=" + std::to_string(mail_report) + " mail 第1報 (first) "),
            std::string::npos)
      << log;
}

TEST_F(OutboxTest, WithoutMailReportsStayPendingAndThePassSaysSo) {
  Ledger ledger = Open();
  const IncidentId incident = NewIncidentAt(ledger, kT0, "x");
  const ReportId mail_report = QueueMail(ledger, incident, 1, kT0, kT0 + minutes(30));
  const ReportId phone_report = QueuePhone(ledger, incident, 1, kT0, kT0 + minutes(30));
  Outbox outbox(ledger, nullptr, nullptr, Settings(), clock_);
  ::testing::internal::CaptureStderr();
  const Outbox::Pass pass = outbox.RunOnce();
  const std::string log = ::testing::internal::GetCapturedStderr();
  EXPECT_FALSE(pass.error);
  EXPECT_EQ(pass.sent + pass.retried + pass.failed_permanently, 0);
  EXPECT_EQ(pass.next_attempt, std::nullopt);
  EXPECT_EQ(Get(ledger, mail_report).status, ReportStatus::kPending);
  EXPECT_EQ(Get(ledger, mail_report).attempts, 0);
  EXPECT_EQ(Get(ledger, phone_report).status, ReportStatus::kPending);
  EXPECT_NE(log.find("warning incident=" + std::to_string(incident) +
                     ": report=" + std::to_string(mail_report) + "," +
                     std::to_string(phone_report) + " stay pending: mail is not configured"),
            std::string::npos)
      << log;
}

// --- 6. a refused recipient ---------------------------------------------------------

TEST_F(OutboxTest, ARefusedRecipientFailsThatReportPermanentlyAndTheNextStillGoes) {
  REQUIRE_SMTP();
  SmtpServer::Options options;
  options.rejects = {"gone@example.lg.jp=550 5.1.1 Mailbox unavailable"};
  auto server = StartServer(options);
  ASSERT_TRUE(server->started());
  SmtpSender smtp(Smtp(*server));
  Ledger ledger = Open();
  const IncidentId incident = NewIncidentAt(ledger, kT0, "x");
  const ReportId refused = QueueMail(ledger, incident, 1, kT0, kT0 + minutes(5),
                                     {"kiban-kanri@example.lg.jp", "gone@example.lg.jp"});
  const ReportId next = QueueMail(ledger, incident, 2, kT0, kT0 + minutes(6));
  Outbox outbox(ledger, &smtp, nullptr, Settings(), clock_);
  ::testing::internal::CaptureStderr();
  const Outbox::Pass pass = outbox.RunOnce();
  const std::string log = ::testing::internal::GetCapturedStderr();
  EXPECT_EQ(pass.failed_permanently, 1);
  EXPECT_EQ(pass.sent, 1);
  EXPECT_EQ(pass.next_attempt, std::nullopt);
  const Report r = Get(ledger, refused);
  EXPECT_EQ(r.status, ReportStatus::kFailedPermanently);
  EXPECT_NE(r.last_error.find("RCPT TO:<gone@example.lg.jp>: 550 5.1.1 Mailbox unavailable"),
            std::string::npos)
      << r.last_error;
  EXPECT_NE(log.find("error incident=" + std::to_string(incident) +
                     ": report=" + std::to_string(refused) + " mail 第1報 (first) " + r.message_id +
                     " FAILED PERMANENTLY"),
            std::string::npos)
      << log;
  EXPECT_EQ(Get(ledger, next).status, ReportStatus::kSent);
  EXPECT_EQ(server->Column("message_id"), (std::vector<std::string>{Get(ledger, next).message_id}));
}

}  // namespace
}  // namespace mimamori::collector
