package dev.junction.client;

import io.grpc.Channel;
import io.grpc.Deadline;
import io.grpc.Status;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Runs a call against several endpoints (package-private). An attempt that fails with {@code
 * UNAVAILABLE} is retried on the next endpoint, each endpoint at most once per call, all attempts
 * within one deadline; any other failure ends the call at once. The call starts at the endpoint that
 * last answered.
 */
final class Failover {
  /** One endpoint: a name for messages and the channel to it. */
  record Target(String name, Channel channel) {}

  /** One attempt of a call on one channel, ending by the given deadline. */
  @FunctionalInterface
  interface Attempt<T> {
    CompletableFuture<T> run(Channel channel, Deadline deadline);
  }

  private final List<Target> targets;
  private final Duration deadline;
  private final AtomicInteger preferred = new AtomicInteger();

  Failover(List<Target> targets, Duration deadline) {
    if (targets.isEmpty()) {
      throw new IllegalArgumentException("no endpoints");
    }
    this.targets = List.copyOf(targets);
    this.deadline = deadline;
  }

  /**
   * Runs a call. The future fails with a {@link JunctionException}; cancelling it cancels the attempt
   * under way.
   */
  <T> CompletableFuture<T> call(Attempt<T> attempt) {
    Deadline callDeadline = Deadline.after(deadline.toNanos(), TimeUnit.NANOSECONDS);
    Run<T> run = new Run<>(attempt, callDeadline, preferred.get());
    run.start(0);
    return run.result;
  }

  /** The state of one call across its attempts. */
  private final class Run<T> {
    private final Attempt<T> attempt;
    private final Deadline deadline;
    private final int first;
    private final CompletableFuture<T> result = new CompletableFuture<>();
    private final List<String> failures = new ArrayList<>();

    Run(Attempt<T> attempt, Deadline deadline, int first) {
      this.attempt = attempt;
      this.deadline = deadline;
      this.first = first;
    }

    void start(int tried) {
      int index = (first + tried) % targets.size();
      CompletableFuture<T> current = startAttempt(targets.get(index).channel());
      result.whenComplete(
          (value, error) -> {
            if (result.isCancelled()) {
              current.cancel(false);
            }
          });
      current.whenComplete((value, error) -> finished(index, tried, value, error));
    }

    private CompletableFuture<T> startAttempt(Channel channel) {
      try {
        return attempt.run(channel, deadline);
      } catch (RuntimeException e) {
        return CompletableFuture.failedFuture(e);
      }
    }

    private void finished(int index, int tried, T value, Throwable error) {
      if (error == null) {
        preferred.set(index);
        result.complete(value);
        return;
      }
      Status status = Status.fromThrowable(error);
      if (status.getCode() != Status.Code.UNAVAILABLE) {
        result.completeExceptionally(JunctionException.of(status));
        return;
      }
      failures.add(targets.get(index).name() + ": " + JunctionException.describe(status));
      if (tried + 1 < targets.size() && !deadline.isExpired() && !result.isDone()) {
        start(tried + 1);
      } else {
        result.completeExceptionally(unavailable(status));
      }
    }

    private JunctionException unavailable(Status last) {
      String tried = String.join("; ", failures);
      if (failures.size() < targets.size()) {
        return new DeadlineExceededException(
            "deadline passed after " + failures.size() + " unavailable endpoint(s): " + tried,
            last.asRuntimeException());
      }
      String what =
          targets.size() == 1 ? "endpoint unavailable: " : "all " + targets.size() + " endpoints unavailable: ";
      return new UnavailableException(what + tried, last.asRuntimeException());
    }
  }
}
