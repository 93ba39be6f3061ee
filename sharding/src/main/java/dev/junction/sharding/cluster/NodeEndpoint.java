package dev.junction.sharding.cluster;

import dev.junction.chain.core.ClientReply;
import dev.junction.chain.core.ReadOp;
import dev.junction.chain.core.ReadView;
import dev.junction.chain.core.ReplicaId;
import dev.junction.chain.core.RequestId;
import dev.junction.chain.core.WriteOp;
import dev.junction.chain.replica.LocalReplicas;
import dev.junction.chain.replica.ReplicaActor;
import dev.junction.chain.replica.Responder;
import dev.junction.chain.serialization.JunctionSerializable;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.javadsl.Behaviors;

/**
 * Where other nodes' gateways send requests for the replicas of this node (one actor per node, at
 * {@link #PATH} under the system guardian): a write or scan is handed to the replica's actor, a get is
 * answered at once through the replica's read view, and answers go back to the asking gateway's inbox
 * ({@link Responder.Remote}). Nothing on this path goes through Cluster Sharding or makes an actor.
 */
public final class NodeEndpoint {
  /** The endpoint's name under {@code /system}; gateways address it by node and this path. */
  public static final String NAME = "junction-endpoint";

  /** The endpoint's path on a node: {@code <node address>/system/junction-endpoint}. */
  public static final String PATH = "/system/" + NAME;

  /** A request for a replica of this node. */
  public sealed interface Command extends JunctionSerializable permits Write, Read {}

  /** A write for the head {@code replica}, from a gateway whose table has {@code epoch}. */
  public record Write(ReplicaId replica, long epoch, RequestId id, WriteOp op, Responder.Remote replyTo)
      implements Command {}

  /** A read (a get at any replica, a scan at the tail), from a gateway whose table has {@code epoch}. */
  public record Read(ReplicaId replica, long epoch, ReadOp op, Responder.Remote replyTo) implements Command {}

  private NodeEndpoint() {}

  public static Behavior<Command> create(LocalReplicas locals) {
    return Behaviors.receive(Command.class)
        .onMessage(Write.class, w -> {
          LocalReplicas.Handle h = locals.get(w.replica());
          if (h == null) {
            w.replyTo().reply(notHere(w.epoch()));
          } else {
            h.ref().tell(new ReplicaActor.ClientWrite(w.epoch(), w.id(), w.op(), w.replyTo()));
          }
          return Behaviors.same();
        })
        .onMessage(Read.class, r -> {
          serveRead(locals, r.replica(), r.epoch(), r.op(), r.replyTo());
          return Behaviors.same();
        })
        .build();
  }

  /**
   * A read of a replica on this node: a get through its read view on the calling thread, a scan through
   * its mailbox. Answers {@code NOT_IN_CHAIN} when the replica does not serve here.
   */
  static void serveRead(LocalReplicas locals, ReplicaId replica, long epoch, ReadOp op, Responder answer) {
    LocalReplicas.Handle h = locals.get(replica);
    if (h == null) {
      answer.reply(notHere(epoch));
    } else if (op instanceof ReadOp.Get get) {
      ReadView.Outcome outcome = h.view().get(epoch, get.key(), System.nanoTime(), h.store()::get);
      if (get.latest() && outcome instanceof ReadView.AskTail) {
        h.ref().tell(new ReplicaActor.ClientRead(epoch, op, answer)); // the head waits for the key's writes
      } else {
        answer.reply(ReplicaActor.answer(outcome));
      }
    } else {
      h.ref().tell(new ReplicaActor.ClientRead(epoch, op, answer));
    }
  }

  private static ReplicaActor.Reply notHere(long epoch) {
    return new ReplicaActor.Rejected(ClientReply.Reason.NOT_IN_CHAIN, epoch);
  }
}
