#include "repeating_tick.h"

#include <utility>

namespace isotest {

RepeatingTick::RepeatingTick(boost::asio::io_context& io, std::chrono::milliseconds interval,
                             std::function<void()> on_tick)
    : timer_(io), interval_(interval), on_tick_(std::move(on_tick)) {}

void RepeatingTick::start() {
  running_ = true;
  arm();
}

void RepeatingTick::stop() {
  running_ = false;
  timer_.cancel();
}

void RepeatingTick::arm() {
  timer_.expires_after(interval_);
  timer_.async_wait([this](const boost::system::error_code& error) {
    if (error || !running_) return;
    on_tick_();
    if (running_) arm();
  });
}

}  // namespace isotest
