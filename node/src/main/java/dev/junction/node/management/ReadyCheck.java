package dev.junction.node.management;

import java.util.concurrent.CompletionException;
import org.apache.pekko.actor.ActorSystem;
import scala.concurrent.Future;
import scala.concurrent.Promise;
import scala.runtime.AbstractFunction0;

/**
 * The readiness check behind {@code /ready} (configured under {@code
 * pekko.management.health-checks.readiness-checks}): asks the node's {@link NodeHealth} and fails with the
 * reason when the node is not ready, so that the endpoint's answer says why.
 *
 * <p>A Scala function rather than a Java {@code Supplier}: Pekko names the check's class in a failure and
 * shows the failure's message, and a {@code Supplier} is wrapped first, so the answer named Pekko's
 * wrapper and the exception's class ({@code Check [HealthChecksImpl$$Lambda…] failed:
 * …ReadyCheck$NotReady: the node is being drained…}). Now: {@code Check
 * [dev.junction.node.management.ReadyCheck] failed: the node is being drained…}.
 */
public final class ReadyCheck extends AbstractFunction0<Future<Object>> {
  private final ActorSystem system;

  public ReadyCheck(ActorSystem system) {
    this.system = system;
  }

  @Override
  public Future<Object> apply() {
    Promise<Object> answer = Promise.apply();
    NodeHealth.get(system).whyNotReady().whenComplete((why, error) -> {
      if (error != null) {
        answer.failure(error instanceof CompletionException && error.getCause() != null ? error.getCause() : error);
      } else if (why.isPresent()) {
        answer.failure(new NotReady(why.get()));
      } else {
        answer.success(Boolean.TRUE);
      }
    });
    return answer.future();
  }

  /** The node is not ready, and why (the message is what {@code /ready} shows). */
  static final class NotReady extends RuntimeException {
    NotReady(String why) {
      super(why, null, false, false);
    }
  }
}
