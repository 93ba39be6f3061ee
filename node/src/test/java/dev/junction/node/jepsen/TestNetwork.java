package dev.junction.node.jepsen;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.TimeUnit;

/**
 * Where the nodes of a {@link NodeCluster} live on the network: all on loopback, or each in a network
 * namespace of its own that this class creates ({@code ip netns}, veth pairs on a bridge in a switch
 * namespace, one more veth pair from the test's own namespace so that clients reach the nodes). Only in
 * namespaces can one node be cut off from the others ({@link #isolate}, with blackhole routes, which
 * needs nothing beyond iproute2) while clients still reach it.
 */
abstract class TestNetwork implements AutoCloseable {
  /** The address node {@code i} binds and announces. */
  abstract String host(int i);

  /** What runs node {@code i}'s command (empty: run it directly). */
  abstract List<String> prefix(int i);

  /** Cuts node {@code i} off from the other nodes; clients still reach it. */
  abstract void isolate(int i, int nodes) throws Exception;

  /** Undoes {@link #isolate}. */
  abstract void heal(int i, int nodes) throws Exception;

  @Override
  public abstract void close();

  static TestNetwork loopback() {
    return new TestNetwork() {
      @Override
      String host(int i) {
        return "127.0.0.1";
      }

      @Override
      List<String> prefix(int i) {
        return List.of();
      }

      @Override
      void isolate(int i, int nodes) {
        throw new UnsupportedOperationException("loopback nodes cannot be partitioned");
      }

      @Override
      void heal(int i, int nodes) {
        throw new UnsupportedOperationException("loopback nodes cannot be partitioned");
      }

      @Override
      public void close() {}
    };
  }

  /**
   * Namespaces for {@code nodes} nodes, or null with the reason in {@code why[0]} when this machine does
   * not allow creating them (not root, no {@code ip}, no namespace support).
   */
  static TestNetwork namespaces(int nodes, String[] why) {
    Namespaces n = new Namespaces(nodes);
    try {
      n.create();
      return n;
    } catch (Exception e) {
      why[0] = e.getMessage();
      n.close();
      return null;
    }
  }

  private static final class Namespaces extends TestNetwork {
    private final int nodes;
    private final String id;
    private final String subnet;
    private final List<String> created = new ArrayList<>();

    Namespaces(int nodes) {
      this.nodes = nodes;
      Random r = new Random();
      this.id = "jn" + Integer.toHexString(0x1000 + r.nextInt(0xefff));
      this.subnet = "10." + (200 + r.nextInt(50)) + "." + r.nextInt(250);
    }

    private String sw() {
      return id + "s";
    }

    private String ns(int i) {
      return id + "n" + i;
    }

    private String ip(int i) {
      return subnet + "." + (i + 1);
    }

    @Override
    String host(int i) {
      return ip(i);
    }

    @Override
    List<String> prefix(int i) {
      return List.of("ip", "netns", "exec", ns(i));
    }

    void create() throws Exception {
      run("ip", "netns", "add", sw());
      created.add(sw());
      inNs(sw(), "ip", "link", "add", "br0", "type", "bridge");
      inNs(sw(), "ip", "link", "set", "br0", "up");
      for (int i = 0; i < nodes; i++) {
        run("ip", "netns", "add", ns(i));
        created.add(ns(i));
        String a = id + "v" + i;
        String b = id + "v" + i + "b";
        run("ip", "link", "add", a, "type", "veth", "peer", "name", b);
        run("ip", "link", "set", a, "netns", ns(i));
        run("ip", "link", "set", b, "netns", sw());
        inNs(sw(), "ip", "link", "set", b, "master", "br0", "up");
        inNs(ns(i), "ip", "addr", "add", ip(i) + "/24", "dev", a);
        inNs(ns(i), "ip", "link", "set", a, "up");
        inNs(ns(i), "ip", "link", "set", "lo", "up");
      }
      // The test's own end: clients in this namespace reach the nodes through the switch.
      String a = id + "r";
      String b = id + "rb";
      run("ip", "link", "add", a, "type", "veth", "peer", "name", b);
      run("ip", "link", "set", b, "netns", sw());
      inNs(sw(), "ip", "link", "set", b, "master", "br0", "up");
      run("ip", "addr", "add", subnet + ".100/24", "dev", a);
      run("ip", "link", "set", a, "up");
    }

    @Override
    void isolate(int k, int n) throws Exception {
      blackholes("add", k, n);
    }

    @Override
    void heal(int k, int n) throws Exception {
      blackholes("del", k, n);
    }

    /** Adds or deletes blackhole routes between node {@code k} and every other node, both ways. */
    private void blackholes(String op, int k, int n) throws Exception {
      for (int j = 0; j < n; j++) {
        if (j != k) {
          inNs(ns(k), "ip", "route", op, "blackhole", ip(j) + "/32");
          inNs(ns(j), "ip", "route", op, "blackhole", ip(k) + "/32");
        }
      }
    }

    /** Deletes the namespaces (their interfaces go with them, the test's veth end included). */
    @Override
    public void close() {
      for (String ns : created) {
        try {
          run("ip", "netns", "del", ns);
        } catch (Exception e) {
          System.err.println("could not delete network namespace " + ns + ": " + e.getMessage());
        }
      }
      created.clear();
    }

    private static void inNs(String ns, String... cmd) throws Exception {
      List<String> full = new ArrayList<>(List.of("ip", "netns", "exec", ns));
      full.addAll(List.of(cmd));
      run(full.toArray(new String[0]));
    }

    private static void run(String... cmd) throws IOException, InterruptedException {
      Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
      String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).trim();
      if (!p.waitFor(30, TimeUnit.SECONDS) || p.exitValue() != 0) {
        throw new IOException(String.join(" ", cmd) + " failed: " + out);
      }
    }
  }
}
