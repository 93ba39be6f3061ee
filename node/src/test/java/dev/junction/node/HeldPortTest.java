package dev.junction.node;

import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import org.junit.jupiter.api.Test;

/** The ports a starting node holds until its servers bind them. */
class HeldPortTest {
  @Test
  void aPickedPortStaysTakenUntilLetGo() throws IOException {
    JunctionNode.HeldPort held = JunctionNode.HeldPort.hold("127.0.0.1", 0, "native");
    int port = held.port();
    assertTrue(port > 0);
    // Neither a server nor a connection's local end can take it meanwhile.
    try (ServerSocket other = new ServerSocket()) {
      assertThrows(IOException.class, () -> other.bind(new InetSocketAddress("127.0.0.1", port)));
    }
    try (Socket s = new Socket()) {
      assertThrows(IOException.class, () -> s.bind(new InetSocketAddress("127.0.0.1", port)));
    }
    held.close();
    held.close(); // again: nothing
    try (ServerSocket server = new ServerSocket()) {
      server.setReuseAddress(true);
      assertDoesNotThrow(() -> server.bind(new InetSocketAddress("127.0.0.1", port)));
    }
  }

  @Test
  void aBusyPortFailsNamingWhatWantedIt() throws IOException {
    try (ServerSocket busy = new ServerSocket(0, 1, java.net.InetAddress.getByName("127.0.0.1"))) {
      UncheckedIOException e = assertThrows(UncheckedIOException.class,
          () -> JunctionNode.HeldPort.hold("127.0.0.1", busy.getLocalPort(), "management"));
      assertTrue(e.getMessage().startsWith("management port 127.0.0.1:" + busy.getLocalPort() + " is not free"),
          e.getMessage());
    }
  }
}
