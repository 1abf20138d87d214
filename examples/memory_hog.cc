// A test whose memory use grows with its input, as a test with a leak or an
// oversized fixture does. Run alone it "passes" after quietly taking 1 GiB of
// the host's memory; a few of them under `ctest -j` on a CI runner push the
// machine into swap or wake the kernel's OOM killer, which may pick any
// process, the CI agent included. Under isotest with MEMORY 256M its own
// cgroup stops it at the budget: the kernel kills this test and nothing
// else, and the result says `oom` with the peak it reached.
#include <cstddef>
#include <cstdio>
#include <cstring>
#include <memory>
#include <vector>

namespace {

constexpr std::size_t kMiB = 1024 * 1024;
constexpr std::size_t kChunkBytes = 16 * kMiB;
constexpr std::size_t kTotalBytes = 1024 * kMiB;

}  // namespace

int main() {
  std::vector<std::unique_ptr<char[]>> kept;
  for (std::size_t used = 0; used < kTotalBytes; used += kChunkBytes) {
    auto chunk = std::make_unique<char[]>(kChunkBytes);
    // Touch every page: untouched allocations cost no memory.
    std::memset(chunk.get(), 0x5a, kChunkBytes);
    kept.push_back(std::move(chunk));
  }
  std::printf("ok: holding %zu MiB without complaint\n", kTotalBytes / kMiB);
  return 0;
}
