package dev.junction.node;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpsConfigurator;
import com.sun.net.httpserver.HttpsServer;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyStore;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;

/**
 * A Kubernetes API server for tests, on 127.0.0.1 over HTTPS with a certificate of its own (made with the
 * JDK's {@code keytool}): it answers GETs of the paths it was given with their JSON, 404 for the others,
 * and 401 to a request without the bearer token it expects. Its service-account directory ({@link
 * #account}: {@code token}, {@code ca.crt}) and environment ({@link #env}) are what a pod would see.
 */
public final class KubernetesApiMock implements AutoCloseable {
  public static final String TOKEN = "test-service-account-token";

  private final HttpsServer server;
  private final Path account;
  private final Map<String, String> objects = new ConcurrentHashMap<>();
  private final List<String> asked = new CopyOnWriteArrayList<>();
  private volatile int status = 200;

  private KubernetesApiMock(HttpsServer server, Path account) {
    this.server = server;
    this.account = account;
  }

  /** Starts one; {@code dir} holds its key store and the service-account files. */
  public static KubernetesApiMock start(Path dir) throws Exception {
    Path keys = dir.resolve("api-server.p12");
    Path account = Files.createDirectories(dir.resolve("serviceaccount"));
    String password = "test-only";
    keytool("-genkeypair", "-alias", "api", "-keyalg", "EC", "-groupname", "secp256r1", "-validity", "2",
        "-dname", "CN=127.0.0.1", "-ext", "SAN=ip:127.0.0.1", "-storetype", "PKCS12",
        "-keystore", keys.toString(), "-storepass", password);
    keytool("-exportcert", "-rfc", "-alias", "api", "-keystore", keys.toString(), "-storepass", password,
        "-file", account.resolve("ca.crt").toString());
    Files.writeString(account.resolve("token"), TOKEN); // as Kubernetes mounts it: no line end
    KeyStore store = KeyStore.getInstance("PKCS12");
    try (InputStream in = Files.newInputStream(keys)) {
      store.load(in, password.toCharArray());
    }
    KeyManagerFactory kmf = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
    kmf.init(store, password.toCharArray());
    SSLContext tls = SSLContext.getInstance("TLS");
    tls.init(kmf.getKeyManagers(), null, null);
    HttpsServer server = HttpsServer.create(new InetSocketAddress("127.0.0.1", 0), 16);
    server.setHttpsConfigurator(new HttpsConfigurator(tls));
    KubernetesApiMock mock = new KubernetesApiMock(server, account);
    server.createContext("/", mock::handle);
    server.start();
    return mock;
  }

  private static void keytool(String... args) throws Exception {
    List<String> command = new java.util.ArrayList<>();
    command.add(Path.of(System.getProperty("java.home"), "bin", "keytool").toString());
    command.addAll(List.of(args));
    Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    if (!p.waitFor(60, TimeUnit.SECONDS) || p.exitValue() != 0) {
      throw new IOException("keytool " + args[0] + " failed: " + out);
    }
  }

  private void handle(HttpExchange exchange) throws IOException {
    try (exchange) {
      String query = exchange.getRequestURI().getQuery();
      String path = exchange.getRequestURI().getRawPath() + (query == null ? "" : "?" + query);
      asked.add(path);
      String auth = exchange.getRequestHeaders().getFirst("Authorization");
      String body;
      int code;
      if (!("Bearer " + TOKEN).equals(auth)) {
        code = 401;
        body = "{\"kind\":\"Status\",\"code\":401,\"message\":\"Unauthorized\"}";
      } else if (status != 200) {
        code = status;
        body = "{\"kind\":\"Status\",\"code\":" + status + "}";
      } else if (objects.containsKey(path)) {
        code = 200;
        body = objects.get(path);
      } else {
        code = 404;
        body = "{\"kind\":\"Status\",\"code\":404,\"reason\":\"NotFound\"}";
      }
      byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
      exchange.getResponseHeaders().set("Content-Type", "application/json");
      exchange.sendResponseHeaders(code, bytes.length);
      exchange.getResponseBody().write(bytes);
    }
  }

  /**
   * Serve {@code json} at {@code path} (e.g. {@code /api/v1/nodes/worker-1}), with its query decoded when
   * it has one ({@code /api/v1/namespaces/NS/pods?labelSelector=app=junction}): a request with another
   * query is not found.
   */
  public KubernetesApiMock serve(String path, String json) {
    objects.put(path, json);
    return this;
  }

  /** Answer every authorized request with {@code code} (200: serve again). */
  public void answerAll(int code) {
    status = code;
  }

  /** The paths asked for so far, each with its decoded query. */
  public List<String> asked() {
    return List.copyOf(asked);
  }

  public Path account() {
    return account;
  }

  /** The environment a pod sees for this API server. */
  public Map<String, String> env() {
    return Map.of("KUBERNETES_SERVICE_HOST", "127.0.0.1",
        "KUBERNETES_SERVICE_PORT", String.valueOf(server.getAddress().getPort()));
  }

  @Override
  public void close() {
    server.stop(0);
  }
}
