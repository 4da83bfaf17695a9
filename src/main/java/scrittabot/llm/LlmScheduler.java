package scrittabot.llm;

import java.time.Duration;
import java.util.ArrayDeque;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Decides who may call the LLM, and when: the agent, for the person waiting on it, or the
 * background (the librarian's summaries), which only while the agent has been idle a while.
 * On a local llama.cpp with one slot a background call evicts the agent's cached prompt (a cache
 * miss can cost minutes on CPU), and it holds the slot while a person waits: so when the agent
 * gets busy, a background call in flight is cancelled and done again later.
 *
 * <p>Both count against {@code max_llm_calls_per_hour}: together never more than it, the
 * background never more than its share, so the agent always keeps the rest.
 */
public final class LlmScheduler {
  private static final Logger log = LoggerFactory.getLogger(LlmScheduler.class);
  private static final long HOUR_NANOS = Duration.ofHours(1).toNanos();

  /** A call to the LLM. */
  public interface Call<T> {
    T run() throws LlmException;
  }

  /** The background call was cancelled, or not started, because the agent needs the LLM. */
  public static final class Yielded extends Exception {
    Yielded() {
      super("the agent needs the LLM", null, false, false);
    }
  }

  private final int maxCallsPerHour;
  private final int backgroundPerHour;
  private final long idleNanos;
  private final ArrayDeque<Long> agentCalls = new ArrayDeque<>();
  private final ArrayDeque<Long> backgroundCalls = new ArrayDeque<>();
  private boolean agentBusy;
  private boolean held; // the agent is paused: the background waits too
  private long idleSince = System.nanoTime();
  private LlmClient backgroundClient; // the client of the background call in flight, if any
  private boolean cancelled;
  private long agentTotal;
  private long backgroundTotal;

  /** The calls made since the start: the agent's and the background's. */
  public record Calls(long agent, long background) {}

  /**
   * {@code backgroundShare}: the part of the hourly calls the background may take (0 to 1);
   * {@code afterIdle}: how long the agent must have been idle before a background call starts.
   */
  public LlmScheduler(int maxCallsPerHour, double backgroundShare, Duration afterIdle) {
    this.maxCallsPerHour = maxCallsPerHour;
    this.backgroundPerHour = (int) Math.floor(maxCallsPerHour * backgroundShare);
    this.idleNanos = afterIdle.toNanos();
  }

  /** The agent has events to handle: a background call in flight is cancelled. */
  public synchronized void agentBusy() {
    agentBusy = true;
    if (backgroundClient != null && !cancelled) {
      cancelled = true;
      log.info("a background LLM call is cancelled: the agent needs the LLM");
      backgroundClient.cancel();
    }
    notifyAll();
  }

  /**
   * Holds the background's calls (a call in flight is cancelled and done again later), or lets
   * them go on: the monitor's pause.
   */
  public synchronized void holdBackground(boolean hold) {
    held = hold;
    if (hold && backgroundClient != null && !cancelled) {
      cancelled = true;
      log.info("a background LLM call is cancelled: the agent is paused");
      backgroundClient.cancel();
    }
    notifyAll();
  }

  /** The agent waits for events; the background may use the LLM once it has waited a while. */
  public synchronized void agentIdle() {
    if (agentBusy) {
      agentBusy = false;
      idleSince = System.nanoTime();
    }
    notifyAll();
  }

  /**
   * Runs one of the agent's calls, after waiting while the calls of the last hour reach the cap
   * and until a cancelled background call has let go of the LLM.
   */
  public <T> T agent(Call<T> call) throws LlmException, InterruptedException {
    synchronized (this) {
      agentBusy();
      while (backgroundClient != null) {
        wait();
      }
      long now = System.nanoTime();
      forgetOld(now);
      if (agentCalls.size() + backgroundCalls.size() >= maxCallsPerHour) {
        long oldest = Math.min(first(agentCalls, now), first(backgroundCalls, now));
        long waitNanos = HOUR_NANOS - (now - oldest);
        log.warn("max_llm_calls_per_hour ({}) reached; the agent's next call waits {} s",
            maxCallsPerHour, waitNanos / 1_000_000_000);
        Thread.sleep(waitNanos / 1_000_000 + 1); // holding the lock: the background waits too
        forgetOld(System.nanoTime());
      }
      agentCalls.addLast(System.nanoTime());
      agentTotal++;
    }
    return call.run();
  }

  /**
   * Runs one background call on {@code client} (its own, so that cancelling it touches nothing
   * of the agent's) once the agent has been idle long enough and the background's share of the
   * hour allows; throws {@link Yielded} when the agent needed the LLM during the call.
   */
  public <T> T background(LlmClient client, Call<T> call)
      throws LlmException, InterruptedException, Yielded {
    synchronized (this) {
      while (true) {
        long now = System.nanoTime();
        forgetOld(now);
        long wait;
        if (agentBusy || held) {
          wait = 0; // until notified
        } else if (now - idleSince < idleNanos) {
          wait = idleNanos - (now - idleSince);
        } else if (backgroundCalls.size() >= backgroundPerHour
            || agentCalls.size() + backgroundCalls.size() >= maxCallsPerHour) {
          long oldest = backgroundCalls.size() >= backgroundPerHour
              ? first(backgroundCalls, now) : Math.min(first(agentCalls, now),
                  first(backgroundCalls, now));
          wait = Math.max(1, HOUR_NANOS - (now - oldest));
        } else {
          break;
        }
        if (wait == 0) {
          wait();
        } else {
          wait(wait / 1_000_000 + 1);
        }
      }
      backgroundCalls.addLast(System.nanoTime());
      backgroundTotal++;
      backgroundClient = client;
      cancelled = false;
      client.resetCancel();
    }
    try {
      T result = call.run();
      synchronized (this) {
        if (cancelled) {
          throw new Yielded();
        }
      }
      return result;
    } catch (LlmException e) {
      synchronized (this) {
        if (cancelled) {
          throw new Yielded();
        }
      }
      throw e;
    } finally {
      synchronized (this) {
        backgroundClient = null;
        notifyAll();
      }
    }
  }

  /** The calls made since the start (for /metrics). */
  public synchronized Calls total() {
    return new Calls(agentTotal, backgroundTotal);
  }

  private void forgetOld(long now) {
    while (!agentCalls.isEmpty() && now - agentCalls.peekFirst() >= HOUR_NANOS) {
      agentCalls.removeFirst();
    }
    while (!backgroundCalls.isEmpty() && now - backgroundCalls.peekFirst() >= HOUR_NANOS) {
      backgroundCalls.removeFirst();
    }
  }

  private static long first(ArrayDeque<Long> calls, long now) {
    return calls.isEmpty() ? now : calls.peekFirst();
  }
}
