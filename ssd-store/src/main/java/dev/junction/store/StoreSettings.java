package dev.junction.store;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import java.nio.file.Path;
import java.time.Duration;

/**
 * Settings of the store: the only place that reads {@code junction.store.*} keys. Defaults are in this
 * module's {@code reference.conf}.
 */
public record StoreSettings(
    Path directory,
    Durability durability,
    Duration syncInterval,
    long initialMapSize,
    long maxMapSize,
    Duration resizeWait,
    int maxValueBytes,
    int maxGroupBatches,
    long maxGroupBytes,
    int maxReaders,
    long walSegmentBytes,
    long memtableBytes,
    Duration flushInterval) {

  private static final long MIN_MAP = 1L << 20;
  private static final long MIN_SEGMENT = 4L << 10;

  public StoreSettings {
    if (directory == null) {
      throw new IllegalArgumentException("junction.store.directory is not set");
    }
    if (durability == null) {
      throw new IllegalArgumentException("junction.store.durability is not set");
    }
    positive("sync-interval", syncInterval.toMillis());
    if (initialMapSize < MIN_MAP) {
      throw new IllegalArgumentException("junction.store.initial-map-size must be at least 1MiB");
    }
    if (maxMapSize < initialMapSize) {
      throw new IllegalArgumentException(
          "junction.store.max-map-size (" + maxMapSize + ") is below initial-map-size ("
              + initialMapSize + ")");
    }
    positive("resize-wait", resizeWait.toMillis());
    if (maxValueBytes < 0 || maxValueBytes > Keys.MAX_VALUE_BYTES) {
      throw new IllegalArgumentException(
          "junction.store.max-value-size must be 0 to 1MiB, not " + maxValueBytes);
    }
    positive("group-commit.max-batches", maxGroupBatches);
    positive("group-commit.max-bytes", maxGroupBytes);
    positive("max-readers", maxReaders);
    if (walSegmentBytes < MIN_SEGMENT || walSegmentBytes > Integer.MAX_VALUE) {
      throw new IllegalArgumentException(
          "junction.store.wal.segment-size must be 4KiB to 2GiB, not " + walSegmentBytes);
    }
    positive("wal.memtable-bytes", memtableBytes);
    positive("wal.flush-interval", flushInterval.toMillis());
  }

  private static void positive(String key, long v) {
    if (v <= 0) {
      throw new IllegalArgumentException("junction.store." + key + " must be positive, not " + v);
    }
  }

  /** Reads {@code junction.store} from a full configuration (with this module's reference defaults). */
  public static StoreSettings fromConfig(Config config) {
    Config c = config.withFallback(ConfigFactory.defaultReference()).getConfig("junction.store");
    return new StoreSettings(
        Path.of(c.getString("directory")),
        Durability.parse(c.getString("durability")),
        c.getDuration("sync-interval"),
        c.getBytes("initial-map-size"),
        c.getBytes("max-map-size"),
        c.getDuration("resize-wait"),
        Math.toIntExact(Math.min(c.getBytes("max-value-size"), Integer.MAX_VALUE)),
        c.getInt("group-commit.max-batches"),
        c.getBytes("group-commit.max-bytes"),
        c.getInt("max-readers"),
        c.getBytes("wal.segment-size"),
        c.getBytes("wal.memtable-bytes"),
        c.getDuration("wal.flush-interval"));
  }

  /** The reference defaults with another directory. */
  public static StoreSettings defaults(Path directory) {
    return fromConfig(ConfigFactory.empty()).withDirectory(directory);
  }

  public StoreSettings withDirectory(Path dir) {
    return new StoreSettings(dir, durability, syncInterval, initialMapSize, maxMapSize, resizeWait,
        maxValueBytes, maxGroupBatches, maxGroupBytes, maxReaders, walSegmentBytes, memtableBytes,
        flushInterval);
  }

  public StoreSettings withDurability(Durability d) {
    return new StoreSettings(directory, d, syncInterval, initialMapSize, maxMapSize, resizeWait,
        maxValueBytes, maxGroupBatches, maxGroupBytes, maxReaders, walSegmentBytes, memtableBytes,
        flushInterval);
  }

  public StoreSettings withSyncInterval(Duration interval) {
    return new StoreSettings(directory, durability, interval, initialMapSize, maxMapSize, resizeWait,
        maxValueBytes, maxGroupBatches, maxGroupBytes, maxReaders, walSegmentBytes, memtableBytes,
        flushInterval);
  }

  public StoreSettings withMapSizes(long initial, long max) {
    return new StoreSettings(directory, durability, syncInterval, initial, max, resizeWait,
        maxValueBytes, maxGroupBatches, maxGroupBytes, maxReaders, walSegmentBytes, memtableBytes,
        flushInterval);
  }

  public StoreSettings withResizeWait(Duration wait) {
    return new StoreSettings(directory, durability, syncInterval, initialMapSize, maxMapSize, wait,
        maxValueBytes, maxGroupBatches, maxGroupBytes, maxReaders, walSegmentBytes, memtableBytes,
        flushInterval);
  }

  public StoreSettings withMaxValueBytes(int max) {
    return new StoreSettings(directory, durability, syncInterval, initialMapSize, maxMapSize, resizeWait,
        max, maxGroupBatches, maxGroupBytes, maxReaders, walSegmentBytes, memtableBytes, flushInterval);
  }

  /** Another WAL segment size, memtable size and memtable age at which it is flushed into LMDB. */
  public StoreSettings withWal(long segmentBytes, long memtable, Duration flushAfter) {
    return new StoreSettings(directory, durability, syncInterval, initialMapSize, maxMapSize, resizeWait,
        maxValueBytes, maxGroupBatches, maxGroupBytes, maxReaders, segmentBytes, memtable, flushAfter);
  }

  /** The map size above which only batches that free space may grow the map. */
  long putLimit() {
    return Math.max(initialMapSize, maxMapSize - maxMapSize / 20);
  }
}
