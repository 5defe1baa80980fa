#include "fd_budget.hpp"

#include <algorithm>

namespace hello {

namespace {
constexpr std::uint64_t per_worker = 3;
constexpr std::uint64_t spare = 8;
}  // namespace

std::uint64_t reserved_descriptors(std::uint64_t open_now, unsigned workers) {
  return open_now + per_worker * workers + spare;
}

unsigned connections_within(std::uint64_t nofile_limit, std::uint64_t reserved, unsigned wanted) {
  if (nofile_limit <= reserved) {
    return 1;
  }
  return static_cast<unsigned>(std::min<std::uint64_t>(wanted, nofile_limit - reserved));
}

}  // namespace hello
