package dev.junction.node;

import com.typesafe.config.Config;
import dev.junction.client.JunctionClient;
import dev.junction.client.JunctionException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.stream.Stream;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code junction class-archive-training}: the run {@code bin/junction} records into a class data sharing
 * archive ({@code -XX:ArchiveClassesAtExit}), from which every later JVM of the same build starts
 * ({@code -XX:SharedArchiveFile}). A node JVM loads about 10,000 classes (Pekko, Scala, gRPC, Netty,
 * Kryo, LMDB-Java) and verifies and links each one; from the archive it maps them instead. On a 2-core
 * machine a node then serves about 45% sooner (measured: 3.1-3.4 s to 1.7-1.9 s for one idle node),
 * and a cluster whose nodes all start at once (a restart of every node, a new node joining a busy
 * cluster) pays that on every core.
 *
 * <p>The run starts a one-node cluster in this JVM on free loopback ports and a temporary data folder,
 * sends a few seconds of the warm-up's mixed workload through the Java client (every request kind, so the
 * client's and the server's classes of each are loaded), stops the node and deletes the folder. Classes
 * it does not load (those of other roles in a chain, of moves) simply load from the class path later.
 */
@Command(
    name = "class-archive-training",
    hidden = true,
    mixinStandardHelpOptions = true,
    description = {
      "Start a one-node cluster in this JVM (free loopback ports, a temporary data folder), run a short",
      "mixed workload through the Java client, stop it and delete the folder: the run bin/junction records",
      "with -XX:ArchiveClassesAtExit into the class data sharing archive its JVMs start from."
    })
final class ClassArchiveTrainingCommand implements Callable<Integer> {
  @Option(names = "--duration", defaultValue = "3s", converter = LocalCommand.DurationOption.class,
      description = "How long the workload runs. Default: ${DEFAULT-VALUE}")
  Duration duration;

  @Override
  public Integer call() throws Exception {
    Path data = Files.createTempDirectory("junction-class-archive-training");
    try {
      JunctionNode node = JunctionNode.start(oneNodeCluster(data));
      try {
        String endpoint = "127.0.0.1:" + node.grpcPort();
        try (JunctionClient client = JunctionClient.builder().endpoints(endpoint).build()) {
          awaitServing(client);
          Warmup.Report r = new Warmup(List.of(client), null, 2, duration, () -> null, line -> { }).run();
          System.out.printf("class-archive-training: %,d operations (%d failed) in %.1f s%n",
              r.operations(), r.errors(), r.millis() / 1000.0);
          return r.operations() > 0 ? 0 : 1;
        }
      } finally {
        node.close();
      }
    } finally {
      deleteTree(data);
    }
  }

  /**
   * A one-node cluster on free loopback ports (gRPC, native, management, cluster) with its data in {@code
   * data}: replication factor 1, no drain on stop.
   */
  static Config oneNodeCluster(Path data) {
    int port = JunctionNode.freePort("127.0.0.1");
    return JoinWarmup.privateNode(data, port, port, 1);
  }

  /** Waits (at most 60 s) until the one-node cluster answers a read: its first table and chains exist. */
  static void awaitServing(JunctionClient client) throws InterruptedException {
    long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
    while (true) {
      try {
        client.get("junction-class-archive-training".getBytes(java.nio.charset.StandardCharsets.US_ASCII));
        return;
      } catch (JunctionException e) {
        if (System.nanoTime() > deadline) {
          throw e;
        }
        Thread.sleep(100);
      }
    }
  }

  static void deleteTree(Path root) throws IOException {
    try (Stream<Path> paths = Files.walk(root)) {
      for (Path p : (Iterable<Path>) paths.sorted(Comparator.reverseOrder())::iterator) {
        Files.deleteIfExists(p);
      }
    }
  }
}
