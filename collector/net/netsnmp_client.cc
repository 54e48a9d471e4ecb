// The only file of the collector that includes Net-SNMP.
//
// Shape: callers queue requests; one poller thread owns every Net-SNMP
// session. A request gets its own single session (snmp_sess_open: one UDP
// socket) when it leaves the queue and closes it when it ends, so that at
// most max_in_flight sockets exist. The poller waits in epoll on those
// sockets plus an eventfd (new work), feeds readable sockets to
// snmp_sess_read2 and expired ones to snmp_sess_timeout (which resends or
// reports the timeout), and finishes requests outside Net-SNMP's callbacks,
// where closing the session is allowed.
#include "collector/net/netsnmp_client.h"

#include <arpa/inet.h>
#include <netdb.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <condition_variable>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <deque>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <thread>
#include <utility>

// Net-SNMP's headers are C written for older compilers; keep their warnings
// out of ours.
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wpedantic"
#pragma GCC diagnostic ignored "-Wconversion"
#pragma GCC diagnostic ignored "-Wshadow"
#include <net-snmp/library/large_fd_set.h>
#include <net-snmp/net-snmp-config.h>
#include <net-snmp/net-snmp-includes.h>
#pragma GCC diagnostic pop

// snmp_api.h renames these to the PDU fields they share storage with; the
// macros would also rename our options' member.
#undef max_repetitions
#undef non_repeaters

namespace mimamori::collector {
namespace {

using Clock = std::chrono::steady_clock;
using proto::Oid;
using proto::Value;
using proto::VarBind;

constexpr const char* kShutDown = "SNMP client shut down";

// ------------------------------------------------------------ library setup

std::once_flag g_library_once;

// Net-SNMP's state is process-wide and never torn down: a second client (a
// test, a reload) must find it ready, and snmp_shutdown() would pull it from
// under any other user in the process.
void InitLibrary() {
  std::call_once(g_library_once, [] {
    // Behave the same on every machine: no snmp.conf, no persistent files,
    // and no MIB files (numeric OIDs only; without this init_snmp parses
    // every MIB it finds and complains about those it does not).
    netsnmp_ds_set_boolean(NETSNMP_DS_LIBRARY_ID, NETSNMP_DS_LIB_DONT_READ_CONFIGS, 1);
    netsnmp_ds_set_boolean(NETSNMP_DS_LIBRARY_ID, NETSNMP_DS_LIB_DISABLE_PERSISTENT_LOAD, 1);
    netsnmp_ds_set_boolean(NETSNMP_DS_LIBRARY_ID, NETSNMP_DS_LIB_DISABLE_PERSISTENT_SAVE, 1);
    netsnmp_set_mib_directory("");
    // init_mib reads the module list only from $MIBS (snmp.conf is off).
    ::setenv("MIBS", "", 1);
    init_snmp("mimamori-collector");
  });
}

// ------------------------------------------------------------ conversions

Oid ToOid(const oid* arcs, std::size_t count) {
  Oid out;
  for (std::size_t i = 0; i < count; ++i) out.Append(static_cast<std::uint32_t>(arcs[i]));
  return out;
}

std::vector<oid> FromOid(const Oid& in) {
  return std::vector<oid>(in.arcs().begin(), in.arcs().end());
}

// Net-SNMP unwraps the Opaque-encoded float/double/64-bit types of
// draft-perkins-opaque into types of their own; put the wrapping back so
// that Opaque values look the same whoever decoded them.
std::string WrapOpaque(std::uint8_t tag, const std::string& payload) {
  std::string out = {static_cast<char>(0x9f), static_cast<char>(tag),
                     static_cast<char>(payload.size())};
  return out + payload;
}

std::string BigEndian(std::uint64_t value, int octets) {
  std::string out(static_cast<std::size_t>(octets), '\0');
  for (int i = octets - 1; i >= 0; --i) {
    out[static_cast<std::size_t>(i)] = static_cast<char>(value & 0xff);
    value >>= 8;
  }
  return out;
}

// Shortest two's complement form, as BER encodes INTEGER contents.
std::string MinimalInteger(std::uint64_t value, bool is_signed) {
  std::string full = BigEndian(value, 8);
  if (!is_signed && (full[0] & 0x80)) full.insert(full.begin(), '\0');
  std::size_t skip = 0;
  while (skip + 1 < full.size()) {
    const auto first = static_cast<std::uint8_t>(full[skip]);
    const auto next = static_cast<std::uint8_t>(full[skip + 1]);
    if ((first == 0x00 && !(next & 0x80)) || (is_signed && first == 0xff && (next & 0x80))) {
      ++skip;
    } else {
      break;
    }
  }
  return full.substr(skip);
}

std::uint64_t Counter64Of(const netsnmp_variable_list& v) {
  return (static_cast<std::uint64_t>(v.val.counter64->high & 0xffffffffu) << 32) |
         (v.val.counter64->low & 0xffffffffu);
}

Value ToValue(const netsnmp_variable_list& v) {
  switch (v.type) {
    case ASN_INTEGER:
      return Value::Integer(static_cast<std::int32_t>(*v.val.integer));
    case ASN_OCTET_STR:
      return Value::OctetString(
          std::string_view(reinterpret_cast<const char*>(v.val.string), v.val_len));
    case ASN_NULL:
      return Value::Null();
    case ASN_OBJECT_ID:
      return Value::ObjectId(ToOid(v.val.objid, v.val_len / sizeof(oid)));
    case ASN_IPADDRESS:
      return Value::IpAddress(
          std::string_view(reinterpret_cast<const char*>(v.val.string), v.val_len));
    case ASN_COUNTER:
      return Value::Counter32(static_cast<std::uint32_t>(*v.val.integer));
    case ASN_GAUGE:  // also ASN_UNSIGNED
    case ASN_UINTEGER:
      return Value::Gauge32(static_cast<std::uint32_t>(*v.val.integer));
    case ASN_TIMETICKS:
      return Value::TimeTicks(static_cast<std::uint32_t>(*v.val.integer));
    case ASN_OPAQUE:
      return Value::Opaque(
          std::string_view(reinterpret_cast<const char*>(v.val.string), v.val_len));
    case ASN_COUNTER64:
      return Value::Counter64(Counter64Of(v));
#ifdef NETSNMP_WITH_OPAQUE_SPECIAL_TYPES
    case ASN_OPAQUE_FLOAT: {
      std::uint32_t bits = 0;
      std::memcpy(&bits, v.val.floatVal, sizeof bits);
      return Value::Opaque(WrapOpaque(ASN_OPAQUE_FLOAT, BigEndian(bits, 4)));
    }
    case ASN_OPAQUE_DOUBLE: {
      std::uint64_t bits = 0;
      std::memcpy(&bits, v.val.doubleVal, sizeof bits);
      return Value::Opaque(WrapOpaque(ASN_OPAQUE_DOUBLE, BigEndian(bits, 8)));
    }
    case ASN_OPAQUE_COUNTER64:
    case ASN_OPAQUE_U64:
      return Value::Opaque(WrapOpaque(v.type, MinimalInteger(Counter64Of(v), false)));
    case ASN_OPAQUE_I64:
      return Value::Opaque(WrapOpaque(v.type, MinimalInteger(Counter64Of(v), true)));
#endif
    case SNMP_NOSUCHOBJECT:
      return Value::NoSuchObject();
    case SNMP_NOSUCHINSTANCE:
      return Value::NoSuchInstance();
    case SNMP_ENDOFMIBVIEW:
      return Value::EndOfMibView();
    default:
      // A type v2c does not have (Net-SNMP already rejects most): keep the
      // binding so that positions still line up, but without a value.
      return Value::Null();
  }
}

std::string_view ErrorStatusName(long status) {
  static constexpr std::string_view kNames[] = {"noError",
                                                "tooBig",
                                                "noSuchName",
                                                "badValue",
                                                "readOnly",
                                                "genErr",
                                                "noAccess",
                                                "wrongType",
                                                "wrongLength",
                                                "wrongEncoding",
                                                "wrongValue",
                                                "noCreation",
                                                "inconsistentValue",
                                                "resourceUnavailable",
                                                "commitFailed",
                                                "undoFailed",
                                                "authorizationError",
                                                "notWritable",
                                                "inconsistentName"};
  if (status >= 0 && status < static_cast<long>(std::size(kNames))) return kNames[status];
  return "unknown error-status";
}

// "3 s", "1.5 s", "0.25 s".
std::string Seconds(std::chrono::milliseconds ms) {
  char text[32];
  std::snprintf(text, sizeof text, "%.3f", static_cast<double>(ms.count()) / 1000.0);
  std::string out = text;
  while (out.back() == '0') out.pop_back();
  if (out.back() == '.') out.pop_back();
  return out + " s";
}

std::string LibraryError(int liberr, int syserr, char* text) {
  std::string out = text ? text : ("Net-SNMP error " + std::to_string(liberr));
  std::free(text);
  if (syserr > 0 && out.find(std::strerror(syserr)) == std::string::npos) {
    out += std::string(" (") + std::strerror(syserr) + ")";
  }
  return out;
}

// ------------------------------------------------------------ addresses

// The Net-SNMP peer name for a numeric address, or nullopt for a DNS name.
std::optional<std::string> NumericPeer(std::string_view address, std::uint16_t port) {
  std::string host(address);
  if (host.size() > 2 && host.front() == '[' && host.back() == ']') {
    host = host.substr(1, host.size() - 2);
  }
  in_addr v4{};
  in6_addr v6{};
  if (inet_pton(AF_INET, host.c_str(), &v4) == 1) {
    return "udp:" + host + ":" + std::to_string(port);
  }
  if (inet_pton(AF_INET6, host.c_str(), &v6) == 1) {
    return "udp6:[" + host + "]:" + std::to_string(port);
  }
  return std::nullopt;
}

// ------------------------------------------------------------ requests

struct Column {
  Oid root;
  Oid last;  // the last OID received (the root before the first)
  bool done = false;
  std::vector<VarBind> varbinds;
};

// What Net-SNMP's callback hands over to the poller.
struct Reply {
  int op = 0;
  long error_status = 0;
  long error_index = 0;
  std::vector<VarBind> varbinds;
};

struct Request {
  bool walk = false;
  SnmpTarget target;
  std::vector<Oid> oids;  // Get: the OIDs; Walk: the roots
  std::function<void(SnmpResult)> done;

  std::string peer;                  // "udp:10.0.0.5:161", once known
  std::optional<SnmpResult> result;  // set once finished

  void* session = nullptr;
  int fd = -1;
  Clock::time_point deadline = Clock::time_point::max();
  std::optional<Reply> reply;

  std::vector<Column> columns;     // Walk
  std::vector<std::size_t> asked;  // columns of the GetBulk on the wire
  int max_repetitions = 0;
  std::size_t collected = 0;
};

SnmpResult Failure(std::string error, bool timeout = false) {
  SnmpResult result;
  result.timeout = timeout;
  result.error = std::move(error);
  return result;
}

int OnPdu(int op, netsnmp_session* /*session*/, int /*reqid*/, netsnmp_pdu* pdu, void* magic) {
  auto* request = static_cast<Request*>(magic);
  // Resends and (TCP-only) connection events are Net-SNMP's business.
  if (op == NETSNMP_CALLBACK_OP_RESEND || op == NETSNMP_CALLBACK_OP_CONNECT) return 1;
  Reply reply;
  reply.op = op;
  if (op == NETSNMP_CALLBACK_OP_RECEIVED_MESSAGE && pdu != nullptr) {
    reply.error_status = pdu->errstat;
    reply.error_index = pdu->errindex;
    std::size_t count = 0;
    for (const netsnmp_variable_list* v = pdu->variables; v != nullptr; v = v->next_variable) {
      ++count;
    }
    reply.varbinds.reserve(count);
    for (const netsnmp_variable_list* v = pdu->variables; v != nullptr; v = v->next_variable) {
      reply.varbinds.push_back({ToOid(v->name, v->name_length), ToValue(*v)});
    }
  }
  request->reply = std::move(reply);
  return 1;
}

}  // namespace

// ============================================================ Impl

class NetSnmpClient::Impl {
 public:
  explicit Impl(NetSnmpClientOptions options) : options_(options) {
    options_.max_in_flight = std::max(1, options_.max_in_flight);
    options_.max_repetitions = std::max(1, options_.max_repetitions);
    InitLibrary();
    netsnmp_large_fd_set_init(&fds_, FD_SETSIZE);
    epoll_ = epoll_create1(EPOLL_CLOEXEC);
    wake_ = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
    if (epoll_ < 0 || wake_ < 0) {
      startup_error_ = std::string("cannot create epoll/eventfd: ") + std::strerror(errno);
      return;
    }
    epoll_event event{};
    event.events = EPOLLIN;
    event.data.ptr = nullptr;  // nullptr = the wake-up eventfd
    epoll_ctl(epoll_, EPOLL_CTL_ADD, wake_, &event);
    poller_ = std::thread([this] { PollLoop(); });
    resolver_ = std::thread([this] { ResolveLoop(); });
  }

  ~Impl() {
    Shutdown();
    if (epoll_ >= 0) ::close(epoll_);
    if (wake_ >= 0) ::close(wake_);
    netsnmp_large_fd_set_cleanup(&fds_);
  }

  void Submit(bool walk, const SnmpTarget& target, std::vector<Oid> oids,
              std::function<void(SnmpResult)> done) {
    auto request = std::make_unique<Request>();
    request->walk = walk;
    request->target = target;
    request->oids = std::move(oids);
    request->done = std::move(done);
    if (walk) request->max_repetitions = options_.max_repetitions;
    if (auto peer = NumericPeer(target.address, target.settings.port)) request->peer = *peer;
    if (request->oids.empty()) {  // nothing to ask: not worth a packet
      SnmpResult empty;
      empty.ok = true;
      Complete(std::move(request), std::move(empty));
      return;
    }

    std::unique_lock lock(mutex_);
    if (stopping_ || !startup_error_.empty()) {
      lock.unlock();
      Complete(std::move(request), Failure(startup_error_.empty() ? kShutDown : startup_error_));
      return;
    }
    if (request->peer.empty()) {
      to_resolve_.push_back(std::move(request));
      lock.unlock();
      resolver_wake_.notify_one();
    } else {
      incoming_.push_back(std::move(request));
      lock.unlock();
      Wake();
    }
  }

  void Shutdown() {
    {
      std::lock_guard lock(mutex_);
      if (stopping_) return;
      stopping_ = true;
    }
    resolver_wake_.notify_all();
    Wake();
    if (resolver_.joinable()) resolver_.join();
    if (poller_.joinable()) poller_.join();
    std::deque<std::unique_ptr<Request>> left;
    {
      std::lock_guard lock(mutex_);
      left.swap(incoming_);
      for (auto& request : to_resolve_) left.push_back(std::move(request));
      to_resolve_.clear();
    }
    for (auto& request : leftovers_) left.push_back(std::move(request));
    leftovers_.clear();
    for (auto& request : left) Complete(std::move(request), Failure(kShutDown));
  }

  Stats stats() const {
    Stats out;
    out.requests = requests_.load();
    out.pdus_sent = pdus_sent_.load();
    out.responses = responses_.load();
    out.timeouts = timeouts_.load();
    out.errors = errors_.load();
    out.peak_in_flight = peak_in_flight_.load();
    return out;
  }

 private:
  void Wake() {
    const std::uint64_t one = 1;
    [[maybe_unused]] ssize_t n = ::write(wake_, &one, sizeof one);
  }

  // Runs `done` and counts the outcome. Any thread.
  void Complete(std::unique_ptr<Request> request, SnmpResult result) {
    ++requests_;
    if (!result.ok) ++(result.timeout ? timeouts_ : errors_);
    auto done = std::move(request->done);
    request.reset();
    if (done) done(std::move(result));
  }

  // ---------------------------------------------------------- resolver thread

  void ResolveLoop() {
    std::map<std::string, std::pair<std::string, Clock::time_point>> cache;  // name -> peer
    while (true) {
      std::unique_ptr<Request> request;
      {
        std::unique_lock lock(mutex_);
        resolver_wake_.wait(lock, [&] { return stopping_ || !to_resolve_.empty(); });
        if (stopping_) return;
        request = std::move(to_resolve_.front());
        to_resolve_.pop_front();
      }
      const std::string& name = request->target.address;
      const std::string key = name + "|" + std::to_string(request->target.settings.port);
      auto it = cache.find(key);
      if (it == cache.end() || it->second.second <= Clock::now()) {
        std::string peer = Resolve(name, request->target.settings.port);
        const bool failed = peer.empty() || peer.front() == '!';
        const auto ttl = failed ? options_.dns_ttl / 10 : options_.dns_ttl;
        it = cache.insert_or_assign(key, std::make_pair(std::move(peer), Clock::now() + ttl)).first;
      }
      const std::string& peer = it->second.first;
      if (peer.front() == '!') {
        request->result = Failure(peer.substr(1));
      } else {
        request->peer = peer;
      }
      {
        std::lock_guard lock(mutex_);
        incoming_.push_back(std::move(request));
      }
      Wake();
    }
  }

  // A numeric peer name, or "!" and the error.
  static std::string Resolve(const std::string& name, std::uint16_t port) {
    if (name.empty()) return "!no address";
    addrinfo hints{};
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_DGRAM;
    addrinfo* found = nullptr;
    const int rc = getaddrinfo(name.c_str(), nullptr, &hints, &found);
    if (rc != 0 || found == nullptr) {
      return "!cannot resolve " + name + ": " + gai_strerror(rc);
    }
    char text[INET6_ADDRSTRLEN] = {};
    std::string peer;
    // getaddrinfo's order (RFC 6724) decides IPv4 or IPv6, as for ping.
    if (found->ai_family == AF_INET) {
      inet_ntop(AF_INET, &reinterpret_cast<sockaddr_in*>(found->ai_addr)->sin_addr, text,
                sizeof text);
      peer = "udp:" + std::string(text) + ":" + std::to_string(port);
    } else if (found->ai_family == AF_INET6) {
      inet_ntop(AF_INET6, &reinterpret_cast<sockaddr_in6*>(found->ai_addr)->sin6_addr, text,
                sizeof text);
      peer = "udp6:[" + std::string(text) + "]:" + std::to_string(port);
    } else {
      peer = "!cannot resolve " + name + ": no IPv4 or IPv6 address";
    }
    freeaddrinfo(found);
    return peer;
  }

  // ---------------------------------------------------------- poller thread

  void PollLoop() {
    std::vector<epoll_event> events(256);
    while (true) {
      bool stopping = false;
      {
        std::lock_guard lock(mutex_);
        stopping = stopping_;
        while (!incoming_.empty()) {
          waiting_.push_back(std::move(incoming_.front()));
          incoming_.pop_front();
        }
      }
      if (stopping) break;
      StartWaiting();

      const int wait_ms = MillisecondsToNextDeadline();
      const int n = epoll_wait(epoll_, events.data(), static_cast<int>(events.size()), wait_ms);
      for (int i = 0; i < n; ++i) {
        auto* request = static_cast<Request*>(events[static_cast<std::size_t>(i)].data.ptr);
        if (request == nullptr) {
          std::uint64_t count = 0;
          [[maybe_unused]] ssize_t r = ::read(wake_, &count, sizeof count);
          continue;
        }
        if (request->result) continue;  // finished earlier in this round
        NETSNMP_LARGE_FD_SET(request->fd, &fds_);
        snmp_sess_read2(request->session, &fds_);
        NETSNMP_LARGE_FD_CLR(request->fd, &fds_);
        AfterNetSnmp(*request);
      }
      const Clock::time_point now = Clock::now();
      for (auto& request : active_) {
        if (request->result || request->deadline > now) continue;
        snmp_sess_timeout(request->session);
        AfterNetSnmp(*request);
      }
      FinishDone();
    }
    // Shutting down: close every session; Shutdown() runs the callbacks.
    for (auto& request : active_) {
      CloseSession(*request);
      leftovers_.push_back(std::move(request));
    }
    active_.clear();
    for (auto& request : waiting_) leftovers_.push_back(std::move(request));
    waiting_.clear();
  }

  int MillisecondsToNextDeadline() const {
    if (!waiting_.empty() && active_.size() < static_cast<std::size_t>(options_.max_in_flight)) {
      return 0;
    }
    Clock::time_point next = Clock::time_point::max();
    for (const auto& request : active_) next = std::min(next, request->deadline);
    if (next == Clock::time_point::max()) return 1000;
    const auto wait = std::chrono::ceil<std::chrono::milliseconds>(next - Clock::now()).count();
    return static_cast<int>(std::clamp<long long>(wait, 0, 1000));
  }

  void StartWaiting() {
    while (!waiting_.empty() && active_.size() < static_cast<std::size_t>(options_.max_in_flight)) {
      std::unique_ptr<Request> request = std::move(waiting_.front());
      waiting_.pop_front();
      if (request->result) {  // failed before reaching us (DNS)
        SnmpResult result = std::move(*request->result);
        Complete(std::move(request), std::move(result));
        continue;
      }
      Request& r = *request;
      if (r.walk) {  // only now: thousands may be waiting
        for (Oid& root : r.oids) r.columns.push_back({root, root, false, {}});
        r.oids.clear();
        r.oids.shrink_to_fit();
      }
      active_.push_back(std::move(request));
      peak_in_flight_ = std::max(peak_in_flight_.load(), active_.size());
      Open(r);
      if (!r.result) Send(r);
    }
    FinishDone();
  }

  void Open(Request& r) {
    const SnmpSettings& settings = r.target.settings;
    if (settings.version != "2c") {
      r.result = Failure("SNMP version \"" + settings.version + "\" is not supported (only 2c)");
      return;
    }
    netsnmp_session config;
    snmp_sess_init(&config);
    config.version = SNMP_VERSION_2c;
    config.peername = const_cast<char*>(r.peer.c_str());
    config.community = reinterpret_cast<u_char*>(const_cast<char*>(settings.community.data()));
    config.community_len = settings.community.size();
    config.timeout = static_cast<long>(settings.timeout.count()) * 1000;
    config.retries = std::max(0, settings.retries);
    config.callback = &OnPdu;
    config.callback_magic = &r;
    // snmp_sess_open copies what it keeps (peer name, community).
    r.session = snmp_sess_open(&config);
    if (r.session == nullptr) {
      int liberr = 0, syserr = 0;
      char* text = nullptr;
      snmp_error(&config, &liberr, &syserr, &text);
      r.result = Failure("cannot open SNMP session to " + r.peer + ": " +
                         LibraryError(liberr, syserr, text));
      return;
    }
    netsnmp_transport* transport = snmp_sess_transport(r.session);
    r.fd = transport ? transport->sock : -1;
    epoll_event event{};
    event.events = EPOLLIN;
    event.data.ptr = &r;
    if (r.fd < 0 || epoll_ctl(epoll_, EPOLL_CTL_ADD, r.fd, &event) != 0) {
      r.result =
          Failure("cannot watch the SNMP socket for " + r.peer + ": " + std::strerror(errno));
    }
  }

  void Send(Request& r) {
    netsnmp_pdu* pdu = nullptr;
    if (r.walk) {
      pdu = snmp_pdu_create(SNMP_MSG_GETBULK);
      pdu->errstat = 0;                   // non-repeaters
      pdu->errindex = r.max_repetitions;  // max-repetitions
      r.asked.clear();
      for (std::size_t i = 0; i < r.columns.size(); ++i) {
        if (r.columns[i].done) continue;
        const std::vector<oid> name = FromOid(r.columns[i].last);
        snmp_add_null_var(pdu, name.data(), name.size());
        r.asked.push_back(i);
      }
    } else {
      pdu = snmp_pdu_create(SNMP_MSG_GET);
      for (const Oid& wanted : r.oids) {
        const std::vector<oid> name = FromOid(wanted);
        snmp_add_null_var(pdu, name.data(), name.size());
      }
    }
    if (snmp_sess_async_send(r.session, pdu, &OnPdu, &r) == 0) {
      snmp_free_pdu(pdu);
      int liberr = 0, syserr = 0;
      char* text = nullptr;
      snmp_sess_error(r.session, &liberr, &syserr, &text);
      r.result = Failure("cannot send to " + r.peer + ": " + LibraryError(liberr, syserr, text));
      return;
    }
    ++pdus_sent_;
    UpdateDeadline(r);
  }

  // Net-SNMP knows when its next resend or timeout is due.
  void UpdateDeadline(Request& r) {
    int numfds = 0;
    int block = 1;
    timeval wait{};
    snmp_sess_select_info2_flags(r.session, &numfds, &fds_, &wait, &block, NETSNMP_SELECT_NOALARMS);
    NETSNMP_LARGE_FD_CLR(r.fd, &fds_);
    const auto now = Clock::now();
    if (block) {
      r.deadline = now + r.target.settings.timeout;  // nothing outstanding: a safety net
    } else {
      r.deadline = now + std::chrono::seconds(wait.tv_sec) +
                   std::chrono::microseconds(wait.tv_usec) + std::chrono::milliseconds(1);
    }
  }

  // After snmp_sess_read2 / snmp_sess_timeout: act on what the callback left.
  void AfterNetSnmp(Request& r) {
    if (r.result) return;
    if (!r.reply) {
      UpdateDeadline(r);  // a resend, or a datagram that was not ours
      return;
    }
    Reply reply = std::move(*r.reply);
    r.reply.reset();
    switch (reply.op) {
      case NETSNMP_CALLBACK_OP_RECEIVED_MESSAGE:
        ++responses_;
        if (r.walk) {
          OnBulkResponse(r, std::move(reply));
        } else {
          OnGetResponse(r, std::move(reply));
        }
        return;
      case NETSNMP_CALLBACK_OP_TIMED_OUT: {
        const SnmpSettings& s = r.target.settings;
        const int tries = std::max(0, s.retries) + 1;
        std::string error = "timeout after " + Seconds(s.timeout) + " x " + std::to_string(tries) +
                            (tries == 1 ? " try" : " tries");
        if (r.collected > 0) {
          error += " (walk stopped after " + std::to_string(r.collected) + " varbinds)";
        }
        r.result = Failure(std::move(error), true);
        return;
      }
      default:
        r.result = Failure("cannot send to " + r.peer + " (Net-SNMP callback op " +
                           std::to_string(reply.op) + ")");
        return;
    }
  }

  std::string StatusText(const Reply& reply, const std::vector<Oid>& asked) const {
    std::string text = std::string(ErrorStatusName(reply.error_status)) + " (error index " +
                       std::to_string(reply.error_index);
    if (reply.error_index >= 1 && static_cast<std::size_t>(reply.error_index) <= asked.size()) {
      text += ", " + asked[static_cast<std::size_t>(reply.error_index - 1)].ToString();
    }
    return text + ")";
  }

  void OnGetResponse(Request& r, Reply reply) {
    if (reply.error_status != SNMP_ERR_NOERROR) {
      r.result = Failure(StatusText(reply, r.oids));
      return;
    }
    SnmpResult result;
    result.ok = true;
    result.varbinds = std::move(reply.varbinds);
    r.result = std::move(result);
  }

  void OnBulkResponse(Request& r, Reply reply) {
    if (reply.error_status == SNMP_ERR_TOOBIG && r.max_repetitions > 1) {
      r.max_repetitions /= 2;
      Send(r);
      return;
    }
    if (reply.error_status != SNMP_ERR_NOERROR) {
      std::vector<Oid> asked;
      for (std::size_t column : r.asked) asked.push_back(r.columns[column].last);
      r.result = Failure(StatusText(reply, asked));
      return;
    }
    if (reply.varbinds.empty() || r.asked.empty()) {
      r.result = Failure("agent answered a GetBulk with no varbinds");
      return;
    }
    // The answer is rows of one varbind per asked column; a column that has
    // left its subtree keeps its place in later rows (RFC 3416 4.2.3).
    const std::size_t width = r.asked.size();
    for (std::size_t i = 0; i < reply.varbinds.size(); ++i) {
      Column& column = r.columns[r.asked[i % width]];
      if (column.done) continue;
      VarBind& vb = reply.varbinds[i];
      if (vb.value.type == proto::ValueType::kEndOfMibView || !vb.oid.StartsWith(column.root)) {
        column.done = true;
        continue;
      }
      if (vb.oid <= column.last) {
        r.result =
            Failure("walk " + column.root.ToString() + ": agent returned " + vb.oid.ToString() +
                    " after " + column.last.ToString() + " (OIDs not increasing)");
        return;
      }
      column.last = vb.oid;
      column.varbinds.push_back(std::move(vb));
      if (++r.collected > options_.max_walk_varbinds) {
        r.result = Failure("walk stopped after " + std::to_string(options_.max_walk_varbinds) +
                           " varbinds (limit)");
        return;
      }
    }
    if (std::all_of(r.columns.begin(), r.columns.end(), [](const Column& c) { return c.done; })) {
      SnmpResult result;
      result.ok = true;
      result.varbinds.reserve(r.collected);
      for (Column& column : r.columns) {
        for (VarBind& vb : column.varbinds) result.varbinds.push_back(std::move(vb));
      }
      r.result = std::move(result);
      return;
    }
    Send(r);
  }

  void CloseSession(Request& r) {
    if (r.session == nullptr) return;
    if (r.fd >= 0) epoll_ctl(epoll_, EPOLL_CTL_DEL, r.fd, nullptr);
    snmp_sess_close(r.session);
    r.session = nullptr;
    r.fd = -1;
  }

  // Ends the requests that have a result: sessions are closed here, outside
  // any Net-SNMP callback, before the caller hears of it.
  void FinishDone() {
    auto finished = std::stable_partition(active_.begin(), active_.end(),
                                          [](const auto& r) { return !r->result; });
    if (finished == active_.end()) return;
    std::vector<std::unique_ptr<Request>> done;
    for (auto it = finished; it != active_.end(); ++it) done.push_back(std::move(*it));
    active_.erase(finished, active_.end());
    for (auto& request : done) {
      CloseSession(*request);
      SnmpResult result = std::move(*request->result);
      Complete(std::move(request), std::move(result));
    }
  }

  NetSnmpClientOptions options_;
  std::string startup_error_;
  int epoll_ = -1;
  int wake_ = -1;
  netsnmp_large_fd_set fds_;  // poller thread only

  std::mutex mutex_;
  std::condition_variable resolver_wake_;
  bool stopping_ = false;                            // guarded by mutex_
  std::deque<std::unique_ptr<Request>> incoming_;    // guarded by mutex_
  std::deque<std::unique_ptr<Request>> to_resolve_;  // guarded by mutex_

  std::deque<std::unique_ptr<Request>> waiting_;     // poller thread only
  std::vector<std::unique_ptr<Request>> active_;     // poller thread only
  std::vector<std::unique_ptr<Request>> leftovers_;  // poller, then Shutdown()

  std::atomic<std::uint64_t> requests_{0}, pdus_sent_{0}, responses_{0}, timeouts_{0}, errors_{0};
  std::atomic<std::size_t> peak_in_flight_{0};

  std::thread poller_;
  std::thread resolver_;
};

// ============================================================ NetSnmpClient

NetSnmpClient::NetSnmpClient(NetSnmpClientOptions options)
    : impl_(std::make_unique<Impl>(options)) {}

NetSnmpClient::~NetSnmpClient() = default;

void NetSnmpClient::Get(const SnmpTarget& target, std::vector<proto::Oid> oids,
                        std::function<void(SnmpResult)> done) {
  impl_->Submit(false, target, std::move(oids), std::move(done));
}

void NetSnmpClient::Walk(const SnmpTarget& target, std::vector<proto::Oid> roots,
                         std::function<void(SnmpResult)> done) {
  impl_->Submit(true, target, std::move(roots), std::move(done));
}

void NetSnmpClient::Shutdown() { impl_->Shutdown(); }

NetSnmpClient::Stats NetSnmpClient::stats() const { return impl_->stats(); }

}  // namespace mimamori::collector
