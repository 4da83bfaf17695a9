package scrittabot.kernel;

import java.time.Instant;
import java.time.ZoneId;
import java.time.format.DateTimeFormatter;
import java.util.regex.Pattern;
import scrittabot.llm.ChatMessage;

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

  /** Something a person did in a room of a channel: a message, a file, a reaction. */
  sealed interface Incoming extends Event permits UserMessage, FileMessage, Reaction {
    String user();

    /** Where it happened: the channel's name for the room. */
    String room();

    /** The ids that tie it to other events; {@link Refs#NONE} where the channel has none. */
    Refs refs();
  }

  /**
   * The channel's ids around an incoming event, each null when absent: its own id (for a reaction
   * or a reply), the message it replies to, the message it edits, the thread it belongs to.
   */
  record Refs(String id, String replyTo, String editOf, String thread) {
    public static final Refs NONE = new Refs(null, null, null, null);

    public static Refs of(String id) {
      return new Refs(id, null, null, null);
    }

    String attributes() {
      return attribute("id", id) + attribute("reply_to", replyTo) + attribute("edit_of", editOf)
          + attribute("thread", thread);
    }
  }

  /** A message from a person. */
  record UserMessage(Instant time, String user, String room, String text, Refs refs)
      implements Incoming {
    public UserMessage(Instant time, String user, String room, String text) {
      this(time, user, room, text, Refs.NONE);
    }

    @Override
    public String render() {
      return "<message" + where(this, time) + ">\n" + escape(text) + "\n</message>";
    }
  }

  /**
   * A file or image a person sent, saved as {@code filename} under the files folder (null when it
   * could not be saved: {@code problem} says why). {@code image} is a small copy for a multimodal
   * model, or null. {@code caption} is the text sent with it, if any.
   */
  record FileMessage(Instant time, String user, String room, Refs refs, String filename,
      long size, String mimeType, String caption, ChatMessage.Image image, String problem)
      implements Incoming {
    @Override
    public String render() {
      String tag = mimeType.startsWith("image/") ? "image" : "file";
      String body = problem != null ? "(not saved: " + escape(problem) + ")"
          : caption == null ? "" : escape(caption);
      return "<" + tag + where(this, time) + attribute("filename", filename)
          + attribute("type", mimeType) + " size=\"" + size + "\">" + body + "</" + tag + ">";
    }
  }

  /** A person reacted to an event (an emoji on a message). */
  record Reaction(Instant time, String user, String room, Refs refs, String target, String key)
      implements Incoming {
    @Override
    public String render() {
      return "<reaction" + where(this, time) + attribute("to", target) + ">" + escape(key)
          + "</reaction>";
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
  Pattern TAG = Pattern.compile("<(/?)(message|system|python|file|image|note|reaction)\\b",
      Pattern.CASE_INSENSITIVE);

  static String escape(String untrusted) {
    return TAG.matcher(untrusted).replaceAll("&lt;$1$2");
  }

  private static String where(Incoming e, Instant time) {
    return attribute("user", e.user()) + attribute("room", e.room()) + " time=\""
        + TIME.format(time) + "\"" + e.refs().attributes();
  }

  /** {@code  name="value"}, or nothing for a null value. */
  private static String attribute(String name, String value) {
    return value == null ? "" : " " + name + "=\"" + escape(value).replace("\"", "'") + "\"";
  }
}
