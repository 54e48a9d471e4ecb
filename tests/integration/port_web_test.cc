// Port and web monitors through the real network engines (AsioTcpProbe,
// CurlHttpClient) against peers this test runs itself on 127.0.0.1: TCP
// listeners and a tiny in-process HTTP server. Ports are always ephemeral
// (bind port 0, read it back); every wait is bounded; the only timing this
// test relies on is that a server delay of 1 s outlasts a 300 ms timeout
// (and 6 s outlasts the spec's 5 s).
#include <gtest/gtest.h>

#include <atomic>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/read_until.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/streambuf.hpp>
#include <boost/asio/write.hpp>
#include <chrono>
#include <future>
#include <istream>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "collector/core/monitor.h"
#include "collector/monitors/port_monitor.h"
#include "collector/monitors/web_monitor.h"
#include "collector/net/asio_tcp_probe.h"
#include "collector/net/curl_http_client.h"
#include "collector/net/pinger.h"
#include "collector/net/snmp_client.h"

namespace mimamori::collector {
namespace {

namespace asio = boost::asio;
using asio::ip::tcp;
using namespace std::chrono_literals;

/// How long any single wait may take before the test fails instead of hanging.
constexpr auto kBound = 30s;

/// A TCP listener on 127.0.0.1:<ephemeral> that never accepts: the kernel
/// completes handshakes into its accept queue. With backlog 0 and one
/// connection already queued, further SYNs are dropped, so a connect to it
/// times out instead of being refused.
class Listener {
 public:
  explicit Listener(int backlog = asio::socket_base::max_listen_connections) : acceptor_(io_) {
    acceptor_.open(tcp::v4());
    acceptor_.bind(tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0));
    acceptor_.listen(backlog);
    port_ = acceptor_.local_endpoint().port();
  }
  std::uint16_t port() const { return port_; }
  void Close() { acceptor_.close(); }
  /// Fills the accept queue of a backlog-0 listener.
  void FillQueue() {
    filler_.emplace(io_);
    filler_->connect(tcp::endpoint(asio::ip::make_address("127.0.0.1"), port_));
  }

 private:
  asio::io_context io_;
  tcp::acceptor acceptor_;
  std::optional<tcp::socket> filler_;
  std::uint16_t port_ = 0;
};

/// A minimal HTTP/1.1 server: one response per connection, then close.
/// Pages may be delayed (a timer, not a sleep, so one thread serves all).
class TinyHttpServer {
 public:
  struct Page {
    Page(int s, std::string b, std::chrono::milliseconds d = 0ms, std::string h = "")
        : status(s), body(std::move(b)), delay(d), extra_headers(std::move(h)) {}
    int status;
    std::string body;
    std::chrono::milliseconds delay;
    std::string extra_headers;  ///< "Name: value\r\n" lines
  };

  explicit TinyHttpServer(std::map<std::string, Page> pages)
      : pages_(std::move(pages)),
        acceptor_(io_, tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0)) {
    Accept();
    thread_ = std::thread([this] { io_.run(); });
  }
  ~TinyHttpServer() {
    io_.stop();
    thread_.join();
  }
  TinyHttpServer(const TinyHttpServer&) = delete;
  TinyHttpServer& operator=(const TinyHttpServer&) = delete;

  std::string Url(const std::string& path) const {
    return "http://127.0.0.1:" + std::to_string(acceptor_.local_endpoint().port()) + path;
  }
  int MaxConcurrent() const { return max_open_; }

 private:
  struct Connection {
    Connection(tcp::socket s, TinyHttpServer& server)
        : socket(std::move(s)), timer(socket.get_executor()), server_(server) {
      const int open = ++server_.open_;
      int seen = server_.max_open_;
      while (open > seen && !server_.max_open_.compare_exchange_weak(seen, open)) {
      }
    }
    ~Connection() { --server_.open_; }
    tcp::socket socket;
    asio::steady_timer timer;
    asio::streambuf request;
    std::string response;

   private:
    TinyHttpServer& server_;
  };

  void Accept() {
    acceptor_.async_accept([this](const boost::system::error_code& ec, tcp::socket socket) {
      if (ec) return;
      Serve(std::make_shared<Connection>(std::move(socket), *this));
      Accept();
    });
  }

  void Serve(std::shared_ptr<Connection> c) {
    asio::async_read_until(
        c->socket, c->request, "\r\n\r\n", [this, c](const boost::system::error_code& ec, size_t) {
          if (ec) return;
          std::istream in(&c->request);
          std::string method, path;
          in >> method >> path;
          auto it = pages_.find(path);
          const Page page = it != pages_.end() ? it->second : Page{404, "not found"};
          c->response =
              "HTTP/1.1 " + std::to_string(page.status) + " Whatever\r\n" +
              "Content-Type: text/plain\r\nContent-Length: " + std::to_string(page.body.size()) +
              "\r\nConnection: close\r\n" + page.extra_headers + "\r\n" + page.body;
          c->timer.expires_after(page.delay);
          c->timer.async_wait([c](const boost::system::error_code& timer_error) {
            if (timer_error) return;
            asio::async_write(c->socket, asio::buffer(c->response),
                              [c](const boost::system::error_code&, size_t) {
                                boost::system::error_code ignored;
                                c->socket.shutdown(tcp::socket::shutdown_both, ignored);
                              });
          });
        });
  }

  // Declared before io_: pending handlers own Connections, which count here
  // until io_ is destroyed.
  std::atomic<int> open_{0};
  std::atomic<int> max_open_{0};
  const std::map<std::string, Page> pages_;
  asio::io_context io_;
  tcp::acceptor acceptor_;
  std::thread thread_;
};

class UnusedPinger final : public Pinger {
 public:
  void Ping(const std::string&, const PingSettings&, std::function<void(PingOutcome)>) override {
    ADD_FAILURE() << "port and web monitors must not ping";
  }
};

class UnusedSnmp final : public SnmpClient {
 public:
  void Get(const SnmpTarget&, std::vector<proto::Oid>, std::function<void(SnmpResult)>) override {
    ADD_FAILURE() << "port and web monitors must not use SNMP";
  }
  void Walk(const SnmpTarget&, std::vector<proto::Oid>, std::function<void(SnmpResult)>) override {
    ADD_FAILURE() << "port and web monitors must not use SNMP";
  }
};

/// Runs one check of `monitor` and waits (bounded) for its report.
std::optional<CheckReport> RunCheck(Monitor& monitor) {
  auto promise = std::make_shared<std::promise<CheckReport>>();
  auto future = promise->get_future();
  monitor.Start([promise](CheckReport report) { promise->set_value(std::move(report)); });
  if (future.wait_for(kBound) != std::future_status::ready) return std::nullopt;
  return future.get();
}

template <typename Result>
struct Waiter {
  std::shared_ptr<std::promise<Result>> promise = std::make_shared<std::promise<Result>>();
  std::future<Result> future = promise->get_future();
  std::function<void(Result)> Callback() {
    return [p = promise](Result r) { p->set_value(std::move(r)); };
  }
  std::optional<Result> Wait() {
    if (future.wait_for(kBound) != std::future_status::ready) return std::nullopt;
    return future.get();
  }
};

class PortWebTest : public ::testing::Test {
 protected:
  PortWebTest() {
    node_.name = "vm01";
    node_.address = "127.0.0.1";
  }

  std::unique_ptr<Monitor> PortMonitor() {
    auto monitors = MakePortMonitors(node_, inventory_, services_);
    return monitors.size() == 1 ? std::move(monitors[0]) : nullptr;
  }
  std::unique_ptr<Monitor> WebMonitor() {
    auto monitors = MakeWebMonitors(node_, inventory_, services_);
    return monitors.size() == 1 ? std::move(monitors[0]) : nullptr;
  }

  Node node_;
  Inventory inventory_;
  AsioTcpProbe tcp_;
  CurlHttpClient http_;
  UnusedPinger pinger_;
  UnusedSnmp snmp_;
  SystemClock clock_;
  MonitorServices services_{pinger_, snmp_, http_, tcp_, clock_};
};

WebCheck Web(std::string url, std::string body_regex, std::chrono::milliseconds timeout = 300ms) {
  WebCheck check;
  check.url = std::move(url);
  check.body_regex = std::move(body_regex);
  check.timeout = timeout;
  return check;
}

// ---- TCP -----------------------------------------------------------------------

TEST_F(PortWebTest, PortIsUpWhileListeningAndRefusedAfterClose) {
  Listener listener;
  const std::string port = std::to_string(listener.port());
  node_.ports = {PortCheck{listener.port(), "", 5000ms}};
  auto monitor = PortMonitor();
  ASSERT_NE(monitor, nullptr);

  auto up = RunCheck(*monitor);
  ASSERT_TRUE(up) << "no report within the bound";
  ASSERT_EQ(up->results.size(), 1u);
  EXPECT_EQ(up->results[0].monitor, "port:" + port);
  EXPECT_EQ(up->results[0].status, Status::kOk) << up->results[0].reason;
  EXPECT_TRUE(up->results[0].reason.starts_with("connected to 127.0.0.1:" + port + " in "))
      << up->results[0].reason;

  listener.Close();
  auto down = RunCheck(*monitor);
  ASSERT_TRUE(down) << "no report within the bound";
  ASSERT_EQ(down->results.size(), 1u);
  EXPECT_EQ(down->results[0].status, Status::kCritical);
  EXPECT_EQ(down->results[0].reason, "TCP connect to 127.0.0.1:" + port + ": connection refused");
}

TEST_F(PortWebTest, PortThatDropsSynsTimesOut) {
  Listener listener(0);
  listener.FillQueue();
  node_.ports = {PortCheck{listener.port(), "app", 300ms}};
  auto monitor = PortMonitor();
  auto report = RunCheck(*monitor);
  ASSERT_TRUE(report) << "no report within the bound";
  ASSERT_EQ(report->results.size(), 1u);
  EXPECT_EQ(report->results[0].monitor, "port:app");
  EXPECT_EQ(report->results[0].status, Status::kCritical);
  EXPECT_EQ(
      report->results[0].reason,
      "TCP connect to 127.0.0.1:" + std::to_string(listener.port()) + ": timed out after 300 ms");
}

TEST_F(PortWebTest, UnresolvableNameIsReported) {
  Waiter<TcpProbeResult> waiter;
  // RFC 6761: .invalid never resolves. A long timeout so a slow resolver
  // still answers before the deadline.
  tcp_.Connect("nonexistent.invalid", 22, 20s, waiter.Callback());
  auto result = waiter.Wait();
  ASSERT_TRUE(result) << "no answer within the bound";
  EXPECT_FALSE(result->connected);
  EXPECT_TRUE(result->error.starts_with("cannot resolve nonexistent.invalid: ")) << result->error;
}

TEST(AsioTcpProbeTest, RunsOnAGivenIoContext) {
  Listener listener;
  asio::io_context io;
  auto work = asio::make_work_guard(io);
  std::thread runner([&io] { io.run(); });
  {
    AsioTcpProbe probe(io);
    Waiter<TcpProbeResult> waiter;
    probe.Connect("127.0.0.1", listener.port(), 5s, waiter.Callback());
    auto result = waiter.Wait();
    ASSERT_TRUE(result) << "no answer within the bound";
    EXPECT_TRUE(result->connected) << result->error;
  }
  work.reset();
  runner.join();
}

TEST(AsioTcpProbeTest, ShutdownCompletesRunningChecks) {
  Listener listener(0);
  listener.FillQueue();
  Waiter<TcpProbeResult> waiter;
  {
    AsioTcpProbe probe;
    probe.Connect("127.0.0.1", listener.port(), 60s, waiter.Callback());
  }
  auto result = waiter.Wait();
  ASSERT_TRUE(result) << "the running check was dropped";
  EXPECT_FALSE(result->connected);
  EXPECT_EQ(result->error, "TCP probe shut down before the check completed");
}

// ---- HTTP ----------------------------------------------------------------------

TEST_F(PortWebTest, WebJudgementsAgainstARealServer) {
  TinyHttpServer server({
      {"/ok", {200, "status: OK\n"}},
      {"/wrong", {200, "Service temporarily unavailable\n"}},
      {"/error", {500, "Internal Server Error\n"}},
      {"/slow", {200, "OK\n", 1s}},
  });
  Listener closed;
  const std::string refused = "http://127.0.0.1:" + std::to_string(closed.port()) + "/";
  closed.Close();

  node_.web = {Web(server.Url("/ok"), "OK"), Web(server.Url("/wrong"), "OK"),
               Web(server.Url("/error"), "OK"), Web(server.Url("/slow"), "OK"), Web(refused, "OK")};
  auto monitor = WebMonitor();
  ASSERT_NE(monitor, nullptr);
  auto report = RunCheck(*monitor);
  ASSERT_TRUE(report) << "no report within the bound";
  ASSERT_EQ(report->results.size(), 5u);
  const auto& r = report->results;

  EXPECT_EQ(r[0].monitor, "web:" + server.Url("/ok"));
  EXPECT_EQ(r[0].status, Status::kOk) << r[0].reason;
  EXPECT_TRUE(r[0].reason.starts_with("HTTP 200 in ")) << r[0].reason;

  EXPECT_EQ(r[1].status, Status::kCritical);
  EXPECT_EQ(r[1].reason, "body does not match /OK/");

  EXPECT_EQ(r[2].status, Status::kCritical);
  EXPECT_EQ(r[2].reason, "HTTP 500, expected 200");

  EXPECT_EQ(r[3].status, Status::kCritical);
  EXPECT_TRUE(r[3].reason.starts_with("no complete response within 300 ms: Operation timed out"))
      << r[3].reason;

  EXPECT_EQ(r[4].status, Status::kCritical);
  EXPECT_TRUE(r[4].reason.starts_with("no complete response within 300 ms: ")) << r[4].reason;

  std::map<std::string, double> status_codes;
  for (const auto& m : report->measurements) {
    if (m.metric == "mimamori_web_status_code") status_codes[m.labels.at(0).second] = m.value;
  }
  EXPECT_EQ(status_codes[server.Url("/ok")], 200);
  EXPECT_EQ(status_codes[server.Url("/error")], 500);
  EXPECT_EQ(status_codes.count(refused), 0u);
}

// The spec's rule with the inventory's default timeout: a page that takes
// longer than 5 s is a failure. Costs 5 s of wall time, once.
TEST_F(PortWebTest, DefaultTimeoutIsTheSpecsFiveSeconds) {
  TinyHttpServer server({{"/slow", {200, "OK\n", 6s}}});
  WebCheck check;
  check.url = server.Url("/slow");
  check.body_regex = "OK";
  ASSERT_EQ(check.timeout, 5000ms);
  node_.web = {check};
  auto monitor = WebMonitor();
  auto report = RunCheck(*monitor);
  ASSERT_TRUE(report) << "no report within the bound";
  ASSERT_EQ(report->results.size(), 1u);
  EXPECT_EQ(report->results[0].status, Status::kCritical);
  EXPECT_TRUE(
      report->results[0].reason.starts_with("no complete response within 5 s: Operation timed out"))
      << report->results[0].reason;
}

TEST(CurlHttpClientTest, RedirectsAreNotFollowedUnlessAskedTo) {
  TinyHttpServer server({
      {"/old", {302, "", 0ms, "Location: /new\r\n"}},
      {"/new", {200, "OK"}},
  });
  {
    CurlHttpClient client;
    Waiter<HttpResponse> waiter;
    client.Get(server.Url("/old"), 5s, waiter.Callback());
    auto response = waiter.Wait();
    ASSERT_TRUE(response) << "no answer within the bound";
    EXPECT_TRUE(response->complete) << response->error;
    EXPECT_EQ(response->status, 302);
  }
  {
    CurlHttpClient::Options options;
    options.follow_redirects = true;
    CurlHttpClient client(options);
    Waiter<HttpResponse> waiter;
    client.Get(server.Url("/old"), 5s, waiter.Callback());
    auto response = waiter.Wait();
    ASSERT_TRUE(response) << "no answer within the bound";
    EXPECT_EQ(response->status, 200);
    EXPECT_EQ(response->body, "OK");
  }
}

TEST(CurlHttpClientTest, LongBodyIsCutAtTheCapAndStillComplete) {
  TinyHttpServer server({{"/big", {200, std::string(5000, 'x') + "END"}}});
  CurlHttpClient::Options options;
  options.max_body_bytes = 1000;
  CurlHttpClient client(options);
  Waiter<HttpResponse> waiter;
  client.Get(server.Url("/big"), 5s, waiter.Callback());
  auto response = waiter.Wait();
  ASSERT_TRUE(response) << "no answer within the bound";
  EXPECT_TRUE(response->complete);
  EXPECT_EQ(response->status, 200);
  EXPECT_EQ(response->body, std::string(1000, 'x'));
  EXPECT_EQ(response->error, "body truncated at 1000 bytes");
}

TEST(CurlHttpClientTest, QueuesBeyondMaxConcurrent) {
  TinyHttpServer server({{"/hold", {200, "OK", 100ms}}});
  CurlHttpClient::Options options;
  options.max_concurrent = 2;
  CurlHttpClient client(options);
  constexpr int kRequests = 6;
  std::vector<Waiter<HttpResponse>> waiters(kRequests);
  for (auto& waiter : waiters) client.Get(server.Url("/hold"), 10s, waiter.Callback());
  for (auto& waiter : waiters) {
    auto response = waiter.Wait();
    ASSERT_TRUE(response) << "no answer within the bound";
    EXPECT_EQ(response->status, 200) << response->error;
  }
  EXPECT_LE(server.MaxConcurrent(), 2);
}

TEST(CurlHttpClientTest, CallbackMayIssueTheNextRequest) {
  TinyHttpServer server({{"/ok", {200, "OK"}}});
  CurlHttpClient client;
  Waiter<HttpResponse> second;
  client.Get(server.Url("/ok"), 5s, [&client, &server, &second](HttpResponse first) {
    EXPECT_EQ(first.status, 200);
    client.Get(server.Url("/ok"), 5s, second.Callback());
  });
  auto response = second.Wait();
  ASSERT_TRUE(response) << "no answer within the bound";
  EXPECT_EQ(response->status, 200);
}

TEST(CurlHttpClientTest, ShutdownCompletesRunningAndQueuedRequests) {
  TinyHttpServer server({{"/slow", {200, "OK", 10s}}});
  Waiter<HttpResponse> running, queued;
  {
    CurlHttpClient::Options options;
    options.max_concurrent = 1;
    CurlHttpClient client(options);
    client.Get(server.Url("/slow"), 20s, running.Callback());
    client.Get(server.Url("/slow"), 20s, queued.Callback());
  }
  for (auto* waiter : {&running, &queued}) {
    auto response = waiter->Wait();
    ASSERT_TRUE(response) << "a request was dropped";
    EXPECT_FALSE(response->complete);
    EXPECT_EQ(response->error, "HTTP client shut down before the request completed");
  }
}

TEST(CurlHttpClientTest, OnlyHttpAndHttpsAreFetched) {
  CurlHttpClient client;
  Waiter<HttpResponse> waiter;
  client.Get("file:///etc/hostname", 5s, waiter.Callback());
  auto response = waiter.Wait();
  ASSERT_TRUE(response) << "no answer within the bound";
  EXPECT_FALSE(response->complete);
  EXPECT_FALSE(response->error.empty());
  EXPECT_TRUE(response->body.empty());
}

}  // namespace
}  // namespace mimamori::collector
