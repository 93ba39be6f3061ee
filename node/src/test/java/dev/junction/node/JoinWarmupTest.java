package dev.junction.node;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import dev.junction.client.JunctionClient;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A new node's warm-up before it joins ({@code junction.node.join-warmup}): the private cluster serves the
 * warm-up workload without errors, is gone afterwards (its folder deleted), and the node that then starts
 * in the same JVM, as {@code junction node} starts it, serves; a busy port fails the node before the
 * warm-up begins; only a node without data warms up.
 */
class JoinWarmupTest {
  @TempDir Path dir;

  @Test
  void warmsUpInAPrivateClusterThenANodeStartsInTheSameJvm() throws Exception {
    long started = System.currentTimeMillis();
    List<String> lines = new ArrayList<>();
    Warmup.Report report = JoinWarmup.run(Duration.ofSeconds(20), lines::add);

    assertTrue(report.operations() > 100, "operations: " + report.operations() + ", log: " + lines);
    assertEquals(0, report.errors(), "log: " + lines);
    assertTrue(lines.stream().noneMatch(l -> l.contains(" failed") || l.contains("could not")),
        "every private node stopped and the folder went: " + lines);
    try (Stream<Path> left = Files.list(Path.of(System.getProperty("java.io.tmpdir")))) {
      assertTrue(left.noneMatch(p -> p.getFileName().toString().startsWith("junction-join-warmup")
          && p.toFile().lastModified() >= started), "the private cluster's folder is deleted");
    }

    JunctionNode node = JunctionNode.start(ClassArchiveTrainingCommand.oneNodeCluster(dir.resolve("node")));
    try (JunctionClient client = JunctionClient.builder().endpoints("127.0.0.1:" + node.grpcPort()).build()) {
      ClassArchiveTrainingCommand.awaitServing(client);
      byte[] key = "after-the-warm-up".getBytes(StandardCharsets.US_ASCII);
      client.put(key, "v".getBytes(StandardCharsets.US_ASCII));
      assertArrayEquals("v".getBytes(StandardCharsets.US_ASCII), client.get(key).orElseThrow().value());
    } finally {
      node.close();
    }
  }

  @Test
  void aBusyPortFailsTheNodeBeforeItsWarmUp() throws Exception {
    long started = System.currentTimeMillis();
    try (ServerSocket busy = new ServerSocket(0, 1, InetAddress.getByName("127.0.0.1"))) {
      Config config = ConfigFactory.parseMap(Map.of(
          "junction.node.join-warmup", "60s",
          "junction.node.host", "127.0.0.1",
          "junction.node.grpc-port", busy.getLocalPort(),
          "junction.node.management-port", 0,
          "junction.node.cluster-port", JunctionNode.freePort("127.0.0.1"),
          "junction.node.data-dir", dir.resolve("new-node").toString()));
      UncheckedIOException e =
          assertThrows(UncheckedIOException.class, () -> NodeCommand.warmUpBeforeJoining(config));
      assertTrue(e.getMessage().contains("gRPC port 127.0.0.1:" + busy.getLocalPort() + " is not free"), e.getMessage());
    }
    try (Stream<Path> left = Files.list(Path.of(System.getProperty("java.io.tmpdir")))) {
      assertTrue(left.noneMatch(p -> p.getFileName().toString().startsWith("junction-join-warmup")
          && p.toFile().lastModified() >= started), "no private cluster was started");
    }
  }

  @Test
  void onlyANodeWithoutDataIsNew() throws Exception {
    assertTrue(NodeCommand.isNew(dir.resolve("missing")));
    Files.writeString(dir.resolve("node.log"), "a log a script keeps here\n");
    assertTrue(NodeCommand.isNew(dir), "a log file alone does not make a node old");
    Files.createDirectories(dir.resolve("store"));
    assertFalse(NodeCommand.isNew(dir));
    Path other = Files.createDirectories(dir.resolve("other"));
    Files.createDirectories(other.resolve("ddata"));
    assertFalse(NodeCommand.isNew(other));
  }
}
