// The plugin's fatal-signal handler (issue 14): under isotest, a case that dies of SIGSEGV,
// SIGBUS, SIGFPE, SIGILL or SIGABRT leaves a `crash` event on the event pipe -- the signal, its
// code and address, the thread, the case, the crashing thread's return addresses and the
// modules they lie in -- and still dies of its signal. harness/gtest/ reads the event,
// harness/forensics/crash_site.h names the frames; docs/gtest-plugin.md describes it.
#pragma once

#include <string_view>

namespace isotest::internal {

// Installs the handler for the five signals, chaining to whatever handler was there (a
// sanitizer's). `events_fd` is the pipe the listener writes to; only this process reports.
void install_crash_handler(int events_fd);

// The case now running, for the event (copied into a fixed buffer: the handler cannot allocate).
void note_running_case(std::string_view name);

}  // namespace isotest::internal
