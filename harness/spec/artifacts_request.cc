#include "artifacts_request.h"

#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>

#include "messages.h"
#include "spec.h"

namespace isotest {

namespace {

bool is_directory(const std::string& path) {
  struct stat info {};
  return ::stat(path.c_str(), &info) == 0 && S_ISDIR(info.st_mode);
}

bool exists(const std::string& path) {
  struct stat info {};
  return ::lstat(path.c_str(), &info) == 0;
}

// What is wrong with DIR as it stands on the host, or empty.
std::string problem_with_existing(const std::string& directory) {
  if (!is_directory(directory)) {
    return "--artifacts " + directory +
           " exists and is not a directory; name a directory, or a path that does not exist yet";
  }
  if (::access(directory.c_str(), W_OK | X_OK) != 0) {
    return "--artifacts " + directory +
           ": cannot write in this directory; name one the caller can write in";
  }
  if (exists(directory + "/" + std::string(kArtifactsMarker))) return {};
  for (const char* part : {"tmp", "outputs", "forensics"}) {
    if (exists(directory + "/" + part)) {
      return "--artifacts " + directory + " already holds " + part +
             " that isotest did not write; name an empty folder, or move it away";
    }
  }
  return {};
}

}  // namespace

bool holds_artifacts_marker(const std::string& directory) {
  struct stat info {};
  const std::string marker = directory + "/" + std::string(kArtifactsMarker);
  return ::lstat(marker.c_str(), &info) == 0 && S_ISREG(info.st_mode);
}

std::optional<KeepPolicy> parse_keep_policy(std::string_view text) {
  if (text == "on-failure") return KeepPolicy::on_failure;
  if (text == "always") return KeepPolicy::always;
  if (text == "never") return KeepPolicy::never;
  return std::nullopt;
}

std::string_view keep_policy_name(KeepPolicy policy) {
  switch (policy) {
    case KeepPolicy::on_failure:
      return "on-failure";
    case KeepPolicy::always:
      return "always";
    case KeepPolicy::never:
      return "never";
  }
  return "?";
}

std::vector<std::string> convert_artifacts_options(ArtifactsRequest& request,
                                                   const std::string& directory,
                                                   const std::string& keep,
                                                   const std::string& limit) {
  std::vector<std::string> problems;
  if (directory.empty() && (!keep.empty() || !limit.empty())) {
    problems.push_back(std::string(keep.empty() ? "--artifacts-limit" : "--keep") +
                       " says what to keep of a run's files, which only --artifacts DIR keeps; "
                       "add --artifacts DIR");
  }
  if (!keep.empty()) {
    auto policy = parse_keep_policy(keep);
    if (!policy) {
      problems.push_back("--keep takes " + std::string(kKeepTakes) + "; got " +
                         describe_given(keep));
    }
    request.keep = policy.value_or(request.keep);
  }
  if (!limit.empty()) {
    auto bytes = parse_size_bytes(limit);
    if (!bytes) {
      problems.push_back("--artifacts-limit takes a size such as 64M or 1G; got " +
                         describe_given(limit));
    }
    request.limit_bytes = bytes.value_or(request.limit_bytes);
  }
  if (!directory.empty()) {
    request.directory = std::filesystem::absolute(directory).lexically_normal().string();
    if (request.directory.size() > 1 && request.directory.ends_with('/')) {
      request.directory.pop_back();
    }
  }
  return problems;
}

std::vector<std::string> check_artifacts_request(const ArtifactsRequest& request) {
  std::vector<std::string> problems;
  if (!request.active()) return problems;
  if (request.limit_bytes == 0) {
    problems.emplace_back(
        "--artifacts-limit must be greater than zero; use --keep never to keep nothing");
  }
  if (exists(request.directory)) {
    if (auto problem = problem_with_existing(request.directory); !problem.empty()) {
      problems.push_back(std::move(problem));
    }
    return problems;
  }
  // Created only when something is kept: what must hold now is that it can be.
  std::filesystem::path ancestor = std::filesystem::path(request.directory).parent_path();
  while (!ancestor.empty() && !exists(ancestor.string())) ancestor = ancestor.parent_path();
  const std::string nearest = ancestor.empty() ? std::string("/") : ancestor.string();
  if (!is_directory(nearest)) {
    problems.push_back("--artifacts " + request.directory + " cannot be created: " + nearest +
                       " is not a directory; name a folder below a directory");
  } else if (::access(nearest.c_str(), W_OK | X_OK) != 0) {
    problems.push_back("--artifacts " + request.directory + " cannot be created: cannot write in " +
                       nearest + "; name a folder the caller can create");
  }
  return problems;
}

std::string artifacts_folder_name(std::string_view case_name) {
  std::string name(case_name);
  for (char& c : name) {
    if (c == '/') c = '_';
  }
  if (name.empty() || name.find_first_not_of('.') == std::string::npos) name = "_" + name;
  return name;
}

}  // namespace isotest
