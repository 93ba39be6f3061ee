package dev.junction.node.grpc;

import com.google.protobuf.ByteString;
import dev.junction.chain.core.RangeConfig;
import dev.junction.chain.core.Replica;
import dev.junction.client.proto.AdminGrpc;
import dev.junction.client.proto.ClusterStatusRequest;
import dev.junction.client.proto.ClusterStatusResponse;
import dev.junction.client.proto.Member;
import dev.junction.client.proto.RangeInfo;
import dev.junction.client.proto.ReplicaInfo;
import dev.junction.client.proto.RoutingTableRequest;
import dev.junction.client.proto.RoutingTableResponse;
import dev.junction.sharding.routing.RoutingTable;
import dev.junction.sharding.routing.TableHolder;
import io.grpc.Status;
import io.grpc.stub.StreamObserver;
import java.util.Optional;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.cluster.ClusterEvent;
import org.apache.pekko.cluster.typed.Cluster;

/** {@code junction.v1.Admin} on a node: the cluster as this node sees it, and its routing table. */
public final class AdminService extends AdminGrpc.AdminImplBase {
  static final String GRPC_ROLE = "grpc=";

  private final ActorSystem<?> system;
  private final TableHolder tables;

  public AdminService(ActorSystem<?> system, TableHolder tables) {
    this.system = system;
    this.tables = tables;
  }

  @Override
  public void clusterStatus(ClusterStatusRequest req, StreamObserver<ClusterStatusResponse> out) {
    Cluster cluster = Cluster.get(system);
    ClusterEvent.CurrentClusterState state = cluster.state();
    ClusterStatusResponse.Builder b =
        ClusterStatusResponse.newBuilder()
            .setSelf(cluster.selfMember().address().toString())
            .setTableVersion(tables.version());
    Optional.ofNullable(state.getLeader()).ifPresent(l -> b.setLeader(l.toString()));
    state
        .getMembers()
        .forEach(
            m -> {
              Member.Builder mb =
                  Member.newBuilder()
                      .setAddress(m.address().toString())
                      .setStatus(m.status().toString())
                      .setReachable(!state.getUnreachable().contains(m));
              for (String role : m.getRoles()) {
                if (role.startsWith(GRPC_ROLE)) {
                  mb.setGrpcEndpoint(role.substring(GRPC_ROLE.length()));
                } else if (!role.startsWith("dc-")) {
                  mb.addRoles(role);
                }
              }
              b.addMembers(mb);
            });
    out.onNext(b.build());
    out.onCompleted();
  }

  @Override
  public void routingTable(RoutingTableRequest req, StreamObserver<RoutingTableResponse> out) {
    Optional<RoutingTable> table = tables.find();
    if (table.isEmpty()) {
      out.onError(Status.UNAVAILABLE.withDescription("no routing table yet: the cluster is still forming").asRuntimeException());
      return;
    }
    RoutingTableResponse.Builder b = RoutingTableResponse.newBuilder().setVersion(table.get().version());
    for (RangeConfig r : table.get().ranges()) {
      RangeInfo.Builder rb =
          RangeInfo.newBuilder()
              .setRangeId(r.rangeId())
              .setStart(ByteString.copyFrom(r.start()))
              .setEnd(ByteString.copyFrom(r.end()))
              .setEpoch(r.epoch());
      for (Replica replica : r.chain()) {
        rb.addChain(ReplicaInfo.newBuilder().setSlot(replica.slot()).setNode(replica.node()));
      }
      b.addRanges(rb);
    }
    out.onNext(b.build());
    out.onCompleted();
  }
}
