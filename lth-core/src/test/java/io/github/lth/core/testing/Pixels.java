package io.github.lth.core.testing;

import java.awt.image.BufferedImage;

/**
 * Pixel counts of a rendered plot, for tests that check a colour was drawn.
 *
 * <pre>{@code
 * assertThat(Pixels.count(ImageIO.read(png), 0x1F77B4)).isPositive();
 * }</pre>
 */
public final class Pixels {
  private Pixels() {}

  /** How many pixels of {@code image} have the colour {@code rgb} (alpha ignored). */
  public static int count(BufferedImage image, int rgb) {
    int n = 0;
    for (int y = 0; y < image.getHeight(); y++) {
      for (int x = 0; x < image.getWidth(); x++) {
        n += (image.getRGB(x, y) & 0xFFFFFF) == rgb ? 1 : 0;
      }
    }
    return n;
  }
}
