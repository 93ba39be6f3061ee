package dev.junction.chain.serialization;

/**
 * A Junction message could not be written or read by {@link KryoSerializer}. The message names the
 * message class (or says that it could not be read) and carries Kryo's own explanation, which includes
 * the path of fields down to the value that failed.
 */
public final class JunctionSerializationException extends IllegalArgumentException {
  private static final long serialVersionUID = 1L;

  private final String messageClass;

  JunctionSerializationException(String messageClass, String message, Throwable cause) {
    super(message, cause);
    this.messageClass = messageClass;
  }

  /** The name of the message's class, or null when the bytes did not even name a known class. */
  public String messageClass() {
    return messageClass;
  }
}
