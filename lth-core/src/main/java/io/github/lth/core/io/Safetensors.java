package io.github.lth.core.io;

import com.google.common.collect.ImmutableMap;
import com.google.common.io.ByteStreams;
import com.google.gson.stream.JsonReader;
import com.google.gson.stream.JsonToken;
import com.google.gson.stream.JsonWriter;
import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.StringReader;
import java.io.StringWriter;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The safetensors format: an 8-byte little-endian header length, a JSON header mapping each
 * name to its dtype, shape and byte range, then the little-endian C-order data of all tensors
 * with no gaps. Tensors are visited in data order, which is the order they were written in.
 */
final class Safetensors {
  /** Header room is a multiple of 8 so that the data that follows is 8-byte aligned. */
  private static final int ALIGN = 8;
  /** The reference implementation refuses headers above 100 MB. */
  private static final long MAX_HEADER = 100_000_000L;
  private static final String METADATA = "__metadata__";

  private static final Map<String, Dtype> DTYPES = ImmutableMap.<String, Dtype>builder()
      .put("BOOL", Dtype.BOOL)
      .put("U8", le('u', 1)).put("I8", le('i', 1))
      .put("U16", le('u', 2)).put("I16", le('i', 2))
      .put("U32", le('u', 4)).put("I32", le('i', 4))
      .put("U64", le('u', 8)).put("I64", le('i', 8))
      .put("F16", le('f', 2)).put("BF16", Dtype.BFLOAT16)
      .put("F32", Dtype.FLOAT32).put("F64", le('f', 8))
      .buildOrThrow();

  private Safetensors() {}

  private static Dtype le(char kind, int size) {
    return new Dtype(ByteOrder.LITTLE_ENDIAN, kind, size, (size == 1 ? "|" : "<") + kind + size);
  }

  record Tensor(String name, Dtype dtype, long[] shape, long begin, long end) {
    /** The name as a message repeats it. */
    String shown() {
      return Errors.shown(name);
    }
  }

  static void write(OutputStream out, List<Npz.Entry> entries) throws IOException {
    StringWriter json = new StringWriter();
    try (JsonWriter w = new JsonWriter(json)) {
      w.beginObject();
      w.name(METADATA).beginObject().name("format").value("pt").endObject();
      long offset = 0;
      for (Npz.Entry e : entries) {
        w.name(e.key()).beginObject();
        w.name("dtype").value(e.dtype().equals(Dtype.BOOL) ? "BOOL" : "F32");
        w.name("shape").beginArray();
        for (long d : e.shape()) {
          w.value(d);
        }
        w.endArray();
        w.name("data_offsets").beginArray().value(offset).value(offset + e.dataBytes())
            .endArray();
        w.endObject();
        offset += e.dataBytes();
      }
      w.endObject();
    }
    byte[] header = json.toString().getBytes(StandardCharsets.UTF_8);
    int padded = (header.length + ALIGN - 1) / ALIGN * ALIGN;
    ByteBuffer prefix = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putLong(padded);
    out.write(prefix.array());
    out.write(header);
    for (int i = header.length; i < padded; i++) {
      out.write(' ');
    }
    for (Npz.Entry e : entries) {
      e.data().writeTo((b, n) -> out.write(b, 0, n));
    }
  }

  /** Where the tensors of a safetensors file are: data order, byte ranges from {@code dataStart}. */
  record Layout(List<Tensor> tensors, long dataStart) {}

  /**
   * Reads and checks the header of {@code file}: every tensor's dtype, shape and byte range,
   * the data covered without gaps and the file exactly as long as the header says.
   *
   * @throws IOException one line, starting {@code cannot read FILE:}
   */
  static Layout layout(Path file) throws IOException {
    Npz.checkReadable(file);
    long fileSize = Files.size(file);
    try (InputStream in = Files.newInputStream(file)) {
      byte[] prefix = in.readNBytes(8);
      if (prefix.length < 8) {
        throw Npz.fail(file, "not a safetensors file (shorter than its 8-byte header length)");
      }
      long headerLength = ByteBuffer.wrap(prefix).order(ByteOrder.LITTLE_ENDIAN).getLong();
      if (headerLength < 2 || headerLength > MAX_HEADER) {
        throw Npz.fail(file, "not a safetensors file (header length " + headerLength + ")");
      }
      if (8 + headerLength > fileSize) {
        throw Npz.fail(file, "truncated safetensors file: header of " + headerLength
            + " bytes, file of " + fileSize);
      }
      byte[] header = in.readNBytes((int) headerLength);
      List<Tensor> tensors = parseHeader(file, new String(header, StandardCharsets.UTF_8));
      long dataBytes = tensors.isEmpty() ? 0 : tensors.get(tensors.size() - 1).end();
      long available = fileSize - 8 - headerLength;
      if (available < dataBytes) {
        throw Npz.fail(file, "truncated safetensors file: the header promises " + dataBytes
            + " bytes of data, the file holds " + available);
      }
      if (available > dataBytes) {
        throw Npz.fail(file, "corrupt safetensors file: " + (available - dataBytes)
            + " bytes after the data the header describes");
      }
      return new Layout(tensors, 8 + headerLength);
    } catch (IOException e) {
      if (e.getMessage() != null && e.getMessage().startsWith("cannot read ")) {
        throw e;
      }
      throw Npz.fail(file, Errors.describe(e), e);
    }
  }

  static void read(Path file, Npz.ArrayConsumer consumer) throws IOException {
    Layout layout = layout(file);
    try (InputStream in = new BufferedInputStream(Files.newInputStream(file), ArrayData.CHUNK)) {
      in.skipNBytes(layout.dataStart());
      for (Tensor t : layout.tensors()) {
        try {
          consumer.accept(t.name(), new NpyHeader(t.dtype(), false, t.shape()),
              ByteStreams.limit(in, t.end() - t.begin()));
        } catch (NpyFormatException e) {
          throw Npz.fail(file, "key '" + t.shown() + "' " + e.getMessage(), e);
        } catch (IllegalArgumentException e) {
          throw Npz.fail(file, "key '" + t.shown() + "': " + Errors.oneLine(
              String.valueOf(e.getMessage())), e);
        }
      }
    } catch (IOException e) {
      if (e.getMessage() != null && e.getMessage().startsWith("cannot read ")) {
        throw e;
      }
      throw Npz.fail(file, Errors.describe(e), e);
    }
  }

  private static List<Tensor> parseHeader(Path file, String json) throws IOException {
    List<Tensor> tensors = new ArrayList<>();
    Set<String> names = new HashSet<>();
    try (JsonReader r = new JsonReader(new StringReader(json))) {
      r.beginObject();
      while (r.hasNext()) {
        String name = r.nextName();
        if (name.isEmpty()) {
          throw Npz.fail(file, "a tensor has an empty name");
        }
        if (!names.add(name)) {
          throw Npz.fail(file, "key '" + Errors.shown(name) + "' appears twice");
        }
        if (name.equals(METADATA)) {
          r.skipValue();
          continue;
        }
        tensors.add(tensor(file, name, r));
      }
      r.endObject();
      if (r.peek() != JsonToken.END_DOCUMENT) {
        throw Npz.fail(file, "bad safetensors header: text after the JSON object");
      }
    } catch (IllegalStateException | NumberFormatException | IOException e) {
      if (e.getMessage() != null && e.getMessage().startsWith("cannot read ")) {
        throw (IOException) e;
      }
      throw Npz.fail(file, "bad safetensors header: " + Errors.gson(e), e);
    }
    tensors.sort(Comparator.comparingLong(Tensor::begin));
    long expected = 0;
    for (Tensor t : tensors) {
      if (t.begin() != expected) {
        throw Npz.fail(file, "key '" + t.shown() + "' starts at data byte " + t.begin()
            + ", expected " + expected + " (tensors must cover the data without gaps)");
      }
      expected = t.end();
    }
    return tensors;
  }

  private static Tensor tensor(Path file, String name, JsonReader r) throws IOException {
    String key = "key '" + Errors.shown(name) + "'";
    String dtype = null;
    List<Long> shape = null;
    long[] offsets = null;
    r.beginObject();
    while (r.hasNext()) {
      switch (r.nextName()) {
        case "dtype" -> dtype = r.nextString();
        case "shape" -> shape = longs(r);
        case "data_offsets" -> {
          List<Long> o = longs(r);
          offsets = o.size() == 2 ? new long[] {o.get(0), o.get(1)} : null;
        }
        default -> r.skipValue();
      }
    }
    r.endObject();
    if (dtype == null || shape == null || offsets == null) {
      throw Npz.fail(file, key + " lacks dtype, shape or a [begin, end] data_offsets");
    }
    Dtype t = DTYPES.get(dtype);
    if (t == null) {
      throw Npz.fail(file, key + " has unsupported safetensors dtype " + Errors.shown(dtype));
    }
    long[] dims = shape.stream().mapToLong(Long::longValue).toArray();
    if (Arrays.stream(dims).anyMatch(d -> d < 0)) {
      throw Npz.fail(file, key + " has a negative dimension in its shape "
          + NpyHeader.pyRepr(shape));
    }
    NpyHeader h = new NpyHeader(t, false, dims);
    long bytes;
    try {
      bytes = h.dataBytes();
    } catch (NpyFormatException e) {
      throw Npz.fail(file, key + " " + e.getMessage());
    }
    if (offsets[0] < 0 || offsets[1] - offsets[0] != bytes) {
      throw Npz.fail(file, key + " has data_offsets [" + offsets[0] + ", "
          + offsets[1] + "] but its shape " + NpyHeader.pyRepr(shape) + " of " + dtype
          + " needs " + bytes + " bytes");
    }
    return new Tensor(name, t, dims, offsets[0], offsets[1]);
  }

  private static List<Long> longs(JsonReader r) throws IOException {
    List<Long> out = new ArrayList<>();
    r.beginArray();
    while (r.hasNext()) {
      out.add(r.nextLong());
    }
    r.endArray();
    return out;
  }
}
