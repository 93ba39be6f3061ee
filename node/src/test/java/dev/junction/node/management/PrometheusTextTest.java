package dev.junction.node.management;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The tests' reader of Prometheus text: it must not pass what it cannot read. */
class PrometheusTextTest {
  @Test
  void samplesWithLabelsEscapesAndTimestampsAreRead() {
    String text = """
        # HELP junction_requests_seconds time of a call
        # TYPE junction_requests_seconds histogram
        junction_requests_seconds_count{op="Put",status="OK"} 40
        junction_requests_seconds_count{op="Put",status="UNAVAILABLE"} 2
        junction_requests_seconds_bucket{op="Get",le="+Inf"} 7.0 1700000000000
        junction_note{text="a \\"quoted\\" word, and a comma"} 1
        process_uptime_seconds 12.5
        """;
    List<PrometheusText.Sample> samples = PrometheusText.parse(text);
    assertEquals(5, samples.size());
    assertEquals(40, PrometheusText.sum(samples, "junction_requests_seconds_count", Map.of("op", "Put", "status", "OK")));
    assertEquals(42, PrometheusText.sum(samples, "junction_requests_seconds_count", Map.of("op", "Put")));
    assertEquals("a \"quoted\" word, and a comma", samples.get(3).labels().get("text"));
    assertEquals(12.5, samples.get(4).value());
    assertThrows(IllegalArgumentException.class, () -> PrometheusText.parse("junction_x{op=Put} 1"));
    assertThrows(IllegalArgumentException.class, () -> PrometheusText.parse("not a sample"));
  }
}
