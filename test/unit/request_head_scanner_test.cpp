#include "request_head_scanner.hpp"

#include <string>

#include <gtest/gtest.h>

namespace hello {
namespace {

using namespace std::string_literals;

TEST(RequestHeadScanner, FindsTheEndOfASimpleHead) {
  RequestHeadScanner scanner;
  const std::string head = "GET /path?q=1 HTTP/1.1\r\nHost: example\r\n\r\n";
  ASSERT_EQ(scanner.scan(head + "NEXT"), ScanStatus::complete);
  EXPECT_EQ(scanner.head_start(), 0U);
  EXPECT_EQ(scanner.head_size(), head.size());
  EXPECT_EQ(scanner.method(head), "GET");
  EXPECT_EQ(scanner.target(head), "/path?q=1");
  EXPECT_EQ(scanner.http_minor(), 1);
}

TEST(RequestHeadScanner, ReadsHttp10) {
  RequestHeadScanner scanner;
  ASSERT_EQ(scanner.scan("GET / HTTP/1.0\r\n\r\n"), ScanStatus::complete);
  EXPECT_EQ(scanner.http_minor(), 0);
}

TEST(RequestHeadScanner, ResumesWhereItStoppedAtEveryByteBoundary) {
  const std::string head = "POST /x HTTP/1.1\r\nHost: h\r\nContent-Length: 0\r\nX-Tab:\ta\tb\r\n\r\n";
  for (std::size_t split = 0; split < head.size(); ++split) {
    RequestHeadScanner scanner;
    EXPECT_EQ(scanner.scan(std::string_view{head}.substr(0, split)), ScanStatus::incomplete) << split;
    ASSERT_EQ(scanner.scan(head), ScanStatus::complete) << split;
    EXPECT_EQ(scanner.head_size(), head.size()) << split;
    EXPECT_EQ(scanner.target(head), "/x");
  }
}

TEST(RequestHeadScanner, SkipsEmptyLinesBeforeTheRequestLine) {
  RequestHeadScanner scanner;
  const std::string data = "\r\n\r\nGET / HTTP/1.1\r\nHost: h\r\n\r\n";
  ASSERT_EQ(scanner.scan(data), ScanStatus::complete);
  EXPECT_EQ(scanner.head_start(), 4U);
  EXPECT_EQ(scanner.method(data), "GET");
  EXPECT_EQ(scanner.head_size(), data.size());
}

TEST(RequestHeadScanner, StartedOnlyOnceRequestBytesArrive) {
  RequestHeadScanner scanner;
  EXPECT_FALSE(scanner.started());
  EXPECT_EQ(scanner.scan("\r\n"), ScanStatus::incomplete);
  EXPECT_FALSE(scanner.started());
  EXPECT_EQ(scanner.scan("\r\nG"), ScanStatus::incomplete);
  EXPECT_TRUE(scanner.started());
}

TEST(RequestHeadScanner, AcceptsObsTextAndTabsInValues) {
  RequestHeadScanner scanner;
  EXPECT_EQ(scanner.scan("GET / HTTP/1.1\r\nHost: h\r\nX: caf\xc3\xa9\t ok \r\n\r\n"), ScanStatus::complete);
}

struct Rejected {
  const char* name;
  std::string data;
  int status;
};

class RequestHeadScannerRejects : public ::testing::TestWithParam<Rejected> {};

TEST_P(RequestHeadScannerRejects, WithTheRightStatus) {
  const auto& bad = GetParam();
  RequestHeadScanner scanner;
  ASSERT_EQ(scanner.scan(bad.data), ScanStatus::rejected) << bad.name;
  EXPECT_EQ(scanner.reject_status(), bad.status) << bad.name;
  EXPECT_FALSE(scanner.reject_reason().empty());
}

TEST_P(RequestHeadScannerRejects, AlsoWhenFedByteByByte) {
  const auto& bad = GetParam();
  RequestHeadScanner scanner;
  auto status = ScanStatus::incomplete;
  for (std::size_t size = 1; size <= bad.data.size() && status == ScanStatus::incomplete; ++size) {
    status = scanner.scan(std::string_view{bad.data}.substr(0, size));
  }
  EXPECT_EQ(status, ScanStatus::rejected) << bad.name;
  EXPECT_EQ(scanner.reject_status(), bad.status) << bad.name;
}

INSTANTIATE_TEST_SUITE_P(
    Grammar, RequestHeadScannerRejects,
    ::testing::Values(
        Rejected{"bare_cr_request_line", "GET / HTTP/1.1\rHost: h\r\n\r\n", 400},
        Rejected{"bare_lf_request_line", "GET / HTTP/1.1\nHost: h\r\n\r\n", 400},
        Rejected{"bare_cr_value", "GET / HTTP/1.1\r\nHost: h\rX: y\r\n\r\n", 400},
        Rejected{"bare_lf_value", "GET / HTTP/1.1\r\nHost: h\nX: y\r\n\r\n", 400},
        Rejected{"bare_cr_final", "GET / HTTP/1.1\r\nHost: h\r\n\rX", 400},
        Rejected{"bare_lf_final", "GET / HTTP/1.1\r\nHost: h\r\n\n", 400},
        Rejected{"fold", "GET / HTTP/1.1\r\nHost: h\r\nX: a\r\n b\r\n\r\n", 400},
        Rejected{"space_first_header", "GET / HTTP/1.1\r\n Host: h\r\n\r\n", 400},
        Rejected{"space_before_colon", "GET / HTTP/1.1\r\nHost : h\r\n\r\n", 400},
        Rejected{"no_colon", "GET / HTTP/1.1\r\nHost\r\n\r\n", 400},
        Rejected{"empty_name", "GET / HTTP/1.1\r\n: h\r\n\r\n", 400},
        Rejected{"bad_name_char", "GET / HTTP/1.1\r\nHo(st: h\r\n\r\n", 400},
        Rejected{"nul_value", "GET / HTTP/1.1\r\nX: a\0b\r\n\r\n"s, 400},
        Rejected{"ctl_value", "GET / HTTP/1.1\r\nX: a\x02\r\n\r\n", 400},
        Rejected{"del_value", "GET / HTTP/1.1\r\nX: \x7f\r\n\r\n", 400},
        Rejected{"nul_target", "GET /\0 HTTP/1.1\r\n\r\n"s, 400},
        Rejected{"high_byte_target", "GET /\xff HTTP/1.1\r\n\r\n", 400},
        Rejected{"tab_request_line", "GET\t/ HTTP/1.1\r\n\r\n", 400}, Rejected{"no_target", "GET\r\n\r\n", 400},
        Rejected{"leading_space", " GET / HTTP/1.1\r\n\r\n", 400},
        Rejected{"double_space", "GET  / HTTP/1.1\r\n\r\n", 400},
        Rejected{"trailing_space", "GET / HTTP/1.1 \r\n\r\n", 400},
        Rejected{"extra_field", "GET / HTTP/1.1 x\r\n\r\n", 400}, Rejected{"version_2", "GET / HTTP/2.0\r\n\r\n", 400},
        Rejected{"version_missing", "GET /\r\n\r\n", 400}, Rejected{"version_lowercase", "GET / http/1.1\r\n\r\n", 400},
        Rejected{"method_not_token", "G@T / HTTP/1.1\r\n\r\n", 400},
        Rejected{"request_line_too_long", "GET /" + std::string(9000, 'a') + " HTTP/1.1\r\n\r\n", 414},
        Rejected{"empty_line_flood", std::string(10000, '\n'), 400},
        Rejected{"crlf_flood",
                 [] {
                   std::string s;
                   for (int i = 0; i < 5000; ++i) {
                     s += "\r\n";
                   }
                   return s;
                 }(),
                 414},
        Rejected{"header_section_too_large", "GET / HTTP/1.1\r\nX: " + std::string(17000, 'a') + "\r\n\r\n", 431},
        Rejected{"too_many_headers",
                 [] {
                   std::string s = "GET / HTTP/1.1\r\n";
                   for (int i = 0; i < 101; ++i) {
                     s += "X: y\r\n";
                   }
                   return s + "\r\n";
                 }(),
                 431}),
    [](const ::testing::TestParamInfo<Rejected>& param_info) { return std::string{param_info.param.name}; });

TEST(RequestHeadScanner, LimitsAreInclusive) {
  HeadLimits limits;
  limits.max_request_line = 16;
  limits.max_header_count = 2;
  limits.max_header_bytes = 64;
  {
    RequestHeadScanner scanner{limits};
    EXPECT_EQ(scanner.scan("GET /12 HTTP/1.1\r\nA: b\r\nC: d\r\n\r\n"),
              ScanStatus::complete);  // 16-byte line, 2 headers
  }
  {
    RequestHeadScanner scanner{limits};
    EXPECT_EQ(scanner.scan("GET /123 HTTP/1.1\r\n\r\n"), ScanStatus::rejected);
    EXPECT_EQ(scanner.reject_status(), 414);
  }
  {
    RequestHeadScanner scanner{limits};
    EXPECT_EQ(scanner.scan("GET / HTTP/1.1\r\nA: b\r\nC: d\r\nE: f\r\n\r\n"), ScanStatus::rejected);
    EXPECT_EQ(scanner.reject_status(), 431);
  }
}

TEST(RequestHeadScanner, ResetStartsOver) {
  RequestHeadScanner scanner;
  ASSERT_EQ(scanner.scan("BAD\r\n\r\n"), ScanStatus::rejected);
  scanner.reset();
  EXPECT_EQ(scanner.scan("GET / HTTP/1.1\r\n\r\n"), ScanStatus::complete);
}

TEST(RequestHeadScanner, RejectsARequestLineAsSoonAsItCannotBecomeValid) {
  for (const char* partial :
       {"GET / HTTP/5.6", "GET / HTTP/1.1x", "GET / HTTP/1.2", "GET / http", "G@T", "GET  /", " GET", "\r\n GET"}) {
    RequestHeadScanner scanner;
    EXPECT_EQ(scanner.scan(partial), ScanStatus::rejected) << partial;
    EXPECT_EQ(scanner.reject_status(), 400) << partial;
  }
}

TEST(RequestHeadScanner, WaitsForARequestLineThatMayStillBecomeValid) {
  for (const char* partial :
       {"", "G", "GET", "GET ", "GET /a", "GET /a ", "GET /a H", "GET /a HTTP/1.", "GET /a HTTP/1.0", "GET /a HTTP/1.1",
        "GET /a HTTP/1.1\r", "\r\n\r\nGET / HT", "OPTIONS * HTTP/1"}) {
    RequestHeadScanner scanner;
    EXPECT_EQ(scanner.scan(partial), ScanStatus::incomplete) << partial;
  }
}

TEST(RequestHeadScanner, ChecksALineArrivingAByteAtATimeAsItComes) {
  const std::string line = "GET /x HTTP/5.6\r\n";
  RequestHeadScanner scanner;
  std::size_t rejected_at = 0;
  for (std::size_t size = 1; size <= line.size(); ++size) {
    const auto status = scanner.scan(std::string_view{line}.substr(0, size));
    if (status == ScanStatus::rejected) {
      rejected_at = size;
      break;
    }
    ASSERT_EQ(status, ScanStatus::incomplete) << size;
  }
  EXPECT_EQ(rejected_at, line.find('5') + 1);
  EXPECT_EQ(scanner.reject_reason(), "unsupported HTTP version");
}

}  // namespace
}  // namespace hello
