// SPDX-License-Identifier: Apache-2.0
package io.grapevine.runtime;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

class EventLoopTest {

  @Test
  void timersFireInDeadlineOrderAndCancelledOnesNever() {
    try (EventLoop loop = new EventLoop()) {
      List<String> fired = new CopyOnWriteArrayList<>();
      loop.call(() -> {
        long now = loop.nowMillis();
        loop.schedule(now + 60, () -> fired.add("c"));
        loop.schedule(now + 20, () -> fired.add("a"));
        loop.schedule(now + 40, () -> fired.add("b"));
        loop.schedule(now + 30, () -> fired.add("cancelled")).cancel();
        return null;
      });
      await().atMost(Duration.ofSeconds(5)).until(() -> fired.size() == 3);
      assertThat(fired).containsExactly("a", "b", "c");
    }
  }

  @Test
  void tasksFromOtherThreadsRunOnTheLoopThread() {
    try (EventLoop loop = new EventLoop()) {
      assertThat(loop.call(loop::inLoop)).isTrue();
      assertThat(loop.inLoop()).isFalse();
      assertThat(loop.submit(() -> Thread.currentThread().getName()).join()).isEqualTo(loop.threadName());
    }
  }

  @Test
  void anExceptionIsCountedAndTheLoopCarriesOn() {
    try (EventLoop loop = new EventLoop()) {
      loop.execute(() -> {
        throw new IllegalStateException("boom (expected by the test)");
      });
      loop.call(() -> loop.scheduleAfter(1, () -> {
        throw new IllegalStateException("timer boom (expected by the test)");
      }));
      await().atMost(Duration.ofSeconds(5)).until(() -> loop.errors() == 2);
      assertThat(loop.call(() -> 42)).isEqualTo(42);
      // Failures of submitted work reach the caller as well.
      assertThatThrownBy(() -> loop.call(() -> {
        throw new IllegalArgumentException("to the caller");
      })).isInstanceOf(IllegalArgumentException.class).hasMessage("to the caller");
    }
  }

  @Test
  void anIdleLoopParksInsteadOfSpinning() {
    try (EventLoop loop = new EventLoop()) {
      AtomicInteger fired = new AtomicInteger();
      long before = loop.iterations();
      loop.call(() -> loop.scheduleAfter(300, fired::incrementAndGet));
      await().atMost(Duration.ofSeconds(5)).until(() -> fired.get() == 1);
      // One wait for the timer plus a few turns for the submitted task: a spinning loop would make
      // hundreds of thousands of turns in 300 ms.
      assertThat(loop.iterations() - before).isLessThan(20);
    }
  }

  @Test
  void anInjectedClockDrivesTheTimers() {
    AtomicLong clock = new AtomicLong(1_000_000);
    try (EventLoop loop = new EventLoop("manual-clock", clock::get)) {
      AtomicInteger fired = new AtomicInteger();
      loop.call(() -> loop.schedule(1_000_000 + 60_000, fired::incrementAndGet));
      assertThat(loop.call(loop::nowMillis)).isEqualTo(1_000_000);
      clock.addAndGet(60_000);
      loop.execute(() -> {}); // wakes the loop, which then sees the clock has moved
      await().atMost(Duration.ofSeconds(5)).until(() -> fired.get() == 1);
    }
  }

  @Test
  void aClosedLoopRefusesWork() {
    EventLoop loop = new EventLoop();
    loop.close();
    loop.close();
    assertThatThrownBy(() -> loop.execute(() -> {})).isInstanceOf(IllegalStateException.class)
        .hasMessageContaining("closed");
  }
}
