package dev.junction.chain.core;

/** What the core answers a client request with, besides a read the shell serves. */
public sealed interface ClientReply {
  /** The write committed. */
  record Done(WriteResult result) implements ClientReply {}

  /**
   * An answer no log entry carries (a compare-and-set that did not apply, and the committed value it
   * saw). Like a read, it holds only while the replica holds its read lease: the shell delivers it as
   * {@code result} if {@link ReadView#checkOwn} lets it at that moment, else as that refusal.
   */
  record Observed(WriteResult result) implements ClientReply {}

  /**
   * The request reached a replica that cannot serve it: the request's epoch is not the replica's, or the
   * replica does not hold the role (head for writes, tail for reads). {@code epoch} is the replica's
   * epoch, so the router can tell whether its table is older.
   */
  record Rejected(Reason reason, long epoch) implements ClientReply {}

  /** Why a request was rejected. */
  enum Reason {
    WRONG_EPOCH,
    NOT_HEAD,
    NOT_TAIL,
    NOT_IN_CHAIN,
    /** The tail holds no read lease now (it lost touch with the controller, or just became tail). */
    NO_LEASE,
    /** The tail has not yet caught up with what its predecessor committed (it just joined or restarted). */
    CATCHING_UP,
    /** The range was split: it takes no more writes, the new ranges do once the routing table names them. */
    SEALED
  }
}
