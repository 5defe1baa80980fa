// Taking connections from the shared listeners, and refusing those over
// --max-connections.
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/epoll.h>
#include <sys/socket.h>

#include <cerrno>

#include "errno_text.hpp"
#include "peer_address.hpp"
#include "socket_io.hpp"
#include "worker.hpp"

namespace hello {
namespace {

constexpr int accepts_per_wakeup = 64;
constexpr std::int64_t accept_pause_ms = 1000;

}  // namespace

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

}  // namespace hello
