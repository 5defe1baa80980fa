#include "text.hpp"

#include <cstdint>
#include <limits>
#include <string>

#include <gtest/gtest.h>

namespace hello {
namespace {

TEST(ParseInteger, ReadsTheWholeText) {
  EXPECT_EQ(parse_integer<std::uint64_t>("0"), 0U);
  EXPECT_EQ(parse_integer<std::uint64_t>("8080"), 8080U);
  EXPECT_EQ(parse_integer<std::uint64_t>("007"), 7U);
  EXPECT_EQ(parse_integer<long long>("-42"), -42);
}

TEST(ParseInteger, RejectsEmptyText) {
  EXPECT_FALSE(parse_integer<std::uint64_t>(""));
  EXPECT_FALSE(parse_integer<long long>(""));
  EXPECT_FALSE(parse_integer<long long>("-"));
}

TEST(ParseInteger, RejectsSignsItDoesNotTake) {
  EXPECT_FALSE(parse_integer<std::uint64_t>("+1"));
  EXPECT_FALSE(parse_integer<long long>("+1"));
  EXPECT_FALSE(parse_integer<std::uint64_t>("-1"));
  EXPECT_FALSE(parse_integer<unsigned>("-0"));
}

TEST(ParseInteger, RejectsAnythingButDigits) {
  EXPECT_FALSE(parse_integer<std::uint64_t>("12a"));
  EXPECT_FALSE(parse_integer<std::uint64_t>("a12"));
  EXPECT_FALSE(parse_integer<std::uint64_t>(" 1"));
  EXPECT_FALSE(parse_integer<std::uint64_t>("1 "));
  EXPECT_FALSE(parse_integer<std::uint64_t>("1\n"));
  EXPECT_FALSE(parse_integer<std::uint64_t>("1.5"));
  EXPECT_FALSE(parse_integer<std::uint64_t>("0x10"));
}

TEST(ParseInteger, RejectsWhatDoesNotFit) {
  EXPECT_EQ(parse_integer<std::uint64_t>("18446744073709551615"), std::numeric_limits<std::uint64_t>::max());
  EXPECT_FALSE(parse_integer<std::uint64_t>("18446744073709551616"));
  EXPECT_EQ(parse_integer<long long>("-9223372036854775808"), std::numeric_limits<long long>::min());
  EXPECT_FALSE(parse_integer<long long>("9223372036854775808"));
  EXPECT_FALSE(parse_integer<long long>("-9223372036854775809"));
  EXPECT_EQ(parse_integer<std::uint16_t>("65535"), 65'535U);
  EXPECT_FALSE(parse_integer<std::uint16_t>("65536"));
}

TEST(IgnoreCase, ComparesAsciiLettersOnly) {
  EXPECT_TRUE(equals_ignore_case("HoSt", "host"));
  EXPECT_TRUE(equals_ignore_case("", ""));
  EXPECT_FALSE(equals_ignore_case("hosts", "host"));
  EXPECT_FALSE(equals_ignore_case("hos", "host"));
  EXPECT_FALSE(equals_ignore_case("100-CONTINUE!", "100-continue"));
  // '[' is 'Z' + 1 and '{' is 'z' + 1: neither is a letter to fold.
  EXPECT_FALSE(equals_ignore_case("[", "{"));
  EXPECT_FALSE(equals_ignore_case("\xc3\x89", "\xc3\xa9"));
}

TEST(IgnoreCase, MatchesAPrefix) {
  EXPECT_TRUE(starts_with_ignore_case("HTTP://example", "http://"));
  EXPECT_TRUE(starts_with_ignore_case("anything", ""));
  EXPECT_FALSE(starts_with_ignore_case("http:/", "http://"));
  EXPECT_FALSE(starts_with_ignore_case("https://x", "http://"));
}

TEST(AppendNumber, WritesDecimalForms) {
  std::string out = "n=";
  append_number(out, 0);
  out += ',';
  append_number(out, -17);
  out += ',';
  append_number(out, std::numeric_limits<std::uint64_t>::max());
  out += ',';
  append_number(out, 0.25);
  EXPECT_EQ(out, "n=0,-17,18446744073709551615,0.25");
}

TEST(AppendJsonEscaped, EscapesQuotesBackslashesAndControls) {
  std::string out;
  append_json_escaped(out, "a\"b\\c\nd\re\tf");
  EXPECT_EQ(out, R"(a\"b\\c\nd\re\tf)");
  out.clear();
  append_json_escaped(out, std::string_view{"\x01\x1f\x7f", 3});
  EXPECT_EQ(out, R"(\u0001\u001f\u007f)");
  out.clear();
  append_json_escaped(out, std::string_view{"\0", 1});
  EXPECT_EQ(out, R"(\u0000)");
}

TEST(AppendJsonEscaped, KeepsOtherBytes) {
  std::string out;
  append_json_escaped(out, "caf\xc3\xa9 /x");
  EXPECT_EQ(out, "caf\xc3\xa9 /x");
}

}  // namespace
}  // namespace hello
