// The collector's HTTP and TCP seams.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <string>

namespace mimamori::collector {

struct HttpResponse {
  bool complete = false;  ///< a whole response arrived within the timeout
  long status = 0;
  std::string body;
  std::string error;   ///< curl's reason when not complete ("Operation timed out after 5001 ms")
  double seconds = 0;  ///< total time
};

/// HTTP(S) GETs through one libcurl multi handle. Callbacks run on the
/// client's thread. Thread-safe.
class HttpClient {
 public:
  virtual ~HttpClient() = default;
  virtual void Get(const std::string& url, std::chrono::milliseconds timeout,
                   std::function<void(HttpResponse)> done) = 0;
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
