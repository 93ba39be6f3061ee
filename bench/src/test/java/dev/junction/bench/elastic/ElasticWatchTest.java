package dev.junction.bench.elastic;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Test;

class ElasticWatchTest {
  @Test
  void spreadIsTheLargestDistanceFromTheMeanAsAFraction() {
    assertEquals(0.5, ElasticWatch.spread(List.of(50.0, 100.0, 150.0)), 1e-9);
    assertEquals(0, ElasticWatch.spread(List.of(0.0, 0.0)), 1e-9);
    assertTrue(ElasticWatch.spread(List.of(90.0, 110.0)) <= ElasticWatch.TOLERANCE);
    assertTrue(Double.isNaN(ElasticWatch.spread(List.of())));
  }

  @Test
  void ycsbStatusLinesGiveTheThroughputOfAWindow() {
    List<double[]> status = ElasticWatch.status(List.of(
        "2026-12-04 10:00:01:000 1 sec: 100 operations; 100 current ops/sec; [READ: Count=50]",
        "2026-12-04 10:00:02:000 2 sec: 300 operations; 200.5 current ops/sec; [READ: Count=100]",
        "Loading workload...",
        "2026-12-04 10:00:03:000 3 sec: 600 operations; 300 current ops/sec; est completion in 1 minute"));
    assertEquals(3, status.size());
    assertEquals(200.5, status.get(1)[1], 1e-9);
    assertEquals((100 + 200.5) / 2, ElasticWatch.mean(status, 1, 3), 1e-9);
    assertEquals(0, ElasticWatch.mean(status, 10, 20), 1e-9);
  }
}
