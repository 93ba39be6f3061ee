package dev.junction.chain.core;

/** Names one replica of one range; its entity id in Cluster Sharding is {@code <rangeId>.<slot>}. */
public record ReplicaId(long rangeId, int slot) {
  public String entityId() {
    return rangeId + "." + slot;
  }

  /** Parses an entity id {@code <rangeId>.<slot>}. */
  public static ReplicaId parse(String entityId) {
    int dot = entityId.indexOf('.');
    if (dot <= 0 || dot == entityId.length() - 1) {
      throw new IllegalArgumentException("not a replica entity id: " + entityId);
    }
    try {
      return new ReplicaId(
          Long.parseLong(entityId.substring(0, dot)), Integer.parseInt(entityId.substring(dot + 1)));
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException("not a replica entity id: " + entityId, e);
    }
  }

  @Override
  public String toString() {
    return entityId();
  }
}
