package dev.junction.admin;

import dev.junction.client.Entry;
import dev.junction.client.JunctionClient;
import java.util.Optional;
import picocli.CommandLine.Command;
import picocli.CommandLine.Parameters;

/** {@code junctionctl get KEY}: prints the value, or "not found" on stderr with exit code 1. */
@Command(
    name = "get",
    mixinStandardHelpOptions = true,
    description = {
      "Prints the value of KEY.",
      "Exits with 1 and prints \"not found\" on stderr if KEY is absent."
    })
final class GetCommand extends ClientCommand {
  @Parameters(index = "0", paramLabel = "KEY", description = "The key.")
  private String key;

  @Override
  int run(JunctionClient client, Codec codec) {
    Optional<Entry> entry = client.get(parse(codec, key, "KEY"));
    if (entry.isEmpty()) {
      err().println("not found");
      err().flush();
      return JunctionCtl.EXIT_FAILED;
    }
    out().println(codec.format(entry.get().value()));
    return 0;
  }
}
