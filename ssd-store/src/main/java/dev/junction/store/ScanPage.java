package dev.junction.store;

import java.util.List;

/**
 * Entries of a scan that may have stopped at a size budget.
 *
 * @param entries in key order
 * @param more true when the scan stopped at its byte budget and the interval holds more entries after the
 *     last one returned (continue from {@code Keys.successor(lastKey)})
 */
public record ScanPage(List<KeyValue> entries, boolean more) {
  public ScanPage {
    entries = List.copyOf(entries);
  }
}
