#include "collector/net/winrm_client.h"

#include <exception>
#include <memory>
#include <optional>
#include <utility>

#include "collector/net/winrm_wsman.h"

namespace mimamori::collector {
namespace {

using Kind = WinRmServiceReply::Kind;

std::string TimeoutText(std::chrono::milliseconds timeout) {
  if (timeout.count() % 1000 == 0) return std::to_string(timeout.count() / 1000) + " s";
  return std::to_string(timeout.count()) + " ms";
}

/// One Get in progress, shared by its attempts' callbacks.
struct Exchange {
  HttpClient& http;
  WinRmTarget target;
  std::string service;
  std::string endpoint;
  Secret password;
  std::function<void(WinRmServiceReply)> done;
  int attempts = 0;
};

WinRmServiceReply Judge(const Exchange& exchange, const std::string& message_id,
                        const HttpResponse& response) {
  WinRmServiceReply reply;
  reply.http_status = response.status;
  reply.seconds = response.seconds;
  const WinRmTarget& target = exchange.target;
  if (!response.complete) {
    switch (response.failure) {
      case HttpFailure::kTimeout:
        reply.kind = Kind::kTimeout;
        reply.detail = "no answer within " + TimeoutText(target.timeout);
        break;
      case HttpFailure::kRefused:
        reply.kind = Kind::kRefused;
        reply.detail = "connection refused: nothing listens on port " +
                       std::to_string(target.port) +
                       " (WinRM not enabled, or another port: winrm quickconfig)";
        break;
      case HttpFailure::kTls:
        reply.kind = Kind::kTls;
        reply.detail = "TLS: " + response.error;
        if (target.verify_tls) {
          reply.detail += " (the certificate must be valid for the node's address and signed by ";
          reply.detail += target.ca_file.empty() ? "a CA the system trusts, or give ca_file)"
                                                 : "a CA in " + target.ca_file + ")";
        }
        break;
      case HttpFailure::kResolve:
      case HttpFailure::kConnect:
        reply.kind = Kind::kUnreachable;
        reply.detail = "cannot connect: " + response.error;
        break;
      case HttpFailure::kNone:
      case HttpFailure::kOther:
        reply.kind = Kind::kTransport;
        reply.detail = "the exchange broke off: " + response.error;
        break;
    }
    return reply;
  }
  if (response.status == 401) {
    reply.kind = Kind::kUnauthorized;
    reply.detail = "HTTP 401: user '" + target.user +
                   "' was not accepted (wrong password, not an administrator of the node, or "
                   "Basic auth not allowed: winrm set winrm/config/service/auth @{Basic=\"true\"})";
    return reply;
  }
  const WsmanReply parsed = ParseWsmanReply(response.body, wsman::kWin32Service, message_id);
  const std::string http = "HTTP " + std::to_string(response.status);
  if (parsed.kind == WsmanReply::Kind::kFault) {
    reply.kind = parsed.fault.InvalidSelectors() ? Kind::kNoSuchService : Kind::kFault;
    reply.detail = "SOAP fault " + parsed.fault.Describe();
    return reply;
  }
  if (response.status != 200) {
    reply.kind = Kind::kHttpStatus;
    reply.detail = http + " without a SOAP fault";
    if (response.status == 404) reply.detail += " (no WinRM listener at /wsman on this port?)";
    return reply;
  }
  if (parsed.kind == WsmanReply::Kind::kMalformed) {
    reply.kind = Kind::kMalformed;
    reply.detail = "malformed answer (" + http + "): " + parsed.error;
    return reply;
  }
  const auto property = [&](const char* name) {
    auto it = parsed.properties.find(name);
    return it == parsed.properties.end() ? std::string() : it->second;
  };
  reply.name = property("Name");
  reply.display_name = property("DisplayName");
  reply.state = property("State");
  reply.start_mode = property("StartMode");
  if (reply.state.empty()) {
    reply.kind = Kind::kMalformed;
    reply.detail = "malformed answer (" + http + "): the Win32_Service instance has no State";
    return reply;
  }
  reply.kind = Kind::kFound;
  return reply;
}

void Send(std::shared_ptr<Exchange> exchange) {
  ++exchange->attempts;
  const WinRmTarget& target = exchange->target;
  WsmanGet get;
  get.to = exchange->endpoint;
  get.resource_uri = std::string(wsman::kWin32Service);
  get.selectors = {{"Name", exchange->service}};
  get.message_id = NewMessageId();
  get.operation_timeout = target.timeout;
  HttpPost post;
  post.url = exchange->endpoint;
  post.content_type = "application/soap+xml;charset=UTF-8";
  post.user = target.user;
  post.password = exchange->password;
  post.timeout = target.timeout;
  post.verify_tls = target.verify_tls;
  post.ca_file = target.ca_file;
  try {
    post.body = BuildWsmanGet(get);
    exchange->http.Post(std::move(post), [exchange, id = get.message_id](HttpResponse response) {
      WinRmServiceReply reply = Judge(*exchange, id, response);
      reply.attempts = exchange->attempts;
      if (WinRmRetryable(reply) && exchange->attempts <= exchange->target.retries) {
        Send(exchange);
        return;
      }
      exchange->done(std::move(reply));
    });
  } catch (const std::exception& e) {
    WinRmServiceReply reply;
    reply.kind = Kind::kCannotSend;
    reply.detail = e.what();
    reply.attempts = exchange->attempts;
    exchange->done(std::move(reply));
  }
}

}  // namespace

std::string WinRmEndpoint(const WinRmTarget& target) {
  const bool ipv6_literal = target.address.find(':') != std::string::npos;
  const std::string host = ipv6_literal ? "[" + target.address + "]" : target.address;
  return std::string(target.https ? "https://" : "http://") + host + ":" +
         std::to_string(target.port) + "/wsman";
}

bool WinRmRetryable(const WinRmServiceReply& reply) {
  switch (reply.kind) {
    case Kind::kTimeout:
    case Kind::kRefused:
    case Kind::kUnreachable:
    case Kind::kTransport:
      return true;
    case Kind::kHttpStatus:
      return reply.http_status >= 500;
    default:
      return false;
  }
}

void GetWindowsService(HttpClient& http, const WinRmTarget& target, const std::string& service,
                       std::function<void(WinRmServiceReply)> done) {
  std::string why;
  std::optional<Secret> password = ReadSecret(target.password_file, target.password_env, why);
  if (!password) {
    WinRmServiceReply reply;
    reply.kind = Kind::kNoPassword;
    reply.detail = "cannot read the WinRM password: " + why;
    done(std::move(reply));
    return;
  }
  auto exchange = std::make_shared<Exchange>(Exchange{http, target, service, WinRmEndpoint(target),
                                                      std::move(*password), std::move(done)});
  Send(std::move(exchange));
}

}  // namespace mimamori::collector
