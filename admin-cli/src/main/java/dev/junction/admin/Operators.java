package dev.junction.admin;

import dev.junction.client.JunctionClient;
import dev.junction.client.proto.Operator;
import dev.junction.client.proto.PlanResponse;
import dev.junction.client.proto.PlannedMove;
import java.io.PrintWriter;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/** Following operators (moves, splits, merges) through the Plan RPC, for move, split, merge, rebalance and operators. */
final class Operators {
  private Operators() {}

  /** {@code move 4 of range 7: replica a → b (copying, 2.3s)}. */
  static String describe(Operator op) {
    PlannedMove m = op.getMove();
    String what = switch (m.getKind()) {
      case "add" -> "add a replica on " + m.getToNode();
      case "remove" -> "remove the replica on " + m.getFromNode();
      case "split" -> "split at '" + Codec.TEXT.label(m.getSplitKey().toByteArray()) + "'"
          + (m.getLeftId() == 0 ? "" : " into " + Long.toUnsignedString(m.getLeftId()) + " and "
              + Long.toUnsignedString(m.getRightId()));
      case "merge" -> "merge with " + Long.toUnsignedString(m.getMergeWith())
          + (m.getMergedId() == 0 ? "" : " into " + Long.toUnsignedString(m.getMergedId()));
      default -> m.getKind() + " " + m.getFromNode() + " → " + m.getToNode();
    };
    return String.format("%s %s of range %s: %s",
        m.getKind().equals("split") || m.getKind().equals("merge") ? m.getKind() : "move",
        Long.toUnsignedString(op.getId()), Long.toUnsignedString(m.getRangeId()), what);
  }

  /**
   * Prints that {@code op} started and, unless {@code waiting.noWait}, follows it until it ended; the exit
   * code: 0 when it ended done (or was not waited for), else 1.
   */
  static int startedAndFollowed(JunctionClient client, PrintWriter out, Operator op, WaitOptions waiting) {
    out.printf("%s: started (%s)%n", describe(op), op.getPhase());
    out.flush();
    if (waiting.noWait) {
      return 0;
    }
    try {
      Map<Long, Operator> end = follow(client, out, Set.of(op.getId()), waiting.every, waiting.maxWait, false);
      Operator last = end.getOrDefault(op.getId(), op);
      if (!ended(last)) {
        out.printf("%s is still %s after %s; it goes on (junctionctl operators shows it)%n",
            describe(last), last.getPhase(), waiting.maxWait);
        return JunctionCtl.EXIT_FAILED;
      }
      return last.getPhase().equals("done") ? 0 : JunctionCtl.EXIT_FAILED;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return JunctionCtl.EXIT_FAILED;
    }
  }

  /** The operator {@code id} in {@code plan}: under way, else among the ended ones, else empty. */
  static Optional<Operator> find(PlanResponse plan, long id) {
    for (Operator op : plan.getOperatorsList()) {
      if (op.getId() == id) {
        return Optional.of(op);
      }
    }
    Operator last = null;
    for (Operator op : plan.getEndedList()) {
      if (op.getId() == id) {
        last = op;
      }
    }
    return Optional.ofNullable(last);
  }

  static boolean ended(Operator op) {
    return op.getPhase().equals("done") || op.getPhase().equals("cancelled") || op.getPhase().equals("expired");
  }

  /**
   * Waits until every operator of {@code ids} ended (or {@code maxWait} ran out), printing each phase
   * change, or with {@code bar} one progress line per change. Returns the operators as they ended (an
   * operator that left both lists without an end is taken as done elsewhere: reported with its last phase).
   */
  static Map<Long, Operator> follow(JunctionClient client, PrintWriter out, Set<Long> ids, Duration every,
      Duration maxWait, boolean bar) throws InterruptedException {
    Map<Long, Operator> last = new HashMap<>();
    long deadline = System.nanoTime() + maxWait.toNanos();
    String lastLine = "";
    while (true) {
      PlanResponse plan = client.plan();
      int done = 0;
      for (long id : ids) {
        Optional<Operator> op = find(plan, id);
        if (op.isPresent()) {
          Operator before = last.put(id, op.get());
          if (!bar && (before == null || !before.getPhase().equals(op.get().getPhase()))) {
            out.printf("  %s: %s%n", describe(op.get()), op.get().getPhase());
            out.flush();
          }
        }
        if (last.containsKey(id) && ended(last.get(id))) {
          done++;
        }
      }
      if (bar) {
        String line = progress(done, ids.size());
        if (!line.equals(lastLine)) {
          out.println(line);
          out.flush();
          lastLine = line;
        }
      }
      if (done == ids.size() || System.nanoTime() - deadline > 0) {
        return last;
      }
      Thread.sleep(every.toMillis()); // polling interval of a bounded wait
    }
  }

  /** {@code [########............] 2/5 moves ended}. */
  static String progress(int done, int total) {
    int filled = total == 0 ? 20 : 20 * done / total;
    return "[" + "#".repeat(filled) + ".".repeat(20 - filled) + "] " + done + "/" + total + " moves ended";
  }

  /** The table of operators: id, range, kind, from, to, phase, time in phase. */
  static void print(PrintWriter out, List<Operator> ops) {
    TextTable t = new TextTable("ID", "RANGE", "KIND", "FROM", "TO", "PHASE", "FOR");
    for (Operator op : ops) {
      PlannedMove m = op.getMove();
      t.row(Long.toUnsignedString(op.getId()), Long.toUnsignedString(m.getRangeId()), m.getKind(),
          m.getFromNode().isEmpty() ? "-" : m.getFromNode(), m.getToNode().isEmpty() ? "-" : m.getToNode(),
          op.getPhase(), String.format("%.1fs", op.getSecondsInPhase()));
    }
    t.print(out);
  }
}
