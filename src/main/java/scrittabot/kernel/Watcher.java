package scrittabot.kernel;

import java.time.Instant;
import java.util.List;

/**
 * Someone watching the agent live (the monitor page). Called on the kernel's thread: every
 * method must return at once and never throw; what it keeps, it copies.
 */
public interface Watcher {
  /** A step begins with these events. */
  default void stepStarted(long step, List<Event> events) {}

  /** A piece of the LLM's reply as it streams in. */
  default void replied(String delta) {}

  /** Code of the reply ran: its output, and its error or null. */
  default void ran(String code, String output, String error) {}

  /** The step is over; {@code restingUntil} is set while the agent rests (EPOCH: no end). */
  default void stepEnded(long step, Instant restingUntil) {}

  Watcher NONE = new Watcher() {};
}
