package dev.junction.node;

import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.cert.Certificate;
import java.security.cert.CertificateFactory;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;

/**
 * The zone of the Kubernetes node a pod runs on, as the node's rack label. The downward API does not
 * expose a node's labels, so the node asks the API server itself at start: {@code GET
 * /api/v1/nodes/NAME} with the pod's service-account token, trusting the cluster's CA, and takes the label
 * {@code topology.kubernetes.io/zone} (the one cloud providers set). The StatefulSet passes the node's
 * name ({@code spec.nodeName}) as {@code JUNCTION_RACK_FROM_NODE}; reading nodes takes a ClusterRole that
 * may {@code get} them (nodes are not namespaced), nothing more.
 */
public final class KubernetesZone {
  /** The well-known zone label. */
  public static final String ZONE_LABEL = "topology.kubernetes.io/zone";

  /** Where Kubernetes mounts a pod's service-account token and the cluster's CA. */
  public static final Path SERVICE_ACCOUNT = Path.of("/var/run/secrets/kubernetes.io/serviceaccount");

  /** How to reach the API server: its base URI, a bearer token, and TLS trusting the cluster's CA. */
  public record Api(URI server, String token, SSLContext tls) {}

  private KubernetesZone() {}

  /**
   * The API server as a pod sees it: {@code KUBERNETES_SERVICE_HOST} and {@code KUBERNETES_SERVICE_PORT}
   * from {@code env}, the token and {@code ca.crt} under {@code account}.
   */
  public static Api inCluster(Map<String, String> env, Path account) throws IOException {
    String host = env.getOrDefault("KUBERNETES_SERVICE_HOST", "");
    String port = env.getOrDefault("KUBERNETES_SERVICE_PORT", "443");
    if (host.isBlank()) {
      throw new IOException("KUBERNETES_SERVICE_HOST is not set: not running in a Kubernetes pod");
    }
    String token = Files.readString(account.resolve("token")).strip();
    String authority = host.contains(":") ? "[" + host + "]:" + port : host + ":" + port;
    return new Api(URI.create("https://" + authority), token, trusting(account.resolve("ca.crt")));
  }

  /** TLS that trusts the certificates in the PEM file {@code caFile} (and nothing else). */
  public static SSLContext trusting(Path caFile) throws IOException {
    try (InputStream in = Files.newInputStream(caFile)) {
      KeyStore trust = KeyStore.getInstance(KeyStore.getDefaultType());
      trust.load(null, null);
      int i = 0;
      for (Certificate c : CertificateFactory.getInstance("X.509").generateCertificates(in)) {
        trust.setCertificateEntry("ca-" + i++, c);
      }
      if (i == 0) {
        throw new IOException("no certificate in " + caFile);
      }
      TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
      tmf.init(trust);
      SSLContext tls = SSLContext.getInstance("TLS");
      tls.init(null, tmf.getTrustManagers(), null);
      return tls;
    } catch (GeneralSecurityException e) {
      throw new IOException("cannot trust " + caFile + ": " + e.getMessage(), e);
    }
  }

  /**
   * The value of {@code label} on Kubernetes node {@code node}: empty when the node has no such label.
   *
   * @throws IOException the API server did not answer, refused (a 403 names the missing permission), or
   *     answered something that is not a node
   */
  public static Optional<String> label(Api api, String node, String label, Duration timeout)
      throws IOException, InterruptedException {
    HttpClient http = HttpClient.newBuilder().sslContext(api.tls()).connectTimeout(timeout).build();
    URI uri = api.server().resolve("/api/v1/nodes/" + URLEncoder.encode(node, StandardCharsets.UTF_8));
    HttpResponse<String> response = http.send(
        HttpRequest.newBuilder(uri).timeout(timeout).header("Authorization", "Bearer " + api.token())
            .header("Accept", "application/json").GET().build(),
        HttpResponse.BodyHandlers.ofString());
    if (response.statusCode() == 403) {
      throw new IOException("the API server refused to show node " + node + " (403): the pod's service account "
          + "needs a ClusterRole that may get nodes (k8s/base/rbac.yaml)");
    }
    if (response.statusCode() != 200) {
      throw new IOException("GET " + uri + " answered " + response.statusCode() + ": " + abbreviate(response.body()));
    }
    JsonObject metadata;
    try {
      metadata = JsonParser.parseString(response.body()).getAsJsonObject().getAsJsonObject("metadata");
    } catch (RuntimeException e) {
      throw new IOException("GET " + uri + " answered something that is not a node: " + abbreviate(response.body()), e);
    }
    if (metadata == null) {
      throw new IOException("GET " + uri + " answered an object without metadata");
    }
    JsonObject labels = metadata.getAsJsonObject("labels");
    JsonElement value = labels == null ? null : labels.get(label);
    return value == null || value.isJsonNull() ? Optional.empty() : Optional.of(value.getAsString());
  }

  /** Where {@link #withRack} gets the API server from (in a pod: {@link #inCluster}). */
  @FunctionalInterface
  public interface ApiSource {
    Api get() throws IOException;
  }

  /** How often {@link #withRack} asks before it gives up, and how long it waits in between. */
  static final int ATTEMPTS = 3;

  static final Duration BETWEEN = Duration.ofSeconds(2);

  /**
   * {@code config} with {@code junction.cluster.rack} set to the zone of the Kubernetes node that {@code
   * junction.node.rack-from-node} names, when it names one and no rack is set already (an explicit {@code
   * JUNCTION_RACK} wins). A node without the zone label leaves the rack empty (logged). An API server that
   * cannot be reached or refuses, after {@link #ATTEMPTS} tries, fails the start: rack-aware placement was
   * asked for and would silently be off.
   */
  public static com.typesafe.config.Config withRack(com.typesafe.config.Config config, ApiSource source)
      throws InterruptedException {
    return withRack(config, source, BETWEEN);
  }

  static com.typesafe.config.Config withRack(com.typesafe.config.Config config, ApiSource source, Duration between)
      throws InterruptedException {
    com.typesafe.config.Config full = config.withFallback(com.typesafe.config.ConfigFactory.defaultReference()).resolve();
    String node = full.getString("junction.node.rack-from-node").strip();
    if (node.isEmpty() || !full.getString("junction.cluster.rack").isBlank()) {
      return config;
    }
    IOException last = null;
    for (int attempt = 1; attempt <= ATTEMPTS; attempt++) {
      try {
        Optional<String> zone = label(source.get(), node, ZONE_LABEL, Duration.ofSeconds(5));
        if (zone.isEmpty() || zone.get().isBlank()) {
          log.warn("Kubernetes node {} has no {} label: this node starts without a rack", node, ZONE_LABEL);
          return config;
        }
        log.info("rack {} (label {} of Kubernetes node {})", zone.get(), ZONE_LABEL, node);
        return com.typesafe.config.ConfigFactory.parseMap(Map.of("junction.cluster.rack", zone.get()))
            .withFallback(config);
      } catch (IOException e) {
        last = e;
        log.warn("reading the zone of Kubernetes node {} failed (attempt {} of {}): {}", node, attempt, ATTEMPTS,
            e.getMessage());
        if (attempt < ATTEMPTS) {
          Thread.sleep(between.toMillis());
        }
      }
    }
    throw new IllegalStateException("cannot read the zone of Kubernetes node " + node
        + " (junction.node.rack-from-node, JUNCTION_RACK_FROM_NODE): " + last.getMessage(), last);
  }

  private static final org.slf4j.Logger log = org.slf4j.LoggerFactory.getLogger(KubernetesZone.class);

  private static String abbreviate(String s) {
    return s.length() <= 200 ? s : s.substring(0, 200) + "...";
  }
}
