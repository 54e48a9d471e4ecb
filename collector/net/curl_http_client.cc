#include "collector/net/curl_http_client.h"

#include <curl/curl.h>

#include <cerrno>
#include <memory>
#include <stdexcept>
#include <unordered_map>
#include <utility>
#include <vector>

namespace mimamori::collector {
namespace {

constexpr char kShutDown[] = "HTTP client shut down before the request completed";

// curl_global_init is not thread-safe in every libcurl build and must run
// before any other libcurl call; a function-local static runs it exactly once.
// curl_global_cleanup is never called: the library lives as long as the
// process, and another client may still be running.
void InitCurlOnce() {
  static const CURLcode init = curl_global_init(CURL_GLOBAL_DEFAULT);
  if (init != CURLE_OK) {
    throw std::runtime_error(std::string("HTTP client: curl_global_init: ") +
                             curl_easy_strerror(init));
  }
}

CURLM* Multi(void* multi) { return static_cast<CURLM*>(multi); }

HttpResponse Failed(std::string error) {
  HttpResponse response;
  response.failure = HttpFailure::kOther;
  response.error = std::move(error);
  return response;
}

HttpFailure Classify(CURLcode code, long os_errno) {
  switch (code) {
    case CURLE_OPERATION_TIMEDOUT:
      return HttpFailure::kTimeout;
    case CURLE_COULDNT_RESOLVE_HOST:
      return HttpFailure::kResolve;
    case CURLE_COULDNT_CONNECT:
      return os_errno == ECONNREFUSED ? HttpFailure::kRefused : HttpFailure::kConnect;
    case CURLE_SSL_CONNECT_ERROR:
    case CURLE_PEER_FAILED_VERIFICATION:
    case CURLE_SSL_CACERT_BADFILE:
    case CURLE_SSL_CERTPROBLEM:
    case CURLE_SSL_CIPHER:
    case CURLE_SSL_ISSUER_ERROR:
    case CURLE_SSL_CRL_BADFILE:
    case CURLE_SSL_PINNEDPUBKEYNOTMATCH:
    case CURLE_SSL_INVALIDCERTSTATUS:
    case CURLE_SSL_ENGINE_INITFAILED:
    case CURLE_USE_SSL_FAILED:
      return HttpFailure::kTls;
    default:
      return HttpFailure::kOther;
  }
}

}  // namespace

/// One running request: the easy handle and what its callbacks fill in.
/// Lives on the client's thread only.
struct CurlHttpClient::Transfer {
  explicit Transfer(Request r, std::size_t cap) : request(std::move(r)), max_body(cap) {}
  ~Transfer() {
    if (easy != nullptr) curl_easy_cleanup(easy);
    if (headers != nullptr) curl_slist_free_all(headers);
  }
  Transfer(const Transfer&) = delete;
  Transfer& operator=(const Transfer&) = delete;

  static std::size_t OnBody(char* data, std::size_t size, std::size_t count, void* self) {
    auto& transfer = *static_cast<Transfer*>(self);
    const std::size_t bytes = size * count;
    const std::size_t room = transfer.max_body - transfer.body.size();
    if (bytes <= room) {
      transfer.body.append(data, bytes);
      return bytes;
    }
    // Stop reading rather than drain: a page that streams without end would
    // otherwise hold a transfer slot until the timeout.
    transfer.body.append(data, room);
    transfer.truncated = true;
    return CURL_WRITEFUNC_ERROR;
  }

  HttpResponse Conclude(CURLcode code) {
    HttpResponse response;
    long status = 0;
    if (curl_easy_getinfo(easy, CURLINFO_RESPONSE_CODE, &status) == CURLE_OK) {
      response.status = status;
    }
    curl_off_t micros = 0;
    if (curl_easy_getinfo(easy, CURLINFO_TOTAL_TIME_T, &micros) == CURLE_OK) {
      response.seconds = static_cast<double>(micros) / 1e6;
    }
    response.body = std::move(body);
    if (code == CURLE_OK) {
      response.complete = true;
    } else if (code == CURLE_WRITE_ERROR && truncated) {
      response.complete = true;
      response.error = "body truncated at " + std::to_string(max_body) + " bytes";
    } else {
      long os_errno = 0;
      curl_easy_getinfo(easy, CURLINFO_OS_ERRNO, &os_errno);
      response.failure = Classify(code, os_errno);
      response.error = error[0] != '\0' ? error : curl_easy_strerror(code);
    }
    return response;
  }

  Request request;
  std::size_t max_body;
  CURL* easy = nullptr;
  curl_slist* headers = nullptr;
  std::string body;
  bool truncated = false;
  char error[CURL_ERROR_SIZE] = {};
};

CurlHttpClient::CurlHttpClient() : CurlHttpClient(Options{}) {}

CurlHttpClient::CurlHttpClient(Options options) : options_(std::move(options)) {
  InitCurlOnce();
  multi_ = curl_multi_init();
  if (multi_ == nullptr) throw std::runtime_error("HTTP client: curl_multi_init failed");
  thread_ = std::thread([this] { Run(); });
}

CurlHttpClient::~CurlHttpClient() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  curl_multi_wakeup(Multi(multi_));
  thread_.join();
  curl_multi_cleanup(Multi(multi_));
}

void CurlHttpClient::Get(const std::string& url, std::chrono::milliseconds timeout,
                         std::function<void(HttpResponse)> done) {
  if (timeout <= std::chrono::milliseconds::zero()) {
    // libcurl reads 0 as "wait forever": a check that can never time out.
    throw std::invalid_argument("HTTP client: GET " + url + ": timeout must be positive, got " +
                                std::to_string(timeout.count()) + " ms");
  }
  {
    std::lock_guard lock(mutex_);
    queue_.push_back(Request{url, timeout, std::move(done), std::nullopt});
  }
  // Interrupts a curl_multi_poll in progress (or makes the next return at
  // once), so the request starts without waiting for the poll timeout.
  curl_multi_wakeup(Multi(multi_));
}

void CurlHttpClient::Post(HttpPost request, std::function<void(HttpResponse)> done) {
  if (request.timeout <= std::chrono::milliseconds::zero()) {
    throw std::invalid_argument("HTTP client: POST " + request.url +
                                ": timeout must be positive, got " +
                                std::to_string(request.timeout.count()) + " ms");
  }
  {
    std::lock_guard lock(mutex_);
    Request queued{request.url, request.timeout, std::move(done), std::nullopt};
    queued.post.emplace(std::move(request));
    queue_.push_back(std::move(queued));
  }
  curl_multi_wakeup(Multi(multi_));
}

void CurlHttpClient::Run() {
  CURLM* multi = Multi(multi_);
  std::unordered_map<CURL*, std::unique_ptr<Transfer>> running;

  // Creates and adds the easy handle; on failure completes the request at
  // once, so `done` is still called exactly once.
  auto start = [&](Request request) {
    auto transfer = std::make_unique<Transfer>(std::move(request), options_.max_body_bytes);
    transfer->easy = curl_easy_init();
    if (transfer->easy == nullptr) {
      transfer->request.done(Failed("HTTP client: curl_easy_init failed"));
      return;
    }
    CURL* easy = transfer->easy;
    CURLcode rc = CURLE_OK;
    auto set = [&](CURLoption option, auto value) {
      if (rc == CURLE_OK) rc = curl_easy_setopt(easy, option, value);
    };
    set(CURLOPT_URL, transfer->request.url.c_str());
    const std::optional<HttpPost>& post = transfer->request.post;
    if (post) {
      set(CURLOPT_POST, 1L);
      // The request owns the body until the transfer ends; no copy needed.
      set(CURLOPT_POSTFIELDS, post->body.c_str());
      set(CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(post->body.size()));
      transfer->headers =
          curl_slist_append(transfer->headers, ("Content-Type: " + post->content_type).c_str());
      // No "Expect: 100-continue" round trip before bodies over 1 KiB: a
      // WinRM listener answers the whole request at once anyway.
      transfer->headers = curl_slist_append(transfer->headers, "Expect:");
      set(CURLOPT_HTTPHEADER, transfer->headers);
      if (!post->user.empty()) {
        set(CURLOPT_HTTPAUTH, static_cast<long>(CURLAUTH_BASIC));
        set(CURLOPT_USERNAME, post->user.c_str());
        // libcurl keeps its own copy for the transfer.
        set(CURLOPT_PASSWORD, post->password.Reveal().c_str());
      }
    } else {
      set(CURLOPT_HTTPGET, 1L);
    }
    set(CURLOPT_TIMEOUT_MS, static_cast<long>(transfer->request.timeout.count()));
    // Many threads, no SIGALRM: signals would hit arbitrary collector threads.
    set(CURLOPT_NOSIGNAL, 1L);
    set(CURLOPT_ERRORBUFFER, transfer->error);
    set(CURLOPT_WRITEFUNCTION, &Transfer::OnBody);
    set(CURLOPT_WRITEDATA, transfer.get());
    // An inventory URL must not read local files or speak other protocols.
    set(CURLOPT_PROTOCOLS_STR, "http,https");
    set(CURLOPT_REDIR_PROTOCOLS_STR, "http,https");
    // A POST never follows a redirect: it would carry the credentials to
    // wherever the Location points.
    set(CURLOPT_FOLLOWLOCATION, options_.follow_redirects && !post ? 1L : 0L);
    set(CURLOPT_MAXREDIRS, 5L);
    const bool verify = post ? post->verify_tls : options_.verify_tls;
    set(CURLOPT_SSL_VERIFYPEER, verify ? 1L : 0L);
    set(CURLOPT_SSL_VERIFYHOST, verify ? 2L : 0L);
    if (post && !post->ca_file.empty()) set(CURLOPT_CAINFO, post->ca_file.c_str());
    set(CURLOPT_PROXY, options_.proxy.c_str());
    set(CURLOPT_USERAGENT, options_.user_agent.c_str());
    // Every check opens its own connection, as a user's browser would after
    // five minutes; a kept-alive socket would hide a server that accepts no
    // new connections, and idle sockets to thousands of VMs cost both sides.
    set(CURLOPT_FRESH_CONNECT, 1L);
    set(CURLOPT_FORBID_REUSE, 1L);
    if (rc != CURLE_OK) {
      transfer->request.done(
          Failed(std::string("HTTP client: setting up the request: ") + curl_easy_strerror(rc)));
      return;
    }
    if (CURLMcode mrc = curl_multi_add_handle(multi, easy); mrc != CURLM_OK) {
      transfer->request.done(
          Failed(std::string("HTTP client: curl_multi_add_handle: ") + curl_multi_strerror(mrc)));
      return;
    }
    running.emplace(easy, std::move(transfer));
  };

  while (true) {
    std::vector<Request> starting;
    {
      std::lock_guard lock(mutex_);
      if (stopping_) break;
      while (running.size() + starting.size() < options_.max_concurrent && !queue_.empty()) {
        starting.push_back(std::move(queue_.front()));
        queue_.pop_front();
      }
    }
    for (auto& request : starting) start(std::move(request));

    int still_running = 0;
    curl_multi_perform(multi, &still_running);

    bool finished_any = false;
    int left = 0;
    while (CURLMsg* message = curl_multi_info_read(multi, &left)) {
      if (message->msg != CURLMSG_DONE) continue;
      // Copy before remove_handle: it invalidates `message`.
      CURL* easy = message->easy_handle;
      const CURLcode code = message->data.result;
      auto node = running.extract(easy);
      curl_multi_remove_handle(multi, easy);
      if (node.empty()) continue;  // not ours: impossible, but never crash on it
      std::unique_ptr<Transfer> transfer = std::move(node.mapped());
      HttpResponse response = transfer->Conclude(code);
      auto done = std::move(transfer->request.done);
      transfer.reset();  // free the handle before the callback may queue more
      done(std::move(response));
      finished_any = true;
    }
    // Slots were freed: start queued requests before sleeping.
    if (finished_any) continue;

    // Waits for socket activity, curl's own next timeout, or a wakeup from
    // Get() or the destructor; the 1 s cap is only a safety net.
    curl_multi_poll(multi, nullptr, 0, 1000, nullptr);
  }

  for (auto& [easy, transfer] : running) {
    curl_multi_remove_handle(multi, easy);
    auto done = std::move(transfer->request.done);
    transfer.reset();
    done(Failed(kShutDown));
  }
  running.clear();
  std::deque<Request> abandoned;
  {
    std::lock_guard lock(mutex_);
    abandoned.swap(queue_);
  }
  for (auto& request : abandoned) request.done(Failed(kShutDown));
}

}  // namespace mimamori::collector
