// Any bytes into the BER decoder: it must return (no crash, no sanitizer
// report, allocation bounded by the input), and whatever it accepts must
// re-encode to a message that decodes to the same value.
#include <cstdint>
#include <cstdlib>

#include "mimamori/proto/ber.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace mimamori::proto;
  Message message;
  if (DecodeMessage(std::span(data, size), message) != DecodeError::kNone) return 0;
  const std::vector<std::uint8_t> again = EncodeMessage(message);
  Message back;
  if (DecodeMessage(again, back) != DecodeError::kNone || !(back == message)) std::abort();
  return 0;
}
