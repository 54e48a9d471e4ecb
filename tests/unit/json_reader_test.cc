#include "collector/core/json_reader.h"

#include <gtest/gtest.h>

#include <string>

namespace mimamori::collector {
namespace {

TEST(JsonReader, ReadsEveryKindOfValue) {
  std::string error;
  const auto value = ParseJson(
      R"( {"s": "a\"b\\c\/\n\u00e9\ud83d\ude00", "n": -12.5e1, "z": 0, "t": true, "f": false,
          "null": null, "list": [1, [], {}], "o": {"k": "v"}, "日本": "語"} )",
      error);
  ASSERT_TRUE(value) << error;
  EXPECT_EQ(value->type, JsonValue::Type::kObject);
  EXPECT_EQ(value->Member("s")->text, "a\"b\\c/\n\xC3\xA9\xF0\x9F\x98\x80");
  EXPECT_EQ(value->Member("n")->number, -125);
  EXPECT_EQ(value->Member("n")->Scalar(), "-12.5e1");
  EXPECT_EQ(value->Member("z")->Scalar(), "0");
  EXPECT_EQ(value->Member("t")->Scalar(), "true");
  EXPECT_EQ(value->Member("f")->Scalar(), "false");
  EXPECT_EQ(value->Member("null")->Scalar(), "null");
  EXPECT_EQ(value->Member("list")->items.size(), 3u);
  EXPECT_EQ(value->Member("o")->Member("k")->text, "v");
  EXPECT_EQ(value->Member("日本")->text, "語");
  EXPECT_EQ(value->Member("missing"), nullptr);
  EXPECT_EQ(value->Member("list")->TypeName(), "an array");
}

TEST(JsonReader, RefusesWhatIsNotStrictJson) {
  const std::pair<std::string, std::string> cases[] = {
      {"", "at byte 0: unexpected end of the text"},
      {"{", "at byte 1: expected a member name"},
      {"{\"a\" 1}", "at byte 5: expected ':'"},
      {"{\"a\": 1,}", "at byte 8: expected a member name"},
      {"[1, 2", "at byte 5: expected ',' or ']'"},
      {"[1,]", "at byte 3: expected a JSON value"},
      {"{'a': 1}", "at byte 1: expected a member name"},
      {"01", "at byte 1: unexpected text after the JSON value"},
      {"1.", "at byte 2: expected digits after '.'"},
      {"1e", "at byte 2: expected digits in the exponent"},
      {"+1", "at byte 0: expected a JSON value"},
      {"NaN", "at byte 0: expected a JSON value"},
      {"tru", "at byte 0: expected a JSON value"},
      {"\"a\nb\"", "at byte 2: control character in a string"},
      {"\"\\x\"", "at byte 2: unknown escape in a string"},
      {"\"\\u12g4\"", "at byte 5: expected four hex digits after \\u"},
      {"\"\\ud800\"", "at byte 7: high surrogate without its pair"},
      {"\"\\udc00\"", "at byte 7: lone low surrogate in \\u escape"},
      {"\"\xff\"", "at byte 1: not UTF-8"},
      {"\"abc", "at byte 4: unterminated string"},
      {"1e999", "at byte 5: number out of range"},
      {"{} {}", "at byte 3: unexpected text after the JSON value"},
      {std::string(65, '[') + std::string(65, ']'), "at byte 64: nested deeper than 64 levels"},
  };
  for (const auto& [text, expected] : cases) {
    std::string error;
    EXPECT_FALSE(ParseJson(text, error)) << text;
    EXPECT_EQ(error, expected) << text;
  }
  std::string error;
  EXPECT_TRUE(ParseJson(std::string(64, '[') + std::string(64, ']'), error)) << error;
}

TEST(JsonReader, PathsOfMembersAndIndexes) {
  std::string error;
  const auto root =
      ParseJson(R"({"last_result": {"status": "success"}, "jobs": [{"state": "ok"}, {"state":
      "failed"}], "a.b": 1})",
                error);
  ASSERT_TRUE(root) << error;
  EXPECT_EQ(FindJsonPath(*root, "last_result.status")->text, "success");
  EXPECT_EQ(FindJsonPath(*root, "jobs[1].state")->text, "failed");
  EXPECT_EQ(FindJsonPath(*root, "jobs.0.state")->text, "ok");
  EXPECT_EQ(FindJsonPath(*root, ""), &*root);
  EXPECT_EQ(FindJsonPath(*root, "jobs[2].state"), nullptr);
  EXPECT_EQ(FindJsonPath(*root, "jobs[x]"), nullptr);
  EXPECT_EQ(FindJsonPath(*root, "last_result[0]"), nullptr);
  EXPECT_EQ(FindJsonPath(*root, "last_result.status.deeper"), nullptr);
  EXPECT_EQ(FindJsonPath(*root, "jobs[1"), nullptr);
}

}  // namespace
}  // namespace mimamori::collector
