package dev.junction.admin;

import dev.junction.client.JunctionClient;
import dev.junction.client.proto.NodeUtilization;
import dev.junction.client.proto.Operator;
import dev.junction.client.proto.PlanResponse;
import dev.junction.client.proto.PlannedMove;
import dev.junction.client.proto.RejectedMove;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;

/** {@code junctionctl plan}: what the controller's placement planner would do now, and what is under way. */
@Command(
    name = "plan",
    mixinStandardHelpOptions = true,
    description = {
      "Shows what the controller's placement planner would do now to even out the nodes: the moves",
      "(replica: copy to the new node, join at the tail, remove the old one; head: reorder the chain),",
      "the moves it considered and rejected with the reason, each node's utilization afterwards (the",
      "larger of its storage and bandwidth fractions) next to the lower bound no placement can beat,",
      "and the moves under way. It changes nothing: with rebalancing on",
      "(junction.cluster.rebalance.interval above 0) the controller carries plans out by itself."
    })
final class PlanCommand extends ClientCommand {
  @Mixin JsonOption json;

  @Override
  int run(JunctionClient client, Codec codec) {
    PlanResponse plan = client.plan();
    if (json.print(out(), plan)) {
      return 0;
    }
    out().printf("plan on routing table version %d; rebalancing is %s%n", plan.getTableVersion(),
        plan.getRebalancing() ? "on (the controller carries plans out)" : "off (plans are only shown)");
    out().printf("highest node utilization %.3f now, %.3f after the moves; lower bound %.3f%n",
        plan.getUtilizationBefore(), plan.getUtilizationAfter(), plan.getLowerBound());
    section("moves", plan.getMovesCount());
    if (plan.getMovesCount() > 0) {
      TextTable moves = new TextTable("RANGE", "KIND", "FROM", "TO", "WHY");
      for (PlannedMove m : plan.getMovesList()) {
        row(moves, m);
      }
      moves.print(out());
    }
    section("rejected", plan.getRejectedCount());
    if (plan.getRejectedCount() > 0) {
      TextTable rejected = new TextTable("RANGE", "KIND", "FROM", "TO", "WHY NOT");
      for (RejectedMove r : plan.getRejectedList()) {
        PlannedMove m = r.getMove();
        rejected.row(Long.toUnsignedString(m.getRangeId()), m.getKind(), or(m.getFromNode()), or(m.getToNode()), r.getWhy());
      }
      rejected.print(out());
    }
    section("nodes", plan.getNodesCount());
    if (plan.getNodesCount() > 0) {
      TextTable nodes = new TextTable("NODE", "UTILIZATION AFTER", "");
      for (NodeUtilization n : plan.getNodesList()) {
        nodes.row(n.getNode(), String.format("%.3f", n.getUtilization()), bar(n.getUtilization(), plan.getUtilizationAfter()));
      }
      nodes.print(out());
    }
    section("under way", plan.getOperatorsCount());
    if (plan.getOperatorsCount() > 0) {
      TextTable ops = new TextTable("ID", "RANGE", "KIND", "FROM", "TO", "PHASE", "FOR");
      for (Operator op : plan.getOperatorsList()) {
        PlannedMove m = op.getMove();
        ops.row(Long.toUnsignedString(op.getId()), Long.toUnsignedString(m.getRangeId()), m.getKind(),
            or(m.getFromNode()), or(m.getToNode()), op.getPhase(), String.format("%.1fs", op.getSecondsInPhase()));
      }
      ops.print(out());
    }
    return 0;
  }

  private void section(String name, int count) {
    out().printf("%n%s: %d%n", name, count);
  }

  private static void row(TextTable table, PlannedMove m) {
    table.row(Long.toUnsignedString(m.getRangeId()), m.getKind(), or(m.getFromNode()), or(m.getToNode()), m.getReason());
  }

  private static String or(String node) {
    return node.isEmpty() ? "-" : node;
  }

  /** A bar of up to 20 characters, full at the highest utilization shown. */
  static String bar(double value, double max) {
    int n = max <= 0 ? 0 : (int) Math.round(20 * Math.min(1, value / max));
    return "#".repeat(n);
  }
}
