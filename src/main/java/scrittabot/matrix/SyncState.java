package scrittabot.matrix;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import scrittabot.Json;

/**
 * Where the sync stands, kept on disk so that a restart neither loses nor repeats a message.
 *
 * <p>Each sync answer is a batch: its events go into the kernel's queue, and its {@code
 * next_batch} token may be saved only once the kernel has handled all of them (and of the batches
 * before). After a crash the sync starts again at the saved token; events handled since then come
 * again and are recognised by their ids, which are kept too.
 *
 * <p>What the agent sends is kept here as well until the homeserver has it, with the events it
 * answers marked handled in the same write: killed between the two, the bot sends it again
 * after a restart under the same transaction id (the homeserver drops the copy) and does not
 * answer those events twice.
 */
final class SyncState {
  private static final Logger log = LoggerFactory.getLogger(SyncState.class);
  private static final int HANDLED_IDS = 1000;

  private record Batch(String nextBatch, Set<String> waiting) {}

  private final Path file;
  private String savedBatch;
  private final LinkedHashSet<String> handled = new LinkedHashSet<>();
  private final Set<String> warnedEncrypted = new HashSet<>();
  private final ArrayDeque<Batch> batches = new ArrayDeque<>();
  /** Request path (with its transaction id) to body, of sends not yet taken by the homeserver. */
  private final LinkedHashMap<String, Object> unsent = new LinkedHashMap<>();

  private SyncState(Path file) {
    this.file = file;
  }

  /** Reads the state; a missing file is a first start, a broken one is logged and replaced. */
  static SyncState load(Path file) {
    var state = new SyncState(file);
    if (!Files.exists(file)) {
      return state;
    }
    try {
      Map<String, Object> json = Json.parseObject(Files.readString(file));
      state.savedBatch = json.get("next_batch") instanceof String s && !s.isEmpty() ? s : null;
      if (json.get("handled") instanceof List<?> ids) {
        ids.forEach(id -> state.handled.add(String.valueOf(id)));
      }
      if (json.get("warned_encrypted") instanceof List<?> rooms) {
        rooms.forEach(room -> state.warnedEncrypted.add(String.valueOf(room)));
      }
      if (json.get("unsent") instanceof List<?> sends) {
        for (Object send : sends) {
          if (Json.at(send, "path") instanceof String path) {
            state.unsent.put(path, Json.at(send, "body"));
          }
        }
      }
    } catch (IOException | IllegalArgumentException e) {
      log.warn("sync state {} is unreadable ({}); starting as on a first start", file,
          e.getMessage());
    }
    return state;
  }

  /** The token to sync from, or null on a first start. */
  synchronized String since() {
    return batches.isEmpty() ? savedBatch : batches.getLast().nextBatch();
  }

  synchronized boolean wasHandled(String eventId) {
    return handled.contains(eventId);
  }

  /** A sync answer's events are queued: its token counts once they are all handled. */
  synchronized void queued(String nextBatch, Set<String> eventIds) {
    var waiting = new HashSet<>(eventIds);
    waiting.removeIf(handled::contains); // the kernel may be quicker than the rest of the batch
    batches.addLast(new Batch(nextBatch, waiting));
    handled(List.of());
  }

  /** A send is about to go out, answering {@code eventIds}. */
  synchronized void sending(String path, Object body, List<String> eventIds) {
    unsent.put(path, body);
    markHandled(eventIds);
    save();
  }

  /** The homeserver took a send (or refused it for good). */
  synchronized void sent(String path) {
    if (unsent.remove(path) != null) {
      save();
    }
  }

  /** Sends a killed run left behind, oldest first. */
  synchronized Map<String, Object> unsent() {
    return new LinkedHashMap<>(unsent);
  }

  /** The kernel is done with these events. */
  synchronized void handled(List<String> eventIds) {
    String before = savedBatch;
    markHandled(eventIds);
    if (!eventIds.isEmpty() || !Objects.equals(savedBatch, before)) {
      save();
    }
  }

  private void markHandled(List<String> eventIds) {
    for (String id : eventIds) {
      handled.remove(id); // re-added at the end: the set is kept in order of handling
      handled.add(id);
      batches.forEach(b -> b.waiting().remove(id));
    }
    while (handled.size() > HANDLED_IDS) {
      handled.remove(handled.iterator().next());
    }
    while (!batches.isEmpty() && batches.getFirst().waiting().isEmpty()) {
      savedBatch = batches.removeFirst().nextBatch();
    }
  }

  /** True the first time a room is found encrypted, ever (the warning is said once). */
  synchronized boolean firstEncryptedWarning(String roomId) {
    boolean first = warnedEncrypted.add(roomId);
    if (first) {
      save();
    }
    return first;
  }

  /** Written to a temporary file and moved: a crash mid-write leaves the old state. */
  private void save() {
    var sends = new ArrayList<Object>();
    unsent.forEach((path, body) -> sends.add(Map.of("path", path, "body", body)));
    var json = Map.of("next_batch", savedBatch == null ? "" : savedBatch,
        "handled", new ArrayList<>(handled), "warned_encrypted", new ArrayList<>(warnedEncrypted),
        "unsent", sends);
    try {
      Files.createDirectories(file.toAbsolutePath().getParent());
      Path tmp = file.resolveSibling(file.getFileName() + ".tmp");
      Files.writeString(tmp, Json.write(json));
      Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
    } catch (IOException e) {
      log.error("cannot save the sync state to {}: {}", file, e.toString());
    }
  }
}
