package scrittabot.kernel;

import java.util.List;

/** An event in the queue, with the id under which the {@link Journal} keeps it. */
public record Queued(long id, Event event) {
  public static List<Event> events(List<Queued> queued) {
    return queued.stream().map(Queued::event).toList();
  }

  public static List<Long> ids(List<Queued> queued) {
    return queued.stream().map(Queued::id).toList();
  }
}
