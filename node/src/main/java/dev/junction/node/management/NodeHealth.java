package dev.junction.node.management;

import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.function.Supplier;
import org.apache.pekko.actor.AbstractExtensionId;
import org.apache.pekko.actor.ActorSystem;
import org.apache.pekko.actor.ExtendedActorSystem;
import org.apache.pekko.actor.Extension;

/**
 * Where the node's health checks find the node: a Pekko extension of its actor system, which the node
 * fills once it runs (Pekko Management creates the checks from configuration, by class name, with only the
 * actor system to go on). Until then the node is not ready.
 */
public final class NodeHealth implements Extension {
  private static final Id ID = new Id();

  private volatile Supplier<CompletionStage<Optional<String>>> readiness =
      () -> CompletableFuture.completedFuture(Optional.of("the node is starting"));

  public static NodeHealth get(ActorSystem system) {
    return ID.get(system);
  }

  /** Sets what answers {@link #whyNotReady}. */
  public void readiness(Supplier<CompletionStage<Optional<String>>> check) {
    this.readiness = check;
  }

  /** Why the node is not ready, or empty when it is. */
  public CompletionStage<Optional<String>> whyNotReady() {
    return readiness.get();
  }

  private static final class Id extends AbstractExtensionId<NodeHealth> {
    @Override
    public NodeHealth createExtension(ExtendedActorSystem system) {
      return new NodeHealth();
    }
  }
}
