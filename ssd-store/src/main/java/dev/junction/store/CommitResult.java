package dev.junction.store;

import java.util.List;
import java.util.Optional;

/**
 * The outcome of one committed {@link WriteBatch}.
 *
 * @param applied false when a condition of the batch failed and nothing was written
 * @param observed for each condition of the batch, in order, the value its key held when the conditions
 *     were evaluated (before the batch's own writes); empty when absent
 */
public record CommitResult(boolean applied, List<Optional<Versioned>> observed) {
  static final CommitResult APPLIED = new CommitResult(true, List.of());

  public CommitResult {
    observed = List.copyOf(observed);
  }
}
