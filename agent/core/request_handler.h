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
  kBadVersion,        ///< SNMPv3 or an unknown version (snmpInBadVersions)
  kBadCommunity,      ///< wrong community string (snmpInBadCommunityNames)
  kNotARequest,       ///< a Response, Trap, Inform or Report sent to the agent
  kBulkInV1,          ///< a GetBulkRequest in an SNMPv1 message (snmpInASNParseErrs)
  kResponseTooLarge,  ///< even the tooBig response does not fit (snmpSilentDrops)
};

struct RequestHandlerOptions {
  std::string community = "MieKiban";
  /// Largest response we send. 65507 is the largest UDP/IPv4 payload and what
  /// snmpd uses; RFC 3416's tooBig/truncation rules apply against it.
  std::size_t max_message_size = 65507;
  /// GetBulk limits with the meaning and defaults of snmpd 5.9's
  /// maxGetbulkResponses and maxGetbulkRepeats: with R repeaters,
  /// max-repetitions is lowered to max_getbulk_responses / R (so R > 100
  /// repeaters get no repetitions at all), and to max_getbulk_repeats when
  /// that is positive and smaller. Non-repeaters are not limited. 0 or less
  /// for responses means snmpd's "unlimited"; the message size still applies.
  std::int32_t max_getbulk_responses = 100;
  std::int32_t max_getbulk_repeats = 0;
};

/// Read-only SNMPv1 (RFC 1157) and SNMPv2c (RFC 3416 section 4.2) request
/// processing, answering as snmpd 5.9 does. SNMPv1 requests are answered in
/// an SNMPv1 message; values SNMPv1 cannot carry become what snmpd makes of
/// them: an exception or a Counter64 in a Get gives noSuchName (error-index
/// the last such binding, the request's bindings echoed), a GetNext skips
/// Counter64 instances, and a GetBulk is dropped as a parse error (RFC 3584
/// section 4.1; snmpd answers it, which no v1 manager relies on).
/// Single-threaded. Keeps the SNMPv2-MIB snmp group counters in the
/// SnmpCounters it is given.
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
  void AnswerSet(const proto::Pdu& request, proto::Message& response);
  void DowngradeToV1(const proto::Pdu& request, proto::Message& response);
  void CountError(std::int32_t error_status);
  bool FitsOrTooBig(proto::Message& response, const proto::Pdu* echo = nullptr);
  proto::VarBind Next(const proto::Oid& oid, bool v1);

  MibView& view_;
  SnmpCounters& counters_;
  RequestHandlerOptions options_;
};

std::string_view DropReasonText(DropReason reason);

}  // namespace mimamori::agent
