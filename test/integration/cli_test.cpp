// The command line and environment: every setting, every bad value, --probe.
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <array>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "build_info.hpp"
#include "http_client.hpp"
#include "server_process.hpp"

namespace hello::test {
namespace {

TEST(Cli, HelpPrintsUsageAndExitsZero) {
  const auto run = ServerProcess::run_to_exit({"--help"});
  EXPECT_EQ(run.exit_code, 0);
  EXPECT_NE(run.out.find("Usage: hello-server"), std::string::npos);
  for (const char* flag :
       {"--port", "--metrics-port", "HELLO_METRICS_PORT", "--threads", "--drain-delay", "--shutdown-timeout",
        "--log-level", "--log-format", "--probe", "HELLO_PORT", "HELLO_THREADS", "HELLO_DRAIN_DELAY"}) {
    EXPECT_NE(run.out.find(flag), std::string::npos) << flag;
  }
  EXPECT_TRUE(run.err.empty());
}

TEST(Cli, VersionPrintsVersionAndRevision) {
  const auto run = ServerProcess::run_to_exit({"--version"});
  EXPECT_EQ(run.exit_code, 0);
  EXPECT_EQ(run.out,
            "hello-server " + std::string{build::version} + " (revision " + std::string{build::revision} + ")\n");
}

struct BadValue {
  std::vector<std::string> args;
  std::vector<std::pair<std::string, std::string>> env;
  std::string must_mention;
};

class CliBadValue : public ::testing::TestWithParam<BadValue> {};

TEST_P(CliBadValue, ExitsTwoWithAClearMessage) {
  const auto& bad = GetParam();
  const auto run = ServerProcess::run_to_exit(bad.args, bad.env);
  EXPECT_EQ(run.exit_code, 2) << run.err;
  EXPECT_NE(run.err.find(bad.must_mention), std::string::npos) << run.err;
  EXPECT_NE(run.err.find("hello-server: "), std::string::npos) << run.err;
  EXPECT_TRUE(run.out.empty()) << run.out;
}

INSTANTIATE_TEST_SUITE_P(
    Values, CliBadValue,
    ::testing::Values(BadValue{{"--port", "abc"}, {}, "--port"}, BadValue{{"--port", "65536"}, {}, "0 to 65535"},
                      BadValue{{"--port", "-1"}, {}, "--port"}, BadValue{{"--port=8080x"}, {}, "--port"},
                      BadValue{{"--metrics-port", "abc"}, {}, "--metrics-port"},
                      BadValue{{"--metrics-port", "65536"}, {}, "0 to 65535"},
                      BadValue{{"--metrics-port", "-1"}, {}, "--metrics-port"},
                      BadValue{{"--metrics-port", ""}, {}, "--metrics-port"},
                      BadValue{{}, {{"HELLO_METRICS_PORT", "metrics"}}, "environment variable HELLO_METRICS_PORT"},
                      // One port for both would publish /metrics wherever the application is.
                      BadValue{{"--port", "8080", "--metrics-port", "8080"}, {}, "both 8080"},
                      BadValue{{"--port", "9102"}, {}, "--metrics-port"},
                      BadValue{{}, {{"HELLO_PORT", "7000"}, {"HELLO_METRICS_PORT", "7000"}}, "both 7000"},
                      BadValue{{"--threads", "many"}, {}, "--threads"}, BadValue{{"--threads", "5000"}, {}, "1024"},
                      BadValue{{"--drain-delay", "five"}, {}, "--drain-delay"},
                      BadValue{{"--drain-delay", "1.2345"}, {}, "seconds"},
                      BadValue{{"--shutdown-timeout", "0"}, {}, "--shutdown-timeout"},
                      BadValue{{"--header-timeout", "-3"}, {}, "--header-timeout"},
                      BadValue{{"--idle-timeout", ""}, {}, "--idle-timeout"},
                      BadValue{{"--max-connections", "0"}, {}, "--max-connections"},
                      BadValue{{"--log-level", "loud"}, {}, "debug, info, warn, error"},
                      BadValue{{"--log-format", "xml"}, {}, "json or text"},
                      BadValue{{"--address", "example.com"}, {}, "IPv4 or IPv6"},
                      BadValue{{"--no-such-flag", "1"}, {}, "unknown option '--no-such-flag'"},
                      BadValue{{"serve"}, {}, "unexpected argument 'serve'"}, BadValue{{"--port"}, {}, "needs a value"},
                      BadValue{{"--probe"}, {}, "needs a URL"},
                      BadValue{{}, {{"HELLO_PORT", "eighty"}}, "environment variable HELLO_PORT"},
                      BadValue{{}, {{"HELLO_THREADS", "-2"}}, "environment variable HELLO_THREADS"},
                      BadValue{{}, {{"HELLO_DRAIN_DELAY", "5s"}}, "environment variable HELLO_DRAIN_DELAY"},
                      BadValue{{}, {{"HELLO_SHUTDOWN_TIMEOUT", "x"}}, "HELLO_SHUTDOWN_TIMEOUT"},
                      BadValue{{}, {{"HELLO_LOG_FORMAT", "yaml"}}, "HELLO_LOG_FORMAT"},
                      BadValue{{}, {{"HELLO_LOG_LEVEL", "trace"}}, "HELLO_LOG_LEVEL"}));

TEST(Cli, FlagsWinOverEnvironment) {
  // The environment alone would be an error; the flag replaces it.
  ServerProcess server{
      args_and_env({"--port", "0", "--threads", "1"}, {{"HELLO_PORT", "nonsense"}, {"HELLO_THREADS", "3"}})};
  EXPECT_NE(server.log().find("\"threads\":1"), std::string::npos) << server.log();
  auto response = http_get(server.port(), "/");
  ASSERT_TRUE(response);
  EXPECT_EQ(response->status, 200);
}

TEST(Cli, EnvironmentSetsEverySetting) {
  ServerProcess server{args_and_env({},
                                    {{"HELLO_PORT", "0"},
                                     {"HELLO_METRICS_PORT", "0"},
                                     {"HELLO_ADDRESS", "127.0.0.1"},
                                     {"HELLO_THREADS", "3"},
                                     {"HELLO_DRAIN_DELAY", "0.25"},
                                     {"HELLO_SHUTDOWN_TIMEOUT", "7"},
                                     {"HELLO_MAX_CONNECTIONS", "100"},
                                     {"HELLO_LOG_FORMAT", "text"},
                                     {"HELLO_LOG_LEVEL", "info"}},
                                    false)};
  ASSERT_TRUE(server.wait_for_log(" INFO listening ", 10s)) << server.log();
  for (const char* expected : {"address=127.0.0.1", "metrics_port=", "threads=3", "max_connections=100",
                               "drain_delay_s=0.25", "shutdown_timeout_s=7"}) {
    EXPECT_NE(server.log().find(expected), std::string::npos) << expected << "\n" << server.log();
  }
}

TEST(Cli, LogsAreOneJsonObjectPerLine) {
  ServerProcess server{args({"--drain-delay", "0"})};
  server.send_signal(SIGTERM);
  ASSERT_EQ(server.wait_exit(10s), 0);
  std::size_t lines = 0;
  std::size_t start = 0;
  while (start < server.log().size()) {
    const auto end = server.log().find('\n', start);
    ASSERT_NE(end, std::string::npos) << "unterminated line";
    const auto line = server.log().substr(start, end - start);
    EXPECT_TRUE(line.starts_with("{\"time\":\"")) << line;
    EXPECT_TRUE(line.ends_with("}")) << line;
    EXPECT_NE(line.find("\"level\":\""), std::string::npos) << line;
    EXPECT_NE(line.find("\"msg\":\""), std::string::npos) << line;
    ++lines;
    start = end + 1;
  }
  EXPECT_GE(lines, 3U);  // listening, draining, stopped
}

TEST(Cli, LogLevelWarnHidesInfo) {
  ServerProcess server{args_and_env({"--port", "0", "--log-level", "warn", "--drain-delay", "0"}, {}, false)};
  std::this_thread::sleep_for(300ms);
  server.send_signal(SIGTERM);
  ASSERT_EQ(server.wait_exit(10s), 0);
  EXPECT_EQ(server.log().find("\"level\":\"info\""), std::string::npos) << server.log();
}

TEST(Cli, ThreadsDefaultToTheCpusAvailable) {
  ServerProcess server{{}};
  const auto cpus = static_cast<unsigned>(sysconf(_SC_NPROCESSORS_ONLN));
  // Without a cgroup quota below the CPU count the default is the CPU count
  // this process may use; it is never more.
  const auto at = server.log().find("\"threads\":");
  ASSERT_NE(at, std::string::npos);
  const auto threads = std::stoul(server.log().substr(at + 10));
  EXPECT_GE(threads, 1U);
  EXPECT_LE(threads, cpus);
}

TEST(Cli, PortInUseIsARuntimeErrorNamingTheAddress) {
  ServerProcess first{{}};
  const auto run = ServerProcess::run_to_exit({"--port", std::to_string(first.port()), "--address", "0.0.0.0"});
  EXPECT_EQ(run.exit_code, 1);
  EXPECT_NE(run.err.find("bind 0.0.0.0:" + std::to_string(first.port())), std::string::npos) << run.err;
}

TEST(Cli, ProbeSucceedsOnTwoHundred) {
  ServerProcess server{{}};
  const auto url = "http://127.0.0.1:" + std::to_string(server.port()) + "/healthz";
  const auto run = ServerProcess::run_to_exit({"--probe", url});
  EXPECT_EQ(run.exit_code, 0) << run.err;
  const auto localhost =
      ServerProcess::run_to_exit({"--probe", "http://localhost:" + std::to_string(server.port()) + "/readyz"});
  EXPECT_EQ(localhost.exit_code, 0) << localhost.err;
}

TEST(Cli, ProbeFailsOnNonTwoHundred) {
  ServerProcess server{{}};
  const auto run =
      ServerProcess::run_to_exit({"--probe", "http://127.0.0.1:" + std::to_string(server.port()) + "/nope"});
  EXPECT_EQ(run.exit_code, 1);
  EXPECT_NE(run.err.find("answered 404"), std::string::npos) << run.err;
}

TEST(Cli, ProbeFailsWhenNothingListens) {
  // Bind a port, then close it: nothing listens there.
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ::bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof(address));
  socklen_t length = sizeof(address);
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&address), &length);
  ::close(fd);
  const auto run =
      ServerProcess::run_to_exit({"--probe", "http://127.0.0.1:" + std::to_string(ntohs(address.sin_port)) + "/"});
  EXPECT_EQ(run.exit_code, 1);
  EXPECT_NE(run.err.find("connect"), std::string::npos) << run.err;
}

TEST(Cli, ProbeRejectsUrlsItCannotUse) {
  for (const char* url : {"https://127.0.0.1/", "http://example.com/", "ftp://x", "http://127.0.0.1:0/",
                          "http://127.0.0.1:99999/", "http://[::1/"}) {
    const auto run = ServerProcess::run_to_exit({"--probe", url});
    EXPECT_EQ(run.exit_code, 2) << url;
    EXPECT_NE(run.err.find("cannot use URL"), std::string::npos) << run.err;
  }
}

// A stand-in server for the probe: answers one connection with `answer`
// and keeps the request head it received.
class CannedServer {
 public:
  explicit CannedServer(std::string answer) : answer_(std::move(answer)), fd_(::socket(AF_INET, SOCK_STREAM, 0)) {
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    ::bind(fd_, reinterpret_cast<sockaddr*>(&address), sizeof(address));
    socklen_t length = sizeof(address);
    ::getsockname(fd_, reinterpret_cast<sockaddr*>(&address), &length);
    port_ = ntohs(address.sin_port);
    ::listen(fd_, 1);
    thread_ = std::thread([this] { serve_one(); });
  }
  CannedServer(const CannedServer&) = delete;
  CannedServer& operator=(const CannedServer&) = delete;
  CannedServer(CannedServer&&) = delete;
  CannedServer& operator=(CannedServer&&) = delete;
  ~CannedServer() {
    ::shutdown(fd_, SHUT_RDWR);
    thread_.join();
    ::close(fd_);
  }

  [[nodiscard]] std::string url(std::string_view path) const {
    return "http://127.0.0.1:" + std::to_string(port_) + std::string{path};
  }
  // The request head, once the probe has finished.
  [[nodiscard]] const std::string& request() const { return request_; }

 private:
  void serve_one() {
    const int client = ::accept(fd_, nullptr, nullptr);
    if (client < 0) {
      return;
    }
    std::array<char, 4096> buffer{};
    while (request_.find("\r\n\r\n") == std::string::npos) {
      const auto n = ::recv(client, buffer.data(), buffer.size(), 0);
      if (n <= 0) {
        break;
      }
      request_.append(buffer.data(), static_cast<std::size_t>(n));
    }
    ::send(client, answer_.data(), answer_.size(), MSG_NOSIGNAL);
    ::close(client);
  }

  std::string answer_;
  int fd_;
  std::uint16_t port_ = 0;
  std::string request_;
  std::thread thread_;
};

// Finding 10: "HTTP/1.1 2000" was taken for a 2xx status.
TEST(Cli, ProbeRejectsAMalformedStatusLine) {
  for (const char* answer : {"HTTP/1.1 2000 OK\r\n\r\n", "HTTP/1.1 20 OK\r\n\r\n", "HTTP/1.1 2xx OK\r\n\r\n",
                             "HTTP/1.1  200 OK\r\n\r\n", "HTTP/1.1 200OK\r\n\r\n", "HTTP/2.0 200 OK\r\n\r\n",
                             "HTTP/1.1 200 OK\nContent-Length: 0\n\n", "HTTP/1.1 200 OK"}) {
    CannedServer server{answer};
    const auto run = ServerProcess::run_to_exit({"--probe", server.url("/healthz")});
    EXPECT_EQ(run.exit_code, 1) << "accepted: " << answer;
    EXPECT_NE(run.err.find("not an HTTP response"), std::string::npos) << run.err;
  }
}

TEST(Cli, ProbeAcceptsEveryWellFormedTwoHundredStatusLine) {
  for (const char* answer : {"HTTP/1.1 200 OK\r\n\r\n", "HTTP/1.0 204 No Content\r\n\r\n", "HTTP/1.1 299 \r\n\r\n",
                             "HTTP/1.1 200 \r\n\r\n"}) {
    CannedServer server{answer};
    const auto run = ServerProcess::run_to_exit({"--probe", server.url("/healthz")});
    EXPECT_EQ(run.exit_code, 0) << answer << ": " << run.err;
  }
}

// Finding 10: the fragment is the client's own; it is never sent.
TEST(Cli, ProbeNeverSendsTheFragment) {
  CannedServer server{"HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n"};
  const auto run = ServerProcess::run_to_exit({"--probe", server.url("/healthz?x=1#section")});
  EXPECT_EQ(run.exit_code, 0) << run.err;
  EXPECT_TRUE(server.request().starts_with("GET /healthz?x=1 HTTP/1.1\r\n")) << server.request();
  EXPECT_EQ(server.request().find('#'), std::string::npos) << server.request();
}

}  // namespace
}  // namespace hello::test
