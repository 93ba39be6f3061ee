package dev.junction.store;

import java.util.Optional;

/**
 * The outcome of {@link SsdStore#compareAndSet}.
 *
 * @param applied whether the new value was written
 * @param current the key's value after the call: the new value when applied, else what the key held
 */
public record CasResult(boolean applied, Optional<Versioned> current) {}
