// BER encoding and decoding of SNMP community-based messages.
//
// The decoder is the agent's first line of defence against the network: it
// never throws on wire bytes, never reads outside the input, and allocates at
// most in proportion to the input's size. Everything it rejects comes back as
// a DecodeError the caller can count and log.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string_view>
#include <vector>

#include "mimamori/proto/message.h"

namespace mimamori::proto {

enum class DecodeError : std::uint8_t {
  kNone = 0,
  kTruncated,           ///< a length runs past the end of its container
  kBadLength,           ///< indefinite, over-long (more than 4 octets) or oversize length
  kBadTag,              ///< an unexpected or multi-byte tag
  kBadInteger,          ///< empty, or too many octets for its type
  kBadOid,              ///< empty, sub-identifier over 2^32-1, too many arcs, bad padding
  kBadValue,            ///< e.g. NULL with content, IpAddress not 4 bytes
  kTrailingBytes,       ///< bytes after the message or inside a container after its last element
  kUnsupportedVersion,  ///< a well-framed message whose version is not v1/v2c
};

std::string_view DecodeErrorText(DecodeError error);

/// Decodes one whole message (exactly one, nothing after it). On error `out`
/// holds whatever was decoded so far and must not be used; for
/// kUnsupportedVersion `out.version` holds the version seen.
DecodeError DecodeMessage(std::span<const std::uint8_t> wire, Message& out);

/// Encodes `message` and returns the bytes.
std::vector<std::uint8_t> EncodeMessage(const Message& message);

/// Appends the encoding of `message` to `out` (reusing its capacity).
void EncodeMessage(const Message& message, std::vector<std::uint8_t>& out);

/// Octets the encoding of one variable binding takes (tag and length included),
/// so that a responder can stay under the message size limit without encoding
/// twice.
std::size_t EncodedSize(const VarBind& varbind);

/// Octets of a whole message whose varbind list has `varbinds_size` octets of
/// content; the other fields come from `message` (its varbinds are ignored).
std::size_t EncodedSizeWithVarbinds(const Message& message, std::size_t varbinds_size);

}  // namespace mimamori::proto
