#include "read_file.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <array>
#include <cerrno>

#include "unique_fd.hpp"

namespace hello {

std::optional<std::string> read_small_file(const std::string& path) {
  const UniqueFd fd{::open(path.c_str(), O_RDONLY | O_CLOEXEC)};
  if (!fd) {
    return std::nullopt;
  }
  std::string content;
  std::array<char, 4096> chunk{};
  for (;;) {
    const auto n = ::read(fd.get(), chunk.data(), chunk.size());
    if (n < 0 && errno == EINTR) {
      continue;
    }
    if (n < 0) {
      return std::nullopt;
    }
    if (n == 0) {
      return content;
    }
    content.append(chunk.data(), static_cast<std::size_t>(n));
  }
}

}  // namespace hello
