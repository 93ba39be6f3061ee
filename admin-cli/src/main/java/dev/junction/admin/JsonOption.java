package dev.junction.admin;

import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.MessageOrBuilder;
import com.google.protobuf.util.JsonFormat;
import java.io.PrintWriter;
import picocli.CommandLine.Option;

/** {@code --json} of the commands that only read: the Admin API's answer in the proto3 JSON mapping. */
final class JsonOption {
  @Option(
      names = "--json",
      description = "Print the answer as JSON (the proto3 JSON mapping of the Admin API's answer: field"
          + " names in lowerCamelCase, 64-bit numbers and bytes as strings, bytes in base64) instead of text.")
  boolean json;

  private static final JsonFormat.Printer PRINTER = JsonFormat.printer().alwaysPrintFieldsWithNoPresence();

  /** Prints {@code answer} as JSON and returns true when {@code --json} was given; else does nothing. */
  boolean print(PrintWriter out, MessageOrBuilder answer) {
    if (!json) {
      return false;
    }
    try {
      out.println(PRINTER.print(answer));
    } catch (InvalidProtocolBufferException e) {
      throw new IllegalStateException("cannot print " + answer.getClass().getSimpleName() + " as JSON", e);
    }
    return true;
  }
}
