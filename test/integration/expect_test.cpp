// Expect: 100-continue (RFC 9110, section 10.1.1): a client that asks may
// wait before sending its body; the server answers the expectation at once,
// with 100 Continue when it will read the body, or with the final status
// when the head already decides it (finding 5: neither was sent, and the
// client got a 408).
#include <string>

#include <gtest/gtest.h>

#include "http_client.hpp"
#include "shared_server.hpp"

namespace hello::test {
namespace {

class Expect : public WithSharedServer<> {};

TEST_F(Expect, FinalStatusIsSentAtOnceWhenTheHeadDecidesIt) {
  RawClient client{port()};
  ASSERT_TRUE(client.send("POST / HTTP/1.1\r\nHost: t\r\nContent-Length: 5\r\nExpect: 100-continue\r\n\r\n"));
  // Well before the header timeout (10 s): the body is not awaited.
  auto response = client.read_response(true, 3s);
  ASSERT_TRUE(response) << "no answer without the body";
  EXPECT_EQ(response->status, 405);
  EXPECT_EQ(response->header("allow"), "GET, HEAD");
  // The client may send the body anyway or not: the server cannot tell, so
  // it closes (after reading and dropping what comes).
  EXPECT_EQ(response->header("connection"), "close");
  ASSERT_TRUE(client.send("hello"));
  EXPECT_TRUE(client.wait_closed(5s));
  EXPECT_EQ(client.unparsed(), "");
  EXPECT_FALSE(client.was_reset());
}

TEST_F(Expect, UnknownPathIsAnsweredAtOnceToo) {
  RawClient client{port()};
  ASSERT_TRUE(client.send("PUT /upload HTTP/1.1\r\nHost: t\r\nContent-Length: 100\r\nExpect: 100-continue\r\n\r\n"));
  auto response = client.read_response(true, 3s);
  ASSERT_TRUE(response);
  EXPECT_EQ(response->status, 404);
  EXPECT_EQ(response->header("connection"), "close");
}

TEST_F(Expect, ContinueIsSentWhenTheBodyWillBeRead) {
  RawClient client{port()};
  ASSERT_TRUE(client.send("GET / HTTP/1.1\r\nHost: t\r\nContent-Length: 5\r\nExpect: 100-continue\r\n\r\n"));
  auto interim = client.read_response(true, 3s);
  ASSERT_TRUE(interim) << "no 100 Continue";
  EXPECT_EQ(interim->status_line, "HTTP/1.1 100 Continue");
  EXPECT_TRUE(interim->headers.empty());
  ASSERT_TRUE(client.send("hello"));
  auto response = client.read_response();
  ASSERT_TRUE(response);
  EXPECT_EQ(response->status, 200);
  EXPECT_EQ(response->body, "Hello, world!");
  // The body was read, so the connection stays usable.
  ASSERT_TRUE(client.send("GET /healthz HTTP/1.1\r\nHost: t\r\n\r\n"));
  auto next = client.read_response();
  ASSERT_TRUE(next);
  EXPECT_EQ(next->status, 200);
}

TEST_F(Expect, ChunkedBodyGetsContinueToo) {
  RawClient client{port()};
  ASSERT_TRUE(client.send("GET / HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\nExpect: 100-Continue\r\n\r\n"));
  auto interim = client.read_response(true, 3s);
  ASSERT_TRUE(interim);
  EXPECT_EQ(interim->status, 100);
  ASSERT_TRUE(client.send("5\r\nhello\r\n0\r\n\r\n"));
  auto response = client.read_response();
  ASSERT_TRUE(response);
  EXPECT_EQ(response->status, 200);
}

TEST_F(Expect, IsIgnoredWithoutABodyAndInHttp10) {
  // No body: nothing to wait for, so no 100.
  auto no_body = exchange(port(), "GET / HTTP/1.1\r\nHost: t\r\nExpect: 100-continue\r\nConnection: close\r\n\r\n");
  ASSERT_TRUE(no_body.response);
  EXPECT_EQ(no_body.response->status, 200);
  // HTTP/1.0 knows no 100 (RFC 9110: the expectation MUST be ignored).
  auto http10 = exchange(port(), "GET / HTTP/1.0\r\nContent-Length: 5\r\nExpect: 100-continue\r\n\r\nhello");
  ASSERT_TRUE(http10.response);
  EXPECT_EQ(http10.response->status, 200);
  EXPECT_EQ(http10.after_response, "");
}

}  // namespace
}  // namespace hello::test
