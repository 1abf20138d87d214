// Per-case isolation needs declared with ISOTEST_NEEDS / ISOTEST_SUITE_NEEDS, and the file
// `--gtest_list_tests` writes for them when ISOTEST_LIST_NEEDS names it (docs/gtest-plugin.md).
#pragma once

#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "isotest/gtest.h"

namespace isotest::internal {

// The `isotest run` arguments for one registered case: its suite's needs, then its own, a
// later value of an option replacing an earlier one.
std::vector<std::string> needs_of(const testing::TestInfo& info);

// {"Suite.Case": ["--memory", "512M", ...], ...} for every registered case with needs,
// written through a temporary file and rename(2). Failure is reported on stderr and exits 1,
// so discovery stops instead of silently dropping the needs.
void write_needs_file(const char* path, const testing::UnitTest& unit_test);

}  // namespace isotest::internal
