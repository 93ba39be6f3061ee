package dev.junction.node;

import dev.junction.client.JunctionClient;
import dev.junction.client.JunctionException;
import dev.junction.client.proto.RangeInfo;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.List;

/**
 * Whether a cluster serves (for {@code junction local} and tests): every node's management endpoint says
 * {@code /ready} (an Up member with the routing table, every replica the table places on it serving
 * there), and every range of the table has a full chain.
 */
public final class Readiness {
  private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();

  private Readiness() {}

  /**
   * Every one of {@code managementUrls} ({@code http://host:port}) answers {@code /ready} with 200, and
   * the table the first of {@code endpoints} (gRPC) serves gives every range at least {@code rf} replicas.
   */
  public static boolean ready(List<String> managementUrls, List<String> endpoints, int rf) {
    for (String url : managementUrls) {
      if (whyNot(url) != null) {
        return false;
      }
    }
    try (JunctionClient client =
        JunctionClient.builder().endpoints(endpoints.get(0)).routing(false).deadline(Duration.ofSeconds(5)).build()) {
      for (RangeInfo r : client.routingTable().getRangesList()) {
        if (r.getChainCount() < rf) {
          return false;
        }
      }
    } catch (JunctionException e) {
      return false;
    }
    return true;
  }

  /** Null when {@code managementUrl}'s {@code /ready} answers 200; else what it (or the connection) said. */
  public static String whyNot(String managementUrl) {
    HttpRequest request = HttpRequest.newBuilder(URI.create(managementUrl + "/ready"))
        .timeout(Duration.ofSeconds(5)).GET().build();
    try {
      HttpResponse<String> r = HTTP.send(request, HttpResponse.BodyHandlers.ofString());
      return r.statusCode() == 200 ? null : r.statusCode() + " " + r.body().strip();
    } catch (IOException e) {
      return e.toString();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return "interrupted";
    }
  }
}
