package dev.junction.node.jepsen;

import java.util.ArrayList;
import java.util.BitSet;
import java.util.Comparator;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.TreeMap;

/**
 * Checks a history of register operations for linearizability: per key (linearizability is local), the
 * Wing–Gong search with Lowe's memoization of (linearized set, state) pairs. An operation whose outcome
 * is unknown may take effect at any point after its invocation, or never; a failed one never did; a read
 * with an unknown outcome says nothing and is dropped.
 */
public final class LinearizabilityChecker {
  /** The verdict: for each key that fails, the key and a short description. */
  public record Result(boolean linearizable, Map<String, String> failures) {}

  /**
   * Most search steps per key before the checker gives up and says so (a failure, never a pass): a
   * history with many operations of unknown outcome can make the search exponential, and a test must end.
   */
  static final long MAX_STEPS = 50_000_000;

  private LinearizabilityChecker() {}

  public static Result check(List<Op> history) {
    Map<String, List<Op>> byKey = new TreeMap<>();
    for (Op op : history) {
      if (op.outcome() == Op.Outcome.FAIL) {
        continue;
      }
      if (op.outcome() == Op.Outcome.UNKNOWN && op.kind() == Op.Kind.READ) {
        continue;
      }
      byKey.computeIfAbsent(op.key(), k -> new ArrayList<>()).add(op);
    }
    Map<String, String> failures = new TreeMap<>();
    for (Map.Entry<String, List<Op>> e : byKey.entrySet()) {
      Boolean ok = checkKey(e.getValue(), MAX_STEPS);
      if (ok == null) {
        long unknown = e.getValue().stream().filter(o -> o.outcome() == Op.Outcome.UNKNOWN).count();
        failures.put(e.getKey(), e.getValue().size() + " operations (" + unknown + " of unknown outcome): "
            + "undecided after " + MAX_STEPS + " search steps");
      } else if (!ok) {
        failures.put(e.getKey(), e.getValue().size() + " operations admit no linearization");
      }
    }
    return new Result(failures.isEmpty(), failures);
  }

  /** An event of the doubly linked list the search walks: a call or a return. */
  private static final class Event {
    final int op;
    final boolean call;
    final long time;
    Event prev;
    Event next;
    Event match;

    Event(int op, boolean call, long time) {
      this.op = op;
      this.call = call;
      this.time = time;
    }
  }

  private record Cached(BitSet linearized, String state) {}

  private record Frame(Event call, String state) {}

  /** The register model: the state after {@code op} from {@code state}, or {@link #INVALID}. */
  private static final String INVALID = "\u0000invalid";

  private static String step(String state, Op op) {
    switch (op.kind()) {
      case READ:
        return Objects.equals(state, op.value()) ? state : INVALID;
      case WRITE:
        return op.value();
      case DELETE:
        return null;
      default:
        boolean holds = Objects.equals(state, op.expected());
        if (op.outcome() == Op.Outcome.UNKNOWN) {
          // Linearizing it only makes sense where it applies; where it would not, leaving it out is the same.
          return holds ? op.value() : INVALID;
        }
        if (op.applied()) {
          return holds ? op.value() : INVALID;
        }
        return holds ? INVALID : state;
    }
  }

  static boolean checkKey(List<Op> ops) {
    Boolean ok = checkKey(ops, Long.MAX_VALUE);
    return ok != null && ok;
  }

  /** Whether {@code ops} are linearizable; null when the search took more than {@code maxSteps}. */
  static Boolean checkKey(List<Op> ops, long maxSteps) {
    int n = ops.size();
    List<Event> events = new ArrayList<>(2 * n);
    int definite = 0;
    for (int i = 0; i < n; i++) {
      Op op = ops.get(i);
      Event call = new Event(i, true, op.invoke());
      long end = op.outcome() == Op.Outcome.UNKNOWN ? Long.MAX_VALUE : op.complete();
      Event ret = new Event(i, false, end);
      call.match = ret;
      ret.match = call;
      events.add(call);
      events.add(ret);
      if (op.outcome() == Op.Outcome.OK) {
        definite++;
      }
    }
    // Calls before returns at the same instant: operations that touch may be taken as concurrent.
    events.sort(Comparator.comparingLong((Event e) -> e.time).thenComparing(e -> e.call ? 0 : 1));
    Event head = new Event(-1, true, Long.MIN_VALUE);
    Event last = head;
    for (Event e : events) {
      last.next = e;
      e.prev = last;
      last = e;
    }
    BitSet linearized = new BitSet(n);
    Set<Cached> cache = new HashSet<>();
    List<Frame> stack = new ArrayList<>();
    String state = null;
    int remaining = definite;
    Event entry = head.next;
    long steps = 0;
    while (remaining > 0) {
      if (++steps > maxSteps) {
        return null;
      }
      if (entry == null) {
        return false;
      }
      if (entry.call) {
        Op op = ops.get(entry.op);
        String next = step(state, op);
        if (!INVALID.equals(next)) {
          BitSet tried = (BitSet) linearized.clone();
          tried.set(entry.op);
          if (cache.add(new Cached(tried, next))) {
            stack.add(new Frame(entry, state));
            state = next;
            linearized.set(entry.op);
            if (op.outcome() == Op.Outcome.OK) {
              remaining--;
            }
            lift(entry);
            entry = head.next;
            continue;
          }
        }
        entry = entry.next;
      } else {
        if (stack.isEmpty()) {
          return false;
        }
        Frame top = stack.remove(stack.size() - 1);
        state = top.state();
        linearized.clear(top.call().op);
        if (ops.get(top.call().op).outcome() == Op.Outcome.OK) {
          remaining++;
        }
        unlift(top.call());
        entry = top.call().next;
      }
    }
    return true;
  }

  private static void lift(Event call) {
    call.prev.next = call.next;
    if (call.next != null) {
      call.next.prev = call.prev;
    }
    Event ret = call.match;
    ret.prev.next = ret.next;
    if (ret.next != null) {
      ret.next.prev = ret.prev;
    }
  }

  private static void unlift(Event call) {
    Event ret = call.match;
    ret.prev.next = ret;
    if (ret.next != null) {
      ret.next.prev = ret;
    }
    call.prev.next = call;
    if (call.next != null) {
      call.next.prev = call;
    }
  }
}
