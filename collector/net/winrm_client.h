// Reading a Windows service's state over WinRM (WS-Management): one
// WS-Transfer Get of the Win32_Service instance selected by Name, as
// Hinemos does, POSTed through the collector's HttpClient (one libcurl
// multi engine for every web check and WinRM request).
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <string>
#include <string_view>

#include "collector/net/http_client.h"

namespace mimamori::collector {

/// One node's WinRM listener and the account to read it with.
struct WinRmTarget {
  std::string node;     ///< for messages
  std::string address;  ///< IPv4, IPv6 or DNS name
  std::uint16_t port = 5985;
  bool https = false;
  bool verify_tls = true;  ///< https: off only by the inventory's explicit insecure opt-out
  std::string ca_file;     ///< https: PEM CA file; "" = the system's CAs
  std::string user;
  std::string password_file;  ///< read at every check (ReadSecret)
  std::string password_env;
  std::chrono::milliseconds timeout{5000};  ///< per attempt
  int retries = 1;                          ///< further attempts after a failed one
};

/// "http://10.0.0.5:5985/wsman", "https://[fd00::5]:5986/wsman".
std::string WinRmEndpoint(const WinRmTarget& target);

struct WinRmServiceReply {
  enum class Kind {
    kFound,          ///< the instance was read: name, state, start_mode are set
    kNoSuchService,  ///< SOAP fault w:InvalidSelectors: no service of that name
    kUnauthorized,   ///< HTTP 401
    kTls,            ///< TLS handshake or certificate verification failed
    kRefused,        ///< TCP connection refused
    kUnreachable,    ///< no connection otherwise, or the name does not resolve
    kTimeout,        ///< no whole answer within the timeout
    kTransport,      ///< the exchange broke off (empty reply, reset while reading)
    kHttpStatus,     ///< an HTTP status other than 200 without a SOAP fault
    kFault,          ///< another SOAP fault
    kMalformed,      ///< not XML, not SOAP, or no Win32_Service instance in it
    kNoPassword,     ///< the password file or variable cannot be read; nothing sent
    kCannotSend,     ///< the HTTP client refused the request (misuse)
  };
  Kind kind = Kind::kCannotSend;
  std::string name;          ///< kFound: Win32_Service.Name as the node spells it
  std::string display_name;  ///< kFound
  std::string state;         ///< kFound: "Running", "Stopped", "Paused", "Start Pending", ...
  std::string start_mode;    ///< kFound: "Auto", "Manual", "Disabled", "Boot", "System"
  /// Everything but kFound: what went wrong, for an operator, without the
  /// endpoint (the caller adds it) and never with the password, e.g.
  /// "HTTP 401: user 'monitor' was not accepted (...)",
  /// "SOAP fault w:AccessDenied: Access is denied. (s:Sender, WSManFault 5)".
  std::string detail;
  int attempts = 0;      ///< requests sent (0 for kNoPassword)
  long http_status = 0;  ///< of the last attempt, 0 when no status line arrived
  double seconds = 0;    ///< of the last attempt
};

/// True for what a further attempt may cure (timeouts, refused or lost
/// connections, HTTP 5xx without a fault). A 401, a TLS error, a fault or an
/// answer that parses are final: the node said what it had to say.
bool WinRmRetryable(const WinRmServiceReply& reply);

/// Reads the Win32_Service instance named `service` on `target`: reads the
/// password (ReadSecret), POSTs a Get (BuildWsmanGet, fresh MessageID per
/// attempt) with Basic auth to WinRmEndpoint(target), and parses the
/// answer (ParseWsmanReply). A retryable failure is tried again at once,
/// up to target.retries more times; the last attempt's outcome is reported.
///
/// `done` is called exactly once: on the HTTP client's thread, or inside
/// this call when nothing could be sent. `http` must outlive the call's
/// completion. Never throws.
void GetWindowsService(HttpClient& http, const WinRmTarget& target, const std::string& service,
                       std::function<void(WinRmServiceReply)> done);

}  // namespace mimamori::collector
