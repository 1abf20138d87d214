#include "host_paths.h"

#include <fcntl.h>
#include <sys/stat.h>

#include <algorithm>
#include <cerrno>
#include <filesystem>

#include "elf_dynamic.h"
#include "exec_plan.h"
#include "sandbox_environment.h"
#include "setup_error.h"
#include "unique_fd.h"

namespace isotest {

namespace fs = std::filesystem;

namespace {

// `text` made absolute against `base`, as the kernel would look it up from there.
std::string absolute_path(const std::string& base, std::string_view text) {
  fs::path path(text);
  if (path.is_relative()) path = fs::path(base) / path;
  return path.string();
}

// "/tmp/x/../y/" as "/tmp/y": the form the rule compares and the plan mounts on.
std::string lexically_normal(const std::string& path) {
  std::string normal = fs::path(path).lexically_normal().string();
  if (normal.size() > 1 && normal.ends_with('/')) normal.pop_back();
  return normal;
}

bool exists(const std::string& path) {
  struct stat info {};
  return ::stat(path.c_str(), &info) == 0;
}

// The file the sandbox will execute, as a host path: the candidate execvp would run, or else the
// first one that exists, so that a file that is not executable still fails inside as it does on
// the host (126), not as missing (127). Empty when there is none.
std::string executable_on_host(const std::vector<std::string>& candidates,
                               const std::string& working_directory) {
  if (std::string runnable = find_executable(candidates, working_directory); !runnable.empty()) {
    return runnable;
  }
  for (const auto& candidate : candidates) {
    std::string path = absolute_path(working_directory, candidate);
    if (exists(path)) return path;
  }
  return {};
}

// The directories the dynamic loader searches first for `executable`'s libraries, with $ORIGIN
// (the directory of the executable's real path, as ld.so takes it from /proc/self/exe)
// expanded. Entries with other tokens ($LIB, $PLATFORM) are left out; relative ones are
// relative to the working directory, as for ld.so.
std::vector<NeededPath> library_directories(const std::string& executable,
                                            const std::string& executable_why,
                                            const std::string& working_directory) {
  // Only a regular file is opened: opening a device or a FIFO can have effects of its own.
  struct stat info {};
  if (::stat(executable.c_str(), &info) != 0 || !S_ISREG(info.st_mode)) return {};
  const UniqueFd fd(::open(executable.c_str(), O_RDONLY | O_CLOEXEC | O_NONBLOCK));
  if (!fd.valid() || ::fstat(fd.get(), &info) != 0 || !S_ISREG(info.st_mode)) return {};
  const auto search_path =
      elf_library_search_path(fd.get(), static_cast<std::size_t>(info.st_size));
  std::error_code error;
  const std::string origin = fs::canonical(executable, error).parent_path().string();
  std::vector<NeededPath> directories;
  for (std::string entry : search_path.entries) {
    if (error && entry.find("ORIGIN") != std::string::npos) continue;
    for (std::string_view token : {"${ORIGIN}", "$ORIGIN"}) {
      for (auto at = entry.find(token); at != std::string::npos; at = entry.find(token, at)) {
        entry.replace(at, token.size(), origin);
        at += origin.size();
      }
    }
    if (entry.find('$') != std::string::npos) continue;
    directories.push_back({.path = absolute_path(working_directory, entry),
                           .why = search_path.tag + " of " + executable_why});
  }
  return directories;
}

// The words of an argument that may name a path: the argument, and the value after the first
// `=` of `--flag=PATH` or `KEY=PATH`.
std::vector<std::string_view> path_words(std::string_view argument) {
  std::vector<std::string_view> words{argument};
  if (const auto equals = argument.find('='); equals != std::string_view::npos) {
    words.push_back(argument.substr(equals + 1));
  }
  return words;
}

// The words of a shell command line that may name a path: split where sh(1) would end a word
// (blanks, operators, quotes), keeping only those with a `/`. Enough for `./server --port 1` or
// `exec /build/server`; quoting and expansions are not interpreted.
std::vector<std::string_view> shell_path_words(std::string_view line) {
  constexpr std::string_view kSeparators = " \t\n;&|()<>'\"`";
  std::vector<std::string_view> words;
  std::size_t start = line.find_first_not_of(kSeparators);
  while (start != std::string_view::npos) {
    const std::size_t end = line.find_first_of(kSeparators, start);
    const std::string_view word = line.substr(start, end - start);
    if (word.find('/') != std::string_view::npos) words.push_back(word);
    start = end == std::string_view::npos ? end : line.find_first_not_of(kSeparators, end);
  }
  return words;
}

std::string join(const std::vector<std::string>& parts, const char* separator) {
  std::string text;
  for (const auto& part : parts) text += (text.empty() ? "" : separator) + part;
  return text;
}

// The innermost of `roots` that `path` lies strictly below; empty when none.
std::string innermost_root_above(const std::string& path, const std::vector<std::string>& roots) {
  std::string found;
  for (const auto& root : roots) {
    if (root != path && path_is_within(path, root) && root.size() > found.size()) found = root;
  }
  return found;
}

}  // namespace

bool path_is_within(std::string_view path, std::string_view directory) {
  if (directory == "/") return path.starts_with('/');
  return path.starts_with(directory) &&
         (path.size() == directory.size() || path[directory.size()] == '/');
}

std::vector<NeededPath> host_paths_needed(const SandboxSpec& spec, char* const* inherited,
                                          const std::string& working_directory) {
  std::vector<NeededPath> needed;
  if (spec.shares(Namespace::mount)) return needed;
  // An existing path, as named and as its real path when symlinks lead elsewhere: inside, the
  // name is resolved through the same links, which must lead somewhere visible. The name is
  // looked up as the kernel does (`link/..` is the link target's parent), and its lexically
  // normal form is kept only where that exists too.
  auto add = [&](NeededPath path) {
    std::error_code error;
    const std::string real = fs::canonical(path.path, error).string();
    if (error) return;
    path.path = lexically_normal(path.path);
    if (path.path != real && exists(path.path)) needed.push_back(path);
    path.path = real;
    needed.push_back(std::move(path));
  };
  add({.path = working_directory, .why = "working directory", .writable = true});

  const std::string executable =
      executable_on_host(exec_candidates(spec, inherited), working_directory);
  if (!executable.empty()) {
    const std::string why = "the executable " + lexically_normal(executable);
    add({.path = executable, .why = why, .with_directory = true});
    for (auto& directory : library_directories(executable, why, working_directory)) {
      add(std::move(directory));
    }
  }

  for (std::size_t i = 1; i < spec.command.size(); ++i) {
    for (std::string_view word : path_words(spec.command[i])) {
      if (word.empty()) continue;
      add({.path = absolute_path(working_directory, word), .why = "named in the arguments"});
    }
  }
  // A service's command is a shell line run in the sandbox: the programs it names (a server in
  // the build tree) stay visible with their directories, as the test's executable does.
  for (const auto& service : spec.netlab.services) {
    for (std::string_view word : shell_path_words(service.command)) {
      add({.path = absolute_path(working_directory, word),
           .why = "named in --service " + service.name,
           .with_directory = true});
    }
  }

  // Relative to the caller's directory, like --bind sources: --chdir changes only the inside.
  std::error_code error;
  const std::string caller_directory = fs::current_path(error).string();
  for (const auto& text : spec.keep_visible) {
    const std::string path = absolute_path(caller_directory, text);
    if (text.empty() || !exists(path)) {
      throw_error("keep visible", text.empty() ? EINVAL : errno,
                  "--keep-visible `" + text + "`: cannot reach this host path",
                  "pass an existing file or directory");
    }
    add({.path = path, .why = "--keep-visible"});
  }
  return needed;
}

std::string KeptPath::description() const {
  std::string text = "keep " + path;
  if (access == Access::read_only) text += " read-only";
  if (access == Access::writable) text += " writable";
  text += " (" + join(reasons, ", ") + "; ";
  text += hidden_by.empty() ? std::string("/ is read-only") : hidden_by + " is the sandbox's own";
  return text + ")";
}

std::vector<KeptPath> paths_to_keep(const std::vector<NeededPath>& needed,
                                    const MountSurroundings& surroundings) {
  const auto& fresh = surroundings.fresh;
  auto is_fresh_root = [&](const std::string& path) {
    return std::find(fresh.begin(), fresh.end(), path) != fresh.end();
  };
  auto inside_a_bind = [&](const std::string& path) {
    return std::any_of(surroundings.bind_targets.begin(), surroundings.bind_targets.end(),
                       [&](const std::string& target) { return path_is_within(path, target); });
  };

  std::vector<KeptPath> candidates;
  for (const auto& need : needed) {
    std::string path = need.path;
    std::string why = need.why;
    // An executable's directory, so that a script or binary finds the files beside it; only
    // the file itself when its directory is a fresh mount (or /), which must stay the sandbox's.
    if (need.with_directory) {
      const std::string directory = fs::path(path).parent_path().string();
      if (directory != "/" && !is_fresh_root(directory)) {
        path = directory;
        why.insert(0, "directory of ");
      }
    }
    const std::string hidden_by = innermost_root_above(path, fresh);
    const bool stays_writable = need.writable && surroundings.read_only_root;
    if (hidden_by.empty() && !stays_writable) continue;  // the host's tree shows it as it is
    if (path == "/" || is_fresh_root(path) || inside_a_bind(path)) continue;
    auto same = std::find_if(candidates.begin(), candidates.end(),
                             [&](const KeptPath& kept) { return kept.path == path; });
    if (same == candidates.end()) {
      candidates.push_back(KeptPath{.path = path, .hidden_by = hidden_by});
      same = candidates.end() - 1;
    }
    if (std::find(same->reasons.begin(), same->reasons.end(), why) == same->reasons.end()) {
      same->reasons.push_back(why);
    }
    if (surroundings.read_only_root && same->access != KeptPath::Access::writable) {
      same->access = need.writable ? KeptPath::Access::writable : KeptPath::Access::read_only;
    }
  }

  // Outer paths first, so that each is weighed against those that may already show it.
  std::sort(candidates.begin(), candidates.end(),
            [](const KeptPath& a, const KeptPath& b) { return a.path < b.path; });
  std::vector<KeptPath> kept;
  for (auto& candidate : candidates) {
    const bool shown = std::any_of(kept.begin(), kept.end(), [&](const KeptPath& outer) {
      return path_is_within(candidate.path, outer.path) &&
             !path_is_within(candidate.hidden_by, outer.path) &&
             (outer.access != KeptPath::Access::read_only ||
              candidate.access == KeptPath::Access::read_only);
    });
    if (!shown) kept.push_back(std::move(candidate));
  }
  return kept;
}

}  // namespace isotest
