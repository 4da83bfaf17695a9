package scrittabot.kernel;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;

/**
 * The kernel's one inbox. Channel threads {@link #put} events at any time; the kernel waits for a
 * waking event and then takes everything pending at once, so a burst becomes one step.
 */
public final class EventQueue {
  private final ReentrantLock lock = new ReentrantLock();
  private final Condition changed = lock.newCondition();
  private final List<Event> pending = new ArrayList<>();

  public void put(Event event) {
    lock.lock();
    try {
      pending.add(event);
      changed.signalAll();
    } finally {
      lock.unlock();
    }
  }

  /**
   * Waits up to {@code timeout} for a waking event (any event at all when {@code anyWakes}), then
   * returns all pending events, waking or not; an empty list when the time ran out with none.
   */
  public List<Event> await(Duration timeout, boolean anyWakes) throws InterruptedException {
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

  /** Puts events back at the front, in order: a step that failed before it began. */
  public void putFirst(List<Event> events) {
    lock.lock();
    try {
      pending.addAll(0, events);
      changed.signalAll();
    } finally {
      lock.unlock();
    }
  }

  /** Pending events, taken now without waiting; kept for the next step if the kernel stops. */
  public List<Event> drain() {
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
    for (Event e : pending) {
      if (anyWakes || e.wakes()) {
        return true;
      }
    }
    return false;
  }
}
