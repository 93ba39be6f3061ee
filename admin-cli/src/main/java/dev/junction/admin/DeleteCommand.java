package dev.junction.admin;

import dev.junction.client.JunctionClient;
import picocli.CommandLine.Command;
import picocli.CommandLine.Parameters;

/** {@code junctionctl delete KEY}: removes a key; prints the delete's sequence number. */
@Command(
    name = "delete",
    mixinStandardHelpOptions = true,
    description = {
      "Removes KEY.",
      "Prints the sequence number the delete got: ok seq=N. Removing an absent key is not an error."
    })
final class DeleteCommand extends ClientCommand {
  @Parameters(index = "0", paramLabel = "KEY", description = "The key.")
  private String key;

  @Override
  int run(JunctionClient client, Codec codec) {
    out().println("ok seq=" + client.delete(parse(codec, key, "KEY")));
    return 0;
  }
}
