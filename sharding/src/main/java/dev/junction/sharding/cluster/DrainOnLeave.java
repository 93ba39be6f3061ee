package dev.junction.sharding.cluster;

import dev.junction.sharding.routing.TableHolder;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import org.apache.pekko.Done;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.cluster.Member;
import org.apache.pekko.cluster.MemberStatus;
import org.apache.pekko.cluster.typed.Cluster;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A node that stops (SIGTERM, Ctrl-C, any coordinated shutdown) first gives its replicas away: it asks
 * the controller to drain it and waits, up to {@code junction.cluster.leave.drain-timeout}, until the
 * routing table places no replica on it, so that no chain has to wait for it once it is gone. It leaves
 * without draining when the controller refuses (too few nodes would be left, rebalancing off: a whole
 * cluster being stopped keeps its chains), when it does not answer, when the bound runs out, or as soon as
 * another member leaves too (the cluster is being stopped: its replicas would have nowhere to go).
 */
final class DrainOnLeave {
  private static final Logger log = LoggerFactory.getLogger(DrainOnLeave.class);
  private static final Duration POLL = Duration.ofMillis(500);
  private static final Duration ASK = Duration.ofSeconds(3);

  private final ActorSystem<?> system;
  private final ReplicaSharding replicas;
  private final TableHolder tables;
  private final String self;
  private final Duration bound;

  DrainOnLeave(ActorSystem<?> system, ReplicaSharding replicas, TableHolder tables, Duration bound) {
    this.system = system;
    this.replicas = replicas;
    this.tables = tables;
    this.self = replicas.selfNode();
    this.bound = bound;
  }

  /** The drain under way, if one started: the node's stop and its coordinated shutdown both wait for it. */
  private CompletableFuture<Done> running;

  /** Whether the drain before leaving has begun (the node is on its way out). */
  synchronized boolean started() {
    return running != null;
  }

  /**
   * Drains this node; completes when it may leave (drained, refused, given up). Never fails. Called again
   * (the JVM's shutdown hooks and the coordinated shutdown both call it), it returns the same drain.
   */
  synchronized CompletionStage<Done> run() {
    if (running == null) {
      running = start();
    }
    return running;
  }

  private CompletableFuture<Done> start() {
    if (held() == 0) {
      return CompletableFuture.completedFuture(Done.getInstance());
    }
    long deadline = System.nanoTime() + bound.toNanos();
    CompletableFuture<Done> done = new CompletableFuture<>();
    replicas.drain(system, self, false, ASK).whenComplete((state, e) -> {
      if (e != null) {
        log.warn("node {} stops without draining: the controller did not answer ({})", self, e.toString());
        done.complete(Done.getInstance());
      } else if (!state.refused().isEmpty()) {
        log.info("node {} stops without draining its {} replica(s): {}", self, state.replicas(), state.refused());
        done.complete(Done.getInstance());
      } else {
        log.info("node {} stops: draining its {} replica(s) first (at most {})", self, state.replicas(), bound);
        poll(deadline, done);
      }
    });
    return done;
  }

  private void poll(long deadline, CompletableFuture<Done> done) {
    system.scheduler().scheduleOnce(POLL, () -> {
      int left = held();
      if (left == 0) {
        log.info("node {} is drained: it holds no replica and leaves", self);
        done.complete(Done.getInstance());
      } else if (othersLeaving()) {
        log.info("node {} stops with {} replica(s): other nodes are leaving too", self, left);
        done.complete(Done.getInstance());
      } else if (System.nanoTime() - deadline > 0) {
        log.warn("node {} stops with {} replica(s) not moved yet: the drain took longer than {}", self, left, bound);
        done.complete(Done.getInstance());
      } else {
        poll(deadline, done);
      }
    }, system.executionContext());
  }

  /** Replicas this node's routing table places on it (the table this node has from the controller). */
  private int held() {
    return tables.find().map(t -> t.replicasOn(self)).orElse(0);
  }

  private boolean othersLeaving() {
    for (Member m : Cluster.get(system).state().getMembers()) {
      MemberStatus s = m.status();
      if (!m.address().toString().equals(self)
          && (s == MemberStatus.leaving() || s == MemberStatus.exiting() || s == MemberStatus.down())) {
        return true;
      }
    }
    return false;
  }
}
