package dev.junction.chain.core;

/**
 * One member of a chain: its slot (a replica id that is never reused within a range, so an old replica
 * and its replacement cannot be mistaken for each other) and the node that hosts it (a Pekko address
 * string; the protocol core never uses it, the routing table does).
 */
public record Replica(int slot, String node) {
  public Replica {
    if (slot < 0) {
      throw new IllegalArgumentException("slot must not be negative: " + slot);
    }
    if (node == null || node.isEmpty()) {
      throw new IllegalArgumentException("replica " + slot + " has no node");
    }
  }
}
