#include "output_capture.h"

namespace isotest {

OutputCapture::OutputCapture(std::uint64_t limit_bytes)
    : head_limit_(limit_bytes / 2), tail_limit_(limit_bytes - limit_bytes / 2) {}

void OutputCapture::append(std::string_view bytes) {
  total_ += bytes.size();
  if (head_.size() < head_limit_) {
    auto take = std::min<std::uint64_t>(head_limit_ - head_.size(), bytes.size());
    head_.append(bytes.substr(0, take));
    bytes.remove_prefix(take);
  }
  if (bytes.empty() || tail_limit_ == 0) return;
  if (bytes.size() >= tail_limit_) {
    tail_.assign(bytes.substr(bytes.size() - tail_limit_));
    return;
  }
  tail_.append(bytes);
  if (tail_.size() > 2 * tail_limit_) tail_.erase(0, tail_.size() - tail_limit_);
}

CapturedOutput OutputCapture::finish() const {
  CapturedOutput out;
  out.total_bytes = total_;
  std::string_view tail = tail_;
  if (tail.size() > tail_limit_) tail.remove_prefix(tail.size() - tail_limit_);
  std::uint64_t kept = head_.size() + tail.size();
  out.truncated = kept < total_;
  out.text = head_;
  if (out.truncated) {
    out.text += "\n[isotest: " + std::to_string(total_ - kept) + " bytes omitted]\n";
  }
  out.text.append(tail);
  return out;
}

}  // namespace isotest
