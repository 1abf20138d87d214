// Two tests that create a System V shared memory segment under the same fixed
// key, as code with a hard-coded ftok()/key does. On one host the second
// shmget(IPC_CREAT|IPC_EXCL) fails with EEXIST; in isotest's private IPC
// namespace each test has the key to itself.
#include <sys/ipc.h>
#include <sys/shm.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <string>
#include <thread>

#include "rendezvous.h"

namespace {

constexpr key_t kKey = 0x15070001;
constexpr std::size_t kSegmentBytes = 4096;
constexpr auto kHoldTime = std::chrono::milliseconds(1000);

// Owns the segment: detached and removed however the test ends.
class SharedSegment {
 public:
  explicit SharedSegment(int id) : id_(id), memory_(static_cast<char*>(shmat(id, nullptr, 0))) {}
  SharedSegment(const SharedSegment&) = delete;
  SharedSegment& operator=(const SharedSegment&) = delete;
  ~SharedSegment() {
    if (memory_ != reinterpret_cast<char*>(-1)) shmdt(memory_);
    shmctl(id_, IPC_RMID, nullptr);
  }
  bool attached() const { return memory_ != reinterpret_cast<char*>(-1); }
  char* memory() const { return memory_; }

 private:
  int id_;
  char* memory_;
};

}  // namespace

int main(int argc, char** argv) {
  examples::HalfArguments arguments;
  if (!examples::parse_half_arguments(argc, argv, arguments)) return 2;
  examples::Rendezvous rendezvous(arguments.rendezvous_directory, "sysv_ipc_key", arguments.self,
                                  arguments.partner);
  rendezvous.meet("started");

  int id = shmget(kKey, kSegmentBytes, IPC_CREAT | IPC_EXCL | 0600);
  int shmget_error = errno;
  if (id < 0) {
    rendezvous.meet("tried");
    std::printf("FAIL test %s: shmget(key 0x%x, IPC_CREAT|IPC_EXCL): %s (another test holds the"
                " key)\n",
                arguments.self.c_str(), static_cast<unsigned>(kKey), std::strerror(shmget_error));
    return 1;
  }
  SharedSegment segment(id);
  rendezvous.meet("tried");  // the owner keeps the key until the other half has tried too
  if (!segment.attached()) {
    std::printf("FAIL test %s: shmat: %s\n", arguments.self.c_str(), std::strerror(errno));
    return 1;
  }
  const std::string mine = "segment of test " + arguments.self;
  std::memcpy(segment.memory(), mine.c_str(), mine.size() + 1);
  std::this_thread::sleep_for(kHoldTime);
  if (mine != segment.memory()) {
    std::printf("FAIL test %s: segment holds \"%s\"\n", arguments.self.c_str(), segment.memory());
    return 1;
  }
  std::printf("ok test %s held SysV key 0x%x for %lld ms\n", arguments.self.c_str(),
              static_cast<unsigned>(kKey), static_cast<long long>(kHoldTime.count()));
  return 0;
}
