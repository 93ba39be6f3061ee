package dev.junction.admin;

import dev.junction.client.JunctionClient;
import picocli.CommandLine.Command;
import picocli.CommandLine.Parameters;

/** {@code junctionctl put KEY VALUE}: sets a key; prints the write's sequence number. */
@Command(
    name = "put",
    mixinStandardHelpOptions = true,
    description = {"Sets KEY to VALUE.", "Prints the sequence number the write got: ok seq=N."})
final class PutCommand extends ClientCommand {
  @Parameters(index = "0", paramLabel = "KEY", description = "The key (1 B to 4 KiB).")
  private String key;

  @Parameters(index = "1", paramLabel = "VALUE", description = "The value (up to 1 MiB; may be \"\").")
  private String value;

  @Override
  int run(JunctionClient client, Codec codec) {
    long seq = client.put(parse(codec, key, "KEY"), parse(codec, value, "VALUE"));
    out().println("ok seq=" + seq);
    return 0;
  }
}
