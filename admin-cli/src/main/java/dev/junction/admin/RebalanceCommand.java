package dev.junction.admin;

import dev.junction.client.JunctionClient;
import dev.junction.client.JunctionException;
import dev.junction.client.proto.Operator;
import dev.junction.client.proto.PlanResponse;
import dev.junction.client.proto.PlannedMove;
import java.util.LinkedHashSet;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.atomic.AtomicBoolean;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** {@code junctionctl rebalance [--apply]}: the plan, or the plan carried out now with a progress bar. */
@Command(
    name = "rebalance",
    mixinStandardHelpOptions = true,
    description = {
      "Without --apply: shows the moves the controller's planner would start now (as junctionctl plan).",
      "With --apply: starts them now (also when rebalancing is off: a plan applied once) and shows a",
      "progress bar until every one ended. Ctrl-C while it waits cancels the moves it started that are",
      "still under way: each range keeps the chain it has at that moment, so the cluster stays",
      "consistent. Exit 1 when a move did not end done."
    })
final class RebalanceCommand extends ClientCommand {
  @Option(names = "--apply", description = "Start the planned moves now and wait for them.")
  boolean apply;

  @Mixin WaitOptions waiting;

  @Override
  int run(JunctionClient client, Codec codec) {
    if (!apply) {
      PlanResponse plan = client.plan();
      out().printf("%d move(s) planned on routing table version %d (highest utilization %.3f now, %.3f after;"
          + " lower bound %.3f)%n", plan.getMovesCount(), plan.getTableVersion(), plan.getUtilizationBefore(),
          plan.getUtilizationAfter(), plan.getLowerBound());
      for (PlannedMove m : plan.getMovesList()) {
        out().printf("  range %d: %s %s → %s (%s)%n", m.getRangeId(), m.getKind(), or(m.getFromNode()),
            or(m.getToNode()), m.getReason());
      }
      out().println(plan.getMovesCount() == 0 ? "nothing to do" : "junctionctl rebalance --apply starts them now");
      return 0;
    }
    PlanResponse started = client.rebalance();
    Set<Long> ids = new LinkedHashSet<>();
    for (PlannedMove m : started.getMovesList()) {
      for (Operator op : started.getOperatorsList()) {
        if (op.getMove().getRangeId() == m.getRangeId() && op.getMove().getKind().equals(m.getKind())) {
          ids.add(op.getId());
          out().printf("%s: started%n", Operators.describe(op));
        }
      }
    }
    if (ids.isEmpty()) {
      out().println("no move to start: the nodes are within the margin of each other (junctionctl plan says why)");
      return 0;
    }
    out().flush();
    if (waiting.noWait) {
      return 0;
    }
    AtomicBoolean finished = new AtomicBoolean();
    Thread cancelOnInterrupt = new Thread(() -> {
      if (!finished.get()) {
        cancelUnfinished(client, ids);
      }
    }, "junctionctl-rebalance-cancel");
    Runtime.getRuntime().addShutdownHook(cancelOnInterrupt);
    try {
      Map<Long, Operator> end = Operators.follow(client, out(), ids, waiting.every, waiting.maxWait, true);
      finished.set(true);
      int notDone = 0;
      for (long id : ids) {
        Operator op = end.get(id);
        if (op == null || !op.getPhase().equals("done")) {
          notDone++;
          out().printf("  %s: %s%n", op == null ? "move " + id : Operators.describe(op),
              op == null ? "unknown" : op.getPhase());
        }
      }
      out().printf(notDone == 0 ? "every move done%n" : "%d move(s) not done%n", notDone);
      return notDone == 0 ? 0 : JunctionCtl.EXIT_FAILED;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return JunctionCtl.EXIT_FAILED;
    } finally {
      finished.set(true);
      try {
        Runtime.getRuntime().removeShutdownHook(cancelOnInterrupt);
      } catch (IllegalStateException e) {
        // the JVM is shutting down: the hook runs (or ran)
      }
    }
  }

  /** On Ctrl-C: cancels the started moves that have not ended (each range keeps its chain as it is). */
  private void cancelUnfinished(JunctionClient client, Set<Long> ids) {
    try {
      PlanResponse plan = client.plan();
      for (long id : ids) {
        if (Operators.find(plan, id).filter(op -> !Operators.ended(op)).isPresent()) {
          Operator op = client.cancelOperator(id);
          err().printf("%s: cancelled%n", Operators.describe(op));
        }
      }
    } catch (JunctionException e) {
      err().println("junctionctl: could not cancel the moves under way: " + e.getMessage());
    }
    err().flush();
  }

  private static String or(String node) {
    return node.isEmpty() ? "-" : node;
  }
}
