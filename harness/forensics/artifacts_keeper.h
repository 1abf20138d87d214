// Keeping the files a test left (issue 14; docs/cli.md, "Artifacts"), as a launch extension
// (launcher/launch_extension.h). Before the clone it gives the sandbox a /tmp backed by a
// directory of the run's own on the host instead of a tmpfs, and an outputs directory named to
// the test in TEST_UNDECLARED_OUTPUTS_DIR; after the run it copies what the policy keeps under
// the caller's folder (DIR/tmp/..., DIR/outputs/..., and what other extensions hand it in
// DIR/forensics/...), up to a size cap, and says so in the result's `artifacts`. The run's own
// directory is removed in every case: nothing else remains on the host. `isotest run` plugs it in
// last (docs/architecture.md says why).
#pragma once

#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "artifacts_request.h"
#include "launch_extension.h"
#include "result.h"
#include "scratch_directory.h"
#include "unique_fd.h"

namespace isotest {

// Where the outputs directory appears inside the sandbox: in its /tmp, the only place where
// isotest may make a mount point (the rest of the tree is the host's).
inline constexpr const char* kOutputsInsideDir = "/tmp/.isotest-outputs";
inline constexpr const char* kOutputsVariable = "TEST_UNDECLARED_OUTPUTS_DIR";

class ArtifactsKeeper : public LaunchExtension {
 public:
  // Does nothing without an active request.
  ArtifactsKeeper(ArtifactsRequest request, char* const* environment)
      : request_(std::move(request)), environment_(environment) {}

  // Makes the run's directory (PARENT/isotest-artifacts-XXXXXX, locked, below
  // temporary_parent()), puts its tmp/ on the sandbox's /tmp in place of the tmpfs, binds its
  // outputs/ at kOutputsInsideDir and names that in TEST_UNDECLARED_OUTPUTS_DIR. Throws
  // SetupFailure when the directory cannot be made. The mount points the plan then makes in
  // /tmp (binds of host paths below /tmp, the other extensions' binds) are isotest's, never
  // kept: extensions that add binds below /tmp come before this one.
  void adjust(LaunchPlan& plan) override;

  // Keeps the files if the policy says so of the classified result, as the extensions before
  // this one left it (GoogleTest's status rules, the network lab's capture), and fills
  // `result.artifacts`; then removes the run's directory.
  void finish(RunResult& result) override;

  // What another extension keeps with the run's files (Forensics: the stack dump, the core a
  // crash left), handed over before this one's finish: kept as DIR/forensics/NAME by the same
  // policy, within the same cap (after tmp/ and outputs/, in the order handed over), and listed
  // in `paths`. Nothing without --artifacts.
  void add_file(std::string name, UniqueFd file);
  void add_text(std::string name, const std::string& text);

 private:
  struct AddedFile {
    std::string name;
    UniqueFd file;
  };

  ArtifactsRequest request_;
  char* const* environment_;
  std::optional<ScratchDirectory> scratch_;
  std::vector<std::string> mount_points_;  // "tmp/.isotest": relative to the kept folder
  std::vector<AddedFile> added_;
};

}  // namespace isotest
