package scrittabot.matrix;

import java.io.IOException;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Everything the bot sends goes out through one thread, in order. A message keeps its transaction
 * id across retries, so the homeserver stores it once however often it is sent; it is retried
 * until the homeserver takes it, even after minutes away, and kept in the {@link SyncState}
 * meanwhile, so that a restart sends it too. Typing notices and read receipts are worth one try.
 */
final class Outbox implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(Outbox.class);
  private static final Duration TIMEOUT = Duration.ofSeconds(30);

  private record Item(String method, String path, Object body, boolean mustArrive,
      CompletableFuture<String> done) {}

  private final MatrixHttp http;
  private final SyncState journal;
  private final BlockingQueue<Item> items = new LinkedBlockingQueue<>();
  /** Unique across restarts too: a new run must not reuse an old run's transaction ids. */
  private final String txnPrefix = "sb" + System.currentTimeMillis() + "-";
  private final AtomicLong txnCounter = new AtomicLong();
  private final Thread thread;
  private volatile boolean sending;

  Outbox(MatrixHttp http, SyncState journal) {
    this.http = http;
    this.journal = journal;
    this.thread = Thread.ofPlatform().daemon().name("matrix-outbox").unstarted(this::run);
  }

  /** Starts sending, first what a run before this one left unsent. */
  void start() {
    journal.unsent().forEach((path, body) -> {
      log.info("sending again what the last run could not send: {}", path);
      put(new Item("PUT", path, body, true, new CompletableFuture<>()));
    });
    thread.start();
  }

  /**
   * Queues a room event; the future gives its event id once the homeserver has it.
   */
  CompletableFuture<String> send(String roomId, String type, Object content) {
    String path = MatrixHttp.CLIENT + "/rooms/" + MatrixHttp.segment(roomId) + "/send/"
        + MatrixHttp.segment(type) + "/" + txnPrefix + txnCounter.incrementAndGet();
    journal.sending(path, content);
    return put(new Item("PUT", path, content, true, new CompletableFuture<>()));
  }

  /** Queues a request worth one try (typing, receipts); its failure is only logged. */
  void tryOnce(String method, String path, Object body) {
    put(new Item(method, path, body, false, new CompletableFuture<>()));
  }

  private CompletableFuture<String> put(Item item) {
    items.add(item);
    return item.done();
  }

  private void run() {
    try {
      while (true) {
        Item item = items.take();
        sending = true;
        try {
          var answer = item.mustArrive()
              ? http.retrying(item.method(), item.path(), item.body(), TIMEOUT)
              : http.call(item.method(), item.path(), item.body(), TIMEOUT);
          item.done().complete(answer.get("event_id") instanceof String id ? id : "");
          if (item.mustArrive()) {
            journal.sent(item.path());
          }
        } catch (IOException | RuntimeException e) { // e.g. a broken path from an old state file
          if (item.mustArrive()) {
            log.error("could not send to the homeserver: {}", e.getMessage());
            journal.sent(item.path()); // refused for good (e.g. not in the room): not again
          } else {
            log.debug("{} failed: {}", item.path(), e.getMessage());
          }
          item.done().completeExceptionally(e);
        } finally {
          sending = false;
        }
      }
    } catch (InterruptedException e) {
      items.forEach(item -> item.done().completeExceptionally(
          new IOException("the bot is stopping")));
    }
  }

  /** Gives queued messages a moment to go out, then stops. */
  @Override
  public void close() {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(3);
    while ((sending || !items.isEmpty()) && System.nanoTime() < deadline) {
      try {
        Thread.sleep(20);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        break;
      }
    }
    thread.interrupt();
  }
}
