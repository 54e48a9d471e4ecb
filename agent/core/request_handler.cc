#include "agent/core/request_handler.h"

#include <algorithm>
#include <climits>
#include <optional>

namespace mimamori::agent {

using proto::DecodeError;
using proto::ErrorStatus;
using proto::Message;
using proto::Oid;
using proto::Pdu;
using proto::PduType;
using proto::Value;
using proto::VarBind;

namespace {

// Compares without an early exit so that response timing does not reveal how
// much of a guessed community was right.
bool SameSecret(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  unsigned char diff = 0;
  for (std::size_t i = 0; i < a.size(); ++i) {
    diff |= static_cast<unsigned char>(a[i] ^ b[i]);
  }
  return diff == 0;
}

// RFC 2576 section 4.3, as snmpd applies it: a v1 manager only knows the
// v1 error codes.
std::int32_t SetErrorForV1(ErrorStatus status) {
  switch (status) {
    case ErrorStatus::kWrongValue:
    case ErrorStatus::kWrongEncoding:
    case ErrorStatus::kWrongType:
    case ErrorStatus::kWrongLength:
    case ErrorStatus::kInconsistentValue:
      return static_cast<std::int32_t>(ErrorStatus::kBadValue);
    case ErrorStatus::kNoAccess:
    case ErrorStatus::kNotWritable:
    case ErrorStatus::kNoCreation:
    case ErrorStatus::kInconsistentName:
    case ErrorStatus::kAuthorizationError:
      return static_cast<std::int32_t>(ErrorStatus::kNoSuchName);
    case ErrorStatus::kResourceUnavailable:
    case ErrorStatus::kCommitFailed:
    case ErrorStatus::kUndoFailed:
      return static_cast<std::int32_t>(ErrorStatus::kGenErr);
    default:
      return static_cast<std::int32_t>(status);
  }
}

}  // namespace

std::string_view DropReasonText(DropReason reason) {
  switch (reason) {
    case DropReason::kNone:
      return "answered";
    case DropReason::kParseError:
      return "malformed packet";
    case DropReason::kBadVersion:
      return "unsupported SNMP version (only v1 and v2c are served)";
    case DropReason::kBadCommunity:
      return "wrong community";
    case DropReason::kNotARequest:
      return "not a request PDU";
    case DropReason::kBulkInV1:
      return "GetBulkRequest in an SNMPv1 message";
    case DropReason::kResponseTooLarge:
      return "response larger than the message size limit";
  }
  return "?";
}

RequestHandler::RequestHandler(MibView& view, SnmpCounters& counters, RequestHandlerOptions options)
    : view_(view), counters_(counters), options_(std::move(options)) {}

DropReason RequestHandler::Handle(std::span<const std::uint8_t> packet,
                                  std::vector<std::uint8_t>& response_bytes) {
  ++counters_.in_pkts;
  Message request;
  const DecodeError error = proto::DecodeMessage(packet, request);
  if (error == DecodeError::kUnsupportedVersion ||
      (error == DecodeError::kNone && request.version != proto::Version::kV2c &&
       request.version != proto::Version::kV1)) {
    ++counters_.in_bad_versions;
    return DropReason::kBadVersion;
  }
  if (error != DecodeError::kNone) {
    ++counters_.in_asn_parse_errs;
    return DropReason::kParseError;
  }
  if (!SameSecret(request.community, options_.community)) {
    ++counters_.in_bad_community_names;
    return DropReason::kBadCommunity;
  }
  const bool v1 = request.version == proto::Version::kV1;
  if (v1 && request.pdu.type == PduType::kGetBulkRequest) {
    // Not a PDU of RFC 1157's grammar: the message cannot be parsed as v1.
    ++counters_.in_asn_parse_errs;
    return DropReason::kBulkInV1;
  }

  view_.BeginRequest();
  Message response;
  response.version = request.version;
  response.community = std::move(request.community);
  response.pdu.type = PduType::kResponse;
  response.pdu.request_id = request.pdu.request_id;

  switch (request.pdu.type) {
    case PduType::kGetRequest:
      ++counters_.in_get_requests;
      counters_.in_total_req_vars += static_cast<std::uint32_t>(request.pdu.varbinds.size());
      AnswerGet(request.pdu, response);
      if (v1) DowngradeToV1(request.pdu, response);
      if (!FitsOrTooBig(response, v1 ? &request.pdu : nullptr)) {
        return DropReason::kResponseTooLarge;
      }
      break;
    case PduType::kGetNextRequest:
      ++counters_.in_get_nexts;
      counters_.in_total_req_vars += static_cast<std::uint32_t>(request.pdu.varbinds.size());
      AnswerGetNext(request.pdu, response);
      if (v1) DowngradeToV1(request.pdu, response);
      if (!FitsOrTooBig(response, v1 ? &request.pdu : nullptr)) {
        return DropReason::kResponseTooLarge;
      }
      break;
    case PduType::kGetBulkRequest:
      counters_.in_total_req_vars += static_cast<std::uint32_t>(request.pdu.varbinds.size());
      AnswerGetBulk(request.pdu, response);
      break;
    case PduType::kSetRequest:
      ++counters_.in_set_requests;
      AnswerSet(request.pdu, response);
      if (v1) {
        response.pdu.error_status =
            SetErrorForV1(static_cast<ErrorStatus>(response.pdu.error_status));
      }
      if (!FitsOrTooBig(response, v1 ? &request.pdu : nullptr)) {
        return DropReason::kResponseTooLarge;
      }
      break;
    case PduType::kResponse:
      ++counters_.in_get_responses;
      return DropReason::kNotARequest;
    case PduType::kSnmpV2Trap:
    case PduType::kTrapV1:
      ++counters_.in_traps;
      return DropReason::kNotARequest;
    case PduType::kInformRequest:
    case PduType::kReport:
      return DropReason::kNotARequest;
  }
  response_bytes.clear();
  proto::EncodeMessage(response, response_bytes);
  if (response_bytes.size() > options_.max_message_size) {
    ++counters_.silent_drops;
    return DropReason::kResponseTooLarge;
  }
  CountError(response.pdu.error_status);
  ++counters_.out_get_responses;
  ++counters_.out_pkts;
  return DropReason::kNone;
}

// The snmp group's out-error counters, grouped as snmpd groups the v2 codes
// (its INCLUDE_V2ERRORS_IN_V1STATS).
void RequestHandler::CountError(std::int32_t error_status) {
  switch (static_cast<ErrorStatus>(error_status)) {
    case ErrorStatus::kNoError:
      return;
    case ErrorStatus::kTooBig:
      ++counters_.out_too_bigs;
      return;
    case ErrorStatus::kBadValue:
    case ErrorStatus::kWrongValue:
    case ErrorStatus::kWrongEncoding:
    case ErrorStatus::kWrongType:
    case ErrorStatus::kWrongLength:
    case ErrorStatus::kInconsistentValue:
      ++counters_.out_bad_values;
      return;
    case ErrorStatus::kNoSuchName:
    case ErrorStatus::kNoAccess:
    case ErrorStatus::kNotWritable:
    case ErrorStatus::kNoCreation:
    case ErrorStatus::kInconsistentName:
    case ErrorStatus::kAuthorizationError:
      ++counters_.out_no_such_names;
      return;
    default:
      ++counters_.out_gen_errs;
      return;
  }
}

void RequestHandler::AnswerGet(const Pdu& request, Message& response) {
  response.pdu.varbinds.reserve(request.varbinds.size());
  for (const VarBind& vb : request.varbinds) {
    response.pdu.varbinds.push_back({vb.oid, view_.Get(vb.oid)});
  }
}

// snmpd's view check rejects Counter64 for v1 (in_a_view), and a GetNext
// whose result is rejected moves on: a v1 walk steps over the HC columns.
VarBind RequestHandler::Next(const Oid& oid, bool v1) {
  std::optional<VarBind> next = view_.GetNext(oid);
  while (v1 && next && next->value.type == proto::ValueType::kCounter64) {
    next = view_.GetNext(next->oid);
  }
  if (next) return std::move(*next);
  return {oid, Value::EndOfMibView()};
}

void RequestHandler::AnswerGetNext(const Pdu& request, Message& response) {
  const bool v1 = response.version == proto::Version::kV1;
  response.pdu.varbinds.reserve(request.varbinds.size());
  for (const VarBind& vb : request.varbinds) response.pdu.varbinds.push_back(Next(vb.oid, v1));
}

// A read-only community, as snmpd answers it: a binding whose value is NULL
// is wrongType first (snmpd checks the value's type before access), else the
// first binding is noAccess; the request's bindings are echoed.
void RequestHandler::AnswerSet(const Pdu& request, Message& response) {
  for (std::size_t i = 0; i < request.varbinds.size(); ++i) {
    if (request.varbinds[i].value.type == proto::ValueType::kNull) {
      response.pdu.error_status = static_cast<std::int32_t>(ErrorStatus::kWrongType);
      response.pdu.error_index = static_cast<std::int32_t>(i + 1);
      break;
    }
  }
  if (response.pdu.error_status == 0 && !request.varbinds.empty()) {
    response.pdu.error_status = static_cast<std::int32_t>(ErrorStatus::kNoAccess);
    response.pdu.error_index = 1;
  }
  response.pdu.varbinds = request.varbinds;
}

// RFC 2576 section 4.1.2.3 as snmpd applies it: SNMPv1 has no exceptions and
// no Counter64, so such a binding fails the whole request with noSuchName.
// snmpd's loop does not stop at the first one: error-index names the last.
// The failed response carries the request's bindings.
void RequestHandler::DowngradeToV1(const Pdu& request, Message& response) {
  std::int32_t failed = 0;
  for (std::size_t i = 0; i < response.pdu.varbinds.size(); ++i) {
    const Value& value = response.pdu.varbinds[i].value;
    if (value.IsException() || value.type == proto::ValueType::kCounter64) {
      failed = static_cast<std::int32_t>(i + 1);
    }
  }
  if (failed == 0) return;
  response.pdu.error_status = static_cast<std::int32_t>(ErrorStatus::kNoSuchName);
  response.pdu.error_index = failed;
  response.pdu.varbinds = request.varbinds;
}

// A response that does not fit is replaced by tooBig with error-index 0:
// RFC 3416 4.2.1 gives it an empty varbind list; RFC 1157 4.1.2 (`echo`, the
// v1 request) the request's bindings, when those fit.
bool RequestHandler::FitsOrTooBig(Message& response, const Pdu* echo) {
  const auto fits = [&](const std::vector<VarBind>& varbinds) {
    std::size_t list = 0;
    for (const VarBind& vb : varbinds) list += proto::EncodedSize(vb);
    return proto::EncodedSizeWithVarbinds(response, list) <= options_.max_message_size;
  };
  if (fits(response.pdu.varbinds)) return true;
  response.pdu.error_status = static_cast<std::int32_t>(ErrorStatus::kTooBig);
  response.pdu.error_index = 0;
  if (echo != nullptr && fits(echo->varbinds)) {
    response.pdu.varbinds = echo->varbinds;
    return true;
  }
  response.pdu.varbinds.clear();
  return fits(response.pdu.varbinds);
}

// RFC 3416 4.2.3, with snmpd 5.9's limits on the repetitions
// (netsnmp_create_subtree_cache). The response is cut where the next
// binding would exceed the size limit; only when not even one binding fits
// is it tooBig.
void RequestHandler::AnswerGetBulk(const Pdu& request, Message& response) {
  const std::size_t count = request.varbinds.size();
  const std::size_t non_repeaters =
      std::min<std::size_t>(static_cast<std::size_t>(std::max(request.non_repeaters(), 0)), count);
  const std::size_t repeaters = count - non_repeaters;
  std::int64_t max_repetitions = std::max(request.max_repetitions(), 0);
  if (repeaters > 0) {
    const std::int64_t responses =
        options_.max_getbulk_responses > 0 ? options_.max_getbulk_responses : INT32_MAX;
    std::int64_t per_varbind = options_.max_getbulk_repeats;
    const std::int64_t share = responses / static_cast<std::int64_t>(repeaters);
    if (per_varbind <= 0 || per_varbind > share) per_varbind = share;
    max_repetitions = std::min(max_repetitions, per_varbind);
  }

  std::size_t list = 0;
  bool full = false;
  auto add = [&](VarBind vb) {
    const std::size_t size = proto::EncodedSize(vb);
    if (proto::EncodedSizeWithVarbinds(response, list + size) > options_.max_message_size) {
      full = true;
      return;
    }
    list += size;
    response.pdu.varbinds.push_back(std::move(vb));
  };

  for (std::size_t i = 0; i < non_repeaters && !full; ++i) {
    add(Next(request.varbinds[i].oid, false));
  }

  if (repeaters > 0) {
    std::vector<Oid> cursor;
    cursor.reserve(repeaters);
    for (std::size_t i = non_repeaters; i < count; ++i) cursor.push_back(request.varbinds[i].oid);
    for (std::int64_t round = 0; round < max_repetitions && !full; ++round) {
      bool all_ended = true;
      for (std::size_t j = 0; j < repeaters && !full; ++j) {
        VarBind vb = Next(cursor[j], false);
        if (vb.value.type != proto::ValueType::kEndOfMibView) all_ended = false;
        cursor[j] = vb.oid;
        add(std::move(vb));
      }
      // Once every column has run off the end, further rounds would only
      // repeat endOfMibView.
      if (all_ended) break;
    }
  }

  if (response.pdu.varbinds.empty() && count > 0 && full) {
    response.pdu.error_status = static_cast<std::int32_t>(ErrorStatus::kTooBig);
    response.pdu.error_index = 0;
  }
}

}  // namespace mimamori::agent
