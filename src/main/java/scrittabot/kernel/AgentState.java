package scrittabot.kernel;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;
import java.util.stream.Collectors;
import scrittabot.Json;

/**
 * The agent's inner state shown in every prompt: moods and goals. Every change is handed to a
 * saver as JSON (the journal keeps it), and {@link #restore} takes it up again after a restart.
 */
public final class AgentState {
  public static final List<String> MOODS =
      List.of("happy", "sad", "afraid", "angry", "surprised", "disgusted");
  public static final int MOOD_MAX = 10;
  public static final int MAX_GOALS = 20;
  public static final int MAX_PAGE_CHARS = 4000;

  private final Map<String, Integer> moods = new LinkedHashMap<>();
  private final List<String> goals = new ArrayList<>();
  /** The agent's corner of the monitor page, Markdown; not in the prompt. */
  private String page = "";
  private final Consumer<String> saver;

  public AgentState(Consumer<String> saver) {
    this.saver = saver;
    MOODS.forEach(m -> moods.put(m, 0));
  }

  /** Takes up the state an earlier run saved; what cannot be read is left at its default. */
  public synchronized void restore(String json) {
    if (json == null) {
      return;
    }
    var saved = Json.parseObject(json);
    if (saved.get("moods") instanceof Map<?, ?> levels) {
      levels.forEach((mood, level) -> {
        if (moods.containsKey(String.valueOf(mood)) && level instanceof Number n) {
          moods.put(String.valueOf(mood), Math.max(0, Math.min(MOOD_MAX, n.intValue())));
        }
      });
    }
    if (saved.get("goals") instanceof List<?> list) {
      goals.clear();
      list.stream().limit(MAX_GOALS).forEach(goal -> goals.add(String.valueOf(goal)));
    }
    if (saved.get("page") instanceof String text) {
      page = text.length() > MAX_PAGE_CHARS ? text.substring(0, MAX_PAGE_CHARS) : text;
    }
  }

  private void save() {
    saver.accept(Json.write(Map.of("moods", moods, "goals", goals, "page", page)));
  }

  /** Each mood's level now. */
  public synchronized Map<String, Integer> moods() {
    return Map.copyOf(moods);
  }

  /** The agent's corner of the monitor page, Markdown. */
  public synchronized String page() {
    return page;
  }

  /** Replaces the agent's corner of the monitor page. */
  public synchronized void setPage(String markdown) {
    if (markdown.length() > MAX_PAGE_CHARS) {
      throw new IllegalArgumentException("the page text has " + markdown.length()
          + " characters; the limit is " + MAX_PAGE_CHARS);
    }
    page = markdown;
    save();
  }

  /** Changes a mood by {@code delta} within 0..MOOD_MAX and returns the new level. */
  public synchronized int changeMood(String mood, int delta) {
    if (!moods.containsKey(mood)) {
      throw new IllegalArgumentException("unknown mood '" + mood + "'; moods are " + MOODS);
    }
    int level = Math.max(0, Math.min(MOOD_MAX, moods.get(mood) + delta));
    moods.put(mood, level);
    save();
    return level;
  }

  /** Adds a goal and returns its number (1-based, as the prompt shows it). */
  public synchronized int addGoal(String goal) {
    if (goals.size() >= MAX_GOALS) {
      throw new IllegalStateException("you already have " + MAX_GOALS
          + " goals; delete finished ones first");
    }
    goals.add(goal);
    save();
    return goals.size();
  }

  /** Deletes goal number {@code index} (1-based) and returns its text. */
  public synchronized String deleteGoal(int index) {
    if (index < 1 || index > goals.size()) {
      throw new IllegalArgumentException("there is no goal " + index + (goals.isEmpty()
          ? "; you have no goals" : "; goals are numbered 1 to " + goals.size()));
    }
    String removed = goals.remove(index - 1);
    save();
    return removed;
  }

  /** The state block for the prompt. */
  public synchronized String render() {
    String mood = moods.entrySet().stream()
        .filter(e -> e.getValue() > 0)
        .map(e -> e.getKey() + " " + e.getValue() + "/" + MOOD_MAX)
        .collect(Collectors.joining(", "));
    var out = new StringBuilder("Mood: ").append(mood.isEmpty() ? "calm" : mood).append('\n');
    if (goals.isEmpty()) {
      out.append("Goals: none\n");
    } else {
      out.append("Goals:\n");
      for (int i = 0; i < goals.size(); i++) {
        out.append(i + 1).append(". ").append(goals.get(i)).append('\n');
      }
    }
    return out.toString();
  }
}
