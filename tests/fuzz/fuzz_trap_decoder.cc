// Any bytes into the trap decoder, as the trap port receives them: it must
// return (no crash, no sanitizer report), and an inform it accepts must
// have a Response that decodes, with the inform's request-id.
#include <cstdint>
#include <cstdlib>

#include "collector/messages/trap_decoder.h"
#include "mimamori/proto/ber.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace mimamori;
  collector::TrapMessage trap;
  proto::Message raw;
  if (collector::DecodeTrap(std::span(data, size), trap, raw) != collector::TrapError::kNone) {
    return 0;
  }
  (void)trap.Text();
  if (trap.inform) {
    proto::Message response;
    if (proto::DecodeMessage(collector::InformResponse(raw), response) !=
            proto::DecodeError::kNone ||
        response.pdu.type != proto::PduType::kResponse ||
        response.pdu.request_id != raw.pdu.request_id) {
      std::abort();
    }
  }
  return 0;
}
