package dev.junction.node;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.typesafe.config.ConfigFactory;
import io.fabric8.kubernetes.api.model.ContainerPort;
import io.fabric8.kubernetes.api.model.EnvVar;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.Probe;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.apps.StatefulSet;
import io.fabric8.kubernetes.api.model.policy.v1.PodDisruptionBudget;
import io.fabric8.kubernetes.api.model.rbac.PolicyRule;
import io.fabric8.kubernetes.api.model.rbac.Role;
import io.fabric8.kubernetes.api.model.rbac.RoleBinding;
import io.fabric8.kubernetes.client.utils.KubernetesSerialization;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The Kubernetes manifests of {@code k8s/base}, parsed with the fabric8 model and checked for what
 * matters: that they agree with each other and with what the node serves and reads.
 */
class KubernetesManifestsTest {
  private static final Path BASE = Path.of("..", "k8s", "base");
  private static final List<HasMetadata> RESOURCES = new ArrayList<>();

  @BeforeAll
  static void parse() throws IOException {
    KubernetesSerialization yaml = new KubernetesSerialization();
    for (String file : kustomizationResources()) {
      for (String doc : Files.readString(BASE.resolve(file)).split("(?m)^---\\s*$")) {
        if (!doc.strip().isEmpty() && doc.contains("kind:")) {
          RESOURCES.add(yaml.unmarshal(doc, HasMetadata.class));
        }
      }
    }
  }

  /** The files kustomization.yaml lists, each of which exists. */
  private static List<String> kustomizationResources() throws IOException {
    List<String> files = new ArrayList<>();
    boolean inResources = false;
    for (String line : Files.readAllLines(BASE.resolve("kustomization.yaml"))) {
      if (line.startsWith("resources:")) {
        inResources = true;
      } else if (inResources && line.startsWith("  - ")) {
        files.add(line.substring(4).strip());
      } else if (!line.startsWith(" ")) {
        inResources = false;
      }
    }
    return files;
  }

  private static <T extends HasMetadata> T one(Class<T> type, String name) {
    return RESOURCES.stream().filter(type::isInstance).map(type::cast)
        .filter(r -> r.getMetadata().getName().equals(name)).findFirst()
        .orElseThrow(() -> new AssertionError("no " + type.getSimpleName() + " " + name + " in " + BASE));
  }

  private static StatefulSet statefulSet() {
    return one(StatefulSet.class, "junction");
  }

  private static io.fabric8.kubernetes.api.model.Container container() {
    return statefulSet().getSpec().getTemplate().getSpec().getContainers().get(0);
  }

  @Test
  void everyFileTheKustomizationListsParsesAndEveryManifestIsListed() throws IOException {
    List<String> listed = kustomizationResources();
    try (Stream<Path> files = Files.list(BASE)) {
      Set<String> present = new TreeSet<>(files.map(p -> p.getFileName().toString())
          .filter(n -> n.endsWith(".yaml") && !n.equals("kustomization.yaml")).toList());
      assertEquals(present, new TreeSet<>(listed));
    }
    assertEquals(Set.of("ServiceAccount", "Role", "RoleBinding", "ClusterRole", "ClusterRoleBinding", "ConfigMap",
        "Service", "PodDisruptionBudget", "StatefulSet"), new TreeSet<>(RESOURCES.stream().map(HasMetadata::getKind).toList()));
  }

  @Test
  void theProbesAskTheManagementPortForThePathsTheNodeServes() {
    ContainerPort management = container().getPorts().stream().filter(p -> p.getName().equals("management"))
        .findFirst().orElseThrow();
    assertEquals(ConfigFactory.defaultReference().getInt("junction.node.management-port"),
        management.getContainerPort());
    Probe ready = container().getReadinessProbe();
    Probe alive = container().getLivenessProbe();
    assertEquals("/" + ConfigFactory.defaultReference().getString("pekko.management.health-checks.readiness-path"),
        ready.getHttpGet().getPath());
    assertEquals("/" + ConfigFactory.defaultReference().getString("pekko.management.health-checks.liveness-path"),
        alive.getHttpGet().getPath());
    assertEquals("management", ready.getHttpGet().getPort().getStrVal());
    assertEquals("management", alive.getHttpGet().getPort().getStrVal());
    assertEquals(String.valueOf(management.getContainerPort()), env().get("JUNCTION_MANAGEMENT_PORT"));
    int nativePort = container().getPorts().stream().filter(p -> "native".equals(p.getName()))
        .findFirst().orElseThrow().getContainerPort();
    assertEquals(String.valueOf(nativePort), env().get("JUNCTION_NATIVE_PORT"), "the native endpoint on the port the pod names");
  }

  @Test
  void theSelectorsMatchThePodsAndTheHeadlessServicePublishesNotReadyPods() {
    StatefulSet sts = statefulSet();
    Map<String, String> podLabels = sts.getSpec().getTemplate().getMetadata().getLabels();
    assertTrue(podLabels.entrySet().containsAll(sts.getSpec().getSelector().getMatchLabels().entrySet()));
    Service headless = one(Service.class, "junction-headless");
    assertEquals(sts.getSpec().getServiceName(), headless.getMetadata().getName());
    assertEquals("None", headless.getSpec().getClusterIP());
    assertTrue(headless.getSpec().getPublishNotReadyAddresses(), "bootstrap needs the pods before they are ready");
    for (Service s : List.of(headless, one(Service.class, "junction"))) {
      assertTrue(podLabels.entrySet().containsAll(s.getSpec().getSelector().entrySet()), s.getMetadata().getName());
    }
    PodDisruptionBudget pdb = one(PodDisruptionBudget.class, "junction");
    assertTrue(podLabels.entrySet().containsAll(pdb.getSpec().getSelector().getMatchLabels().entrySet()));
    assertEquals(1, pdb.getSpec().getMaxUnavailable().getIntVal());
    assertEquals("Parallel", sts.getSpec().getPodManagementPolicy());
    assertFalse(sts.getSpec().getVolumeClaimTemplates().isEmpty());
    // The kubernetes-api discovery selects the pods by app=<service name>.
    assertEquals(env().get("JUNCTION_SERVICE_NAME"), podLabels.get("app"));
  }

  @Test
  void theRoleGrantsReadingPodsAndNothingMoreToThePodsAccount() {
    Role role = one(Role.class, "junction-pod-reader");
    assertEquals(1, role.getRules().size());
    PolicyRule rule = role.getRules().get(0);
    assertEquals(List.of(""), rule.getApiGroups());
    assertEquals(List.of("pods"), rule.getResources());
    assertEquals(Set.of("get", "list", "watch"), new TreeSet<>(rule.getVerbs()));
    RoleBinding binding = one(RoleBinding.class, "junction-pod-reader");
    assertEquals("Role", binding.getRoleRef().getKind());
    assertEquals(role.getMetadata().getName(), binding.getRoleRef().getName());
    String account = statefulSet().getSpec().getTemplate().getSpec().getServiceAccountName();
    assertEquals(account, binding.getSubjects().get(0).getName());
    assertEquals("ServiceAccount", binding.getSubjects().get(0).getKind());
  }

  @Test
  void theRackComesFromTheKubernetesNodeWhichThePodsAccountMayOnlyGet() {
    // The node's name from the downward API; KubernetesZoneTest shows what the node does with it.
    assertEquals("spec.nodeName", env().get("JUNCTION_RACK_FROM_NODE"));
    assertFalse(env().containsKey("JUNCTION_RACK"), "an explicit rack would win over the zone");
    io.fabric8.kubernetes.api.model.rbac.ClusterRole role =
        one(io.fabric8.kubernetes.api.model.rbac.ClusterRole.class, "junction-node-reader");
    assertEquals(1, role.getRules().size());
    PolicyRule rule = role.getRules().get(0);
    assertEquals(List.of(""), rule.getApiGroups());
    assertEquals(List.of("nodes"), rule.getResources());
    assertEquals(List.of("get"), rule.getVerbs());
    io.fabric8.kubernetes.api.model.rbac.ClusterRoleBinding binding =
        one(io.fabric8.kubernetes.api.model.rbac.ClusterRoleBinding.class, "junction-node-reader");
    assertEquals("ClusterRole", binding.getRoleRef().getKind());
    assertEquals(role.getMetadata().getName(), binding.getRoleRef().getName());
    assertEquals(1, binding.getSubjects().size());
    assertEquals("ServiceAccount", binding.getSubjects().get(0).getKind());
    assertEquals(statefulSet().getSpec().getTemplate().getSpec().getServiceAccountName(),
        binding.getSubjects().get(0).getName());
  }

  @Test
  void theGracePeriodExceedsTheDrainBoundWithRoomToLeave() {
    String conf = one(io.fabric8.kubernetes.api.model.ConfigMap.class, "junction-config").getData().get("junction.conf");
    Duration drain = ConfigFactory.parseString(conf).withFallback(ConfigFactory.defaultReference()).resolve()
        .getDuration("junction.cluster.leave.drain-timeout");
    long grace = statefulSet().getSpec().getTemplate().getSpec().getTerminationGracePeriodSeconds();
    // The kubelet counts the preStop hook's pause inside the grace period, before SIGTERM starts the drain.
    List<String> preStop = container().getLifecycle().getPreStop().getExec().getCommand();
    assertEquals("sleep", preStop.get(0), "preStop pauses so the endpoints drop the pod first: " + preStop);
    long pause = Long.parseLong(preStop.get(1));
    assertTrue(pause > 0 && pause <= 10, "preStop pause " + pause + " s");
    assertTrue(grace >= pause + drain.toSeconds() + 20,
        "grace " + grace + " s against a preStop pause of " + pause + " s and a drain of " + drain);
  }

  @Test
  void podsSpreadOverHostsAndZonesBySelectingTheirOwnLabels() {
    var pod = statefulSet().getSpec().getTemplate();
    Map<String, String> podLabels = pod.getMetadata().getLabels();
    var anti = pod.getSpec().getAffinity().getPodAntiAffinity().getPreferredDuringSchedulingIgnoredDuringExecution();
    assertFalse(anti.isEmpty(), "replicas prefer different hosts");
    assertEquals("kubernetes.io/hostname", anti.get(0).getPodAffinityTerm().getTopologyKey());
    assertTrue(podLabels.entrySet().containsAll(
        anti.get(0).getPodAffinityTerm().getLabelSelector().getMatchLabels().entrySet()), "anti-affinity selects the pods");
    var spread = pod.getSpec().getTopologySpreadConstraints();
    assertFalse(spread.isEmpty(), "pods spread over zones");
    assertEquals("topology.kubernetes.io/zone", spread.get(0).getTopologyKey());
    assertEquals(1, spread.get(0).getMaxSkew());
    assertTrue(podLabels.entrySet().containsAll(spread.get(0).getLabelSelector().getMatchLabels().entrySet()),
        "the spread counts the pods");
  }

  @Test
  void everyJunctionVariableTheStatefulSetSetsIsOneTheNodeReads() throws IOException {
    Set<String> read = new TreeSet<>();
    Pattern p = Pattern.compile("\\$\\{\\?(JUNCTION_[A-Z_]+)}");
    for (String module : List.of("node", "sharding", "ssd-store", "chain-replication")) {
      Path conf = Path.of("..", module, "src", "main", "resources", "reference.conf");
      if (Files.exists(conf)) {
        Matcher m = p.matcher(Files.readString(conf));
        while (m.find()) {
          read.add(m.group(1));
        }
      }
    }
    assertTrue(read.contains("JUNCTION_HOST"), read.toString());
    Set<String> set = new TreeSet<>(env().keySet());
    set.removeIf(n -> !n.startsWith("JUNCTION_"));
    assertFalse(set.isEmpty());
    for (String name : set) {
      assertTrue(read.contains(name), name + " is set by the StatefulSet but read by no reference.conf: " + read);
    }
    assertEquals("kubernetes-api", env().get("JUNCTION_DISCOVERY"));
    assertEquals(String.valueOf(statefulSet().getSpec().getReplicas()), env().get("JUNCTION_REQUIRED_CONTACT_POINTS"));
  }

  /**
   * The Dockerfile and the Jib configuration build the same image, and the StatefulSet runs it as it is
   * built: the same user (and a volume that user may write), the data directory on the pod's volume,
   * the ports the pod names, the {@code node} command.
   */
  @Test
  void theDockerfileAndJibBuildTheImageTheStatefulSetRuns() throws IOException {
    String dockerfile = Files.readString(Path.of("..", "Dockerfile"));
    String pom = Files.readString(Path.of("pom.xml"));
    String jib = pom.substring(pom.indexOf("<artifactId>jib-maven-plugin</artifactId>"));
    jib = jib.substring(0, jib.indexOf("</plugin>"));
    assertTrue(dockerfile.lines().anyMatch(l -> l.startsWith("FROM eclipse-temurin:17-jre")), "a JRE 17 base");
    assertTrue(jib.contains("<image>eclipse-temurin:17-jre</image>"), "Jib from the same base");
    assertFalse(jib.contains("<executions>"), "Jib is bound to no phase: the build pulls no base image");
    String user = match(dockerfile, "(?m)^USER (\\d+)$");
    assertEquals(user, match(jib, "<user>(\\d+)</user>"));
    io.fabric8.kubernetes.api.model.PodSecurityContext security =
        statefulSet().getSpec().getTemplate().getSpec().getSecurityContext();
    assertEquals(Long.parseLong(user), security.getRunAsUser());
    assertEquals(Long.parseLong(user), security.getFsGroup(), "the data volume is writable by the image's user");
    assertTrue(security.getRunAsNonRoot());
    String data = match(dockerfile, "(?m)^ENV JUNCTION_DATA_DIR=(\\S+)$");
    assertEquals(data, match(dockerfile, "(?m)^VOLUME (\\S+)$"));
    assertEquals(data, match(jib, "<JUNCTION_DATA_DIR>(\\S+)</JUNCTION_DATA_DIR>"));
    assertEquals(data, match(jib, "<volume>(\\S+)</volume>"));
    assertEquals(data, env().get("JUNCTION_DATA_DIR"));
    assertTrue(container().getVolumeMounts().stream()
        .anyMatch(m -> m.getName().equals("data") && m.getMountPath().equals(data)), "the claim is mounted there");
    Set<String> ports = new TreeSet<>(List.of(match(dockerfile, "(?m)^EXPOSE (.+)$").split(" ")));
    Set<String> jibPorts = new TreeSet<>();
    Matcher port = Pattern.compile("<port>(\\d+)</port>").matcher(jib);
    while (port.find()) {
      jibPorts.add(port.group(1));
    }
    Set<String> podPorts = new TreeSet<>();
    container().getPorts().forEach(p -> podPorts.add(String.valueOf(p.getContainerPort())));
    assertEquals(ports, jibPorts);
    assertEquals(ports, podPorts);
    assertTrue(dockerfile.contains("\"dev.junction.node.Junction\"]") && dockerfile.contains("CMD [\"node\"]"));
    assertTrue(jib.contains("<mainClass>dev.junction.node.Junction</mainClass>") && jib.contains("<arg>node</arg>"));
    assertEquals("node", container().getArgs().get(0));
    // The flags bin/junction passes (LMDB's off-heap buffers) go with the image too.
    for (String flag : List.of("--add-opens=java.base/java.nio=ALL-UNNAMED", "--add-opens=java.base/sun.nio.ch=ALL-UNNAMED")) {
      assertTrue(dockerfile.contains("\"" + flag + "\""), flag);
      assertTrue(jib.contains("<jvmFlag>" + flag + "</jvmFlag>"), flag);
      assertTrue(Files.readString(Path.of("..", "bin", "junction")).contains(flag), flag);
    }
  }

  private static String match(String text, String regex) {
    Matcher m = Pattern.compile(regex).matcher(text);
    assertTrue(m.find(), "no " + regex);
    return m.group(1).strip();
  }

  /** The container's environment (values; those from the downward API as their field path). */
  private static Map<String, String> env() {
    Map<String, String> out = new java.util.HashMap<>();
    for (EnvVar e : container().getEnv()) {
      out.put(e.getName(), e.getValue() != null ? e.getValue()
          : e.getValueFrom().getFieldRef().getFieldPath());
    }
    assertNotNull(out.get("JUNCTION_HOST"));
    return out;
  }
}
