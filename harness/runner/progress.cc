#include "progress.h"

#include <algorithm>
#include <cmath>

#include "run_status.h"
#include "safe_text.h"

namespace isotest {

namespace {

constexpr std::size_t kFailureLines = 40;  // of a failed attempt's output, the last ones

std::string tail_lines(const std::string& text, std::size_t lines) {
  std::size_t start = text.size();
  std::size_t seen = 0;
  while (start > 0) {
    const auto newline = text.rfind('\n', start - 1);
    if (newline == std::string::npos) {
      start = 0;
      break;
    }
    if (newline + 1 < text.size() && ++seen > lines) {
      start = newline + 1;
      break;
    }
    start = newline;
  }
  std::string tail = text.substr(start);
  if (!tail.empty() && tail.back() != '\n') tail += '\n';
  return start > 0 ? "  [... earlier output left out ...]\n" + tail : tail;
}

std::string format_seconds(double seconds) {
  const long total = std::lround(seconds);
  char text[32];
  if (total < 60) {
    static_cast<void>(std::snprintf(text, sizeof text, "%lds", total));
  } else {
    static_cast<void>(std::snprintf(text, sizeof text, "%ldm%02lds", total / 60, total % 60));
  }
  return text;
}

}  // namespace

Progress::Progress(std::FILE* stream, bool live) : stream_(stream), live_(live) {}

void Progress::clear_line() {
  if (!live_ || !line_shown_) return;
  static_cast<void>(std::fputs("\r\033[K", stream_));
  line_shown_ = false;
}

void Progress::print_above(const std::string& text) {
  clear_line();
  static_cast<void>(std::fputs(text.c_str(), stream_));
  if (live_) update(running_);
  static_cast<void>(std::fflush(stream_));
}

void Progress::finished(const std::string& name, const std::string& status, double duration_ms,
                        const std::string& output) {
  ++done_;
  const bool good = is_good(status);
  if (!good) ++failed_;
  if (good && live_) {
    update(running_);
    return;
  }
  // Names come from the binary's listing and may hold anything, escape sequences included.
  char head[64];
  static_cast<void>(std::snprintf(head, sizeof head, "[%zu/%zu] %-8s ", done_,
                                  std::max(planned_, done_), terminal_text(status).c_str()));
  char tail[32];
  static_cast<void>(std::snprintf(tail, sizeof tail, " (%.0f ms)\n", duration_ms));
  std::string text = head + terminal_text(name) + tail;
  if (!good && !output.empty()) text += tail_lines(output, kFailureLines);
  print_above(text);
}

void Progress::silent(const std::string& name, std::int64_t silent_ms) {
  print_above("isotest: " + terminal_text(name) + " has printed nothing for " +
              format_seconds(static_cast<double>(silent_ms) / 1000) + " and is still running\n");
}

void Progress::note(const std::string& text) {
  print_above("isotest: " + text + "\n");
}

void Progress::update(const std::vector<std::string>& running) {
  running_ = running;
  if (!live_) return;
  const double elapsed =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - started_).count();
  std::string line = "[" + std::to_string(done_) + "/" + std::to_string(std::max(planned_, done_)) +
                     "] " + std::to_string(failed_) + " failed, " + format_seconds(elapsed) +
                     " elapsed";
  if (done_ > 0 && planned_ > done_) {
    line += ", ~" +
            format_seconds(elapsed / static_cast<double>(done_) *
                           static_cast<double>(planned_ - done_)) +
            " left";
  }
  if (!running.empty()) {
    line += " | running: ";
    for (std::size_t i = 0; i < running.size(); ++i) {
      line += (i > 0 ? ", " : "") + terminal_text(running[i]);
    }
  }
  if (line.size() > 160) line = line.substr(0, 157) + "...";
  static_cast<void>(std::fputs(("\r\033[K" + line).c_str(), stream_));
  static_cast<void>(std::fflush(stream_));
  line_shown_ = true;
}

}  // namespace isotest
