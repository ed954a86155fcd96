// The streaming JSON writer: what nlohmann parses back, whatever the bytes.
#include "inspect/json_stream.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <sstream>
#include <string>

namespace sentry::inspect {
namespace {

std::string Escaped(std::string_view text) {
  std::string out;
  AppendJsonEscaped(out, text);
  return out;
}

TEST(JsonStreamTest, EscapesWhatJsonMustAndKeepsValidUtf8) {
  EXPECT_EQ(Escaped("plain text"), "plain text");
  EXPECT_EQ(Escaped("a \"quote\" and \\ back"), "a \\\"quote\\\" and \\\\ back");
  EXPECT_EQ(Escaped("line\nnext\ttab\rret"), "line\\nnext\\ttab\\rret");
  EXPECT_EQ(Escaped(std::string("nul\0bell\x07", 9)), "nul\\u0000bell\\u0007");
  EXPECT_EQ(Escaped("caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x90\xa7"),
            "caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x90\xa7");
}

// `n` replacement characters after `prefix`. (Appended, not joined with
// operator+: GCC 12's -Wrestrict misreads that at -O3, and CI's release
// build makes warnings errors.)
std::string Replaced(std::string prefix, int n) {
  for (int i = 0; i < n; ++i) prefix.append("\xef\xbf\xbd");
  return prefix;
}

TEST(JsonStreamTest, WritesEachInvalidByteAsReplacementCharacter) {
  EXPECT_EQ(Escaped("bad\xff\xfe"), Replaced("bad", 2));
  EXPECT_EQ(Escaped("cut \xe2\x82"), Replaced("cut ", 2));  // truncated
  EXPECT_EQ(Escaped("\xc0\xaf"), Replaced("", 2));          // overlong
  EXPECT_EQ(Escaped("\xed\xa0\x80"), Replaced("", 3));      // surrogate
  EXPECT_EQ(Escaped("\xf4\x90\x80\x80"), Replaced("", 4));  // past U+10FFFF
  // Every byte pair parses back as valid JSON.
  for (int a = 0; a < 256; ++a) {
    for (int b = 0; b < 256; b += 7) {
      const std::string text{static_cast<char>(a), static_cast<char>(b)};
      std::string json(1, '"');
      json.append(Escaped(text));
      json.push_back('"');
      ASSERT_TRUE(nlohmann::json::accept(json)) << a << " " << b;
    }
  }
}

TEST(JsonStreamTest, NestsAndSeparatesValues) {
  std::ostringstream out;
  {
    JsonStream json(out);
    json.OpenObject().Member("name", "x").Key("list").OpenArray();
    json.Value(std::int64_t{-3}).Value(0.5).Thousandths(1500).Thousandths(-2).Thousandths(7000);
    json.OpenObject().Close().Close().Member("n", std::int64_t{1}).Close();
  }
  EXPECT_EQ(out.str(), "{\"name\":\"x\",\"list\":[-3,0.5,1.5,-0.002,7,{}],\"n\":1}");
  const auto parsed = nlohmann::json::parse(out.str());
  EXPECT_EQ(parsed["list"][3], -0.002);
}

}  // namespace
}  // namespace sentry::inspect
