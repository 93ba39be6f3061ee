package dev.junction.chain.replica;

import dev.junction.chain.serialization.ChainBatchSerializer;
import java.io.EOFException;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.StandardSocketOptions;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.util.ArrayDeque;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The chain traffic between nodes over plain TCP: one connection from each node to each other node, on
 * the receiver's bulk port ({@link #MAGIC} tells it from a state transfer). A replica writes its messages
 * straight into the connection from its own thread ({@link ChainLink#sendDirect}; the {@link ChainLink}
 * writes what it carried before the connection was up), and the receiver's reading thread hands each
 * message to its replica's mailbox: per batch one wake-up on each side, where Artery's TCP transport
 * passes a message through its stream stages, the connection actor and the selector thread on both
 * sides (about 40% of a node's CPU on the write path, measured). Control of the cluster (membership,
 * sharding, leases, the table) stays on Artery.
 *
 * <p>What it guarantees is what the chain protocol needs and no more: batches on one connection arrive in
 * order; a broken connection loses what was in flight, as Artery does when an association is lost, and the
 * protocol's resends recover it. Order between a batch sent over Artery (while the connection was being
 * set up) and one sent over the wire is not kept; the protocol holds entries that arrive early until the
 * gap is filled, and its acknowledgements are cumulative.
 *
 * <p>Frames are {@code [length][batch]}, the batch in {@link ChainBatchSerializer}'s format. A write that
 * the socket does not take at once (the receiver is slow) is queued, in order, and written by the
 * connection's own thread; once more than {@link #MAX_QUEUED_BYTES} wait, the connection is given up
 * rather than growing without bound.
 */
public final class ChainWire implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(ChainWire.class);

  /** The first 4 bytes of a chain connection ("JCW1"). */
  public static final int MAGIC = 0x4a43_5731;

  /** The largest frame accepted (a batch is cut at about 1.5 MiB of keys and values). */
  static final int MAX_FRAME_BYTES = 16 << 20;

  /** Bytes queued for a slow receiver beyond which its connection is given up. */
  static final long MAX_QUEUED_BYTES = 64L << 20;

  private static final int CONNECT_TIMEOUT_MS = 3000;

  /** What one read of an incoming connection takes at most (a larger frame gets a buffer of its own size). */
  static final int READ_BUFFER_BYTES = 256 << 10;

  private final Consumer<List<ChainLink.Item>> deliver;
  private final Stats stats = new Stats();
  private final Map<String, Connection> connections = new ConcurrentHashMap<>();
  private final Set<SocketChannel> incoming = ConcurrentHashMap.newKeySet();
  private volatile boolean closed;

  /** A wire that hands the batches it receives to {@code deliver} (on the connection's thread). */
  public ChainWire(Consumer<List<ChainLink.Item>> deliver) {
    this.deliver = deliver;
  }

  /**
   * What the wire carried since it opened: frames and the messages in them each way, bytes, and the
   * reads that brought them in (one system call and one wake-up of a reading thread each). Messages per
   * frame says how much the link's batching saves; frames per read how much a read takes at once.
   */
  public static final class Stats {
    final LongAdder framesSent = new LongAdder();
    final LongAdder messagesSent = new LongAdder();
    final LongAdder bytesSent = new LongAdder();
    final LongAdder reads = new LongAdder();
    final LongAdder framesReceived = new LongAdder();
    final LongAdder messagesReceived = new LongAdder();
    final LongAdder bytesReceived = new LongAdder();

    public long framesSent() {
      return framesSent.sum();
    }

    public long messagesSent() {
      return messagesSent.sum();
    }

    public long bytesSent() {
      return bytesSent.sum();
    }

    public long reads() {
      return reads.sum();
    }

    public long framesReceived() {
      return framesReceived.sum();
    }

    public long messagesReceived() {
      return messagesReceived.sum();
    }

    public long bytesReceived() {
      return bytesReceived.sum();
    }
  }

  /** The wire's counters (see {@link Stats}). */
  public Stats stats() {
    return stats;
  }

  // ------------------------------------------------------------------------------------------ receiving

  /** Reads the batches of one incoming connection (after its magic) until it closes; on its own thread. */
  public void serve(SocketChannel channel) {
    String peer = String.valueOf(channel.socket().getRemoteSocketAddress());
    incoming.add(channel);
    try (channel) {
      if (closed) {
        return;
      }
      channel.setOption(StandardSocketOptions.TCP_NODELAY, true);
      ByteBuffer in = ByteBuffer.allocate(READ_BUFFER_BYTES);
      Consumer<List<ChainLink.Item>> counted = items -> {
        stats.framesReceived.increment();
        stats.messagesReceived.add(items.size());
        deliver.accept(items);
      };
      while (!closed) {
        int n = channel.read(in);
        if (n < 0) {
          throw new EOFException();
        }
        stats.reads.increment();
        stats.bytesReceived.add(n);
        in = deliverFrames(in.flip(), counted);
      }
    } catch (EOFException e) {
      log.debug("chain connection from {} closed", peer);
    } catch (IOException | RuntimeException e) {
      if (!closed) {
        log.info("chain connection from {} ends: {}", peer, e.toString());
      }
    } finally {
      incoming.remove(channel);
    }
  }

  /**
   * Hands every whole frame in {@code in} (read mode) to {@code deliver} and returns the buffer to read
   * into next (write mode), holding the start of an unfinished frame: the same one, or a larger one when
   * that frame does not fit. One read takes whatever the socket holds, so a read costs one system call
   * whatever the number of frames in it (it was two per frame: the length, then the frame).
   */
  static ByteBuffer deliverFrames(ByteBuffer in, Consumer<List<ChainLink.Item>> deliver) throws IOException {
    while (in.remaining() >= 4) {
      int length = in.getInt(in.position());
      if (length <= 0 || length > MAX_FRAME_BYTES) {
        throw new IOException("chain frame of " + length + " bytes");
      }
      if (in.remaining() < 4 + length) {
        if (4 + length > in.capacity()) {
          ByteBuffer larger = ByteBuffer.allocate(Math.max(4 + length, in.capacity() * 2));
          return larger.put(in);
        }
        break;
      }
      deliver.accept(ChainBatchSerializer.decode(in.array(), in.arrayOffset() + in.position() + 4, length));
      in.position(in.position() + 4 + length);
    }
    return in.compact();
  }

  // ------------------------------------------------------------------------------------------ sending

  /**
   * Starts connecting to {@code node}'s chain port at {@code address} in the background, unless a
   * connection to that address exists or is being set up. {@link #send} uses it once it is up.
   */
  public void connect(String node, InetSocketAddress address) {
    if (closed) {
      return;
    }
    connections.compute(node, (n, existing) -> {
      if (existing != null && !existing.broken && existing.address.equals(address)) {
        return existing;
      }
      if (existing != null) {
        existing.giveUp("replaced by a connection to " + address);
      }
      Connection c = new Connection(n, address);
      c.thread.start();
      return c;
    });
  }

  /** Whether a connection to {@code node} is up (batches to it go over the wire). */
  public boolean connected(String node) {
    Connection c = connections.get(node);
    return c != null && c.ready && !c.broken;
  }

  /** Whether a connection to {@code node} is up or being set up. */
  public boolean connecting(String node) {
    Connection c = connections.get(node);
    return c != null && !c.broken;
  }

  /**
   * Sends {@code items} to {@code node} if a connection to it is up: true when the batch was written or
   * queued behind earlier ones, false when there is no usable connection (the caller sends it another way).
   */
  public boolean send(String node, List<ChainLink.Item> items) {
    Connection c = connections.get(node);
    if (c == null || !c.ready || c.broken) {
      return false; // a broken one stays until connect() replaces it
    }
    byte[] frame = ChainBatchSerializer.encode(items, 4);
    ByteBuffer.wrap(frame).putInt(0, frame.length - 4);
    boolean sent = c.write(ByteBuffer.wrap(frame));
    if (sent) {
      stats.framesSent.increment();
      stats.messagesSent.add(items.size());
      stats.bytesSent.add(frame.length);
    }
    return sent;
  }

  /** Drops the connection to {@code node} (tests: a connection that breaks). */
  void breakConnection(String node) {
    Connection c = connections.get(node);
    if (c != null) {
      c.giveUp("broken on purpose");
    }
  }

  @Override
  public void close() {
    closed = true;
    connections.values().forEach(c -> c.giveUp("the wire closed"));
    connections.clear();
    for (SocketChannel channel : incoming) {
      try {
        channel.close();
      } catch (IOException e) {
        // closing anyway
      }
    }
  }

  /**
   * One outgoing connection. Its thread connects, then writes what the sender's inline write left over;
   * the sender writes inline only while nothing waits, so batches leave in the order they were sent.
   */
  private final class Connection {
    final String node;
    final InetSocketAddress address;
    final Thread thread;
    final ArrayDeque<ByteBuffer> queue = new ArrayDeque<>();
    long queuedBytes;
    volatile boolean ready;
    volatile boolean broken;
    SocketChannel channel;

    Connection(String node, InetSocketAddress address) {
      this.node = node;
      this.address = address;
      this.thread = new Thread(this::run, "junction-chain-wire-" + address.getPort());
      thread.setDaemon(true);
    }

    private void run() {
      try {
        SocketChannel ch = SocketChannel.open();
        synchronized (this) {
          channel = ch;
          if (broken) {
            ch.close();
            return;
          }
        }
        ch.socket().connect(address, CONNECT_TIMEOUT_MS);
        ch.setOption(StandardSocketOptions.TCP_NODELAY, true);
        ByteBuffer magic = ByteBuffer.allocate(4).putInt(0, MAGIC);
        while (magic.hasRemaining()) {
          ch.write(magic);
        }
        ch.configureBlocking(false);
        ready = true;
        log.info("chain traffic to {} goes over its own connection to {}", node, address);
        while (!broken) {
          ByteBuffer next;
          synchronized (this) {
            while (queue.isEmpty() && !broken) {
              wait();
            }
            next = queue.peekFirst();
          }
          if (next == null) {
            return;
          }
          if (ch.write(next) == 0) {
            Thread.sleep(1); // the receiver's buffer is full: it is slow or stopped
          }
          if (!next.hasRemaining()) {
            synchronized (this) {
              queue.pollFirst();
              queuedBytes -= next.capacity();
            }
          }
        }
      } catch (IOException e) {
        giveUp(e.toString());
      } catch (InterruptedException e) {
        giveUp("interrupted");
      }
    }

    /** Writes {@code frame} now if nothing waits and the socket takes it, else queues it. */
    synchronized boolean write(ByteBuffer frame) {
      if (broken) {
        return false;
      }
      try {
        if (queue.isEmpty()) {
          channel.write(frame);
          if (!frame.hasRemaining()) {
            return true;
          }
        }
      } catch (IOException e) {
        giveUpLocked(e.toString());
        return false; // nothing of it was taken, or the connection is gone with what it took
      }
      queue.addLast(frame);
      queuedBytes += frame.capacity();
      if (queuedBytes > MAX_QUEUED_BYTES) {
        giveUpLocked(queuedBytes + " bytes wait for a receiver that does not read");
        return true; // it was accepted and is now lost with the connection, like a message in flight
      }
      notifyAll();
      return true;
    }

    synchronized void giveUp(String why) {
      giveUpLocked(why);
    }

    private void giveUpLocked(String why) {
      if (broken) {
        return;
      }
      broken = true;
      if (ready && !closed) {
        log.info("chain connection to {} at {} given up: {}", node, address, why);
      } else if (!closed) {
        log.debug("chain connection to {} at {} failed: {}", node, address, why);
      }
      queue.clear();
      queuedBytes = 0;
      notifyAll();
      if (channel != null) {
        try {
          channel.close();
        } catch (IOException e) {
          // gone either way
        }
      }
    }
  }
}
