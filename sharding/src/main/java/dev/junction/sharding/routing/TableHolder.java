package dev.junction.sharding.routing;

import java.util.List;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Consumer;

/**
 * The newest routing table a gateway has seen. Tables arrive from the controller (through Distributed
 * Data) in any order and possibly more than once; the holder only ever moves to a higher version, so a
 * gateway applies versions in order and never goes back to an older table.
 *
 * <p>Thread-safe and lock-free: request paths may call {@link #current()} while an update calls {@link
 * #offer}; every reader sees some table that was offered, and the versions a reader sees never decrease.
 */
public final class TableHolder {
  private final AtomicReference<RoutingTable> newest;
  private final List<Consumer<RoutingTable>> listeners = new CopyOnWriteArrayList<>();

  private TableHolder(RoutingTable initial) {
    this.newest = new AtomicReference<>(initial);
  }

  /** A holder with no table yet, for a gateway that has not heard from the controller. */
  public static TableHolder empty() {
    return new TableHolder(null);
  }

  /** A holder that starts with {@code initial}. */
  public static TableHolder of(RoutingTable initial) {
    if (initial == null) {
      throw new IllegalArgumentException("initial table is missing (use TableHolder.empty())");
    }
    return new TableHolder(initial);
  }

  /**
   * Takes {@code table} if its version is higher than the held one's (or nothing is held yet).
   *
   * @return true if {@code table} is now held; false if it was ignored because a table of the same or a
   *     higher version is already held
   */
  public boolean offer(RoutingTable table) {
    if (table == null) {
      throw new IllegalArgumentException("offered table is missing");
    }
    while (true) {
      RoutingTable held = newest.get();
      if (held != null && !table.isNewerThan(held)) {
        return false;
      }
      if (newest.compareAndSet(held, table)) {
        for (Consumer<RoutingTable> l : listeners) {
          l.accept(table);
        }
        return true;
      }
    }
  }

  /**
   * The newest table offered so far.
   *
   * @throws IllegalStateException if no table has been offered yet
   */
  public RoutingTable current() {
    RoutingTable held = newest.get();
    if (held == null) {
      throw new IllegalStateException("no routing table yet: the controller has not published one");
    }
    return held;
  }

  /**
   * Calls {@code listener} with every table this holder takes from now on, on the thread that offers it
   * (it must not block).
   */
  public void onNewTable(Consumer<RoutingTable> listener) {
    listeners.add(listener);
  }

  /** The newest table offered so far, or empty if none has been. */
  public Optional<RoutingTable> find() {
    return Optional.ofNullable(newest.get());
  }

  /** The held table's version, or 0 if none is held (real versions start at 1). */
  public long version() {
    RoutingTable held = newest.get();
    return held == null ? 0 : held.version();
  }

  /** Shows the held version. */
  @Override
  public String toString() {
    return "TableHolder[v" + version() + "]";
  }
}
