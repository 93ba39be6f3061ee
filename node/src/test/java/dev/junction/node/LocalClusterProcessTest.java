package dev.junction.node;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.junction.client.CasResult;
import dev.junction.client.Entry;
import dev.junction.client.JunctionClient;
import dev.junction.node.management.PrometheusText;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The whole product as a user runs it: {@code junction local} starts three node processes, the Java
 * client writes and reads through their gRPC endpoints, SIGTERM stops every node, and a second start on
 * the same data directory still has the data.
 */
class LocalClusterProcessTest {
  private static final Pattern PID = Pattern.compile("node (\\d+) pid (\\d+)");

  @TempDir Path dir;

  private static byte[] b(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }

  private static String s(byte[] b) {
    return new String(b, StandardCharsets.UTF_8);
  }

  /** A running {@code junction local}: its process, the endpoints it printed, its nodes' pids. */
  private record Local(Process process, List<String> endpoints, List<String> management, List<Long> nodePids,
      Path stderr) {}

  private Local startLocal(Path data, int grpc, int cluster, int management, String tag, String warmup)
      throws Exception {
    String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
    Path stderr = dir.resolve("local-" + tag + ".err");
    ProcessBuilder pb =
        new ProcessBuilder(
            java,
            "--add-opens=java.base/java.nio=ALL-UNNAMED",
            "--add-opens=java.base/sun.nio.ch=ALL-UNNAMED",
            "-cp",
            System.getProperty("java.class.path"),
            Junction.class.getName(),
            "local",
            "--nodes", "3",
            "--data", data.toString(),
            "--port", Integer.toString(grpc),
            "--cluster-port", Integer.toString(cluster),
            "--management-port", Integer.toString(management),
            "--durability", "replicated",
            "--timeout", "150s",
            "--warmup", warmup);
    pb.environment().put("JUNCTION_HEAT_MAP_INTERVAL", "1s"); // the heat map's samples, for the browser check
    pb.redirectError(stderr.toFile());
    Process p = pb.start();
    CompletableFuture<String> ready = new CompletableFuture<>();
    CompletableFuture<String> managed = new CompletableFuture<>();
    Thread reader = new Thread(() -> {
      try (BufferedReader in = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8))) {
        String line;
        while ((line = in.readLine()) != null) {
          if (line.startsWith("ready: ")) {
            ready.complete(line.substring("ready: ".length()));
          } else if (line.startsWith("management: ")) {
            managed.complete(line.substring("management: ".length()));
          }
        }
        ready.completeExceptionally(new IOException("junction local ended without 'ready'"));
        managed.completeExceptionally(new IOException("junction local ended without 'management'"));
      } catch (IOException e) {
        ready.completeExceptionally(e);
      }
    });
    reader.setDaemon(true);
    reader.start();
    String endpoints;
    String managementUrls;
    try {
      endpoints = ready.get(180, TimeUnit.SECONDS);
      managementUrls = managed.get(10, TimeUnit.SECONDS);
    } catch (Exception e) {
      p.destroy();
      p.waitFor(60, TimeUnit.SECONDS);
      throw new AssertionError("junction local did not get ready: " + Files.readString(stderr), e);
    }
    List<Long> pids = new ArrayList<>();
    Matcher m = PID.matcher(Files.readString(stderr));
    while (m.find()) {
      pids.add(Long.parseLong(m.group(2)));
    }
    return new Local(p, List.of(endpoints.split(",")), List.of(managementUrls.split(",")), pids, stderr);
  }

  /** The puts the nodes of {@code local} served, as their {@code /metrics} count them. */
  private static double putsServed(Local local) throws Exception {
    double puts = 0;
    for (String url : local.management()) {
      java.net.http.HttpResponse<String> metrics = http(url + "/metrics");
      assertEquals(200, metrics.statusCode());
      assertTrue(metrics.headers().firstValue("Content-Type").orElse("").startsWith("text/plain; version=0.0.4"),
          metrics.headers().toString());
      List<PrometheusText.Sample> samples = PrometheusText.parse(metrics.body());
      puts += PrometheusText.sum(samples, "junction_requests_seconds_count", Map.of("op", "Put", "status", "OK"));
      assertTrue(PrometheusText.sum(samples, "junction_replica_serving", Map.of()) >= 1, metrics.body());
      assertTrue(PrometheusText.sum(samples, "junction_store_map_limit_bytes", Map.of()) > 0, metrics.body());
      // Serving replicas hold a read lease; every node sees the whole cluster Up, none unreachable.
      assertTrue(PrometheusText.sum(samples, "junction_replica_lease_seconds", Map.of()) > 0, metrics.body());
      assertEquals(local.management().size(), (int) PrometheusText.sum(samples, "pekko_cluster_members",
          Map.of("status", "Up")),
          metrics.body());
      assertEquals(0, PrometheusText.sum(samples, "pekko_cluster_unreachable_members", Map.of()), metrics.body());
      // The controller placed every replica before it was called: sharding started none on another node.
      assertTrue(samples.stream().anyMatch(x -> x.name().equals("junction_replicas_misplaced_total")), metrics.body());
      assertEquals(0, PrometheusText.sum(samples, "junction_replicas_misplaced_total", Map.of()), metrics.body());
    }
    return puts;
  }

  /** The sum over {@code local}'s nodes of the samples of {@code metric} (no labels asked). */
  /** Every node's samples, one scrape each. */
  private static List<PrometheusText.Sample> scrapes(Local local) throws Exception {
    List<PrometheusText.Sample> all = new ArrayList<>();
    for (String url : local.management()) {
      all.addAll(PrometheusText.parse(http(url + "/metrics").body()));
    }
    return all;
  }

  private static double summed(Local local, String metric) throws Exception {
    return PrometheusText.sum(scrapes(local), metric, Map.of());
  }

  /**
   * Why range {@code hot}'s writes per second in the nodes' /metrics are not above every other range's
   * (the ranges whose rate is as high, with both rates), or empty when they are.
   */
  private static String notAboveInMetrics(Local local, dev.junction.client.proto.RoutingTableResponse table, long hot)
      throws Exception {
    List<PrometheusText.Sample> scraped = scrapes(local);
    double hotWrites = PrometheusText.sum(scraped, "junction_range_requests_per_second",
        Map.of("range", Long.toString(hot), "kind", "write"));
    if (hotWrites <= 0) {
      return "range " + hot + " shows no writes";
    }
    StringBuilder why = new StringBuilder();
    for (var r : table.getRangesList()) {
      double writes = PrometheusText.sum(scraped, "junction_range_requests_per_second",
          Map.of("range", Long.toString(r.getRangeId()), "kind", "write"));
      if (r.getRangeId() != hot && writes >= hotWrites) {
        why.append("range ").append(r.getRangeId()).append(' ').append(writes).append(" >= ").append(hotWrites).append("; ");
      }
    }
    return why.toString();
  }

  /** The metric names the Grafana dashboard's queries use (junction_*, jvm_*, process_*). */
  static java.util.Set<String> dashboardMetrics() throws Exception {
    String json = Files.readString(Path.of("..", "k8s", "grafana", "junction-dashboard.json"));
    java.util.Set<String> names = new java.util.TreeSet<>();
    Matcher expr = Pattern.compile("\"expr\": \"((?:[^\"\\\\]|\\\\.)*)\"").matcher(json);
    while (expr.find()) {
      Matcher name = Pattern.compile("\\b(?:junction|jvm|process)_[a-z_]+\\b").matcher(expr.group(1));
      while (name.find()) {
        names.add(name.group());
      }
    }
    return names;
  }

  /** The dashboard's metrics that none of {@code local}'s nodes exports (now). */
  private static java.util.Set<String> missingFromScrapes(Local local, java.util.Set<String> wanted) throws Exception {
    java.util.Set<String> missing = new java.util.TreeSet<>(wanted);
    scrapes(local).forEach(sample -> missing.remove(sample.name()));
    return missing;
  }

  /**
   * The heat map: headless Chromium (Debian's {@code chromium}; CI installs it) opens {@code /ui} once
   * before the test loads a range, and the page says, in the attributes it sets once it drew, how hot it
   * drew that range; clients then load the range until the node's {@code /ui/heatmap.json} names it the
   * hottest, and the page, opened again until it shows it (within a deadline), draws it hotter than before
   * and as the hottest, with every range on its rows of the key axis (sized by the ranges' bytes) at every
   * sample. A screenshot goes to {@code target/heatmap.png}. Without Chromium (outside CI) the browser part
   * is left out.
   */
  private void heatMapShowsTheLoadedRange(Local local, JunctionClient client) throws Exception {
    String ui = local.management().get(1) + "/ui";
    assertTrue(http(ui).body().contains("echarts.min.js"));
    assertEquals(200, http(ui + "/echarts.min.js").statusCode());
    var table = client.routingTable();
    byte[] hotKey = b("5-hot");
    long hot = -1;
    for (var r : table.getRangesList()) {
      boolean afterStart = java.util.Arrays.compareUnsigned(hotKey, r.getStart().toByteArray()) >= 0;
      boolean beforeEnd = r.getEnd().isEmpty() || java.util.Arrays.compareUnsigned(hotKey, r.getEnd().toByteArray()) < 0;
      if (afterStart && beforeEnd) {
        hot = r.getRangeId();
      }
    }
    assertTrue(hot > 0, "a range holds " + s(hotKey));
    Optional<String> chromium = chromium();
    if (chromium.isEmpty()) {
      assertTrue(System.getenv("CI") == null, "CI runs the browser check: .ci/run installs chromium");
      System.err.println("LocalClusterProcessTest: no chromium on the PATH; the heat map's browser check is left out");
    }
    String heat = "data-heat" + hot;
    double before = chromium.isEmpty() ? 0 : number(drawnBody(chromium.get(), ui, a -> a.contains(heat + "=")), heat);
    long until = System.nanoTime() + Duration.ofSeconds(40).toNanos();
    String json = "";
    // The load goes on until the page's JSON names the range the hottest and the same statistics in
    // /metrics (each node reports the controller's moving averages) show its writes per second above
    // every other range's: both follow the load, the second one a little later (a moving average, and
    // the other ranges' writes of the warm-up and the puts above decay in it).
    String cooler = "not checked";
    for (int i = 0; i < 20_000 && System.nanoTime() < until; i++) {
      client.put(b("5-hot-" + (i % 50)), b("v" + i));
      if (i % 100 == 99) {
        json = http(ui + "/heatmap.json").body();
        if (json.contains("\"hottestRange\":" + hot + ",")) {
          cooler = notAboveInMetrics(local, table, hot);
          if (cooler.isEmpty()) {
            break;
          }
        }
      }
    }
    assertTrue(json.contains("\"hottestRange\":" + hot + ","), "range " + hot + " is the hottest: " + json);
    assertEquals("", cooler, "range " + hot + "'s writes per second in /metrics above every other range's");
    String body = null;
    if (chromium.isPresent()) {
      long hottest = hot;
      // The load goes on while the browser draws: each launch of Chromium takes seconds on a busy machine,
      // and a range's heat is a moving average, so an unloaded range would cool (a CI run saw another
      // range drawn the hottest by the time the page drew). Bounded in count and time.
      java.util.concurrent.atomic.AtomicBoolean drawn = new java.util.concurrent.atomic.AtomicBoolean();
      CompletableFuture<Void> load = CompletableFuture.runAsync(() -> {
        long stop = System.nanoTime() + Duration.ofSeconds(90).toNanos();
        for (int i = 0; i < 50_000 && !drawn.get() && System.nanoTime() < stop; i++) {
          client.put(b("5-hot-" + (i % 50)), b("w" + i));
        }
      });
      try {
        // Sized by bytes once every range's tail reported its size: each within stats.size-interval (30 s)
        // of its node's start, which a fast run reaches here before.
        body = drawnBody(chromium.get(), ui,
            a -> a.contains("data-hottest-range=\"" + hottest + "\"") && a.contains(heat + "=") && number(a, heat) > before
                && a.contains("data-sized-by=\"bytes\""));
      } finally {
        drawn.set(true);
        load.get(30, TimeUnit.SECONDS);
      }
    }
    for (int i = 0; i < 50; i++) {
      client.delete(b("5-hot-" + i)); // the checks after the restart expect the test's own keys only
    }
    if (chromium.isEmpty()) {
      return;
    }
    int ranges = attribute(body, "data-ranges");
    int samples = attribute(body, "data-samples");
    int rows = attribute(body, "data-rows");
    assertEquals(table.getRangesCount(), ranges);
    assertTrue(samples >= 1);
    assertEquals(hot, attribute(body, "data-hottest-range"), "the page's hottest range");
    assertTrue(number(body, heat) > before, "range " + hot + " drawn hotter than " + before + " before the load: " + body);
    assertEquals(Math.max(ranges, 100), rows, "the key axis: 100 rows, at least one per range");
    assertTrue(body.contains("data-sized-by=\"bytes\""), "rows sized by the ranges' bytes: " + body);
    assertEquals(rows * samples, attribute(body, "data-drawn"), "a cell per row of the key axis and sample");
    // Beside the map: the three nodes, and each one's place in every chain (a range and role per replica).
    assertEquals(3, attribute(body, "data-nodes"));
    assertEquals(table.getRangesList().stream().mapToInt(r -> r.getChainCount()).sum(), attribute(body, "data-chain-cells"),
        "every replica of the table in the nodes' chains column");
    Path png = Path.of("target", "heatmap.png").toAbsolutePath();
    browse(chromium.get(), "--screenshot=" + png, ui);
    assertTrue(Files.size(png) > 10_000, "a screenshot of the map: " + png);
  }

  /**
   * Opens {@code ui} in Chromium until the page drew a map whose body attributes pass {@code done}, within
   * a deadline; the attributes of the last it drew.
   */
  private String drawnBody(String chromium, String ui, java.util.function.Predicate<String> done) throws Exception {
    long until = System.nanoTime() + Duration.ofSeconds(60).toNanos();
    String last = "";
    for (int i = 0; i < 30 && System.nanoTime() < until; i++) {
      String dom = browse(chromium, "--dump-dom", ui);
      Matcher body = Pattern.compile("<body([^>]*)>").matcher(dom);
      last = body.find() ? body.group(1) : dom.substring(0, Math.min(dom.length(), 2000));
      if (last.contains("data-drawn=") && done.test(last)) {
        return last;
      }
    }
    throw new AssertionError("the page did not draw what the test waits for within 60 s; last: " + last);
  }

  private static double number(String attributes, String name) {
    Matcher m = Pattern.compile(name + "=\"([0-9.]+)\"").matcher(attributes);
    assertTrue(m.find(), name + " in " + attributes);
    return Double.parseDouble(m.group(1));
  }

  private static int attribute(String attributes, String name) {
    Matcher m = Pattern.compile(name + "=\"(\\d+)\"").matcher(attributes);
    assertTrue(m.find(), name + " in " + attributes);
    return Integer.parseInt(m.group(1));
  }

  private static Optional<String> chromium() {
    for (String name : List.of("chromium", "chromium-browser", "google-chrome")) {
      for (String dir : System.getenv().getOrDefault("PATH", "").split(java.io.File.pathSeparator)) {
        Path p = Path.of(dir, name);
        if (Files.isExecutable(p)) {
          return Optional.of(p.toString());
        }
      }
    }
    return Optional.empty();
  }

  /** Runs headless Chromium on {@code url} with {@code what} (--dump-dom, --screenshot=FILE); its stdout. */
  private String browse(String chromium, String what, String url) throws Exception {
    ProcessBuilder pb = new ProcessBuilder(chromium, "--headless", "--no-sandbox", "--disable-gpu",
        "--disable-dev-shm-usage", "--no-first-run", "--user-data-dir=" + dir.resolve("chromium-profile"),
        "--window-size=1400,800", "--virtual-time-budget=6000", what, url);
    Path err = dir.resolve("chromium.err");
    pb.redirectError(err.toFile());
    Process p = pb.start();
    byte[] out = p.getInputStream().readAllBytes();
    assertTrue(p.waitFor(60, TimeUnit.SECONDS), "chromium ends");
    assertEquals(0, p.exitValue(), "chromium: " + Files.readString(err));
    return new String(out, StandardCharsets.UTF_8);
  }

  private static java.net.http.HttpResponse<String> http(String url) throws Exception {
    return java.net.http.HttpClient.newHttpClient().send(
        java.net.http.HttpRequest.newBuilder(java.net.URI.create(url)).timeout(Duration.ofSeconds(5)).build(),
        java.net.http.HttpResponse.BodyHandlers.ofString());
  }

  private static void stop(Local local) throws Exception {
    local.process().destroy(); // SIGTERM
    assertTrue(local.process().waitFor(90, TimeUnit.SECONDS), "junction local stops on SIGTERM");
    assertEquals(0, local.process().exitValue(), "junction local's exit code on SIGTERM (every node stopped by itself)");
    for (long pid : local.nodePids()) {
      Optional<ProcessHandle> h = ProcessHandle.of(pid);
      assertFalse(h.isPresent() && h.get().isAlive(), "node process " + pid + " stopped with it");
    }
  }

  @Test
  void aLocalClusterServesTheClientAndKeepsItsDataAcrossRestarts() throws Exception {
    Random random = new Random();
    int[] bases = TestPorts.freeLoopbackPortBlocks(3, 3, random);
    int grpc = bases[0];
    int cluster = bases[1];
    int management = bases[2];
    Path data = dir.resolve("data");

    // The first start warms up (briefly): the exact scan below proves it deleted its keys.
    Local first = startLocal(data, grpc, cluster, management, "first", "6s");
    try {
      assertEquals(3, first.endpoints().size());
      // Every node's management endpoint, in the order of the gRPC endpoints: alive, ready, and itself.
      assertEquals(3, first.management().size(), first.management().toString());
      for (int i = 0; i < 3; i++) {
        String url = first.management().get(i);
        assertEquals("http://127.0.0.1:" + (management + i), url);
        assertEquals(200, http(url + "/alive").statusCode());
        assertEquals(200, http(url + "/ready").statusCode(), http(url + "/ready").body());
        String members = http(url + "/cluster/members").body();
        assertTrue(members.contains("\"selfNode\":\"pekko://junction@127.0.0.1:" + (cluster + i) + "\""), members);
      }
      assertEquals(3, first.nodePids().size(), "three separate node processes");
      String log = Files.readString(first.stderr());
      assertTrue(log.contains("junction local: warmed up in"), log);
      // Every node reported its JIT compile time, so the warm-up went by the compilers (one share per node).
      assertTrue(java.util.regex.Pattern.compile("JIT per node \\d+% \\d+% \\d+%").matcher(log).find(), log);
      assertFalse(log.contains("could not be deleted"), log);
      try (JunctionClient client =
              JunctionClient.builder().endpoints(first.endpoints().get(0)).deadline(Duration.ofSeconds(10)).build();
          JunctionClient other =
              JunctionClient.builder().endpoints(first.endpoints().get(2)).deadline(Duration.ofSeconds(10)).build()) {
        assertEquals(3, client.routingTable().getRanges(0).getChainCount());
        double putsBefore = putsServed(first); // the warm-up's
        double committedBefore = summed(first, "junction_write_committed_seconds_count");
        double persistedBefore = summed(first, "junction_write_persisted_seconds_count");
        double groupedBefore = summed(first, "junction_store_group_batches_sum");
        double framesBefore = summed(first, "junction_chain_wire_frames_total");
        List<String> keys = new ArrayList<>();
        for (int i = 0; i < 40; i++) {
          String key = (char) ('0' + (i * 7) % 75) + "-key-" + i; // keys spread over several ranges
          keys.add(key);
          client.put(b(key), b("value-" + i));
        }
        for (int i = 0; i < 40; i++) {
          assertEquals("value-" + i, s(other.get(b(keys.get(i))).orElseThrow().value()));
        }
        List<Entry> all = other.scan(new byte[0], new byte[0], 1000);
        assertEquals(keys.stream().sorted().toList(), all.stream().map(e -> s(e.key())).toList());
        // Every put was served once, by one node: the nodes' /metrics say so (Prometheus text).
        assertEquals(40, putsServed(first) - putsBefore, "puts counted over the three nodes");
        // Each put was timed once by its range's head, durable there and then at every replica (recorded
        // just after the head answered, so the last may take a moment to show); the WAL's syncs are timed.
        long timedBy = System.nanoTime() + Duration.ofSeconds(10).toNanos();
        while (summed(first, "junction_write_committed_seconds_count") - committedBefore < 40
            && System.nanoTime() < timedBy) {
          Thread.sleep(100);
        }
        assertEquals(40, summed(first, "junction_write_committed_seconds_count") - committedBefore);
        assertEquals(40, summed(first, "junction_write_persisted_seconds_count") - persistedBefore);
        assertTrue(summed(first, "junction_write_committed_seconds_sum") > 0);
        assertTrue(summed(first, "junction_store_sync_seconds_count") > 0);
        // Group commit: every put was a write batch in its head's store at least (and in each replica's).
        assertTrue(summed(first, "junction_store_group_batches_sum") - groupedBefore >= 40,
            "write batches in the group commits' histogram");
        // The chain's own connections carried the puts: each crossed two nodes at least (RF=3 on 3 nodes,
        // one put at a time, so no frame carries two of them).
        assertTrue(summed(first, "junction_chain_wire_frames_total") - framesBefore >= 2 * 40,
            "chain frames sent and received for 40 puts");
        List<PrometheusText.Sample> scraped = scrapes(first);
        assertTrue(PrometheusText.sum(scraped, "junction_chain_wire_messages_total", Map.of("direction", "sent"))
            >= PrometheusText.sum(scraped, "junction_chain_wire_frames_total", Map.of("direction", "sent")));
        double groups = PrometheusText.sum(scraped, "junction_store_group_batches_count", Map.of());
        assertTrue(groups > 0);
        assertEquals(groups, PrometheusText.sum(scraped, "junction_store_group_batches_bucket", Map.of("le", "+Inf")),
            "every group commit is in the histogram's last bucket");
        // Every metric the Grafana dashboard (k8s/grafana) queries is one the nodes export (the range
        // statistics show once the gateways' first reports reached the controller).
        java.util.Set<String> wanted = dashboardMetrics();
        assertTrue(wanted.size() >= 15, wanted.toString());
        long until = System.nanoTime() + Duration.ofSeconds(30).toNanos();
        java.util.Set<String> missing = missingFromScrapes(first, wanted);
        while (!missing.isEmpty() && System.nanoTime() < until) {
          Thread.sleep(500);
          missing = missingFromScrapes(first, wanted);
        }
        assertEquals(java.util.Set.of(), missing, "dashboard metrics no node exports");
        heatMapShowsTheLoadedRange(first, client);
        CasResult cas = other.compareAndSet(b(keys.get(0)), b("value-0"), b("swapped"));
        assertTrue(cas.applied());
        assertFalse(client.compareAndSet(b(keys.get(0)), b("value-0"), b("again")).applied());
        client.delete(b(keys.get(1)));
      }
    } finally {
      stop(first);
    }

    Local second = startLocal(data, grpc, cluster, management, "second", "0s");
    try (JunctionClient client =
        JunctionClient.builder().endpoints(second.endpoints()).deadline(Duration.ofSeconds(10)).build()) {
      List<Entry> all = client.scan(new byte[0], new byte[0], 1000);
      assertEquals(39, all.size(), "the data survived the restart");
      assertEquals("swapped", s(client.get(b("0-key-0")).orElseThrow().value()));
    } finally {
      stop(second);
    }
  }
}
