package io.github.lth.core.io;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/** Runs python3 for the numpy cross-checks and finds the repository's scripts. */
final class Python {
  private Python() {}

  record Result(int exitCode, String output) {}

  static Result run(String... args) throws InterruptedException {
    List<String> cmd = new ArrayList<>(List.of("python3"));
    cmd.addAll(List.of(args));
    try {
      Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
      String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
      if (!p.waitFor(60, TimeUnit.SECONDS)) {
        p.destroyForcibly();
        return new Result(-1, out);
      }
      return new Result(p.exitValue(), out);
    } catch (IOException e) {
      return new Result(-1, e.toString());
    }
  }

  /** A file of the repository's scripts/ directory, looked up from the module directory. */
  static Path script(String name) {
    for (Path d = Path.of("").toAbsolutePath(); d != null; d = d.getParent()) {
      Path f = d.resolve("scripts").resolve(name);
      if (Files.isRegularFile(f)) {
        return f;
      }
    }
    throw new IllegalStateException("scripts/" + name + " not found above "
        + Path.of("").toAbsolutePath());
  }
}
