package dev.junction.node;

import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;

/** Free loopback ports for process-level tests. */
public final class TestPorts {
  private TestPorts() {}

  /** A base port with {@code count} free loopback ports from it, below Linux's ephemeral range. */
  public static int freeLoopbackPorts(int count, Random random) throws IOException {
    for (int attempt = 0; attempt < 100; attempt++) {
      int base = 20_000 + random.nextInt(12_000);
      List<ServerSocket> held = new ArrayList<>();
      try {
        for (int i = 0; i < count; i++) {
          held.add(new ServerSocket(base + i, 1, InetAddress.getLoopbackAddress()));
        }
        return base;
      } catch (IOException busy) {
        // try another base
      } finally {
        for (ServerSocket s : held) {
          s.close();
        }
      }
    }
    throw new IOException("no free port range");
  }

  /**
   * {@code blocks} bases of {@code count} free loopback ports each, all in one range checked at once, so
   * that no two blocks overlap (three separate {@link #freeLoopbackPorts} calls may return overlapping
   * ranges, since each releases its ports before the next looks: a node then fails to bind).
   */
  public static int[] freeLoopbackPortBlocks(int blocks, int count, Random random) throws IOException {
    int base = freeLoopbackPorts(blocks * count, random);
    int[] bases = new int[blocks];
    for (int b = 0; b < blocks; b++) {
      bases[b] = base + b * count;
    }
    return bases;
  }
}
