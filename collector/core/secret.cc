#include "collector/core/secret.h"

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <ostream>

namespace mimamori::collector {

void PrintTo(const Secret&, std::ostream* out) { *out << "Secret(***)"; }

std::optional<Secret> ReadSecret(const std::string& file, const std::string& env,
                                 std::string& error) {
  if (!file.empty()) {
    std::ifstream in(file);
    if (!in) {
      error = "password file " + file + ": cannot read: " + std::strerror(errno);
      return std::nullopt;
    }
    Secret line;
    {
      std::string text;
      std::getline(in, text);
      if (!text.empty() && text.back() == '\r') text.pop_back();
      line = Secret(text);
      volatile char* bytes = text.data();
      for (std::size_t i = 0; i < text.size(); ++i) bytes[i] = 0;
    }
    if (line.empty()) {
      error = "password file " + file + ": the first line is empty";
      return std::nullopt;
    }
    return line;
  }
  if (!env.empty()) {
    const char* value = std::getenv(env.c_str());
    if (value == nullptr) {
      error = "environment variable " + env + " is not set";
      return std::nullopt;
    }
    if (*value == '\0') {
      error = "environment variable " + env + " is empty";
      return std::nullopt;
    }
    return Secret(value);
  }
  error = "neither a password file nor an environment variable is given";
  return std::nullopt;
}

}  // namespace mimamori::collector
