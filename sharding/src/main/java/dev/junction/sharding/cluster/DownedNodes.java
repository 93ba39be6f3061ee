package dev.junction.sharding.cluster;

import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.Props;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.cluster.ClusterEvent;
import org.apache.pekko.cluster.MemberStatus;
import org.apache.pekko.cluster.typed.Cluster;
import org.apache.pekko.cluster.typed.Subscribe;

/**
 * The nodes this node has seen removed from the cluster after being downed (not after leaving
 * gracefully), since it started. The controller reads it when it takes over: a node the routing table
 * still names but that is no longer a member is lost only if it was downed; one this node never saw
 * (a whole cluster starting again, its nodes joining one by one) is not.
 */
public final class DownedNodes {
  private final Set<String> downed = ConcurrentHashMap.newKeySet();

  private DownedNodes() {}

  /** Starts watching the cluster's removals on {@code system}. */
  static DownedNodes watch(ActorSystem<?> system) {
    DownedNodes nodes = new DownedNodes();
    system.systemActorOf(nodes.watcher(), "downed-nodes", Props.empty());
    return nodes;
  }

  private Behavior<ClusterEvent.MemberEvent> watcher() {
    return Behaviors.setup(ctx -> {
      Cluster.get(ctx.getSystem()).subscriptions().tell(Subscribe.create(ctx.getSelf(), ClusterEvent.MemberEvent.class));
      return Behaviors.receive(ClusterEvent.MemberEvent.class)
          .onMessage(ClusterEvent.MemberRemoved.class, removed -> {
            String address = removed.member().address().toString();
            if (removed.previousStatus() == MemberStatus.down()) {
              downed.add(address);
            } else {
              downed.remove(address);
            }
            return Behaviors.same();
          })
          .onMessage(ClusterEvent.MemberUp.class, up -> {
            downed.remove(up.member().address().toString()); // a new incarnation at the same address
            return Behaviors.same();
          })
          .onMessage(ClusterEvent.MemberEvent.class, other -> Behaviors.same())
          .build();
    });
  }

  /** Whether this node saw {@code address} downed and removed (and not up again since). */
  public boolean contains(String address) {
    return downed.contains(address);
  }
}
