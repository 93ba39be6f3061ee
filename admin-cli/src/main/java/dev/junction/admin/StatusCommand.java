package dev.junction.admin;

import dev.junction.client.JunctionClient;
import dev.junction.client.proto.ClusterStatusResponse;
import dev.junction.client.proto.Member;
import dev.junction.client.proto.NodeRuntime;
import java.util.ArrayList;
import java.util.List;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;

/** {@code junctionctl status}: the cluster's members, their state, and the leader. */
@Command(
    name = "status",
    mixinStandardHelpOptions = true,
    description = {
      "Prints the cluster's members and leader.",
      "As the answering node sees them: each member's state, reachability and gRPC endpoint;",
      "and that node's process: uptime, CPU time, time its JIT compiler spent compiling."
    })
final class StatusCommand extends ClientCommand {
  @Mixin JsonOption json;

  @Override
  int run(JunctionClient client, Codec codec) {
    ClusterStatusResponse status = client.adminStatus();
    if (json.print(out(), status)) {
      return 0;
    }
    out().println("answered by:    " + status.getSelf());
    out().println("leader:         " + orNone(status.getLeader()));
    out().println("routing table:  version " + status.getTableVersion());
    if (status.hasRuntime()) {
      NodeRuntime r = status.getRuntime();
      out().printf("process:        up %d s, CPU %.1f s, JIT compiling %.1f s, %d processors%n",
          r.getUptimeMillis() / 1000, r.getCpuMillis() / 1000.0, r.getJitMillis() / 1000.0, r.getProcessors());
    }
    out().println("members:        " + status.getMembersCount());
    out().println();
    TextTable table = new TextTable("ADDRESS", "STATUS", "REACHABLE", "GRPC", "ROLES", "");
    for (Member m : status.getMembersList()) {
      table.row(
          m.getAddress(),
          m.getStatus(),
          m.getReachable() ? "yes" : "NO",
          m.getGrpcEndpoint().isEmpty() ? "-" : m.getGrpcEndpoint(),
          m.getRolesCount() == 0 ? "-" : String.join(",", m.getRolesList()),
          notes(status, m));
    }
    table.print(out());
    return 0;
  }

  private static String orNone(String address) {
    return address.isEmpty() ? "(none)" : address;
  }

  private static String notes(ClusterStatusResponse status, Member m) {
    List<String> notes = new ArrayList<>();
    if (m.getAddress().equals(status.getLeader())) {
      notes.add("leader");
    }
    if (m.getAddress().equals(status.getSelf())) {
      notes.add("answered");
    }
    return String.join(", ", notes);
  }
}
