package dev.junction.client;

import io.grpc.Channel;
import io.grpc.Deadline;
import io.grpc.Status;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;

/**
 * Runs a call against several endpoints (package-private). An attempt that fails with {@code
 * UNAVAILABLE} is retried on the next endpoint, each endpoint at most once per call, all attempts
 * within one deadline; any other failure ends the call at once. Without a route of its own, a call
 * starts at the gateway endpoint that last answered.
 */
final class Failover {
  /** One endpoint: a name for messages and the channel to it. */
  record Target(String name, Channel channel) {}

  /** One attempt of a call on one channel, ending by the given deadline. */
  @FunctionalInterface
  interface Attempt<T> {
    CompletableFuture<T> run(Channel channel, Deadline deadline);
  }

  private final List<Target> gateways;
  private final Duration deadline;
  private final AtomicReference<Target> preferred;

  Failover(List<Target> gateways, Duration deadline) {
    if (gateways.isEmpty()) {
      throw new IllegalArgumentException("no endpoints");
    }
    this.gateways = List.copyOf(gateways);
    this.deadline = deadline;
    this.preferred = new AtomicReference<>(this.gateways.get(0));
  }

  /** The gateways, starting at the one that last answered. */
  List<Target> gateways() {
    int first = Math.max(0, gateways.indexOf(preferred.get()));
    List<Target> order = new ArrayList<>(gateways.size());
    for (int i = 0; i < gateways.size(); i++) {
      order.add(gateways.get((first + i) % gateways.size()));
    }
    return order;
  }

  /** {@code first} (a routed endpoint, or null), then the gateways, each once. */
  List<Target> order(Target first) {
    List<Target> order = gateways();
    if (first != null) {
      order.removeIf(t -> t.channel() == first.channel());
      order.add(0, first);
    }
    return order;
  }

  /** A gateway answered: later calls without a route start there. */
  void answered(Target t) {
    if (gateways.contains(t)) {
      preferred.set(t);
    }
  }

  int size() {
    return gateways.size();
  }

  Deadline newDeadline() {
    return Deadline.after(deadline.toNanos(), TimeUnit.NANOSECONDS);
  }

  /** Runs a call over the gateways. See {@link #call(Attempt, List)}. */
  <T> CompletableFuture<T> call(Attempt<T> attempt) {
    return call(attempt, gateways());
  }

  /**
   * Runs a call over {@code order}. The future fails with a {@link JunctionException}; cancelling it
   * cancels the attempt under way.
   */
  <T> CompletableFuture<T> call(Attempt<T> attempt, List<Target> order) {
    Run<T> run = new Run<>(attempt, newDeadline(), order);
    run.start(0);
    return run.result;
  }

  /** The failure of a call every endpoint of {@code order} refused as unavailable (or partly, by its deadline). */
  static JunctionException unavailable(List<String> failures, int endpoints, Status last) {
    String tried = String.join("; ", failures);
    if (failures.size() < endpoints) {
      return new DeadlineExceededException(
          "deadline passed after " + failures.size() + " unavailable endpoint(s): " + tried,
          last.asRuntimeException());
    }
    String what = endpoints == 1 ? "endpoint unavailable: " : "all " + endpoints + " endpoints unavailable: ";
    return new UnavailableException(what + tried, last.asRuntimeException());
  }

  /** The state of one call across its attempts. */
  private final class Run<T> {
    private final Attempt<T> attempt;
    private final Deadline deadline;
    private final List<Target> order;
    private final CompletableFuture<T> result = new CompletableFuture<>();
    private final List<String> failures = new ArrayList<>();

    Run(Attempt<T> attempt, Deadline deadline, List<Target> order) {
      this.attempt = attempt;
      this.deadline = deadline;
      this.order = order;
    }

    void start(int tried) {
      Target target = order.get(tried);
      CompletableFuture<T> current = startAttempt(target.channel());
      result.whenComplete(
          (value, error) -> {
            if (result.isCancelled()) {
              current.cancel(false);
            }
          });
      current.whenComplete((value, error) -> finished(target, tried, value, error));
    }

    private CompletableFuture<T> startAttempt(Channel channel) {
      try {
        return attempt.run(channel, deadline);
      } catch (RuntimeException e) {
        return CompletableFuture.failedFuture(e);
      }
    }

    private void finished(Target target, int tried, T value, Throwable error) {
      if (error == null) {
        answered(target);
        result.complete(value);
        return;
      }
      Status status = Status.fromThrowable(error);
      if (status.getCode() != Status.Code.UNAVAILABLE) {
        result.completeExceptionally(JunctionException.of(status));
        return;
      }
      failures.add(target.name() + ": " + JunctionException.describe(status));
      if (tried + 1 < order.size() && !deadline.isExpired() && !result.isDone()) {
        start(tried + 1);
      } else {
        result.completeExceptionally(unavailable(failures, order.size(), status));
      }
    }
  }
}
