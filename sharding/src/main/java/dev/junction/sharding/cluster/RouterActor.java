package dev.junction.sharding.cluster;

import dev.junction.chain.core.RequestId;
import dev.junction.chain.core.WriteOp;
import dev.junction.chain.replica.ReplicaActor;
import dev.junction.chain.serialization.JunctionSerializable;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.atomic.AtomicReference;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.actor.typed.receptionist.Receptionist;
import org.apache.pekko.actor.typed.receptionist.ServiceKey;

/**
 * Routes requests that other gateways hand to this node: the receiving side of {@code server-driven}
 * routing, which exists only so that a benchmark can measure what switch-style routing saves. It routes
 * with this node's {@link Router} in switch mode and answers the asking gateway.
 */
public final class RouterActor {
  /** Where gateways find the router actors of all nodes. */
  public static final ServiceKey<Command> KEY = ServiceKey.create(Command.class, "junction-router");

  /** A request handed over by another gateway. */
  public sealed interface Command extends JunctionSerializable permits RouteWrite, RouteGet, RouteScan, Peers {}

  public record RouteWrite(RequestId id, WriteOp op, long timeoutMillis, ActorRef<ReplicaActor.Reply> replyTo)
      implements Command {}

  public record RouteGet(byte[] key, long timeoutMillis, ActorRef<ReplicaActor.Reply> replyTo)
      implements Command {}

  public record RouteScan(byte[] from, byte[] to, int limit, long timeoutMillis, ActorRef<ReplicaActor.Reply> replyTo)
      implements Command {}

  private record Peers(Receptionist.Listing listing) implements Command {}

  private RouterActor() {}

  /**
   * The behavior: registers with the receptionist, keeps {@code peers} up to date with the router actors
   * of all nodes, and serves handed-over requests with {@code router}.
   */
  public static Behavior<Command> create(Router router, AtomicReference<List<ActorRef<Command>>> peers) {
    return Behaviors.setup(
        ctx -> {
          ctx.getSystem().receptionist().tell(Receptionist.register(KEY, ctx.getSelf()));
          ctx.getSystem()
              .receptionist()
              .tell(Receptionist.subscribe(KEY, ctx.messageAdapter(Receptionist.Listing.class, Peers::new)));
          return Behaviors.receive(Command.class)
              .onMessage(Peers.class, p -> {
                peers.set(List.copyOf(p.listing().getServiceInstances(KEY)));
                return Behaviors.same();
              })
              .onMessage(RouteWrite.class, w -> answer(router.writeDirect(w.id(), w.op(), Duration.ofMillis(w.timeoutMillis())), w.replyTo()))
              .onMessage(RouteGet.class, g -> answer(router.getDirect(g.key(), Duration.ofMillis(g.timeoutMillis())), g.replyTo()))
              .onMessage(RouteScan.class, s -> answer(router.scanDirect(s.from(), s.to(), s.limit(), Duration.ofMillis(s.timeoutMillis())), s.replyTo()))
              .build();
        });
  }

  private static Behavior<Command> answer(CompletionStage<Router.Result> reply, ActorRef<ReplicaActor.Reply> to) {
    reply.whenComplete(
        (r, e) ->
            to.tell(
                e == null
                    ? Router.toReply(r)
                    : new ReplicaActor.Failed(ReplicaActor.Failure.INTERNAL, "routing failed: " + e)));
    return Behaviors.same();
  }
}
