// RepeatingTick::stop() must leave the io_context with no work even when the tick's expiry is
// already queued behind the handler that stops it (the race that hung `isotest gtest` after its
// last case, deaf to Ctrl-C).
#include "repeating_tick.h"

#include <chrono>
#include <thread>

#include <gtest/gtest.h>
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>

namespace isotest {
namespace {

using namespace std::chrono_literals;

TEST(RepeatingTick, StopSilencesAnExpiryAlreadyQueuedBehindTheStopper) {
  boost::asio::io_context io;
  int ticks = 0;
  RepeatingTick tick(io, 1ms, [&] { ++ticks; });
  boost::asio::steady_timer stopper(io);
  stopper.expires_after(0ms);
  stopper.async_wait([&](const boost::system::error_code&) { tick.stop(); });
  tick.start();
  // Both deadlines pass before the reactor first looks, so it queues both handlers at once:
  // the stopper's (earlier deadline) first, then the tick's, which cancel() can no longer stop.
  std::this_thread::sleep_for(20ms);
  io.run_for(2s);
  EXPECT_TRUE(io.stopped()) << "the io_context still had work: the tick armed itself again";
  EXPECT_EQ(ticks, 0);
}

TEST(RepeatingTick, TicksUntilStoppedFromItsOwnCallback) {
  boost::asio::io_context io;
  int ticks = 0;
  RepeatingTick* self = nullptr;
  RepeatingTick tick(io, 1ms, [&] {
    if (++ticks == 3) self->stop();
  });
  self = &tick;
  tick.start();
  io.run_for(5s);
  EXPECT_TRUE(io.stopped());
  EXPECT_EQ(ticks, 3);
}

}  // namespace
}  // namespace isotest
