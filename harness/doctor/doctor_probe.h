// `isotest doctor`, part 1 of 3: what this machine does when asked for each piece of a sandbox.
// Facts only -- probes run for real in throwaway processes, settings read as they are -- and no
// judgement: doctor_findings turns these into verdicts and remedies, doctor_report prints them.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <string>
#include <vector>

#include "user_namespace.h"

namespace isotest {

// One attempt at one step. `attempted` is false when an earlier step it needs failed (no proc
// mount without a private mount namespace: it would cover the host's /proc).
struct ProbeStep {
  bool attempted = false;
  bool ok = false;
  int error_number = 0;  // the errno of the failing call, when !ok
  std::string call;      // which call failed, e.g. "mount proc on /proc"
};

// Each namespace the default `isotest run` creates, plus the time namespace (--time-offset),
// tried one after the other in a throwaway child, as an unprivileged caller's sandbox would be.
struct NamespaceProbes {
  ProbeStep user_namespace;    // clone(CLONE_NEWUSER), clone3 first as isotest run does
  ProbeStep id_maps;           // setgroups, uid_map, gid_map written by the parent
  ProbeStep mount;             // unshare(CLONE_NEWNS), make / private, a tmpfs on /tmp
  ProbeStep network;           // unshare(CLONE_NEWNET), lo up
  ProbeStep ipc;               // unshare(CLONE_NEWIPC)
  ProbeStep uts;               // unshare(CLONE_NEWUTS), sethostname
  ProbeStep cgroup_namespace;  // unshare(CLONE_NEWCGROUP)
  ProbeStep time_namespace;    // unshare(CLONE_NEWTIME), timens_offsets, a child enters it
  ProbeStep proc;              // unshare(CLONE_NEWPID), its init mounts a new procfs
};

// The network lab's queueing disciplines, each asked for on lo of a network namespace of its own
// with the RTM_NEWQDISC that `isotest run --net-*` sends (the kernel loads a module on demand).
// Optional: only --net-delay, --net-loss, ... (netem) and --net-rate alone (tbf) need them.
struct QdiscProbes {
  ProbeStep netem;
  ProbeStep tbf;
};

// The cgroup side: the layout and the caller's rights, then a real sandbox cgroup made by the
// same backend `isotest run` uses (create, limit, place a child in it, remove).
struct CgroupProbe {
  std::string layout;  // "v2", "v1" (legacy), "hybrid" (v1 controllers + an empty cgroup2), "none"
  std::vector<std::string> mount_points;  // every cgroup and cgroup2 mount
  std::string directory;                  // the caller's cgroup, where isotest creates its own
  bool read_only = false;                 // `directory` is on a read-only mount
  std::vector<std::string> controllers;   // memory, pids, cpu... that isotest can use
  uid_t owner = 0;                        // of `directory`
  bool directory_writable = false;        // mkdir would be allowed
  bool procs_writable = false;            // cgroup.procs of `directory`
  bool subtree_control_writable = false;  // v2 only

  ProbeStep create;                         // a cgroup below `directory`, with all limits
  std::vector<std::string> missing_limits;  // memory, pids, cpus, memory-swap
  std::string reason;                       // the backend's words, when something is missing
  std::string remedy;                       // the backend's fix
  std::string version;                      // of the cgroup made: "v1" or "v2"
  ProbeStep placement;                      // a child started in it
  bool clone_into_cgroup = false;           // placed by clone3(CLONE_INTO_CGROUP)
  ProbeStep removal;                        // gone afterwards
};

// Where isotest runs.
struct HostEnvironment {
  bool docker = false;         // /.dockerenv, or docker in /proc/1/cgroup
  bool podman = false;         // /run/.containerenv
  bool kubernetes = false;     // KUBERNETES_SERVICE_HOST, or kubepods in /proc/1/cgroup
  bool wsl = false;            // "microsoft" in /proc/sys/kernel/osrelease
  int seccomp_mode = 0;        // /proc/self/status Seccomp: 0 none, 1 strict, 2 filter
  int proc_submounts = 0;      // mounts below /proc (a container's masks block new procfs mounts)
  bool loads_modules = false;  // /proc/modules exists: the kernel was built with CONFIG_MODULES
  uid_t uid = 0;
  std::string kernel;        // uname -r
  std::string binary_path;   // /proc/self/exe, for the AppArmor profile
  std::string core_pattern;  // /proc/sys/kernel/core_pattern: where a crash's core goes
  bool core_uses_pid = false;
};

struct DoctorFacts {
  NamespaceSettings settings;
  HostEnvironment environment;
  NamespaceProbes namespaces;
  QdiscProbes queueing_disciplines;
  CgroupProbe cgroup;
  std::int64_t elapsed_ms = 0;  // how long probing took
};

// Runs every probe; never throws for what the machine refuses (that is the answer).
DoctorFacts probe_machine();

}  // namespace isotest
