package scrittabot.kernel;

import java.io.IOException;
import java.nio.file.Path;
import java.util.List;

/** Where the agent's messages go: the terminal, a Matrix room. */
public interface Channel {
  /** Sends a message (Markdown) to a room of this channel; {@code room} is never null. */
  void send(String room, String text) throws IOException;

  /** Sends a file, already checked to lie in the files folder, to a room. */
  default void sendFile(String room, Path file) throws IOException {
    throw new IOException("this channel cannot send files");
  }

  /**
   * Reacts to an event of this channel (its id as the agent saw it) with a key, e.g. an emoji;
   * returns the room of that event.
   */
  default String react(String eventId, String key) throws IOException {
    throw new IOException("this channel has no reactions");
  }

  /** What is wrong with the channel now, e.g. its server is away; null while it works. */
  default String trouble() {
    return null;
  }

  /** The room to use when the agent names none and nobody has spoken yet. */
  String defaultRoom();

  /** The kernel starts a step with these events: a channel may show that the bot is typing. */
  default void stepStarted(List<Event> events) {}

  /**
   * A step ended. {@code turnOver} is true when the agent is done with everything it has seen so
   * far (it rests or stops, or a crashed step dropped them): a channel may mark those events read
   * and need not deliver them again after a restart. False when the agent is still working on
   * them, or they went back to the queue because the LLM was away.
   */
  default void stepEnded(List<Event> events, boolean turnOver) {}
}
