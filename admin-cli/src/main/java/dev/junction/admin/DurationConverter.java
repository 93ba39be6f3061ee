package dev.junction.admin;

import java.time.Duration;
import java.time.format.DateTimeParseException;
import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import picocli.CommandLine.ITypeConverter;
import picocli.CommandLine.TypeConversionException;

/**
 * Reads a positive duration: a whole number with a unit ({@code 500ms}, {@code 5s}, {@code 2m},
 * {@code 1h}) or ISO-8601 ({@code PT5S}).
 */
final class DurationConverter implements ITypeConverter<Duration> {
  private static final Pattern NUMBER_AND_UNIT = Pattern.compile("(\\d+)(ms|s|m|h)");

  @Override
  public Duration convert(String text) {
    Duration duration = parse(text.trim().toLowerCase(Locale.ROOT));
    if (duration.isZero() || duration.isNegative()) {
      throw new TypeConversionException("'" + text + "' is not a positive duration");
    }
    return duration;
  }

  private static Duration parse(String text) {
    Matcher m = NUMBER_AND_UNIT.matcher(text);
    if (m.matches()) {
      long amount = Long.parseLong(m.group(1));
      return switch (m.group(2)) {
        case "ms" -> Duration.ofMillis(amount);
        case "s" -> Duration.ofSeconds(amount);
        case "m" -> Duration.ofMinutes(amount);
        default -> Duration.ofHours(amount);
      };
    }
    try {
      return Duration.parse(text.toUpperCase(Locale.ROOT));
    } catch (DateTimeParseException e) {
      throw new TypeConversionException("'" + text + "' is not a duration such as 500ms, 5s, 2m or PT5S");
    }
  }
}
