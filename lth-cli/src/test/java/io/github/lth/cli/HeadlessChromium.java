package io.github.lth.cli;

import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.WebSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;

/**
 * A headless Chromium driven over the DevTools protocol with nothing but the JDK: the browser
 * writes its port to {@code DevToolsActivePort} in a fresh profile directory, a
 * {@link java.net.http.WebSocket} talks to it. Every wait is bounded by one deadline, and
 * {@link #close} kills the browser and its helper processes whatever happened.
 *
 * <pre>{@code
 * try (HeadlessChromium browser =
 *     HeadlessChromium.start(chromium, profile, Duration.ofSeconds(60))) {
 *   browser.open(page.toUri());
 *   JsonElement title = browser.evaluate("document.title");
 * }
 * }</pre>
 */
final class HeadlessChromium implements AutoCloseable {
  private final Process process;
  private final Path log;
  private final long deadline;
  private final BlockingQueue<Object> inbox = new LinkedBlockingQueue<>();
  private final List<JsonObject> events = new ArrayList<>();
  private WebSocket socket;
  private String session;
  private int nextId = 1;

  private HeadlessChromium(Process process, Path log, long deadline) {
    this.process = process;
    this.log = log;
    this.deadline = deadline;
  }

  /**
   * Starts the browser with a fresh profile in {@code profile} and connects to it.
   *
   * @param timeout for everything this browser does until {@link #close}
   */
  static HeadlessChromium start(Path executable, Path profile, Duration timeout)
      throws IOException, InterruptedException {
    Files.createDirectories(profile);
    Path log = profile.resolveSibling(profile.getFileName() + ".log");
    // a fresh profile and no background services: nothing but the page may touch the network,
    // and the page itself is forbidden to by its Content-Security-Policy
    Process p = new ProcessBuilder(executable.toString(), "--headless", "--no-sandbox",
        "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
        "--disable-component-update", "--disable-sync", "--disable-extensions",
        "--disable-default-apps", "--disable-dev-shm-usage", "--window-size=1280,2000",
        "--user-data-dir=" + profile.toAbsolutePath(), "--remote-debugging-port=0",
        "about:blank")
        .redirectErrorStream(true).redirectOutput(log.toFile()).start();
    HeadlessChromium browser = new HeadlessChromium(p, log,
        System.nanoTime() + timeout.toNanos());
    try {
      browser.connect(profile.resolve("DevToolsActivePort"));
      return browser;
    } catch (IOException | InterruptedException | RuntimeException | AssertionError e) {
      browser.close();
      throw e;
    }
  }

  private void connect(Path portFile) throws IOException, InterruptedException {
    List<String> lines = List.of();
    // the browser writes the file once it listens: port on the first line, path on the second
    while (lines.size() < 2) {
      if (!process.isAlive()) {
        throw failure("chromium exited with code " + process.exitValue() + " before listening");
      }
      checkTime("chromium to listen");
      Thread.sleep(50);
      if (Files.exists(portFile)) {
        lines = Files.readAllLines(portFile, StandardCharsets.UTF_8);
      }
    }
    URI uri = URI.create("ws://127.0.0.1:" + lines.get(0).strip() + lines.get(1).strip());
    socket = HttpClient.newHttpClient().newWebSocketBuilder()
        .connectTimeout(Duration.ofNanos(Math.max(1, deadline - System.nanoTime())))
        .buildAsync(uri, new Inbox()).orTimeout(remainingMillis(), TimeUnit.MILLISECONDS)
        .join();
  }

  /** Opens a new tab on {@code page} and waits for its load event (images decoded included). */
  void open(URI page) throws InterruptedException {
    String target = call("Target.createTarget", json("url", "about:blank"))
        .get("targetId").getAsString();
    JsonObject attach = json("targetId", target);
    attach.addProperty("flatten", true);
    session = call("Target.attachToTarget", attach).get("sessionId").getAsString();
    call("Page.enable", new JsonObject());
    JsonObject lifecycle = new JsonObject();
    lifecycle.addProperty("enabled", true);
    call("Page.setLifecycleEventsEnabled", lifecycle);
    JsonObject nav = call("Page.navigate", json("url", page.toString()));
    if (nav.has("errorText")) {
      throw failure("cannot open " + page + ": " + nav.get("errorText").getAsString());
    }
    // the load of this navigation, not a late one of the tab's first about:blank
    String loader = nav.get("loaderId").getAsString();
    awaitEvent("load of " + page, e -> e.get("method").getAsString().equals("Page.lifecycleEvent")
        && e.getAsJsonObject("params").get("name").getAsString().equals("load")
        && e.getAsJsonObject("params").get("loaderId").getAsString().equals(loader));
  }

  /** The value of a JavaScript expression in the open page; a promise is awaited. */
  JsonElement evaluate(String expression) throws InterruptedException {
    JsonObject params = json("expression", expression);
    params.addProperty("returnByValue", true);
    params.addProperty("awaitPromise", true);
    JsonObject r = call("Runtime.evaluate", params);
    if (r.has("exceptionDetails")) {
      throw failure("script failed: " + r.get("exceptionDetails"));
    }
    return r.getAsJsonObject("result").get("value");
  }

  /** A PNG of the open page's viewport. */
  byte[] screenshot() throws InterruptedException {
    return Base64.getDecoder().decode(call("Page.captureScreenshot", json("format", "png"))
        .get("data").getAsString());
  }

  private JsonObject call(String method, JsonObject params) throws InterruptedException {
    int id = nextId++;
    JsonObject message = new JsonObject();
    message.addProperty("id", id);
    message.addProperty("method", method);
    message.add("params", params);
    if (session != null) {
      message.addProperty("sessionId", session);
    }
    socket.sendText(message.toString(), true).orTimeout(remainingMillis(), TimeUnit.MILLISECONDS)
        .join();
    while (true) {
      JsonObject m = next(method);
      if (m.has("id") && m.get("id").getAsInt() == id) {
        if (m.has("error")) {
          throw failure(method + " failed: " + m.get("error"));
        }
        return m.getAsJsonObject("result");
      }
      if (m.has("method")) {
        events.add(m);
      }
    }
  }

  private void awaitEvent(String what, Predicate<JsonObject> wanted)
      throws InterruptedException {
    for (JsonObject e : events) {
      if (wanted.test(e)) {
        return;
      }
    }
    while (true) {
      JsonObject m = next(what);
      if (m.has("method")) {
        if (wanted.test(m)) {
          return;
        }
        events.add(m);
      }
    }
  }

  private JsonObject next(String waitingFor) throws InterruptedException {
    Object m = inbox.poll(remainingMillis(), TimeUnit.MILLISECONDS);
    if (m == null) {
      throw failure("timed out waiting for " + waitingFor);
    }
    if (m instanceof Throwable t) {
      AssertionError e = failure("DevTools connection failed waiting for " + waitingFor);
      e.initCause(t);
      throw e;
    }
    return JsonParser.parseString((String) m).getAsJsonObject();
  }

  private long remainingMillis() {
    return Math.max(1, TimeUnit.NANOSECONDS.toMillis(deadline - System.nanoTime()));
  }

  private void checkTime(String waitingFor) {
    if (System.nanoTime() > deadline) {
      throw failure("timed out waiting for " + waitingFor);
    }
  }

  /** A failure that carries the end of the browser's log, where the reason usually is. */
  private AssertionError failure(String message) {
    String tail;
    try {
      List<String> lines = Files.readAllLines(log, StandardCharsets.UTF_8);
      tail = String.join("\n", lines.subList(Math.max(0, lines.size() - 20), lines.size()));
    } catch (IOException e) {
      tail = "(no log: " + e + ")";
    }
    return new AssertionError(message + "\n--- chromium log (" + log + "), last lines:\n" + tail);
  }

  private static JsonObject json(String key, String value) {
    JsonObject o = new JsonObject();
    o.addProperty(key, value);
    return o;
  }

  /** Kills the browser and every helper process it started, then waits for them to go. */
  @Override
  public void close() {
    if (socket != null) {
      socket.abort();
    }
    // children first: once the browser is gone they are no longer its descendants
    List<ProcessHandle> all = new ArrayList<>(process.descendants().toList());
    all.add(process.toHandle());
    all.forEach(ProcessHandle::destroyForcibly);
    for (ProcessHandle h : all) {
      try {
        h.onExit().get(10, TimeUnit.SECONDS);
      } catch (Exception e) {
        // an unkillable process is the operating system's problem; the test result stands
      }
    }
  }

  /** Collects whole messages (the protocol may send one in several frames) for the test thread. */
  private final class Inbox implements WebSocket.Listener {
    private StringBuilder partial = new StringBuilder();

    @Override
    public CompletionStage<?> onText(WebSocket ws, CharSequence data, boolean last) {
      partial.append(data);
      if (last) {
        inbox.add(partial.toString());
        partial = new StringBuilder();
      }
      ws.request(1);
      return null;
    }

    @Override
    public CompletionStage<?> onClose(WebSocket ws, int status, String reason) {
      inbox.add(new IOException("DevTools closed the connection: " + status + " " + reason));
      return null;
    }

    @Override
    public void onError(WebSocket ws, Throwable error) {
      inbox.add(error);
    }
  }
}
