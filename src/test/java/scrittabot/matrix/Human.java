package scrittabot.matrix;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Predicate;
import java.util.stream.Collectors;
import scrittabot.Json;

/**
 * A human in the end-to-end tests: src/test/python/human.py, a matrix-nio client, run as a child
 * process. Commands go in as JSON lines and are answered in turn; everything the client syncs
 * (events, typing, receipts, invites, membership) comes back as reports, kept in order.
 */
public final class Human implements AutoCloseable {
  private static final Path SCRIPT = Path.of("src/test/python/human.py");
  private static final Duration COMMAND_TIMEOUT = Duration.ofSeconds(60);
  private static final Duration READY_TIMEOUT = Duration.ofSeconds(60);

  private final String userId;
  private final Process process;
  private final Writer in;
  private final AtomicLong ids = new AtomicLong();
  private final Map<Long, CompletableFuture<Map<String, Object>>> pending =
      new ConcurrentHashMap<>();
  // Both guarded by reports; consumed[i] says whether await() already returned reports[i].
  private final List<Map<String, Object>> reports = new ArrayList<>();
  private final List<Boolean> consumed = new ArrayList<>();
  private final ArrayDeque<String> stderr = new ArrayDeque<>();
  private volatile IOException ended; // set when the client's output has ended

  private Human(String userId, Process process) {
    this.userId = userId;
    this.process = process;
    this.in = process.outputWriter(StandardCharsets.UTF_8);
    Thread.ofPlatform().daemon().name("human-out " + userId)
        .start(() -> readReports(process.inputReader(StandardCharsets.UTF_8)));
    Thread.ofPlatform().daemon().name("human-err " + userId)
        .start(() -> readStderr(process.errorReader(StandardCharsets.UTF_8)));
  }

  /** Starts the client for {@code account} and waits for its first sync. */
  public static Human start(Synapse synapse, Synapse.Account account)
      throws IOException, InterruptedException {
    if (!Files.exists(SCRIPT)) {
      throw new IOException(
          "no " + SCRIPT.toAbsolutePath() + ": run the tests from the project folder");
    }
    Process process = new ProcessBuilder(Synapse.python().toString(),
        SCRIPT.toAbsolutePath().toString(), synapse.url(), account.userId(),
        account.accessToken(), account.deviceId()).start();
    var human = new Human(account.userId(), process);
    long deadline = System.nanoTime() + READY_TIMEOUT.toNanos();
    // In short steps, so that a client that dies at once (say, an import error) fails at once.
    while (true) {
      try {
        human.await(r -> "ready".equals(r.get("kind")), Duration.ofMillis(200));
        return human;
      } catch (AssertionError e) {
        if (!process.isAlive() || System.nanoTime() > deadline) {
          human.close();
          throw new IOException("human " + account.userId() + " did not get ready: "
              + (process.isAlive() ? "no first sync in " + READY_TIMEOUT.toSeconds() + " s"
              : "the client exited") + "; stderr:\n" + human.stderrTail());
        }
      }
    }
  }

  public String userId() {
    return userId;
  }

  /** Creates a room, inviting {@code invite}; end-to-end encryption announced when asked. */
  public String createRoom(String name, List<String> invite, boolean encrypted) throws IOException {
    return (String) command("create_room", Map.of("name", name, "invite", invite,
        "encrypted", encrypted)).get("room_id");
  }

  /** Creates an unencrypted room with the alias {@code #aliasLocalpart:server}. */
  public String createRoom(String name, String aliasLocalpart, List<String> invite)
      throws IOException {
    return (String) command("create_room", Map.of("name", name, "alias", aliasLocalpart,
        "invite", invite, "encrypted", false)).get("room_id");
  }

  /** Joins a room by id or alias. */
  public void join(String room) throws IOException {
    command("join", Map.of("room", room));
  }

  public void invite(String room, String userId) throws IOException {
    command("invite", Map.of("room", room, "user", userId));
  }

  public void leave(String room) throws IOException {
    command("leave", Map.of("room", room));
  }

  /** Sends an m.text message; returns its event id. */
  public String send(String room, String text) throws IOException {
    return (String) command("send_text", Map.of("room", room, "text", text)).get("event_id");
  }

  /** Sends any event with exactly this content (replies, edits, reactions, malformed ones). */
  public String send(String room, String type, Map<String, Object> content) throws IOException {
    return (String) command("send", Map.of("room", room, "type", type, "content", content))
        .get("event_id");
  }

  /** Uploads a file and posts it: m.image for image/*, else m.file. Returns the event id. */
  public String sendFile(String room, Path file, String mime) throws IOException {
    String msgtype = mime.startsWith("image/") ? "m.image" : "m.file";
    return (String) command("upload_file", Map.of("room", room,
        "path", file.toAbsolutePath().toString(), "mime", mime, "msgtype", msgtype))
        .get("event_id");
  }

  /** Downloads an mxc:// URI through the authenticated media API. */
  public byte[] download(String mxc) throws IOException {
    Path file = Files.createTempFile("human-download", ".bin");
    try {
      command("download", Map.of("mxc", mxc, "path", file.toString()));
      return Files.readAllBytes(file);
    } finally {
      Files.deleteIfExists(file);
    }
  }

  /**
   * The first report, in the order they came, that matches and that no earlier await returned;
   * marks it as returned. Fails the test when none comes in time.
   */
  public Map<String, Object> await(Predicate<Map<String, Object>> match, Duration timeout)
      throws InterruptedException {
    long deadline = System.nanoTime() + timeout.toNanos();
    synchronized (reports) {
      while (true) {
        for (int i = 0; i < reports.size(); i++) {
          if (!consumed.get(i) && match.test(reports.get(i))) {
            consumed.set(i, true);
            return reports.get(i);
          }
        }
        long left = deadline - System.nanoTime();
        if (left <= 0) {
          throw new AssertionError("human " + userId + ": no matching report in "
              + timeout.toMillis() + " ms; the last reports:\n" + recent(reports, 20)
              + (process.isAlive() ? "" : "\nthe client exited; stderr:\n" + stderrTail()));
        }
        TimeUnit.NANOSECONDS.timedWait(reports, left);
      }
    }
  }

  /** Everything reported so far, in order. */
  public List<Map<String, Object>> reports() {
    synchronized (reports) {
      return new ArrayList<>(reports);
    }
  }

  /** A message event (m.room.message) from that user. */
  public static Predicate<Map<String, Object>> messageFrom(String userId) {
    return r -> "event".equals(r.get("kind")) && "m.room.message".equals(r.get("type"))
        && userId.equals(r.get("sender"));
  }

  @Override
  public void close() {
    try {
      if (process.isAlive()) {
        write(Map.of("id", ids.incrementAndGet(), "cmd", "quit"));
        process.waitFor(5, TimeUnit.SECONDS);
      }
    } catch (IOException e) {
      // already gone
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    } finally {
      process.destroyForcibly();
    }
  }

  private Map<String, Object> command(String cmd, Map<String, Object> args) throws IOException {
    long id = ids.incrementAndGet();
    var future = new CompletableFuture<Map<String, Object>>();
    pending.put(id, future);
    if (ended != null) {
      future.completeExceptionally(ended);
    }
    var line = new LinkedHashMap<String, Object>(args);
    line.put("id", id);
    line.put("cmd", cmd);
    try {
      write(line);
      Map<String, Object> reply = future.get(COMMAND_TIMEOUT.toSeconds(), TimeUnit.SECONDS);
      if (!Boolean.TRUE.equals(reply.get("ok"))) {
        throw new IOException("human " + userId + ": " + cmd + " failed: " + reply.get("error"));
      }
      return reply;
    } catch (TimeoutException e) {
      throw new IOException("human " + userId + ": no answer to " + cmd + " in "
          + COMMAND_TIMEOUT.toSeconds() + " s; stderr:\n" + stderrTail());
    } catch (ExecutionException e) {
      throw new IOException("human " + userId + ": " + cmd + ": " + e.getCause().getMessage()
          + "; stderr:\n" + stderrTail());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IOException("interrupted waiting for " + cmd, e);
    } finally {
      pending.remove(id);
    }
  }

  private void write(Map<String, Object> line) throws IOException {
    synchronized (in) {
      in.write(Json.write(line) + "\n");
      in.flush();
    }
  }

  private void readReports(BufferedReader reader) {
    try (reader) {
      String line;
      while ((line = reader.readLine()) != null) {
        long received = System.nanoTime();
        Map<String, Object> report;
        try {
          report = Json.parseObject(line);
        } catch (IllegalArgumentException e) {
          addStderr("(stdout, not JSON) " + line);
          continue;
        }
        if (report.get("reply") instanceof Number id) {
          var future = pending.get(id.longValue());
          if (future != null) {
            future.complete(report);
          }
          continue;
        }
        report.put("java_received_ns", received);
        synchronized (reports) {
          reports.add(report);
          consumed.add(false);
          reports.notifyAll();
        }
      }
    } catch (IOException e) {
      // the process ended
    }
    ended = new IOException("the client process ended");
    pending.values().forEach(f -> f.completeExceptionally(ended));
  }

  private void readStderr(BufferedReader reader) {
    try (reader) {
      String line;
      while ((line = reader.readLine()) != null) {
        addStderr(line);
      }
    } catch (IOException e) {
      // the process ended
    }
  }

  private void addStderr(String line) {
    synchronized (stderr) {
      stderr.addLast(line);
      if (stderr.size() > 200) {
        stderr.removeFirst();
      }
    }
  }

  private String stderrTail() {
    synchronized (stderr) {
      return stderr.stream().skip(Math.max(0, stderr.size() - 30))
          .collect(Collectors.joining("\n"));
    }
  }

  private static String recent(List<Map<String, Object>> reports, int count) {
    return reports.subList(Math.max(0, reports.size() - count), reports.size()).stream()
        .map(r -> Json.abbreviate(Json.write(r), 400)).collect(Collectors.joining("\n"));
  }
}
