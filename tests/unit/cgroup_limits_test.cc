#include <gtest/gtest.h>

#include "cgroup.h"

namespace isotest {
namespace {

// What a host without a cgroup for the sandbox lacks is every limit asked for, named as the
// result's isolation.cgroup.missing_limits names them (docs/result-json.md).
TEST(MissingLimits, ARefusedCgroupMissesEveryRequestedLimit) {
  EXPECT_TRUE(requested_limits({}).empty());
  EXPECT_EQ(requested_limits({.memory_max_bytes = 1 << 20, .pids_max = 8, .cpus = 0.5}),
            (std::vector<std::string>{"memory", "pids", "cpus"}));
  EXPECT_EQ(requested_limits({.pids_max = 8}), (std::vector<std::string>{"pids"}));
}

// One wording for `isotest run`'s refusal and warning and for `isotest doctor`.
TEST(MissingLimits, NamedByTheirOptions) {
  EXPECT_EQ(limit_options({}), "");
  EXPECT_EQ(limit_options({"memory"}), "--memory");
  EXPECT_EQ(limit_options({"memory", "pids", "cpus", "memory-swap"}),
            "--memory, --pids, --cpus, --memory-swap");
}

}  // namespace
}  // namespace isotest
