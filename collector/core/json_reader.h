// A small strict JSON reader (RFC 8259) for answers the collector judges,
// such as a backup server's status endpoint. json.h writes JSON; this reads
// it. Strict, because a half-understood answer must not pass as a success.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace mimamori::collector {

struct JsonValue {
  enum class Type { kNull, kBool, kNumber, kString, kArray, kObject };
  Type type = Type::kNull;
  bool boolean = false;
  double number = 0;
  /// kString: the decoded text (UTF-8); kNumber: the number as written.
  std::string text;
  std::vector<JsonValue> items;                            ///< kArray
  std::vector<std::pair<std::string, JsonValue>> members;  ///< kObject, in document order

  /// The member named `key` of an object (the last one when repeated, as
  /// most parsers do); nullptr when absent or not an object.
  const JsonValue* Member(std::string_view key) const;
  /// The value as an operator would compare it: strings as they are,
  /// numbers as written, true/false/null as those words; "" for arrays and
  /// objects.
  std::string Scalar() const;
  /// "a string", "a number", "an object", ... for messages.
  std::string_view TypeName() const;
};

/// Parses one JSON text (surrounding white space allowed, nothing else).
/// nullopt and `error` set ("at byte 17: expected ':'") when it is not
/// JSON; nesting deeper than 64 levels is refused. Never throws on input.
std::optional<JsonValue> ParseJson(std::string_view text, std::string& error);

/// Follows a path of member names and array indexes: "last_result.status",
/// "jobs[0].state" or "jobs.0.state". nullptr when any step is missing.
const JsonValue* FindJsonPath(const JsonValue& root, std::string_view path);

}  // namespace mimamori::collector
