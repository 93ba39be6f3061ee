package dev.junction.chain.replica;

import dev.junction.chain.core.LogEntry;
import dev.junction.chain.core.PeerMessage;
import dev.junction.chain.core.ReplicaId;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.ActorRefResolver;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.javadsl.Behaviors;

/**
 * The chain traffic of one node (one actor per node, at {@link #PATH} under the system guardian): the
 * replicas of this node hand it the messages for their peers ({@link Out}, a local message), and it
 * sends everything for one node that is ready at the end of its mailbox run as one {@link Batch} to that
 * node's link, which hands each message to the replica it is for through the {@link LocalReplicas}
 * registry (or through sharding when that replica is not serving yet). So a write costs one cluster
 * message per hop and node pair whatever the number of ranges, and no message goes through the shard
 * region. Order between two replicas is kept: one link per node, one association per node pair.
 *
 * <p>Batches travel in the compact format of {@code ChainBatchSerializer}, not Kryo.
 */
public final class ChainLink {
  /** The link's name under {@code /system}. */
  public static final String NAME = "junction-chain-link";

  /** The link's path on a node: {@code <node address>/system/junction-chain-link}. */
  public static final String PATH = "/system/" + NAME;

  /** Most bytes of keys and values in one batch: well under Artery's frame, with a forward of 1 MiB. */
  static final long MAX_BATCH_BYTES = 1_536 * 1024;

  /** What the link receives. */
  public sealed interface Command permits Out, Batch, Flush {}

  /** From a replica of this node: deliver {@code message} to replica {@code toSlot} of the range, on {@code node}. */
  public record Out(String node, long rangeId, int toSlot, PeerMessage message) implements Command {}

  /** One message of a batch. */
  public record Item(long rangeId, int toSlot, PeerMessage message) {}

  /** From another node's link: messages for replicas of this node, in the order they were sent. */
  public record Batch(List<Item> items) implements Command {
    public Batch {
      items = List.copyOf(items);
    }
  }

  /** The end of a mailbox run (private). */
  enum Flush implements Command {
    INSTANCE
  }

  private ChainLink() {}

  /**
   * The link of node {@code selfNode}: delivers to {@code locals}, or through {@code directory} (sharding)
   * to a replica that is not serving here yet.
   */
  public static Behavior<Command> create(LocalReplicas locals, ChainDirectory directory) {
    return Behaviors.setup(ctx -> {
      ActorRefResolver resolver = ActorRefResolver.get(ctx.getSystem());
      Map<String, List<Item>> pending = new HashMap<>();
      Map<String, Long> pendingBytes = new HashMap<>();
      Map<String, ActorRef<Command>> links = new HashMap<>();
      boolean[] flushPending = {false};
      String self = directory.selfNode();
      java.util.function.Function<String, ActorRef<Command>> link =
          node -> links.computeIfAbsent(node, n -> resolver.resolveActorRef(n + PATH));
      return Behaviors.receive(Command.class)
          .onMessage(Out.class, o -> {
            Item item = new Item(o.rangeId(), o.toSlot(), o.message());
            if (o.node().equals(self)) {
              deliver(locals, directory, item);
              return Behaviors.same();
            }
            long size = size(o.message());
            long before = pendingBytes.getOrDefault(o.node(), 0L);
            if (before > 0 && before + size > MAX_BATCH_BYTES) {
              link.apply(o.node()).tell(new Batch(pending.remove(o.node())));
              before = 0;
            }
            pending.computeIfAbsent(o.node(), n -> new ArrayList<>()).add(item);
            pendingBytes.put(o.node(), before + size);
            if (!flushPending[0]) {
              flushPending[0] = true;
              ctx.getSelf().tell(Flush.INSTANCE);
            }
            return Behaviors.same();
          })
          .onMessageEquals(Flush.INSTANCE, () -> {
            flushPending[0] = false;
            for (Map.Entry<String, List<Item>> e : pending.entrySet()) {
              link.apply(e.getKey()).tell(new Batch(e.getValue()));
            }
            pending.clear();
            pendingBytes.clear();
            return Behaviors.same();
          })
          .onMessage(Batch.class, b -> {
            for (Item item : b.items()) {
              deliver(locals, directory, item);
            }
            return Behaviors.same();
          })
          .build();
    });
  }

  private static void deliver(LocalReplicas locals, ChainDirectory directory, Item item) {
    ReplicaId to = new ReplicaId(item.rangeId(), item.toSlot());
    LocalReplicas.Handle h = locals.get(to);
    if (h != null) {
      h.ref().tell(new ReplicaActor.Peer(item.message()));
    } else {
      directory.send(to, new ReplicaActor.Peer(item.message()));
    }
  }

  private static long size(PeerMessage m) {
    long size = 32;
    List<LogEntry> entries = m instanceof PeerMessage.Forward f ? f.entries()
        : m instanceof PeerMessage.Backfill b ? b.entries() : List.of();
    for (LogEntry e : entries) {
      size += e.size();
    }
    return size;
  }
}
