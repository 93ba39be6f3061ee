package dev.junction.node;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.jar.JarEntry;
import java.util.jar.JarOutputStream;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * What {@code bin/junction} does for class data sharing, on this build's classes: {@code
 * class-archive-training} run with {@code -XX:ArchiveClassesAtExit} in a JVM of its own ends well and
 * leaves an archive, and a second JVM with {@code -Xshare:on} (which refuses to start when the archive
 * cannot be used, where the script's default only warns) starts from it. The class path is jars only, as
 * the script's is: the JVM of Java 17 records no archive for a class path with a non-empty folder, so the
 * test packs the folders of its own class path (this module's classes) into jars first.
 */
class ClassArchiveTrainingTest {
  @TempDir Path dir;

  @Test
  void trainingRecordsAnArchiveThatAJvmStartsFrom() throws Exception {
    String classPath = jarsOnly(System.getProperty("java.class.path"));
    Path archive = dir.resolve("junction-classes.jsa");

    Result training = java(List.of("-XX:ArchiveClassesAtExit=" + archive, "-Xlog:cds=off", "-Xlog:cds+dynamic=off"),
        classPath, "class-archive-training", "--duration", "2s");
    assertEquals(0, training.exit, training.output);
    assertTrue(training.output.matches("(?s).*class-archive-training: [0-9,]+ operations \\(0 failed\\).*"),
        training.output);
    assertTrue(Files.size(archive) > 1 << 20, "archive of " + Files.size(archive) + " bytes");
    try (Stream<Path> left = Files.list(Path.of(System.getProperty("java.io.tmpdir")))) {
      // The training's data folder is gone (a name of its own; other tests' folders are not ours to judge).
      assertTrue(left.noneMatch(p -> p.getFileName().toString().startsWith("junction-class-archive-training")
          && p.toFile().lastModified() >= training.startedMillis));
    }

    Result version = java(List.of("-Xshare:on", "-XX:SharedArchiveFile=" + archive, "-Xlog:class+load=info"),
        classPath, "--version");
    assertEquals(0, version.exit, version.output);
    assertTrue(version.output.contains("junction 0.1.0"), version.output);
    // Junction's own classes came from the archive, not from the class path.
    assertTrue(version.output.matches("(?s).*dev\\.junction\\.node\\.Junction source: shared objects file.*"),
        version.output.lines().filter(l -> l.contains("dev.junction")).findFirst().orElse(version.output));
  }

  private record Result(int exit, String output, long startedMillis) {}

  private Result java(List<String> options, String classPath, String... args) throws Exception {
    List<String> command = new ArrayList<>();
    command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    command.add("--add-opens=java.base/java.nio=ALL-UNNAMED");
    command.add("--add-opens=java.base/sun.nio.ch=ALL-UNNAMED");
    command.addAll(options);
    command.add("-cp");
    command.add(classPath);
    command.add(Junction.class.getName());
    command.addAll(List.of(args));
    Path out = Files.createTempFile(dir, "java", ".out");
    long started = System.currentTimeMillis() - 1000;
    Process p = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(out.toFile()).start();
    if (!p.waitFor(120, TimeUnit.SECONDS)) {
      p.destroyForcibly();
      throw new AssertionError("no exit within 120 s: " + command + "\n" + Files.readString(out));
    }
    return new Result(p.exitValue(), Files.readString(out, StandardCharsets.UTF_8), started);
  }

  /** The class path with each folder (this module's classes, test classes) replaced by a jar of it. */
  private String jarsOnly(String classPath) throws IOException {
    List<String> out = new ArrayList<>();
    int n = 0;
    for (String entry : classPath.split(File.pathSeparator)) {
      Path p = Path.of(entry);
      if (!Files.isDirectory(p)) {
        out.add(entry);
        continue;
      }
      Path jar = dir.resolve("folder-" + n++ + ".jar");
      try (JarOutputStream j = new JarOutputStream(Files.newOutputStream(jar));
          Stream<Path> files = Files.walk(p)) {
        for (Path f : (Iterable<Path>) files.filter(Files::isRegularFile).sorted()::iterator) {
          j.putNextEntry(new JarEntry(p.relativize(f).toString().replace(File.separatorChar, '/')));
          Files.copy(f, j);
          j.closeEntry();
        }
      }
      out.add(jar.toString());
    }
    return String.join(File.pathSeparator, out);
  }
}
