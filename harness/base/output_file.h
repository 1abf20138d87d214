// Writing a file the user named (`run --json`, `gtest --json/--junit/--timings`, `report
// --junit`): what the path is decides how it is written, so that isotest never replaces anything
// but a regular file (docs/cli.md, "--json FILE").
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace isotest {

enum class OutputMethod {
  // A regular file or a name not yet taken: the text goes to a temporary file in the same
  // directory, which then takes the name, so readers see the old file or the whole new one.
  replace_file,
  // /dev/stdout, /dev/stderr, /dev/fd/N, /proc/self/fd/N: written through the descriptor isotest
  // already holds, at its offset (opening the path anew would start a redirected file at 0).
  inherited_fd,
  // A character device or a FIFO: opened for writing and written through; never truncated,
  // replaced or created.
  write_through,
};

struct OutputDestination {
  OutputMethod method = OutputMethod::replace_file;
  std::string file;  // replace_file, write_through: the path written (a symlink's final target)
  int fd = -1;       // inherited_fd
};

// The descriptor a path names by itself: 1 for /dev/stdout, 2 for /dev/stderr, N for /dev/fd/N,
// /proc/self/fd/N and /proc/thread-self/fd/N; nullopt for any other path.
std::optional<int> descriptor_named_by(std::string_view path);

// How PATH would be written now, symlinks followed to their final target. Throws SetupFailure,
// naming the problem and the fix, for a destination isotest must not or cannot write: a
// directory, a socket, a block device, a missing or unwritable directory, a descriptor that is
// not open for writing. Callers check before the work whose output goes there, so that a run
// whose result cannot be written does not run.
OutputDestination resolve_output(const std::string& path);

// Writes TEXT to PATH as resolve_output decides at this moment. Throws SetupFailure; a regular
// destination is then left as it was (the old file, or none), never half-written.
void write_output(const std::string& path, std::string_view text);

// Writes TEXT as NAME in DIRECTORY, a folder isotest keeps files in (`--artifacts DIR`), made
// with its parents if missing: a new file, or in place of a regular file of that name, whole or
// not at all. Anything else by that name (a symbolic link, a FIFO, a directory) is refused,
// never written through. Throws SetupFailure.
void write_kept_file(const std::string& directory, std::string_view name, std::string_view text);

}  // namespace isotest
