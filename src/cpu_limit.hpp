#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace hello {

// CPUs a cgroup v2 "cpu.max" allows: "150000 100000" -> 1.5; "max 100000" -> none.
[[nodiscard]] std::optional<double> parse_cgroup_v2_cpu_max(std::string_view content);

// CPUs a cgroup v1 CFS quota allows; a quota of -1 means unlimited.
[[nodiscard]] std::optional<double> cgroup_v1_cpu_limit(std::string_view quota_us, std::string_view period_us);

// The tightest CPU limit of the cgroup this process is in (and its
// ancestors), as a fraction of CPUs; none when unlimited. `root` is where the
// cgroup file system is mounted, `self_cgroup` the text of /proc/self/cgroup.
[[nodiscard]] std::optional<double> cgroup_cpu_limit(const std::string& root, std::string_view self_cgroup);

// Whole CPUs for `affinity` schedulable CPUs under an optional quota:
// a quota of 1.5 allows 2 busy threads only half the time, so round up.
[[nodiscard]] unsigned usable_cpus(unsigned affinity, std::optional<double> quota);

// The number of worker threads to run when none is configured: the CPUs this
// process may be scheduled on, capped by its cgroup CPU quota (a pod's limit).
[[nodiscard]] unsigned available_cpus();

}  // namespace hello
