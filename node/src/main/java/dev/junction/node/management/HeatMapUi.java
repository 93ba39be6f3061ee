package dev.junction.node.management;

import com.google.gson.Gson;
import dev.junction.chain.core.RangeConfig;
import dev.junction.chain.core.Replica;
import dev.junction.sharding.cluster.ClusterNode;
import dev.junction.sharding.cluster.Controller;
import dev.junction.sharding.placement.LoadBook;
import dev.junction.sharding.placement.Move;
import dev.junction.sharding.placement.MoveBook;
import dev.junction.sharding.routing.RoutingTable;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Properties;
import org.apache.pekko.actor.Cancellable;
import org.apache.pekko.http.javadsl.model.ContentTypes;
import org.apache.pekko.http.javadsl.model.HttpEntities;
import org.apache.pekko.http.javadsl.model.HttpResponse;
import org.apache.pekko.http.javadsl.model.MediaTypes;
import org.apache.pekko.http.javadsl.server.Directives;
import org.apache.pekko.http.javadsl.server.Route;

/**
 * The live heat map on the management endpoint: {@code /ui} (a page), {@code /ui/heatmap.json} (what it
 * draws) and {@code /ui/echarts.min.js} (ECharts, from its WebJar on the classpath: a pinned dependency,
 * not a copied file). Every {@code interval} it asks the controller for its load statistics, joins them
 * with this node's routing table (intervals, chains) and adds a sample to a {@link HeatHistory}.
 */
public final class HeatMapUi implements AutoCloseable {
  private static final org.slf4j.Logger log = org.slf4j.LoggerFactory.getLogger(HeatMapUi.class);
  private static final String ECHARTS_POM = "META-INF/maven/org.webjars.npm/echarts/pom.properties";

  private final ClusterNode cluster;
  private final HeatHistory history;
  private final Duration interval;
  private final Cancellable sampling;

  private HeatMapUi(ClusterNode cluster, Duration interval, int samples) {
    this.cluster = cluster;
    this.interval = interval;
    this.history = new HeatHistory(samples);
    this.sampling = cluster.system().scheduler().scheduleAtFixedRate(Duration.ZERO, interval, this::sample,
        cluster.system().executionContext());
  }

  /** Samples every {@code interval}, keeping {@code samples} of them. */
  public static HeatMapUi start(ClusterNode cluster, Duration interval, int samples) {
    checkSettings(interval, samples);
    return new HeatMapUi(cluster, interval, samples);
  }

  /** Refuses settings the sampler cannot run with, naming them. */
  static void checkSettings(Duration interval, int samples) {
    if (interval.isNegative() || interval.isZero()) {
      throw new IllegalArgumentException("junction.node.heat-map.interval must be positive, not " + interval);
    }
    if (samples < 1) {
      throw new IllegalArgumentException("junction.node.heat-map.samples must be at least 1, not " + samples);
    }
  }

  private void sample() {
    Optional<RoutingTable> table = cluster.tables().find();
    if (table.isEmpty()) {
      return;
    }
    cluster.replicas().load(cluster.system(), interval.compareTo(Duration.ofSeconds(2)) < 0 ? interval : Duration.ofSeconds(2))
        .whenComplete((view, error) -> {
          if (error != null) {
            log.debug("heat map: no load statistics this time: {}", error.toString());
          } else if (view.tableVersion() > 0) {
            history.add(sampleOf(System.currentTimeMillis(), cluster.tables().find().orElse(table.get()), view));
          }
        });
  }

  /** The heat map's sample of {@code view} on {@code table} (ranges the statistics do not know yet: no load). */
  static HeatHistory.Sample sampleOf(long millis, RoutingTable table, Controller.LoadView view) {
    Map<Long, LoadBook.RangeLoad> load = new HashMap<>();
    view.ranges().forEach(r -> load.put(r.rangeId(), r));
    List<HeatHistory.Range> ranges = new ArrayList<>(); // in key order, as the table keeps them
    for (RangeConfig c : table.ranges()) {
      LoadBook.RangeLoad l = load.get(c.rangeId());
      ranges.add(new HeatHistory.Range(c.rangeId(), c.start(), c.end(), l == null ? 0 : l.requestsPerSecond(),
          l == null || !l.sized() ? -1 : l.keys(), l == null || !l.sized() ? -1 : l.bytes(),
          c.chain().stream().map(Replica::node).toList()));
    }
    List<HeatHistory.Node> nodes = view.nodes().stream()
        .map(n -> new HeatHistory.Node(n.node(), n.replicas(), n.heads(),
            n.readsPerSecond() + n.writesPerSecond() + n.scansPerSecond())).toList();
    List<HeatHistory.Operator> operators = new ArrayList<>();
    for (MoveBook.Operator op : view.operators().underWay()) {
      operators.add(new HeatHistory.Operator(op.id(), Move.kind(op.move()), op.rangeId(),
          op.phase().name().toLowerCase(java.util.Locale.ROOT),
          Math.max(0, view.operators().clockNanos() - op.phaseSince()) / 1e9, op.move().reason()));
    }
    return new HeatHistory.Sample(millis, ranges, nodes, operators);
  }

  /** A range as the page shows it; {@code rows}: its rows of the key axis ({@link HeatHistory#rows}). */
  private record RangeJson(long id, String interval, double requestsPerSecond, long keys, long bytes, List<String> chain,
      int rows) {}

  /**
   * What {@code /ui/heatmap.json} holds; each cell is {@code [time, range, requests per second]};
   * {@code sizedBy}: what the ranges' rows are in proportion to.
   */
  private record MapJson(long intervalMillis, List<Long> times, List<RangeJson> ranges, List<Number[]> cells,
      long hottestRange, double hottest, List<HeatHistory.Node> nodes, List<HeatHistory.Operator> operators,
      String sizedBy) {}

  private static final Gson GSON = new Gson();

  /** The JSON the page draws. */
  static String json(HeatHistory.View v, long intervalMillis) {
    List<RangeJson> ranges = new ArrayList<>();
    for (int i = 0; i < v.ranges().size(); i++) {
      HeatHistory.Range r = v.ranges().get(i);
      ranges.add(new RangeJson(r.id(), r.interval(), r.requestsPerSecond(), r.keys(), r.bytes(), r.chain(),
          v.rows().rows().get(i)));
    }
    List<Number[]> cells = v.cells().stream()
        .map(c -> new Number[] {c.time(), c.range(), Math.round(c.value() * 10) / 10.0}).toList();
    return GSON.toJson(new MapJson(intervalMillis, v.times(), ranges, cells, v.hottestRange(), v.hottest(), v.nodes(),
        v.operators(), v.rows().sizedBy()));
  }

  /** {@code /ui}, {@code /ui/heatmap.json}, {@code /ui/echarts.min.js}. */
  public Route routes() {
    String echarts = echartsResource();
    return Directives.pathPrefix("ui", () -> Directives.get(() -> Directives.concat(
        Directives.pathEndOrSingleSlash(() -> Directives.getFromResource("junction-ui/index.html",
            ContentTypes.TEXT_HTML_UTF8)),
        Directives.path("heatmap.json", () -> Directives.complete(HttpResponse.create().withEntity(
            HttpEntities.create(ContentTypes.APPLICATION_JSON,
                json(history.view(), interval.toMillis()).getBytes(StandardCharsets.UTF_8))))),
        Directives.path("echarts.min.js", () -> Directives.getFromResource(echarts,
            ContentTypes.create(MediaTypes.APPLICATION_JAVASCRIPT, org.apache.pekko.http.javadsl.model.HttpCharsets.UTF_8))))));
  }

  /** Where the ECharts WebJar keeps its minified build, at the version the build pins. */
  static String echartsResource() {
    try (InputStream in = HeatMapUi.class.getClassLoader().getResourceAsStream(ECHARTS_POM)) {
      if (in == null) {
        throw new IllegalStateException("the ECharts WebJar is not on the classpath (" + ECHARTS_POM + ")");
      }
      Properties p = new Properties();
      p.load(in);
      return "META-INF/resources/webjars/echarts/" + p.getProperty("version") + "/dist/echarts.min.js";
    } catch (IOException e) {
      throw new IllegalStateException("cannot read " + ECHARTS_POM + ": " + e.getMessage(), e);
    }
  }

  /** The view now (for tests and the JSON route). */
  HeatHistory.View view() {
    return history.view();
  }

  @Override
  public void close() {
    sampling.cancel();
  }
}
