package dev.junction.node.management;

import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.function.Supplier;
import org.apache.pekko.actor.ActorSystem;

/**
 * The readiness check behind {@code /ready} (configured under {@code
 * pekko.management.health-checks.readiness-checks}): asks the node's {@link NodeHealth} and fails with the
 * reason when the node is not ready, so that the endpoint's answer says why.
 */
public final class ReadyCheck implements Supplier<CompletionStage<Boolean>> {
  private final ActorSystem system;

  public ReadyCheck(ActorSystem system) {
    this.system = system;
  }

  @Override
  public CompletionStage<Boolean> get() {
    return NodeHealth.get(system).whyNotReady().thenCompose(why -> why
        .<CompletionStage<Boolean>>map(reason -> CompletableFuture.failedFuture(new NotReady(reason)))
        .orElseGet(() -> CompletableFuture.completedFuture(true)));
  }

  /** The node is not ready, and why (the message is what {@code /ready} shows). */
  static final class NotReady extends RuntimeException {
    NotReady(String why) {
      super(why, null, false, false);
    }
  }
}
