package dev.junction.node;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The rack from the Kubernetes node's zone, against a Kubernetes API mock over HTTPS (its own CA, a
 * service-account token): what a pod of k8s/base does at start with JUNCTION_RACK_FROM_NODE.
 */
class KubernetesZoneTest {
  @TempDir static Path dir;
  private static KubernetesApiMock api;

  @BeforeAll
  static void start() throws Exception {
    api = KubernetesApiMock.start(dir);
    api.serve("/api/v1/nodes/worker-1", """
        {"kind":"Node","apiVersion":"v1","metadata":{"name":"worker-1","labels":{
          "kubernetes.io/hostname":"worker-1","topology.kubernetes.io/zone":"eu-west-1b",
          "topology.kubernetes.io/region":"eu-west-1"}},"status":{}}""");
    api.serve("/api/v1/nodes/bare-metal", """
        {"kind":"Node","apiVersion":"v1","metadata":{"name":"bare-metal","labels":{"kubernetes.io/hostname":"x"}}}""");
  }

  @AfterAll
  static void stop() {
    api.close();
  }

  private static Config conf(String rackFromNode, String rack) {
    return ConfigFactory.parseMap(Map.of("junction.node.rack-from-node", rackFromNode, "junction.cluster.rack", rack));
  }

  private static String rack(Config c) {
    return c.withFallback(ConfigFactory.defaultReference()).resolve().getString("junction.cluster.rack");
  }

  private static Config withRack(Config c) throws Exception {
    return KubernetesZone.withRack(c, () -> KubernetesZone.inCluster(api.env(), api.account()), Duration.ofMillis(10));
  }

  @Test
  void theKubernetesNodesZoneBecomesTheRack() throws Exception {
    int before = api.asked().size();
    assertEquals("eu-west-1b", rack(withRack(conf("worker-1", ""))));
    assertEquals(List.of("/api/v1/nodes/worker-1"), api.asked().subList(before, api.asked().size()));
  }

  @Test
  void aRackSetExplicitlyWinsAndNothingIsAsked() throws Exception {
    int before = api.asked().size();
    assertEquals("rack-7", rack(withRack(conf("worker-1", "rack-7"))));
    assertEquals("", rack(withRack(conf("", ""))), "no node named: no rack, nothing asked");
    assertEquals(before, api.asked().size());
  }

  @Test
  void aNodeWithoutTheZoneLabelLeavesTheRackEmpty() throws Exception {
    assertEquals("", rack(withRack(conf("bare-metal", ""))));
  }

  @Test
  void aRefusalOrAnUnknownNodeFailsTheStartWithTheReason() throws Exception {
    IllegalStateException unknown = assertThrows(IllegalStateException.class, () -> withRack(conf("worker-9", "")));
    assertTrue(unknown.getMessage().contains("worker-9") && unknown.getMessage().contains("404"), unknown.getMessage());
    int before = api.asked().size();
    api.answerAll(403);
    try {
      IllegalStateException forbidden = assertThrows(IllegalStateException.class, () -> withRack(conf("worker-1", "")));
      assertTrue(forbidden.getMessage().contains("ClusterRole that may get nodes"), forbidden.getMessage());
      assertEquals(KubernetesZone.ATTEMPTS, api.asked().size() - before, "asked again before giving up");
    } finally {
      api.answerAll(200);
    }
    // Another token (or none) is not let in: the request carries the service account's.
    KubernetesZone.Api wrongToken = new KubernetesZone.Api(
        KubernetesZone.inCluster(api.env(), api.account()).server(), "not-the-token",
        KubernetesZone.trusting(api.account().resolve("ca.crt")));
    IllegalStateException unauthorized = assertThrows(IllegalStateException.class,
        () -> KubernetesZone.withRack(conf("worker-1", ""), () -> wrongToken, Duration.ofMillis(10)));
    assertTrue(unauthorized.getMessage().contains("401"), unauthorized.getMessage());
  }

  @Test
  void outsideAPodTheStartSaysSo() {
    IllegalStateException e = assertThrows(IllegalStateException.class,
        () -> KubernetesZone.withRack(conf("worker-1", ""),
            () -> KubernetesZone.inCluster(Map.of(), api.account()), Duration.ofMillis(10)));
    assertTrue(e.getMessage().contains("KUBERNETES_SERVICE_HOST"), e.getMessage());
  }
}
