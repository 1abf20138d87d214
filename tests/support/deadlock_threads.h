// Two threads that deadlock, for the forensics tests (issue 14): each takes two mutexes in the
// opposite order of the other, in a function named after what it does, and waits forever. Used
// by a plain program (deadlock.cc), a GoogleTest case (tests/runner/deadlock_gtest.cc) and the
// CMake sample project (tests/cmake/projects/isolated), so all three show the same stacks.
// Build it with -O0 and frame pointers, without sanitizers, so that each function keeps its own
// frame and name.
#pragma once

// Not static and not inlined: the stacks must name them.
void lock_a_then_b();
void lock_b_then_a();

// Starts both threads and joins them: never returns. Prints "deadlocked" once both hold their
// first mutex, so a test knows when the stacks are worth taking.
void deadlock_two_threads();
