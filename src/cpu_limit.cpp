#include "cpu_limit.hpp"

#include <sched.h>

#include <algorithm>
#include <cmath>
#include <string>

#include "read_file.hpp"
#include "text.hpp"

namespace hello {
namespace {

// A number as cgroup files hold it, with its trailing newline.
std::optional<long long> parse_cgroup_number(std::string_view text) {
  while (!text.empty() && (text.back() == '\n' || text.back() == ' ')) {
    text.remove_suffix(1);
  }
  return parse_integer<long long>(text);
}

std::optional<double> tighter(std::optional<double> a, std::optional<double> b) {
  if (!a) {
    return b;
  }
  if (!b) {
    return a;
  }
  return std::min(*a, *b);
}

std::optional<double> read_v2_limit(const std::string& dir) {
  auto content = read_small_file(dir + "/cpu.max");
  return content ? parse_cgroup_v2_cpu_max(*content) : std::nullopt;
}

std::optional<double> read_v1_limit(const std::string& dir) {
  auto quota = read_small_file(dir + "/cpu.cfs_quota_us");
  auto period = read_small_file(dir + "/cpu.cfs_period_us");
  return quota && period ? cgroup_v1_cpu_limit(*quota, *period) : std::nullopt;
}

// Looks at the mount root, then at the cgroup path from /proc/self/cgroup and
// each of its ancestors. Inside a container with its own cgroup namespace the
// path is "/" and the limit sits at the root; with cgroup v1 the path names
// the host's view and the container's own cgroup is mounted as the root.
std::optional<double> walk(const std::string& mount, std::string_view cgroup_path,
                           std::optional<double> (*read_limit)(const std::string&)) {
  std::optional<double> limit = read_limit(mount);
  while (!cgroup_path.empty() && cgroup_path != "/") {
    limit = tighter(limit, read_limit(mount + std::string{cgroup_path}));
    const auto slash = cgroup_path.rfind('/');
    cgroup_path = slash == std::string_view::npos ? std::string_view{} : cgroup_path.substr(0, slash);
  }
  return limit;
}

bool lists_cpu_controller(std::string_view controllers) {
  while (!controllers.empty()) {
    const auto comma = controllers.find(',');
    if (controllers.substr(0, comma) == "cpu") {
      return true;
    }
    controllers = comma == std::string_view::npos ? std::string_view{} : controllers.substr(comma + 1);
  }
  return false;
}

}  // namespace

std::optional<double> parse_cgroup_v2_cpu_max(std::string_view content) {
  const auto space = content.find(' ');
  if (space == std::string_view::npos) {
    return std::nullopt;
  }
  const auto quota_text = content.substr(0, space);
  if (quota_text == "max") {
    return std::nullopt;
  }
  // "$QUOTA $PERIOD": the same two numbers v1 keeps in two files.
  return cgroup_v1_cpu_limit(quota_text, content.substr(space + 1));
}

std::optional<double> cgroup_v1_cpu_limit(std::string_view quota_us, std::string_view period_us) {
  auto quota = parse_cgroup_number(quota_us);
  auto period = parse_cgroup_number(period_us);
  if (!quota || !period || *quota <= 0 || *period <= 0) {
    return std::nullopt;
  }
  return static_cast<double>(*quota) / static_cast<double>(*period);
}

std::optional<double> cgroup_cpu_limit(const std::string& root, std::string_view self_cgroup) {
  std::optional<double> limit;
  while (!self_cgroup.empty()) {
    const auto newline = self_cgroup.find('\n');
    const auto line = self_cgroup.substr(0, newline);
    self_cgroup = newline == std::string_view::npos ? std::string_view{} : self_cgroup.substr(newline + 1);

    // hierarchy-id:controllers:path
    const auto first = line.find(':');
    const auto second = first == std::string_view::npos ? first : line.find(':', first + 1);
    if (second == std::string_view::npos) {
      continue;
    }
    const auto controllers = line.substr(first + 1, second - first - 1);
    const auto path = line.substr(second + 1);
    if (controllers.empty()) {
      limit = tighter(limit, walk(root, path, read_v2_limit));
    } else if (lists_cpu_controller(controllers)) {
      limit = tighter(limit, walk(root + "/" + std::string{controllers}, path, read_v1_limit));
    }
  }
  return limit;
}

unsigned usable_cpus(unsigned affinity, std::optional<double> quota) {
  unsigned cpus = std::max(affinity, 1U);
  if (quota) {
    const auto from_quota = static_cast<unsigned>(std::max(1.0, std::ceil(*quota)));
    cpus = std::min(cpus, from_quota);
  }
  return cpus;
}

unsigned available_cpus() {
  cpu_set_t set;
  CPU_ZERO(&set);
  unsigned affinity = 1;
  if (sched_getaffinity(0, sizeof(set), &set) == 0) {
    affinity = static_cast<unsigned>(CPU_COUNT(&set));
  }
  std::optional<double> quota;
  if (auto self = read_small_file("/proc/self/cgroup")) {
    quota = cgroup_cpu_limit("/sys/fs/cgroup", *self);
  }
  return usable_cpus(affinity, quota);
}

}  // namespace hello
