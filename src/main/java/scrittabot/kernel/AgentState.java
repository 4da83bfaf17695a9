package scrittabot.kernel;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;

/**
 * The agent's inner state shown in every prompt: moods and goals. Kept in memory for now; the
 * memory issue moves it to PostgreSQL so that a restart continues where it stopped.
 */
public final class AgentState {
  public static final List<String> MOODS =
      List.of("happy", "sad", "afraid", "angry", "surprised", "disgusted");
  public static final int MOOD_MAX = 10;
  public static final int MAX_GOALS = 20;

  private final Map<String, Integer> moods = new LinkedHashMap<>();
  private final List<String> goals = new ArrayList<>();

  public AgentState() {
    MOODS.forEach(m -> moods.put(m, 0));
  }

  /** Changes a mood by {@code delta} within 0..MOOD_MAX and returns the new level. */
  public synchronized int changeMood(String mood, int delta) {
    if (!moods.containsKey(mood)) {
      throw new IllegalArgumentException("unknown mood '" + mood + "'; moods are " + MOODS);
    }
    int level = Math.max(0, Math.min(MOOD_MAX, moods.get(mood) + delta));
    moods.put(mood, level);
    return level;
  }

  /** Adds a goal and returns its number (1-based, as the prompt shows it). */
  public synchronized int addGoal(String goal) {
    if (goals.size() >= MAX_GOALS) {
      throw new IllegalStateException("you already have " + MAX_GOALS
          + " goals; delete finished ones first");
    }
    goals.add(goal);
    return goals.size();
  }

  /** Deletes goal number {@code index} (1-based) and returns its text. */
  public synchronized String deleteGoal(int index) {
    if (index < 1 || index > goals.size()) {
      throw new IllegalArgumentException("there is no goal " + index + "; goals are numbered 1 to "
          + goals.size());
    }
    return goals.remove(index - 1);
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
