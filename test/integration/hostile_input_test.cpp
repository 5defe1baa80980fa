// Hostile and malformed input (RFC 9112): a 4xx with "Connection: close",
// then the connection closes. Never a crash, a hang or a second request
// smuggled through.
#include <string>
#include <string_view>

#include <gtest/gtest.h>

#include "http_client.hpp"
#include "shared_server.hpp"

namespace hello::test {
namespace {

using namespace std::string_literals;

struct HostileCase {
  std::string name;
  std::string request;
  int status;
};

void PrintTo(const HostileCase& value, std::ostream* out) { *out << value.name; }

class HostileInput : public WithSharedServer<::testing::TestWithParam<HostileCase>> {};

TEST_P(HostileInput, IsRejectedAndNothingAfterItIsAnswered) {
  const auto& hostile = GetParam();
  // A valid request follows each hostile one: it must never be answered.
  const auto result = exchange(port(), hostile.request + "GET /smuggled HTTP/1.1\r\nHost: t\r\n\r\n");
  ASSERT_TRUE(result.response) << "no response";
  EXPECT_EQ(result.response->status, hostile.status) << result.response->status_line;
  EXPECT_EQ(result.response->header("connection"), "close");
  EXPECT_TRUE(result.closed) << "connection left open";
  EXPECT_EQ(result.after_response.find("HTTP/1.1"), std::string::npos) << result.after_response;
  // The server is still healthy afterwards.
  auto after = http_get(port(), "/healthz");
  ASSERT_TRUE(after);
  EXPECT_EQ(after->status, 200);
}

const std::string big_target(8 * 1024 + 1, 'a');
const std::string long_header_value(16 * 1024, 'v');

std::string many_headers(int count) {
  std::string headers;
  for (int i = 0; i < count; ++i) {
    headers += "X-" + std::to_string(i) + ": v\r\n";
  }
  return headers;
}

const std::string chunked_post = "POST / HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\n";

// `count` one-byte chunks, each with a 1 KiB extension.
std::string many_extended_chunks(int count) {
  std::string chunks;
  for (int i = 0; i < count; ++i) {
    chunks += "1;name=" + std::string(1024, 'v') + "\r\nx\r\n";
  }
  return chunks;
}

INSTANTIATE_TEST_SUITE_P(
    Rfc9112, HostileInput,
    ::testing::Values(
        HostileCase{"tls_client_hello", "\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03\r\n\r\n"s, 400},
        HostileCase{"garbage_request_line", "HELLO\r\n\r\n", 400},
        HostileCase{"request_line_without_version", "GET /\r\n\r\n", 400},
        HostileCase{"unknown_http_version_2_0", "GET / HTTP/2.0\r\nHost: t\r\n\r\n", 400},
        HostileCase{"unknown_http_version_1_2", "GET / HTTP/1.2\r\nHost: t\r\n\r\n", 400},
        HostileCase{"unknown_http_version_0_9", "GET / HTTP/0.9\r\nHost: t\r\n\r\n", 400},
        HostileCase{"malformed_http_version", "GET / HTTP/1.1x\r\nHost: t\r\n\r\n", 400},
        HostileCase{"lower_case_protocol", "GET / http/1.1\r\nHost: t\r\n\r\n", 400},
        HostileCase{"double_space_in_request_line", "GET  / HTTP/1.1\r\nHost: t\r\n\r\n", 400},
        HostileCase{"space_in_target", "GET /a b HTTP/1.1\r\nHost: t\r\n\r\n", 400},
        HostileCase{"tab_in_request_line", "GET\t/ HTTP/1.1\r\nHost: t\r\n\r\n", 400},
        HostileCase{"header_without_colon", "GET / HTTP/1.1\r\nHost: t\r\nNoColonHere\r\n\r\n", 400},
        HostileCase{"whitespace_before_colon", "GET / HTTP/1.1\r\nHost : t\r\n\r\n", 400},
        HostileCase{"tab_before_colon", "GET / HTTP/1.1\r\nHost\t: t\r\n\r\n", 400},
        HostileCase{"whitespace_before_first_header", "GET / HTTP/1.1\r\n Host: t\r\n\r\n", 400},
        HostileCase{"empty_header_name", "GET / HTTP/1.1\r\nHost: t\r\n: v\r\n\r\n", 400},
        HostileCase{"nul_in_header_value", "GET / HTTP/1.1\r\nHost: t\r\nX: a\0b\r\n\r\n"s, 400},
        HostileCase{"nul_in_request_line", "GET /\0 HTTP/1.1\r\nHost: t\r\n\r\n"s, 400},
        HostileCase{"control_character_in_header_value", "GET / HTTP/1.1\r\nHost: t\r\nX: a\x01z\r\n\r\n", 400},
        HostileCase{"delete_character_in_header_value", "GET / HTTP/1.1\r\nHost: t\r\nX: a\x7fz\r\n\r\n", 400},
        HostileCase{"escape_character_in_target", "GET /\x1b[31m HTTP/1.1\r\nHost: t\r\n\r\n", 400},
        HostileCase{"http11_without_host", "GET / HTTP/1.1\r\nX: y\r\n\r\n", 400},
        HostileCase{"two_host_headers", "GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n", 400},
        HostileCase{"invalid_host_value", "GET / HTTP/1.1\r\nHost: a b\r\n\r\n", 400},
        HostileCase{"host_with_path", "GET / HTTP/1.1\r\nHost: a/b\r\n\r\n", 400},
        HostileCase{"conflicting_content_length",
                    "POST / HTTP/1.1\r\nHost: t\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\nab", 400},
        HostileCase{"repeated_content_length",
                    "POST / HTTP/1.1\r\nHost: t\r\nContent-Length: 1\r\nContent-Length: 1\r\n\r\na", 400},
        HostileCase{"content_length_list", "POST / HTTP/1.1\r\nHost: t\r\nContent-Length: 1, 1\r\n\r\na", 400},
        HostileCase{"content_length_not_a_number", "POST / HTTP/1.1\r\nHost: t\r\nContent-Length: 1x\r\n\r\n", 400},
        HostileCase{"content_length_negative", "POST / HTTP/1.1\r\nHost: t\r\nContent-Length: -1\r\n\r\n", 400},
        HostileCase{"content_length_plus_sign", "POST / HTTP/1.1\r\nHost: t\r\nContent-Length: +1\r\n\r\n", 400},
        HostileCase{"content_length_overflow",
                    "POST / HTTP/1.1\r\nHost: t\r\nContent-Length: 99999999999999999999999\r\n\r\n", 400},
        // CVE-2024-27982: a Content-Length hidden behind leading whitespace.
        HostileCase{"obfuscated_content_length", "POST / HTTP/1.1\r\nHost: t\r\n Content-Length: 5\r\n\r\nhello", 400},
        HostileCase{"transfer_encoding_with_content_length",
                    "POST / HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\nContent-Length: 3\r\n\r\n0\r\n\r\n",
                    400},
        HostileCase{"transfer_encoding_not_ending_in_chunked",
                    "POST / HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: gzip\r\n\r\n", 400},
        HostileCase{"transfer_encoding_chunked_then_gzip",
                    "POST / HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked, gzip\r\n\r\n", 400},
        HostileCase{"transfer_encoding_in_http10", "POST / HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n",
                    400},
        HostileCase{"chunk_size_not_hex",
                    "POST / HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\nab\r\n0\r\n\r\n", 400},
        HostileCase{
            "chunk_size_overflow",
            "POST / HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\nfffffffffffffffffffff\r\nab\r\n0\r\n\r\n",
            400},
        HostileCase{"chunk_longer_than_its_size",
                    "POST / HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nabc\r\n0\r\n\r\n", 400},
        HostileCase{"chunk_size_with_bare_lf",
                    "POST / HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\n2\nab\n0\n\n", 400},
        // CVE-2023-30589: a bare CR taken as a line end.
        HostileCase{"bare_cr_in_header_value", "GET / HTTP/1.1\r\nHost: t\rX-Injected: 1\r\n\r\n", 400},
        HostileCase{"bare_cr_after_request_line", "GET / HTTP/1.1\rHost: t\r\n\r\n", 400},
        HostileCase{"bare_lf_line_ends", "GET / HTTP/1.1\nHost: t\n\n", 400},
        HostileCase{"bare_lf_after_header", "GET / HTTP/1.1\r\nHost: t\nX: y\r\n\r\n", 400},
        HostileCase{"obsolete_line_folding", "GET / HTTP/1.1\r\nHost: t\r\nX: a\r\n b\r\n\r\n", 400},
        HostileCase{"obsolete_line_folding_with_tab", "GET / HTTP/1.1\r\nHost: t\r\nX: a\r\n\tb\r\n\r\n", 400},
        HostileCase{"request_line_over_8k", "GET /" + big_target + " HTTP/1.1\r\nHost: t\r\n\r\n", 414},
        HostileCase{"headers_over_16k", "GET / HTTP/1.1\r\nHost: t\r\nX: " + long_header_value + "\r\n\r\n", 431},
        HostileCase{"more_than_100_headers", "GET / HTTP/1.1\r\nHost: t\r\n" + many_headers(100) + "\r\n", 431},
        HostileCase{"body_over_1mib", "POST / HTTP/1.1\r\nHost: t\r\nContent-Length: 2097152\r\n\r\n", 413},
        HostileCase{"method_not_implemented", "BREW / HTTP/1.1\r\nHost: t\r\n\r\n", 501},
        HostileCase{"http2_preface", "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n", 400},
        // Chunk extensions and trailers count against the header limits.
        HostileCase{"chunk_extension_over_16k",
                    chunked_post + "5;e=" + std::string(17 * 1024, 'x') + "\r\nhello\r\n0\r\n\r\n", 400},
        HostileCase{"chunk_extensions_adding_up_over_16k", chunked_post + many_extended_chunks(20) + "0\r\n\r\n", 400},
        HostileCase{"trailer_fields_over_100", chunked_post + "0\r\n" + many_headers(101) + "\r\n", 431},
        HostileCase{"trailer_section_over_16k", chunked_post + "0\r\nX: " + long_header_value + "\r\n\r\n", 431}),
    [](const ::testing::TestParamInfo<HostileCase>& param_info) { return param_info.param.name; });

TEST(HostileLimits, ExactlyOneHundredHeadersAreAccepted) {
  ServerProcess server{{}};
  auto result =
      exchange(server.port(), "GET / HTTP/1.1\r\nHost: t\r\n" + many_headers(98) + "Connection: close\r\n\r\n");
  ASSERT_TRUE(result.response);
  EXPECT_EQ(result.response->status, 200);
}

TEST(HostileLimits, RequestLineOfExactly8KiBIsAccepted) {
  ServerProcess server{{}};
  // "GET " + target + " HTTP/1.1" is 8192 bytes.
  const std::string target = "/" + std::string(8192 - 4 - 9 - 1, 'a');
  auto result = exchange(server.port(), "GET " + target + " HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n");
  ASSERT_TRUE(result.response);
  EXPECT_EQ(result.response->status, 404);
}

TEST(HostileLimits, EmptyLinesBeforeARequestAreIgnored) {
  ServerProcess server{{}};
  auto result = exchange(server.port(), "\r\n\r\nGET / HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n");
  ASSERT_TRUE(result.response);
  EXPECT_EQ(result.response->status, 200);
}

TEST(HostileLimits, EndlessEmptyLinesAreCutOff) {
  ServerProcess server{{}};
  RawClient client{server.port()};
  std::string flood;
  for (int i = 0; i < 5000; ++i) {
    flood += "\r\n";
  }
  client.send(flood);
  auto response = client.read_response();
  ASSERT_TRUE(response);
  EXPECT_EQ(response->status, 414);
  EXPECT_TRUE(client.wait_closed());
}

// A request line that can no longer become valid is rejected as soon as
// that is certain, not when its line end (or the header timeout) comes.
TEST(EarlyRejection, RequestLineThatCannotBecomeValidIsRejectedAtOnce) {
  ServerProcess server{{}};
  for (const char* partial : {"GET / HTTP/5.6", "GET / HTTP/1.1x", "GET / http", "G@T / HTTP/1.1", "GET  /", " GET"}) {
    RawClient client{server.port()};
    ASSERT_TRUE(client.send(partial));               // no line end
    auto response = client.read_response(true, 3s);  // the header timeout is 10 s
    ASSERT_TRUE(response) << "'" << partial << "' not rejected before its line end";
    EXPECT_EQ(response->status, 400) << partial;
    EXPECT_EQ(response->header("connection"), "close") << partial;
  }
}

TEST(EarlyRejection, ARequestLineThatMayStillBecomeValidIsAwaited) {
  ServerProcess server{{}};
  for (const char* partial : {"GET", "GET /", "GET / HTTP/1.", "GET / HTTP/1.1", "GET / HTTP/1.1\r"}) {
    RawClient client{server.port()};
    ASSERT_TRUE(client.send(partial));
    EXPECT_FALSE(client.read_response(true, 300ms)) << "'" << partial << "' was answered before it was complete";
  }
}

}  // namespace
}  // namespace hello::test
