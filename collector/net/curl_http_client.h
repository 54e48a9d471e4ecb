// HttpClient over one libcurl multi handle. Only curl_http_client.cc
// includes libcurl.
#pragma once

#include <chrono>
#include <cstddef>
#include <deque>
#include <functional>
#include <mutex>
#include <optional>
#include <string>
#include <thread>

#include "collector/net/http_client.h"

namespace mimamori::collector {

/// Every web check of the collector goes through one CurlHttpClient: one
/// multi handle driven by one thread, so thousands of checks do not mean
/// thousands of threads.
///
/// Contract:
/// - Thread-safety: Get() may be called from any thread, including from a
///   `done` callback. `done` runs on the client's own thread, exactly once
///   per Get(); it must be quick (the regex of a web check is fine, blocking
///   I/O is not) and must not throw.
/// - Expected network failures are values: a refused connection, a timeout,
///   a TLS error all arrive as HttpResponse{complete = false, error = curl's
///   text}. Get() itself throws std::invalid_argument only on misuse (a
///   non-positive timeout, which libcurl would read as "no timeout").
/// - Timeout: the whole request (resolve, connect, TLS, headers, body) must
///   finish within `timeout` (CURLOPT_TIMEOUT_MS), which is the spec's "no
///   response within 5 s". The clock starts when the transfer starts, not when
///   Get() is called: a request queued behind `max_concurrent` others is not
///   charged for the collector's own queue.
/// - Body: kept up to `max_body_bytes`. A longer body is cut there and the
///   transfer stopped; the response is still complete (status and headers
///   arrived) and `error` notes "body truncated at N bytes", so a body regex
///   is judged on the first N bytes.
/// - Shutdown: the destructor completes every queued and running request
///   with complete = false and error "HTTP client shut down" (on the client's
///   thread) and joins the thread. Get() must not be called once the
///   destructor has started.
class CurlHttpClient final : public HttpClient {
 public:
  struct Options {
    /// Transfers running at once; further requests wait in a queue.
    std::size_t max_concurrent = 64;
    std::size_t max_body_bytes = std::size_t{1} << 20;  ///< 1 MiB
    /// Off by default: a check judges exactly the URL the owner gave, and a
    /// redirect shows up as "HTTP 302, expected 200" the owner can fix by
    /// giving the final URL, instead of a silently different page being
    /// judged. Note that Hinemos (Apache HttpClient defaults) does follow
    /// redirects; turn this on for Hinemos parity. When on, at most 5
    /// redirects, to http or https only.
    bool follow_redirects = false;
    /// Certificate and host name verification for https URLs.
    bool verify_tls = true;
    /// "" = no proxy, also ignoring http_proxy/https_proxy in the environment,
    /// so what is checked does not depend on how the daemon was started.
    std::string proxy;
    std::string user_agent = "mimamori-collector";
  };

  /// Starts the client's thread. Throws std::runtime_error when libcurl
  /// cannot be initialised (a broken installation, not a network failure).
  CurlHttpClient();
  explicit CurlHttpClient(Options options);
  ~CurlHttpClient() override;

  CurlHttpClient(const CurlHttpClient&) = delete;
  CurlHttpClient& operator=(const CurlHttpClient&) = delete;

  void Get(const std::string& url, std::chrono::milliseconds timeout,
           std::function<void(HttpResponse)> done) override;
  /// As Get, with the request's own TLS settings (Options::verify_tls is
  /// for GETs only) and Basic auth sent up front. The password is handed to
  /// libcurl only; no error text contains it. Throws std::invalid_argument
  /// on a non-positive timeout.
  void Post(HttpPost request, std::function<void(HttpResponse)> done) override;

 private:
  struct Request {
    std::string url;
    std::chrono::milliseconds timeout;
    std::function<void(HttpResponse)> done;
    std::optional<HttpPost> post;  ///< set for a POST
  };
  struct Transfer;

  void Run();

  const Options options_;
  void* multi_ = nullptr;  // CURLM*, kept opaque so libcurl stays in the .cc

  std::mutex mutex_;
  std::deque<Request> queue_;  // guarded by mutex_
  bool stopping_ = false;      // guarded by mutex_

  std::thread thread_;  // last: starts after everything above exists
};

}  // namespace mimamori::collector
