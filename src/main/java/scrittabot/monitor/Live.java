package scrittabot.monitor;

import com.sun.net.httpserver.HttpExchange;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import scrittabot.Json;
import scrittabot.kernel.Event;
import scrittabot.kernel.Watcher;

/**
 * The step in progress, live: the kernel tells it what happens, and it passes that on to each
 * page as Server-Sent Events. The kernel's calls only copy and offer to bounded queues: a
 * browser that stops reading fills its queue and is dropped, and never slows the kernel.
 */
final class Live implements Watcher {
  static final int QUEUE = 1000;
  private static final int MAX_REPLY_CHARS = 20_000;
  private static final long KEEPALIVE_SECONDS = 15;
  private static final int MAX_RUNS = 20;
  /** Time between two writes to a page, in which events gather for the next write. */
  private static final long BATCH_MS = 50;

  private final List<Client> clients = new CopyOnWriteArrayList<>();
  // What a page opened mid-step needs to catch up, guarded by reply: a page joins and copies it
  // under that lock, and each event changes it and is published under it, so a page sees each
  // event once, in its catch-up or after it.
  private Map<String, Object> now = Map.of("state", "waiting");
  private final StringBuilder reply = new StringBuilder();
  private final List<Map<String, Object>> runs = new ArrayList<>();

  /** A page: its queue and the thread that writes to it. */
  private record Client(BlockingQueue<String> events, Thread writer) {}

  @Override
  public void stepStarted(long step, List<Event> events) {
    var event = new LinkedHashMap<String, Object>();
    event.put("state", "thinking");
    event.put("step", step);
    event.put("events", events.stream().map(Event::render).toList());
    synchronized (reply) {
      reply.setLength(0);
      runs.clear();
      now = event;
      publish("step", event);
    }
  }

  @Override
  public void replied(String delta) {
    synchronized (reply) {
      if (reply.length() < MAX_REPLY_CHARS) {
        reply.append(delta);
      }
      publish("reply", Map.of("text", delta));
    }
  }

  @Override
  public void ran(String code, String output, String error) {
    var event = new LinkedHashMap<String, Object>();
    event.put("code", code);
    event.put("output", output);
    event.put("error", error);
    synchronized (reply) {
      if (runs.size() < MAX_RUNS) {
        runs.add(event);
      }
      publish("ran", event);
    }
  }

  @Override
  public void stepEnded(long step, Instant restingUntil) {
    var event = new LinkedHashMap<String, Object>();
    event.put("state", restingUntil == null ? "waiting" : "resting");
    event.put("step", step);
    event.put("until", restingUntil == null || restingUntil.equals(Instant.EPOCH) ? null
        : restingUntil.toString());
    synchronized (reply) {
      event.put("events", now.get("events")); // a page opened later shows what the step saw
      now = event;
      publish("ended", event);
    }
  }

  /** The agent was paused (true) or resumed; from the thread that did it. */
  void paused(boolean paused) {
    publish("pause", Map.of("paused", paused));
  }

  private void publish(String type, Map<String, Object> data) {
    if (clients.isEmpty()) {
      return; // no page open: nothing to write on the kernel's thread
    }
    String message = "event: " + type + "\ndata: " + Json.write(data) + "\n\n";
    for (Client c : clients) {
      if (!c.events().offer(message) && clients.remove(c)) {
        // It stopped reading. Its writer is interrupted, whether it waits for events or in a
        // write stuck on the full socket: the write, or the close that follows when the
        // writer returns, finds the interrupt and closes the socket. (Closing the exchange
        // from here would wait behind the stuck write, and then be all the closing it gets.)
        c.writer().interrupt();
      }
    }
  }

  /** Streams events to one page until it goes away or is dropped; on a virtual thread. */
  void stream(HttpExchange exchange) throws IOException {
    var client = new Client(new ArrayBlockingQueue<>(QUEUE), Thread.currentThread());
    var caughtUp = new LinkedHashMap<String, Object>();
    synchronized (reply) {
      clients.add(client);
      caughtUp.putAll(now);
      caughtUp.put("reply", reply.toString());
      caughtUp.put("runs", List.copyOf(runs));
    }
    try {
      exchange.getResponseHeaders().set("Content-Type", "text/event-stream; charset=utf-8");
      exchange.sendResponseHeaders(200, 0);
      OutputStream out = exchange.getResponseBody();
      write(out, "event: now\ndata: " + Json.write(caughtUp) + "\n\n");
      var batch = new ArrayList<String>();
      while (clients.contains(client)) {
        String message = client.events().poll(KEEPALIVE_SECONDS, TimeUnit.SECONDS);
        if (message == null) {
          write(out, ": still here\n\n");
          continue;
        }
        // what came meanwhile goes in the same write: a streamed reply is many small events
        batch.add(message);
        client.events().drainTo(batch);
        write(out, String.join("", batch));
        batch.clear();
        Thread.sleep(BATCH_MS); // a page needs no more than a few updates a second
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    } finally {
      clients.remove(client);
    }
  }

  private static void write(OutputStream out, String text) throws IOException {
    out.write(text.getBytes(StandardCharsets.UTF_8));
    out.flush();
  }

  /** Pages connected now (for tests and /metrics). */
  int clients() {
    return clients.size();
  }
}
