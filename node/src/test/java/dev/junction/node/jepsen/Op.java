package dev.junction.node.jepsen;

/**
 * One operation of a recorded history, on one key of a register. Values are strings; {@code null} means
 * the key is absent.
 *
 * @param process the client that issued it (a client issues one operation at a time)
 * @param kind what it did
 * @param key the register
 * @param value written value ({@link Kind#WRITE}), new value ({@link Kind#CAS}) or value read
 *     ({@link Kind#READ}, known only when the outcome is {@link Outcome#OK})
 * @param expected the value a compare-and-set expected ({@code null}: absent)
 * @param applied for an OK compare-and-set: whether it applied
 * @param invoke when the client sent it (any monotonic clock shared by all clients)
 * @param complete when the answer arrived; ignored for {@link Outcome#UNKNOWN}
 * @param outcome what the client learned
 */
public record Op(
    int process,
    Kind kind,
    String key,
    String value,
    String expected,
    boolean applied,
    long invoke,
    long complete,
    Outcome outcome) {

  /** Operation kinds of the register model. */
  public enum Kind {
    READ,
    WRITE,
    DELETE,
    CAS
  }

  /** What the client learned. */
  public enum Outcome {
    /** Answered: it took effect (as answered). */
    OK,
    /** Refused: it certainly did not take effect. */
    FAIL,
    /** No answer (timeout, connection lost): it may or may not have taken effect. */
    UNKNOWN
  }

  public static Op read(int p, String key, String got, long invoke, long complete) {
    return new Op(p, Kind.READ, key, got, null, false, invoke, complete, Outcome.OK);
  }

  public static Op write(int p, String key, String value, long invoke, long complete, Outcome outcome) {
    return new Op(p, Kind.WRITE, key, value, null, false, invoke, complete, outcome);
  }

  public static Op delete(int p, String key, long invoke, long complete, Outcome outcome) {
    return new Op(p, Kind.DELETE, key, null, null, false, invoke, complete, outcome);
  }

  public static Op cas(
      int p, String key, String expected, String value, boolean applied, long invoke, long complete, Outcome outcome) {
    return new Op(p, Kind.CAS, key, value, expected, applied, invoke, complete, outcome);
  }
}
