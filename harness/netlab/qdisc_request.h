// The one rtnetlink request that applies network conditions: RTM_NEWQDISC on the sandbox's lo,
// as the kernel reads it (include/uapi/linux/pkt_sched.h; net/sched/sch_netem.c, sch_tbf.c).
// Written here, a few dozen bytes, rather than through libnl: isotest links statically, and
// these few attributes are all it sends. Built in the launcher; the sandbox sends the bytes.
#pragma once

#include <string>
#include <vector>

#include "netlab_request.h"

namespace isotest {

struct QdiscRequest {
  std::string kind;  // "netem", or "tbf" when a rate is all that is asked (no sch_netem needed)
  std::vector<char> message;
};

// lo is always interface 1 in a network namespace (LOOPBACK_IFINDEX).
QdiscRequest build_qdisc_request(const NetworkConditions& conditions, int interface_index = 1);

// "sch_netem" for "netem": the module a kernel lacking the discipline needs.
std::string qdisc_module(const std::string& kind);

// How to get the discipline onto a kernel that lacks it (isotest run's hint, isotest doctor's
// fix): load the module, or install the package that ships it.
std::string qdisc_remedy(const std::string& kind);

}  // namespace isotest
