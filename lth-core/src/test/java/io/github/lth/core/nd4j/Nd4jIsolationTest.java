package io.github.lth.core.nd4j;

import static org.assertj.core.api.Assertions.assertThat;

import io.github.lth.core.Mask;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URISyntaxException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * ND4J is optional in lth-core: a user without it must be able to use everything but this
 * package. A class refers to another through its constant pool, where the name appears as
 * {@code org/nd4j/...}; so no compiled class outside this package may hold that string.
 */
class Nd4jIsolationTest {

  @Test
  void noClassOutsideTheNd4jPackageRefersToNd4j() throws IOException, URISyntaxException {
    Path classes = Path.of(Mask.class.getProtectionDomain().getCodeSource().getLocation().toURI());
    Path own = classes.resolve("io/github/lth/core/nd4j");
    byte[] nd4j = "org/nd4j/".getBytes(StandardCharsets.UTF_8);
    List<Path> all;
    try (Stream<Path> files = Files.walk(classes)) {
      all = files.filter(p -> p.toString().endsWith(".class")).toList();
    }
    List<String> offenders = all.stream()
        .filter(p -> !p.startsWith(own))
        .filter(p -> contains(read(p), nd4j))
        .map(p -> classes.relativize(p).toString())
        .toList();
    assertThat(all).hasSizeGreaterThan(100);  // the main classes really were scanned
    assertThat(all.stream().filter(p -> p.startsWith(own) && contains(read(p), nd4j)))
        .isNotEmpty();  // and the check does see a reference where there is one
    assertThat(offenders).isEmpty();
  }

  private static byte[] read(Path p) {
    try {
      return Files.readAllBytes(p);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private static boolean contains(byte[] haystack, byte[] needle) {
    outer:
    for (int i = 0; i + needle.length <= haystack.length; i++) {
      for (int j = 0; j < needle.length; j++) {
        if (haystack[i + j] != needle[j]) {
          continue outer;
        }
      }
      return true;
    }
    return false;
  }
}
