package io.github.lth.cli;

import java.io.IOException;
import java.io.InputStream;
import java.util.Properties;
import picocli.CommandLine.IVersionProvider;

/**
 * Reports the lth4j version the build wrote into {@code version.properties}, so {@code lth
 * --version} matches the pom whether the CLI runs from the jar or from the class directory.
 *
 * <pre>{@code
 * String[] lines = new VersionProvider().getVersion();   // {"lth 0.1.0-SNAPSHOT", "Java 17..."}
 * }</pre>
 */
public final class VersionProvider implements IVersionProvider {

  /** The lth4j version, or {@code unknown} when the resource is missing. */
  public static String version() {
    Properties p = new Properties();
    try (InputStream in = VersionProvider.class.getResourceAsStream("version.properties")) {
      if (in != null) {
        p.load(in);
      }
    } catch (IOException e) {
      return "unknown";
    }
    return p.getProperty("version", "unknown");
  }

  @Override
  public String[] getVersion() {
    return new String[] {
        "lth " + version(),
        "Java " + System.getProperty("java.version") + " (" + System.getProperty("java.vm.name")
            + ")",
    };
  }
}
