package dev.junction.client;

import dev.junction.client.fake.FakeKv;
import dev.junction.client.fake.FakeServer;
import dev.junction.client.fake.FakeStore;
import io.grpc.ManagedChannel;
import io.grpc.inprocess.InProcessChannelBuilder;
import io.grpc.inprocess.InProcessServerBuilder;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.function.UnaryOperator;

/** Several in-process fake endpoints sharing one {@link FakeStore}, and clients of them. */
final class InProcessCluster implements AutoCloseable {
  private final FakeStore store = new FakeStore();
  private final List<FakeServer> servers = new ArrayList<>();
  private final List<ManagedChannel> channels = new ArrayList<>();
  private final List<JunctionClient> clients = new ArrayList<>();

  /** Starts {@code endpoints} in-process endpoints. */
  InProcessCluster(int endpoints) {
    for (int i = 0; i < endpoints; i++) {
      String name = InProcessServerBuilder.generateName();
      servers.add(FakeServer.start(InProcessServerBuilder.forName(name), store));
      channels.add(InProcessChannelBuilder.forName(name).build());
    }
  }

  FakeStore store() {
    return store;
  }

  FakeKv kv(int endpoint) {
    return servers.get(endpoint).kv();
  }

  FakeServer server(int endpoint) {
    return servers.get(endpoint);
  }

  /** A client of all endpoints, in order, with a 5 s deadline. */
  JunctionClient client() {
    return client(b -> b);
  }

  /** A client of all endpoints, in order, with the builder adjusted by {@code options}. */
  JunctionClient client(UnaryOperator<JunctionClient.Builder> options) {
    JunctionClient client = options.apply(JunctionClient.builder().channels(channels)).build();
    clients.add(client);
    return client;
  }

  /** A client with a short deadline, for calls that are never answered. */
  JunctionClient impatientClient() {
    return client(b -> b.deadline(Duration.ofMillis(300)));
  }

  @Override
  public void close() {
    clients.forEach(JunctionClient::close);
    channels.forEach(ManagedChannel::shutdownNow);
    servers.forEach(FakeServer::close);
  }
}
