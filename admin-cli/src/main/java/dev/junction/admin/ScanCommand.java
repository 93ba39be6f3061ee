package dev.junction.admin;

import dev.junction.client.Entry;
import dev.junction.client.JunctionClient;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code junctionctl scan FROM TO [--limit N]}: prints {@code key<TAB>value} lines in key order. */
@Command(
    name = "scan",
    mixinStandardHelpOptions = true,
    description = {
      "Prints the entries of [FROM, TO) in key order.",
      "One 'key<TAB>value' line per entry.",
      "Use \"\" for an open bound: scan \"\" \"\" lists from the first key to the last.",
      "A scan over several ranges is not one atomic snapshot."
    })
final class ScanCommand extends ClientCommand {
  @Parameters(
      index = "0",
      paramLabel = "FROM",
      description = "First key, inclusive (\"\" = from the first key).")
  private String from;

  @Parameters(index = "1", paramLabel = "TO", description = "End, exclusive (\"\" = to the last key).")
  private String to;

  @Option(
      names = "--limit",
      paramLabel = "N",
      defaultValue = "1000",
      description = "At most N entries, 1 to 10000 (default: ${DEFAULT-VALUE}).")
  private int limit;

  @Override
  int run(JunctionClient client, Codec codec) {
    if (limit < 1) {
      throw new IllegalArgumentException("--limit must be at least 1, got " + limit);
    }
    for (Entry entry : client.scan(parse(codec, from, "FROM"), parse(codec, to, "TO"), limit)) {
      out().println(codec.format(entry.key()) + "\t" + codec.format(entry.value()));
    }
    return 0;
  }
}
