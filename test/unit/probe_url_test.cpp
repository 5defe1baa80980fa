#include <gtest/gtest.h>

#include "probe.hpp"

namespace hello {
namespace {

TEST(ProbeUrl, ParsesHostPortAndPath) {
  auto target = parse_probe_url("http://127.0.0.1:8080/healthz");
  ASSERT_TRUE(target);
  EXPECT_EQ(target->host, "127.0.0.1");
  EXPECT_EQ(target->port, 8080);
  EXPECT_EQ(target->path, "/healthz");
  EXPECT_FALSE(target->ipv6);
}

TEST(ProbeUrl, Defaults) {
  auto target = parse_probe_url("http://10.0.0.1");
  ASSERT_TRUE(target);
  EXPECT_EQ(target->port, 80);
  EXPECT_EQ(target->path, "/");
}

TEST(ProbeUrl, LocalhostAndIpv6) {
  auto local = parse_probe_url("http://localhost:9000/readyz?full=1");
  ASSERT_TRUE(local);
  EXPECT_EQ(local->host, "127.0.0.1");
  EXPECT_EQ(local->path, "/readyz?full=1");
  auto v6 = parse_probe_url("http://[::1]:8080/x");
  ASSERT_TRUE(v6);
  EXPECT_TRUE(v6->ipv6);
  EXPECT_EQ(v6->host, "::1");
  EXPECT_EQ(v6->port, 8080);
}

TEST(ProbeUrl, RejectsWhatItCannotUse) {
  for (const char* url : {"", "127.0.0.1:8080", "https://127.0.0.1/", "http://example.com/", "http://127.0.0.1:/",
                          "http://127.0.0.1:0/", "http://127.0.0.1:70000/", "http://127.0.0.1:80x/", "http://[::1/",
                          "http://[::1]x/", "http://127.0.0.1/a b", "http://999.0.0.1/"}) {
    EXPECT_FALSE(parse_probe_url(url)) << url;
  }
}

TEST(ProbeUrl, DropsTheFragment) {
  auto target = parse_probe_url("http://127.0.0.1:8080/healthz?a=1#part");
  ASSERT_TRUE(target);
  EXPECT_EQ(target->path, "/healthz?a=1");
  auto bare = parse_probe_url("http://127.0.0.1:8080#part");
  ASSERT_TRUE(bare);
  EXPECT_EQ(bare->port, 8080);
  EXPECT_EQ(bare->path, "/");
}

TEST(StatusLine, ReadsTheCodeOfAWellFormedLine) {
  EXPECT_EQ(parse_status_line("HTTP/1.1 200 OK"), 200);
  EXPECT_EQ(parse_status_line("HTTP/1.0 204 No Content"), 204);
  EXPECT_EQ(parse_status_line("HTTP/1.1 503 Service Unavailable"), 503);
  EXPECT_EQ(parse_status_line("HTTP/1.1 200 "), 200);
  EXPECT_EQ(parse_status_line("HTTP/1.1 200"), 200);
  EXPECT_EQ(parse_status_line("HTTP/1.1 299 \tweird\treason"), 299);
}

TEST(StatusLine, RejectsEverythingElse) {
  for (const char* line :
       {"HTTP/1.1 2000", "HTTP/1.1 2000 OK", "HTTP/1.1 20 OK", "HTTP/1.1 2x0 OK", "HTTP/1.1  200 OK", "HTTP/1.1 200OK",
        "HTTP/2.0 200 OK", "HTTP/1.x 200 OK", "http/1.1 200 OK", "HTTP/1.1 200 O\x01K", "", "HTTP/1.1", "ICY 200 OK"}) {
    EXPECT_FALSE(parse_status_line(line)) << line;
  }
}

}  // namespace
}  // namespace hello
