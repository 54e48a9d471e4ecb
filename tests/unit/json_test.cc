// The one JSON escaper behind `--once --json`, the phone channel's payload
// and mimamorictl --json.
#include "collector/core/json.h"

#include <gtest/gtest.h>

#include <string>
#include <utility>
#include <vector>

namespace mimamori::collector {
namespace {

TEST(Json, EscapesAsRfc8259AndKeepsUtf8) {
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"", R"("")"},
      {"web01", R"("web01")"},
      {"say \"hi\"", R"("say \"hi\"")"},
      {"C:\\Windows", R"("C:\\Windows")"},
      {"a\nb\rc\td\be\ff", R"("a\nb\rc\td\be\ff")"},
      {std::string("nul\0x", 5), R"("nul\u0000x")"},
      {"\x1b[31m", R"("\u001b[31m")"},
      {"del\x7f", R"("del\u007f")"},
      {"住民記録システム", R"("住民記録システム")"},
      {"emoji \xF0\x9F\x98\x80", "\"emoji \xF0\x9F\x98\x80\""},
      {"/", R"("/")"},
  };
  for (const auto& [text, json] : cases) EXPECT_EQ(JsonString(text), json) << text;
}

// Process arguments and web pages are not always UTF-8: every byte that is
// not part of a well-formed sequence becomes U+FFFD, so strict parsers
// accept the document.
TEST(Json, MalformedUtf8BecomesTheReplacementCharacter) {
  const std::string r(kUtf8Replacement);
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"\xff", "\"" + r + "\""},
      {"a\x80z", "\"a" + r + "z\""},
      {"\xC0\xAF", "\"" + r + r + "\""},                  // overlong '/'
      {"\xED\xA0\x80", "\"" + r + r + r + "\""},          // a surrogate
      {"\xF4\x90\x80\x80", "\"" + r + r + r + r + "\""},  // above U+10FFFF
      {"\xE4\xBD", "\"" + r + r + "\""},                  // cut short
      {"\x93\xFA\x96\x7B", "\"" + r + r + r + "{\""},     // Shift_JIS 日本
  };
  for (const auto& [text, json] : cases) EXPECT_EQ(JsonString(text), json);
}

TEST(Json, AppendAddsToWhatIsThere) {
  std::string out = "{\"k\":";
  AppendJsonString(out, "v");
  EXPECT_EQ(out, "{\"k\":\"v\"");
  EXPECT_EQ(Utf8SequenceLength("日", 0), 3u);
  EXPECT_EQ(Utf8SequenceLength("a", 0), 1u);
  EXPECT_EQ(Utf8SequenceLength("\xE6\x97", 0), 0u);
}

}  // namespace
}  // namespace mimamori::collector
