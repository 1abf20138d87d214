// The cases of a GoogleTest binary, as `isotest gtest` finds them: the binary is checked, then
// listed (`BINARY --gtest_list_tests`) in a sandbox made like the cases' own, because listing
// runs the binary's static initialisers and main(), which can do anything: hang, start a daemon,
// crash. Whatever the listing starts dies with its sandbox.
#pragma once

#include <map>
#include <string>
#include <vector>

#include "gtest_request.h"

namespace isotest {

// A signal arrived while the cases were being listed: nothing ran, nothing is reported.
struct ListingInterrupted {
  int signal_number = 0;
};

struct Listing {
  std::vector<std::string> cases;
  // ISOTEST_NEEDS per case, as the plugin writes them to ISOTEST_LIST_NEEDS (docs/gtest-plugin.md)
  std::map<std::string, std::vector<std::string>> needs;
};

// Refuses (SetupFailure) what cannot be a test binary: a missing file, a directory, a device or
// FIFO, a file without execute permission. `request.binary` is the absolute path.
void check_binary(const GtestRequest& request, const std::string& as_given);

// Lists the cases in a sandbox launched from this process as `isotest run` would launch it, with
// the request's isolation and limit options (read by `parse_options`), the list timeout, and
// ISOTEST_LIST_NEEDS naming a file in a directory of `scratch` bound into the sandbox, so that a
// binary linked with the isotest plugin writes each case's extra `isotest run` options there.
// Throws SetupFailure when the listing failed or the binary is not a GoogleTest binary,
// ListingInterrupted on SIGINT, SIGTERM, SIGHUP or SIGQUIT.
Listing list_cases(const GtestRequest& request, const SandboxOptionsParser& parse_options,
                   const std::string& scratch);

}  // namespace isotest
