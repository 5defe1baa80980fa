// How the server closes a connection while the client may still be sending
// (RFC 9112, section 9.6): it writes what is queued, shuts down its sending
// side, and reads and discards input for a bounded time before closing, so
// the kernel never answers the client's late bytes with a reset that would
// destroy responses not yet delivered.
#include <sys/socket.h>

#include <chrono>
#include <string>
#include <string_view>
#include <thread>

#include <gtest/gtest.h>

#include "http_client.hpp"
#include "server_process.hpp"

namespace hello::test {
namespace {

using Clock = std::chrono::steady_clock;

constexpr std::string_view get = "GET / HTTP/1.1\r\nHost: t\r\n\r\n";

// A client that reads slowly (a 4 KiB receive window) pipelines 300 GETs and
// a chunked POST, after which the server closes, and goes on sending what it
// would send next: requests the server will never read. Once the server has
// written the 301 answers to its socket, most of them still wait in its
// kernel's send queue, behind the client's small window. A plain close() with
// that unread input makes the kernel send a reset and drop the queue.
TEST(Closing, UnreadInputDoesNotDestroyQueuedResponses) {
  ServerProcess server{{}};
  RawClient client{server.port(), RawClient::Options{.receive_buffer = 4096}};
  ASSERT_TRUE(client.connected());
  constexpr int gets = 300;
  const std::string requests = repeat(get, gets) +
                               "POST / HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\n"
                               "5\r\nhello\r\n0\r\n\r\n";
  // More than the server reads at once (64 KiB), so some is still unread
  // in its socket when it closes.
  const std::string unread = repeat("GET /never-read HTTP/1.1\r\nHost: t\r\n\r\n", 4000);
  std::thread sender([&] { client.send(requests + unread); });

  int answered = 0;
  std::optional<HttpResponse> response;
  while ((response = client.read_response(true, 5s)) && response->status == 200) {
    ++answered;
  }
  sender.join();
  EXPECT_EQ(answered, gets);
  ASSERT_TRUE(response) << "no answer after " << answered << " of " << gets
                        << (client.was_reset() ? ": the connection was reset" : "");
  EXPECT_EQ(response->status, 405);
  EXPECT_EQ(response->header("connection"), "close");
  EXPECT_TRUE(client.wait_closed(5s));
  EXPECT_EQ(client.unparsed(), "");
  EXPECT_FALSE(client.was_reset());
}

// After a half-close the server discards what arrives, but not forever: a
// client that neither stops nor closes is cut off after the linger time
// (2 s, checked once a second).
TEST(Closing, LingeringEndsAfterItsTimeBound) {
  ServerProcess server{{}};
  RawClient client{server.port()};
  ASSERT_TRUE(client.send("GET / HTTP/1.1\r\nHost: t\r\nHost: u\r\n\r\n"));  // 400, then a half-close
  auto rejected = client.read_response();
  ASSERT_TRUE(rejected);
  EXPECT_EQ(rejected->status, 400);
  ASSERT_TRUE(client.wait_closed(2s));
  const auto half_closed = Clock::now();

  // Within the linger time late bytes are read and dropped...
  ASSERT_TRUE(client.send(get));
  std::this_thread::sleep_for(200ms);
  EXPECT_FALSE(client.was_reset()) << "bytes sent right after the half-close were answered with a reset";
  // ...after it the socket is closed, and the kernel answers with a reset.
  std::this_thread::sleep_for(half_closed + 3500ms - Clock::now());
  client.send(get);
  std::this_thread::sleep_for(200ms);
  EXPECT_TRUE(client.was_reset()) << "still lingering 3.5 s after the half-close";
}

// Nor for any amount of input: a client that keeps sending after it was told
// the connection closes is cut off after 1 MiB, well before the time bound.
TEST(Closing, LingeringEndsAfterItsByteBound) {
  ServerProcess server{{}};
  RawClient client{server.port()};
  ASSERT_TRUE(client.send("GET / HTTP/1.1\r\nHost: t\r\nHost: u\r\n\r\n"));
  ASSERT_TRUE(client.read_response());
  ASSERT_TRUE(client.wait_closed(2s));
  const auto half_closed = Clock::now();
  const std::string chunk(64 * 1024, 'x');
  std::size_t sent = 0;
  constexpr std::size_t give_up = std::size_t{64} << 20U;
  while (sent < give_up && client.send(chunk)) {
    sent += chunk.size();
  }
  EXPECT_LT(sent, give_up) << "the server went on reading";
  EXPECT_LT(Clock::now() - half_closed, 1500ms) << "cut off by the time bound, not the byte bound";
  EXPECT_TRUE(client.was_reset());
}

}  // namespace
}  // namespace hello::test
