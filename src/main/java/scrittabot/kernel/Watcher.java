package scrittabot.kernel;

import java.time.Duration;
import java.time.Instant;
import java.util.List;
import scrittabot.llm.ChatMessage;

/**
 * Someone watching the agent live (the monitor page). Called on the kernel's thread: every
 * method must return at once and never throw; what it keeps, it copies.
 */
public interface Watcher {
  /** A step begins with these events. */
  default void stepStarted(long step, List<Event> events) {}

  /** The step's prompt, exactly as it goes to the LLM. */
  default void prompted(long step, List<ChatMessage> messages) {}

  /** A piece of the LLM's reply as it streams in. */
  default void replied(String delta) {}

  /** Code of the reply ran: its output, and its error or null. */
  default void ran(String code, String output, String error) {}

  /** The step is over; {@code restingUntil} is set while the agent rests (EPOCH: no end). */
  default void stepEnded(long step, Instant restingUntil) {}

  /** How long a part of a step took. */
  default void took(Timing what, Duration time) {}

  /** Something went wrong that /metrics counts; {@code detail} says what, for the page. */
  default void failed(Failure what, String detail) {}

  /** The parts of a step that are timed. */
  enum Timing { STEP, RECALL, LLM, CODE }

  /** What can go wrong in a step. */
  enum Failure { LLM, CODE, SANDBOX_RESTART, STEP }

  Watcher NONE = new Watcher() {};

  /** Tells each of {@code watchers}, in order. */
  static Watcher all(List<Watcher> watchers) {
    return new Watcher() {
      @Override
      public void stepStarted(long step, List<Event> events) {
        watchers.forEach(w -> w.stepStarted(step, events));
      }

      @Override
      public void prompted(long step, List<ChatMessage> messages) {
        watchers.forEach(w -> w.prompted(step, messages));
      }

      @Override
      public void replied(String delta) {
        watchers.forEach(w -> w.replied(delta));
      }

      @Override
      public void ran(String code, String output, String error) {
        watchers.forEach(w -> w.ran(code, output, error));
      }

      @Override
      public void stepEnded(long step, Instant restingUntil) {
        watchers.forEach(w -> w.stepEnded(step, restingUntil));
      }

      @Override
      public void took(Timing what, Duration time) {
        watchers.forEach(w -> w.took(what, time));
      }

      @Override
      public void failed(Failure what, String detail) {
        watchers.forEach(w -> w.failed(what, detail));
      }
    };
  }
}
