// SPDX-License-Identifier: Apache-2.0
package io.grapevine.sim;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.PriorityQueue;
import java.util.SplittableRandom;
import org.junit.jupiter.api.RepeatedTest;
import org.junit.jupiter.api.RepetitionInfo;

class EventQueueTest {

  @RepeatedTest(20)
  void popsInTimeThenInsertionOrder(RepetitionInfo info) {
    long seed = 1000 + info.getCurrentRepetition();
    SplittableRandom random = new SplittableRandom(seed);
    EventQueue q = new EventQueue(4);
    PriorityQueue<long[]> reference =
        new PriorityQueue<>(Comparator.<long[]>comparingLong(a -> a[0]).thenComparingLong(a -> a[2]));
    int id = 0;
    List<Integer> popped = new ArrayList<>();
    List<Integer> expected = new ArrayList<>();
    for (int step = 0; step < 5000; step++) {
      if (random.nextInt(3) > 0 || q.isEmpty()) {
        long t = random.nextLong(50); // few distinct times: many ties
        q.push(t, id);
        reference.add(new long[] {t, id, id});
        id++;
      } else {
        long[] head = reference.poll();
        expected.add((int) head[1]);
        assertThat(q.peekTime()).as("seed %d", seed).isEqualTo(head[0]);
        popped.add(q.pop());
      }
    }
    assertThat(popped).as("seed %d", seed).isEqualTo(expected);
    assertThat(q.size()).isEqualTo(reference.size());
  }
}
