// snmp_loadgen: drives one SNMP v2c agent on loopback with Get or GetBulk-walk
// load and reports throughput, latency and errors.
//
// It exists so that mimamori-agent and Net-SNMP's snmpd are measured by the
// same client in the same run (bench/run_agent_bench.sh). Net-SNMP's own
// tools fork a process per walk and spend most of their time in the client,
// so they would measure themselves; this client encodes with our proto/ codec
// and costs a few microseconds per request, and it reports its own CPU time so
// that a run limited by the client rather than the agent is visible.
//
// Only loopback targets are accepted: this is a load generator, and pointing
// it at a production agent by mistake should be impossible.

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <bit>
#include <cerrno>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "mimamori/proto/ber.h"

namespace {

namespace mp = mimamori::proto;
using Clock = std::chrono::steady_clock;

constexpr const char* kUsage =
    "usage: snmp_loadgen --target 127.0.0.1:PORT --mode get|bulkwalk --duration SECONDS\n"
    "                    [--community NAME] [--window N] [--oids OID,OID,...]\n"
    "                    [--root OID] [--max-repetitions N] [--timeout-ms N]\n"
    "                    [--retries N] [--json]\n"
    "\n"
    "  --target ADDR:PORT     loopback only: 127.x.x.x:PORT or [::1]:PORT\n"
    "  --community NAME       SNMPv2c community (default MieKiban)\n"
    "  --mode get             keep --window GetRequests in flight (default 8)\n"
    "  --mode bulkwalk        walk --root with GetBulk, one walk at a time\n"
    "  --duration SECONDS     how long to send (fractions allowed, at most 3600)\n"
    "  --oids a,b,...         Get varbinds (default: sysUpTime.0, sysName.0,\n"
    "                         hrSystemProcesses.0, memTotalReal.0, memAvailReal.0)\n"
    "  --root OID             walk root (default hrSWRunTable .1.3.6.1.2.1.25.4.2)\n"
    "  --max-repetitions N    GetBulk max-repetitions (default 25; snmpbulkwalk uses 10)\n"
    "  --timeout-ms N         a request unanswered this long is a timeout (default 1000)\n"
    "  --retries N            bulkwalk: resends of a timed-out request before the walk\n"
    "                         is abandoned (default 2)\n"
    "  --json                 one JSON object on stdout instead of the readable report\n";

// The five scalars a typical poller fetches in one Get: one from each of the
// MIBs the agent serves most (SNMPv2-MIB, HOST-RESOURCES-MIB, UCD-SNMP-MIB).
constexpr std::array<const char*, 5> kDefaultOids = {
    ".1.3.6.1.2.1.1.3.0",       // sysUpTime.0
    ".1.3.6.1.2.1.1.5.0",       // sysName.0
    ".1.3.6.1.2.1.25.1.6.0",    // hrSystemProcesses.0
    ".1.3.6.1.4.1.2021.4.5.0",  // memTotalReal.0
    ".1.3.6.1.4.1.2021.4.6.0",  // memAvailReal.0
};
constexpr const char* kDefaultRoot = ".1.3.6.1.2.1.25.4.2";  // hrSWRunTable

// 25 rather than snmpbulkwalk's 10: a table of ~100 processes x 7 columns then
// takes ~30 round trips instead of ~70, closer to what a poller tuned for bulk
// collection sends. --max-repetitions 10 reproduces snmpbulkwalk.
constexpr int kDefaultMaxRepetitions = 25;

// Large enough for the largest UDP/IPv4 payload (65507), which both agents
// may fill with a GetBulk response.
constexpr std::size_t kReceiveBufferSize = 65536;

// Upper bound on datagrams handled per wake-up, so that one loop iteration is
// bounded even if the socket never runs dry.
constexpr int kMaxDrainPerWake = 256;

enum class Mode { kGet, kBulkWalk };

struct Options {
  sockaddr_storage target{};
  socklen_t target_length = 0;
  std::string target_text;
  std::string community = "MieKiban";
  Mode mode = Mode::kGet;
  double duration_s = 0;
  int window = 8;
  std::vector<mp::Oid> oids;
  mp::Oid root;
  int max_repetitions = kDefaultMaxRepetitions;
  int timeout_ms = 1000;
  int retries = 2;
  bool json = false;
};

// Log-linear histogram of nanosecond latencies: 32 buckets per power of two
// (under 1.6 % error at the bucket midpoint) in a fixed array, so memory stays
// constant however long the run and however fast the agent.
class Histogram {
 public:
  void Add(Clock::duration elapsed) {
    const auto ns = std::chrono::duration_cast<std::chrono::nanoseconds>(elapsed).count();
    const std::uint64_t value = ns > 0 ? static_cast<std::uint64_t>(ns) : 0;
    ++counts_[Index(value)];
    ++total_;
    max_ = std::max(max_, value);
  }

  std::uint64_t count() const { return total_; }
  double MaxUs() const { return static_cast<double>(max_) / 1000.0; }

  /// The p-quantile (0 < p <= 1) in microseconds; 0 when empty.
  double PercentileUs(double p) const {
    if (total_ == 0) return 0;
    const auto rank =
        static_cast<std::uint64_t>(std::max(1.0, std::ceil(p * static_cast<double>(total_))));
    std::uint64_t seen = 0;
    for (std::size_t i = 0; i < counts_.size(); ++i) {
      seen += counts_[i];
      if (seen >= rank) return std::min(Midpoint(i), static_cast<double>(max_)) / 1000.0;
    }
    return MaxUs();
  }

 private:
  static constexpr int kExactBelowBits = 6;  // values under 64 ns get their own bucket
  static constexpr std::size_t kExact = std::size_t{1} << kExactBelowBits;
  static constexpr std::size_t kPerOctave = kExact / 2;

  static std::size_t Index(std::uint64_t value) {
    if (value < kExact) return static_cast<std::size_t>(value);
    const int msb = static_cast<int>(std::bit_width(value)) - 1;  // >= kExactBelowBits
    const int shift = msb - kExactBelowBits + 1;
    const auto top = static_cast<std::size_t>(value >> shift);  // in [kPerOctave, kExact)
    return kExact + static_cast<std::size_t>(msb - kExactBelowBits) * kPerOctave +
           (top - kPerOctave);
  }

  static double Midpoint(std::size_t index) {
    if (index < kExact) return static_cast<double>(index);
    const std::size_t k = index - kExact;
    const int shift = static_cast<int>(k / kPerOctave) + 1;
    const std::uint64_t top = k % kPerOctave + kPerOctave;
    const std::uint64_t low = top << shift;
    return static_cast<double>(low) + static_cast<double>(std::uint64_t{1} << shift) / 2.0;
  }

  std::array<std::uint64_t, kExact + (64 - kExactBelowBits) * kPerOctave> counts_{};
  std::uint64_t total_ = 0;
  std::uint64_t max_ = 0;
};

struct Stats {
  std::uint64_t sent = 0;
  std::uint64_t responses = 0;  ///< matching responses that decoded
  std::uint64_t timeouts = 0;
  std::uint64_t late = 0;  ///< decoded, but for no request in flight (e.g. after a timeout)
  std::uint64_t decode_errors = 0;
  std::uint64_t unexpected_pdus = 0;     ///< decoded, but not a Response
  std::uint64_t error_status = 0;        ///< responses with error-status != 0
  std::uint64_t exception_varbinds = 0;  ///< noSuchObject/noSuchInstance/endOfMibView in Get
  std::uint64_t wrong_varbind_count = 0;
  std::uint64_t send_errors = 0;
  std::uint64_t refused = 0;  ///< ICMP port unreachable: nothing listens on the port
  Histogram request_latency;
  // bulkwalk only
  std::uint64_t walks = 0;
  std::uint64_t aborted_walks = 0;
  std::uint64_t walk_protocol_errors = 0;  ///< non-increasing OIDs or empty responses
  std::uint64_t walk_varbinds = 0;         ///< over completed walks
  std::uint64_t walk_rows = 0;             ///< over completed walks
  std::uint64_t walk_requests = 0;         ///< over completed walks
  Histogram walk_latency;
};

[[noreturn]] void UsageError(const std::string& message) {
  std::fprintf(stderr, "snmp_loadgen: %s (--help for usage)\n", message.c_str());
  std::exit(2);
}

std::optional<long> ParseLong(std::string_view text, long min, long max) {
  std::string copy(text);
  char* end = nullptr;
  errno = 0;
  const long value = std::strtol(copy.c_str(), &end, 10);
  if (copy.empty() || errno != 0 || *end != '\0' || value < min || value > max) {
    return std::nullopt;
  }
  return value;
}

// Accepts "127.x.x.x:PORT" and "[::1]:PORT" and nothing else.
bool ParseTarget(const std::string& text, Options& options) {
  const std::size_t colon = text.rfind(':');
  if (colon == std::string::npos) return false;
  const auto port = ParseLong(std::string_view(text).substr(colon + 1), 1, 65535);
  if (!port) return false;
  std::string host = text.substr(0, colon);
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']') {
    host = host.substr(1, host.size() - 2);
    sockaddr_in6 address{};
    address.sin6_family = AF_INET6;
    address.sin6_port = htons(static_cast<std::uint16_t>(*port));
    if (inet_pton(AF_INET6, host.c_str(), &address.sin6_addr) != 1) return false;
    if (!IN6_IS_ADDR_LOOPBACK(&address.sin6_addr)) return false;
    std::memcpy(&options.target, &address, sizeof address);
    options.target_length = sizeof address;
    return true;
  }
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_port = htons(static_cast<std::uint16_t>(*port));
  if (inet_pton(AF_INET, host.c_str(), &address.sin_addr) != 1) return false;
  if ((ntohl(address.sin_addr.s_addr) >> 24) != 127) return false;
  std::memcpy(&options.target, &address, sizeof address);
  options.target_length = sizeof address;
  return true;
}

mp::Oid ParseOidOrDie(std::string_view text, const char* flag) {
  auto oid = mp::Oid::Parse(text);
  if (!oid) UsageError(std::string(flag) + ": not a numeric OID: '" + std::string(text) + "'");
  return *oid;
}

Options ParseCommandLine(int argc, char** argv) {
  Options options;
  bool have_mode = false;
  for (int i = 1; i < argc; ++i) {
    const std::string_view arg = argv[i];
    auto value = [&]() -> std::string_view {
      if (i + 1 >= argc) UsageError(std::string(arg) + " needs a value");
      return argv[++i];
    };
    if (arg == "--help" || arg == "-h") {
      std::fputs(kUsage, stdout);
      std::exit(0);
    } else if (arg == "--target") {
      options.target_text = value();
      if (!ParseTarget(options.target_text, options)) {
        UsageError("--target must be 127.x.x.x:PORT or [::1]:PORT, got '" + options.target_text +
                   "'");
      }
    } else if (arg == "--community") {
      options.community = value();
    } else if (arg == "--mode") {
      const std::string_view mode = value();
      if (mode == "get") {
        options.mode = Mode::kGet;
      } else if (mode == "bulkwalk") {
        options.mode = Mode::kBulkWalk;
      } else {
        UsageError("--mode must be get or bulkwalk");
      }
      have_mode = true;
    } else if (arg == "--duration") {
      const std::string text(value());
      char* end = nullptr;
      options.duration_s = std::strtod(text.c_str(), &end);
      if (text.empty() || *end != '\0' || !(options.duration_s > 0) || options.duration_s > 3600) {
        UsageError("--duration must be a number of seconds in (0, 3600]");
      }
    } else if (arg == "--window") {
      // 256 keeps the linear slot search trivial; far more than saturates a
      // single-threaded agent.
      auto window = ParseLong(value(), 1, 256);
      if (!window) UsageError("--window must be 1..256");
      options.window = static_cast<int>(*window);
    } else if (arg == "--oids") {
      options.oids.clear();
      std::string_view list = value();
      while (true) {
        const std::size_t comma = list.find(',');
        options.oids.push_back(ParseOidOrDie(list.substr(0, comma), "--oids"));
        if (comma == std::string_view::npos) break;
        list.remove_prefix(comma + 1);
      }
    } else if (arg == "--root") {
      options.root = ParseOidOrDie(value(), "--root");
    } else if (arg == "--max-repetitions") {
      auto repetitions = ParseLong(value(), 1, 1000);
      if (!repetitions) UsageError("--max-repetitions must be 1..1000");
      options.max_repetitions = static_cast<int>(*repetitions);
    } else if (arg == "--timeout-ms") {
      // Latencies are kept in a steady_clock histogram; above a few seconds a
      // "timeout" is no longer a useful notion on loopback.
      auto timeout = ParseLong(value(), 1, 10000);
      if (!timeout) UsageError("--timeout-ms must be 1..10000");
      options.timeout_ms = static_cast<int>(*timeout);
    } else if (arg == "--retries") {
      auto retries = ParseLong(value(), 0, 10);
      if (!retries) UsageError("--retries must be 0..10");
      options.retries = static_cast<int>(*retries);
    } else if (arg == "--json") {
      options.json = true;
    } else {
      UsageError("unknown option '" + std::string(arg) + "'");
    }
  }
  if (options.target_length == 0) UsageError("--target is required");
  if (!have_mode) UsageError("--mode is required");
  if (options.duration_s <= 0) UsageError("--duration is required");
  if (options.oids.empty()) {
    for (const char* text : kDefaultOids) options.oids.push_back(*mp::Oid::Parse(text));
  }
  if (options.root.empty()) options.root = *mp::Oid::Parse(kDefaultRoot);
  return options;
}

int OpenSocket(const Options& options) {
  const int fd = socket(options.target.ss_family, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) {
    std::perror("snmp_loadgen: socket");
    std::exit(1);
  }
  // A window of GetBulk responses of up to 64 KB each must not overflow the
  // default receive buffer; the kernel caps this at rmem_max silently.
  const int buffer_size = 4 << 20;
  setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &buffer_size, sizeof buffer_size);
  // Connected, so that the kernel drops datagrams from anyone but the target
  // and reports ICMP port-unreachable as ECONNREFUSED.
  if (connect(fd, reinterpret_cast<const sockaddr*>(&options.target), options.target_length) != 0) {
    std::perror("snmp_loadgen: connect");
    std::exit(1);
  }
  return fd;
}

// Request-ids: unique within a run (2^31-1 values before wrapping), started at
// a per-process value so that responses to an earlier run's requests, still
// queued somewhere, are not mistaken for ours.
class RequestIds {
 public:
  RequestIds() {
    const auto seed = static_cast<std::uint64_t>(Clock::now().time_since_epoch().count()) ^
                      (static_cast<std::uint64_t>(getpid()) << 20);
    next_ = static_cast<std::int32_t>(seed % 0x7FFF0000u) + 1;
  }
  std::int32_t Next() {
    const std::int32_t id = next_;
    next_ = next_ == 0x7FFFFFFF ? 1 : next_ + 1;
    return id;
  }

 private:
  std::int32_t next_ = 1;
};

int PollTimeoutMs(Clock::time_point now, Clock::time_point until) {
  if (until <= now) return 0;
  const auto ms = std::chrono::ceil<std::chrono::milliseconds>(until - now).count();
  // Capped so that the deadline is re-checked regularly whatever the clock does.
  return static_cast<int>(std::min<std::int64_t>(ms, 100));
}

// Receives one datagram into `buffer`. Returns its size, 0 when the socket is
// drained, or -1 for a datagram-less event already counted (e.g. ECONNREFUSED).
long ReceiveOne(int fd, std::vector<std::uint8_t>& buffer, Stats& stats) {
  const ssize_t size = recv(fd, buffer.data(), buffer.size(), 0);
  if (size >= 0) return static_cast<long>(size);
  if (errno == EAGAIN || errno == EWOULDBLOCK) return 0;
  if (errno == ECONNREFUSED) {
    ++stats.refused;
    return -1;
  }
  if (errno == EINTR) return -1;
  std::perror("snmp_loadgen: recv");
  std::exit(1);
}

bool SendMessage(int fd, const mp::Message& message, std::vector<std::uint8_t>& wire,
                 Stats& stats) {
  wire.clear();
  mp::EncodeMessage(message, wire);
  const ssize_t sent = send(fd, wire.data(), wire.size(), 0);
  if (sent == static_cast<ssize_t>(wire.size())) {
    ++stats.sent;
    return true;
  }
  // EAGAIN (socket buffer full) or ECONNREFUSED from an earlier ICMP error:
  // the caller retries on its next iteration.
  if (sent < 0 && errno == ECONNREFUSED) ++stats.refused;
  ++stats.send_errors;
  return false;
}

// Decodes `wire` and checks that it is a Response; counts what it is not.
bool DecodeResponse(std::span<const std::uint8_t> wire, mp::Message& response, Stats& stats) {
  if (mp::DecodeMessage(wire, response) != mp::DecodeError::kNone) {
    ++stats.decode_errors;
    return false;
  }
  if (response.pdu.type != mp::PduType::kResponse) {
    ++stats.unexpected_pdus;
    return false;
  }
  return true;
}

struct Slot {
  bool busy = false;
  std::int32_t request_id = 0;
  Clock::time_point sent_at;
};

void RunGet(const Options& options, int fd, Stats& stats) {
  mp::Message request;
  request.version = mp::Version::kV2c;
  request.community = options.community;
  request.pdu.type = mp::PduType::kGetRequest;
  for (const mp::Oid& oid : options.oids) request.pdu.varbinds.push_back({oid, mp::Value::Null()});

  const auto timeout = std::chrono::milliseconds(options.timeout_ms);
  const auto start = Clock::now();
  const auto deadline = start + std::chrono::duration_cast<Clock::duration>(
                                    std::chrono::duration<double>(options.duration_s));
  std::vector<Slot> slots(static_cast<std::size_t>(options.window));
  std::vector<std::uint8_t> wire;
  std::vector<std::uint8_t> buffer(kReceiveBufferSize);
  mp::Message response;
  RequestIds ids;

  while (true) {
    auto now = Clock::now();
    if (now >= deadline) break;
    bool send_failed = false;
    auto wake = deadline;
    for (Slot& slot : slots) {
      if (slot.busy && now - slot.sent_at >= timeout) {
        ++stats.timeouts;
        slot.busy = false;
      }
      if (!slot.busy && !send_failed) {
        request.pdu.request_id = ids.Next();
        if (SendMessage(fd, request, wire, stats)) {
          slot = {true, request.pdu.request_id, now};
        } else {
          send_failed = true;
        }
      }
      if (slot.busy) wake = std::min(wake, slot.sent_at + timeout);
    }
    // After a failed send, come back within a millisecond rather than
    // spinning or waiting for a timeout.
    if (send_failed) wake = std::min(wake, now + std::chrono::milliseconds(1));

    pollfd pfd{fd, POLLIN, 0};
    if (poll(&pfd, 1, PollTimeoutMs(now, wake)) <= 0) continue;

    for (int i = 0; i < kMaxDrainPerWake; ++i) {
      const long size = ReceiveOne(fd, buffer, stats);
      if (size == 0) break;
      if (size < 0) continue;
      const auto received_at = Clock::now();
      if (!DecodeResponse(std::span(buffer.data(), static_cast<std::size_t>(size)), response,
                          stats)) {
        continue;
      }
      auto slot = std::find_if(slots.begin(), slots.end(), [&](const Slot& s) {
        return s.busy && s.request_id == response.pdu.request_id;
      });
      if (slot == slots.end()) {
        ++stats.late;
        continue;
      }
      slot->busy = false;
      ++stats.responses;
      stats.request_latency.Add(received_at - slot->sent_at);
      if (response.pdu.error_status != 0) ++stats.error_status;
      if (response.pdu.varbinds.size() != options.oids.size()) ++stats.wrong_varbind_count;
      for (const mp::VarBind& varbind : response.pdu.varbinds) {
        if (varbind.value.IsException()) ++stats.exception_varbinds;
      }
    }
  }
}

// One walk of options.root at a time, as snmpbulkwalk does it: each GetBulk
// asks for what follows the last OID received, until an OID leaves the subtree
// or endOfMibView comes back.
class BulkWalker {
 public:
  BulkWalker(const Options& options, int fd, Stats& stats)
      : options_(options), fd_(fd), stats_(stats) {
    request_.version = mp::Version::kV2c;
    request_.community = options.community;
    request_.pdu.type = mp::PduType::kGetBulkRequest;
    request_.pdu.error_status = 0;  // non-repeaters
    request_.pdu.error_index = options.max_repetitions;
  }

  void Run() {
    const auto timeout = std::chrono::milliseconds(options_.timeout_ms);
    const auto deadline = Clock::now() + std::chrono::duration_cast<Clock::duration>(
                                             std::chrono::duration<double>(options_.duration_s));
    std::vector<std::uint8_t> buffer(kReceiveBufferSize);
    mp::Message response;

    while (true) {
      const auto now = Clock::now();
      if (now >= deadline) break;  // a walk still under way is not counted
      if (!walking_) {
        StartWalk(now);
      } else if (!in_flight_) {
        Send(now);  // an earlier send failed
      } else if (now - sent_at_ >= timeout) {
        ++stats_.timeouts;
        if (retries_left_-- > 0) {
          Send(now);
        } else {
          ++stats_.aborted_walks;
          walking_ = false;
          continue;
        }
      }
      auto wake = std::min(deadline, sent_at_ + timeout);
      if (!in_flight_) wake = std::min(wake, now + std::chrono::milliseconds(1));

      pollfd pfd{fd_, POLLIN, 0};
      if (poll(&pfd, 1, PollTimeoutMs(now, wake)) <= 0) continue;
      for (int i = 0; i < kMaxDrainPerWake; ++i) {
        const long size = ReceiveOne(fd_, buffer, stats_);
        if (size == 0) break;
        if (size < 0) continue;
        const auto received_at = Clock::now();
        if (!DecodeResponse(std::span(buffer.data(), static_cast<std::size_t>(size)), response,
                            stats_)) {
          continue;
        }
        if (!walking_ || !in_flight_ || response.pdu.request_id != request_.pdu.request_id) {
          ++stats_.late;
          continue;
        }
        in_flight_ = false;
        ++stats_.responses;
        stats_.request_latency.Add(received_at - sent_at_);
        Process(response, received_at);
      }
    }
  }

 private:
  void StartWalk(Clock::time_point now) {
    walking_ = true;
    walk_started_at_ = now;
    next_ = options_.root;
    last_ = options_.root;
    column_ = mp::Oid();
    rows_ = 0;
    varbinds_ = 0;
    requests_ = 0;
    Send(now);
  }

  void Send(Clock::time_point now) {
    if (!in_flight_) retries_left_ = options_.retries;
    request_.pdu.request_id = ids_.Next();
    request_.pdu.varbinds.assign(1, {next_, mp::Value::Null()});
    in_flight_ = SendMessage(fd_, request_, wire_, stats_);
    sent_at_ = now;
    if (in_flight_) ++requests_;
  }

  void Abandon() {
    ++stats_.aborted_walks;
    walking_ = false;
  }

  void Process(const mp::Message& response, Clock::time_point now) {
    if (response.pdu.error_status != 0) {
      ++stats_.error_status;
      Abandon();
      return;
    }
    if (response.pdu.varbinds.empty()) {
      ++stats_.walk_protocol_errors;
      Abandon();
      return;
    }
    for (const mp::VarBind& varbind : response.pdu.varbinds) {
      if (varbind.value.IsException() || !varbind.oid.StartsWith(options_.root) ||
          varbind.oid == options_.root) {
        Finish(now);
        return;
      }
      // An agent that does not move forward would make the walk endless.
      if (varbind.oid <= last_) {
        ++stats_.walk_protocol_errors;
        Abandon();
        return;
      }
      last_ = varbind.oid;
      ++varbinds_;
      // Rows are counted in the first column seen, assuming the root is a
      // table (root.1.column.index...), as hrSWRunTable is.
      if (column_.empty() && varbind.oid.size() > options_.root.size() + 2) {
        column_ = mp::Oid(std::vector<std::uint32_t>(
            varbind.oid.arcs().begin(),
            varbind.oid.arcs().begin() + static_cast<long>(options_.root.size() + 2)));
      }
      if (!column_.empty() && varbind.oid.StartsWith(column_)) ++rows_;
    }
    next_ = last_;
    Send(now);
  }

  void Finish(Clock::time_point now) {
    ++stats_.walks;
    stats_.walk_latency.Add(now - walk_started_at_);
    stats_.walk_varbinds += varbinds_;
    stats_.walk_rows += rows_;
    stats_.walk_requests += requests_;
    walking_ = false;
  }

  const Options& options_;
  int fd_;
  Stats& stats_;
  mp::Message request_;
  std::vector<std::uint8_t> wire_;
  RequestIds ids_;
  bool walking_ = false;
  bool in_flight_ = false;
  int retries_left_ = 0;
  Clock::time_point walk_started_at_;
  Clock::time_point sent_at_;
  mp::Oid next_;
  mp::Oid last_;
  mp::Oid column_;
  std::uint64_t rows_ = 0;
  std::uint64_t varbinds_ = 0;
  std::uint64_t requests_ = 0;
};

double CpuSeconds() {
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  auto seconds = [](const timeval& t) {
    return static_cast<double>(t.tv_sec) + static_cast<double>(t.tv_usec) / 1e6;
  };
  return seconds(usage.ru_utime) + seconds(usage.ru_stime);
}

double PerWalk(std::uint64_t total, std::uint64_t walks) {
  return walks == 0 ? 0 : static_cast<double>(total) / static_cast<double>(walks);
}

void Report(const Options& options, const Stats& s, double elapsed_s, double cpu_s) {
  const bool get = options.mode == Mode::kGet;
  const double per_s = static_cast<double>(s.responses) / elapsed_s;
  const double walks_per_s = static_cast<double>(s.walks) / elapsed_s;
  const std::uint64_t errors = s.timeouts + s.decode_errors + s.unexpected_pdus + s.error_status +
                               s.send_errors + s.refused + s.aborted_walks +
                               s.walk_protocol_errors + s.wrong_varbind_count;
  if (options.json) {
    std::printf(
        "{\"mode\": \"%s\", \"target\": \"%s\", \"duration_s\": %.3f, \"window\": %d, "
        "\"varbinds_per_request\": %zu, \"max_repetitions\": %d, \"sent\": %llu, "
        "\"responses\": %llu, \"requests_per_s\": %.1f, \"latency_p50_us\": %.1f, "
        "\"latency_p99_us\": %.1f, \"latency_max_us\": %.1f, \"timeouts\": %llu, "
        "\"late\": %llu, \"decode_errors\": %llu, \"unexpected_pdus\": %llu, "
        "\"error_status\": %llu, \"exception_varbinds\": %llu, \"wrong_varbind_count\": %llu, "
        "\"send_errors\": %llu, \"refused\": %llu, \"walks\": %llu, \"walks_per_s\": %.2f, "
        "\"walk_p50_us\": %.1f, \"walk_p99_us\": %.1f, \"aborted_walks\": %llu, "
        "\"walk_protocol_errors\": %llu, \"varbinds_per_walk\": %.1f, \"rows_per_walk\": %.1f, "
        "\"requests_per_walk\": %.1f, \"errors\": %llu, \"loadgen_cpu_s\": %.3f}\n",
        get ? "get" : "bulkwalk", options.target_text.c_str(), elapsed_s, options.window,
        options.oids.size(), options.max_repetitions, static_cast<unsigned long long>(s.sent),
        static_cast<unsigned long long>(s.responses), per_s, s.request_latency.PercentileUs(0.50),
        s.request_latency.PercentileUs(0.99), s.request_latency.MaxUs(),
        static_cast<unsigned long long>(s.timeouts), static_cast<unsigned long long>(s.late),
        static_cast<unsigned long long>(s.decode_errors),
        static_cast<unsigned long long>(s.unexpected_pdus),
        static_cast<unsigned long long>(s.error_status),
        static_cast<unsigned long long>(s.exception_varbinds),
        static_cast<unsigned long long>(s.wrong_varbind_count),
        static_cast<unsigned long long>(s.send_errors), static_cast<unsigned long long>(s.refused),
        static_cast<unsigned long long>(s.walks), walks_per_s, s.walk_latency.PercentileUs(0.50),
        s.walk_latency.PercentileUs(0.99), static_cast<unsigned long long>(s.aborted_walks),
        static_cast<unsigned long long>(s.walk_protocol_errors), PerWalk(s.walk_varbinds, s.walks),
        PerWalk(s.walk_rows, s.walks), PerWalk(s.walk_requests, s.walks),
        static_cast<unsigned long long>(errors), cpu_s);
    return;
  }
  if (get) {
    std::printf("snmp_loadgen: get %s, %.2f s, window %d, %zu varbinds per request\n",
                options.target_text.c_str(), elapsed_s, options.window, options.oids.size());
    std::printf("  requests/s        %.1f (%llu responses)\n", per_s,
                static_cast<unsigned long long>(s.responses));
    std::printf("  latency           p50 %.1f us, p99 %.1f us, max %.1f us\n",
                s.request_latency.PercentileUs(0.50), s.request_latency.PercentileUs(0.99),
                s.request_latency.MaxUs());
    std::printf("  exception values  %llu (noSuchObject/noSuchInstance in responses)\n",
                static_cast<unsigned long long>(s.exception_varbinds));
  } else {
    std::printf("snmp_loadgen: bulkwalk %s of %s, %.2f s, max-repetitions %d\n",
                options.target_text.c_str(), options.root.ToString().c_str(), elapsed_s,
                options.max_repetitions);
    std::printf("  walks/s           %.2f (%llu complete walks, %llu abandoned)\n", walks_per_s,
                static_cast<unsigned long long>(s.walks),
                static_cast<unsigned long long>(s.aborted_walks));
    std::printf("  per walk          %.1f varbinds, %.1f rows, %.1f requests\n",
                PerWalk(s.walk_varbinds, s.walks), PerWalk(s.walk_rows, s.walks),
                PerWalk(s.walk_requests, s.walks));
    std::printf("  walk time         p50 %.1f us, p99 %.1f us\n", s.walk_latency.PercentileUs(0.50),
                s.walk_latency.PercentileUs(0.99));
    std::printf("  requests/s        %.1f; latency p50 %.1f us, p99 %.1f us\n", per_s,
                s.request_latency.PercentileUs(0.50), s.request_latency.PercentileUs(0.99));
    if (s.walks > 0 && s.walk_varbinds == 0) {
      std::printf("  NOTE: the subtree is empty on this agent (walks return nothing)\n");
    }
  }
  std::printf(
      "  errors            %llu (timeouts %llu, decode %llu, error-status %llu, refused %llu, "
      "send %llu, protocol %llu); late responses %llu\n",
      static_cast<unsigned long long>(errors), static_cast<unsigned long long>(s.timeouts),
      static_cast<unsigned long long>(s.decode_errors),
      static_cast<unsigned long long>(s.error_status), static_cast<unsigned long long>(s.refused),
      static_cast<unsigned long long>(s.send_errors),
      static_cast<unsigned long long>(s.walk_protocol_errors + s.wrong_varbind_count),
      static_cast<unsigned long long>(s.late));
  std::printf("  load generator    %.2f CPU s (%.0f %% of one core)\n", cpu_s,
              100.0 * cpu_s / elapsed_s);
}

}  // namespace

int main(int argc, char** argv) {
  const Options options = ParseCommandLine(argc, argv);
  const int fd = OpenSocket(options);
  Stats stats;
  const double cpu_before = CpuSeconds();
  const auto start = Clock::now();
  if (options.mode == Mode::kGet) {
    RunGet(options, fd, stats);
  } else {
    BulkWalker(options, fd, stats).Run();
  }
  const double elapsed_s = std::chrono::duration<double>(Clock::now() - start).count();
  const double cpu_s = CpuSeconds() - cpu_before;
  close(fd);
  Report(options, stats, elapsed_s, cpu_s);
  // Nothing answered at all: let scripts probing for readiness tell.
  return stats.responses > 0 ? 0 : 1;
}
