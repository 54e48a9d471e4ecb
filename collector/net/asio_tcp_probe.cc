#include "collector/net/asio_tcp_probe.h"

#include <boost/asio/bind_executor.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/address.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <mutex>
#include <optional>
#include <stdexcept>
#include <thread>
#include <unordered_map>
#include <utility>
#include <vector>

namespace mimamori::collector {
namespace {

namespace asio = boost::asio;
using asio::ip::tcp;
using Strand = asio::strand<asio::io_context::executor_type>;

std::string Reason(const boost::system::error_code& ec) {
  if (ec == asio::error::connection_refused) return "connection refused";
  if (ec == asio::error::host_unreachable) return "host unreachable";
  if (ec == asio::error::network_unreachable) return "network unreachable";
  std::string text = ec.message();
  if (!text.empty() && text[0] >= 'A' && text[0] <= 'Z') text[0] = static_cast<char>(text[0] + 32);
  return text;
}

std::string EndpointText(const tcp::endpoint& endpoint) {
  const auto address = endpoint.address();
  const std::string host = address.is_v6() ? "[" + address.to_string() + "]" : address.to_string();
  return host + ":" + std::to_string(endpoint.port());
}

double SecondsSince(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

class Attempt;

/// The checks still running, so that shutdown can complete them. Shared with
/// the attempts: with a given io_context they may outlive the probe.
struct Registry {
  std::mutex mutex;
  std::unordered_map<const Attempt*, std::weak_ptr<Attempt>> live;  // guarded by mutex
};

/// One Connect(): every handler runs on its own strand, so the io_context may
/// be run by several threads without locks here.
class Attempt : public std::enable_shared_from_this<Attempt> {
 public:
  Attempt(asio::io_context& io, std::shared_ptr<Registry> registry, std::string address,
          std::uint16_t port, std::chrono::milliseconds timeout,
          std::function<void(TcpProbeResult)> done)
      : strand_(asio::make_strand(io)),
        resolver_(strand_),
        socket_(strand_),
        timer_(strand_),
        registry_(std::move(registry)),
        address_(std::move(address)),
        port_(port),
        timeout_(timeout),
        done_(std::move(done)) {}

  void Start() {
    {
      std::lock_guard lock(registry_->mutex);
      registry_->live.emplace(this, weak_from_this());
    }
    asio::post(strand_, [self = shared_from_this()] { self->Begin(); });
  }

  /// From any thread: ends the check with `error` unless it already ended.
  void Abort(std::string error) {
    asio::post(strand_, [self = shared_from_this(), error = std::move(error)]() mutable {
      self->Finish(TcpProbeResult{false, std::move(error), SecondsSince(self->started_)});
    });
  }

 private:
  void Begin() {
    if (finished_) return;
    started_ = std::chrono::steady_clock::now();
    timer_.expires_after(timeout_);
    timer_.async_wait([self = shared_from_this()](const boost::system::error_code& ec) {
      if (ec) return;  // cancelled: the check ended first
      self->Finish(
          TcpProbeResult{false, "timed out after " + std::to_string(self->timeout_.count()) + " ms",
                         SecondsSince(self->started_)});
    });

    boost::system::error_code literal_error;
    const auto literal = asio::ip::make_address(address_, literal_error);
    if (!literal_error) {
      // Skips the resolver thread, which handles one name at a time.
      endpoints_.emplace_back(literal, port_);
      ConnectNext();
      return;
    }
    resolver_.async_resolve(
        address_, std::to_string(port_), tcp::resolver::numeric_service,
        [self = shared_from_this()](const boost::system::error_code& ec,
                                    const tcp::resolver::results_type& results) {
          if (self->finished_) return;
          if (ec) {
            self->Finish(TcpProbeResult{false,
                                        "cannot resolve " + self->address_ + ": " + ec.message(),
                                        SecondsSince(self->started_)});
            return;
          }
          for (const auto& entry : results) self->endpoints_.push_back(entry.endpoint());
          self->ConnectNext();
        });
  }

  void ConnectNext() {
    if (finished_) return;
    if (next_ == endpoints_.size()) {
      Finish(TcpProbeResult{false, FailureText(), SecondsSince(started_)});
      return;
    }
    const tcp::endpoint endpoint = endpoints_[next_++];
    boost::system::error_code ec;
    if (socket_.is_open()) socket_.close(ec);
    socket_.open(endpoint.protocol(), ec);
    if (ec) {
      failures_.emplace_back(endpoint, Reason(ec));
      ConnectNext();
      return;
    }
    connect_started_ = std::chrono::steady_clock::now();
    socket_.async_connect(endpoint, [self = shared_from_this(),
                                     endpoint](const boost::system::error_code& connect_error) {
      if (self->finished_) return;
      if (!connect_error) {
        self->Finish(TcpProbeResult{true, "", SecondsSince(self->connect_started_)});
        return;
      }
      self->failures_.emplace_back(endpoint, Reason(connect_error));
      self->ConnectNext();
    });
  }

  std::string FailureText() const {
    if (failures_.empty()) return "cannot resolve " + address_ + ": no addresses";
    bool same = true;
    for (const auto& failure : failures_) same = same && failure.second == failures_[0].second;
    if (same) return failures_[0].second;
    std::string text;
    for (const auto& [endpoint, reason] : failures_) {
      if (!text.empty()) text += "; ";
      text += EndpointText(endpoint) + ": " + reason;
    }
    return text;
  }

  void Finish(TcpProbeResult result) {
    if (finished_) return;
    finished_ = true;
    boost::system::error_code ignored;
    timer_.cancel();
    resolver_.cancel();
    socket_.close(ignored);
    {
      std::lock_guard lock(registry_->mutex);
      registry_->live.erase(this);
    }
    auto done = std::move(done_);
    done(std::move(result));
  }

  Strand strand_;
  tcp::resolver resolver_;
  tcp::socket socket_;
  asio::steady_timer timer_;
  std::shared_ptr<Registry> registry_;
  const std::string address_;
  const std::uint16_t port_;
  const std::chrono::milliseconds timeout_;
  std::function<void(TcpProbeResult)> done_;

  std::vector<tcp::endpoint> endpoints_;
  std::size_t next_ = 0;
  std::vector<std::pair<tcp::endpoint, std::string>> failures_;
  std::chrono::steady_clock::time_point started_ = std::chrono::steady_clock::now();
  std::chrono::steady_clock::time_point connect_started_;
  bool finished_ = false;
};

}  // namespace

struct AsioTcpProbe::Impl {
  explicit Impl(asio::io_context* given)
      : own_io(given == nullptr ? std::make_unique<asio::io_context>(1) : nullptr),
        io(given == nullptr ? *own_io : *given) {}

  std::unique_ptr<asio::io_context> own_io;
  asio::io_context& io;
  std::shared_ptr<Registry> registry = std::make_shared<Registry>();
  std::optional<asio::executor_work_guard<asio::io_context::executor_type>> work;
  std::thread thread;
};

AsioTcpProbe::AsioTcpProbe() : impl_(std::make_unique<Impl>(nullptr)) {
  impl_->work.emplace(impl_->io.get_executor());
  impl_->thread = std::thread([io = &impl_->io] { io->run(); });
}

AsioTcpProbe::AsioTcpProbe(asio::io_context& io) : impl_(std::make_unique<Impl>(&io)) {}

AsioTcpProbe::~AsioTcpProbe() {
  std::vector<std::shared_ptr<Attempt>> running;
  {
    std::lock_guard lock(impl_->registry->mutex);
    for (auto& [key, weak] : impl_->registry->live) {
      if (auto attempt = weak.lock()) running.push_back(std::move(attempt));
    }
  }
  for (auto& attempt : running) attempt->Abort("TCP probe shut down before the check completed");
  running.clear();
  if (impl_->own_io) {
    // Without the guard, run() returns once the aborted checks have finished.
    impl_->work.reset();
    impl_->thread.join();
  }
}

void AsioTcpProbe::Connect(const std::string& address, std::uint16_t port,
                           std::chrono::milliseconds timeout,
                           std::function<void(TcpProbeResult)> done) {
  if (timeout <= std::chrono::milliseconds::zero()) {
    throw std::invalid_argument("TCP probe: connect to " + address + ":" + std::to_string(port) +
                                ": timeout must be positive, got " +
                                std::to_string(timeout.count()) + " ms");
  }
  std::make_shared<Attempt>(impl_->io, impl_->registry, address, port, timeout, std::move(done))
      ->Start();
}

}  // namespace mimamori::collector
