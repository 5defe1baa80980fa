#include "connection_pool.hpp"

namespace hello {

Connection& ConnectionPool::acquire(int fd, Port port) {
  Connection* connection = nullptr;
  if (!spare_.empty()) {
    connection = spare_.back();
    spare_.pop_back();
  } else {
    connections_.push_back(std::make_unique<Connection>(SessionLimits{}));
    connection = connections_.back().get();
  }
  connection->session.reset(port);
  connection->fd.reset(fd);
  connection->discarded = 0;
  connection->send_backlog = 0;
  connection->phase = Connection::Phase::open;
  connection->peer_done = false;
  connection->request_started = true;
  connection->read_blocked = false;
  connection->pending_requests = false;
  connection->input_ready = true;  // with TCP_DEFER_ACCEPT, the first request
  connection->peer_hung_up = false;
  connection->scheduled = false;
  connection->registered = false;
  connection->prev = nullptr;
  connection->next = open_;
  if (open_ != nullptr) {
    open_->prev = connection;
  }
  open_ = connection;
  ++open_count_;
  return *connection;
}

void ConnectionPool::release(Connection& connection) {
  if (connection.prev != nullptr) {
    connection.prev->next = connection.next;
  } else {
    open_ = connection.next;
  }
  if (connection.next != nullptr) {
    connection.next->prev = connection.prev;
  }
  connection.prev = nullptr;
  connection.next = nullptr;
  --open_count_;
  if (connection.registered) {
    closed_.push_back(&connection);
  } else {
    // Never in the epoll set: no event of this batch can name it.
    spare_.push_back(&connection);
  }
}

void ConnectionPool::recycle_closed() {
  spare_.insert(spare_.end(), closed_.begin(), closed_.end());
  closed_.clear();
}

}  // namespace hello
