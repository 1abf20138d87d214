// What the tests observe from the host side: namespaces, processes, mounts, IPC, files. These
// are the facts that isolation is judged by, independent of what isotest reports.
#pragma once

#include <sys/ipc.h>
#include <sys/types.h>

#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "spawned_process.h"

namespace isotest::integration {

// A fresh directory, removed with everything in it at the end of the test. Under /tmp by default
// (world-writable, so the tests also run as user nobody); note that the sandbox has its own /tmp,
// so a directory there is not visible inside.
class TempDir {
 public:
  explicit TempDir(const std::string& parent = "/tmp");
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  ~TempDir();
  [[nodiscard]] const std::string& path() const { return path_; }
  [[nodiscard]] std::string operator/(const std::string& name) const { return path_ + "/" + name; }

 private:
  std::string path_;
};

// A name no other test, process or earlier run uses: for files, SysV keys, hostnames.
std::string unique_name(const std::string& stem);

std::string read_file(const std::string& path);
void write_file(const std::string& path, const std::string& text);
bool path_exists(const std::string& path);

// `NAME VALUE` lines, as the probe prints them, into a map.
std::map<std::string, std::string> parse_name_value_lines(const std::string& text);
std::vector<std::string> lines_of(const std::string& text);

// The host's /proc/self/ns/NAME link, e.g. "net:[4026531840]".
std::string host_namespace(const std::string& name);

// A process reported by the probe as `pid=N pidns=LINK`: its PID as the host sees it, found by
// its PID namespace and its PID inside (the last entry of NSpid in /proc/PID/status).
struct SandboxedPid {
  pid_t inner = 0;
  std::string pid_namespace;
};
std::optional<SandboxedPid> parse_sandboxed_pid(const std::string& line);
std::optional<pid_t> find_host_pid(const SandboxedPid& process);

// True while the host PID names a live (not zombie) process in the given PID namespace; a
// recycled PID in another namespace does not count.
bool process_running(pid_t host_pid, const std::string& pid_namespace);

// The host's mount table as "mount-id mount-point" entries, from /proc/self/mountinfo.
std::vector<std::string> host_mounts();

// shmget(KEY, 0, 0) on the host: a segment with this key exists (accessible or not).
bool shm_key_exists(key_t key);

// The state letter of /proc/PID/stat (`R`, `S`, `T` for a process stopped by SIGSTOP, ...); `?`
// when the process is gone.
char process_state(pid_t pid);

// Polls `condition` every 10 ms until it holds or the timeout passes.
bool wait_until(const std::function<bool()>& condition, Milliseconds timeout = 20s);

}  // namespace isotest::integration
