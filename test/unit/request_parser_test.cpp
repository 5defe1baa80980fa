#include "request_parser.hpp"

#include <string>

#include <gtest/gtest.h>

namespace hello {
namespace {

TEST(RequestParser, ParsesAHeadWithoutBody) {
  RequestParser parser;
  ASSERT_EQ(parser.parse_head("GET / HTTP/1.1\r\nHost: h\r\n\r\n"), ParseStatus::complete);
  EXPECT_EQ(parser.head().method, HTTP_GET);
  EXPECT_EQ(parser.head().http_minor, 1);
  EXPECT_TRUE(parser.head().keep_alive);
  EXPECT_FALSE(parser.head().has_body);
}

TEST(RequestParser, KeepAliveFollowsVersionAndConnectionHeader) {
  RequestParser parser;
  ASSERT_EQ(parser.parse_head("GET / HTTP/1.1\r\nHost: h\r\nConnection: close\r\n\r\n"), ParseStatus::complete);
  EXPECT_FALSE(parser.head().keep_alive);
  ASSERT_EQ(parser.parse_head("GET / HTTP/1.0\r\n\r\n"), ParseStatus::complete);
  EXPECT_FALSE(parser.head().keep_alive);
  EXPECT_EQ(parser.head().http_minor, 0);
  ASSERT_EQ(parser.parse_head("GET / HTTP/1.0\r\nConnection: keep-alive\r\n\r\n"), ParseStatus::complete);
  EXPECT_TRUE(parser.head().keep_alive);
}

TEST(RequestParser, Http10MayOmitHost) {
  RequestParser parser;
  EXPECT_EQ(parser.parse_head("GET / HTTP/1.0\r\n\r\n"), ParseStatus::complete);
}

TEST(RequestParser, HostRules) {
  RequestParser parser;
  EXPECT_EQ(parser.parse_head("GET / HTTP/1.1\r\n\r\n"), ParseStatus::rejected);
  EXPECT_EQ(parser.reject_status(), 400);
  EXPECT_EQ(parser.parse_head("GET / HTTP/1.1\r\nHost: a\r\nhost: b\r\n\r\n"), ParseStatus::rejected);
  EXPECT_EQ(parser.parse_head("GET / HTTP/1.1\r\nHost: a b\r\n\r\n"), ParseStatus::rejected);
  EXPECT_EQ(parser.parse_head("GET / HTTP/1.1\r\nHOST: [::1]:8080\r\n\r\n"), ParseStatus::complete);
  EXPECT_EQ(parser.parse_head("GET / HTTP/1.1\r\nHost:\r\n\r\n"), ParseStatus::complete);  // empty is allowed
  // Whitespace around the value is not part of it (RFC 9112, section 5).
  EXPECT_EQ(parser.parse_head("GET / HTTP/1.1\r\nHost: h \t\r\n\r\n"), ParseStatus::complete);
}

TEST(RequestParser, ContentLengthBodyIsConsumedExactly) {
  RequestParser parser;
  ASSERT_EQ(parser.parse_head("POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 5\r\n\r\n"), ParseStatus::needs_body);
  EXPECT_TRUE(parser.head().has_body);
  std::size_t consumed = 0;
  EXPECT_EQ(parser.parse_body("hel", consumed), ParseStatus::needs_body);
  EXPECT_EQ(consumed, 3U);
  EXPECT_EQ(parser.parse_body("loGET / HTTP/1.1", consumed), ParseStatus::complete);
  EXPECT_EQ(consumed, 2U);
}

TEST(RequestParser, ZeroContentLengthHasNoBody) {
  RequestParser parser;
  EXPECT_EQ(parser.parse_head("POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 0\r\n\r\n"), ParseStatus::complete);
  EXPECT_FALSE(parser.head().has_body);
}

TEST(RequestParser, ChunkedBodyEndsAtTheLastChunk) {
  RequestParser parser;
  ASSERT_EQ(parser.parse_head("POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n"),
            ParseStatus::needs_body);
  EXPECT_TRUE(parser.head().chunked);
  std::size_t consumed = 0;
  const std::string body = "3;ext=1\r\nabc\r\n0\r\nTrailer: x\r\n\r\n";
  EXPECT_EQ(parser.parse_body(body + "NEXT", consumed), ParseStatus::complete);
  EXPECT_EQ(consumed, body.size());
}

TEST(RequestParser, HostInTrailersIsNotASecondHost) {
  RequestParser parser;
  ASSERT_EQ(parser.parse_head("POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n"),
            ParseStatus::needs_body);
  std::size_t consumed = 0;
  EXPECT_EQ(parser.parse_body("0\r\nHost: other\r\n\r\n", consumed), ParseStatus::complete);
}

TEST(RequestParser, BodyLimit) {
  RequestParser parser{10};
  EXPECT_EQ(parser.parse_head("POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 11\r\n\r\n"), ParseStatus::rejected);
  EXPECT_EQ(parser.reject_status(), 413);
  ASSERT_EQ(parser.parse_head("POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n"),
            ParseStatus::needs_body);
  std::size_t consumed = 0;
  EXPECT_EQ(parser.parse_body("b\r\nhello world\r\n", consumed), ParseStatus::rejected);
  EXPECT_EQ(parser.reject_status(), 413);
}

TEST(RequestParser, UnknownMethodIsNotImplemented) {
  RequestParser parser;
  EXPECT_EQ(parser.parse_head("BREW / HTTP/1.1\r\nHost: h\r\n\r\n"), ParseStatus::rejected);
  EXPECT_EQ(parser.reject_status(), 501);
}

TEST(RequestParser, ConnectIsMarkedAsUpgrade) {
  RequestParser parser;
  EXPECT_EQ(parser.parse_head("CONNECT h:443 HTTP/1.1\r\nHost: h:443\r\n\r\n"), ParseStatus::complete);
  EXPECT_TRUE(parser.head().upgrade);
  EXPECT_EQ(parser.parse_head("GET / HTTP/1.1\r\nHost: h\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n\r\n"),
            ParseStatus::complete);
  EXPECT_TRUE(parser.head().upgrade);
}

struct Framing {
  const char* name;
  const char* head;
  const char* body;
};

class RequestParserRejectsFraming : public ::testing::TestWithParam<Framing> {};

TEST_P(RequestParserRejectsFraming, With400) {
  const auto& bad = GetParam();
  RequestParser parser;
  auto status = parser.parse_head(bad.head);
  if (status == ParseStatus::needs_body) {
    std::size_t consumed = 0;
    status = parser.parse_body(bad.body, consumed);
  }
  EXPECT_EQ(status, ParseStatus::rejected) << bad.name;
  EXPECT_EQ(parser.reject_status(), 400) << bad.name;
}

INSTANTIATE_TEST_SUITE_P(
    Rfc9112, RequestParserRejectsFraming,
    ::testing::Values(
        Framing{"duplicate_cl", "POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 1\r\nContent-Length: 1\r\n\r\n", "a"},
        Framing{"cl_garbage", "POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 1a\r\n\r\n", ""},
        Framing{"cl_negative", "POST / HTTP/1.1\r\nHost: h\r\nContent-Length: -5\r\n\r\n", ""},
        Framing{"cl_overflow", "POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 184467440737095516160\r\n\r\n", ""},
        Framing{"te_and_cl", "POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 1\r\nTransfer-Encoding: chunked\r\n\r\n",
                "0\r\n\r\n"},
        Framing{"te_not_chunked", "POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: gzip\r\n\r\n", ""},
        Framing{"te_chunked_not_last", "POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked, gzip\r\n\r\n", ""},
        Framing{"te_http10", "POST / HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n", "0\r\n\r\n"},
        Framing{"chunk_size_garbage", "POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n", "xyz\r\n"},
        Framing{"chunk_size_overflow", "POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n",
                "10000000000000000\r\n"},
        Framing{"chunk_data_too_long", "POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n",
                "1\r\nab\r\n"}),
    [](const ::testing::TestParamInfo<Framing>& param_info) { return std::string{param_info.param.name}; });

TEST(RequestParser, NotesExpect100Continue) {
  RequestParser parser;
  ASSERT_EQ(parser.parse_head("POST / HTTP/1.1\r\nHost: h\r\nExpect: 100-Continue \r\nContent-Length: 1\r\n\r\n"),
            ParseStatus::needs_body);
  EXPECT_TRUE(parser.head().expect_continue);
  ASSERT_EQ(parser.parse_head("POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 1\r\n\r\n"), ParseStatus::needs_body);
  EXPECT_FALSE(parser.head().expect_continue);
  ASSERT_EQ(parser.parse_head("POST / HTTP/1.1\r\nHost: h\r\nExpect: something-else\r\nContent-Length: 1\r\n\r\n"),
            ParseStatus::needs_body);
  EXPECT_FALSE(parser.head().expect_continue);
}

std::string chunked_head() { return "POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n"; }

TEST(RequestParser, ChunkExtensionsCountAgainstTheHeaderByteLimit) {
  RequestParser parser{1U << 20U, HeadLimits{.max_header_bytes = 64}};
  ASSERT_EQ(parser.parse_head(chunked_head()), ParseStatus::needs_body);
  std::size_t consumed = 0;
  // Within the limit over the whole body...
  EXPECT_EQ(parser.parse_body("1;a=" + std::string(20, 'x') + "\r\nz\r\n", consumed), ParseStatus::needs_body);
  EXPECT_EQ(parser.parse_body("1;b=" + std::string(20, 'x') + "\r\nz\r\n", consumed), ParseStatus::needs_body);
  // ...and over it, even in pieces and even when each extension is short.
  EXPECT_EQ(parser.parse_body("1;c=" + std::string(30, 'x') + "\r\nz\r\n", consumed), ParseStatus::rejected);
  EXPECT_EQ(parser.reject_status(), 400);
  EXPECT_EQ(parser.reject_reason(), "chunk extensions too long");
  // Every message starts afresh.
  ASSERT_EQ(parser.parse_head(chunked_head()), ParseStatus::needs_body);
  EXPECT_EQ(parser.parse_body("1;a=" + std::string(20, 'x') + "\r\nz\r\n0\r\n\r\n", consumed), ParseStatus::complete);
}

TEST(RequestParser, TrailersCountAgainstTheHeaderLimits) {
  RequestParser parser{1U << 20U, HeadLimits{.max_header_bytes = 64, .max_header_count = 3}};
  std::size_t consumed = 0;
  ASSERT_EQ(parser.parse_head(chunked_head()), ParseStatus::needs_body);
  EXPECT_EQ(parser.parse_body("0\r\nA: 1\r\nB: 2\r\nC: 3\r\n\r\n", consumed), ParseStatus::complete);
  ASSERT_EQ(parser.parse_head(chunked_head()), ParseStatus::needs_body);
  EXPECT_EQ(parser.parse_body("0\r\nA: 1\r\nB: 2\r\nC: 3\r\nD: 4\r\n\r\n", consumed), ParseStatus::rejected);
  EXPECT_EQ(parser.reject_status(), 431);
  EXPECT_EQ(parser.reject_reason(), "too many trailer fields");
  ASSERT_EQ(parser.parse_head(chunked_head()), ParseStatus::needs_body);
  EXPECT_EQ(parser.parse_body("0\r\nLong: " + std::string(70, 'v') + "\r\n\r\n", consumed), ParseStatus::rejected);
  EXPECT_EQ(parser.reject_status(), 431);
  EXPECT_EQ(parser.reject_reason(), "trailer section too large");
}

// The trailer section is bounded by position, so the answer does not depend
// on how the bytes were cut: a section over the limit with a bad byte after
// the limit is too large (431), one with a bad byte before it is bad (400).
TEST(RequestParser, TrailerLimitDoesNotDependOnHowTheInputIsCut) {
  const std::string over_then_bad = "0\r\nA: " + std::string(80, 'v') + "\x01\r\n\r\n";
  const std::string bad_then_over = "0\r\nA: v\x01" + std::string(80, 'v') + "\r\n\r\n";
  for (const auto& [trailer, status] : {std::pair{over_then_bad, 431}, std::pair{bad_then_over, 400}}) {
    for (std::size_t piece = 1; piece <= trailer.size(); ++piece) {
      RequestParser parser{1U << 20U, HeadLimits{.max_header_bytes = 64}};
      ASSERT_EQ(parser.parse_head(chunked_head()), ParseStatus::needs_body);
      ParseStatus result = ParseStatus::needs_body;
      for (std::size_t at = 0; at < trailer.size() && result == ParseStatus::needs_body; at += piece) {
        std::size_t consumed = 0;
        result = parser.parse_body(std::string_view{trailer}.substr(at, piece), consumed);
      }
      ASSERT_EQ(result, ParseStatus::rejected) << "piece " << piece;
      EXPECT_EQ(parser.reject_status(), status) << "piece " << piece;
    }
  }
}

}  // namespace
}  // namespace hello
