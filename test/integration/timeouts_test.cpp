// Per-request deadlines: the header timeout belongs to each request, and a
// client that reads its answers slowly but steadily is not taken for one
// that stopped reading.
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>

#include <array>
#include <atomic>
#include <cerrno>
#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>
#include <thread>

#include <gtest/gtest.h>

#include "http_client.hpp"
#include "server_process.hpp"

namespace hello::test {
namespace {

using Clock = std::chrono::steady_clock;

// Each read ends inside the next request, so no read ever ends on a request
// boundary; each request completes half a second after its first byte. The
// first request's clock must not run on into the ones after it (finding 3:
// the sixth request got a 408).
TEST(RequestTimeouts, HeaderTimeoutStartsAgainWithEachPipelinedRequest) {
  ServerProcess server{args({"--header-timeout", "2"})};
  RawClient client{server.port()};
  constexpr std::string_view head_start = "GET / HT";
  constexpr std::string_view head_rest = "TP/1.1\r\nHost: t\r\n\r\n";
  ASSERT_TRUE(client.send(std::string{"GET / HTTP/1.1\r\nHost: t\r\n\r\n"} + std::string{head_start}));
  auto first = client.read_response();
  ASSERT_TRUE(first);
  ASSERT_EQ(first->status, 200);
  constexpr int requests = 8;  // 4 s in all, twice the header timeout
  for (int i = 0; i < requests; ++i) {
    std::this_thread::sleep_for(500ms);
    ASSERT_TRUE(client.send(std::string{head_rest} + std::string{head_start})) << "request " << i + 2;
    auto response = client.read_response();
    ASSERT_TRUE(response) << "request " << i + 2 << " unanswered";
    ASSERT_EQ(response->status, 200) << "request " << i + 2 << ": " << response->status_line;
  }
}

// Far more answers than the socket buffers hold: about 11 MB.
const std::string many_requests = repeat("GET /version HTTP/1.1\r\nHost: t\r\n\r\n", 60'000);

// Sends `bytes` while the socket takes them, until done or told to stop.
void send_until_stopped(RawClient& client, std::string_view bytes, const std::atomic<bool>& stop) {
  while (!bytes.empty() && !stop.load()) {
    const auto n = client.send_now(bytes);
    if (n < 0) {
      return;
    }
    if (n == 0) {
      std::this_thread::sleep_for(20ms);
      continue;
    }
    bytes.remove_prefix(static_cast<std::size_t>(n));
  }
}

// A client reading about 60 KB/s: the kernel's send buffer drains without
// ever raising EPOLLOUT in time, so the server's own sends stall while the
// client makes progress (finding 4: reset after 11 s with the default
// timeout, after about 4 s with a 3 s one). The server sees the progress in
// its send queue, which shrinks a receive window at a time (64 KB on
// loopback): about once a second here, well within the timeout.
TEST(SendTimeout, SlowButSteadyReaderIsNotCutOff) {
  ServerProcess server{args({"--header-timeout", "3", "--threads", "1"})};
  RawClient client{server.port()};
  ASSERT_TRUE(client.connected());
  std::atomic<bool> stop{false};
  std::thread sender([&] { send_until_stopped(client, many_requests, stop); });
  constexpr std::size_t read_size = 4096;
  constexpr auto pause_per_read = 68ms;  // 4096 bytes each: about 60 KB/s
  std::array<char, read_size> buffer{};
  std::uint64_t received = 0;
  int error = 0;
  bool ended = false;
  const auto start = Clock::now();
  while (Clock::now() - start < 9s) {  // three times the timeout
    pollfd descriptor{client.fd(), POLLIN, 0};
    if (::poll(&descriptor, 1, 5000) <= 0) {
      break;
    }
    const auto n = ::recv(client.fd(), buffer.data(), buffer.size(), 0);
    if (n <= 0) {
      ended = true;
      error = n < 0 ? errno : 0;
      break;
    }
    received += static_cast<std::uint64_t>(n);
    std::this_thread::sleep_for(pause_per_read);
  }
  const auto elapsed = std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - start).count();
  stop.store(true);
  ::shutdown(client.fd(), SHUT_RDWR);
  sender.join();
  EXPECT_FALSE(ended) << "the server ended the connection after " << received << " bytes and " << elapsed
                      << " ms (errno " << error << ")";
  EXPECT_GE(elapsed, 9000) << "reading stalled after " << received << " bytes";
  EXPECT_GT(received, 100'000U);
}

// The other side of it: a client that stops reading altogether is cut off
// once the send timeout passes without progress.
TEST(SendTimeout, ReaderThatStopsIsCutOff) {
  ServerProcess server{args({"--header-timeout", "1", "--threads", "1"})};
  RawClient client{server.port()};
  ASSERT_TRUE(client.connected());
  std::atomic<bool> stop{false};
  std::thread sender([&] { send_until_stopped(client, many_requests, stop); });
  ASSERT_TRUE(client.read_response());
  // From here on nothing is read. The connection must leave ESTABLISHED
  // (the server resets it: its answers can no longer be delivered).
  const auto start = Clock::now();
  std::uint8_t state = TCP_ESTABLISHED;
  while (state == TCP_ESTABLISHED && Clock::now() - start < 15s) {
    std::this_thread::sleep_for(100ms);
    tcp_info info{};
    socklen_t size = sizeof(info);
    if (::getsockopt(client.fd(), IPPROTO_TCP, TCP_INFO, &info, &size) == 0) {
      state = info.tcpi_state;
    }
  }
  stop.store(true);
  ::shutdown(client.fd(), SHUT_RDWR);
  sender.join();
  EXPECT_NE(state, TCP_ESTABLISHED) << "still open 15 s after the client stopped reading";
}

}  // namespace
}  // namespace hello::test
