package dev.junction.client;

/**
 * A {@code host:port} endpoint ({@code [v6-address]:port} for IPv6 literals).
 *
 * @param host the host name or address
 * @param port the TCP port, 1 to 65535
 */
record Endpoint(String host, int port) {
  /**
   * Parses {@code host:port}.
   *
   * @throws IllegalArgumentException if the text is not {@code host:port} with a port in 1..65535
   */
  static Endpoint parse(String text) {
    String s = text.trim();
    int colon = s.lastIndexOf(':');
    if (colon <= 0 || colon == s.length() - 1) {
      throw invalid(text);
    }
    String host = s.substring(0, colon);
    if (host.startsWith("[") && host.endsWith("]")) {
      host = host.substring(1, host.length() - 1);
    } else if (host.contains(":")) {
      throw invalid(text);
    }
    return new Endpoint(requireHost(host, text), parsePort(s.substring(colon + 1), text));
  }

  private static String requireHost(String host, String text) {
    if (host.isBlank()) {
      throw invalid(text);
    }
    return host;
  }

  private static int parsePort(String port, String text) {
    try {
      int p = Integer.parseInt(port);
      if (p >= 1 && p <= 65535) {
        return p;
      }
    } catch (NumberFormatException e) {
      // falls through to the error below
    }
    throw invalid(text);
  }

  private static IllegalArgumentException invalid(String text) {
    return new IllegalArgumentException("endpoint '" + text + "' is not HOST:PORT (port 1-65535)");
  }

  @Override
  public String toString() {
    return (host.contains(":") ? "[" + host + "]" : host) + ":" + port;
  }
}
