// Reading a `--json` result the way a consumer would: a strict JSON parse, then the JSON Schema
// in docs/ through tests/support/validate_result.py.
#pragma once

#include <string>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

namespace isotest::integration {

// Throws (failing the test) if the file is missing or is not valid JSON in valid UTF-8.
nlohmann::json load_result(const std::string& path);

// Success when every file validates against the schema; the validator's findings otherwise.
::testing::AssertionResult results_match_schema(const std::vector<std::string>& paths);

}  // namespace isotest::integration
