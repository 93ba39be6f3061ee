package dev.junction.chain.replica;

import dev.junction.chain.core.RangeConfig;
import dev.junction.chain.core.ReplicaId;
import java.util.Optional;
import org.apache.pekko.actor.typed.ActorRef;

/**
 * What a replica actor needs from the cluster around it, provided by the sharding module: the newest
 * configuration of its range (from the routing table), notice when it changes, and a way to reach the
 * other replicas of its chain, and the controller that grants the tail's read lease.
 */
public interface ChainDirectory {
  /** The newest configuration of {@code rangeId} this node knows, if any. */
  Optional<RangeConfig> config(long rangeId);

  /**
   * Sends {@link ReplicaActor.ConfigChanged} to {@code replica} whenever the configuration of
   * {@code rangeId} changes, until the replica stops.
   */
  void subscribe(long rangeId, ActorRef<ReplicaActor.Command> replica);

  /**
   * A peer of {@code rangeId} spoke at {@code epoch}: unless this node's table holds that epoch, fetch the
   * table now rather than wait for it to arrive (the replica is cut off from its chain until it does).
   * Asking again while a fetch is under way, or when the table holds the epoch, costs nothing.
   */
  void newerEpochSeen(long rangeId, long epoch);

  /** Delivers {@code message} to the replica {@code to}, wherever it runs (through sharding). */
  void send(ReplicaId to, ReplicaActor.Command message);

  /** Delivers a chain message to replica {@code to} on {@code node}, through the nodes' {@link ChainLink}s. */
  void sendPeer(String node, ReplicaId to, dev.junction.chain.core.PeerMessage message);

  /**
   * Asks the controller for a read lease for {@code replica}, the tail of its range at {@code epoch}; the
   * grant, if any, comes back to {@code replyTo} as {@link ReplicaActor.LeaseGranted} echoing
   * {@code requestedAt}.
   */
  void requestLease(ReplicaId replica, long epoch, long requestedAt, ActorRef<ReplicaActor.Command> replyTo);

  /**
   * Tells the controller that {@code replica}, which is not in its chain yet, copied its range as of
   * {@code appliedSeq} and can be added at the tail.
   */
  void joinReady(ReplicaId replica, long appliedSeq);

  /**
   * Tells the controller that {@code replica}, a successor at {@code epoch}, lacks committed entries its
   * predecessor no longer keeps in its log: it can only be replaced by a full copy.
   */
  void reportBehind(ReplicaId replica, long epoch);

  /**
   * Tells the controller that the range of {@code replica} (its head, at {@code epoch}) ended with
   * {@code ending} (a split or half of a merge), committed at {@code seq}: the controller goes on with it.
   */
  void reportEnded(ReplicaId replica, long epoch, long seq, dev.junction.chain.core.Mutation.Ending ending);

  /** This node's bulk transport (state transfer between nodes). */
  dev.junction.chain.bulk.BulkTransport bulk();

  /** The address of this node, as routing tables name nodes. */
  String selfNode();

  /** The replicas serving on this node, which the node's gateway calls directly. */
  LocalReplicas locals();

  /** The chain layer's settings. */
  dev.junction.chain.core.ChainSettings chainSettings();
}
