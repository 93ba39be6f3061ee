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

/** Following operators (moves under way) through the Plan RPC, for move, rebalance and operators. */
final class Operators {
  private Operators() {}

  /** {@code move 4 of range 7: replica a → b (copying, 2.3s)}. */
  static String describe(Operator op) {
    PlannedMove m = op.getMove();
    String what = switch (m.getKind()) {
      case "add" -> "add a replica on " + m.getToNode();
      case "remove" -> "remove the replica on " + m.getFromNode();
      default -> m.getKind() + " " + m.getFromNode() + " → " + m.getToNode();
    };
    return String.format("move %s of range %s: %s", Long.toUnsignedString(op.getId()),
        Long.toUnsignedString(m.getRangeId()), what);
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
