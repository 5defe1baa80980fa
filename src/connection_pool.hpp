#pragma once

#include <cstddef>
#include <memory>
#include <vector>

#include "connection.hpp"

namespace hello {

// A worker's connections: every Connection it ever made, kept for reuse so
// that a new connection allocates nothing in the steady state, and the
// intrusive list of the open ones. One thread only.
class ConnectionPool {
 public:
  // A connection for `fd`, reset to the state of a newly accepted one (its
  // deadline is the caller's) and first on the open list.
  Connection& acquire(int fd, Port port);
  // Off the open list. One the event loop may still hold an event for
  // (registered with epoll) is reused only after recycle_closed().
  void release(Connection& connection);
  // Makes the connections released during a batch of events reusable: a
  // later event of the same batch cannot reach a new connection through a
  // stale pointer.
  void recycle_closed();

  // The open list; iterate by `next`, reading it before closing a connection.
  [[nodiscard]] Connection* first_open() const { return open_; }
  [[nodiscard]] std::size_t open_count() const { return open_count_; }

 private:
  std::vector<std::unique_ptr<Connection>> connections_;  // every one ever made
  Connection* open_ = nullptr;                            // intrusive list of open ones
  std::size_t open_count_ = 0;
  std::vector<Connection*> closed_;  // closed during this batch of events
  std::vector<Connection*> spare_;   // ready for reuse
};

}  // namespace hello
