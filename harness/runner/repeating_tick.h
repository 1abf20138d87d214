// A callback every interval on an io_context, until stop(). steady_timer::cancel() alone cannot
// stop an expiry whose handler is already queued behind the caller's: that handler would arm the
// timer again, the io_context would never run out of work, and the runner would hang after its
// last case (deaf to Ctrl-C, whose signal_set had been cancelled too). stop() silences it.
#pragma once

#include <chrono>
#include <functional>

#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>

namespace isotest {

class RepeatingTick {
 public:
  RepeatingTick(boost::asio::io_context& io, std::chrono::milliseconds interval,
                std::function<void()> on_tick);

  void start();
  void stop();

 private:
  void arm();

  boost::asio::steady_timer timer_;
  std::chrono::milliseconds interval_;
  std::function<void()> on_tick_;
  bool running_ = false;
};

}  // namespace isotest
