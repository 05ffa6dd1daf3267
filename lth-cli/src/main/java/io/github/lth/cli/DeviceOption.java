package io.github.lth.cli;

import picocli.CommandLine.Option;

/**
 * The {@code --device} flag of the commands that train, as a picocli mixin.
 *
 * <pre>{@code
 * @Mixin DeviceOption device;   // then Devices.parse(device.device)
 * }</pre>
 */
final class DeviceOption {
  @Option(names = "--device", defaultValue = "auto", paramLabel = "auto|cpu|gpu",
      description = "Where to train: a GPU if DJL finds one (auto), the CPU, or a GPU (gpu, gpu:N)."
          + " Default: ${DEFAULT-VALUE}.")
  String device;
}
