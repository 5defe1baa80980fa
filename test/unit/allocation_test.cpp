// "No allocation per request in the steady state", measured: this binary
// replaces the global operator new with a counting one, warms a real worker
// up on a loopback socket, then sends thousands of requests and expects the
// count not to move.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include <array>
#include <atomic>
#include <cstdlib>
#include <cstring>
#include <new>
#include <string_view>
#include <thread>
#include <variant>

#include <gtest/gtest.h>

#include "http_session.hpp"
#include "listener.hpp"
#include "worker.hpp"

namespace {
std::atomic<std::uint64_t> allocations{0};
}  // namespace

// The replaceable allocation functions; the sized and aligned forms of
// delete fall back to these.
void* operator new(std::size_t size) {
  allocations.fetch_add(1, std::memory_order_relaxed);
  if (void* memory = std::malloc(size == 0 ? 1 : size)) {
    return memory;
  }
  throw std::bad_alloc{};
}
void* operator new[](std::size_t size) { return operator new(size); }
void operator delete(void* memory) noexcept { std::free(memory); }
void operator delete[](void* memory) noexcept { std::free(memory); }
void operator delete(void* memory, std::size_t /*size*/) noexcept { std::free(memory); }
void operator delete[](void* memory, std::size_t /*size*/) noexcept { std::free(memory); }

namespace hello {
namespace {

class NoPage final : public MetricsPage {
 public:
  void render(std::string& body) override { body += "x 1\n"; }
};

TEST(Allocations, ProtocolLayerAllocatesNothingPerRequest) {
  const ResponseCatalog responses{"1.0.0", "test"};
  WorkerMetrics metrics;
  NoPage page;
  std::string scratch;
  std::string out;
  out.reserve(1 << 16);
  const std::atomic<bool> ready{true};
  SessionContext context{responses, metrics, page, scratch, "Thu, 01 Jan 1970 00:00:00 GMT", ready, false};
  HttpSession session;
  constexpr std::string_view keep_alive = "GET / HTTP/1.1\r\nHost: h\r\n\r\n";
  constexpr std::string_view pipelined =
      "GET /healthz HTTP/1.1\r\nHost: h\r\n\r\nHEAD / HTTP/1.1\r\nHost: h\r\n\r\nGET /nope HTTP/1.1\r\nHost: h\r\n\r\n"
      "POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 3\r\n\r\nabcGET /version HTTP/1.0\r\nConnection: "
      "keep-alive\r\n\r\n";
  for (int i = 0; i < 100; ++i) {
    out.clear();
    static_cast<void>(session.consume(keep_alive, context, out));
    static_cast<void>(session.consume(pipelined, context, out));
  }
  const auto before = allocations.load();
  std::size_t answered = 0;
  for (int i = 0; i < 10'000; ++i) {
    out.clear();
    answered += session.consume(keep_alive, context, out).responses;
    answered += session.consume(pipelined, context, out).responses;
  }
  EXPECT_EQ(allocations.load() - before, 0U);
  EXPECT_EQ(answered, 60'000U);
}

// A client that allocates nothing either: fixed buffers, raw syscalls.
class Client {
 public:
  explicit Client(std::uint16_t port) : fd_(::socket(AF_INET, SOCK_STREAM, 0)) {
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_port = htons(port);
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    connected_ = ::connect(fd_, reinterpret_cast<const sockaddr*>(&address), sizeof(address)) == 0;
  }
  Client(const Client&) = delete;
  Client& operator=(const Client&) = delete;
  Client(Client&&) = delete;
  Client& operator=(Client&&) = delete;
  ~Client() { ::close(fd_); }

  [[nodiscard]] bool connected() const { return connected_; }

  // Sends `request` and reads until `responses` responses with bodies ending
  // in `last_byte` have arrived (every test response here ends the same way).
  bool exchange(std::string_view request, int responses, std::string_view terminator) {
    if (::send(fd_, request.data(), request.size(), MSG_NOSIGNAL) != static_cast<ssize_t>(request.size())) {
      return false;
    }
    int seen = 0;
    std::size_t matched = 0;
    while (seen < responses) {
      const auto n = ::recv(fd_, buffer_.data(), buffer_.size(), 0);
      if (n <= 0) {
        return false;
      }
      for (ssize_t i = 0; i < n; ++i) {
        matched = buffer_[static_cast<std::size_t>(i)] == terminator[matched] ? matched + 1
                  : buffer_[static_cast<std::size_t>(i)] == terminator[0]     ? 1
                                                                              : 0;
        if (matched == terminator.size()) {
          ++seen;
          matched = 0;
        }
      }
    }
    return true;
  }

 private:
  int fd_;
  bool connected_ = false;
  std::array<char, 65536> buffer_{};
};

class WorkerAllocations : public ::testing::Test {
 protected:
  void SetUp() override {
    auto opened = open_listener("127.0.0.1", 0);
    ASSERT_TRUE(std::holds_alternative<Listener>(opened));
    listener_ = std::move(std::get<Listener>(opened));
    auto opened_metrics = open_listener("127.0.0.1", 0);
    ASSERT_TRUE(std::holds_alternative<Listener>(opened_metrics));
    metrics_listener_ = std::move(std::get<Listener>(opened_metrics));
    notify_ = UniqueFd{::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK)};
    shared_ = std::make_unique<WorkerShared>(WorkerShared{config_, logger_, responses_, metrics_, process_stats_,
                                                          state_, listener_.fd.get(), metrics_listener_.fd.get(), 1000,
                                                          notify_.get()});
    worker_ = std::make_unique<Worker>(*shared_, 0);
    state_.ready.store(true);
    thread_ = std::thread([this] { worker_->run(); });
  }
  void TearDown() override {
    worker_->force_stop();
    thread_.join();
  }

  Config config_;
  Logger logger_{LogLevel::error, LogFormat::json, -1};
  ResponseCatalog responses_{"1.0.0", "test"};
  MetricsRegistry metrics_{1, {"1.0.0", "test"}};
  CachedProcessStats process_stats_;
  ServerState state_;
  Listener listener_;
  Listener metrics_listener_;
  UniqueFd notify_;
  std::unique_ptr<WorkerShared> shared_;
  std::unique_ptr<Worker> worker_;
  std::thread thread_;
};

TEST_F(WorkerAllocations, KeepAliveAndPipelinedRequestsAllocateNothing) {
  Client client{listener_.port};
  ASSERT_TRUE(client.connected());
  constexpr std::string_view one = "GET / HTTP/1.1\r\nHost: h\r\n\r\n";
  // Four routes, each counted under its own route label; "/" last, so
  // that its body marks the end of all four answers.
  constexpr std::string_view four =
      "GET /healthz HTTP/1.1\r\nHost: h\r\n\r\nGET /nope HTTP/1.1\r\nHost: h\r\n\r\n"
      "GET /version HTTP/1.1\r\nHost: h\r\n\r\nGET / HTTP/1.1\r\nHost: h\r\n\r\n";
  for (int i = 0; i < 200; ++i) {
    ASSERT_TRUE(client.exchange(one, 1, "world!"));
    ASSERT_TRUE(client.exchange(four, 1, "world!"));
  }
  const auto before = allocations.load();
  for (int i = 0; i < 5'000; ++i) {
    ASSERT_TRUE(client.exchange(one, 1, "world!"));
    ASSERT_TRUE(client.exchange(four, 1, "world!"));
  }
  EXPECT_EQ(allocations.load() - before, 0U) << "allocations while serving 25000 requests";
}

TEST_F(WorkerAllocations, ConnectionPerRequestAllocatesNothingOnceWarm) {
  constexpr std::string_view request = "GET / HTTP/1.1\r\nHost: h\r\nConnection: close\r\n\r\n";
  // Warm-up fills the pool of connection objects; it grows to the most
  // connections one batch of events opens and closes, then stops growing.
  for (int i = 0; i < 500; ++i) {
    Client client{listener_.port};
    ASSERT_TRUE(client.exchange(request, 1, "world!"));
  }
  // The clients themselves live on the stack; only the server could allocate.
  const auto before = allocations.load();
  for (int i = 0; i < 1'000; ++i) {
    Client client{listener_.port};
    ASSERT_TRUE(client.exchange(request, 1, "world!"));
  }
  EXPECT_EQ(allocations.load() - before, 0U) << "allocations while serving 1000 connections";
}

}  // namespace
}  // namespace hello
