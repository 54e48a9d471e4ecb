#include "collector/alerting/smtp_sender.h"

#include <curl/curl.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <memory>
#include <stdexcept>
#include <string_view>
#include <utility>

namespace mimamori::collector {
namespace {

// curl_global_init must run once before any other libcurl call (see
// curl_http_client.cc, which does the same; running it twice is harmless
// because libcurl counts the calls).
void InitCurlOnce() {
  static const CURLcode init = curl_global_init(CURL_GLOBAL_DEFAULT);
  if (init != CURLE_OK) {
    throw std::runtime_error(std::string("SMTP sender: curl_global_init: ") +
                             curl_easy_strerror(init));
  }
}

// Overwrites a secret before its memory is freed, through a volatile pointer
// so the compiler cannot drop the stores as dead.
void Wipe(std::string& secret) {
  volatile char* p = secret.data();
  for (std::size_t i = 0; i < secret.size(); ++i) p[i] = '\0';
  secret.clear();
}

struct SecretGuard {
  std::string& secret;
  ~SecretGuard() { Wipe(secret); }
};

struct Reply {
  std::string command;  // "RCPT TO:<x@y>", "AUTH", "" for the greeting
  std::string text;     // "550 5.1.1 Mailbox unavailable"
};

// What the callbacks of one transfer read and fill in.
struct Transfer {
  std::string payload;  // the encoded message
  std::size_t sent = 0;
  std::string pending;         // server bytes not yet ending in "\n"
  std::vector<Reply> replies;  // complete replies, continuation lines joined
  std::string current;         // continuation lines of a reply being read
  std::string command;         // the last command sent, for naming what a reply answers
  bool in_auth = false;        // inside a SASL exchange
  bool data_sent = false;      // the message body went out
  std::size_t replies_before_data = 0;

  static std::size_t Read(char* buffer, std::size_t size, std::size_t count, void* self) {
    auto& t = *static_cast<Transfer*>(self);
    const std::size_t n = std::min(size * count, t.payload.size() - t.sent);
    std::memcpy(buffer, t.payload.data() + t.sent, n);
    t.sent += n;
    return n;
  }

  // What the server says (CURLINFO_HEADER_IN) is kept. Of what we say only
  // the names of known commands are noted, so the SASL lines after "AUTH",
  // which carry the credentials, are never copied anywhere.
  static int Debug(CURL*, curl_infotype type, char* data, std::size_t size, void* self) {
    auto& t = *static_cast<Transfer*>(self);
    if (type == CURLINFO_DATA_OUT && !t.data_sent) {
      t.data_sent = true;
      t.replies_before_data = t.replies.size();
      t.command = "end of DATA";
    }
    if (type == CURLINFO_HEADER_OUT) t.Sent(std::string_view(data, size));
    if (type != CURLINFO_HEADER_IN) return 0;
    t.pending.append(data, size);
    std::size_t nl;
    while ((nl = t.pending.find('\n')) != std::string::npos) {
      std::string line = t.pending.substr(0, nl);
      t.pending.erase(0, nl + 1);
      if (!line.empty() && line.back() == '\r') line.pop_back();
      t.Line(line);
    }
    return 0;
  }

  void Sent(std::string_view line) {
    // Between "AUTH" and its final reply every line we send is a SASL
    // response, i.e. credentials, whatever it happens to look like.
    if (in_auth) return;
    line = line.substr(0, line.find_first_of("\r\n"));
    if (line.starts_with("AUTH ")) {
      command = "AUTH";  // its initial response, if any, is secret
      in_auth = true;
      return;
    }
    for (std::string_view prefix : {"MAIL FROM:", "RCPT TO:", "EHLO ", "HELO "}) {
      if (line.starts_with(prefix)) command = std::string(line);
    }
    for (std::string_view exact : {"STARTTLS", "DATA", "QUIT", "RSET"}) {
      if (line == exact) command = std::string(line);
    }
  }

  // "250-first" lines continue a reply; "250 last" (or a bare "250") ends it.
  void Line(const std::string& line) {
    if (!current.empty()) current += ' ';
    const bool continued = line.size() > 3 && line[3] == '-';
    current += continued ? line.substr(0, 3) + ' ' + line.substr(4) : line;
    if (continued) return;
    if (!current.starts_with("334")) in_auth = false;  // 334 asks for the next SASL line
    replies.push_back({command, std::move(current)});
    current.clear();
  }
};

int ReplyCode(const std::string& reply) {
  if (reply.size() < 3 ||
      !std::all_of(reply.begin(), reply.begin() + 3, [](char c) { return c >= '0' && c <= '9'; })) {
    return 0;
  }
  return std::stoi(reply.substr(0, 3));
}

// Failures a later attempt cannot fix without an operator: the settings or
// the installation are wrong. Everything else on the transport (refused,
// reset, timed out, TLS handshake cut) is worth another try.
bool PermanentCurlError(CURLcode code) {
  switch (code) {
    case CURLE_UNSUPPORTED_PROTOCOL:
    case CURLE_URL_MALFORMAT:
    case CURLE_NOT_BUILT_IN:
    case CURLE_LOGIN_DENIED:
    case CURLE_REMOTE_ACCESS_DENIED:
    case CURLE_USE_SSL_FAILED:
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

void ReplaceAll(std::string& text, const std::string& secret, std::string_view with) {
  if (secret.empty()) return;
  for (std::size_t at = text.find(secret); at != std::string::npos;
       at = text.find(secret, at + with.size())) {
    text.replace(at, secret.size(), with);
  }
}

// "smtp://host:25" without any path, so the EHLO name can go there.
std::string WithHelo(std::string url, const std::string& helo) {
  if (helo.empty()) return url;
  const std::size_t authority = url.find("://");
  const std::size_t path = url.find('/', authority == std::string::npos ? 0 : authority + 3);
  if (path != std::string::npos) url.erase(path);
  return url + "/" + helo;
}

std::string RecipientList(const std::vector<std::string>& recipients) {
  std::string out;
  for (const std::string& r : recipients) {
    if (!out.empty()) out += ", ";
    out += r;
  }
  return out;
}

}  // namespace

SmtpSender::SmtpSender(SmtpSettings settings) : settings_(std::move(settings)) { InitCurlOnce(); }

SendResult SmtpSender::Send(const MailMessage& message,
                            const std::vector<std::string>& recipients) {
  SendResult result;
  // Everything before the transfer is a settings or message problem: no
  // later attempt will go better, so none of it is retryable.
  // Error texts go to logs and the ledger: nothing in them may break a line.
  const bool id_printable = std::all_of(message.message_id.begin(), message.message_id.end(),
                                        [](char c) { return c > 0x20 && c < 0x7F; });
  const std::string who =
      "mail " + (id_printable ? message.message_id : std::string("(malformed Message-ID)")) +
      " via " +
      (settings_.url.find('@') == std::string::npos ? settings_.url : "(url with user info)");
  auto fail = [&](std::string why, bool retryable) {
    result.ok = false;
    result.retryable = retryable;
    result.error = who + ": " + why;
    return result;
  };

  if (!settings_.url.starts_with("smtp://") && !settings_.url.starts_with("smtps://")) {
    return fail("url must start with smtp:// or smtps://", false);
  }
  {
    const std::size_t host = settings_.url.find("://") + 3;
    const std::string authority = settings_.url.substr(host, settings_.url.find('/', host) - host);
    if (authority.find('@') != std::string::npos) {
      // A password in the URL would end up in logs; it belongs in a file.
      return fail("url must not contain user info; use user and password_file", false);
    }
  }
  if (settings_.helo_domain.find_first_not_of(
          "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789.-") !=
      std::string::npos) {
    return fail("helo_domain \"" + settings_.helo_domain + "\" is not a host name", false);
  }
  if (settings_.timeout <= std::chrono::milliseconds::zero()) {
    // libcurl reads 0 as "no timeout": a hung server would hold the outbox.
    return fail("timeout must be positive", false);
  }
  const std::string& envelope_from = settings_.from.empty() ? message.from : settings_.from;
  if (!IsValidMailAddress(envelope_from)) {
    return fail("envelope sender \"" + envelope_from + "\" is not a valid address", false);
  }
  if (recipients.empty()) return fail("no recipients", false);
  for (const std::string& r : recipients) {
    if (!IsValidMailAddress(r))
      return fail("recipient \"" + r + "\" is not a valid address", false);
  }
  EncodedMail encoded = EncodeMail(message);
  if (!encoded.ok()) return fail("cannot build the message: " + encoded.error, false);

  std::string password;
  SecretGuard guard{password};
  if (!settings_.user.empty()) {
    if (!settings_.password_file.empty()) {
      std::ifstream in(settings_.password_file);
      if (!in) {
        return fail(
            "password file " + settings_.password_file + ": cannot read: " + std::strerror(errno),
            false);
      }
      std::getline(in, password);
      if (!password.empty() && password.back() == '\r') password.pop_back();
    } else if (!settings_.password_env.empty()) {
      const char* value = std::getenv(settings_.password_env.c_str());
      if (value == nullptr) {
        return fail("environment variable " + settings_.password_env + " is not set", false);
      }
      password = value;
    } else {
      return fail("user \"" + settings_.user + "\" has neither password_file nor password_env",
                  false);
    }
  }

  std::unique_ptr<CURL, decltype(&curl_easy_cleanup)> easy(curl_easy_init(), &curl_easy_cleanup);
  if (!easy) return fail("curl_easy_init failed", true);
  Transfer transfer;
  transfer.payload = std::move(encoded.bytes);
  curl_slist* rcpt = nullptr;
  for (const std::string& r : recipients) {
    curl_slist* next = curl_slist_append(rcpt, ("<" + r + ">").c_str());
    if (next == nullptr) {
      curl_slist_free_all(rcpt);
      return fail("out of memory", true);
    }
    rcpt = next;
  }
  std::unique_ptr<curl_slist, decltype(&curl_slist_free_all)> rcpt_guard(rcpt,
                                                                         &curl_slist_free_all);
  char errbuf[CURL_ERROR_SIZE] = {};
  const std::string url = WithHelo(settings_.url, settings_.helo_domain);
  const std::string mail_from = "<" + envelope_from + ">";
  const long timeout_ms = static_cast<long>(settings_.timeout.count());

  CURL* h = easy.get();
  curl_easy_setopt(h, CURLOPT_URL, url.c_str());
  curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "smtp,smtps");
  curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);  // many threads; no SIGALRM for timeouts
  curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, timeout_ms);
  curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS, timeout_ms);
  curl_easy_setopt(h, CURLOPT_ERRORBUFFER, errbuf);
  curl_easy_setopt(h, CURLOPT_MAIL_FROM, mail_from.c_str());
  curl_easy_setopt(h, CURLOPT_MAIL_RCPT, rcpt);
  curl_easy_setopt(h, CURLOPT_UPLOAD, 1L);
  curl_easy_setopt(h, CURLOPT_READFUNCTION, &Transfer::Read);
  curl_easy_setopt(h, CURLOPT_READDATA, &transfer);
  curl_easy_setopt(h, CURLOPT_INFILESIZE_LARGE, static_cast<curl_off_t>(transfer.payload.size()));
  // The debug callback is how the server's reply text is seen at all;
  // CURLOPT_VERBOSE only routes data to it (nothing is printed with a
  // callback set).
  curl_easy_setopt(h, CURLOPT_DEBUGFUNCTION, &Transfer::Debug);
  curl_easy_setopt(h, CURLOPT_DEBUGDATA, &transfer);
  curl_easy_setopt(h, CURLOPT_VERBOSE, 1L);
  if (settings_.starttls) curl_easy_setopt(h, CURLOPT_USE_SSL, static_cast<long>(CURLUSESSL_ALL));
  if (!settings_.user.empty()) {
    curl_easy_setopt(h, CURLOPT_USERNAME, settings_.user.c_str());
    curl_easy_setopt(h, CURLOPT_PASSWORD, password.c_str());
  }

  const CURLcode code = curl_easy_perform(h);
  long response_code = 0;
  curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &response_code);

  if (code == CURLE_OK) {
    // The reply to the end of DATA; a later 221 to QUIT is not the verdict.
    if (transfer.data_sent && transfer.replies.size() > transfer.replies_before_data) {
      result.server_reply = transfer.replies[transfer.replies_before_data].text;
    } else if (!transfer.replies.empty()) {
      result.server_reply = transfer.replies.back().text;
    }
    result.ok = true;
  } else {
    // The reply that refused us: the last 4xx/5xx one (a 221 to a QUIT sent
    // while closing may follow it).
    const Reply* refusal = nullptr;
    for (auto it = transfer.replies.rbegin(); it != transfer.replies.rend(); ++it) {
      if (ReplyCode(it->text) >= 400) {
        refusal = &*it;
        break;
      }
    }
    int refused = refusal != nullptr ? ReplyCode(refusal->text) : 0;
    if (refused == 0 && response_code >= 400) refused = static_cast<int>(response_code);
    bool retryable;
    if (refused >= 400 && refused < 500) {
      retryable = true;
    } else if (refused >= 500) {
      retryable = false;
    } else {
      retryable = !PermanentCurlError(code);
    }
    std::string why;
    if (refusal != nullptr) {
      // "RCPT TO:<x@y>: 550 5.1.1 ..." says which recipient, which curl's
      // own "RCPT failed: 550" does not.
      result.server_reply = refusal->text;
      why = (refusal->command.empty() ? std::string("greeting") : refusal->command) + ": " +
            refusal->text;
    } else {
      why = errbuf[0] != '\0' ? errbuf : curl_easy_strerror(code);
      if (!transfer.replies.empty()) {
        const Reply& last = transfer.replies.back();
        result.server_reply = last.text;
        why += "; last reply \"" + last.text + "\" to " +
               (last.command.empty() ? std::string("the connection") : last.command);
      }
    }
    fail("to " + RecipientList(recipients) + ": " + why, retryable);
  }

  // Nothing we return may carry the password, whatever a server echoes.
  if (!password.empty()) {
    for (std::string* text : {&result.error, &result.server_reply}) {
      ReplaceAll(*text, password, "***");
    }
  }
  return result;
}

}  // namespace mimamori::collector
