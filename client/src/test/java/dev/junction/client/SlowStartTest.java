package dev.junction.client;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

class SlowStartTest {
  private static final long S = 1_000_000_000L;
  private static final List<String> CHAIN = List.of("a:1", "b:1", "new:1");

  /** How many of {@code n} evenly spread random numbers pick each replica of {@link #CHAIN} at {@code now}. */
  private static int[] picks(SlowStart s, long now, int n) {
    int[] count = new int[CHAIN.size()];
    for (int i = 0; i < n; i++) {
      count[s.pick(CHAIN, now, (i + 0.5) / n)]++;
    }
    return count;
  }

  @Test
  void endpointsOfTheFirstTableAreEstablishedAndShareTheReadsEvenly() {
    SlowStart s = new SlowStart(20 * S);
    s.tableInstalled(Set.of("a:1", "b:1", "new:1"), 100 * S);
    assertEquals(1.0, s.weight("new:1", 100 * S));
    int[] count = picks(s, 100 * S, 3000);
    assertEquals(List.of(1000, 1000, 1000), List.of(count[0], count[1], count[2]));
  }

  @Test
  void anEndpointThatJoinsTheChainsLaterRampsUpFromNoReadsToItsShare() {
    SlowStart s = new SlowStart(20 * S);
    s.tableInstalled(Set.of("a:1", "b:1"), 100 * S);
    s.tableInstalled(Set.of("a:1", "b:1", "new:1"), 110 * S);
    assertEquals(0.0, s.weight("new:1", 110 * S));
    assertEquals(0, picks(s, 110 * S, 3000)[2], "no reads when it just came");
    assertEquals(0.25, s.weight("new:1", 115 * S), 1e-9);
    int[] quarter = picks(s, 115 * S, 2250); // weights 1, 1, 0.25
    assertEquals(List.of(1000, 1000, 250), List.of(quarter[0], quarter[1], quarter[2]));
    assertEquals(1.0, s.weight("new:1", 130 * S));
    int[] full = picks(s, 130 * S, 3000);
    assertEquals(List.of(1000, 1000, 1000), List.of(full[0], full[1], full[2]));
    assertEquals(1.0, s.weight("a:1", 110 * S), "the others are not slowed");
  }

  @Test
  void anEndpointThatLeftEveryChainStartsSlowlyAgainWhenItComesBack() {
    SlowStart s = new SlowStart(20 * S);
    s.tableInstalled(Set.of("a:1", "b:1", "new:1"), 100 * S);
    s.tableInstalled(Set.of("a:1", "b:1"), 200 * S); // drained or replaced
    s.tableInstalled(Set.of("a:1", "b:1", "new:1"), 300 * S);
    assertEquals(0.0, s.weight("new:1", 300 * S));
    assertEquals(0.5, s.weight("new:1", 310 * S), 1e-9);
    s.tableInstalled(Set.of("a:1", "b:1", "new:1"), 315 * S);
    assertEquals(0.75, s.weight("new:1", 315 * S), 1e-9, "a later table does not restart its ramp");
  }

  @Test
  void withEveryReplicaNewTheReadsAreSpreadEvenlyAndAZeroWindowTurnsItOff() {
    SlowStart s = new SlowStart(20 * S);
    s.tableInstalled(Set.of("x:1"), 100 * S);
    s.tableInstalled(Set.of("a:1", "b:1", "new:1"), 100 * S);
    int[] count = picks(s, 100 * S, 3000);
    assertEquals(List.of(1000, 1000, 1000), List.of(count[0], count[1], count[2]));

    SlowStart off = new SlowStart(0);
    off.tableInstalled(Set.of("a:1", "b:1"), 100 * S);
    off.tableInstalled(Set.of("a:1", "b:1", "new:1"), 110 * S);
    assertEquals(1.0, off.weight("new:1", 110 * S));
    assertEquals(1000, picks(off, 110 * S, 3000)[2]);
    assertThrows(IllegalArgumentException.class, () -> new SlowStart(-1));
  }
}
