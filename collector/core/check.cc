#include "collector/core/check.h"

namespace mimamori::collector {

std::string_view StatusName(Status status) {
  switch (status) {
    case Status::kOk:
      return "OK";
    case Status::kWarning:
      return "WARNING";
    case Status::kCritical:
      return "CRITICAL";
    case Status::kUnknown:
      return "UNKNOWN";
  }
  return "?";
}

}  // namespace mimamori::collector
