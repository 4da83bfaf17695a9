package scrittabot.kernel;

import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import scrittabot.context.Step;

/** A journal in RAM, for unit tests without a database: what Memory keeps, kept in maps. */
public final class RamJournal implements Journal {
  private final Map<Long, Event> events = new LinkedHashMap<>();
  private final Set<Long> done = new HashSet<>();
  private final Set<String> channelIds = new HashSet<>();
  private final List<StepRecord> steps = new ArrayList<>();
  private final Map<String, String> state = new HashMap<>();
  private long nextId = 1;

  @Override
  public synchronized long arrived(Event event) {
    if (event instanceof Event.Incoming in && in.refs().id() != null
        && !channelIds.add(in.refs().id())) {
      return 0;
    }
    events.put(nextId, event);
    return nextId++;
  }

  @Override
  public synchronized boolean knows(String channelId) {
    return channelIds.contains(channelId);
  }

  @Override
  public synchronized void dropped(List<Long> ids) {
    done.addAll(ids);
  }

  @Override
  public synchronized void answered(List<Long> ids) {
    done.addAll(ids);
  }

  @Override
  public synchronized void stepped(StepRecord record) {
    steps.add(record);
    done.addAll(record.eventIds());
    state.put("prompt", record.promptState());
  }

  @Override
  public synchronized List<Queued> waiting() {
    var waiting = new ArrayList<Queued>();
    events.forEach((id, e) -> {
      if (!done.contains(id)) {
        waiting.add(new Queued(id, e));
      }
    });
    return waiting;
  }

  @Override
  public synchronized List<Step> steps(long first) {
    return steps.stream().map(StepRecord::step).filter(s -> s.number() >= first).toList();
  }

  @Override
  public synchronized long lastStep() {
    return steps.isEmpty() ? 0 : steps.getLast().step().number();
  }

  @Override
  public void awaitWritten(Duration timeout) {}

  @Override
  public synchronized String load(String key) {
    return state.get(key);
  }

  @Override
  public synchronized void save(String key, String json) {
    state.put(key, json);
  }

  /** Every event that arrived, in order. */
  public synchronized List<Event> events() {
    return List.copyOf(events.values());
  }
}
