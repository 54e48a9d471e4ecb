// The outbox: delivers the reports the incident engine queued in the ledger,
// on the mail and phone channels, with retries, back-off and the hand-off of
// a phone duty to the on-duty mail when no phone channel works.
//
// Why it is shaped this way (see ledger.h for the storage side):
// - A report is claimed (pending → sending, committed) BEFORE the server is
//   contacted, and marked sent right after the server accepted it, before
//   anything else. A crash therefore leaves either "pending" (sent later) or
//   "sending" (Recover puts it back and it is resent with the SAME
//   Message-ID and the same Date, byte for byte). The only duplicate left is
//   the time between the server's "250" and MarkSent's commit (one fsync):
//   the receiver then sees the same Message-ID twice and can drop one.
// - Reports of one incident go out in their order (第N報 never before 第N-1報
//   on the same channel), and an unreachable mail server holds back the whole
//   mail channel (a back-off kept in memory) instead of each report failing
//   on its own, so that when the server is back they leave in due order.
// - Senders only give a verdict (ok / retryable / not); all waiting is here,
//   and even here nothing sleeps: RunOnce does what is due now and says when
//   to call again.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "collector/alerting/mail_message.h"
#include "collector/alerting/phone_sender.h"
#include "collector/alerting/smtp_sender.h"
#include "collector/core/clock.h"
#include "collector/inventory/inventory.h"
#include "collector/ledger/ledger.h"

namespace mimamori::collector {

struct OutboxSettings {
  std::string from;       ///< From: of every mail (addr-spec)
  std::string from_name;  ///< its display name, may be Japanese
  /// Mail addresses that get "call required" mails when a phone duty cannot
  /// be handed to a phone channel. Empty: such a phone report fails
  /// permanently (loudly).
  std::vector<std::string> on_duty;
  /// Back-off: attempt k of a report waits min(initial * 2^(k-1), max);
  /// phone_attempts failed phone attempts hand the duty to on_duty.
  RetrySettings retry;
  /// For the subject of the on-duty mail: "【<platform_name>】電話連絡依頼: ...".
  std::string platform_name;
};

/// Sends due reports from one ledger.
///
/// Contract:
/// - Ownership: borrows the ledger, the senders and the clock; all must
///   outlive the Outbox. `mail` may be null (mail not configured: mail
///   reports and phone hand-offs stay pending, never dropped); `phone` may
///   be null (no phone channel: every phone report goes to the on-duty mail).
/// - Thread-safety: none. One Outbox per thread, with its own Ledger
///   connection; and only one sending process per ledger file (see
///   Ledger::RecoverAfterCrash).
/// - Errors: never throws. Ledger failures (full disk, read-only file, lock
///   held too long) end the pass, are logged at error level and come back in
///   Pass::error; the report concerned stays pending or sending, so it is
///   not lost. An outcome that could not be recorded (e.g. the server
///   accepted a mail but MarkSent failed) is kept in memory and recorded
///   first by the next RunOnce, so a passing storage problem does not cause
///   a resend.
/// - Logs: every line names the incident (incident=<id>) and starts with
///   report=<id>, so `grep incident=42` shows one incident's deliveries.
class Outbox {
 public:
  Outbox(Ledger& ledger, MailSender* mail, PhoneSender* phone, OutboxSettings settings,
         const Clock& clock);

  /// Call once at start, before the first RunOnce: puts every report a
  /// crash left "sending" back to pending, logging each as a possible
  /// duplicate (it may have reached the server before the crash).
  LedgerStatus Recover();

  /// What one pass did.
  struct Pass {
    int sent = 0;                ///< accepted (phone hand-offs to the on-duty mail included)
    int retried = 0;             ///< failed, will be tried again
    int failed_permanently = 0;  ///< given up; an operator must act
    /// When a report this pass could not send may be tried next (a retry
    /// or the end of a channel's back-off, or a report queued for later),
    /// looking at most a day (or retry.max, if longer) ahead;
    /// nullopt when nothing is waiting for a time. The caller also runs a
    /// pass whenever new reports are queued. After a ledger error:
    /// now + retry.initial, to try again.
    std::optional<TimePoint> next_attempt;
    /// A ledger failure that ended the pass early.
    std::optional<LedgerError> error;
  };

  /// Sends every report that is due now, oldest due time first (within an
  /// incident and channel: lowest report number first), and returns when
  /// nothing more can be sent now. Blocks for the senders' timeouts; never
  /// sleeps.
  Pass RunOnce();

 private:
  /// A result to write to the ledger; kept when the write fails.
  struct Outcome {
    enum class Kind { kSent, kRetry, kFailedPermanently };
    Kind kind = Kind::kSent;
    Report report;     ///< the claimed row (for logs)
    TimePoint at;      ///< sent_at, or retry_at
    std::string text;  ///< server reply, or error
  };
  struct ChannelState {
    std::optional<TimePoint> blocked_until;  ///< back-off of the whole channel
    int failures = 0;                        ///< consecutive unreachable-server failures
    std::string last_error;
  };
  /// kDone: attempted; kSkipped: not now (channel held back, mail not
  /// configured); kBlocked: an earlier report of its incident goes first;
  /// kLedgerError: the pass must end.
  enum class Step { kDone, kSkipped, kBlocked, kLedgerError };

  Step Handle(const Report& report, Pass& pass);
  Step HandleMail(const Report& report, Pass& pass);
  Step HandlePhone(const Report& report, Pass& pass);
  /// Sends the "call required" mail for a claimed phone report and records
  /// the outcome. `why` says why the phone channel was not used.
  Step HandOff(const Report& claimed, const std::string& why, Pass& pass);
  /// Records a mail channel result: channel-wide back-off when the server
  /// could not be reached; recovery logged once.
  void NoteMailResult(const SendResult& result, const Report& report, const std::string& what);

  /// Whether an earlier-numbered report of the same incident and channel is
  /// still pending or sending.
  LedgerResult<bool> EarlierUnsent(const Report& report);

  /// Ledger writes; on failure the outcome is kept for the next pass.
  Step Record(Outcome outcome, Pass& pass);
  Step RecordSent(const Report& r, TimePoint at, const std::string& reply, Pass& pass);
  Step RecordRetry(const Report& r, const std::string& error, Pass& pass);
  Step RecordPermanent(const Report& r, const std::string& error, Pass& pass);
  std::optional<Report> Claim(const Report& report, Pass& pass, Step& step);
  bool FlushUnrecorded(Pass& pass);
  void Fail(Pass& pass, const LedgerError& error, const Report* report);

  TimePoint Backoff(int attempts, TimePoint now) const;
  std::optional<TimePoint> NextAttempt(TimePoint now, bool mail_held_back, Pass& pass);

  MailMessage ReportMail(const Report& report) const;
  MailMessage HandOffMail(const Report& report, const std::string& why) const;

  Ledger& ledger_;
  MailSender* mail_;
  PhoneSender* phone_;
  OutboxSettings settings_;
  const Clock& clock_;
  ChannelState mail_channel_;
  std::vector<Outcome> unrecorded_;
};

/// "call required" mail for a phone report, exposed for tests: subject
/// "【<platform>】電話連絡依頼: インシデント <id> 第<n>報".
std::string HandOffSubject(const std::string& platform_name, const Report& report);

/// The Message-ID of the on-duty mail for a phone report: derived from the
/// report's own Message-ID, so a resend after a crash carries the same one.
std::string HandOffMessageId(const Report& report);

}  // namespace mimamori::collector
