package scrittabot.kernel;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;

/**
 * The kernel's one inbox. Channel threads {@link #put} events at any time; each is kept in the
 * {@link Journal} the moment it arrives, so nothing accepted is lost if the bot stops before a
 * step shows it. The kernel waits for a waking event and then takes everything pending at once,
 * so a burst becomes one step.
 */
public final class EventQueue {
  private final Journal journal;
  private final ReentrantLock lock = new ReentrantLock();
  private final Condition changed = lock.newCondition();
  private final List<Queued> pending = new ArrayList<>();
  private long lastPut = System.nanoTime();

  /** A queue that starts with the events the last run left waiting in the journal. */
  public EventQueue(Journal journal) {
    this.journal = journal;
    pending.addAll(journal.waiting());
  }

  /**
   * Keeps and queues an event. False when the channel sent this event before (same channel id):
   * it is neither kept nor queued again.
   */
  public boolean put(Event event) {
    long id = journal.arrived(event);
    if (id == 0) {
      return false;
    }
    lock.lock();
    try {
      pending.add(new Queued(id, event));
      lastPut = System.nanoTime();
      changed.signalAll();
    } finally {
      lock.unlock();
    }
    return true;
  }

  /** True when an event with this channel id arrived before: a channel need not fetch it again. */
  public boolean knows(String channelId) {
    return journal.knows(channelId);
  }

  /**
   * Waits up to {@code timeout} for a waking event (any event at all when {@code anyWakes}), then
   * returns all pending events, waking or not; an empty list when the time ran out with none.
   */
  public List<Queued> await(Duration timeout, boolean anyWakes) throws InterruptedException {
    long left = timeout.toNanos();
    lock.lock();
    try {
      while (!ready(anyWakes)) {
        if (left <= 0) {
          return List.of();
        }
        left = changed.awaitNanos(left);
      }
      var events = List.copyOf(pending);
      pending.clear();
      return events;
    } finally {
      lock.unlock();
    }
  }

  /**
   * Waits while events keep coming, until none has come for {@code quiet} (at most {@code max}),
   * and takes them: messages sent in a quick row are seen together.
   */
  public List<Queued> settle(Duration quiet, Duration max) throws InterruptedException {
    long deadline = System.nanoTime() + max.toNanos();
    lock.lock();
    try {
      while (true) {
        long now = System.nanoTime();
        long wait = Math.min(lastPut + quiet.toNanos() - now, deadline - now);
        if (wait <= 0) {
          break;
        }
        changed.awaitNanos(wait);
      }
      var events = List.copyOf(pending);
      pending.clear();
      return events;
    } finally {
      lock.unlock();
    }
  }

  /**
   * Puts events back at the front, in order: a step that failed before it began, or events a
   * step had no room for.
   */
  public void putFirst(List<Queued> events) {
    lock.lock();
    try {
      pending.addAll(0, events);
      changed.signalAll();
    } finally {
      lock.unlock();
    }
  }

  /** Pending events, taken now without waiting. */
  public List<Queued> drain() {
    lock.lock();
    try {
      var events = List.copyOf(pending);
      pending.clear();
      return events;
    } finally {
      lock.unlock();
    }
  }

  private boolean ready(boolean anyWakes) {
    for (Queued q : pending) {
      if (anyWakes || q.event().wakes()) {
        return true;
      }
    }
    return false;
  }
}
