package scrittabot.kernel;

import java.time.Instant;
import java.time.ZoneId;
import java.time.format.DateTimeFormatter;
import java.util.regex.Pattern;

/**
 * Everything that reaches the agent is an event. Channels and the kernel push them into the
 * {@link EventQueue}; each renders itself as the tagged text the LLM reads.
 */
public sealed interface Event {
  DateTimeFormatter TIME =
      DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm:ss").withZone(ZoneId.systemDefault());

  Instant time();

  /** The text of this event in the prompt. */
  String render();

  /** Whether this event ends the agent's sleep; its own code output does not. */
  default boolean wakes() {
    return true;
  }

  /** A message from a person. {@code room} names where it came from (a channel's own name). */
  record UserMessage(Instant time, String user, String room, String text) implements Event {
    @Override
    public String render() {
      return "<message user=\"" + attr(user) + "\" room=\"" + attr(room) + "\" time=\""
          + TIME.format(time) + "\">\n" + escape(text) + "\n</message>";
    }
  }

  /** What one code block printed, and its error if it failed. */
  record CodeOutput(Instant time, String output, String error) implements Event {
    @Override
    public String render() {
      String body = output.strip();
      if (error != null) {
        body = (body.isEmpty() ? "" : body + "\n") + error;
      }
      return "<python>\n" + escape(body.isEmpty() ? "(no output)" : body) + "\n</python>";
    }

    @Override
    public boolean wakes() {
      return false;
    }
  }

  /** The agent's sleep is over (its own timer). */
  record WakeUp(Instant time) implements Event {
    @Override
    public String render() {
      return "<system time=\"" + TIME.format(time) + "\">You woke up: the sleep time is over."
          + "</system>";
    }
  }

  /** A notice from the bot itself: a hint, a warning, a reset sandbox. */
  record SystemNotice(Instant time, String text, boolean urgent) implements Event {
    @Override
    public String render() {
      return "<system time=\"" + TIME.format(time) + "\">" + text + "</system>";
    }

    @Override
    public boolean wakes() {
      return urgent;
    }
  }

  /** The bot's own tags; untrusted text must not be able to open or close one. */
  Pattern TAG = Pattern.compile("<(/?)(message|system|python|file|image|note)\\b",
      Pattern.CASE_INSENSITIVE);

  static String escape(String untrusted) {
    return TAG.matcher(untrusted).replaceAll("&lt;$1$2");
  }

  private static String attr(String value) {
    return escape(value).replace("\"", "'");
  }
}
