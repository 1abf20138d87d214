#include "once_per_process.h"

#include <mutex>
#include <set>

namespace isotest {

bool first_time_in_process(const std::string& chore) {
  static std::mutex mutex;
  static std::set<std::string> done;
  const std::lock_guard lock(mutex);
  return done.insert(chore).second;
}

}  // namespace isotest
