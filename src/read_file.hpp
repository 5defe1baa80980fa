#pragma once

#include <optional>
#include <string>

namespace hello {

// Reads a small file (procfs, sysfs) whole; none if it cannot be read.
// Plain POSIX I/O keeps iostreams and their locale tables out of the
// static binary.
[[nodiscard]] std::optional<std::string> read_small_file(const std::string& path);

}  // namespace hello
