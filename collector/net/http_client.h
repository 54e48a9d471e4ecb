// The collector's HTTP and TCP seams.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <string>
#include <utility>

#include "collector/core/secret.h"

namespace mimamori::collector {

/// Why no whole response arrived, for callers that word these apart (the
/// WinRM monitor tells "connection refused" from a TLS error or a timeout).
enum class HttpFailure {
  kNone,     ///< a response arrived (complete)
  kTimeout,  ///< the request's timeout passed first
  kRefused,  ///< the peer refused the TCP connection (nothing listens there)
  kConnect,  ///< no TCP connection for another reason (unreachable, reset)
  kResolve,  ///< the host name does not resolve
  kTls,      ///< TLS handshake or certificate verification failed
  kOther,    ///< anything else (a broken response, a local error)
};

struct HttpResponse {
  bool complete = false;                     ///< a whole response arrived within the timeout
  HttpFailure failure = HttpFailure::kNone;  ///< why not, when not complete
  long status = 0;
  std::string body;
  std::string error;   ///< curl's reason when not complete ("Operation timed out after 5001 ms")
  double seconds = 0;  ///< total time
};

/// A POST with a body and HTTP Basic authentication (WS-Management).
struct HttpPost {
  std::string url;  ///< no user or password in it: those go below
  std::string body;
  std::string content_type;  ///< e.g. "application/soap+xml;charset=UTF-8"
  std::string user;          ///< Basic auth, sent with the first request; "" = none
  Secret password;
  std::chrono::milliseconds timeout{5000};  ///< the whole exchange, as for Get
  bool verify_tls = true;                   ///< https: certificate chain and host name
  std::string ca_file;                      ///< https: PEM file of trusted CAs; "" = the system's
};

/// HTTP(S) GETs through one libcurl multi handle. Callbacks run on the
/// client's thread. Thread-safe.
class HttpClient {
 public:
  virtual ~HttpClient() = default;
  virtual void Get(const std::string& url, std::chrono::milliseconds timeout,
                   std::function<void(HttpResponse)> done) = 0;
  /// Same contract as Get. The default completes at once with kOther, so
  /// that clients which only ever GET (test doubles) need not implement it.
  virtual void Post(HttpPost request, std::function<void(HttpResponse)> done) {
    HttpResponse response;
    response.failure = HttpFailure::kOther;
    response.error = "this HTTP client cannot POST (" + request.url + ")";
    done(std::move(response));
  }
};

struct TcpProbeResult {
  bool connected = false;
  std::string error;  ///< "connection refused", "timed out after 5000 ms", ...
  double seconds = 0;
};

/// TCP connect checks. Callbacks run on the prober's thread. Thread-safe.
class TcpProbe {
 public:
  virtual ~TcpProbe() = default;
  virtual void Connect(const std::string& address, std::uint16_t port,
                       std::chrono::milliseconds timeout,
                       std::function<void(TcpProbeResult)> done) = 0;
};

}  // namespace mimamori::collector
