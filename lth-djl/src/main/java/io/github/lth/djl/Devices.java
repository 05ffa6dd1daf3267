package io.github.lth.djl;

import ai.djl.Device;
import ai.djl.engine.Engine;
import java.util.Locale;

/**
 * Turns the {@code --device} flag into a DJL {@link Device}: {@code auto} (a GPU when DJL finds
 * one, else the CPU), {@code cpu}, {@code gpu} (the first GPU) or {@code gpu:N}.
 *
 * <pre>{@code
 * Device d = Devices.parse("auto");
 * DjlModel model = DjlModel.create(block, new Shape(1, 1, 28, 28), d, 42);
 * }</pre>
 */
public final class Devices {
  private Devices() {}

  /**
   * Parses a device spelling.
   *
   * @throws IllegalArgumentException if the spelling is unknown or the GPU asked for is absent
   */
  public static Device parse(String spec) {
    String s = spec == null ? "" : spec.trim().toLowerCase(Locale.ROOT);
    if (s.equals("auto")) {
      return Engine.getInstance().getGpuCount() > 0 ? Device.gpu() : Device.cpu();
    }
    if (s.equals("cpu")) {
      return Device.cpu();
    }
    if (s.equals("gpu") || s.matches("gpu:\\d{1,4}")) {
      int gpus = Engine.getInstance().getGpuCount();
      if (gpus == 0) {
        throw new IllegalArgumentException("device: no GPU found for '" + s
            + "' (DJL sees 0 CUDA devices); use cpu or auto");
      }
      int index = s.equals("gpu") ? 0 : Integer.parseInt(s.substring(4));
      if (index >= gpus) {
        throw new IllegalArgumentException("device: no such GPU '" + s + "' (DJL sees " + gpus
            + " CUDA device" + (gpus == 1 ? "" : "s") + ", numbered from 0)");
      }
      return Device.gpu(index);
    }
    throw new IllegalArgumentException(
        "device: unknown device '" + spec + "' (use auto, cpu or gpu)");
  }
}
