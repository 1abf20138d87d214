// Sandbox side of the network namespace: the only interface is `lo`, brought up unless the
// spec asks for no network at all.
#pragma once

#include "child_error.h"
#include "spec.h"

namespace isotest {

// Allocation-free; runs between clone and execve. No-op for NetworkMode::host and ::none.
bool configure_network(NetworkMode mode, ChildError& error);

}  // namespace isotest
