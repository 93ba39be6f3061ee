package dev.junction.client;

import com.google.protobuf.CodedInputStream;
import com.google.protobuf.CodedOutputStream;
import com.google.protobuf.MessageLite;
import com.google.protobuf.Parser;
import io.grpc.Deadline;
import io.grpc.Metadata;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import java.io.BufferedInputStream;
import java.io.DataInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.OutputStream;
import java.net.ConnectException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.channels.ClosedByInterruptException;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.ConcurrentLinkedDeque;
import java.util.concurrent.TimeUnit;

/**
 * One node's native endpoint ({@link NativeProtocol}) and the client's idle connections to it
 * (package-private). A call takes an idle connection (or opens one), writes its request and reads the
 * answer on the caller's thread, and puts the connection back; so a client holds as many connections to
 * a node as it ever made calls to it at once. A connection that failed or timed out is closed, never
 * reused.
 *
 * <p>Failures are reported as gRPC's would be, so the client handles both alike: a connection refused
 * (or a hello not answered as {@link NativeProtocol} says) is {@code UNAVAILABLE} caused by a {@link
 * ConnectException} (the request never left: certainly not applied); a connection lost during a call is
 * {@code UNAVAILABLE} (the outcome unknown); no answer by the deadline is {@code DEADLINE_EXCEEDED}; a
 * node's own status comes back as that status, with gRPC's not-applied trailer where its flag says so.
 */
final class NativeEndpoint implements AutoCloseable {
  /** Longest wait for a connection to open, within the call's deadline. */
  private static final int CONNECT_TIMEOUT_MILLIS = 2_000;

  private final String name;
  private final InetSocketAddress address;
  private final ConcurrentLinkedDeque<Connection> idle = new ConcurrentLinkedDeque<>();
  private volatile boolean closed;

  NativeEndpoint(String endpoint) {
    Endpoint e = Endpoint.parse(endpoint);
    this.name = e.toString();
    this.address = InetSocketAddress.createUnresolved(e.host(), e.port());
  }

  String name() {
    return name;
  }

  /**
   * Calls {@code method} with {@code request}, answering the response {@code parser} reads.
   *
   * @throws StatusRuntimeException as described in the class comment
   */
  <R> R call(byte method, MessageLite request, Parser<R> parser, Deadline deadline) {
    long left = deadline.timeRemaining(TimeUnit.MILLISECONDS);
    if (left <= 0) {
      throw Status.DEADLINE_EXCEEDED.withDescription("deadline passed before the call to " + name).asRuntimeException();
    }
    Connection c = idle.pollFirst();
    if (c == null) {
      c = open(left);
    }
    boolean reusable = false;
    try {
      R r = c.call(method, request, parser, deadline);
      reusable = true;
      return r;
    } catch (StatusRuntimeException e) {
      reusable = true; // the node answered with a status: the connection is in step
      throw e;
    } catch (ClosedByInterruptException e) {
      throw Status.CANCELLED.withDescription("interrupted during the call to " + name).withCause(e).asRuntimeException();
    } catch (SocketTimeoutException e) {
      throw Status.DEADLINE_EXCEEDED.withDescription("no answer from " + name + " by the deadline").withCause(e)
          .asRuntimeException();
    } catch (IOException e) {
      throw Status.UNAVAILABLE.withDescription("connection to " + name + " lost: " + describe(e)).withCause(e)
          .asRuntimeException();
    } finally {
      if (reusable && !closed) {
        idle.offerFirst(c);
        if (closed && idle.remove(c)) {
          c.close();
        }
      } else {
        c.close();
      }
    }
  }

  private Connection open(long leftMillis) {
    // A channel's socket, not a plain one: its blocking reads honour SO_TIMEOUT and end when the thread is
    // interrupted (a plain socket's read would wait for the deadline).
    Socket socket;
    try {
      socket = SocketChannel.open().socket();
    } catch (IOException e) {
      throw Status.UNAVAILABLE.withDescription("cannot open a socket: " + e.getMessage()).withCause(e).asRuntimeException();
    }
    try {
      socket.setTcpNoDelay(true);
      socket.setKeepAlive(true);
      java.net.InetSocketAddress resolved = new InetSocketAddress(address.getHostString(), address.getPort());
      if (resolved.isUnresolved()) {
        throw new ConnectException("cannot resolve " + address.getHostString());
      }
      int timeout = (int) Math.max(1, Math.min(leftMillis, CONNECT_TIMEOUT_MILLIS));
      socket.connect(resolved, timeout);
      Connection c = new Connection(socket);
      c.hello(timeout);
      return c;
    } catch (ClosedByInterruptException e) {
      closeQuietly(socket);
      throw Status.CANCELLED.withDescription("interrupted while connecting to " + name).withCause(e).asRuntimeException();
    } catch (IOException e) {
      closeQuietly(socket);
      ConnectException refused = e instanceof ConnectException ce ? ce
          : (ConnectException) new ConnectException("cannot connect to " + name + ": " + e).initCause(e);
      throw Status.UNAVAILABLE.withDescription("cannot connect to " + name + ": " + e.getMessage()).withCause(refused)
          .asRuntimeException();
    }
  }

  /** Closes the idle connections, and every connection in use as its call ends. */
  @Override
  public void close() {
    closed = true;
    for (Connection c; (c = idle.pollFirst()) != null; ) {
      c.close();
    }
  }

  /** Idle connections (for tests). */
  int idleConnections() {
    return idle.size();
  }

  private static void closeQuietly(Socket socket) {
    try {
      socket.close();
    } catch (IOException ignored) {
      // closing anyway
    }
  }

  /** One connection, used by one call at a time. */
  private static final class Connection {
    private static final int HEADER = 4 + NativeProtocol.REQUEST_HEADER_BYTES;

    private final Socket socket;
    private final OutputStream out;
    private final DataInputStream in;
    private byte[] sendBuffer = new byte[2048];
    private byte[] receiveBuffer = new byte[2048];
    private int lastCall;

    Connection(Socket socket) throws IOException {
      this.socket = socket;
      this.out = socket.getOutputStream();
      this.in = new DataInputStream(new BufferedInputStream(socket.getInputStream(), 16 << 10));
    }

    void hello(int timeoutMillis) throws IOException {
      byte[] hello = new byte[4 + NativeProtocol.HELLO_BYTES];
      java.nio.ByteBuffer.wrap(hello).putInt(NativeProtocol.HELLO_BYTES).putInt(NativeProtocol.MAGIC)
          .putInt(NativeProtocol.VERSION);
      out.write(hello);
      socket.setSoTimeout(timeoutMillis);
      if (in.readInt() != NativeProtocol.HELLO_BYTES || in.readInt() != NativeProtocol.MAGIC
          || in.readInt() != NativeProtocol.VERSION) {
        throw new ConnectException("not a Junction native endpoint (version " + NativeProtocol.VERSION + ")");
      }
    }

    <R> R call(byte method, MessageLite request, Parser<R> parser, Deadline deadline) throws IOException {
      int size = request.getSerializedSize();
      if (size > NativeProtocol.MAX_FRAME_BYTES - NativeProtocol.REQUEST_HEADER_BYTES) {
        throw Status.INVALID_ARGUMENT.withDescription("request of " + size + " bytes is too large").asRuntimeException();
      }
      if (sendBuffer.length < HEADER + size) {
        sendBuffer = new byte[HEADER + size];
      }
      int call = ++lastCall;
      long left = Math.max(1, deadline.timeRemaining(TimeUnit.MILLISECONDS));
      byte[] b = sendBuffer;
      putInt(b, 0, NativeProtocol.REQUEST_HEADER_BYTES + size);
      putInt(b, 4, call);
      b[8] = method;
      putInt(b, 9, (int) Math.min(left, Integer.MAX_VALUE));
      CodedOutputStream body = CodedOutputStream.newInstance(b, HEADER, size);
      request.writeTo(body);
      body.checkNoSpaceLeft();
      out.write(b, 0, HEADER + size);
      socket.setSoTimeout((int) Math.min(left, Integer.MAX_VALUE));
      int length = in.readInt();
      if (length < NativeProtocol.RESPONSE_HEADER_BYTES || length > NativeProtocol.MAX_FRAME_BYTES) {
        throw new IOException("bad frame length " + length);
      }
      int answered = in.readInt();
      if (answered != call) {
        throw new IOException("answer to call " + answered + " while waiting for call " + call);
      }
      int status = in.readUnsignedByte();
      int flags = in.readUnsignedByte();
      int n = length - NativeProtocol.RESPONSE_HEADER_BYTES;
      if (receiveBuffer.length < n) {
        receiveBuffer = new byte[Math.max(n, receiveBuffer.length * 2)];
      }
      in.readFully(receiveBuffer, 0, n);
      if (status != 0) {
        Status s = Status.fromCodeValue(status).withDescription(new String(receiveBuffer, 0, n, StandardCharsets.UTF_8));
        if ((flags & NativeProtocol.NOT_APPLIED) != 0) {
          Metadata trailers = new Metadata();
          trailers.put(Failover.NOT_APPLIED, "true");
          throw s.asRuntimeException(trailers);
        }
        throw s.asRuntimeException();
      }
      // Not aliased: the parsed message copies its bytes out of the buffer the next call reuses.
      return parser.parseFrom(CodedInputStream.newInstance(receiveBuffer, 0, n));
    }

    private static void putInt(byte[] b, int at, int v) {
      b[at] = (byte) (v >>> 24);
      b[at + 1] = (byte) (v >>> 16);
      b[at + 2] = (byte) (v >>> 8);
      b[at + 3] = (byte) v;
    }

    void close() {
      closeQuietly(socket);
    }
  }

  @Override
  public String toString() {
    return "native " + name;
  }

  /** For messages: the reason an end of stream gives no text. */
  static String describe(IOException e) {
    return e instanceof EOFException ? "closed by the node" : e.getMessage();
  }
}
