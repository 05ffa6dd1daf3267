package io.github.lth.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * docs/RELIABILITY.md's tables name, on every row, the tests that prove it: each must exist as a
 * JUnit test method in one of the modules, so the catalogue cannot promise what no test checks.
 */
class ReliabilityCatalogueTest {
  private static final Path ROOT = Path.of("..").toAbsolutePath().normalize();
  private static final Pattern REFERENCE =
      Pattern.compile("`([A-Z][A-Za-z0-9]*)#([a-z][A-Za-z0-9]*)`");

  @Test
  void everyRowNamesTestsThatExist() throws IOException {
    List<String> rows = Files.readAllLines(ROOT.resolve("docs/RELIABILITY.md")).stream()
        .filter(l -> l.startsWith("| ") && !l.startsWith("| Failure |")
            && !l.startsWith("| Reader |") && !l.startsWith("| Check |"))
        .toList();
    assertThat(rows).hasSizeGreaterThan(25);
    List<String> checked = new ArrayList<>();
    for (String row : rows) {
      Matcher m = REFERENCE.matcher(row);
      boolean any = false;
      while (m.find()) {
        any = true;
        Path source = testSource(m.group(1));
        String text = Files.readString(source);
        Pattern method = Pattern.compile("@Test\\s+(?:@\\w+(?:\\([^)]*\\))?\\s+)*void "
            + Pattern.quote(m.group(2)) + "\\(");
        Matcher declaration = method.matcher(text);
        assertThat(declaration.find())
            .as("%s has a @Test method %s (row: %s)", source, m.group(2), row).isTrue();
        assertThat(declaration.group()).as("%s#%s runs", source, m.group(2))
            .doesNotContain("@Disabled");
        checked.add(m.group(1) + "#" + m.group(2));
      }
      assertThat(any).as("row names its test: %s", row).isTrue();
    }
    assertThat(checked).contains(
        "CrashResumeTest#killedAnywhereAndResumedEndsByteIdenticalToAnUninterruptedRun",
        "NativeMemorySoakTest#thirtyRoundsKeepArrayCountsAndResidentMemoryFlat");
  }

  /** The one test source of that class name in any module. */
  private static Path testSource(String className) throws IOException {
    List<Path> found;
    try (Stream<Path> walk = Files.walk(ROOT, 12)) {
      found = walk.filter(p -> p.getFileName().toString().equals(className + ".java"))
          .filter(p -> p.toString().contains("/src/test/java/"))
          .filter(p -> !p.toString().contains("/target/"))
          .toList();
    }
    assertThat(found).as("test class %s", className).hasSize(1);
    return found.get(0);
  }
}
