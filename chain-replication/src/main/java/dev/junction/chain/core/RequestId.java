package dev.junction.chain.core;

/**
 * Names one client request: the client's id and its request number. A retried write carries the same
 * id, so the chain applies it at most once.
 */
public record RequestId(String clientId, long requestId) {}
