#pragma once

#include <cstdint>

namespace hello {

// Descriptors the server needs besides its client connections: those open
// when it counts (stdio, listener, signalfd, eventfd, procfs), per worker an
// epoll set, an eventfd and one connection accepted only to be refused
// with a 503, and a few spare.
[[nodiscard]] std::uint64_t reserved_descriptors(std::uint64_t open_now, unsigned workers);

// How many connections fit under an open-files limit after the reserve;
// at least 1, and never more than wanted.
[[nodiscard]] unsigned connections_within(std::uint64_t nofile_limit, std::uint64_t reserved, unsigned wanted);

}  // namespace hello
