#include "exec_plan.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cerrno>

#include "exec_exit_code.h"

namespace isotest {
namespace {

bool contains(const std::vector<std::string>& env, const std::string& entry) {
  return std::find(env.begin(), env.end(), entry) != env.end();
}

TEST(ExecPlan, SearchesPathFromTheSandboxEnvironment) {
  SandboxSpec spec;
  spec.command = {"tool"};
  spec.environment = {{"PATH", "/opt/bin::/usr/bin"}};
  const ExecPlan plan = plan_exec(spec, nullptr, "/");
  EXPECT_EQ(plan.candidates,
            (std::vector<std::string>{"/opt/bin/tool", "./tool", "/usr/bin/tool"}));
}

TEST(ExecPlan, PathWithSlashIsUsedAsIs) {
  SandboxSpec spec;
  spec.command = {"./build/test"};
  const ExecPlan plan = plan_exec(spec, nullptr, "/");
  EXPECT_EQ(plan.candidates, std::vector<std::string>{"./build/test"});
}

TEST(ExecPlan, PointsTmpdirAtPrivateTmpUnlessSet) {
  SandboxSpec spec;
  spec.command = {"true"};
  char home[] = "HOME=/root";
  char* inherited[] = {home, nullptr};
  const ExecPlan plan = plan_exec(spec, inherited, "/");
  EXPECT_TRUE(contains(plan.environment, "HOME=/root"));
  EXPECT_TRUE(contains(plan.environment, "TMPDIR=/tmp"));
  EXPECT_TRUE(contains(plan.environment, "TEST_TMPDIR=/tmp"));

  spec.environment = {{"TMPDIR", "/scratch"}};
  const ExecPlan caller_set = plan_exec(spec, inherited, "/");
  EXPECT_TRUE(contains(caller_set.environment, "TMPDIR=/scratch"));
  EXPECT_FALSE(contains(caller_set.environment, "TMPDIR=/tmp"));
}

TEST(ExecPlan, ClearEnvDropsInheritedButKeepsExplicit) {
  SandboxSpec spec;
  spec.command = {"true"};
  spec.clear_environment = true;
  spec.environment = {{"A", "1"}, {"A", "2"}};
  char home[] = "HOME=/root";
  char* inherited[] = {home, nullptr};
  const ExecPlan plan = plan_exec(spec, inherited, "/");
  EXPECT_FALSE(contains(plan.environment, "HOME=/root"));
  EXPECT_TRUE(contains(plan.environment, "A=2"));
  EXPECT_FALSE(contains(plan.environment, "A=1"));
}

TEST(ExecPlan, NoTmpdirWhenTheMountNamespaceIsShared) {
  SandboxSpec spec;
  spec.command = {"true"};
  spec.share(Namespace::mount);
  const ExecPlan plan = plan_exec(spec, nullptr, "/");
  EXPECT_FALSE(contains(plan.environment, "TMPDIR=/tmp"));
}

TEST(ExecErrors, NotFoundIs127OtherwiseIs126) {
  EXPECT_EQ(exit_code_for_exec_error(ENOENT), 127);
  EXPECT_EQ(exit_code_for_exec_error(EACCES), 126);
  EXPECT_EQ(exit_code_for_exec_error(ENOEXEC), 126);
}

}  // namespace
}  // namespace isotest
