package dev.junction.admin;

import dev.junction.client.CasResult;
import dev.junction.client.Entry;
import dev.junction.client.JunctionClient;
import java.util.List;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * {@code junctionctl cas KEY EXPECTED NEW} or {@code junctionctl cas --expect-absent KEY NEW}:
 * compare-and-set; exit code 1 when not applied.
 */
@Command(
    name = "cas",
    mixinStandardHelpOptions = true,
    description = {
      "Compare-and-set: sets KEY to NEW if it holds EXPECTED.",
      "With --expect-absent: sets KEY to NEW if it is absent. Atomic.",
      "Prints 'applied seq=N', or 'not applied' with the current value and exits with 1."
    })
final class CasCommand extends ClientCommand {
  @Option(names = "--expect-absent", description = "Apply only if KEY is absent; then give KEY NEW only.")
  private boolean expectAbsent;

  @Parameters(
      arity = "2..3",
      paramLabel = "KEY [EXPECTED] NEW",
      description = "KEY EXPECTED NEW, or KEY NEW with --expect-absent.")
  private List<String> args;

  @Override
  int run(JunctionClient client, Codec codec) {
    checkArity();
    byte[] key = parse(codec, args.get(0), "KEY");
    byte[] expected = expectAbsent ? null : parse(codec, args.get(1), "EXPECTED");
    byte[] newValue = parse(codec, args.get(args.size() - 1), "NEW");
    CasResult result = client.compareAndSet(key, expected, newValue);
    if (result.applied()) {
      out().println("applied seq=" + result.current().map(Entry::seq).orElse(0L));
      return 0;
    }
    out().println(
        result.current()
            .map(e -> "not applied, current value: " + codec.format(e.value()) + " (seq=" + e.seq() + ")")
            .orElse("not applied, key is absent"));
    return JunctionCtl.EXIT_FAILED;
  }

  private void checkArity() {
    if (expectAbsent && args.size() != 2) {
      throw new IllegalArgumentException(
          "with --expect-absent give KEY NEW (2 arguments), got " + args.size());
    }
    if (!expectAbsent && args.size() != 3) {
      throw new IllegalArgumentException(
          "give KEY EXPECTED NEW (3 arguments), or --expect-absent KEY NEW; got " + args.size());
    }
  }
}
