package dev.junction.client;

import java.util.Objects;
import java.util.Optional;

/**
 * The answer of a compare-and-set.
 *
 * @param applied whether the new value was written
 * @param current the key after the call: the new value (with the write's sequence number) if
 *     applied, otherwise the value that made the expectation fail, or empty if the key is absent
 */
public record CasResult(boolean applied, Optional<Entry> current) {
  /** Checks that {@code current} is not null. */
  public CasResult {
    Objects.requireNonNull(current, "current");
  }
}
