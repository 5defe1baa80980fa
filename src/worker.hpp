#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "byte_buffer.hpp"
#include "config.hpp"
#include "connection_pool.hpp"
#include "http_date.hpp"
#include "http_session.hpp"
#include "log_limiter.hpp"
#include "logger.hpp"
#include "metrics.hpp"
#include "process_stats.hpp"
#include "result.hpp"
#include "unique_fd.hpp"

struct epoll_event;

namespace hello {

// State every worker reads and the main thread changes.
struct ServerState {
  std::atomic<bool> ready{false};
  // Shutting down: from the first signal on, every response closes its
  // connection.
  std::atomic<bool> draining{false};
  std::atomic<unsigned> open_connections{0};
  std::atomic<unsigned> workers_not_accepting{0};
};

// What workers share; everything but the atomics is read-only once the
// workers run.
struct WorkerShared {
  const Config& config;
  const Logger& logger;
  const ResponseCatalog& responses;
  MetricsRegistry& metrics;
  CachedProcessStats& process_stats;
  ServerState& state;
  int listen_fd;          // the application port
  int metrics_listen_fd;  // the metrics port
  unsigned max_connections;
  int notify_fd;  // eventfd: a worker stopped accepting or finished
};

// One event loop on one thread: accepts connections from the shared
// listening sockets, the application's and the metrics' (EPOLLEXCLUSIVE
// wakes one worker per connection), and
// serves them until told to stop. Each connection gets a bounded turn per
// loop iteration (one read, one limited batch of answers); one with work
// left waits on a ready list served after the events, so no connection can
// keep the others, the listener or the timeout sweep waiting.
class Worker {
 public:
  Worker(const WorkerShared& shared, std::size_t index);
  Worker(const Worker&) = delete;
  Worker& operator=(const Worker&) = delete;
  Worker(Worker&&) = delete;
  Worker& operator=(Worker&&) = delete;
  ~Worker();

  // The thread body; returns once stopped and every connection is closed.
  void run();

  // Thread-safe. Stop accepting: answer what is in flight with
  // "Connection: close", half-close idle connections, return from run() when
  // none is left (lingering ones included).
  void stop_accepting() { command(stop_bit); }
  // Thread-safe. Close every connection now and return from run().
  void force_stop() { command(force_bit); }

 private:
  class Page;

  static constexpr unsigned stop_bit = 1;
  static constexpr unsigned force_bit = 2;
  static constexpr std::size_t read_buffer_size = std::size_t{64} * 1024;
  // epoll data for the descriptors that are not connections; connection
  // pointers are never this small.
  static constexpr std::uint64_t listener_token = 0;
  static constexpr std::uint64_t wake_token = 1;
  static constexpr std::uint64_t metrics_listener_token = 2;

  void command(unsigned bit);
  // One epoll event; false when a force-stop command arrived.
  bool on_event(const epoll_event& event);
  void handle_commands();
  void accept_connections(int listen_fd, Port port);
  void accept_all();
  void refuse(int fd);
  void pause_accepting();
  void resume_accepting();
  bool take_turn(Connection& connection, std::int64_t start_ns);
  bool read_and_process(Connection& connection);
  bool on_writable(Connection& connection);
  bool process(Connection& connection, std::string_view input, bool from_scratch);
  bool flush(Connection& connection, std::string_view bytes);
  std::optional<std::size_t> send_some(Connection& connection, std::string_view bytes);
  void schedule(Connection& connection);
  void serve_ready();
  void await_bytes(Connection& connection) const;
  void await_next_request(Connection& connection) const;
  void await_send_progress(Connection& connection) const;
  bool begin_close(Connection& connection, bool peer_done);
  bool finish_close(Connection& connection);
  bool discard_input(Connection& connection);
  void close_connection(Connection& connection);
  void expire(Connection& connection);
  void log_rejection(const Connection& connection, const Rejection& rejection) const;
  Connection& acquire_connection(int fd, Port port);
  void sweep_timeouts();
  void refresh_clock();
  [[nodiscard]] static bool is_idle(const Connection& connection);

  const WorkerShared& shared_;
  std::size_t index_;
  WorkerMetrics& metrics_;
  UniqueFd epoll_;
  UniqueFd wake_;
  std::atomic<unsigned> commands_{0};

  std::unique_ptr<Page> page_;
  HttpDateCache date_;
  std::string scratch_;                  // /metrics bodies
  std::string output_;                   // responses of one read
  std::unique_ptr<char[]> read_buffer_;  // one read's bytes
  std::unique_ptr<SessionContext> context_;

  ConnectionPool pool_;
  std::vector<Connection*> ready_;    // with work left: a turn after the next events
  std::vector<Connection*> serving_;  // the ready list being served
  LogLimiter refusal_warnings_;
  LogLimiter accept_warnings_;
  bool nodelay_warned_ = false;  // TCP_NODELAY failing is logged once

  std::int64_t now_ms_ = 0;  // monotonic, refreshed per loop iteration
  std::int64_t batch_start_ns_ = 0;
  std::int64_t next_sweep_ms_ = 0;
  std::int64_t accept_paused_until_ms_ = 0;
  unsigned commands_seen_ = 0;
  bool accepting_ = true;
  bool listening_ = false;
  bool stopping_ = false;
};

// The start-up side of a worker: its constructor throws std::system_error
// when the kernel refuses a descriptor; this says so as a Result instead.
[[nodiscard]] Result<std::unique_ptr<Worker>> make_worker(const WorkerShared& shared, std::size_t index);

}  // namespace hello
