package io.github.lth.core.scale;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.zip.CRC32;
import java.util.zip.ZipEntry;
import java.util.zip.ZipOutputStream;

/**
 * Writes weights files in every dtype and container by hand (not through lth-core's writers,
 * which only write float32), so the readers are checked against bytes laid out independently.
 */
final class TestFiles {
  private TestFiles() {}

  /** A tensor as raw bit patterns: {@code bits[i]} holds the low {@code 8 * bytes} bits. */
  record Raw(String name, long[] shape, String dtype, long[] bits) {
    int itemSize() {
      return switch (dtype) {
        case "F16", "BF16" -> 2;
        case "F32" -> 4;
        default -> 8;
      };
    }

    String descr(ByteOrder order) {
      String o = order == ByteOrder.LITTLE_ENDIAN ? "<" : ">";
      return o + "f" + itemSize();
    }

    byte[] data(ByteOrder order) {
      ByteBuffer b = ByteBuffer.allocate(bits.length * itemSize()).order(order);
      for (long v : bits) {
        switch (itemSize()) {
          case 2 -> b.putShort((short) v);
          case 4 -> b.putInt((int) v);
          default -> b.putLong(v);
        }
      }
      return b.array();
    }
  }

  static void safetensors(Path file, List<Raw> tensors) throws IOException {
    StringBuilder json = new StringBuilder("{");
    long offset = 0;
    for (Raw t : tensors) {
      long bytes = (long) t.bits().length * t.itemSize();
      json.append(json.length() > 1 ? "," : "").append('"').append(t.name()).append("\":{")
          .append("\"dtype\":\"").append(t.dtype()).append("\",\"shape\":")
          .append(shapeJson(t.shape())).append(",\"data_offsets\":[").append(offset)
          .append(',').append(offset + bytes).append("]}");
      offset += bytes;
    }
    json.append('}');
    byte[] header = json.toString().getBytes(StandardCharsets.UTF_8);
    try (OutputStream out = Files.newOutputStream(file)) {
      out.write(ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putLong(header.length)
          .array());
      out.write(header);
      for (Raw t : tensors) {
        out.write(t.data(ByteOrder.LITTLE_ENDIAN));
      }
    }
  }

  static byte[] npy(Raw t, ByteOrder order) {
    String dict = "{'descr': '" + t.descr(order) + "', 'fortran_order': False, 'shape': "
        + shapePy(t.shape()) + ", }";
    int len = dict.length() + 1;
    int total = (10 + len + 63) / 64 * 64;
    StringBuilder h = new StringBuilder(dict);
    while (10 + h.length() + 1 < total) {
      h.append(' ');
    }
    h.append('\n');
    ByteBuffer b = ByteBuffer.allocate(10).order(ByteOrder.LITTLE_ENDIAN);
    b.put((byte) 0x93).put("NUMPY".getBytes(StandardCharsets.ISO_8859_1)).put((byte) 1)
        .put((byte) 0).putShort((short) h.length());
    byte[] data = t.data(order);
    byte[] head = h.toString().getBytes(StandardCharsets.ISO_8859_1);
    byte[] out = new byte[10 + head.length + data.length];
    System.arraycopy(b.array(), 0, out, 0, 10);
    System.arraycopy(head, 0, out, 10, head.length);
    System.arraycopy(data, 0, out, 10 + head.length, data.length);
    return out;
  }

  static void npz(Path file, List<Raw> tensors, ByteOrder order, boolean deflate)
      throws IOException {
    try (ZipOutputStream zip = new ZipOutputStream(Files.newOutputStream(file))) {
      for (Raw t : tensors) {
        byte[] bytes = npy(t, order);
        ZipEntry e = new ZipEntry(t.name() + ".npy");
        if (!deflate) {
          CRC32 crc = new CRC32();
          crc.update(bytes);
          e.setMethod(ZipEntry.STORED);
          e.setSize(bytes.length);
          e.setCompressedSize(bytes.length);
          e.setCrc(crc.getValue());
        }
        zip.putNextEntry(e);
        zip.write(bytes);
        zip.closeEntry();
      }
    }
  }

  private static String shapeJson(long[] shape) {
    StringBuilder b = new StringBuilder("[");
    for (int i = 0; i < shape.length; i++) {
      b.append(i > 0 ? "," : "").append(shape[i]);
    }
    return b.append(']').toString();
  }

  private static String shapePy(long[] shape) {
    StringBuilder b = new StringBuilder("(");
    for (long d : shape) {
      b.append(d).append(", ");
    }
    String s = b.toString();
    if (shape.length > 1) {
      s = s.substring(0, s.length() - 2);
    } else if (shape.length == 1) {
      s = s.substring(0, s.length() - 1);
    }
    return s + ")";
  }
}
