#include "agent/core/config.h"

#include <charconv>
#include <fstream>
#include <map>
#include <set>
#include <sstream>

namespace mimamori::agent {
namespace {

std::string_view Trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r'))
    s.remove_suffix(1);
  return s;
}

// Removes a trailing comment: '#' at the start or after white space, outside quotes.
std::string_view StripComment(std::string_view line) {
  char quote = 0;
  for (std::size_t i = 0; i < line.size(); ++i) {
    const char c = line[i];
    if (quote) {
      if (c == quote) quote = 0;
    } else if (c == '"' || c == '\'') {
      quote = c;
    } else if (c == '#' && (i == 0 || line[i - 1] == ' ' || line[i - 1] == '\t')) {
      return line.substr(0, i);
    }
  }
  return line;
}

bool Unquote(std::string_view in, std::string& out) {
  in = Trim(in);
  if (in.size() >= 2 && (in.front() == '"' || in.front() == '\'') && in.back() == in.front()) {
    out.assign(in.substr(1, in.size() - 2));
    return true;
  }
  if (!in.empty() && (in.front() == '"' || in.front() == '\'')) return false;  // unterminated
  out.assign(in);
  return true;
}

struct Entry {
  int line = 0;
  bool is_list = false;
  std::string scalar;
  std::vector<std::string> items;
};

class Parser {
 public:
  Parser(std::string source, std::string& error) : source_(std::move(source)), error_(error) {}

  bool Fail(int line, std::string_view field, std::string_view what) {
    std::ostringstream out;
    out << (source_.empty() ? "agent.yaml" : source_) << ":" << line << ": ";
    if (!field.empty()) out << field << ": ";
    out << what;
    error_ = out.str();
    return false;
  }

  bool Read(std::string_view text, std::map<std::string, Entry>& entries) {
    int number = 0;
    std::string open_list;  // key whose "- item" lines we are reading
    std::size_t start = 0;
    while (start <= text.size()) {
      std::size_t end = text.find('\n', start);
      if (end == std::string_view::npos) end = text.size();
      std::string_view raw = text.substr(start, end - start);
      start = end + 1;
      ++number;
      const std::size_t indent = raw.find_first_not_of(' ');
      if (indent != std::string_view::npos && raw[indent] == '\t') {
        return Fail(number, "", "tab used for indentation (YAML allows spaces only)");
      }
      std::string_view line = Trim(StripComment(raw));
      if (line.empty()) {
        if (end == text.size()) break;
        continue;
      }
      const bool indented = raw.front() == ' ';
      if (line.front() == '-') {
        if (!indented || open_list.empty()) {
          return Fail(number, open_list, "list item without a list key above it");
        }
        std::string item;
        if (!Unquote(line.substr(1), item)) return Fail(number, open_list, "unterminated quote");
        if (item.empty()) return Fail(number, open_list, "empty list item");
        entries[open_list].items.push_back(item);
        continue;
      }
      if (indented) {
        return Fail(number, "", "unexpected indentation (agent.yaml has only top-level keys)");
      }
      open_list.clear();
      const std::size_t colon = line.find(':');
      if (colon == std::string_view::npos) return Fail(number, "", "expected 'key: value'");
      std::string key(Trim(line.substr(0, colon)));
      std::string_view value = Trim(line.substr(colon + 1));
      if (key.empty()) return Fail(number, "", "empty key");
      if (entries.count(key)) {
        return Fail(number, key,
                    "given twice (first on line " + std::to_string(entries[key].line) + ")");
      }
      Entry entry;
      entry.line = number;
      if (value.empty()) {
        entry.is_list = true;  // items follow on the next lines
        open_list = key;
      } else if (value.front() == '[') {
        if (value.back() != ']') return Fail(number, key, "flow list without closing ']'");
        entry.is_list = true;
        std::string_view inner = value.substr(1, value.size() - 2);
        while (!Trim(inner).empty()) {
          std::size_t comma = inner.find(',');
          std::string item;
          if (!Unquote(inner.substr(0, comma), item))
            return Fail(number, key, "unterminated quote");
          if (item.empty()) return Fail(number, key, "empty list item");
          entry.items.push_back(item);
          if (comma == std::string_view::npos) break;
          inner.remove_prefix(comma + 1);
        }
      } else if (!Unquote(value, entry.scalar)) {
        return Fail(number, key, "unterminated quote");
      }
      entries[key] = std::move(entry);
      if (end == text.size()) break;
    }
    return true;
  }

 private:
  std::string source_;
  std::string& error_;
};

bool ParseDuration(std::string_view text, std::chrono::milliseconds& out) {
  double factor = 1000;  // bare numbers are seconds
  if (text.ends_with("ms")) {
    factor = 1;
    text.remove_suffix(2);
  } else if (text.ends_with("s")) {
    text.remove_suffix(1);
  }
  double value = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (text.empty() || ec != std::errc() || end != text.data() + text.size() || value < 0) {
    return false;
  }
  out = std::chrono::milliseconds(static_cast<long long>(value * factor));
  return true;
}

template <typename T>
bool ParseNumber(std::string_view text, T& out) {
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), out);
  return !text.empty() && ec == std::errc() && end == text.data() + text.size();
}

}  // namespace

std::string ListenAddress::ToString() const {
  if (host.find(':') != std::string::npos) return "udp:[" + host + "]:" + std::to_string(port);
  return "udp:" + host + ":" + std::to_string(port);
}

std::optional<ListenAddress> ParseListenAddress(std::string_view text, std::string& error) {
  std::string_view rest = text;
  if (rest.starts_with("udp:")) {
    rest.remove_prefix(4);
  } else if (rest.starts_with("udp6:")) {
    rest.remove_prefix(5);
  } else if (rest.find("://") != std::string_view::npos || rest.starts_with("tcp")) {
    error = "only udp: listen addresses are supported: '" + std::string(text) + "'";
    return std::nullopt;
  }
  ListenAddress out;
  std::string_view port;
  if (rest.starts_with('[')) {
    const std::size_t close = rest.find(']');
    if (close == std::string_view::npos) {
      error = "missing ']' in '" + std::string(text) + "'";
      return std::nullopt;
    }
    out.host = std::string(rest.substr(1, close - 1));
    rest.remove_prefix(close + 1);
    if (!rest.empty() && rest.front() != ':') {
      error = "expected ':PORT' after ']' in '" + std::string(text) + "'";
      return std::nullopt;
    }
    port = rest.empty() ? std::string_view("161") : rest.substr(1);
  } else {
    const std::size_t colon = rest.rfind(':');
    out.host = std::string(rest.substr(0, colon));
    port = colon == std::string_view::npos ? std::string_view("161") : rest.substr(colon + 1);
  }
  asio::error_code ec;
  (void)asio::ip::make_address(out.host, ec);
  if (out.host.empty() || ec) {
    error =
        "'" + out.host + "' is not a numeric IPv4 or IPv6 address in '" + std::string(text) + "'";
    return std::nullopt;
  }
  unsigned value = 0;
  // Port 0 (any free port) is allowed: tests and demos read the bound port from the log.
  if (!ParseNumber(port, value) || value > 65535) {
    error = "bad port '" + std::string(port) + "' in '" + std::string(text) + "'";
    return std::nullopt;
  }
  out.port = static_cast<std::uint16_t>(value);
  return out;
}

std::optional<AgentConfig> ParseAgentConfig(std::string_view text, const std::string& source,
                                            std::string& error) {
  std::map<std::string, Entry> entries;
  Parser parser(source, error);
  if (!parser.Read(text, entries)) return std::nullopt;

  AgentConfig config;
  config.source = source;
  static const std::set<std::string> kLists = {"listen", "allowed_managers"};
  static const std::set<std::string> kKnown = {"listen",
                                               "community",
                                               "allowed_managers",
                                               "cache_lifetime",
                                               "max_message_size",
                                               "max_getbulk_responses",
                                               "max_getbulk_repeats",
                                               "user",
                                               "sys_contact",
                                               "sys_location",
                                               "sys_name"};

  for (auto& pair : entries) {
    // Named references, not a structured binding: clang 14 cannot capture those.
    const std::string& key = pair.first;
    Entry& entry = pair.second;
    auto fail = [&](std::string_view what) {
      parser.Fail(entry.line, key, what);
      return std::nullopt;
    };
    if (!kKnown.count(key)) {
      std::string known;
      for (const auto& k : kKnown) known += (known.empty() ? "" : ", ") + k;
      return fail("unknown key (known keys: " + known + ")");
    }
    if (kLists.count(key) != 0 && !entry.is_list) {
      // A single scalar is a one-item list, as people write it.
      entry.is_list = true;
      entry.items = {entry.scalar};
    } else if (kLists.count(key) == 0 && entry.is_list) {
      return fail("expects a single value, not a list");
    }

    if (key == "listen") {
      if (entry.items.empty()) return fail("needs at least one address");
      config.listen.clear();
      for (const auto& item : entry.items) {
        std::string why;
        auto address = ParseListenAddress(item, why);
        if (!address) return fail(why);
        config.listen.push_back(*address);
      }
    } else if (key == "community") {
      if (entry.scalar.empty()) return fail("must not be empty");
      config.community = entry.scalar;
    } else if (key == "allowed_managers") {
      for (const auto& item : entry.items) {
        auto network = Network::Parse(item);
        if (!network) return fail("'" + item + "' is not an address or CIDR network");
        config.allowed_managers.push_back(*network);
      }
    } else if (key == "cache_lifetime") {
      if (!ParseDuration(entry.scalar, config.cache_lifetime) ||
          config.cache_lifetime > std::chrono::minutes(10)) {
        return fail("'" + entry.scalar + "' is not a duration from 0 to 600s (e.g. 5s, 500ms)");
      }
    } else if (key == "max_message_size") {
      // 484 is the smallest size every SNMP entity must accept (RFC 3417).
      if (!ParseNumber(entry.scalar, config.max_message_size) || config.max_message_size < 484 ||
          config.max_message_size > 65507) {
        return fail("'" + entry.scalar + "' is not a number from 484 to 65507");
      }
    } else if (key == "max_getbulk_responses") {
      // More bindings than octets cannot fit in any message.
      if (!ParseNumber(entry.scalar, config.max_getbulk_responses) ||
          config.max_getbulk_responses < 1 || config.max_getbulk_responses > 65507) {
        return fail("'" + entry.scalar + "' is not a number from 1 to 65507");
      }
    } else if (key == "max_getbulk_repeats") {
      if (!ParseNumber(entry.scalar, config.max_getbulk_repeats) ||
          config.max_getbulk_repeats < 0 || config.max_getbulk_repeats > 65507) {
        return fail("'" + entry.scalar + "' is not a number from 0 (no limit of its own) to 65507");
      }
    } else if (key == "user") {
      if (entry.scalar.empty()) return fail("must not be empty");
      config.user = entry.scalar;
    } else if (key == "sys_contact") {
      config.system.contact = entry.scalar;
    } else if (key == "sys_location") {
      config.system.location = entry.scalar;
    } else if (key == "sys_name") {
      config.system.name = entry.scalar;
    }
  }
  return config;
}

std::optional<AgentConfig> LoadAgentConfig(const std::string& path, std::string& error) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    error = path + ": cannot open the configuration file";
    return std::nullopt;
  }
  std::ostringstream text;
  text << in.rdbuf();
  return ParseAgentConfig(text.str(), path, error);
}

}  // namespace mimamori::agent
