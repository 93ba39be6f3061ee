package dev.junction.bench;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.stream.Stream;

/**
 * Where a run keeps its environments: a fresh temporary directory (normally under {@code bench/target/},
 * see {@link #temporaryBase}) that is deleted at the end, or a directory the user named, which must be
 * empty or missing and of which only what the run created is deleted.
 */
final class RunDirectory {
  private final Path path;
  private final boolean temporary;
  private final List<Path> created = new ArrayList<>();

  private RunDirectory(Path path, boolean temporary) {
    this.path = path;
    this.temporary = temporary;
  }

  /** @param dir the directory the user named, or null for a fresh temporary one */
  static RunDirectory create(Path dir) throws IOException {
    if (dir == null) {
      return new RunDirectory(Files.createTempDirectory(temporaryBase(), "store-bench-"), true);
    }
    Files.createDirectories(dir);
    try (Stream<Path> entries = Files.list(dir)) {
      if (entries.findAny().isPresent()) {
        throw new IllegalArgumentException("--dir " + dir + " is not empty");
      }
    }
    return new RunDirectory(dir, false);
  }

  /**
   * Where temporary run directories go: {@code store-bench.tmp} (set by {@code bench/store-bench.sh} to
   * {@code bench/target}), else {@code bench/target} under the working directory if it exists, else the
   * system's temporary directory.
   */
  private static Path temporaryBase() throws IOException {
    String configured = System.getProperty("store-bench.tmp");
    if (configured != null) {
      return Files.createDirectories(Path.of(configured));
    }
    Path target = Path.of("bench", "target");
    return Files.isDirectory(target) ? target : Path.of(System.getProperty("java.io.tmpdir"));
  }

  Path path() {
    return path;
  }

  /** For the output: where the data is and what happens to it. */
  String describe() {
    return path + (temporary ? " (deleted at the end)" : " (what the run creates there is deleted at the end)");
  }

  /** A new sub-directory for one environment. */
  Path side(String name) throws IOException {
    Path p = Files.createDirectory(path.resolve(name));
    created.add(p);
    return p;
  }

  /** Deletes one sub-directory made by {@link #side} before the end of the run. */
  void deleteSide(Path side) throws IOException {
    if (!created.remove(side)) {
      throw new IllegalArgumentException(side + " was not created by this run");
    }
    deleteTree(side);
  }

  /** Deletes the temporary directory, or what this run created in the user's directory. */
  void delete() throws IOException {
    if (temporary) {
      deleteTree(path);
    } else {
      for (Path p : created) {
        deleteTree(p);
      }
    }
  }

  private static void deleteTree(Path root) throws IOException {
    if (!Files.exists(root)) {
      return;
    }
    List<Path> all;
    try (Stream<Path> walk = Files.walk(root)) {
      all = walk.sorted(Comparator.reverseOrder()).toList();
    }
    for (Path p : all) {
      Files.delete(p);
    }
  }
}
