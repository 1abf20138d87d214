// What a run needs from the host's file system, and which of it the sandbox keeps visible.
//
// The sandbox mounts fresh, empty file systems on /tmp, /dev/shm (unless --share ipc) and every
// --tmpfs target. Whatever the command line needs from the host below them -- the working
// directory, the executable and its directory, existing paths named in the arguments, the
// directories the executable's RUNPATH points at, and the --keep-visible paths -- is bound back
// at the same path, and nothing else: the rest of /tmp stays the sandbox's own. The rule lives
// here, in one place: host_paths_needed() gathers what the command line names (it reads the
// host), paths_to_keep() decides what to bind and why (pure), plan_mounts() binds it.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "spec.h"

namespace isotest {

// `path` is `directory` or lies below it; both absolute and lexically normal.
bool path_is_within(std::string_view path, std::string_view directory);

// A host path the command needs, and why.
struct NeededPath {
  std::string path;             // absolute, lexically normal; may pass through symlinks
  std::string why;              // "working directory", "the executable /tmp/x/t", "--keep-visible"
  bool writable = false;        // stays writable under --read-only: the working directory only
  bool with_directory = false;  // keep the directory holding it too (an executable finds its
                                // siblings), unless that directory is a fresh mount itself
};

// Everything the command line names that exists on the host, each named as given (made
// absolute) and, where symlinks make it differ, as its real path too. Reads only metadata, the
// executable's ELF program headers and dynamic section; needs no privileges. Nothing with
// --share mount, where nothing is hidden. A --keep-visible path that does not exist is refused
// (SetupFailure).
std::vector<NeededPath> host_paths_needed(const SandboxSpec& spec, char* const* inherited,
                                          const std::string& working_directory);

// The mounts of the plan that decide what stays visible.
struct MountSurroundings {
  std::vector<std::string> fresh;         // targets of fresh mounts: they hide the host's tree
  std::vector<std::string> bind_targets;  // the caller's binds: what lies below them is theirs
  bool read_only_root = false;            // --read-only
};

// A host path bound onto itself, and why.
struct KeptPath {
  std::string path;
  std::vector<std::string> reasons;
  std::string hidden_by;  // the fresh mount that would hide it; empty when it is kept only to
                          // stay writable under --read-only
  enum class Access {
    as_host,    // no --read-only: writable where the host allows, like the rest of the tree
    read_only,  // --read-only, as the rest of the host's tree
    writable,   // --read-only, but the working directory stays writable
  };
  Access access = Access::as_host;
  // "keep /tmp/x (directory of the executable /tmp/x/t; /tmp is the sandbox's own)"
  [[nodiscard]] std::string description() const;
};

// The rule. A needed path is kept when a fresh mount would hide it, or when it must stay
// writable under --read-only; never a fresh mount's target itself (binding it would bring the
// host's directory back), never /, and never one inside a caller's bind target. A kept path
// inside another is dropped when the outer one already shows it (no fresh mount between them)
// at least as writable. Read-only under --read-only, except the working directory.
std::vector<KeptPath> paths_to_keep(const std::vector<NeededPath>& needed,
                                    const MountSurroundings& surroundings);

}  // namespace isotest
