package dev.junction.sharding.placement;

/** A change of placement the planner proposes, with the reason it gives. */
public sealed interface Move {
  long rangeId();

  String reason();

  /** The nodes a move occupies while it runs (for the limit per node). */
  java.util.List<String> nodes();

  /** The kind of move as metrics and listings name it. */
  static String kind(Move m) {
    if (m instanceof ReplicaMove) {
      return "replica_move";
    }
    if (m instanceof HeadMove) {
      return "head_move";
    }
    if (m instanceof RemoveReplica) {
      return "remove_replica";
    }
    return m instanceof SplitRange ? "split" : "merge";
  }

  /** Every kind {@link #kind} names, in that order. */
  java.util.List<String> KINDS = java.util.List.of("replica_move", "head_move", "remove_replica", "split", "merge");

  /** Copy the range's replica on {@code from} to {@code to}, join it at the tail, then remove the one on {@code from}. */
  record ReplicaMove(long rangeId, String from, String to, String reason) implements Move {
    @Override
    public java.util.List<String> nodes() {
      return java.util.List.of(from, to);
    }
  }

  /** Make the range's replica on {@code to} (already in its chain) the head, instead of the one on {@code from}. */
  record HeadMove(long rangeId, String from, String to, String reason) implements Move {
    @Override
    public java.util.List<String> nodes() {
      return java.util.List.of(from, to);
    }
  }

  /**
   * Take the range's replica on {@code from} out of its chain (once its read lease ran out): the chain is
   * longer than the replication factor (a controller stopped in the middle of a move).
   */
  record RemoveReplica(long rangeId, String from, String reason) implements Move {
    @Override
    public java.util.List<String> nodes() {
      return java.util.List.of(from);
    }
  }

  /** Copy the range to {@code to} and join it at the tail: its chain is shorter than the replication factor. */
  record AddReplica(long rangeId, String to, String reason) implements Move {
    @Override
    public java.util.List<String> nodes() {
      return java.util.List.of(to);
    }
  }

  /**
   * Split the range at {@code at} (strictly inside it) into ranges {@code leftId} ({@code [start, at)})
   * and {@code rightId} ({@code [at, end)}), both on the range's chain; nothing is copied. Ids of 0 are
   * handed out when the operator starts ({@link MoveBook#start}).
   */
  record SplitRange(long rangeId, byte[] at, long leftId, long rightId, String reason) implements Move {
    public SplitRange {
      if (at == null || at.length == 0) {
        throw new IllegalArgumentException("a split point is a non-empty key");
      }
      at = at.clone();
    }

    /** A split with its new range ids. */
    public SplitRange withIds(long left, long right) {
      return new SplitRange(rangeId, at, left, right, reason);
    }

    /** A split occupies no node's move budget: nothing is copied. */
    @Override
    public java.util.List<String> nodes() {
      return java.util.List.of();
    }

    @Override
    public byte[] at() {
      return at.clone();
    }

    @Override
    public boolean equals(Object o) {
      return o instanceof SplitRange s && rangeId == s.rangeId && java.util.Arrays.equals(at, s.at)
          && leftId == s.leftId && rightId == s.rightId && reason.equals(s.reason);
    }

    @Override
    public int hashCode() {
      return Long.hashCode(rangeId) * 31 + java.util.Arrays.hashCode(at);
    }

    @Override
    public String toString() {
      return "SplitRange[range " + rangeId + " at '" + dev.junction.store.Keys.printable(at) + "' into " + leftId
          + " and " + rightId + ": " + reason + "]";
    }
  }

  /**
   * Merge the range with the range after it ({@code rightId}) into range {@code mergedId}: {@code [start,
   * right's end)} on the left range's chain (both chains must use the same nodes); nothing is copied. The
   * left range is sealed first; {@code leftSeq} is its last sequence number once it is (0 before). A
   * merged id of 0 is handed out when the operator starts ({@link MoveBook#start}).
   */
  record MergeRanges(long rangeId, long rightId, long mergedId, long leftSeq, String reason) implements Move {
    /** A merge occupies no node's move budget: nothing is copied. */
    @Override
    public java.util.List<String> nodes() {
      return java.util.List.of();
    }

    MergeRanges withMergedId(long id) {
      return new MergeRanges(rangeId, rightId, id, leftSeq, reason);
    }

    MergeRanges withLeftSeq(long seq) {
      return new MergeRanges(rangeId, rightId, mergedId, seq, reason);
    }
  }

  /** Whether {@code m} involves range {@code rangeId} (its own range, or the right range of a merge). */
  static boolean involves(Move m, long rangeId) {
    return m.rangeId() == rangeId || m instanceof MergeRanges merge && merge.rightId() == rangeId;
  }
}
