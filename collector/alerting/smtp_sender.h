// The mail channel: one SMTP submission per Send() through libcurl. Only
// smtp_sender.cc includes libcurl's SMTP side.
#pragma once

#include <chrono>
#include <string>
#include <vector>

#include "collector/alerting/mail_message.h"

namespace mimamori::collector {

struct SmtpSettings {
  /// "smtp://host:25" (plain, or STARTTLS with `starttls`), "smtps://host:465"
  /// (implicit TLS). Any other scheme is refused.
  std::string url;
  /// Require STARTTLS on smtp:// (fail rather than send in clear text when
  /// the server does not offer it). Certificates are always verified.
  bool starttls = false;
  /// SMTP AUTH user; "" = no AUTH.
  std::string user;
  /// Where the password comes from, read at every Send() so a rotated
  /// password needs no reload: the first line of this file (a trailing
  /// newline is dropped), else the environment variable `password_env`.
  /// Neither is read when `user` is "".
  std::string password_file;
  std::string password_env;
  /// Envelope sender (MAIL FROM; where bounces go). "" = the message's From.
  std::string from;
  /// The whole submission (connect, TLS, AUTH, DATA) must finish in this.
  std::chrono::milliseconds timeout{30000};
  /// Name sent in EHLO; "" = libcurl's default (the local host name).
  std::string helo_domain;
};

/// What one submission came to, for the outbox and the ledger.
struct SendResult {
  bool ok = false;
  /// Only meaningful when !ok: worth trying again later (connection refused
  /// or lost, timeout, a 4xx reply such as 451 or 421). Not retryable: a 5xx
  /// reply (550 mailbox unavailable, 535 authentication failed), a message
  /// that cannot be built, a settings problem (bad URL, no password).
  bool retryable = false;
  /// The server's last reply, e.g. "250 2.0.0 Ok: queued as 4F2A1", or the
  /// reply that refused the mail ("550 5.1.1 <x@y>: mailbox unavailable").
  /// Never contains the password.
  std::string server_reply;
  /// Who, what, why: "smtp://mail:25: RCPT TO <x@y>: 550 ...". "" when ok.
  /// Never contains the password.
  std::string error;
};

/// A notification channel for mail. Implementations return a verdict and
/// never sleep or retry: retries and back-off belong to the outbox.
class MailSender {
 public:
  virtual ~MailSender() = default;
  /// Submits `message` for delivery to the envelope `recipients` (usually
  /// its To and Cc; the outbox may send once per recipient to retry each on
  /// its own, since one refused recipient fails the whole submission).
  virtual SendResult Send(const MailMessage& message,
                          const std::vector<std::string>& recipients) = 0;
};

/// MailSender over a libcurl easy handle, one connection per Send().
///
/// Contract:
/// - Thread-safety: Send() may be called from several threads at once; each
///   call has its own handle and connection. Blocks for at most
///   settings.timeout (plus name resolution, which curl bounds too).
/// - One refused recipient fails the whole submission (no partial delivery
///   reported as success); the error names the reply.
/// - The password is read per Send(), handed to libcurl, wiped afterwards,
///   and scrubbed ("***") from any text this class returns.
/// - Never throws for network, server or message problems; those are
///   SendResult values. The constructor throws std::runtime_error only when
///   libcurl cannot be initialised.
class SmtpSender final : public MailSender {
 public:
  explicit SmtpSender(SmtpSettings settings);

  SendResult Send(const MailMessage& message, const std::vector<std::string>& recipients) override;

 private:
  SmtpSettings settings_;
};

}  // namespace mimamori::collector
