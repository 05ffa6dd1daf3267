package io.github.lth.djl;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ai.djl.Device;
import ai.djl.engine.Engine;
import org.junit.jupiter.api.Test;

class DevicesTest {

  @Test
  void cpuAndAutoWithoutGpu() {
    assertThat(Engine.getInstance().getGpuCount()).isZero();
    assertThat(Devices.parse("cpu")).isEqualTo(Device.cpu());
    assertThat(Devices.parse("auto")).isEqualTo(Device.cpu());
    assertThat(Devices.parse(" CPU ")).isEqualTo(Device.cpu());
  }

  @Test
  void gpuWithoutGpuIsRefused() {
    assertThatThrownBy(() -> Devices.parse("gpu")).isInstanceOf(IllegalArgumentException.class)
        .hasMessage("device: no GPU found for 'gpu' (DJL sees 0 CUDA devices); use cpu or auto");
    assertThatThrownBy(() -> Devices.parse("gpu:1"))
        .hasMessage("device: no GPU found for 'gpu:1' (DJL sees 0 CUDA devices); use cpu or auto");
  }

  @Test
  void unknownDevice() {
    assertThatThrownBy(() -> Devices.parse("tpu")).isInstanceOf(IllegalArgumentException.class)
        .hasMessage("device: unknown device 'tpu' (use auto, cpu or gpu)");
    assertThatThrownBy(() -> Devices.parse("gpu:x"))
        .hasMessage("device: unknown device 'gpu:x' (use auto, cpu or gpu)");
  }
}
