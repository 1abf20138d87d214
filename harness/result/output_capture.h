// Keeps the head and the tail of a stream up to a byte limit, whatever size it grows to, so a
// 100 MB flood costs 64 KiB of memory and the result still shows how it began and ended.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace isotest {

struct CapturedOutput {
  std::string text;  // raw bytes: head, then (if truncated) a marker line, then tail
  std::uint64_t total_bytes = 0;
  bool truncated = false;
};

class OutputCapture {
 public:
  explicit OutputCapture(std::uint64_t limit_bytes);
  void append(std::string_view bytes);
  [[nodiscard]] CapturedOutput finish() const;

 private:
  std::uint64_t head_limit_;
  std::uint64_t tail_limit_;
  std::string head_;
  std::string tail_;  // at most 2 * tail_limit_; trimmed lazily to keep appends cheap
  std::uint64_t total_ = 0;
};

}  // namespace isotest
