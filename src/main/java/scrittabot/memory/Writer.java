package scrittabot.memory;

import java.sql.SQLException;
import java.time.Duration;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.LinkedBlockingDeque;
import java.util.concurrent.atomic.AtomicInteger;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Writes to the database in the order they were asked for, on a thread of its own, so the agent
 * never waits for the disk and never stops talking while the database is away: writes wait in
 * memory and go in, in order, once it is back. The order is what makes it safe: an event is
 * stored before the Matrix sync position that says it arrived.
 *
 * <p>A write the database refuses as wrong (bad data, a bug in the SQL) is logged with what it
 * was and dropped, so that one bad item never blocks the rest; any other failure (away, full,
 * out of connections, a deadlock) is waited out, however long it takes.
 */
final class Writer implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(Writer.class);
  private static final Duration MAX_PAUSE = Duration.ofSeconds(5);
  private static final Duration CLOSING_PAUSE = Duration.ofMillis(200);
  private static final Duration CLOSE_WAIT = Duration.ofSeconds(10);

  private record Write(String what, Database.Work<?> work) {}

  private final Database db;
  private final Runnable lostLock;
  private final LinkedBlockingDeque<Write> writes = new LinkedBlockingDeque<>();
  /** Writes submitted and not yet done: counted from submit, so a flush never misses one. */
  private final AtomicInteger backlog = new AtomicInteger();
  private final Thread thread;
  /** Counted down at close: the writer stops pausing long and tries the last writes at once. */
  private final CountDownLatch closing = new CountDownLatch(1);
  private volatile boolean databaseAway;
  private volatile boolean lockLost;

  /** {@code lostLock} is told when, after an outage, another bot holds the database. */
  Writer(Database db, Runnable lostLock) {
    this.db = db;
    this.lostLock = lostLock;
    this.thread = Thread.ofPlatform().daemon().name("memory-writer").start(this::run);
  }

  /** Queues a write; {@code what} names it in the log if it fails. */
  void submit(String what, Database.Work<?> work) {
    backlog.incrementAndGet();
    writes.addLast(new Write(what, work));
  }

  /** True while the database is away and writes wait for it. */
  boolean databaseAway() {
    return databaseAway;
  }

  /** Writes not yet in the database. */
  int backlog() {
    return backlog.get();
  }

  /** Waits until every write queued so far is in (or dropped); false when time ran out. */
  boolean flush(Duration timeout) throws InterruptedException {
    long deadline = System.nanoTime() + timeout.toNanos();
    while (backlog() > 0) {
      if (System.nanoTime() > deadline) {
        return false;
      }
      Thread.sleep(10);
    }
    return true;
  }

  private void run() {
    Duration pause = Duration.ofMillis(500);
    try {
      while (true) {
        Write write = writes.takeFirst();
        try {
          while (!tryWrite(write)) {
            if (closing.await(pause.toMillis(), TimeUnit.MILLISECONDS)) {
              Thread.sleep(CLOSING_PAUSE.toMillis());
            }
            pause = pause.multipliedBy(2).compareTo(MAX_PAUSE) > 0 ? MAX_PAUSE
                : pause.multipliedBy(2);
          }
          pause = Duration.ofMillis(500);
        } finally {
          backlog.decrementAndGet();
        }
      }
    } catch (InterruptedException e) {
      // closing
    }
  }

  /** True when done with this write (written, or dropped as bad); false to try again later. */
  private boolean tryWrite(Write write) {
    try {
      if (databaseAway && !db.relock()) {
        if (!lockLost) {
          lockLost = true;
          lostLock.run(); // the bot stops; what waits here is not written into another's memory
        }
        return false;
      }
      db.transaction(write.work());
      if (databaseAway) {
        databaseAway = false;
        log.info("database back: writing the {} writes that waited", backlog());
      }
      return true;
    } catch (SQLException | RuntimeException e) {
      if (Database.isBadData(e)) {
        log.error("could not save {}; it is left out: {}", write.what(), e.toString());
        return true;
      }
      // Away, full, out of connections, timed out, a deadlock: it goes in once that passes.
      if (!databaseAway) {
        databaseAway = true;
        log.warn("database away ({}): the bot goes on, and {} writes wait for it",
            e.getMessage(), backlog());
      }
      return false;
    }
  }

  /** Gives waiting writes a bounded time to go in, then stops; says what is lost. */
  @Override
  public void close() {
    closing.countDown();
    // A stop often interrupts the thread that closes: that must not cut the last writes short.
    boolean interrupted = Thread.interrupted();
    boolean flushed;
    try {
      flushed = flush(CLOSE_WAIT);
    } catch (InterruptedException e) {
      interrupted = true;
      flushed = false;
    }
    if (!flushed) {
      log.error("stopping with {} writes not saved (the database {}); what they held is lost",
          backlog(), databaseAway ? "is away" : "was too slow");
    }
    thread.interrupt();
    if (interrupted) {
      Thread.currentThread().interrupt();
    }
  }
}
