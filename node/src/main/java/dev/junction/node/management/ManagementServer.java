package dev.junction.node.management;

import dev.junction.chain.core.ReplicaId;
import dev.junction.chain.replica.ReplicaActor;
import dev.junction.sharding.cluster.ClusterNode;
import dev.junction.sharding.routing.RoutingTable;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.apache.pekko.actor.typed.javadsl.Adapter;
import org.apache.pekko.cluster.typed.Cluster;
import org.apache.pekko.http.javadsl.Http;
import org.apache.pekko.http.javadsl.ServerBinding;
import org.apache.pekko.http.javadsl.model.ContentType;
import org.apache.pekko.http.javadsl.model.ContentTypes;
import org.apache.pekko.http.javadsl.model.HttpEntities;
import org.apache.pekko.http.javadsl.model.HttpResponse;
import org.apache.pekko.http.javadsl.server.Directives;
import org.apache.pekko.http.javadsl.server.Route;
import org.apache.pekko.management.javadsl.PekkoManagement;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The node's management endpoint: Pekko Management's routes ({@code /alive}, {@code /ready}, the
 * read-only {@code /cluster/members}), the node's {@code /metrics} and its heat map ({@code /ui}, {@link
 * HeatMapUi}) on their own HTTP port. {@code /ready} is backed by {@link
 * NodeReadiness}, fed here with what the node knows and what its replicas answer.
 */
public final class ManagementServer implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(ManagementServer.class);
  /** How long a readiness check waits for a replica's status (Pekko's check itself gives up after 1 s). */
  private static final Duration ASK = Duration.ofMillis(800);

  private final ServerBinding binding;
  private final HeatMapUi ui;

  private ManagementServer(ServerBinding binding, HeatMapUi ui) {
    this.binding = binding;
    this.ui = ui;
  }

  /**
   * Serves the management routes of {@code cluster}'s actor system on {@code host:port}, {@code metrics}
   * on {@code /metrics}, and the heat map on {@code /ui} (sampled every {@code uiInterval}, the last
   * {@code uiSamples} kept).
   */
  public static ManagementServer start(ClusterNode cluster, NodeMetrics metrics, String host, int port,
      Duration uiInterval, int uiSamples) {
    NodeHealth.get(Adapter.toClassic(cluster.system())).readiness(() -> whyNotReady(cluster));
    org.apache.pekko.actor.ActorSystem classic = Adapter.toClassic(cluster.system());
    HeatMapUi ui = HeatMapUi.start(cluster, uiInterval, uiSamples);
    Route routes = Directives.concat(PekkoManagement.get(classic).getRoutes(), metricsRoute(metrics), ui.routes());
    try {
      ServerBinding b = Http.get(classic).newServerAt(host, port).bind(routes).toCompletableFuture()
          .get(30, TimeUnit.SECONDS);
      log.info("management endpoint on http://{}:{} (/alive, /ready, /metrics, /cluster/members, /ui)", host,
          b.localAddress().getPort());
      return new ManagementServer(b, ui);
    } catch (ExecutionException e) {
      ui.close();
      throw new IllegalStateException("cannot serve the management endpoint on " + host + ":" + port + ": "
          + e.getCause().getMessage(), e.getCause());
    } catch (TimeoutException e) {
      ui.close();
      throw new IllegalStateException("the management endpoint on " + host + ":" + port + " did not bind in 30 s", e);
    } catch (InterruptedException e) {
      ui.close();
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted while binding the management endpoint", e);
    }
  }

  /** {@code GET /metrics}: Prometheus' text format, version 0.0.4. */
  private static Route metricsRoute(NodeMetrics metrics) {
    ContentType prometheus = ContentTypes.parse("text/plain; version=0.0.4; charset=utf-8");
    return Directives.path("metrics", () -> Directives.get(() -> Directives.completeWithFuture(
        metrics.scrape().thenApply(text -> HttpResponse.create().withEntity(HttpEntities.create(prometheus, text.getBytes(java.nio.charset.StandardCharsets.UTF_8)))))));
  }

  public int port() {
    return binding.localAddress().getPort();
  }

  static CompletionStage<Optional<String>> whyNotReady(ClusterNode cluster) {
    String status = Cluster.get(cluster.system()).selfMember().status().toString();
    Optional<RoutingTable> table = cluster.tables().find();
    String self = cluster.address().toString();
    boolean leaving = cluster.leaving() || cluster.beingDrained();
    List<ReplicaId> placed = table.map(t -> NodeReadiness.placedOn(t, self)).orElse(List.of());
    if (leaving || !status.equals("Up") || placed.isEmpty()) {
      return CompletableFuture.completedFuture(NodeReadiness.whyNot(status, table, self, leaving, Map.of()));
    }
    return askStatus(cluster, placed).thenApply(statuses -> {
      Map<ReplicaId, NodeReadiness.ReplicaAnswer> answers = new java.util.HashMap<>();
      statuses.forEach((id, st) -> answers.put(id, new NodeReadiness.ReplicaAnswer(true, st.node(), st.serving())));
      return NodeReadiness.whyNot(status, table, self, leaving, answers);
    });
  }

  /** What each of {@code replicas} answers to {@code GetStatus} within {@link #ASK}; silent ones are left out. */
  static CompletableFuture<Map<ReplicaId, ReplicaActor.Status>> askStatus(ClusterNode cluster, List<ReplicaId> replicas) {
    Map<ReplicaId, ReplicaActor.Status> answers = new ConcurrentHashMap<>();
    List<CompletableFuture<?>> asks = new ArrayList<>();
    for (ReplicaId id : replicas) {
      asks.add(cluster.replicas().replica(id).ask(ReplicaActor.GetStatus::new, ASK).toCompletableFuture()
          .handle((st, e) -> e == null ? answers.put(id, st) : null));
    }
    return CompletableFuture.allOf(asks.toArray(new CompletableFuture<?>[0])).thenApply(x -> answers);
  }

  @Override
  public void close() {
    ui.close();
    try {
      binding.unbind().toCompletableFuture().get(5, TimeUnit.SECONDS);
    } catch (Exception e) {
      log.debug("management endpoint unbind: {}", e.toString());
    }
  }
}
