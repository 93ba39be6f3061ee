package dev.junction.admin;

import dev.junction.client.JunctionClient;
import dev.junction.client.proto.ReplicaState;
import dev.junction.client.proto.ReplicaStatusResponse;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;

/** {@code junctionctl replicas}: every replica's own account of where it stands. */
@Command(
    name = "replicas",
    mixinStandardHelpOptions = true,
    description = {
      "Asks every replica of every range where it stands and prints one line each:",
      "range, slot, the node the routing table places it on, whether it serves (and on which node",
      "it runs, if elsewhere), its role, epoch, and the highest sequence numbers it has durable",
      "(PERSISTED) and knows committed (COMMITTED). Exit 1 if any replica is not serving."
    })
final class ReplicasCommand extends ClientCommand {
  @Mixin JsonOption json;

  @Override
  int run(JunctionClient client, Codec codec) {
    ReplicaStatusResponse status = client.replicaStatus();
    if (json.print(out(), status)) {
      return status.getReplicasList().stream()
          .allMatch(r -> r.getAnswered() && r.getServing() && r.getRunningOn().equals(r.getNode())) ? 0 : 1;
    }
    out().println("routing table version " + status.getTableVersion() + ", " + status.getReplicasCount() + " replica(s)");
    TextTable text = new TextTable("RANGE", "SLOT", "NODE", "STATE", "ROLE", "EPOCH", "PERSISTED", "COMMITTED");
    int notServing = 0;
    for (ReplicaState r : status.getReplicasList()) {
      String state;
      if (!r.getAnswered()) {
        state = "no answer";
      } else if (!r.getServing()) {
        state = "not serving";
      } else if (!r.getRunningOn().equals(r.getNode())) {
        state = "serving on " + r.getRunningOn();
      } else {
        state = "serving";
      }
      if (!state.equals("serving")) {
        notServing++;
      }
      text.row(
          Long.toUnsignedString(r.getRangeId()),
          Integer.toUnsignedString(r.getSlot()),
          r.getNode(),
          state,
          r.getAnswered() ? r.getRole() : "-",
          r.getAnswered() ? Long.toUnsignedString(r.getEpoch()) : "-",
          r.getAnswered() ? Long.toUnsignedString(r.getLastPersisted()) : "-",
          r.getAnswered() ? Long.toUnsignedString(r.getCommitted()) : "-");
    }
    text.print(out());
    return notServing == 0 ? 0 : 1;
  }
}
