package scrittabot.kernel;

import java.time.Duration;

/** What tools may ask of the kernel about the agent's own flow. */
public interface Control {
  /** Sleep until a waking event, or until {@code atMost} has passed when it is not null. */
  void sleep(Duration atMost);

  void shutdown(String reason);

  /** A tool did something with an effect; the step was useful. */
  void acted(String tool);

  /** The agent answered people in a room; unanswered-message nudges for it stop. */
  void answered(String room);

  /**
   * True when this text already went to this room since the last message that came from there:
   * small models repeat themselves, and the people in the room should not see it twice.
   */
  boolean repeats(String room, String text);

  /**
   * True when this text, long enough not to be a short answer that may well come twice, went to
   * this room among the agent's last messages there: a small model answers a new question with
   * an old answer it finds in its dialogue.
   */
  boolean repeatsOld(String room, String text);

  /**
   * True when this text only repeats a message that came from the room since the agent last
   * sent there: small models echo the question instead of answering it.
   */
  boolean echoes(String room, String text);

  /** A message went to a room. */
  void sent(String room, String text);

  /** The room of the most recent message, where a reply goes by default. */
  String currentRoom();
}
