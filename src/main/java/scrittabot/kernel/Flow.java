package scrittabot.kernel;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import scrittabot.Json;

/**
 * What the agent's tools decided about its own flow during a step (sleep, shutdown, whether it
 * acted), and which rooms wait for an answer. The tools write it while code runs; the kernel
 * reads it between steps. Both happen on the kernel thread, except {@link #shutdown} at a signal.
 * The sleep is saved (as JSON) on every change, so that a restart does not wake the agent.
 */
public final class Flow implements Control {
  /** How many of its last messages to a room an old answer is looked for in. */
  private static final int RECENT = 20;
  /** Shorter texts ("OK", "42", "Hello!") may rightly be said again. */
  private static final int REPEAT_MIN_CHARS = 30;
  private final Channel channel;
  private final Journal journal;
  private List<Long> shown = List.of();
  private boolean sleeping;
  private Instant sleepUntil;
  private volatile String shutdownReason;
  private boolean acted;
  private String currentRoom;
  private final Map<String, Room> rooms = new HashMap<>();
  private final List<Journal.Sent> sentThisStep = new ArrayList<>();
  private final List<String> toolsThisStep = new ArrayList<>();

  /** What the kernel keeps about one room's conversation, to answer it once and not echo it. */
  private static final class Room {
    Long unansweredSince; // the step that first showed a message not answered yet
    boolean nudged; // the agent was reminded of this room's unanswered message
    final Set<String> sentSinceMessage = new HashSet<>();
    final Set<String> heardSinceSent = new HashSet<>(); // compared as plain()
    final ArrayDeque<String> recent = new ArrayDeque<>(); // its last messages sent there
  }

  private Room room(String id) {
    return rooms.computeIfAbsent(id, r -> new Room());
  }

  public Flow(Channel channel, Journal journal) {
    this.channel = channel;
    this.journal = journal;
  }

  /**
   * Takes up the sleep an earlier run saved: an agent asleep stays asleep across a restart. A new
   * agent starts asleep: a step with nothing to react to only invites it to talk to nobody.
   */
  public void restore(String json) {
    if (json == null) {
      sleeping = true;
      return;
    }
    var saved = Json.parseObject(json);
    sleeping = Boolean.TRUE.equals(saved.get("sleeping"));
    sleepUntil = sleeping && saved.get("until") instanceof String until ? Instant.parse(until)
        : null;
  }

  @Override
  public void sleep(Duration atMost) {
    sleep(atMost, "it called sleep()");
  }

  /** The kernel puts the agent to rest: {@code why} is for the monitor page. */
  void sleep(Duration atMost, String why) {
    sleeping = true;
    sleepUntil = atMost == null ? null : Instant.now().plus(atMost);
    saveSleep(why);
  }

  /** {@code why} the agent sleeps is saved for the monitor page only. */
  private void saveSleep(String why) {
    var json = new LinkedHashMap<String, Object>();
    json.put("sleeping", sleeping);
    json.put("until", sleepUntil == null ? null : sleepUntil.toString());
    json.put("why", why);
    journal.save("sleep", Json.write(json));
  }

  @Override
  public void shutdown(String reason) {
    shutdownReason = reason == null || reason.isBlank() ? "no reason given" : reason;
  }

  @Override
  public void acted(String tool) {
    acted = true;
  }

  @Override
  public void answered(String room) {
    Room r = room(room);
    r.unansweredSince = null;
    r.nudged = false;
    if (!shown.isEmpty()) {
      // Not waited for here: a channel that can deliver events again (Matrix) waits for its
      // own journal before a message leaves, and this write comes first.
      journal.answered(shown);
      shown = List.of(); // once a step is enough
    }
  }

  @Override
  public boolean repeats(String room, String text) {
    Room r = rooms.get(room);
    return r != null && r.sentSinceMessage.contains(text.strip());
  }

  @Override
  public boolean repeatsOld(String room, String text) {
    Room r = rooms.get(room);
    return r != null && text.strip().length() >= REPEAT_MIN_CHARS
        && r.recent.contains(text.strip());
  }

  @Override
  public boolean echoes(String room, String text) {
    Room r = rooms.get(room);
    return r != null && r.heardSinceSent.contains(plain(text));
  }

  /** Compared without case, spaces and end punctuation: "What is 2+2?" echoes "what is 2+2". */
  private static String plain(String text) {
    return text.strip().toLowerCase(java.util.Locale.ROOT).replaceAll("[\\s.!?]+$", "")
        .replaceAll("\\s+", " ");
  }

  @Override
  public void sent(String room, String text) {
    Room r = room(room);
    r.heardSinceSent.clear();
    r.sentSinceMessage.add(text.strip());
    r.recent.addLast(text.strip());
    if (r.recent.size() > RECENT) {
      r.recent.removeFirst();
    }
    sentThisStep.add(new Journal.Sent(room, text));
  }

  /** A tool was called (any, with an effect or not). */
  public void called(String tool) {
    if (toolsThisStep.size() < 1000) { // a loop of calls is counted, not kept whole
      toolsThisStep.add(tool);
    }
  }

  /** The tools called during the current step, in order, for its record. */
  List<String> toolsThisStep() {
    return List.copyOf(toolsThisStep);
  }

  /** The messages sent during the current step, for its record. */
  List<Journal.Sent> sentThisStep() {
    return List.copyOf(sentThisStep);
  }

  @Override
  public String currentRoom() {
    return currentRoom != null ? currentRoom : channel.defaultRoom();
  }

  Channel channel() {
    return channel;
  }

  /** A message came in during step {@code step}; {@code text} is what it said, if anything. */
  void messageFrom(String room, long step, String text) {
    currentRoom = room;
    Room r = room(room);
    if (text != null) {
      r.heardSinceSent.add(plain(text));
    }
    if (r.unansweredSince == null) {
      r.unansweredSince = step;
    }
    r.sentSinceMessage.clear();
  }

  /** Rooms whose first unanswered message has been in {@code steps} steps; each named once. */
  Set<String> overdue(long step, int steps) {
    var overdue = new HashSet<String>();
    rooms.forEach((id, r) -> {
      if (r.unansweredSince != null && step - r.unansweredSince + 1 >= steps && !r.nudged) {
        r.nudged = true;
        overdue.add(id);
      }
    });
    return overdue;
  }

  /** Starts a step that shows these events: forgets whether the agent acted. */
  void beginStep(List<Long> shownEvents) {
    acted = false;
    shown = shownEvents;
    sentThisStep.clear();
    toolsThisStep.clear();
  }

  boolean acted() {
    return acted;
  }

  boolean sleeping() {
    return sleeping;
  }

  /** When the sleep ends by itself, or null for a sleep until an event. */
  Instant sleepUntil() {
    return sleepUntil;
  }

  void wake() {
    sleeping = false;
    sleepUntil = null;
    saveSleep(null);
  }

  String shutdownReason() {
    return shutdownReason;
  }
}
