package dev.junction.node.jepsen;

import static dev.junction.node.jepsen.Op.Outcome.FAIL;
import static dev.junction.node.jepsen.Op.Outcome.OK;
import static dev.junction.node.jepsen.Op.Outcome.UNKNOWN;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class LinearizabilityCheckerTest {
  private static boolean ok(Op... ops) {
    return LinearizabilityChecker.check(List.of(ops)).linearizable();
  }

  @Test
  void sequentialHistoriesFollowTheRegister() {
    assertTrue(ok(Op.write(1, "k", "a", 0, 1, OK), Op.read(2, "k", "a", 2, 3)));
    assertFalse(ok(Op.write(1, "k", "a", 0, 1, OK), Op.read(2, "k", "b", 2, 3)), "a value nobody wrote");
    assertFalse(ok(Op.write(1, "k", "a", 0, 1, OK), Op.read(2, "k", null, 2, 3)), "a lost write");
    assertTrue(ok(Op.read(1, "k", null, 0, 1)), "absent at first");
    assertTrue(ok(Op.write(1, "k", "a", 0, 1, OK), Op.delete(1, "k", 2, 3, OK), Op.read(2, "k", null, 4, 5)));
  }

  @Test
  void concurrentOperationsMayTakeEffectInEitherOrder() {
    assertTrue(ok(Op.write(1, "k", "a", 0, 10, OK), Op.read(2, "k", "a", 1, 2)), "the write took effect early");
    assertTrue(ok(Op.write(1, "k", "a", 0, 10, OK), Op.read(2, "k", null, 1, 2)), "or late");
    // A stale read after a newer read: not linearizable.
    assertFalse(
        ok(
            Op.write(1, "k", "a", 0, 1, OK),
            Op.write(1, "k", "b", 2, 10, OK),
            Op.read(2, "k", "b", 3, 4),
            Op.read(3, "k", "a", 5, 6)));
  }

  @Test
  void compareAndSetAppliesOnlyFromTheExpectedValue() {
    assertTrue(ok(Op.write(1, "k", "a", 0, 1, OK), Op.cas(2, "k", "a", "b", true, 2, 3, OK), Op.read(1, "k", "b", 4, 5)));
    assertFalse(ok(Op.write(1, "k", "a", 0, 1, OK), Op.cas(2, "k", "x", "b", true, 2, 3, OK)), "applied from the wrong value");
    assertTrue(ok(Op.write(1, "k", "a", 0, 1, OK), Op.cas(2, "k", "x", "b", false, 2, 3, OK)));
    assertFalse(ok(Op.write(1, "k", "a", 0, 1, OK), Op.cas(2, "k", "a", "b", false, 2, 3, OK)), "refused although it held");
    assertTrue(ok(Op.cas(1, "k", null, "a", true, 0, 1, OK), Op.cas(2, "k", null, "b", false, 2, 3, OK)));
    // Two clients both winning the same compare-and-set is impossible.
    assertFalse(ok(Op.write(0, "k", "a", 0, 1, OK), Op.cas(1, "k", "a", "b", true, 2, 5, OK), Op.cas(2, "k", "a", "c", true, 2, 5, OK)));
  }

  @Test
  void unknownOutcomesMayOrMayNotHaveTakenEffect() {
    assertTrue(ok(Op.write(1, "k", "a", 0, 0, UNKNOWN), Op.read(2, "k", "a", 5, 6)));
    assertTrue(ok(Op.write(1, "k", "a", 0, 0, UNKNOWN), Op.read(2, "k", null, 5, 6)));
    assertTrue(ok(Op.write(1, "k", "a", 0, 0, UNKNOWN), Op.read(2, "k", null, 5, 6), Op.read(2, "k", "a", 7, 8)),
        "it took effect between the reads");
    assertFalse(ok(Op.write(1, "k", "a", 0, 0, UNKNOWN), Op.read(2, "k", "a", 5, 6), Op.read(2, "k", null, 7, 8)),
        "but not undone later");
    assertFalse(ok(Op.write(1, "k", "a", 10, 0, UNKNOWN), Op.read(2, "k", "a", 5, 6)), "not before it was sent");
    assertTrue(ok(Op.write(1, "k", "a", 0, 1, FAIL), Op.read(2, "k", null, 5, 6)), "a failed write never happened");
    assertTrue(ok(Op.write(0, "k", "a", 0, 1, OK), Op.cas(1, "k", "a", "b", false, 2, 0, UNKNOWN), Op.read(2, "k", "b", 5, 6)));
  }

  @Test
  void keysAreCheckedApartAndFailuresNameTheKey() {
    LinearizabilityChecker.Result r =
        LinearizabilityChecker.check(
            List.of(Op.write(1, "good", "a", 0, 1, OK), Op.read(1, "good", "a", 2, 3), Op.read(2, "bad", "zzz", 0, 1)));
    assertFalse(r.linearizable());
    assertEquals(List.of("bad"), List.copyOf(r.failures().keySet()));
  }

  /**
   * Histories made from a real sequential execution, with every operation's interval stretched around
   * its linearization point, are always linearizable; changing one read's answer to a value the register
   * did not hold then makes them not.
   */
  @ParameterizedTest
  @ValueSource(longs = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10})
  void generatedHistoriesAreRecognized(long seed) {
    Random random = new Random(seed);
    List<Op> history = new ArrayList<>();
    String state = null;
    long t = 0;
    List<Integer> reads = new ArrayList<>();
    for (int i = 0; i < 40; i++) {
      t += 10;
      long invoke = t - random.nextInt(25);
      long complete = t + random.nextInt(25);
      int p = i % 5;
      switch (random.nextInt(4)) {
        case 0 -> {
          reads.add(history.size());
          history.add(Op.read(p, "k", state, invoke, complete));
        }
        case 1 -> {
          state = "v" + i;
          history.add(Op.write(p, "k", state, invoke, complete, OK));
        }
        case 2 -> {
          String expected = random.nextBoolean() ? state : "nope";
          boolean applied = Objects.equals(expected, state);
          if (applied) {
            state = "c" + i;
          }
          history.add(Op.cas(p, "k", expected, "c" + i, applied, invoke, complete, OK));
        }
        default -> {
          state = null;
          history.add(Op.delete(p, "k", invoke, complete, OK));
        }
      }
    }
    assertTrue(LinearizabilityChecker.check(history).linearizable(), "seed " + seed);
    if (!reads.isEmpty()) {
      int victim = reads.get(random.nextInt(reads.size()));
      Op r = history.get(victim);
      history.set(victim, Op.read(r.process(), "k", "never-written", r.invoke(), r.complete()));
      assertFalse(LinearizabilityChecker.check(history).linearizable(), "seed " + seed);
    }
  }
}
