// Naming a code address with elfutils' libdwfl: the function (demangled), file:line where
// DWARF says, and the module. Shared by the stacks of a timeout (stack_collector) and the crash
// site (crash_site).
#pragma once

#include <elfutils/libdwfl.h>

#include "diagnostics.h"

namespace isotest {

// `activation`: `pc` is where the thread was interrupted (the innermost frame, or one a signal
// interrupted), rather than a return address.
StackFrame describe_pc(Dwfl* dwfl, Dwarf_Addr pc, bool activation);

}  // namespace isotest
