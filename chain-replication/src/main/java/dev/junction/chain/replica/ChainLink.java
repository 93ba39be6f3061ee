package dev.junction.chain.replica;

import dev.junction.chain.core.LogEntry;
import dev.junction.chain.core.PeerMessage;
import dev.junction.chain.core.ReplicaId;
import dev.junction.chain.serialization.JunctionSerializable;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.ActorRefResolver;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.javadsl.Behaviors;

/**
 * The chain traffic of one node (one actor per node, at {@link #PATH} under the system guardian). Once
 * the {@link ChainWire}'s connection to a node is up (a TCP connection of its own to that node's bulk
 * port), the replicas of this node write their messages for peers there into it themselves ({@link
 * #sendDirect}), in the compact format of {@code ChainBatchSerializer}; the receiving node's reading
 * thread hands each message to the replica it is for through the {@link LocalReplicas} registry (or
 * through sharding when that replica is not serving yet). No message goes through the shard region.
 *
 * <p>The link carries what the replicas cannot send that way (no connection yet, or it broke): they hand
 * it those messages ({@link Out}, a local message), and it sends everything for one node that is ready at
 * the end of its mailbox run as one {@link Batch} to that node's link, over Artery (the same compact
 * format, not Kryo). It learns another node's chain port by asking that node's link ({@link WireAsk},
 * answered by {@link WireAt}) when it first sends there without a connection, and again at most once
 * every {@link #ASK_AGAIN_NANOS} while there is none. Order between two replicas is kept on each path
 * (one connection, or one association, per node pair), not across them; the protocol holds entries that
 * arrive early and resends what is lost.
 */
public final class ChainLink {
  /** The link's name under {@code /system}. */
  public static final String NAME = "junction-chain-link";

  /** The link's path on a node: {@code <node address>/system/junction-chain-link}. */
  public static final String PATH = "/system/" + NAME;

  /** Most bytes of keys and values in one batch: well under Artery's frame, with a forward of 1 MiB. */
  static final long MAX_BATCH_BYTES = 1_536 * 1024;

  /** What the link receives. */
  public sealed interface Command permits Out, Batch, Flush, WireAsk, WireAt {}

  /** How long a link waits before asking a node for its chain port again. */
  static final long ASK_AGAIN_NANOS = 1_000_000_000L;

  /** From another node's link: where do chain connections to this node go? ({@link WireAt} answers.) */
  public record WireAsk(ActorRef<Command> replyTo) implements Command, JunctionSerializable {}

  /** Chain connections to {@code node} go to {@code host:port}. */
  public record WireAt(String node, String host, int port) implements Command, JunctionSerializable {}

  /**
   * From a replica of this node: deliver {@code message} to replica {@code toSlot} of the range, on {@code
   * node}, another node ({@link #sendDirect} delivers to this node's replicas and never hands them here).
   */
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

  /** A link that sends over Artery only. */
  public static Behavior<Command> create(LocalReplicas locals, ChainDirectory directory) {
    return create(locals, directory, null, null);
  }

  /**
   * The link of this node: delivers to {@code locals}, or through {@code directory} (sharding) to a
   * replica that is not serving here yet; sends over {@code wire} (null: Artery only), whose incoming
   * connections this node accepts on {@code wireAddress}.
   */
  public static Behavior<Command> create(
      LocalReplicas locals, ChainDirectory directory, ChainWire wire, InetSocketAddress wireAddress) {
    return Behaviors.setup(ctx -> {
      ActorRefResolver resolver = ActorRefResolver.get(ctx.getSystem());
      Map<String, List<Item>> pending = new HashMap<>();
      Map<String, Long> pendingBytes = new HashMap<>();
      Map<String, ActorRef<Command>> links = new HashMap<>();
      Map<String, Long> askedAt = new HashMap<>();
      boolean[] flushPending = {false};
      String self = directory.selfNode();
      java.util.function.Function<String, ActorRef<Command>> link =
          node -> links.computeIfAbsent(node, n -> resolver.resolveActorRef(n + PATH));
      java.util.function.BiConsumer<String, List<Item>> ship = (node, items) -> {
        if (wire != null && wire.send(node, items)) {
          return;
        }
        link.apply(node).tell(new Batch(items));
        if (wire != null && !wire.connecting(node)) {
          long now = System.nanoTime();
          Long asked = askedAt.get(node);
          if (asked == null || now - asked > ASK_AGAIN_NANOS) {
            askedAt.put(node, now);
            link.apply(node).tell(new WireAsk(ctx.getSelf()));
          }
        }
      };
      return Behaviors.receive(Command.class)
          .onMessage(Out.class, o -> {
            Item item = new Item(o.rangeId(), o.toSlot(), o.message());
            long size = size(o.message());
            long before = pendingBytes.getOrDefault(o.node(), 0L);
            if (before > 0 && before + size > MAX_BATCH_BYTES) {
              ship.accept(o.node(), pending.remove(o.node()));
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
              ship.accept(e.getKey(), e.getValue());
            }
            pending.clear();
            pendingBytes.clear();
            return Behaviors.same();
          })
          .onMessage(Batch.class, b -> {
            deliverAll(locals, directory, b.items());
            return Behaviors.same();
          })
          .onMessage(WireAsk.class, a -> {
            if (wire != null && wireAddress != null) {
              a.replyTo().tell(new WireAt(self, wireAddress.getHostString(), wireAddress.getPort()));
            }
            return Behaviors.same();
          })
          .onMessage(WireAt.class, at -> {
            if (wire != null && !at.node().equals(self)) {
              wire.connect(at.node(), new InetSocketAddress(at.host(), at.port()));
            }
            return Behaviors.same();
          })
          .build();
    });
  }

  /**
   * Sends a replica's message for the peer {@code to} on {@code node} from the replica's own thread where
   * no link is needed: to a replica of this node through the registry, to another node straight into the
   * {@code wire}'s connection to it when that is up. False when the link must carry it ({@link Out}): no
   * wire, no connection yet, or it broke. A write's forwards and acknowledgements so pass one mailbox
   * fewer per hop (the link's, on the same pool); the link's batching across replicas found a second
   * message for a frame about once in fifty (1.01-1.03 messages per frame, measured), so nothing is lost.
   */
  public static boolean sendDirect(
      LocalReplicas locals, ChainDirectory directory, ChainWire wire, String node, ReplicaId to, PeerMessage message) {
    Item item = new Item(to.rangeId(), to.slot(), message);
    if (node.equals(directory.selfNode())) {
      deliver(locals, directory, item);
      return true;
    }
    return wire != null && wire.send(node, List.of(item));
  }

  /** Hands each message of a batch from another node to the replica it is for (any thread). */
  public static void deliverAll(LocalReplicas locals, ChainDirectory directory, List<Item> items) {
    for (Item item : items) {
      deliver(locals, directory, item);
    }
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
