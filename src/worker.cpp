#include "worker.hpp"

#include <linux/sockios.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <ctime>
#include <system_error>

#include "errno_text.hpp"
#include "peer_address.hpp"

namespace hello {
namespace {

constexpr std::size_t read_buffer_size = std::size_t{64} * 1024;
// A turn reads at most this much: a few hundred pipelined requests, more
// than one turn's answers are made from, and what a connection holds
// unparsed at most when its client does not read.
constexpr std::size_t turn_read_size = std::size_t{16} * 1024;
constexpr std::size_t partial_read_size = std::size_t{16} * 1024;
constexpr int max_events = 256;
constexpr int accepts_per_wakeup = 64;
constexpr std::int64_t sweep_interval_ms = 1000;
constexpr std::int64_t accept_pause_ms = 1000;
// A warning a client can provoke is written at most this often per worker.
constexpr std::int64_t warning_interval_ms = 10'000;
constexpr std::size_t ready_list_reserve = 256;
// Lingering: how long, and how much of its input, a half-closed connection
// may take to be closed by its peer before the server closes it anyway. Long
// enough for a client to read its last answers and see the end of the
// stream; short enough that a shutdown is not held up (the shutdown timeout
// cuts it in any case).
constexpr std::int64_t linger_ms = 2000;
constexpr std::uint64_t linger_max_bytes = std::uint64_t{1} << 20U;

// epoll data for the descriptors that are not connections; connection
// pointers are never this small.
constexpr std::uint64_t listener_token = 0;
constexpr std::uint64_t wake_token = 1;
constexpr std::uint64_t metrics_listener_token = 2;

std::int64_t to_ms(const timespec& ts) { return ts.tv_sec * 1000 + ts.tv_nsec / 1'000'000; }
std::int64_t to_ns(const timespec& ts) { return ts.tv_sec * 1'000'000'000 + ts.tv_nsec; }

std::int64_t monotonic_ns() {
  timespec ts{};
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return to_ns(ts);
}

[[noreturn]] void throw_errno(const char* what) { throw std::system_error(errno, std::generic_category(), what); }

// Socket I/O on the request path. libc's read/send are thread-cancellation
// points: in a multi-threaded process each call brackets the system call
// with two atomic read-modify-writes on the thread's cancellation state.
// Workers are never cancelled, so the system calls are made directly.
ssize_t receive(int fd, char* buffer, std::size_t capacity) {
  return ::syscall(SYS_recvfrom, fd, buffer, capacity, 0, nullptr, nullptr);
}

ssize_t transmit(int fd, const char* bytes, std::size_t size) {
  return ::syscall(SYS_sendto, fd, bytes, size, MSG_NOSIGNAL, nullptr, 0);
}

// Bytes the kernel still holds for the peer: not sent yet, or sent and not
// acknowledged. They shrink as a slow reader reads, even while the socket
// stays too full to raise EPOLLOUT.
std::uint64_t unacknowledged_bytes(int fd) {
  int queued = 0;
  return ::ioctl(fd, SIOCOUTQ, &queued) == 0 && queued > 0 ? static_cast<std::uint64_t>(queued) : 0;
}

}  // namespace

class Worker::Page final : public MetricsPage {
 public:
  explicit Page(const WorkerShared& shared) : shared_(shared) {}
  void render(std::string& body) override {
    shared_.metrics.render(body, shared_.process_stats.get(), shared_.state.ready.load(std::memory_order_relaxed));
  }

 private:
  const WorkerShared& shared_;
};

Worker::Worker(const WorkerShared& shared, std::size_t index)
    : shared_(shared),
      index_(index),
      metrics_(shared.metrics.worker(index)),
      epoll_(::epoll_create1(EPOLL_CLOEXEC)),
      wake_(::eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC)),
      page_(std::make_unique<Page>(shared)),
      read_buffer_(std::make_unique_for_overwrite<char[]>(read_buffer_size)),
      refusal_warnings_(warning_interval_ms),
      accept_warnings_(warning_interval_ms) {
  if (!epoll_) {
    throw_errno("epoll_create1");
  }
  if (!wake_) {
    throw_errno("eventfd");
  }
  epoll_event wake_event{};
  wake_event.events = EPOLLIN;
  wake_event.data.u64 = wake_token;
  if (::epoll_ctl(epoll_.get(), EPOLL_CTL_ADD, wake_.get(), &wake_event) != 0) {
    throw_errno("epoll_ctl(eventfd)");
  }
  resume_accepting();
  if (!listening_) {
    throw_errno("epoll_ctl(listener)");
  }
  output_.reserve(read_buffer_size);
  ready_.reserve(ready_list_reserve);
  serving_.reserve(ready_list_reserve);
  context_ = std::make_unique<SessionContext>(SessionContext{
      shared.responses, metrics_, *page_, scratch_, std::string_view{}, shared.state.ready, false, &monotonic_ns, 0});
  refresh_clock();
}

Worker::~Worker() = default;

Result<std::unique_ptr<Worker>> make_worker(const WorkerShared& shared, std::size_t index) {
  try {
    return std::make_unique<Worker>(shared, index);
  } catch (const std::exception& error) {
    return std::string{error.what()};
  }
}

void Worker::command(unsigned bit) {
  commands_.fetch_or(bit, std::memory_order_release);
  const std::uint64_t one = 1;
  // A full eventfd counter still wakes the loop; nothing to handle.
  [[maybe_unused]] const auto written = ::write(wake_.get(), &one, sizeof(one));
}

void Worker::refresh_clock() {
  timespec monotonic{};
  clock_gettime(CLOCK_MONOTONIC, &monotonic);
  now_ms_ = to_ms(monotonic);
  batch_start_ns_ = to_ns(monotonic);
  timespec wall{};
  clock_gettime(CLOCK_REALTIME_COARSE, &wall);
  context_->date = date_.get(wall.tv_sec);
}

void Worker::run() {
  std::array<epoll_event, max_events> events{};
  next_sweep_ms_ = now_ms_ + sweep_interval_ms;
  bool forced = false;
  while (!forced && !(stopping_ && pool_.open_count() == 0)) {
    // While connections have work left, only look for new events.
    const auto timeout = ready_.empty() ? static_cast<int>(std::max<std::int64_t>(0, next_sweep_ms_ - now_ms_)) : 0;
    const int ready = ::epoll_wait(epoll_.get(), events.data(), max_events, timeout);
    if (ready < 0 && errno != EINTR) {
      throw_errno("epoll_wait");
    }
    refresh_clock();
    for (int i = 0; i < ready && !forced; ++i) {
      forced = !on_event(events[static_cast<std::size_t>(i)]);
    }
    if (!forced) {
      serve_ready();
    }
    pool_.recycle_closed();
    if (now_ms_ >= next_sweep_ms_) {
      sweep_timeouts();
      pool_.recycle_closed();
      next_sweep_ms_ = now_ms_ + sweep_interval_ms;
    }
  }
  while (pool_.first_open() != nullptr) {
    close_connection(*pool_.first_open());
  }
  pool_.recycle_closed();
}

bool Worker::on_event(const epoll_event& event) {
  if (event.data.u64 == listener_token) {
    accept_connections(shared_.listen_fd, Port::application);
    return true;
  }
  if (event.data.u64 == metrics_listener_token) {
    accept_connections(shared_.metrics_listen_fd, Port::metrics);
    return true;
  }
  if (event.data.u64 == wake_token) {
    handle_commands();
    return (commands_seen_ & force_bit) == 0;
  }
  auto& connection = *static_cast<Connection*>(event.data.ptr);
  if (!connection.fd) {
    return true;  // closed earlier in this batch
  }
  if ((event.events & EPOLLERR) != 0) {
    close_connection(connection);
    return true;
  }
  if ((event.events & (EPOLLRDHUP | EPOLLHUP)) != 0) {
    connection.peer_hung_up = true;
  }
  const bool readable = (event.events & (EPOLLIN | EPOLLRDHUP | EPOLLHUP)) != 0;
  if (readable) {
    connection.input_ready = true;
  }
  if ((event.events & EPOLLOUT) != 0 && !connection.output.empty() && !on_writable(connection)) {
    return true;
  }
  // A connection on the ready list takes its turn there: one per iteration.
  if (readable && !connection.scheduled) {
    take_turn(connection, batch_start_ns_);
  }
  return true;
}

void Worker::handle_commands() {
  std::uint64_t count = 0;
  [[maybe_unused]] const auto read = ::read(wake_.get(), &count, sizeof(count));
  const auto commands = commands_.exchange(0, std::memory_order_acquire);
  commands_seen_ |= commands;
  if ((commands & stop_bit) != 0 && !stopping_) {
    stopping_ = true;
    if (listening_) {
      // Take what already waits in the accept queue: closing the listener
      // would reset those connections.
      accept_all();
      pause_accepting();
    }
    accepting_ = false;
    shared_.state.workers_not_accepting.fetch_add(1);
    const std::uint64_t one = 1;
    [[maybe_unused]] const auto written = ::write(shared_.notify_fd, &one, sizeof(one));
    for (auto* connection = pool_.first_open(); connection != nullptr;) {
      auto* next = connection->next;
      if (is_idle(*connection)) {
        // A request may be on its way: half-close and linger like any
        // other close the server decides on.
        begin_close(*connection, false);
      }
      connection = next;
    }
  }
}

void Worker::pause_accepting() {
  if (listening_) {
    ::epoll_ctl(epoll_.get(), EPOLL_CTL_DEL, shared_.listen_fd, nullptr);
    ::epoll_ctl(epoll_.get(), EPOLL_CTL_DEL, shared_.metrics_listen_fd, nullptr);
    listening_ = false;
  }
}

void Worker::resume_accepting() {
  if (listening_ || !accepting_) {
    return;
  }
  epoll_event event{};
  // Exclusive: one connection wakes one worker, not all of them.
  event.events = EPOLLIN | EPOLLEXCLUSIVE;
  event.data.u64 = listener_token;
  const bool application = ::epoll_ctl(epoll_.get(), EPOLL_CTL_ADD, shared_.listen_fd, &event) == 0;
  event.data.u64 = metrics_listener_token;
  const bool metrics = ::epoll_ctl(epoll_.get(), EPOLL_CTL_ADD, shared_.metrics_listen_fd, &event) == 0;
  listening_ = application && metrics;
  if (!listening_) {
    // Both or neither, so that pausing and resuming stay symmetric.
    ::epoll_ctl(epoll_.get(), EPOLL_CTL_DEL, shared_.listen_fd, nullptr);
    ::epoll_ctl(epoll_.get(), EPOLL_CTL_DEL, shared_.metrics_listen_fd, nullptr);
  }
}

void Worker::accept_all() {
  accept_connections(shared_.listen_fd, Port::application);
  accept_connections(shared_.metrics_listen_fd, Port::metrics);
}

Connection& Worker::acquire_connection(int fd, Port port) {
  auto& connection = pool_.acquire(fd, port);
  await_bytes(connection);
  return connection;
}

void Worker::accept_connections(int listen_fd, Port port) {
  for (int i = 0; i < accepts_per_wakeup; ++i) {
    const int fd = ::accept4(listen_fd, nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC);
    if (fd < 0) {
      if (errno == EINTR || errno == ECONNABORTED) {
        continue;
      }
      if (errno == EMFILE || errno == ENFILE || errno == ENOBUFS || errno == ENOMEM) {
        // The listener stays readable, so without a pause the loop would spin.
        if (accept_warnings_.allow(now_ms_)) {
          shared_.logger.warn(
              "accept failed; pausing accepts for 1 s",
              {{"error", errno_text(errno)}, {"worker", index_}, {"suppressed", accept_warnings_.suppressed()}});
        }
        pause_accepting();
        accept_paused_until_ms_ = now_ms_ + accept_pause_ms;
      }
      return;
    }
    if (shared_.state.open_connections.fetch_add(1, std::memory_order_relaxed) >= shared_.max_connections) {
      shared_.state.open_connections.fetch_sub(1, std::memory_order_relaxed);
      refuse(fd);
      continue;
    }
    auto& connection = acquire_connection(fd, port);
    metrics_.connections_accepted.add();
    metrics_.connections_active.add(1);
    // With TCP_DEFER_ACCEPT the first request is usually already here, so it
    // is read and answered before registering: a connection that is closed
    // at once (Connection: close) never costs an epoll_ctl. Registering
    // afterwards loses nothing, as epoll reports what is already pending.
    if (!take_turn(connection, batch_start_ns_)) {
      continue;
    }
    // Only a connection that stays open needs Nagle's algorithm off: the
    // first response never waits for an acknowledgement, and setting the
    // option sends anything held back.
    const int on = 1;
    if (::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &on, sizeof(on)) != 0 && !nodelay_warned_) {
      // Tolerable: answers may wait for an acknowledgement, nothing is lost.
      nodelay_warned_ = true;
      shared_.logger.warn("setsockopt TCP_NODELAY failed; not logged again",
                          {{"error", errno_text(errno)}, {"worker", index_}});
    }
    epoll_event event{};
    // Edge-triggered in and out, registered once: no epoll_ctl per request.
    event.events = EPOLLIN | EPOLLOUT | EPOLLRDHUP | EPOLLET;
    event.data.ptr = &connection;
    if (::epoll_ctl(epoll_.get(), EPOLL_CTL_ADD, fd, &event) != 0) {
      close_connection(connection);
      continue;
    }
    connection.registered = true;
  }
}

// Over --max-connections: answered 503 without a Connection object, parsing
// or epoll, so that a flood of connections costs little. The request is
// usually here already (TCP_DEFER_ACCEPT); it is read and dropped first, as
// closing a socket with unread input would reset it and destroy the answer.
void Worker::refuse(int fd) {
  const UniqueFd socket{fd};
  [[maybe_unused]] const auto dropped = receive(fd, read_buffer_.get(), read_buffer_size);
  output_.clear();
  append_response(output_, shared_.responses.over_capacity, context_->date, ConnectionHeader::close, true);
  [[maybe_unused]] const auto sent = transmit(fd, output_.data(), output_.size());
  metrics_.connections_refused.add();
  metrics_.count_rejection(RejectionReason::connection_limit);
  if (shared_.logger.enabled(LogLevel::debug)) {
    shared_.logger.debug("connection refused",
                         {{"peer", peer_address(fd)}, {"reason", "connection limit"}, {"worker", index_}});
  }
  if (refusal_warnings_.allow(now_ms_)) {
    shared_.logger.warn("connection limit reached; refusing connections with 503",
                        {{"max_connections", shared_.max_connections},
                         {"worker", index_},
                         {"suppressed", refusal_warnings_.suppressed()}});
  }
}

bool Worker::is_idle(const Connection& connection) {
  return connection.phase == Connection::Phase::open && connection.output.empty() && connection.input.empty() &&
         !connection.session.in_request();
}

// One turn: at most one read and one call into the session, whose output is
// limited; a connection with work left goes on the ready list for another
// turn after the next events. `start_ns`: when its bytes became readable to
// this worker, where the latency of its first answer starts. False once the
// connection is closed.
bool Worker::take_turn(Connection& connection, std::int64_t start_ns) {
  if (connection.phase != Connection::Phase::open) {
    return discard_input(connection);
  }
  if (!connection.output.empty()) {
    // Back-pressure: a client that does not read its responses gets no
    // more of them computed.
    connection.read_blocked = true;
    return true;
  }
  context_->request_start_ns = start_ns;
  if (connection.pending_requests) {
    if (!process(connection, connection.input.view(), false)) {
      return false;
    }
  } else if (!read_and_process(connection)) {
    return false;
  }
  if (connection.phase == Connection::Phase::open && connection.output.empty() &&
      (connection.pending_requests || connection.input_ready)) {
    schedule(connection);
  }
  return true;
}

// The read of a turn: one receive, its requests answered. False once the
// connection is closed.
bool Worker::read_and_process(Connection& connection) {
  const bool from_scratch = connection.input.empty();
  char* buffer = from_scratch ? read_buffer_.get() : connection.input.prepare(partial_read_size);
  const std::size_t capacity = from_scratch ? turn_read_size : connection.input.free_space();
  for (;;) {
    const auto received = receive(connection.fd.get(), buffer, capacity);
    if (received > 0) {
      const auto size = static_cast<std::size_t>(received);
      // Edge-triggered epoll does not repeat itself: a full read may have
      // left more in the socket, and an end of stream may wait behind the
      // bytes read. Either way another turn must look.
      connection.input_ready = size == capacity || connection.peer_hung_up;
      std::string_view data{buffer, size};
      if (!from_scratch) {
        connection.input.commit(size);
        data = connection.input.view();
      }
      return process(connection, data, from_scratch);
    }
    if (received == 0) {
      // The client finished sending. What it sent has been answered above.
      connection.input_ready = false;
      return begin_close(connection, true);
    }
    if (errno == EINTR) {
      continue;
    }
    if (errno == EAGAIN) {
      connection.input_ready = false;
      return true;
    }
    close_connection(connection);
    return false;
  }
}

void Worker::schedule(Connection& connection) {
  if (!connection.scheduled) {
    connection.scheduled = true;
    ready_.push_back(&connection);
  }
}

// One turn for each connection that was on the ready list when this pass
// began; those that still have work left after it wait for the next pass.
void Worker::serve_ready() {
  if (ready_.empty()) {
    return;
  }
  serving_.swap(ready_);
  for (auto* connection : serving_) {
    if (!connection->scheduled) {
      continue;  // closed since it was scheduled
    }
    connection->scheduled = false;
    take_turn(*connection, monotonic_ns());
  }
  serving_.clear();
}

bool Worker::process(Connection& connection, std::string_view input, bool from_scratch) {
  output_.clear();
  // Read per batch, not per loop iteration: a request read after the signal
  // is answered with "Connection: close" even if the iteration began before.
  context_->closing = stopping_ || shared_.state.draining.load(std::memory_order_acquire);
  const auto result = connection.session.consume(input, *context_, output_);
  if (from_scratch) {
    if (result.consumed < input.size()) {
      connection.input.append(input.substr(result.consumed));
    }
  } else {
    connection.input.consume(result.consumed);
  }
  connection.pending_requests = result.paused;
  if (result.rejection.status != 0) {
    log_rejection(connection, result.rejection);
  }

  if (result.close) {
    // Closing has deadlines of its own: flush sets one when answers stay
    // queued, finish_close the linger bound.
  } else if (connection.session.in_request() || (!connection.input.empty() && !result.paused)) {
    // A request has begun. Its clock starts with its first byte and is not
    // reset by later bytes, so a slow sender cannot hold the connection
    // forever; bytes left over after an answer are the next request's first.
    if (!connection.request_started || result.responses > 0) {
      connection.request_started = true;
      await_bytes(connection);
    }
  } else {
    await_next_request(connection);
  }

  if (!output_.empty() && !flush(connection, output_)) {
    return false;
  }
  if (result.close) {
    return begin_close(connection, result.client_done);
  }
  return true;
}

// Sends what the socket takes now. nullopt when a send error closed the
// connection; fewer bytes than given when the socket buffer is full.
std::optional<std::size_t> Worker::send_some(Connection& connection, std::string_view bytes) {
  std::size_t written = 0;
  while (written < bytes.size()) {
    const auto sent = transmit(connection.fd.get(), bytes.data() + written, bytes.size() - written);
    if (sent > 0) {
      written += static_cast<std::size_t>(sent);
      continue;
    }
    if (sent < 0 && errno == EINTR) {
      continue;
    }
    if (sent < 0 && errno == EAGAIN) {
      break;
    }
    close_connection(connection);
    return std::nullopt;
  }
  return written;
}

// A request is under way (or a response is stuck): the peer has the header
// timeout to make progress.
void Worker::await_bytes(Connection& connection) const {
  connection.deadline_ms = now_ms_ + shared_.config.header_timeout.count();
}

// Between requests: the idle timeout applies, and the next request's clock
// starts with its first byte.
void Worker::await_next_request(Connection& connection) const {
  connection.request_started = false;
  connection.deadline_ms = now_ms_ + shared_.config.idle_timeout.count();
}

// Answers are queued: a client that stops reading gets as long as one that
// stops sending (the header timeout), and any progress in that time, in
// user space or in the kernel's send queue, starts it again (expire()).
void Worker::await_send_progress(Connection& connection) const {
  connection.deadline_ms = now_ms_ + shared_.config.header_timeout.count();
  connection.send_backlog = connection.output.size() + unacknowledged_bytes(connection.fd.get());
}

bool Worker::flush(Connection& connection, std::string_view bytes) {
  const auto written = send_some(connection, bytes);
  if (!written) {
    return false;
  }
  if (*written < bytes.size()) {
    connection.output.append(bytes.substr(*written));
    await_send_progress(connection);
    // Nothing more is read or parsed until the socket takes this.
    connection.read_blocked = true;
  }
  return true;
}

bool Worker::on_writable(Connection& connection) {
  const auto pending = connection.output.view();
  const auto written = send_some(connection, pending);
  if (!written) {
    return false;
  }
  if (*written < pending.size()) {
    connection.output.consume(*written);
    if (*written > 0) {
      await_send_progress(connection);
    }
    return true;
  }
  connection.output.clear();
  if (connection.phase == Connection::Phase::closing) {
    return finish_close(connection);
  }
  if (connection.session.in_request()) {
    // The request's bytes waited in the socket while its client read: its
    // header timeout runs from now.
    connection.request_started = true;
    await_bytes(connection);
  } else if (connection.input.empty()) {
    await_next_request(connection);
  }
  if (connection.read_blocked || connection.pending_requests) {
    connection.read_blocked = false;
    schedule(connection);
  }
  return true;
}

// Every orderly close goes through here, whoever decided it: no more
// requests are read, and the connection closes once its queued answers are
// written. `peer_done`: the peer has said it sends nothing more (its own
// "Connection: close", or the end of its stream), so it need not linger.
bool Worker::begin_close(Connection& connection, bool peer_done) {
  connection.phase = Connection::Phase::closing;
  connection.peer_done = peer_done;
  connection.discarded = 0;
  connection.read_blocked = false;
  connection.input.clear();
  if (connection.output.empty()) {
    return finish_close(connection);
  }
  // Answers are still queued (on_writable finishes the close): read the
  // input away meanwhile, so a client blocked on sending gets to read.
  return discard_input(connection);
}

// The last answer has been handed to the kernel.
bool Worker::finish_close(Connection& connection) {
  if (connection.peer_done) {
    close_connection(connection);
    return false;
  }
  // The peer may still be sending. RFC 9112, section 9.6: half-close, so the
  // FIN follows the answers, and read until the peer closes too; closing now
  // would meet its late bytes with a reset that destroys the answers the
  // kernel has not delivered yet.
  ::shutdown(connection.fd.get(), SHUT_WR);
  connection.phase = Connection::Phase::lingering;
  connection.deadline_ms = now_ms_ + linger_ms;
  return discard_input(connection);
}

// Reads and drops what a closing connection receives, up to the linger
// bound; the end of the peer's stream ends the wait.
bool Worker::discard_input(Connection& connection) {
  for (;;) {
    const auto received = receive(connection.fd.get(), read_buffer_.get(), read_buffer_size);
    if (received > 0) {
      connection.discarded += static_cast<std::uint64_t>(received);
      if (connection.discarded > linger_max_bytes) {
        // Told that the connection closes, the peer keeps sending.
        close_connection(connection);
        return false;
      }
      if (static_cast<std::size_t>(received) < read_buffer_size) {
        return true;
      }
      continue;
    }
    if (received == 0) {
      connection.peer_done = true;
      if (connection.output.empty()) {
        close_connection(connection);
        return false;
      }
      return true;  // closing: the answers are written, then it closes
    }
    if (errno == EINTR) {
      continue;
    }
    if (errno == EAGAIN) {
      return true;
    }
    close_connection(connection);
    return false;
  }
}

void Worker::close_connection(Connection& connection) {
  if (connection.scheduled) {
    connection.scheduled = false;
    std::erase(ready_, &connection);
  }
  connection.fd.reset();
  connection.input.clear();
  connection.output.clear();
  shared_.state.open_connections.fetch_sub(1, std::memory_order_relaxed);
  metrics_.connections_active.add(-1);
  pool_.release(connection);
}

void Worker::sweep_timeouts() {
  if (!listening_ && !stopping_ && accept_paused_until_ms_ != 0 && now_ms_ >= accept_paused_until_ms_) {
    accept_paused_until_ms_ = 0;
    resume_accepting();
  }
  for (auto* connection = pool_.first_open(); connection != nullptr;) {
    auto* next = connection->next;
    if (connection->deadline_ms <= now_ms_) {
      expire(*connection);
    } else if (stopping_ && is_idle(*connection)) {
      // Busy when the worker stopped (its answers were still being
      // written), idle now: it closes like those that were idle then.
      begin_close(*connection, false);
    }
    connection = next;
  }
}

void Worker::expire(Connection& connection) {
  if (connection.phase == Connection::Phase::lingering) {
    close_connection(connection);
    return;
  }
  if (!connection.output.empty()) {
    // Answers are queued. A client reading slowly drains the kernel's send
    // queue without the socket ever becoming writable enough for EPOLLOUT:
    // that is progress too, and it gets another send timeout.
    const auto backlog = connection.output.size() + unacknowledged_bytes(connection.fd.get());
    if (backlog < connection.send_backlog) {
      connection.send_backlog = backlog;
      connection.deadline_ms = now_ms_ + shared_.config.header_timeout.count();
      return;
    }
    // Nothing more can be delivered.
    if (shared_.logger.enabled(LogLevel::debug)) {
      shared_.logger.debug(
          "connection closed: the peer stopped reading",
          {{"peer", peer_address(connection.fd.get())}, {"queued_bytes", backlog}, {"worker", index_}});
    }
    close_connection(connection);
    return;
  }
  if (connection.phase != Connection::Phase::open) {
    close_connection(connection);
    return;
  }
  // Idle too long, or a request too slow (answered 408): the server closes,
  // so the peer may be sending at this very moment.
  output_.clear();
  if (connection.session.append_timeout_response(*context_, output_)) {
    log_rejection(connection, timeout_rejection);
    if (!flush(connection, output_)) {
      return;
    }
  }
  begin_close(connection, false);
}

void Worker::log_rejection(const Connection& connection, const Rejection& rejection) const {
  if (!shared_.logger.enabled(LogLevel::debug)) {
    return;
  }
  shared_.logger.debug("request rejected", {{"status", rejection.status},
                                            {"reason", rejection.reason},
                                            {"peer", peer_address(connection.fd.get())},
                                            {"worker", index_}});
}

}  // namespace hello
