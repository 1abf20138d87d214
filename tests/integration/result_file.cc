#include "result_file.h"

#include <stdexcept>

#include "host_view.h"
#include "spawned_process.h"

namespace isotest::integration {

nlohmann::json load_result(const std::string& path) {
  if (!path_exists(path)) throw std::runtime_error("no result file at " + path);
  // nlohmann's parser rejects invalid UTF-8, which is exactly the consumer's view.
  return nlohmann::json::parse(read_file(path));
}

::testing::AssertionResult results_match_schema(const std::vector<std::string>& paths) {
  if (!path_exists(tools().schema)) {
    return ::testing::AssertionFailure()
           << "the result schema " << tools().schema
           << " does not exist (yet): docs/result.schema.json is part of issue 2; set "
              "ISOTEST_SCHEMA to use another file";
  }
  std::vector<std::string> argv{"/usr/bin/python3", tools().validator, tools().schema};
  argv.insert(argv.end(), paths.begin(), paths.end());
  SpawnedProcess validator(std::move(argv));
  validator.close_stdin();
  const ExitInfo exit = validator.wait();
  if (exit.exit_code == 0) return ::testing::AssertionSuccess();
  return ::testing::AssertionFailure() << "validate_result.py: " << describe(exit) << "\n"
                                       << validator.stdout_text() << validator.stderr_text();
}

}  // namespace isotest::integration
