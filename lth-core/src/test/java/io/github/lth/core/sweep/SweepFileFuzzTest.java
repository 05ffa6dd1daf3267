package io.github.lth.core.sweep;

import static org.assertj.core.api.Assertions.assertThat;

import io.github.lth.core.testing.ReaderFuzzer;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Sweep files, JSON and YAML, fuzzed: a damaged file is read or refused with one line naming it,
 * and whatever is read lists its points without trusting a size from the file.
 */
class SweepFileFuzzTest {
  @TempDir Path dir;

  private static final String JSON = """
      {
        "command": "imp",
        "settings": {"data": "embedded", "model": "lenet300", "target-sparsity": 0.59,
                     "steps": 100, "classes": [5, 6, 7], "augment": false},
        "axes": {"seed": [0, 1, 2], "rewind": ["init", "step:20"], "lr": [0.001, 0.01]}
      }
      """;

  private static final String YAML = """
      command: imp
      settings:
        data: embedded
        model: lenet300
        target-sparsity: 0.59
        steps: 100
        classes: [5, 6, 7]
      axes:
        seed: [0, 1, 2]
        rewind: [init, "step:20"]
        lr: [0.001, 0.01]
      """;

  /** Reading is what a sweep does first; listing the points is what it does next. */
  private static void readAndList(Path f) throws IOException {
    SweepSpec spec = SweepSpec.read(f);
    if (spec.size() <= 10_000) {
      spec.points().forEach(SweepPoint::arguments);
    }
  }

  @Test
  void json() throws IOException {
    ReaderFuzzer.Report r = ReaderFuzzer.forReader("sweep-json", SweepFileFuzzTest::readAndList)
        .run(JSON.getBytes(StandardCharsets.UTF_8), dir.resolve("sweep.json"));
    assertThat(r.rejected()).isPositive();
  }

  @Test
  void yaml() throws IOException {
    ReaderFuzzer.Report r = ReaderFuzzer.forReader("sweep-yaml", SweepFileFuzzTest::readAndList)
        .run(YAML.getBytes(StandardCharsets.UTF_8), dir.resolve("sweep.yaml"));
    assertThat(r.rejected()).isPositive();
  }
}
