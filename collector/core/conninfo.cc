#include "collector/core/conninfo.h"

#include <libpq-fe.h>

#include <string_view>

namespace mimamori::collector {

std::string DescribeConninfo(const std::string& conninfo) {
  char* error = nullptr;
  PQconninfoOption* options = PQconninfoParse(conninfo.c_str(), &error);
  // The parser's message may quote the string, password and all: not shown.
  if (error != nullptr) PQfreemem(error);
  if (options == nullptr) return "postgresql (invalid connection string)";
  std::string out = "postgresql";
  for (const char* keyword : {"host", "hostaddr", "port", "dbname", "user"}) {
    for (PQconninfoOption* o = options; o->keyword != nullptr; ++o) {
      if (std::string_view(o->keyword) == keyword && o->val != nullptr && *o->val != '\0') {
        out += std::string(" ") + keyword + "=" + o->val;
      }
    }
  }
  PQconninfoFree(options);
  return out;
}

}  // namespace mimamori::collector
