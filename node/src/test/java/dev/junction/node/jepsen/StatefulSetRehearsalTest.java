package dev.junction.node.jepsen;

import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.junction.client.proto.RangeInfo;
import dev.junction.client.proto.RoutingTableResponse;
import dev.junction.node.Junction;
import dev.junction.node.KubernetesApiMock;
import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.EnvVar;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.NodeBuilder;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodBuilder;
import io.fabric8.kubernetes.api.model.PodListBuilder;
import io.fabric8.kubernetes.api.model.PodTemplateSpec;
import io.fabric8.kubernetes.api.model.VolumeMount;
import io.fabric8.kubernetes.api.model.apps.StatefulSet;
import io.fabric8.kubernetes.client.utils.KubernetesSerialization;
import io.grpc.EquivalentAddressGroup;
import io.grpc.NameResolver;
import io.grpc.NameResolverProvider;
import io.grpc.NameResolverRegistry;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The StatefulSet of {@code k8s/base} rehearsed without Kubernetes. Each pod is a real node process started
 * the way the kubelet would start the StatefulSet's container: its arguments, and exactly the environment
 * the manifest gives it ({@code $(VAR)} expanded, the downward API's fields filled in: pod name {@code
 * junction-N}, namespace {@value #NAMESPACE}, node {@code worker-N}, pod IP), the ConfigMap's file where
 * the container mounts it, a data directory kept across restarts as the volume claim keeps it, and the
 * service account of a local Kubernetes API mock ({@link KubernetesApiMock}) that lists the pods by the
 * StatefulSet's labels and serves the worker nodes' zones. Each pod has its own loopback address
 * (127.0.0.10 and up) and the manifest's ports; the pods' DNS names through the headless Service resolve
 * to those addresses as cluster DNS would resolve them: in the nodes from a hosts file ({@code
 * -Djdk.net.hosts.file}), in this JVM's clients through a gRPC name resolver ({@link PodNames}).
 *
 * <p>The pods find each other only through the {@code kubernetes-api} discovery, form one cluster and
 * serve; then, with clients running, one pod is added (scale-up: it gets its share with no command) and
 * every pod is restarted in turn as a rolling update does it (highest ordinal first; the pod leaves the
 * API's list, gets SIGTERM and must exit within the grace period, comes back on its data, and the next
 * waits until it is ready). The clients' history must stay linearizable, nothing lost.
 */
class StatefulSetRehearsalTest {
  static final String NAMESPACE = "rehearsal";
  private static final Path BASE = Path.of("..", "k8s", "base");
  private static final int CLIENTS = 2;
  /** Where the nodes' logs are kept, under {@code target/fault-logs}. */
  private static final String LOGS = "STATEFULSET_REHEARSAL";

  @TempDir Path dir;

  @Test
  void podsBootstrapThroughTheApiServerScaleUpAndRollLosingNothing() throws Exception {
    Manifests k8s = Manifests.read();
    int replicas = k8s.statefulSet.getSpec().getReplicas();
    int pods = replicas + 1;
    try (KubernetesApiMock api = KubernetesApiMock.start(Files.createDirectories(dir.resolve("api")))) {
      Pods layout = new Pods(k8s, api, dir, pods);
      layout.checkPortsFree();
      PodNames names = new PodNames(layout.hosts);
      NameResolverRegistry.getDefaultRegistry().register(names);
      try {
        run(k8s, api, layout, pods, replicas);
      } finally {
        NameResolverRegistry.getDefaultRegistry().deregister(names);
      }
    }
  }

  private void run(Manifests k8s, KubernetesApiMock api, Pods layout, int pods, int replicas) throws Exception {
    NodeCluster started;
    try {
      started = NodeCluster.start(dir, pods, replicas, k8s.replicationFactor(), layout, Duration.ofSeconds(240));
    } catch (Exception | AssertionError e) {
      FaultInjectionTest.keepLogs(i -> NodeCluster.log(dir, i), pods, LOGS);
      throw e;
    }
    try (NodeCluster cluster = started) {
      try {
        rehearse(cluster, layout, api, k8s, replicas);
      } finally {
        FaultInjectionTest.keepLogs(cluster, LOGS);
      }
    }
  }

  private void rehearse(NodeCluster cluster, Pods layout, KubernetesApiMock api, Manifests k8s, int replicas)
      throws Exception {
    // The pods found each other through the API server: no seed list was given to any. Each read its
    // Kubernetes node's zone as its rack.
    assertTrue(api.asked().contains(layout.podsQuery()), "no node listed the pods: " + api.asked());
    for (int i = 0; i < replicas; i++) {
      assertTrue(api.asked().contains("/api/v1/nodes/worker-" + i), layout.pod(i) + " did not read its zone: "
          + api.asked());
    }
    RoutingTableResponse table = cluster.table(0);
    List<String> keys = new ArrayList<>();
    for (RangeInfo r : table.getRangesList()) {
      keys.addAll(FaultInjectionTest.keysIn(r, 2));
    }
    // The clients start with the pods of the first cluster, as behind the client Service.
    Workload load = new Workload(cluster.endpoints(), keys, CLIENTS, Duration.ofSeconds(2));
    AtomicBoolean stop = new AtomicBoolean();
    CompletableFuture<Workload.Run> running =
        load.start(stop, Duration.ofSeconds(900), 200_000, Duration.ofSeconds(60));
    long begin = System.nanoTime();
    try {
      cluster.await(Duration.ofSeconds(60), "the clients write", () -> load.writesAfter(begin) >= 20);

      // Scale-up: pod N joins the running cluster through the same discovery and gets its share.
      int added = replicas;
      int rf = k8s.replicationFactor();
      int share = table.getRangesCount() * rf / (replicas + 1) / 2;
      long scaled = System.nanoTime();
      cluster.startNode(added);
      cluster.await(Duration.ofSeconds(180), layout.pod(added) + " holds at least " + share + " replicas and every"
          + " pod is ready", () -> cluster.replicasOn(added) >= share && cluster.ready(rf));
      System.out.printf("rehearsal: %s holds %d replicas %d ms after it started (%d operations so far)%n",
          layout.pod(added), cluster.replicasOn(added), (System.nanoTime() - scaled) / 1_000_000, load.operations());

      // A rolling update: highest ordinal first, each pod ready again before the next is stopped.
      Duration grace = Duration.ofSeconds(k8s.statefulSet.getSpec().getTemplate().getSpec()
          .getTerminationGracePeriodSeconds());
      for (int i = cluster.size() - 1; i >= 0; i--) {
        long stopping = System.nanoTime();
        int held = cluster.replicasOn(i);
        layout.deleting(i);
        NodeCluster.Terminated end = cluster.terminateWatchingReadiness(i, grace);
        int exit = end.exit();
        long stopped = System.nanoTime();
        // The kubelet's readiness probe takes a draining pod out of the Services: /ready says so, naming
        // the check and the reason, nothing else.
        assertTrue(held == 0 || end.readyAnswers().stream().anyMatch(
                a -> a.contains("Check [dev.junction.node.management.ReadyCheck] failed: the node is being drained")),
            layout.pod(i) + " held " + held + " replicas; /ready answered while it stopped: " + end.readyAnswers());
        layout.gone(i);
        cluster.startNode(i);
        int pod = i;
        cluster.await(Duration.ofSeconds(180), layout.pod(i) + " is ready again and every range has " + rf
            + " replicas serving", () -> cluster.whyNotReady(pod) == null && cluster.ready(rf));
        long ready = System.nanoTime();
        cluster.await(Duration.ofSeconds(60), "writes go on after " + layout.pod(i) + " restarted",
            () -> load.writesAfter(ready) >= 20);
        System.out.printf("rehearsal: %s stopped in %d ms (exit %d; /ready meanwhile: %s), ready again %d ms later,"
                + " holds %d replicas (%d operations so far)%n", layout.pod(i), (stopped - stopping) / 1_000_000, exit,
            end.readyAnswers(), (ready - stopped) / 1_000_000, cluster.replicasOn(i), load.operations());
        // A node stopped by SIGTERM drains, leaves and exits 0 (not the JVM's 143 for a signal).
        assertTrue(exit == 0, layout.pod(i) + " exited with " + exit + " after SIGTERM; see "
            + cluster.log(i));
      }
    } finally {
      stop.set(true);
    }
    Workload.Run run = running.get(180, TimeUnit.SECONDS);
    LinearizabilityChecker.Result result = LinearizabilityChecker.check(run.history());
    System.out.printf("rehearsal: %d operations (%d unknown) in %d s, linearizable: %s%n", run.history().size(),
        run.unknown(), (System.nanoTime() - begin) / 1_000_000_000, result.linearizable());
    assertTrue(run.history().size() >= FaultInjectionTest.MIN_HISTORY, "only " + run.history().size() + " operations");
    assertTrue(result.linearizable(), "not linearizable: " + result.failures() + "\nhistory: " + run.history());
  }

  /** The manifests of {@code k8s/base} this rehearsal runs: the StatefulSet and its ConfigMap. */
  record Manifests(StatefulSet statefulSet, ConfigMap config) {
    static Manifests read() throws IOException {
      KubernetesSerialization yaml = new KubernetesSerialization();
      StatefulSet set = yaml.unmarshal(Files.readString(BASE.resolve("statefulset.yaml")), StatefulSet.class);
      HasMetadata config = yaml.unmarshal(Files.readString(BASE.resolve("configmap.yaml")), HasMetadata.class);
      return new Manifests(set, (ConfigMap) config);
    }

    PodTemplateSpec template() {
      return statefulSet.getSpec().getTemplate();
    }

    Container container() {
      return template().getSpec().getContainers().get(0);
    }

    int port(String name) {
      return container().getPorts().stream().filter(p -> name.equals(p.getName())).findFirst()
          .orElseThrow(() -> new AssertionError("the container has no port named " + name)).getContainerPort();
    }

    int replicationFactor() {
      return com.typesafe.config.ConfigFactory.parseString(config.getData().get("junction.conf"))
          .getInt("junction.cluster.replication-factor");
    }
  }

  /**
   * The pods {@code junction-0 … junction-N}: where each listens, how its process starts, and what the API
   * mock lists.
   */
  static final class Pods implements NodeCluster.Layout {
    private static final Pattern REFERENCE = Pattern.compile("\\$\\(([A-Za-z_][A-Za-z0-9_]*)\\)");
    private final Manifests k8s;
    private final KubernetesApiMock api;
    private final Path dir;
    private final int count;
    /** The pods' DNS names and addresses, and the hosts file that tells the nodes. */
    private final Map<String, String> hosts = new LinkedHashMap<>();
    private final Path hostsFile;
    /** The pods the API server lists, by ordinal; a deleted one carries its deletion time. */
    private final Map<Integer, Instant> listed = new ConcurrentHashMap<>();
    private final KubernetesSerialization json = new KubernetesSerialization();

    Pods(Manifests k8s, KubernetesApiMock api, Path dir, int count) throws IOException {
      this.k8s = k8s;
      this.api = api;
      this.dir = dir;
      this.count = count;
      StringBuilder file = new StringBuilder("127.0.0.1 localhost\n");
      for (int i = 0; i < count; i++) {
        hosts.put(dnsName(i), "127.0.0." + (10 + i));
        file.append(hosts.get(dnsName(i))).append(' ').append(dnsName(i)).append('\n');
      }
      this.hostsFile = Files.writeString(dir.resolve("hosts"), file);
      Files.writeString(api.account().resolve("namespace"), NAMESPACE);
      // The Kubernetes nodes the pods run on: three zones, as a regional cluster has.
      for (int i = 0; i < count; i++) {
        api.serve("/api/v1/nodes/" + worker(i), json.asJson(new NodeBuilder().withNewMetadata()
            .withName(worker(i)).addToLabels("topology.kubernetes.io/zone", "zone-" + (char) ('a' + i % 3))
            .endMetadata().build()));
      }
      publish();
    }

    String pod(int i) {
      return k8s.statefulSet.getMetadata().getName() + "-" + i;
    }

    private static String worker(int i) {
      return "worker-" + i;
    }

    /** The pod's stable name through the headless Service, as cluster DNS serves it. */
    private String dnsName(int i) {
      return pod(i) + "." + k8s.statefulSet.getSpec().getServiceName() + "." + NAMESPACE + ".svc.cluster.local";
    }

    private String ip(int i) {
      return hosts.get(dnsName(i));
    }

    /** The pod list request of the kubernetes-api discovery, by the pod template's labels. */
    String podsQuery() {
      String selector = new TreeMap<>(k8s.template().getMetadata().getLabels()).entrySet().stream()
          .map(e -> e.getKey() + "=" + e.getValue()).collect(Collectors.joining(","));
      return "/api/v1/namespaces/" + NAMESPACE + "/pods?labelSelector=" + selector;
    }

    void checkPortsFree() {
      for (int i = 0; i < count; i++) {
        for (String name : List.of("grpc", "management", "remoting")) {
          try (ServerSocket s = new ServerSocket()) {
            s.bind(new InetSocketAddress(ip(i), k8s.port(name)));
          } catch (IOException e) {
            throw new AssertionError("the rehearsal needs " + ip(i) + ":" + k8s.port(name) + " (" + pod(i) + "'s "
                + name + " port): " + e.getMessage(), e);
          }
        }
      }
    }

    @Override
    public String endpoint(int i) {
      return ip(i) + ":" + k8s.port("grpc");
    }

    @Override
    public String managementUrl(int i) {
      return "http://" + ip(i) + ":" + k8s.port("management");
    }

    @Override
    public String clusterAddress(int i) {
      return dnsName(i) + ":" + k8s.port("remoting");
    }

    /** The kubelet starts pod {@code i}'s container: the API lists the pod as running from then on. */
    @Override
    public ProcessBuilder process(int i, Path data, Path log) throws IOException {
      Map<String, Path> mounts = mounts(data);
      Container c = k8s.container();
      List<String> command = new ArrayList<>();
      command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
      command.addAll(NodeCluster.JVM_ARGS);
      command.add("-Djdk.net.hosts.file=" + hostsFile.toAbsolutePath());
      // Where Kubernetes mounts the service account, the node is told this mock's files are.
      command.add("-Djunction.node.kubernetes-service-account=" + api.account().toAbsolutePath());
      command.add("-cp");
      command.add(System.getProperty("java.class.path"));
      command.add(Junction.class.getName());
      for (String arg : c.getArgs()) {
        command.add(mounted(arg, mounts));
      }
      ProcessBuilder pb = new ProcessBuilder(command);
      Map<String, String> env = pb.environment();
      env.keySet().removeIf(k -> k.startsWith("JUNCTION_") || k.startsWith("KUBERNETES_"));
      env.putAll(api.env());
      Map<String, String> defined = new LinkedHashMap<>();
      for (EnvVar v : c.getEnv()) {
        String value;
        if (v.getValueFrom() != null) {
          value = field(i, v.getValueFrom().getFieldRef().getFieldPath());
        } else {
          value = expand(v.getValue(), defined);
        }
        defined.put(v.getName(), value);
      }
      defined.replaceAll((k, v) -> mounted(v, mounts));
      env.putAll(defined);
      pb.redirectErrorStream(true);
      pb.redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile()));
      listed.put(i, Instant.EPOCH);
      publish();
      return pb;
    }

    /** The container's volume mounts as local directories: the claim's under {@code data}, the ConfigMap's files. */
    private Map<String, Path> mounts(Path data) throws IOException {
      Map<String, Path> out = new HashMap<>();
      for (VolumeMount m : k8s.container().getVolumeMounts()) {
        if (k8s.statefulSet.getSpec().getVolumeClaimTemplates().stream()
            .anyMatch(t -> t.getMetadata().getName().equals(m.getName()))) {
          out.put(m.getMountPath(), data);
        } else {
          Path files = Files.createDirectories(dir.resolve("volume-" + m.getName()));
          for (Map.Entry<String, String> f : k8s.config.getData().entrySet()) {
            Files.writeString(files.resolve(f.getKey()), f.getValue());
          }
          out.put(m.getMountPath(), files);
        }
      }
      return out;
    }

    private static String mounted(String value, Map<String, Path> mounts) {
      for (Map.Entry<String, Path> m : mounts.entrySet()) {
        if (value.equals(m.getKey()) || value.startsWith(m.getKey() + "/")) {
          return m.getValue() + value.substring(m.getKey().length());
        }
      }
      return value;
    }

    /** What the downward API gives pod {@code i} for {@code fieldPath}. */
    private String field(int i, String fieldPath) {
      return switch (fieldPath) {
        case "metadata.name" -> pod(i);
        case "metadata.namespace" -> NAMESPACE;
        case "spec.nodeName" -> worker(i);
        case "status.podIP" -> ip(i);
        default -> throw new AssertionError("the rehearsal does not know the downward API field " + fieldPath);
      };
    }

    /** Kubernetes' {@code $(VAR)} expansion: variables defined before in the list; others stay as written. */
    private static String expand(String value, Map<String, String> defined) {
      Matcher m = REFERENCE.matcher(value == null ? "" : value);
      StringBuilder out = new StringBuilder();
      while (m.find()) {
        m.appendReplacement(out, Matcher.quoteReplacement(defined.getOrDefault(m.group(1), m.group())));
      }
      m.appendTail(out);
      return out.toString();
    }

    /** Pod {@code i} is being deleted: the API still lists it, with a deletion time (discovery skips it). */
    void deleting(int i) {
      listed.put(i, Instant.now());
      publish();
    }

    /** Pod {@code i}'s container ended: the API no longer lists it. */
    void gone(int i) {
      listed.remove(i);
      publish();
    }

    private synchronized void publish() {
      List<Pod> items = new ArrayList<>();
      for (int i = 0; i < count; i++) {
        Instant deleted = listed.get(i);
        if (deleted == null) {
          continue;
        }
        PodTemplateSpec t = k8s.template();
        items.add(new PodBuilder()
            .withNewMetadataLike(t.getMetadata())
                .withName(pod(i)).withNamespace(NAMESPACE)
                .withDeletionTimestamp(deleted.equals(Instant.EPOCH) ? null : deleted.toString())
            .endMetadata()
            .withNewSpecLike(t.getSpec()).withNodeName(worker(i)).withHostname(pod(i))
                .withSubdomain(k8s.statefulSet.getSpec().getServiceName())
            .endSpec()
            .withNewStatus().withPhase("Running").withPodIP(ip(i)).endStatus()
            .build());
      }
      api.serve(podsQuery(), json.asJson(new PodListBuilder().withItems(items).build()));
    }
  }

  /**
   * The pods' DNS names for gRPC channels in this JVM (the clients route each request to the replica's
   * node by the name the routing table gives): answers with the pod's address, as cluster DNS would, and
   * leaves every other name to gRPC's own DNS resolver. Registered above it for the rehearsal only.
   */
  static final class PodNames extends NameResolverProvider {
    private final Map<String, String> hosts;
    private final NameResolverProvider dns = new io.grpc.internal.DnsNameResolverProvider();

    PodNames(Map<String, String> hosts) {
      this.hosts = Map.copyOf(hosts);
    }

    @Override
    protected boolean isAvailable() {
      return true;
    }

    @Override
    protected int priority() {
      return 9; // above gRPC's DNS resolver (5)
    }

    @Override
    public String getDefaultScheme() {
      return "dns";
    }

    @Override
    public NameResolver newNameResolver(URI target, NameResolver.Args args) {
      if (!"dns".equals(target.getScheme()) || target.getPath() == null || target.getPath().length() < 2) {
        return dns.newNameResolver(target, args);
      }
      String authority = target.getPath().substring(1);
      int colon = authority.lastIndexOf(':');
      String host = colon < 0 ? authority : authority.substring(0, colon);
      String ip = hosts.get(host);
      if (ip == null || colon < 0) {
        return dns.newNameResolver(target, args);
      }
      InetSocketAddress address;
      try {
        address = new InetSocketAddress(
            InetAddress.getByAddress(host, InetAddress.getByName(ip).getAddress()),
            Integer.parseInt(authority.substring(colon + 1)));
      } catch (java.net.UnknownHostException e) {
        throw new IllegalStateException(e);
      }
      return new NameResolver() {
        @Override
        public String getServiceAuthority() {
          return authority;
        }

        @Override
        public void start(Listener2 listener) {
          listener.onResult(ResolutionResult.newBuilder()
              .setAddressesOrError(io.grpc.StatusOr.fromValue(List.of(new EquivalentAddressGroup(address))))
              .build());
        }

        @Override
        public void shutdown() {}
      };
    }
  }
}
