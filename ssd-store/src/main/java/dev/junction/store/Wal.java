package dev.junction.store;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.ClosedChannelException;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import java.util.zip.CRC32C;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The write-ahead log: an append-only sequence of records in segment files {@code wal/<position>.log}. A
 * position is a byte offset in the log as a whole, so a segment's name is the position of its first byte
 * and it ends where the next begins. A record is {@code length (4 bytes, big-endian) + CRC32C (4 bytes) +
 * payload}, the CRC taken over the record's position (8 bytes) and the payload; the payload is one group
 * commit ({@link WalCodec}).
 *
 * <p>One thread appends (the holder of the store's write lock); {@link #force} may also be called by a
 * background syncer. A new segment is started once the current one holds {@code segmentBytes}; the old
 * one is synced first, so every segment but the last is complete on disk. Segments that LMDB covers are
 * recycled ({@link #deleteCovered}): up to {@link #MAX_SPARES} are renamed to {@code wal/spare-<n>} and
 * later become new segments, so that appending overwrites blocks the file system has already allocated
 * and a sync need not commit file metadata. The old records left in a recycled file never pass as new
 * ones: their CRCs were taken over other positions.
 *
 * <p>A file channel is closed when a thread blocked in it is interrupted; the WAL then reopens its segment
 * and repeats the positional write or the sync, so an interrupted caller cannot break the log.
 */
final class Wal implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(Wal.class);

  static final String DIRECTORY = "wal";
  static final int HEADER_BYTES = 8;
  private static final String SUFFIX = ".log";
  private static final Pattern SEGMENT_NAME = Pattern.compile("\\d{20}\\.log");
  private static final Pattern SPARE_NAME = Pattern.compile("spare-\\d+");
  /** Covered segments kept for reuse. */
  static final int MAX_SPARES = 2;
  private static final int RETRIES = 3;

  /** Receives each valid record found by {@link #open}, in order. */
  interface Replay {
    /**
     * @param payload the record's payload
     * @param end the position just after the record
     */
    void record(ByteBuffer payload, long end);
  }

  private final Path dir;
  private final long segmentBytes;
  private final CRC32C crc = new CRC32C();
  /** Segment start → file; guarded by {@code this}. */
  private final TreeMap<Long, Path> segments;
  /** Covered segment files waiting to be reused; guarded by {@code this}. */
  private final ArrayDeque<Path> spares;
  private long spareNames;
  private long recycled;
  private volatile FileChannel channel;
  private volatile long segmentStart;
  private volatile long position;
  /** How far the log is known to be on disk; guarded by {@code this}. */
  private long forced;
  private volatile boolean closed;
  private volatile IOException broken;

  private Wal(Path dir, long segmentBytes, TreeMap<Long, Path> segments, ArrayDeque<Path> spares,
      FileChannel channel, long start, long position) {
    this.dir = dir;
    this.segmentBytes = segmentBytes;
    this.segments = segments;
    this.spares = spares;
    this.channel = channel;
    this.segmentStart = start;
    this.position = position;
    this.forced = position;
  }

  /**
   * Opens the log of the store in {@code storeDir} (creating {@code wal/} if missing), hands every valid
   * record after position {@code covered} to {@code replay}, cuts a torn or corrupt record at the end of
   * the last segment (it was being written when the process or machine stopped, so it was never
   * acknowledged) and returns the log ready to append after the last valid record.
   *
   * @throws StoreOpenException if records the store needs are missing or a segment other than the last
   *     holds an invalid record
   */
  static Wal open(Path storeDir, long segmentBytes, long covered, Replay replay) throws IOException {
    Path dir = storeDir.resolve(DIRECTORY);
    if (!Files.isDirectory(dir)) {
      Files.createDirectories(dir);
      syncDirectory(storeDir);
    }
    ArrayDeque<Path> spares = new ArrayDeque<>();
    TreeMap<Long, Path> segments = list(dir, spares);
    long end = replayFrom(dir, segments, covered, replay);
    Map.Entry<Long, Path> last = segments.lastEntry();
    FileChannel channel;
    long start;
    if (last != null && last.getKey() + Files.size(last.getValue()) == end) {
      start = last.getKey();
      channel = FileChannel.open(last.getValue(), StandardOpenOption.WRITE);
    } else {
      // No segment yet, or LMDB covers more than the log holds (its tail was never synced): start anew.
      start = end;
      Path p = dir.resolve(name(start));
      channel = FileChannel.open(p, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE);
      syncDirectory(dir);
      segments.put(start, p);
    }
    Wal wal = new Wal(dir, segmentBytes, segments, spares, channel, start, end);
    for (Path spare : spares) {
      String n = spare.getFileName().toString();
      wal.spareNames = Math.max(wal.spareNames, Long.parseLong(n.substring("spare-".length())) + 1);
    }
    return wal;
  }

  /** The segments of {@code dir} by start; spare files go to {@code spares} (extra ones are deleted). */
  private static TreeMap<Long, Path> list(Path dir, ArrayDeque<Path> spares) throws IOException {
    TreeMap<Long, Path> out = new TreeMap<>();
    try (Stream<Path> files = Files.list(dir)) {
      for (Path p : (Iterable<Path>) files::iterator) {
        String n = p.getFileName().toString();
        if (SEGMENT_NAME.matcher(n).matches()) {
          out.put(Long.parseLong(n.substring(0, n.length() - SUFFIX.length())), p);
        } else if (SPARE_NAME.matcher(n).matches()) {
          if (spares.size() < MAX_SPARES) {
            spares.add(p);
          } else {
            Files.delete(p);
          }
        } else {
          log.warn("ignoring {} in the write-ahead log directory {}", n, dir);
        }
      }
    }
    return out;
  }

  /** Replays the records after {@code covered}; returns the position after the last valid one. */
  private static long replayFrom(Path dir, TreeMap<Long, Path> segments, long covered, Replay replay)
      throws IOException {
    Long first = segments.floorKey(covered);
    if (first == null) {
      if (!segments.isEmpty()) {
        throw new StoreOpenException(
            "store's write-ahead log " + dir + " starts at position " + segments.firstKey()
                + " but LMDB covers it only up to " + covered + ": records are missing");
      }
      return covered;
    }
    List<Map.Entry<Long, Path>> tail = new ArrayList<>(segments.tailMap(first, true).entrySet());
    long pos = covered;
    for (int i = 0; i < tail.size(); i++) {
      long start = tail.get(i).getKey();
      Path p = tail.get(i).getValue();
      boolean last = i == tail.size() - 1;
      if (i > 0 && start != pos) {
        throw new StoreOpenException(
            "store's write-ahead log " + dir + " has a gap: " + p.getFileName() + " starts at " + start
                + " but the records before it end at " + pos);
      }
      long next = last ? Long.MAX_VALUE : tail.get(i + 1).getKey();
      try (FileChannel ch =
          FileChannel.open(p, StandardOpenOption.READ, StandardOpenOption.WRITE)) {
        long size = ch.size();
        long from = pos - start;
        if (from > size) {
          if (!last) {
            throw new StoreOpenException(
                "store's write-ahead log segment " + p + " is shorter (" + size
                    + " bytes) than the part of it LMDB covers");
          }
          continue; // LMDB covers past the end of the log: nothing to replay
        }
        long valid = replaySegment(ch, start, from, Math.min(size, next - start), replay);
        pos = start + valid;
        if (!last && pos != next) {
          throw new StoreOpenException(
              "store's write-ahead log segment " + p + " holds an invalid record at offset " + valid
                  + " and later segments follow it; refusing to drop what they hold");
        }
        if (last && valid < size) {
          log.warn(
              "write-ahead log {}: ignoring what follows the last valid record (offset {}, {} bytes cut):"
                  + " a record being written when the store stopped, never acknowledged, or older records"
                  + " of a recycled file", p, valid, size - valid);
          ch.truncate(valid);
          ch.force(true);
        }
      }
    }
    return Math.max(pos, covered);
  }

  /**
   * Replays the valid records of one segment from {@code offset} up to {@code size} bytes; returns the
   * offset after them.
   */
  private static long replaySegment(FileChannel ch, long start, long offset, long size, Replay replay)
      throws IOException {
    ByteBuffer header = ByteBuffer.allocate(HEADER_BYTES);
    CRC32C crc = new CRC32C();
    while (offset + HEADER_BYTES <= size) {
      header.clear();
      readFully(ch, header, offset);
      int length = header.getInt(0);
      int sum = header.getInt(4);
      if (length < Integer.BYTES || length > size - offset - HEADER_BYTES) {
        break;
      }
      ByteBuffer payload = ByteBuffer.allocate(length);
      readFully(ch, payload, offset + HEADER_BYTES);
      if (checksum(crc, start + offset, payload.array(), 0, length) != sum) {
        break;
      }
      payload.flip();
      offset += HEADER_BYTES + length;
      replay.record(payload, start + offset);
    }
    return offset;
  }

  /** CRC32C of a record's position and payload. */
  private static int checksum(CRC32C crc, long position, byte[] payload, int offset, int length) {
    crc.reset();
    for (int shift = 56; shift >= 0; shift -= 8) {
      crc.update((int) (position >>> shift));
    }
    crc.update(payload, offset, length);
    return (int) crc.getValue();
  }

  private static void readFully(FileChannel ch, ByteBuffer b, long at) throws IOException {
    while (b.hasRemaining()) {
      int n = ch.read(b, at);
      if (n < 0) {
        throw new IOException("unexpected end of file");
      }
      at += n;
    }
  }

  private static String name(long start) {
    return String.format("%020d", start) + SUFFIX;
  }

  /** Makes the creation of files in {@code d} durable. */
  private static void syncDirectory(Path d) {
    try (FileChannel ch = FileChannel.open(d, StandardOpenOption.READ)) {
      ch.force(true);
    } catch (IOException e) {
      log.debug("cannot sync directory {}: {}", d, e.toString());
    }
  }

  // ------------------------------------------------------------------------------------ appending

  /** The position after the last record appended. */
  long position() {
    return position;
  }

  /**
   * Appends one record: {@code record} holds {@link #HEADER_BYTES} of room for the header (which this
   * fills in) followed by the payload, from position 0 to its limit, in a heap buffer. Not synced: see
   * {@link #force}. If the write fails, the log is cut back to where the record began.
   *
   * @return the position after the record
   */
  long append(ByteBuffer record) throws IOException {
    usable();
    if (position - segmentStart >= segmentBytes) {
      roll();
    }
    int length = record.limit() - HEADER_BYTES;
    long start = position;
    int sum = checksum(crc, start, record.array(), record.arrayOffset() + HEADER_BYTES, length);
    record.putInt(0, length).putInt(4, sum);
    long offset = start - segmentStart;
    try {
      write(record, offset);
    } catch (IOException e) {
      undo(offset, e);
      throw e;
    }
    position = start + record.limit();
    return position;
  }

  /**
   * Syncs everything appended so far to disk ({@code fdatasync}).
   *
   * @return false when there was nothing new to sync
   */
  boolean force() throws IOException {
    usable();
    long upTo = position;
    synchronized (this) {
      if (forced >= upTo) {
        return false;
      }
    }
    boolean interrupted = false;
    try {
      for (int attempt = 0; ; attempt++) {
        FileChannel ch = channel;
        try {
          ch.force(false);
          break;
        } catch (ClosedChannelException e) {
          interrupted |= Thread.interrupted();
          if (closed || attempt >= RETRIES) {
            throw e;
          }
          reopen(ch); // or a roll replaced the channel, and synced the old segment before
        }
      }
    } catch (IOException e) {
      broken = e;
      throw e;
    } finally {
      if (interrupted) {
        Thread.currentThread().interrupt();
      }
    }
    synchronized (this) {
      forced = Math.max(forced, upTo);
    }
    return true;
  }

  private void write(ByteBuffer record, long offset) throws IOException {
    boolean interrupted = false;
    try {
      for (int attempt = 0; ; attempt++) {
        FileChannel ch = channel;
        try {
          ByteBuffer b = record.duplicate();
          b.position(0);
          long at = offset;
          while (b.hasRemaining()) {
            at += ch.write(b, at);
          }
          return;
        } catch (ClosedChannelException e) {
          interrupted |= Thread.interrupted();
          if (closed || attempt >= RETRIES) {
            throw e;
          }
          reopen(ch);
        }
      }
    } finally {
      if (interrupted) {
        Thread.currentThread().interrupt();
      }
    }
  }

  /** Replaces the channel of the current segment if {@code failed} is it and an interrupt closed it. */
  private synchronized void reopen(FileChannel failed) throws IOException {
    if (channel == failed && !failed.isOpen() && !closed) {
      channel = FileChannel.open(dir.resolve(name(segmentStart)), StandardOpenOption.WRITE);
    }
  }

  private void undo(long offset, IOException cause) {
    try {
      channel.truncate(offset);
    } catch (IOException | RuntimeException e) {
      cause.addSuppressed(e);
      broken = cause;
    }
  }

  /** Starts a new segment at the current position; the one before is synced first. */
  private void roll() throws IOException {
    FileChannel old = channel;
    force();
    long start = position;
    Path p = dir.resolve(name(start));
    Path spare;
    synchronized (this) {
      spare = spares.poll();
    }
    FileChannel ch = spare == null ? null : reuse(spare, p);
    boolean reused = ch != null;
    if (!reused) {
      // Nothing was ever written under this name (a failed reuse may have left the spare there).
      ch =
          FileChannel.open(
              p, StandardOpenOption.CREATE, StandardOpenOption.TRUNCATE_EXISTING, StandardOpenOption.WRITE);
    }
    syncDirectory(dir); // the new name is durable before any record is written under it
    synchronized (this) {
      channel = ch;
      segmentStart = start;
      segments.put(start, p);
      if (reused) {
        recycled++;
      }
    }
    old.close();
  }

  /** Renames a spare file to segment {@code p} and opens it; null if that failed. */
  private static FileChannel reuse(Path spare, Path p) {
    try {
      Files.move(spare, p, StandardCopyOption.ATOMIC_MOVE);
      return FileChannel.open(p, StandardOpenOption.WRITE);
    } catch (IOException e) {
      log.warn("cannot reuse the write-ahead log file {}: {}", spare, e.toString());
      return null;
    }
  }

  private void usable() throws IOException {
    if (broken != null) {
      throw new IOException("the write-ahead log failed earlier and the store must be reopened", broken);
    }
    if (closed) {
      throw new ClosedChannelException();
    }
  }

  /** The failure that broke the log (a sync or an undo that failed), or null. */
  IOException failure() {
    return broken;
  }

  /**
   * Recycles (or, with enough spares, deletes) the segments that end at or before {@code covered}, never
   * the one being appended to.
   */
  void deleteCovered(long covered) {
    List<Path> doomed = new ArrayList<>();
    synchronized (this) {
      for (Long start : new ArrayList<>(segments.keySet())) {
        Long next = segments.higherKey(start);
        if (next != null && next <= covered && start != segmentStart) {
          doomed.add(segments.remove(start));
        }
      }
    }
    for (Path p : doomed) {
      try {
        Path spare = null;
        synchronized (this) {
          if (spares.size() < MAX_SPARES && !closed) {
            spare = dir.resolve("spare-" + spareNames++);
          }
        }
        if (spare == null) {
          Files.deleteIfExists(p);
        } else {
          Files.move(p, spare, StandardCopyOption.ATOMIC_MOVE);
          synchronized (this) {
            spares.add(spare);
          }
        }
      } catch (IOException e) {
        log.warn("cannot delete or recycle the write-ahead log segment {}: {}", p, e.toString());
      }
    }
  }

  /** Segments started in a recycled file since the log was opened. */
  synchronized long recycledSegments() {
    return recycled;
  }

  /** The segment files, oldest first. */
  synchronized List<Path> segmentFiles() {
    return new ArrayList<>(segments.values());
  }

  /** Syncs and closes the log. */
  @Override
  public void close() throws IOException {
    if (closed) {
      return;
    }
    try {
      if (broken == null) {
        force();
      }
    } finally {
      closed = true;
      channel.close();
    }
  }

  /** Closes the log without syncing it, as a crash of the process would (tests only). */
  void abandon() throws IOException {
    closed = true;
    channel.close();
  }
}
