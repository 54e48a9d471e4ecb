#include "agent/core/request_handler.h"

#include <algorithm>

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

}  // namespace

std::string_view DropReasonText(DropReason reason) {
  switch (reason) {
    case DropReason::kNone:
      return "answered";
    case DropReason::kParseError:
      return "malformed packet";
    case DropReason::kBadVersion:
      return "unsupported SNMP version (only v2c is served)";
    case DropReason::kBadCommunity:
      return "wrong community";
    case DropReason::kNotARequest:
      return "not a request PDU";
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
      (error == DecodeError::kNone && request.version != proto::Version::kV2c)) {
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
      break;
    case PduType::kGetNextRequest:
      ++counters_.in_get_nexts;
      counters_.in_total_req_vars += static_cast<std::uint32_t>(request.pdu.varbinds.size());
      AnswerGetNext(request.pdu, response);
      break;
    case PduType::kGetBulkRequest:
      counters_.in_total_req_vars += static_cast<std::uint32_t>(request.pdu.varbinds.size());
      AnswerGetBulk(request.pdu, response);
      break;
    case PduType::kSetRequest:
      // A read-only community: snmpd answers noAccess on the first varbind
      // and echoes the request's bindings.
      ++counters_.in_set_requests;
      if (!request.pdu.varbinds.empty()) {
        response.pdu.error_status = static_cast<std::int32_t>(ErrorStatus::kNoAccess);
        response.pdu.error_index = 1;
      }
      response.pdu.varbinds = std::move(request.pdu.varbinds);
      if (!FitsOrTooBig(response)) return DropReason::kResponseTooLarge;
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
  if (response.pdu.error_status == static_cast<std::int32_t>(ErrorStatus::kTooBig)) {
    ++counters_.out_too_bigs;
  }
  response_bytes.clear();
  proto::EncodeMessage(response, response_bytes);
  if (response_bytes.size() > options_.max_message_size) {
    ++counters_.silent_drops;
    return DropReason::kResponseTooLarge;
  }
  ++counters_.out_get_responses;
  ++counters_.out_pkts;
  return DropReason::kNone;
}

void RequestHandler::AnswerGet(const Pdu& request, Message& response) {
  response.pdu.varbinds.reserve(request.varbinds.size());
  for (const VarBind& vb : request.varbinds) {
    response.pdu.varbinds.push_back({vb.oid, view_.Get(vb.oid)});
  }
  FitsOrTooBig(response);
}

VarBind RequestHandler::Next(const Oid& oid) {
  if (auto next = view_.GetNext(oid)) return std::move(*next);
  return {oid, Value::EndOfMibView()};
}

void RequestHandler::AnswerGetNext(const Pdu& request, Message& response) {
  response.pdu.varbinds.reserve(request.varbinds.size());
  for (const VarBind& vb : request.varbinds) response.pdu.varbinds.push_back(Next(vb.oid));
  FitsOrTooBig(response);
}

// RFC 3416 4.2.1: a Get/GetNext response that does not fit is replaced by a
// tooBig response with an empty varbind list.
bool RequestHandler::FitsOrTooBig(Message& response) {
  std::size_t list = 0;
  for (const VarBind& vb : response.pdu.varbinds) list += proto::EncodedSize(vb);
  if (proto::EncodedSizeWithVarbinds(response, list) <= options_.max_message_size) return true;
  response.pdu.varbinds.clear();
  response.pdu.error_status = static_cast<std::int32_t>(ErrorStatus::kTooBig);
  response.pdu.error_index = 0;
  return proto::EncodedSizeWithVarbinds(response, 0) <= options_.max_message_size;
}

// RFC 3416 4.2.3. The response is cut where the next binding would exceed
// the size limit; only when not even one binding fits is it tooBig.
void RequestHandler::AnswerGetBulk(const Pdu& request, Message& response) {
  const std::size_t count = request.varbinds.size();
  const std::size_t non_repeaters =
      std::min<std::size_t>(static_cast<std::size_t>(std::max(request.non_repeaters(), 0)), count);
  const std::size_t repeaters = count - non_repeaters;
  const std::int32_t max_repetitions =
      std::clamp(request.max_repetitions(), 0, options_.max_repetitions_cap);

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

  for (std::size_t i = 0; i < non_repeaters && !full; ++i) add(Next(request.varbinds[i].oid));

  if (repeaters > 0) {
    std::vector<Oid> cursor;
    cursor.reserve(repeaters);
    for (std::size_t i = non_repeaters; i < count; ++i) cursor.push_back(request.varbinds[i].oid);
    for (std::int32_t round = 0; round < max_repetitions && !full; ++round) {
      bool all_ended = true;
      for (std::size_t j = 0; j < repeaters && !full; ++j) {
        VarBind vb = Next(cursor[j]);
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
