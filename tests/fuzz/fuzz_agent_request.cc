// Any datagram into the agent's whole request path (decode, community check,
// Get/GetNext/GetBulk/Set over every MIB provider, size limits, encode), with
// the host read from the RHEL 9 fixture tree so runs are reproducible. SNMPv1
// requests (seeds tests/fixtures/ber/v1-*) must get SNMPv1 answers that carry
// nothing SNMPv1 cannot: no exception, no Counter64.
#include <cstdint>
#include <cstdlib>

#include "agent/core/mib_view.h"
#include "agent/core/request_handler.h"
#include "agent/linux/linux_host_data.h"
#include "agent/mib/registry.h"

namespace {

using namespace mimamori::agent;

struct Agent {
  LinuxHostData host{std::string(MIMAMORI_FIXTURES) + "/linux/rhel9/"};
  SystemSettings system;
  SnmpCounters counters;
  std::chrono::steady_clock::time_point start{};
  ProviderContext context{host,
                          system,
                          counters,
                          [] { return std::chrono::steady_clock::time_point{}; },
                          [] { return std::chrono::system_clock::time_point{}; },
                          start};
  MibView view{MakeProviders(context), std::chrono::seconds(5),
               [] { return std::chrono::steady_clock::time_point{}; }};
  RequestHandler handler{view, counters, [] {
                           RequestHandlerOptions options;
                           // A small limit reaches the truncation and tooBig paths.
                           options.max_message_size = 1472;
                           return options;
                         }()};
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static Agent* agent = new Agent;  // built once; leaked on purpose at exit
  std::vector<std::uint8_t> response;
  const DropReason reason = agent->handler.Handle(std::span(data, size), response);
  if (reason == DropReason::kNone) {
    if (response.size() > agent->handler.options().max_message_size) std::abort();
    mimamori::proto::Message decoded;
    if (mimamori::proto::DecodeMessage(response, decoded) != mimamori::proto::DecodeError::kNone) {
      std::abort();  // we must never send what we cannot read back
    }
    mimamori::proto::Message request;
    if (mimamori::proto::DecodeMessage(std::span(data, size), request) !=
        mimamori::proto::DecodeError::kNone) {
      std::abort();  // answered something that is not a message
    }
    if (decoded.version != request.version) std::abort();
    if (request.version == mimamori::proto::Version::kV1) {
      if (request.pdu.type == mimamori::proto::PduType::kGetBulkRequest) std::abort();
      // A failed v1 request echoes the request's own bindings (any values);
      // only a successful one is built from the MIB.
      if (decoded.pdu.error_status == 0) {
        for (const auto& vb : decoded.pdu.varbinds) {
          if (vb.value.IsException() || vb.value.type == mimamori::proto::ValueType::kCounter64) {
            std::abort();
          }
        }
      }
    }
  }
  return 0;
}
