package scrittabot.console;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import scrittabot.kernel.Channel;
import scrittabot.kernel.Event;
import scrittabot.kernel.EventQueue;

/**
 * Chat with the agent in a terminal: each line typed is a message from the local user, and the
 * agent's messages are printed. Logs go to stderr, so stdout carries only the conversation.
 */
public final class ConsoleChannel implements Channel {
  public static final String ROOM = "console";
  private static final Logger log = LoggerFactory.getLogger(ConsoleChannel.class);

  private final EventQueue queue;
  private final InputStream in;
  private final PrintStream out;
  private final String user;

  public ConsoleChannel(EventQueue queue, InputStream in, PrintStream out) {
    this.queue = queue;
    this.in = in;
    this.out = out;
    this.user = System.getProperty("user.name", "user");
  }

  /** Reads lines in a background thread; {@code onClose} runs when the input ends. */
  public void start(Runnable onClose) {
    Thread.ofPlatform().daemon().name("console-input").start(() -> {
      try (var reader = new BufferedReader(new InputStreamReader(in, StandardCharsets.UTF_8))) {
        String line;
        while ((line = reader.readLine()) != null) {
          if (!line.isBlank()) {
            queue.put(new Event.UserMessage(Instant.now(), user, ROOM, line));
          }
        }
      } catch (IOException e) {
        log.warn("console input failed: {}", e.toString());
      }
      onClose.run();
    });
  }

  @Override
  public void send(String room, String text) {
    synchronized (out) {
      // The LLM's text must not drive the terminal (escape sequences set titles, clipboards).
      out.println(text.replaceAll("[\\p{Cntrl}&&[^\n\t]]", ""));
      out.flush();
    }
  }

  @Override
  public String defaultRoom() {
    return ROOM;
  }
}
