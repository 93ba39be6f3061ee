package dev.junction.client;

/**
 * The native protocol's wire format, shared by the Java client and the node: the single-key calls of
 * {@code junction.v1.Kv} ({@code Get}, {@code Put}, {@code Delete}, {@code CompareAndSet}) as the same
 * protobuf messages, each in a length-prefixed frame over plain TCP. The client keeps idle connections
 * to each node; a call takes one, writes its frame and reads the answer on the caller's thread, so a
 * connection carries one call at a time.
 *
 * <p>Why beside gRPC: a fresh client JVM spends its first seconds compiling gRPC's and Netty's HTTP/2
 * code (about three quarters of 10 s of JIT work in a 12-s YCSB run on a 2-core machine), and every call
 * pays for HTTP/2 framing, header compression and two thread hand-offs. A blocking socket and a frame
 * cost a fraction of that. Scans, the asynchronous calls and {@code Admin} stay on gRPC.
 *
 * <p>Every integer is big-endian. Every frame starts with its length: the bytes that follow the length.
 *
 * <pre>
 * hello    (client, once)  int 8 | int MAGIC | int VERSION       (the node answers the same 12 bytes)
 * request                  int n | int call | byte method | int timeout_millis | message
 * response                 int n | int call | byte status | byte flags | message, or the UTF-8 description
 * </pre>
 *
 * <p>{@code call} is the client's number for the call (the answer carries it back); {@code method} one of
 * {@link #GET}, {@link #PUT}, {@link #DELETE}, {@link #COMPARE_AND_SET}; {@code timeout_millis} what is
 * left of the client's deadline (0: none; the node's request timeout caps it); {@code status} a gRPC
 * status code ({@code 0}, OK: the response message follows; otherwise its description follows); {@code
 * flags} bit 0: {@link #NOT_APPLIED}, the node passed the request to no replica (gRPC's {@code
 * junction-not-applied} trailer). A node closes a connection whose first frame is not the hello, or that
 * sends a frame longer than {@link #MAX_FRAME_BYTES}.
 */
public final class NativeProtocol {
  /** "JNKV". */
  public static final int MAGIC = 0x4A4E4B56;
  public static final int VERSION = 1;
  /** Bytes of the hello frame after its length. */
  public static final int HELLO_BYTES = 8;

  public static final byte GET = 1;
  public static final byte PUT = 2;
  public static final byte DELETE = 3;
  public static final byte COMPARE_AND_SET = 4;

  /** Response flag: the node passed the request to no replica, so it was certainly not applied. */
  public static final int NOT_APPLIED = 1;

  /** Bytes of a request frame's header after its length: call, method, timeout. */
  public static final int REQUEST_HEADER_BYTES = 9;
  /** Bytes of a response frame's header after its length: call, status, flags. */
  public static final int RESPONSE_HEADER_BYTES = 6;
  /**
   * The longest frame either side accepts (after its length): a compare-and-set of two 1 MiB values (the
   * largest value a node accepts by default) and a 4 KiB key, with room to spare.
   */
  public static final int MAX_FRAME_BYTES = 4 << 20;

  private NativeProtocol() {}

  /** The method's name in {@code junction.v1.Kv} (metrics, messages). */
  public static String methodName(byte method) {
    return switch (method) {
      case GET -> "Get";
      case PUT -> "Put";
      case DELETE -> "Delete";
      case COMPARE_AND_SET -> "CompareAndSet";
      default -> "method " + method;
    };
  }
}
