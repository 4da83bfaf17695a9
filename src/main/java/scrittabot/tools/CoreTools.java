package scrittabot.tools;

import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import scrittabot.kernel.AgentState;
import scrittabot.kernel.Channel;
import scrittabot.kernel.Control;
import scrittabot.library.Library;

/**
 * The tools every agent has: messages, flow (sleep, shutdown), mood and goals. One method per
 * tool; {@link #all()} lists them.
 */
public final class CoreTools {
  private static final int MAX_MESSAGE = 30_000;
  private static final int MAX_SLEEP_MINUTES = 7 * 24 * 60;

  private final Channel channel;
  private final AgentState state;
  private final Control control;
  private final Library library;

  public CoreTools(Channel channel, AgentState state, Control control, Library library) {
    this.channel = channel;
    this.state = state;
    this.control = control;
    this.library = library;
  }

  public List<Tool> all() {
    return List.of(sendMessage(), sendFile(), react(), sleep(), shutdown(), increaseMood(),
        decreaseMood(), addGoal(), deleteGoal(), setPage());
  }

  Tool sendMessage() {
    return new Tool("send_message", "message, room=None", """
        Send a message to the people in a room; the only way anyone sees what you say.
        Markdown works. Without room, it goes to the room of the latest message.
        Example: send_message("TEXT")""", args -> {
          String text = args.string("message");
          if (text.isBlank()) {
            throw ToolError.value("send_message(): message is empty");
          }
          if (text.length() > MAX_MESSAGE) {
            throw ToolError.value("send_message(): message has " + text.length()
                + " characters; the limit is " + MAX_MESSAGE + ". Split it.");
          }
          String room = room(args);
          if (control.repeats(room, text)) {
            throw ToolError.value("send_message(): you already sent this same message to this "
                + "room since its last message, so it was not sent again. Say something new, or "
                + "sleep() if nothing is left to say.");
          }
          if (control.repeatsOld(room, text)) {
            throw ToolError.value("send_message(): you sent this very text to this room a "
                + "little earlier, so it was not sent again. Answer the newest message itself.");
          }
          if (control.echoes(room, text)) {
            throw ToolError.value("send_message(): that only repeats what the person wrote, so "
                + "it was not sent. Send your answer to it instead.");
          }
          control.answered(room); // kept before it leaves: a restart must not answer twice
          try {
            channel.send(room, text);
          } catch (IOException e) {
            throw new ToolError("OSError", "send_message(): could not send: " + e.getMessage());
          }
          control.sent(room, text);
          control.acted("send_message");
          return null; // as print() does: nothing for the REPL to echo into the next step
        });
  }

  Tool sendFile() {
    return new Tool("send_file", "filename, room=None", """
        Send a file from your folder to a room. filename is as open() takes it; images are
        shown as images. Without room, it goes to the room of the latest message.
        Example: send_file("FILENAME")""", args -> {
          Path file = fileInFilesDir(args.string("filename"));
          String room = room(args);
          control.answered(room); // kept before it leaves: a restart must not answer twice
          try {
            channel.sendFile(room, file);
          } catch (IOException e) {
            throw new ToolError("OSError", "send_file(): could not send: " + e.getMessage());
          }
          control.acted("send_file");
          return null;
        });
  }

  /** The room the agent named, or that of the latest message. */
  private String room(Tool.Args args) throws ToolError {
    String room = args.optionalString("room");
    return room != null ? room : control.currentRoom();
  }

  /** The file the agent named, which must be a regular file inside files_dir (no link out). */
  private Path fileInFilesDir(String name) throws ToolError {
    Path file = library.resolve(name);
    if (file == null) {
      throw new ToolError("FileNotFoundError", "send_file(): no such file in your files folder: "
          + name);
    }
    return file;
  }

  Tool react() {
    return new Tool("react", "event, emoji", """
        React to a message with an emoji, to acknowledge it without words. event is the
        id="..." of the message.
        Example: react("EVENT_ID", "👍")""", args -> {
          String event = args.string("event").strip();
          String emoji = args.string("emoji").strip();
          if (emoji.isEmpty() || emoji.length() > 64) {
            throw ToolError.value("react(): emoji must be a short text such as \"👍\"");
          }
          try {
            String room = channel.react(event, emoji);
            control.acted("react");
            control.answered(room);
          } catch (IOException e) {
            throw new ToolError("OSError", "react(): " + e.getMessage());
          }
          return "reacted";
        });
  }

  Tool sleep() {
    return new Tool("sleep", "min_time=None", """
        Rest until something happens, or for at most min_time minutes. Call it whenever
        nothing useful is left to do. When asked to be quiet for a while, give min_time.
        Example: sleep() or sleep(min_time=MINUTES)""", args -> {
          Double minutes = args.optionalNumber("min_time");
          if (minutes != null && (minutes <= 0 || minutes > MAX_SLEEP_MINUTES)) {
            throw ToolError.value("sleep(): min_time must be a number of minutes from 0 to "
                + MAX_SLEEP_MINUTES + " (a week)");
          }
          control.sleep(minutes == null ? null : Duration.ofSeconds(Math.round(minutes * 60)));
          return null;
        });
  }

  Tool shutdown() {
    return new Tool("shutdown", "reason", """
        Stop the bot completely; only its admin can start it again. Only when asked to.
        Example: shutdown("REASON")""", args -> {
          control.shutdown(args.string("reason"));
          return null;
        });
  }

  Tool increaseMood() {
    return new Tool("increase_mood", "mood_name", """
        Raise one of your moods a little: happy, sad, afraid, angry, surprised or disgusted.
        Example: increase_mood("MOOD")""", args -> changeMood(args, 1));
  }

  Tool decreaseMood() {
    return new Tool("decrease_mood", "mood_name", """
        Lower one of your moods a little.
        Example: decrease_mood("MOOD")""", args -> changeMood(args, -1));
  }

  private Object changeMood(Tool.Args args, int delta) throws ToolError {
    try {
      int level = state.changeMood(args.string("mood_name").strip().toLowerCase(), delta);
      control.acted(args.tool());
      return level;
    } catch (IllegalArgumentException e) {
      throw ToolError.value(args.tool() + "(): " + e.getMessage());
    }
  }

  Tool addGoal() {
    return new Tool("add_goal", "goal_description", """
        Add something to do later to your list of goals; returns its number.
        Example: add_goal("GOAL")""", args -> {
          String goal = args.string("goal_description").strip();
          if (goal.isEmpty()) {
            throw ToolError.value("add_goal(): goal_description is empty");
          }
          try {
            int number = state.addGoal(goal);
            control.acted("add_goal");
            return number;
          } catch (IllegalStateException e) {
            throw ToolError.value("add_goal(): " + e.getMessage());
          }
        });
  }

  Tool setPage() {
    return new Tool("set_page", "markdown", """
        Write your corner of the monitor page, where the people who run you watch you work:
        your status, what you are working on. Markdown; it replaces what you wrote there
        before. People in the rooms do not see it.
        Example: set_page("Working on: TASK")""", args -> {
          try {
            state.setPage(args.string("markdown"));
          } catch (IllegalArgumentException e) {
            throw ToolError.value("set_page(): " + e.getMessage());
          }
          control.acted("set_page");
          return null;
        });
  }

  Tool deleteGoal() {
    return new Tool("delete_goal", "goal_index", """
        Delete a goal by its number in your list of goals, when done or no longer wanted.
        Example: delete_goal(NUMBER)""", args -> {
          Double index = args.optionalNumber("goal_index");
          if (index == null || index != Math.floor(index)) {
            throw ToolError.type("delete_goal(): goal_index must be a whole number");
          }
          try {
            String goal = state.deleteGoal(index.intValue());
            control.acted("delete_goal");
            return "deleted: " + goal;
          } catch (IllegalArgumentException e) {
            throw ToolError.value("delete_goal(): " + e.getMessage());
          }
        });
  }
}
