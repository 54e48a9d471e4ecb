// Turns one received SNMP packet into the response packet, or into nothing.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "agent/core/mib_view.h"
#include "agent/core/provider_context.h"
#include "mimamori/proto/ber.h"

namespace mimamori::agent {

/// Why a packet got no answer; the server logs these (rate-limited).
enum class DropReason : std::uint8_t {
  kNone = 0,          ///< answered
  kParseError,        ///< not BER / not an SNMP message (snmpInASNParseErrs)
  kBadVersion,        ///< SNMPv1 or SNMPv3 (snmpInBadVersions)
  kBadCommunity,      ///< wrong community string (snmpInBadCommunityNames)
  kNotARequest,       ///< a Response, Trap, Inform or Report sent to the agent
  kResponseTooLarge,  ///< even the tooBig response does not fit (snmpSilentDrops)
};

struct RequestHandlerOptions {
  std::string community = "MieKiban";
  /// Largest response we send. 65507 is the largest UDP/IPv4 payload and what
  /// snmpd uses; RFC 3416's tooBig/truncation rules apply against it.
  std::size_t max_message_size = 65507;
  /// Upper bound on GetBulk max-repetitions, so one small request cannot make
  /// the agent walk its whole MIB.
  std::int32_t max_repetitions_cap = 1000;
};

/// Read-only SNMPv2c request processing (RFC 3416 section 4.2). Single-threaded.
/// Keeps the SNMPv2-MIB snmp group counters in the SnmpCounters it is given.
class RequestHandler {
 public:
  RequestHandler(MibView& view, SnmpCounters& counters, RequestHandlerOptions options);

  /// Processes one datagram. Returns kNone with `response` holding the bytes
  /// to send back, or the reason the packet is dropped (no answer). Never
  /// throws on packet contents.
  DropReason Handle(std::span<const std::uint8_t> packet, std::vector<std::uint8_t>& response);

  const RequestHandlerOptions& options() const { return options_; }
  void set_options(RequestHandlerOptions options) { options_ = std::move(options); }

 private:
  void AnswerGet(const proto::Pdu& request, proto::Message& response);
  void AnswerGetNext(const proto::Pdu& request, proto::Message& response);
  void AnswerGetBulk(const proto::Pdu& request, proto::Message& response);
  bool FitsOrTooBig(proto::Message& response);
  proto::VarBind Next(const proto::Oid& oid);

  MibView& view_;
  SnmpCounters& counters_;
  RequestHandlerOptions options_;
};

std::string_view DropReasonText(DropReason reason);

}  // namespace mimamori::agent
