// The phone channel (MONITORING-SPEC.md section 4: "phone" cannot be sent by
// mail; the system hands it to a configurable command or webhook and
// records it). Like MailSender, a PhoneSender returns a verdict and never
// sleeps or retries: retries, back-off and the fallback to the on-duty mail
// belong to the outbox.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "collector/alerting/smtp_sender.h"
#include "collector/core/clock.h"
#include "collector/inventory/inventory.h"

namespace mimamori::collector {

/// One phone duty: call these people about this report by this time.
struct PhoneCall {
  /// Same for every attempt of one report (the report's Message-ID), so a
  /// receiver can drop a repeat after a crash.
  std::string idempotency_key;
  std::string incident_id;           ///< "42"
  int report_number = 0;             ///< 第N報
  std::string report_kind;           ///< "first", "continuing", "final", ...
  std::vector<std::string> targets;  ///< "name <phone>" of each person to call
  std::string subject;               ///< the report's subject (UTF-8)
  std::string body;                  ///< the report's text (UTF-8)
  TimePoint due_at;                  ///< the timetable's deadline
};

/// Contract: Call() blocks for at most settings.timeout plus a 2 s grace
/// (a command that ignores SIGTERM is then killed with its process group);
/// it is safe from several threads at once; secrets (the webhook token) are
/// read per call and never appear in returned text. The process must not set
/// SIGCHLD to SIG_IGN, or a command's exit status is lost (then retryable).
class PhoneSender {
 public:
  virtual ~PhoneSender() = default;
  /// Hands the call over once. ok: the command/webhook accepted it.
  /// retryable: worth another attempt later. server_reply: what the other
  /// side said (exit status and output, HTTP status and body), for the ledger.
  virtual SendResult Call(const PhoneCall& call) = 0;
  /// "command /usr/local/bin/call-duty" or "webhook https://...", for logs.
  virtual std::string Describe() const = 0;
};

/// The configured phone channel, or nullptr when neither a command nor a
/// webhook is set (the outbox then mails the duty to alerting.on_duty).
std::unique_ptr<PhoneSender> MakePhoneSender(const PhoneSettings& settings);

}  // namespace mimamori::collector
