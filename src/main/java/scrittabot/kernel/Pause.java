package scrittabot.kernel;

import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import scrittabot.Json;

/**
 * A pause set from the monitor page: while it lasts no step begins (the step in progress ends
 * first) and the librarian starts no work; events keep arriving and are kept, and the next step
 * after the resume takes them. The pause is saved, so a restart does not end it.
 */
public final class Pause {
  private static final Logger log = LoggerFactory.getLogger(Pause.class);
  private final Journal journal;
  private final List<Consumer<Boolean>> listeners = new CopyOnWriteArrayList<>();
  private boolean paused;
  private Instant since;

  /** Takes up the pause the last run saved, if any. */
  public Pause(Journal journal) {
    this.journal = journal;
    String saved = journal.load("pause");
    if (saved != null) {
      try {
        var state = Json.parseObject(saved);
        paused = Boolean.TRUE.equals(state.get("paused"));
        since = paused && state.get("since") instanceof String s ? Instant.parse(s) : null;
      } catch (RuntimeException e) {
        log.error("the saved pause cannot be read ({}); the agent runs", e.toString());
      }
    }
    if (paused) {
      log.warn("the agent is paused (since {}): resume it on the monitor page", since);
    }
  }

  /** {@code listener} hears each change (true: paused) and, at once, the state now. */
  public void onChange(Consumer<Boolean> listener) {
    listeners.add(listener);
    listener.accept(paused());
  }

  /** Pauses or resumes; {@code who} says who did, for the log. */
  public void set(boolean pause, String who) {
    synchronized (this) {
      if (paused == pause) {
        return;
      }
      paused = pause;
      since = pause ? Instant.now() : null;
      var state = new LinkedHashMap<String, Object>();
      state.put("paused", paused);
      state.put("since", since == null ? null : since.toString());
      journal.save("pause", Json.write(state));
      notifyAll();
    }
    log.info("{} the agent ({})", pause ? "paused" : "resumed", who);
    listeners.forEach(l -> l.accept(pause));
  }

  public synchronized boolean paused() {
    return paused;
  }

  /** Waits while paused. */
  public synchronized void awaitResumed() throws InterruptedException {
    while (paused) {
      wait();
    }
  }

  /** What the page shows of it. */
  public synchronized Map<String, Object> state() {
    var state = new LinkedHashMap<String, Object>();
    state.put("paused", paused);
    state.put("since", since == null ? null : since.toString());
    return state;
  }
}
