package dev.junction.node;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * How to start one {@code junction node} process: the command (this program's class path, {@code node})
 * and the {@code JUNCTION_*} variables that place it in a cluster, with its log appended to
 * {@code log}. Used by {@code junction local} and by the process-level tests.
 *
 * @param command what runs the JVM (a {@code java} executable, possibly after a wrapper such as {@code ip
 *     netns exec NS})
 * @param jvmArgs JVM options
 * @param host the address the node binds and announces
 * @param managementPort the port of its management endpoint ({@code /alive}, {@code /ready})
 * @param seeds cluster {@code host:port} addresses, comma-separated (the first forms the cluster)
 * @param minNodes nodes that must be up before the first routing table is made
 */
public record NodeProcess(
    List<String> command,
    List<String> jvmArgs,
    String host,
    int grpcPort,
    int managementPort,
    int clusterPort,
    Path dataDir,
    String seeds,
    int minNodes,
    Path log) {

  /** The process, with {@code extraEnv} (further {@code JUNCTION_*} settings) over the placement. */
  public ProcessBuilder builder(Map<String, String> extraEnv) {
    List<String> cmd = new ArrayList<>(command);
    cmd.addAll(jvmArgs);
    cmd.add("-cp");
    cmd.add(System.getProperty("java.class.path"));
    cmd.add(Junction.class.getName());
    cmd.add("node");
    ProcessBuilder pb = new ProcessBuilder(cmd);
    Map<String, String> env = pb.environment();
    env.put("JUNCTION_HOST", host);
    env.put("JUNCTION_GRPC_PORT", Integer.toString(grpcPort));
    env.put("JUNCTION_MANAGEMENT_PORT", Integer.toString(managementPort));
    env.put("JUNCTION_CLUSTER_PORT", Integer.toString(clusterPort));
    env.put("JUNCTION_DATA_DIR", dataDir.toAbsolutePath().toString());
    env.put("JUNCTION_SEED_NODES", seeds);
    env.put("JUNCTION_MIN_NODES", Integer.toString(minNodes));
    env.putIfAbsent("JUNCTION_LOG_LEVEL", "INFO");
    // These nodes form their cluster together (junction local warms them up once it has formed); a private
    // warm-up of each before it joins would only delay that.
    env.put("JUNCTION_JOIN_WARMUP", "0s");
    env.putAll(extraEnv);
    pb.redirectErrorStream(true);
    pb.redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile()));
    return pb;
  }
}
