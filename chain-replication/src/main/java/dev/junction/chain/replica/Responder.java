package dev.junction.chain.replica;

import dev.junction.chain.serialization.JunctionSerializable;
import java.util.function.Consumer;
import org.apache.pekko.actor.typed.ActorRef;

/**
 * Where a replica's answer to a client request goes: a callback on this node, or the answer inbox of the
 * gateway on another node with the request's number there. No temporary actor is made per request.
 */
public sealed interface Responder {
  /** Delivers {@code reply}; called once, on the replica's thread (keep it short). */
  void reply(ReplicaActor.Reply reply);

  /** A gateway on this node: the answer is handed to {@code callback} (never serialized). */
  record Local(Consumer<ReplicaActor.Reply> callback) implements Responder {
    @Override
    public void reply(ReplicaActor.Reply reply) {
      callback.accept(reply);
    }
  }

  /** A gateway on another node: the answer goes to its inbox, tagged with the request's number there. */
  record Remote(ActorRef<Answer> inbox, long id) implements Responder, JunctionSerializable {
    @Override
    public void reply(ReplicaActor.Reply reply) {
      inbox.tell(new Answer(id, reply));
    }
  }

  /** An answer for the gateway inbox of another node. */
  record Answer(long id, ReplicaActor.Reply reply) implements JunctionSerializable {}
}
