package dev.junction.chain.bulk;

import dev.junction.store.KeyValue;
import dev.junction.store.RangeMeta;
import dev.junction.store.StoreSnapshot;
import java.io.EOFException;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The TCP bulk transport. Wire format (big-endian): the request is {@code magic, rangeId, from, to}; the
 * answer starts with the range metadata of the snapshot ({@code present, epoch, appliedSeq, start, end}),
 * so that even a transfer cut short tells where its entries stand, then chunks {@code [chunk
 * length][entry count][entries]}, each entry {@code key length, key, value length, value, seq}, a chunk
 * at most one pool buffer; then {@code [0]}. Both sides stage chunks in buffers of the {@link BufferPool}.
 */
public final class TcpBulkTransport implements BulkTransport {
  private static final Logger log = LoggerFactory.getLogger(TcpBulkTransport.class);
  private static final int MAGIC = 0x4a42_5431; // "JBT1"
  private static final long BUFFER_WAIT_SECONDS = 30;

  private final ServerSocketChannel server;
  private final SnapshotSource source;
  private final BufferPool pool;
  private final ExecutorService workers;
  private final Thread acceptor;
  private volatile boolean closed;
  /** Other protocols served on this port, by the magic number their connections start with. */
  private final java.util.Map<Integer, Consumer<SocketChannel>> streams = new java.util.concurrent.ConcurrentHashMap<>();
  /** Tests only: the server drops a connection after this many chunks (0: never). */
  private final AtomicInteger failAfterChunks = new AtomicInteger();

  private TcpBulkTransport(ServerSocketChannel server, SnapshotSource source, BufferPool pool) {
    this.server = server;
    this.source = source;
    this.pool = pool;
    this.workers =
        Executors.newCachedThreadPool(
            r -> {
              Thread t = new Thread(r, "junction-bulk-tcp");
              t.setDaemon(true);
              return t;
            });
    this.acceptor = new Thread(this::acceptLoop, "junction-bulk-accept");
    acceptor.setDaemon(true);
    acceptor.start();
  }

  /** Serves snapshots from {@code source} on {@code bind} (port 0: any free port). */
  public static TcpBulkTransport start(InetSocketAddress bind, SnapshotSource source, BufferPool pool)
      throws IOException {
    ServerSocketChannel server = ServerSocketChannel.open();
    server.bind(bind);
    return new TcpBulkTransport(server, source, pool);
  }

  @Override
  public String name() {
    return "tcp";
  }

  @Override
  public InetSocketAddress address() {
    try {
      return (InetSocketAddress) server.getLocalAddress();
    } catch (IOException e) {
      throw new IllegalStateException(e);
    }
  }

  /**
   * Serves another protocol on this port: a connection that starts with {@code magic} (4 bytes,
   * big-endian) is handed, after the magic, to {@code handler}, which runs on the connection's own thread
   * for as long as it likes and closes the channel when done (the chain traffic between nodes uses this).
   */
  public void acceptStreams(int magic, Consumer<SocketChannel> handler) {
    if (magic == MAGIC) {
      throw new IllegalArgumentException("the bulk protocol's own magic");
    }
    streams.put(magic, handler);
  }

  void failAfterChunks(int chunks) {
    failAfterChunks.set(chunks);
  }

  // ------------------------------------------------------------------------------------------ server

  private void acceptLoop() {
    while (!closed) {
      try {
        SocketChannel peer = server.accept();
        workers.execute(() -> serve(peer));
      } catch (IOException e) {
        if (!closed) {
          log.warn("bulk server on {} stopped accepting: {}", address(), e.toString());
        }
        return;
      }
    }
  }

  private void serve(SocketChannel channel) {
    String peer = String.valueOf(channel.socket().getRemoteSocketAddress());
    int magic;
    try {
      ByteBuffer head = ByteBuffer.allocate(4);
      readFully(channel, head, 4);
      magic = head.getInt();
    } catch (IOException e) {
      closeQuietly(channel);
      log.warn("bulk connection from {} failed: {}", peer, e.toString());
      return;
    }
    Consumer<SocketChannel> stream = streams.get(magic);
    if (stream != null) {
      stream.accept(channel);
      return;
    }
    if (magic != MAGIC) {
      closeQuietly(channel);
      log.warn("bulk connection from {} refused: not a Junction bulk request", peer);
      return;
    }
    ByteBuffer buf = null;
    try (channel) {
      buf = pool.acquire(peer, BUFFER_WAIT_SECONDS, TimeUnit.SECONDS);
      if (buf == null) {
        throw new IOException("no transfer buffer for " + peer + " within " + BUFFER_WAIT_SECONDS + " s");
      }
      TransferRequest request = readRequest(channel, buf);
      int chunks = 0;
      try (StoreSnapshot snapshot = source.open(request)) {
        buf.clear();
        Optional<RangeMeta> meta = snapshot.meta(request.rangeId());
        buf.put((byte) (meta.isPresent() ? 1 : 0));
        if (meta.isPresent()) {
          RangeMeta m = meta.get();
          buf.putLong(m.epoch()).putLong(m.appliedSeq());
          buf.putInt(m.start().length).put(m.start()).putInt(m.end().length).put(m.end());
        }
        buf.flip();
        writeFully(channel, buf);
        buf.clear();
        buf.position(8); // chunk length and count, written when the chunk is full
        int count = 0;
        while (snapshot.hasNext()) {
          KeyValue kv = snapshot.next();
          int size = 4 + kv.key().length + 4 + kv.value().length + 8;
          if (size + 8 > buf.capacity()) {
            throw new IOException("an entry of " + size + " bytes does not fit a transfer buffer");
          }
          if (buf.remaining() < size) {
            sendChunk(channel, buf, count);
            count = 0;
            if (++chunks == failAfterChunks.get()) {
              return; // tests: a broken connection
            }
          }
          buf.putInt(kv.key().length).put(kv.key()).putInt(kv.value().length).put(kv.value()).putLong(kv.seq());
          count++;
        }
        if (count > 0) {
          sendChunk(channel, buf, count);
        }
        buf.clear();
        buf.putInt(0);
        buf.flip();
        writeFully(channel, buf);
      }
    } catch (IOException | RuntimeException e) {
      log.warn("bulk transfer to {} failed: {}", peer, e.toString());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    } finally {
      if (buf != null) {
        pool.release(peer, buf);
      }
    }
  }

  private static void sendChunk(SocketChannel channel, ByteBuffer buf, int count) throws IOException {
    int length = buf.position() - 4;
    buf.putInt(0, length).putInt(4, count);
    buf.flip();
    writeFully(channel, buf);
    buf.clear();
    buf.position(8);
  }

  private static TransferRequest readRequest(SocketChannel channel, ByteBuffer buf) throws IOException {
    readFully(channel, buf, 8 + 4); // after the magic
    long rangeId = buf.getLong();
    byte[] from = readBytes(channel, buf, buf.getInt());
    readFully(channel, buf, 4);
    byte[] to = readBytes(channel, buf, buf.getInt());
    return new TransferRequest(rangeId, from, to);
  }

  // ------------------------------------------------------------------------------------------ client

  @Override
  public CompletableFuture<TransferResult> fetch(
      InetSocketAddress peer,
      TransferRequest request,
      Consumer<Optional<RangeMeta>> atStart,
      Consumer<List<KeyValue>> sink) {
    CompletableFuture<TransferResult> result = new CompletableFuture<>();
    workers.execute(
        () -> {
          try {
            result.complete(fetchNow(peer, request, atStart, sink));
          } catch (Throwable e) {
            result.completeExceptionally(e);
          }
        });
    return result;
  }

  private TransferResult fetchNow(
      InetSocketAddress peer,
      TransferRequest request,
      Consumer<Optional<RangeMeta>> atStart,
      Consumer<List<KeyValue>> sink)
      throws IOException, InterruptedException {
    String name = String.valueOf(peer);
    ByteBuffer buf = pool.acquire(name, BUFFER_WAIT_SECONDS, TimeUnit.SECONDS);
    if (buf == null) {
      throw new IOException("no transfer buffer for " + name + " within " + BUFFER_WAIT_SECONDS + " s");
    }
    try (SocketChannel channel = SocketChannel.open(peer)) {
      buf.clear();
      buf.putInt(MAGIC).putLong(request.rangeId());
      buf.putInt(request.from().length).put(request.from()).putInt(request.to().length).put(request.to());
      buf.flip();
      writeFully(channel, buf);
      readFully(channel, buf, 1);
      Optional<RangeMeta> meta = Optional.empty();
      if (buf.get() == 1) {
        readFully(channel, buf, 16);
        long epoch = buf.getLong();
        long applied = buf.getLong();
        readFully(channel, buf, 4);
        byte[] start = readBytes(channel, buf, buf.getInt());
        readFully(channel, buf, 4);
        byte[] end = readBytes(channel, buf, buf.getInt());
        meta = Optional.of(new RangeMeta(epoch, applied, start, end));
      }
      atStart.accept(meta);
      long entries = 0;
      long bytes = 0;
      byte[] lastKey = new byte[0];
      while (true) {
        readFully(channel, buf, 4);
        int length = buf.getInt();
        if (length == 0) {
          break;
        }
        if (length < 4 || length > buf.capacity()) {
          throw new IOException("a chunk of " + length + " bytes from " + name);
        }
        readFully(channel, buf, length);
        int count = buf.getInt();
        List<KeyValue> chunk = new ArrayList<>(count);
        for (int i = 0; i < count; i++) {
          byte[] key = new byte[buf.getInt()];
          buf.get(key);
          byte[] value = new byte[buf.getInt()];
          buf.get(value);
          chunk.add(new KeyValue(key, value, buf.getLong()));
          bytes += key.length + value.length;
        }
        entries += count;
        if (!chunk.isEmpty()) {
          lastKey = chunk.get(chunk.size() - 1).key();
          sink.accept(chunk);
        }
      }
      return new TransferResult(entries, bytes, lastKey, meta);
    } finally {
      pool.release(name, buf);
    }
  }

  // ------------------------------------------------------------------------------------------ bytes

  private static byte[] readBytes(SocketChannel channel, ByteBuffer buf, int n) throws IOException {
    if (n < 0 || n > buf.capacity()) {
      throw new IOException("implausible length " + n);
    }
    readFully(channel, buf, n);
    byte[] out = new byte[n];
    buf.get(out);
    return out;
  }

  /** Reads exactly {@code n} bytes into {@code buf} (cleared first) and flips it. */
  private static void readFully(SocketChannel channel, ByteBuffer buf, int n) throws IOException {
    buf.clear();
    buf.limit(n);
    while (buf.hasRemaining()) {
      if (channel.read(buf) < 0) {
        throw new EOFException("connection closed mid-transfer");
      }
    }
    buf.flip();
  }

  private static void closeQuietly(SocketChannel channel) {
    try {
      channel.close();
    } catch (IOException e) {
      // nothing to do: the connection is gone either way
    }
  }

  private static void writeFully(SocketChannel channel, ByteBuffer buf) throws IOException {
    while (buf.hasRemaining()) {
      channel.write(buf);
    }
  }

  @Override
  public void close() {
    closed = true;
    try {
      server.close();
    } catch (IOException e) {
      log.warn("closing the bulk server: {}", e.toString());
    }
    workers.shutdownNow();
  }
}
