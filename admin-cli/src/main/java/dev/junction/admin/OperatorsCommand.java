package dev.junction.admin;

import dev.junction.client.JunctionClient;
import dev.junction.client.proto.Operator;
import dev.junction.client.proto.PlanResponse;
import java.util.Optional;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code junctionctl operators [ID] [--cancel]}: the moves under way and the last ones that ended. */
@Command(
    name = "operators",
    mixinStandardHelpOptions = true,
    description = {
      "Lists the controller's operators: the moves under way (replica, head, add, remove) with their",
      "phase (copying, joining, releasing, removing, promoting) and how long they have been in it, then",
      "the last ones that ended (done, cancelled, expired). With ID, shows that one; with ID --cancel,",
      "cancels it: its range keeps the chain it has at that moment (a chain left one replica long is",
      "trimmed by the planner when rebalancing is on). Exit 1 for an operator that is not known."
    })
final class OperatorsCommand extends ClientCommand {
  @Parameters(index = "0", arity = "0..1", paramLabel = "ID", description = "An operator id.")
  Long id;

  @Option(names = "--cancel", description = "Cancel operator ID.")
  boolean cancel;

  @Mixin JsonOption json;

  @Override
  int run(JunctionClient client, Codec codec) {
    if (cancel) {
      if (id == null) {
        throw usage("--cancel needs the ID of the operator to cancel");
      }
      Operator op = client.cancelOperator(id);
      if (json.print(out(), op)) {
        return 0;
      }
      out().printf("%s: cancelled%n", Operators.describe(op));
      return 0;
    }
    PlanResponse plan = client.plan();
    if (id != null) {
      Optional<Operator> op = Operators.find(plan, id);
      if (op.isEmpty()) {
        err().printf("junctionctl: no operator %d is under way or among the last ended%n", id);
        return JunctionCtl.EXIT_FAILED;
      }
      if (json.print(out(), op.get())) {
        return 0;
      }
      out().printf("%s: %s for %.1fs (%s)%n", Operators.describe(op.get()), op.get().getPhase(),
          op.get().getSecondsInPhase(), op.get().getMove().getReason());
      return 0;
    }
    if (json.print(out(), PlanResponse.newBuilder().addAllOperators(plan.getOperatorsList())
        .addAllEnded(plan.getEndedList()).setTableVersion(plan.getTableVersion()).build())) {
      return 0;
    }
    out().printf("under way: %d%n", plan.getOperatorsCount());
    if (plan.getOperatorsCount() > 0) {
      Operators.print(out(), plan.getOperatorsList());
    }
    out().printf("%nended lately: %d%n", plan.getEndedCount());
    if (plan.getEndedCount() > 0) {
      Operators.print(out(), plan.getEndedList());
    }
    return 0;
  }
}
