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

  /** {@code routed} (the endpoints a route names, best first; may be empty), then the gateways, each once. */
  List<Target> order(List<Target> routed) {
    if (routed.isEmpty()) {
      return gateways();
    }
    List<Target> order = new ArrayList<>(routed.size() + gateways.size());
    for (Target t : routed) {
      if (order.stream().noneMatch(o -> o.channel() == t.channel())) {
        order.add(t);
      }
    }
    for (Target t : gateways()) {
      if (order.stream().noneMatch(o -> o.channel() == t.channel())) {
        order.add(t);
      }
    }
    return order;
  }

  /** A gateway answered: later calls without a route start there. */
  void answered(Target t) {
    if (preferred.get() == t) {
      return;
    }
    for (Target g : gateways) {
      if (g == t) {
        preferred.set(t);
        return;
      }
    }
  }

  /** The gateway that last answered (the first of {@link #gateways}). */
  Target preferred() {
    return preferred.get();
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

  /** The trailer a node adds to {@code UNAVAILABLE} when it passed the request to no replica. */
  static final io.grpc.Metadata.Key<String> NOT_APPLIED =
      io.grpc.Metadata.Key.of("junction-not-applied", io.grpc.Metadata.ASCII_STRING_MARSHALLER);

  /**
   * Whether an {@code UNAVAILABLE} failure certainly did not reach a replica: the connection was refused
   * (the request never left this process), or the node said it passed it to none.
   */
  static boolean notApplied(Throwable error) {
    io.grpc.Metadata trailers = Status.trailersFromThrowable(error);
    if (trailers != null && "true".equals(trailers.get(NOT_APPLIED))) {
      return true;
    }
    for (Throwable t = error; t != null; t = t.getCause()) {
      if (t instanceof java.net.ConnectException) {
        return true;
      }
    }
    return false;
  }

  /** The failure of a call every endpoint of {@code order} refused as unavailable (or partly, by its deadline). */
  static JunctionException unavailable(List<String> failures, int endpoints, Status last, boolean notApplied) {
    String tried = String.join("; ", failures);
    if (failures.size() < endpoints) {
      return new DeadlineExceededException(
          "deadline passed after " + failures.size() + " unavailable endpoint(s): " + tried,
          last.asRuntimeException());
    }
    String what = endpoints == 1 ? "endpoint unavailable: " : "all " + endpoints + " endpoints unavailable: ";
    return new UnavailableException(what + tried, last.asRuntimeException(), notApplied);
  }

  /** The state of one call across its attempts. */
  private final class Run<T> {
    private final Attempt<T> attempt;
    private final Deadline deadline;
    private final List<Target> order;
    private final CompletableFuture<T> result = new CompletableFuture<>();
    private final List<String> failures = new ArrayList<>();
    private boolean notApplied = true;

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
      notApplied &= Failover.notApplied(error);
      if (tried + 1 < order.size() && !deadline.isExpired() && !result.isDone()) {
        start(tried + 1);
      } else {
        result.completeExceptionally(unavailable(failures, order.size(), status, notApplied));
      }
    }
  }
}
