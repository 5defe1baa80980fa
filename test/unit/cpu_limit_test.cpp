#include "cpu_limit.hpp"

#include <stdlib.h>

#include <filesystem>
#include <fstream>
#include <string>

#include <gtest/gtest.h>

namespace hello {
namespace {

TEST(CpuLimit, ParsesCgroupV2CpuMax) {
  EXPECT_EQ(parse_cgroup_v2_cpu_max("max 100000\n"), std::nullopt);
  EXPECT_DOUBLE_EQ(*parse_cgroup_v2_cpu_max("150000 100000\n"), 1.5);
  EXPECT_DOUBLE_EQ(*parse_cgroup_v2_cpu_max("50000 100000"), 0.5);
  EXPECT_EQ(parse_cgroup_v2_cpu_max(""), std::nullopt);
  EXPECT_EQ(parse_cgroup_v2_cpu_max("garbage"), std::nullopt);
  EXPECT_EQ(parse_cgroup_v2_cpu_max("100 0"), std::nullopt);
}

TEST(CpuLimit, ParsesCgroupV1Quota) {
  EXPECT_EQ(cgroup_v1_cpu_limit("-1\n", "100000\n"), std::nullopt);
  EXPECT_DOUBLE_EQ(*cgroup_v1_cpu_limit("200000\n", "100000\n"), 2.0);
  EXPECT_EQ(cgroup_v1_cpu_limit("x", "100000"), std::nullopt);
}

TEST(CpuLimit, RoundsQuotaUpAndCapsByAffinity) {
  EXPECT_EQ(usable_cpus(8, std::nullopt), 8U);
  EXPECT_EQ(usable_cpus(8, 1.5), 2U);
  EXPECT_EQ(usable_cpus(8, 0.1), 1U);
  EXPECT_EQ(usable_cpus(2, 4.0), 2U);
  EXPECT_EQ(usable_cpus(0, std::nullopt), 1U);
}

class CgroupTree : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string pattern = ::testing::TempDir() + "cgroupXXXXXX";
    ASSERT_NE(mkdtemp(pattern.data()), nullptr);
    root_ = pattern;
  }
  void TearDown() override { std::filesystem::remove_all(root_); }
  void write(const std::string& relative, const std::string& content) {
    const std::filesystem::path path = std::filesystem::path{root_} / relative;
    std::filesystem::create_directories(path.parent_path());
    std::ofstream{path} << content;
  }
  std::string root_;
};

TEST_F(CgroupTree, V2LimitAtTheRootInsideAContainer) {
  write("cpu.max", "200000 100000\n");
  EXPECT_DOUBLE_EQ(*cgroup_cpu_limit(root_, "0::/\n"), 2.0);
}

TEST_F(CgroupTree, V2TightestLimitAlongThePath) {
  write("kubepods/cpu.max", "400000 100000\n");
  write("kubepods/pod1/cpu.max", "max 100000\n");
  write("kubepods/pod1/app/cpu.max", "150000 100000\n");
  EXPECT_DOUBLE_EQ(*cgroup_cpu_limit(root_, "0::/kubepods/pod1/app\n"), 1.5);
}

TEST_F(CgroupTree, V2Unlimited) {
  write("cpu.max", "max 100000\n");
  EXPECT_EQ(cgroup_cpu_limit(root_, "0::/\n"), std::nullopt);
}

TEST_F(CgroupTree, V1CpuController) {
  write("cpu,cpuacct/docker/abc/cpu.cfs_quota_us", "50000\n");
  write("cpu,cpuacct/docker/abc/cpu.cfs_period_us", "100000\n");
  const std::string self = "12:memory:/docker/abc\n4:cpu,cpuacct:/docker/abc\n0::/\n";
  EXPECT_DOUBLE_EQ(*cgroup_cpu_limit(root_, self), 0.5);
}

TEST_F(CgroupTree, NoCgroupFilesMeansNoLimit) {
  EXPECT_EQ(cgroup_cpu_limit(root_, "0::/x\n"), std::nullopt);
  EXPECT_EQ(cgroup_cpu_limit(root_, "garbage"), std::nullopt);
}

TEST(CpuLimit, AvailableCpusIsAtLeastOneAndAtMostOnline) {
  const auto cpus = available_cpus();
  EXPECT_GE(cpus, 1U);
  EXPECT_LE(cpus, static_cast<unsigned>(sysconf(_SC_NPROCESSORS_CONF)));
}

}  // namespace
}  // namespace hello
