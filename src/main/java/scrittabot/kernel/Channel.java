package scrittabot.kernel;

import java.io.IOException;

/** Where the agent's messages go: the terminal, a Matrix room. */
public interface Channel {
  /** Sends a message to a room of this channel; {@code room} is never null. */
  void send(String room, String text) throws IOException;

  /** The room to use when the agent names none and nobody has spoken yet. */
  String defaultRoom();
}
