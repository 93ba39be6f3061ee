package dev.junction.sharding.cluster;

import dev.junction.chain.core.RangeConfig;
import dev.junction.chain.replica.LocalReplicas;
import dev.junction.sharding.placement.ReplicaSize;
import dev.junction.sharding.routing.LoadCounters;
import dev.junction.sharding.routing.LoadSnapshot;
import dev.junction.sharding.routing.RoutingTable;
import dev.junction.sharding.routing.TableHolder;
import dev.junction.store.RangeSize;
import dev.junction.store.StoreClosedException;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.function.Supplier;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.javadsl.Behaviors;

/**
 * A node's half of the load statistics: every {@code stats.interval} it takes what the gateway counted
 * since the last report ({@link LoadCounters#snapshotAndReset}), measures the sizes of the replicas due
 * (those of this node that are their range's tail, each about every {@code stats.size-interval}, a few
 * per report, oldest first), and sends both to the controller ({@link Controller.NodeStats}). Runs on
 * the blocking dispatcher: measuring walks a range in the store.
 */
final class LoadReporter {
  private enum Tick {
    INSTANCE
  }

  private LoadReporter() {}

  static Behavior<Tick> create(
      ClusterSettings.Stats settings,
      String selfNode,
      LoadCounters counters,
      LocalReplicas locals,
      TableHolder tables,
      Supplier<ActorRef<Controller.Command>> controller) {
    return Behaviors.setup(ctx -> Behaviors.withTimers(timers -> {
      timers.startTimerWithFixedDelay(Tick.INSTANCE, settings.interval());
      Map<Long, Long> measuredAt = new HashMap<>();
      long[] last = {System.nanoTime()};
      return Behaviors.receiveMessage(tick -> {
        long now = System.nanoTime();
        long window = Math.max(1, now - last[0]);
        last[0] = now;
        LoadSnapshot counted = counters.snapshotAndReset();
        List<ReplicaSize> sizes = new ArrayList<>();
        RoutingTable table = tables.find().orElse(null);
        if (table != null) {
          try {
            sizes = measureDue(settings, selfNode, locals, table, measuredAt, now);
          } catch (StoreClosedException e) {
            return Behaviors.stopped(); // the node is stopping
          } catch (RuntimeException e) {
            ctx.getLog().warn("measuring replica sizes failed: {}", e.toString());
          }
        }
        ActorRef<Controller.Command> c = controller.get();
        if (c != null) {
          c.tell(new Controller.NodeStats(selfNode, window, new TreeMap<>(counted.byRange()),
              new TreeMap<>(counted.byNode()), sizes, counters.takeSamples()));
        }
        return Behaviors.same();
      });
    }));
  }

  /**
   * Measures the tails of this node that are due, oldest measurement first, at most as many per report
   * as spreads them all over {@code size-interval}.
   */
  private static List<ReplicaSize> measureDue(ClusterSettings.Stats settings, String selfNode,
      LocalReplicas locals, RoutingTable table, Map<Long, Long> measuredAt, long now) {
    record Tail(LocalReplicas.Handle handle, RangeConfig range) {}
    List<Tail> tails = new ArrayList<>();
    for (LocalReplicas.Handle h : locals.all()) {
      RangeConfig range = table.range(h.id().rangeId()).orElse(null);
      if (range != null && range.tail().slot() == h.id().slot() && range.tail().node().equals(selfNode)) {
        tails.add(new Tail(h, range));
      }
    }
    measuredAt.keySet().removeIf(id -> tails.stream().noneMatch(t -> t.range().rangeId() == id));
    long sizeInterval = settings.sizeInterval().toNanos();
    int perReport = (int) Math.max(1,
        Math.ceil(tails.size() * (double) settings.interval().toNanos() / sizeInterval));
    List<ReplicaSize> out = new ArrayList<>();
    tails.stream()
        .filter(t -> !measuredAt.containsKey(t.range().rangeId())
            || now - measuredAt.get(t.range().rangeId()) >= sizeInterval)
        .sorted(Comparator.comparingLong(t -> measuredAt.getOrDefault(t.range().rangeId(), Long.MIN_VALUE)))
        .limit(perReport)
        .forEach(t -> {
          long applied = t.handle().store().appliedSeq();
          RangeSize size = t.handle().store().measure(t.range());
          measuredAt.put(t.range().rangeId(), now);
          out.add(new ReplicaSize(t.range().rangeId(), t.handle().id().slot(), size.keys(), size.bytes(),
              size.middleKey(), applied));
        });
    return out;
  }
}
