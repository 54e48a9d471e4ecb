#include "collector/core/json_reader.h"

#include <charconv>
#include <cmath>
#include <cstdint>

#include "collector/core/json.h"

namespace mimamori::collector {
namespace {

constexpr int kMaxDepth = 64;

class Reader {
 public:
  Reader(std::string_view text, std::string& error) : text_(text), error_(error) {}

  std::optional<JsonValue> Document() {
    JsonValue value;
    SkipSpace();
    if (!Value(value, 0)) return std::nullopt;
    SkipSpace();
    if (at_ != text_.size()) return Fail("unexpected text after the JSON value");
    return value;
  }

 private:
  std::nullopt_t Fail(const std::string& why) {
    if (error_.empty()) error_ = "at byte " + std::to_string(at_) + ": " + why;
    return std::nullopt;
  }
  bool Failed(const std::string& why) {
    Fail(why);
    return false;
  }

  void SkipSpace() {
    while (at_ < text_.size() &&
           (text_[at_] == ' ' || text_[at_] == '\t' || text_[at_] == '\n' || text_[at_] == '\r')) {
      ++at_;
    }
  }

  bool Literal(std::string_view word) {
    if (text_.substr(at_, word.size()) != word) return Failed("expected a JSON value");
    at_ += word.size();
    return true;
  }

  bool Value(JsonValue& out, int depth) {
    if (depth >= kMaxDepth) return Failed("nested deeper than 64 levels");
    if (at_ >= text_.size()) return Failed("unexpected end of the text");
    switch (text_[at_]) {
      case '{':
        return Object(out, depth);
      case '[':
        return Array(out, depth);
      case '"':
        out.type = JsonValue::Type::kString;
        return String(out.text);
      case 't':
        out.type = JsonValue::Type::kBool;
        out.boolean = true;
        return Literal("true");
      case 'f':
        out.type = JsonValue::Type::kBool;
        out.boolean = false;
        return Literal("false");
      case 'n':
        out.type = JsonValue::Type::kNull;
        return Literal("null");
      default:
        return Number(out);
    }
  }

  bool Object(JsonValue& out, int depth) {
    out.type = JsonValue::Type::kObject;
    ++at_;  // '{'
    SkipSpace();
    if (at_ < text_.size() && text_[at_] == '}') {
      ++at_;
      return true;
    }
    while (true) {
      SkipSpace();
      if (at_ >= text_.size() || text_[at_] != '"') return Failed("expected a member name");
      std::string key;
      if (!String(key)) return false;
      SkipSpace();
      if (at_ >= text_.size() || text_[at_] != ':') return Failed("expected ':'");
      ++at_;
      SkipSpace();
      JsonValue value;
      if (!Value(value, depth + 1)) return false;
      out.members.emplace_back(std::move(key), std::move(value));
      SkipSpace();
      if (at_ < text_.size() && text_[at_] == ',') {
        ++at_;
        continue;
      }
      if (at_ < text_.size() && text_[at_] == '}') {
        ++at_;
        return true;
      }
      return Failed("expected ',' or '}'");
    }
  }

  bool Array(JsonValue& out, int depth) {
    out.type = JsonValue::Type::kArray;
    ++at_;  // '['
    SkipSpace();
    if (at_ < text_.size() && text_[at_] == ']') {
      ++at_;
      return true;
    }
    while (true) {
      SkipSpace();
      JsonValue value;
      if (!Value(value, depth + 1)) return false;
      out.items.push_back(std::move(value));
      SkipSpace();
      if (at_ < text_.size() && text_[at_] == ',') {
        ++at_;
        continue;
      }
      if (at_ < text_.size() && text_[at_] == ']') {
        ++at_;
        return true;
      }
      return Failed("expected ',' or ']'");
    }
  }

  static void AppendUtf8(std::string& out, std::uint32_t code) {
    if (code < 0x80) {
      out += static_cast<char>(code);
    } else if (code < 0x800) {
      out += static_cast<char>(0xC0 | (code >> 6));
      out += static_cast<char>(0x80 | (code & 0x3F));
    } else if (code < 0x10000) {
      out += static_cast<char>(0xE0 | (code >> 12));
      out += static_cast<char>(0x80 | ((code >> 6) & 0x3F));
      out += static_cast<char>(0x80 | (code & 0x3F));
    } else {
      out += static_cast<char>(0xF0 | (code >> 18));
      out += static_cast<char>(0x80 | ((code >> 12) & 0x3F));
      out += static_cast<char>(0x80 | ((code >> 6) & 0x3F));
      out += static_cast<char>(0x80 | (code & 0x3F));
    }
  }

  bool Hex4(std::uint32_t& out) {
    if (at_ + 4 > text_.size()) return Failed("unexpected end in a \\u escape");
    out = 0;
    for (int i = 0; i < 4; ++i) {
      const char c = text_[at_++];
      out <<= 4;
      if (c >= '0' && c <= '9') {
        out |= static_cast<std::uint32_t>(c - '0');
      } else if (c >= 'a' && c <= 'f') {
        out |= static_cast<std::uint32_t>(c - 'a' + 10);
      } else if (c >= 'A' && c <= 'F') {
        out |= static_cast<std::uint32_t>(c - 'A' + 10);
      } else {
        --at_;
        return Failed("expected four hex digits after \\u");
      }
    }
    return true;
  }

  bool String(std::string& out) {
    ++at_;  // '"'
    out.clear();
    while (true) {
      if (at_ >= text_.size()) return Failed("unterminated string");
      const unsigned char c = static_cast<unsigned char>(text_[at_]);
      if (c == '"') {
        ++at_;
        return true;
      }
      if (c < 0x20) return Failed("control character in a string");
      if (c == '\\') {
        ++at_;
        if (at_ >= text_.size()) return Failed("unterminated string");
        const char e = text_[at_++];
        switch (e) {
          case '"':
          case '\\':
          case '/':
            out += e;
            break;
          case 'b':
            out += '\b';
            break;
          case 'f':
            out += '\f';
            break;
          case 'n':
            out += '\n';
            break;
          case 'r':
            out += '\r';
            break;
          case 't':
            out += '\t';
            break;
          case 'u': {
            std::uint32_t code = 0;
            if (!Hex4(code)) return false;
            if (code >= 0xDC00 && code <= 0xDFFF) return Failed("lone low surrogate in \\u escape");
            if (code >= 0xD800 && code <= 0xDBFF) {
              std::uint32_t low = 0;
              if (text_.substr(at_, 2) != "\\u") return Failed("high surrogate without its pair");
              at_ += 2;
              if (!Hex4(low)) return false;
              if (low < 0xDC00 || low > 0xDFFF) return Failed("high surrogate without its pair");
              code = 0x10000 + ((code - 0xD800) << 10) + (low - 0xDC00);
            }
            AppendUtf8(out, code);
            break;
          }
          default:
            --at_;
            return Failed("unknown escape in a string");
        }
        continue;
      }
      const std::size_t length = Utf8SequenceLength(text_, at_);
      if (length == 0) return Failed("not UTF-8");
      out.append(text_.substr(at_, length));
      at_ += length;
    }
  }

  bool Number(JsonValue& out) {
    const std::size_t start = at_;
    auto digits = [&] {
      const std::size_t from = at_;
      while (at_ < text_.size() && text_[at_] >= '0' && text_[at_] <= '9') ++at_;
      return at_ - from;
    };
    if (at_ < text_.size() && text_[at_] == '-') ++at_;
    if (at_ < text_.size() && text_[at_] == '0') {
      ++at_;
    } else if (digits() == 0) {
      at_ = start;
      return Failed("expected a JSON value");
    }
    if (at_ < text_.size() && text_[at_] == '.') {
      ++at_;
      if (digits() == 0) return Failed("expected digits after '.'");
    }
    if (at_ < text_.size() && (text_[at_] == 'e' || text_[at_] == 'E')) {
      ++at_;
      if (at_ < text_.size() && (text_[at_] == '+' || text_[at_] == '-')) ++at_;
      if (digits() == 0) return Failed("expected digits in the exponent");
    }
    out.type = JsonValue::Type::kNumber;
    out.text = std::string(text_.substr(start, at_ - start));
    const auto [end, ec] =
        std::from_chars(out.text.data(), out.text.data() + out.text.size(), out.number);
    if (ec != std::errc() || !std::isfinite(out.number)) return Failed("number out of range");
    (void)end;
    return true;
  }

  std::string_view text_;
  std::string& error_;
  std::size_t at_ = 0;
};

}  // namespace

const JsonValue* JsonValue::Member(std::string_view key) const {
  if (type != Type::kObject) return nullptr;
  const JsonValue* found = nullptr;
  for (const auto& [name, value] : members) {
    if (name == key) found = &value;
  }
  return found;
}

std::string JsonValue::Scalar() const {
  switch (type) {
    case Type::kNull:
      return "null";
    case Type::kBool:
      return boolean ? "true" : "false";
    case Type::kNumber:
    case Type::kString:
      return text;
    default:
      return "";
  }
}

std::string_view JsonValue::TypeName() const {
  switch (type) {
    case Type::kNull:
      return "null";
    case Type::kBool:
      return "a boolean";
    case Type::kNumber:
      return "a number";
    case Type::kString:
      return "a string";
    case Type::kArray:
      return "an array";
    case Type::kObject:
      return "an object";
  }
  return "?";
}

std::optional<JsonValue> ParseJson(std::string_view text, std::string& error) {
  error.clear();
  return Reader(text, error).Document();
}

const JsonValue* FindJsonPath(const JsonValue& root, std::string_view path) {
  const JsonValue* at = &root;
  std::size_t i = 0;
  while (i < path.size()) {
    if (path[i] == '.') {
      ++i;
      continue;
    }
    std::string_view step;
    const bool bracket = path[i] == '[';
    if (bracket) {
      const std::size_t close = path.find(']', i);
      if (close == std::string_view::npos) return nullptr;
      step = path.substr(i + 1, close - i - 1);
      i = close + 1;
    } else {
      const std::size_t end = path.find_first_of(".[", i);
      step = path.substr(i, end == std::string_view::npos ? std::string_view::npos : end - i);
      i = end == std::string_view::npos ? path.size() : end;
    }
    if (at->type == JsonValue::Type::kArray) {
      std::size_t index = 0;
      const auto [end, ec] = std::from_chars(step.data(), step.data() + step.size(), index);
      if (step.empty() || ec != std::errc() || end != step.data() + step.size() ||
          index >= at->items.size()) {
        return nullptr;
      }
      at = &at->items[index];
    } else if (!bracket) {
      at = at->Member(step);
      if (at == nullptr) return nullptr;
    } else {
      return nullptr;
    }
  }
  return at;
}

}  // namespace mimamori::collector
