package scrittabot.kernel;

import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * A channel for tests: remembers each message as "room: text", and each file as "room: file
 * NAME: CONTENT"; its default room is "lobby".
 */
public final class RecordingChannel implements Channel {
  private final List<String> sent = new CopyOnWriteArrayList<>();

  @Override
  public void send(String room, String text) {
    sent.add(room + ": " + text);
  }

  @Override
  public void sendFile(String room, java.nio.file.Path file) throws java.io.IOException {
    sent.add(room + ": file " + file.getFileName() + ": " + java.nio.file.Files.readString(file));
  }

  @Override
  public String defaultRoom() {
    return "lobby";
  }

  /** The messages so far, oldest first. */
  public List<String> sent() {
    return List.copyOf(sent);
  }
}
