package dev.junction.node;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The node program's settings and the Pekko configuration they turn into. */
class NodeSettingsTest {
  private static NodeSettings settings(Map<String, Object> node) {
    return NodeSettings.fromConfig(ConfigFactory.parseMap(node).atPath("junction.node")
        .withFallback(ConfigFactory.defaultReference()).resolve());
  }

  @Test
  void withSeedNodesThereIsNoBootstrap() {
    NodeSettings s = settings(Map.of("seed-nodes", "10.0.0.1:25520, 10.0.0.2:25520"));
    assertFalse(s.bootstrap().enabled());
    Config c = s.clusterConfig(7070, 7626);
    assertEquals(List.of("pekko://junction@10.0.0.1:25520", "pekko://junction@10.0.0.2:25520"),
        c.getStringList("pekko.cluster.seed-nodes"));
    assertEquals(7626, c.getInt("pekko.management.http.port"));
    assertFalse(c.hasPath("pekko.management.cluster.bootstrap"));
  }

  @Test
  void configDiscoveryListsTheContactPointsAndTellsThemApartByPort() {
    NodeSettings s = settings(Map.of("discovery", "config", "contact-points", "127.0.0.1:7626,127.0.0.1:7627",
        "required-contact-points", 2, "management-port", 7627));
    Config c = s.clusterConfig(7071, 7627);
    assertEquals(List.of(), c.getStringList("pekko.cluster.seed-nodes"));
    String d = "pekko.management.cluster.bootstrap.contact-point-discovery.";
    assertEquals("config", c.getString(d + "discovery-method"));
    assertEquals("junction", c.getString(d + "service-name"));
    assertEquals(2, c.getInt(d + "required-contact-point-nr"));
    assertFalse(c.getBoolean("pekko.management.cluster.bootstrap.contact-point.filter-on-fallback-port"));
    List<? extends Config> endpoints = c.getConfigList("pekko.discovery.config.services.junction.endpoints");
    assertEquals(2, endpoints.size());
    assertEquals("127.0.0.1", endpoints.get(1).getString("host"));
    assertEquals(7627, endpoints.get(1).getInt("port"));
  }

  @Test
  void kubernetesDiscoveryLooksForTheManagementPortOfTheServicesPods() {
    NodeSettings s = settings(Map.of("discovery", "kubernetes-api", "required-contact-points", 3,
        "host", "junction-0.junction-headless.default.svc.cluster.local", "bind-host", "10.1.2.3"));
    Config c = s.clusterConfig(7070, 7626);
    String d = "pekko.management.cluster.bootstrap.contact-point-discovery.";
    assertEquals("kubernetes-api", c.getString(d + "discovery-method"));
    assertEquals("management", c.getString(d + "port-name"));
    assertTrue(c.getBoolean("pekko.discovery.kubernetes-api.use-raw-ip"), "contact points by pod IP");
    assertEquals(3, c.getInt(d + "required-contact-point-nr"));
    // The node's own contact point is its pod IP, as the discovery lists it; the cluster address keeps the
    // name, bound at the pod IP.
    assertEquals("10.1.2.3", c.getString("pekko.management.http.hostname"));
    assertEquals("junction-0.junction-headless.default.svc.cluster.local",
        c.getString("pekko.remote.artery.canonical.hostname"));
    assertEquals("10.1.2.3", c.getString("pekko.remote.artery.bind.hostname"));
    String account = "/var/run/secrets/kubernetes.io/serviceaccount/";
    assertEquals(account + "token", c.getString("pekko.discovery.kubernetes-api.api-token-path"));
    assertEquals(account + "ca.crt", c.getString("pekko.discovery.kubernetes-api.api-ca-path"));
    assertEquals(account + "namespace", c.getString("pekko.discovery.kubernetes-api.pod-namespace-path"));
  }

  @Test
  void theNodeBindsItsHostUnlessToldOtherwise() {
    NodeSettings plain = settings(Map.of("host", "10.0.0.7"));
    assertEquals("10.0.0.7", plain.bindHost());
    assertFalse(plain.clusterConfig(7070, 7626).hasPath("pekko.remote.artery.bind.hostname"));
    NodeSettings s = settings(Map.of("host", "10.0.0.7", "bind-host", "0.0.0.0"));
    assertEquals("0.0.0.0", s.clusterConfig(7070, 7626).getString("pekko.management.http.hostname"));
    NodeSettings moved = settings(Map.of("discovery", "kubernetes-api", "bind-host", "10.1.2.3",
        "kubernetes-service-account", "/tmp/account"));
    assertEquals("/tmp/account/token",
        moved.clusterConfig(7070, 7626).getString("pekko.discovery.kubernetes-api.api-token-path"));
  }

  @Test
  void badDiscoverySettingsAreRefusedWithTheirReason() {
    assertTrue(assertThrows(IllegalArgumentException.class, () -> settings(Map.of("discovery", "dns")))
        .getMessage().contains("config or kubernetes-api"));
    assertTrue(assertThrows(IllegalArgumentException.class, () -> settings(Map.of("discovery", "config")))
        .getMessage().contains("contact-points"));
    assertTrue(assertThrows(IllegalArgumentException.class,
        () -> settings(Map.of("discovery", "kubernetes-api", "seed-nodes", "10.0.0.1:25520")))
        .getMessage().contains("not both"));
    assertTrue(assertThrows(IllegalArgumentException.class,
        () -> settings(Map.of("discovery", "config", "contact-points", "127.0.0.1")))
        .getMessage().contains("not host:port"));
    // kubernetes-api with a name for the contact point: no cluster would ever form; refused at start.
    assertTrue(assertThrows(IllegalArgumentException.class,
        () -> settings(Map.of("discovery", "kubernetes-api", "host", "junction-0.junction-headless")))
        .getMessage().contains("JUNCTION_BIND_HOST"));
  }
}
