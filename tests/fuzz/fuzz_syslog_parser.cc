// Any bytes as a syslog datagram and as a TCP stream cut at a byte the
// input chooses: the parser and the framer must return (no crash, no
// sanitizer report), the framer must never hand out a frame over its limit,
// and what the parser accepts must be valid UTF-8 in every field.
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "collector/alerting/mail_message.h"
#include "collector/messages/syslog_parser.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace mimamori::collector;
  const std::string_view bytes(reinterpret_cast<const char*>(data), size);
  SyslogMessage message;
  if (ParseSyslog(bytes, message) == SyslogError::kNone) {
    if (message.facility < 0 || message.facility > 23 || message.severity < 0 ||
        message.severity > 7 || !IsValidUtf8(message.text) || !IsValidUtf8(message.program) ||
        !IsValidUtf8(message.hostname)) {
      std::abort();
    }
  }
  constexpr std::size_t kMax = 512;
  SyslogStreamFramer framer(kMax);
  const std::size_t cut = size == 0 ? 0 : data[0] % (size + 1);
  for (std::string_view part : {bytes.substr(0, cut), bytes.substr(cut)}) {
    for (const std::string& frame : framer.Feed(part)) {
      if (frame.size() > kMax) std::abort();
      SyslogMessage m;
      ParseSyslog(frame, m);
    }
  }
  if (framer.Finish().size() > kMax) std::abort();
  return 0;
}
