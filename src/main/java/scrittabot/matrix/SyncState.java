package scrittabot.matrix;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import scrittabot.Json;
import scrittabot.kernel.Journal;

/**
 * Where the sync stands and what the homeserver has not taken yet, kept in the journal (the
 * database) so that a restart neither loses nor repeats a message.
 *
 * <p>Each sync answer's events are kept in the journal as they are queued, and its {@code
 * next_batch} token is saved after them: the journal writes in order, so the position never
 * runs ahead of the events it stands for. An event that comes again (a sync repeated after a
 * crash) is known by its id and dropped.
 *
 * <p>What the agent sends is kept here until the homeserver has it: killed meanwhile, the bot
 * sends it again after a restart under the same transaction id, and the homeserver drops the
 * copy.
 */
final class SyncState {
  private static final Logger log = LoggerFactory.getLogger(SyncState.class);
  static final String KEY = "matrix_sync";
  /** How long a send waits for its journal to be written; when the database is away, not. */
  private static final Duration WRITE_WAIT = Duration.ofSeconds(2);

  private final Journal journal;
  private String nextBatch;
  private final Set<String> warnedEncrypted = new HashSet<>();
  /** Request path (with its transaction id) to body, of sends not yet taken by the homeserver. */
  private final LinkedHashMap<String, Object> unsent = new LinkedHashMap<>();
  /** Ids an old state file said were handled: the first syncs after the import skip them. */
  private final Set<String> importedHandled = new HashSet<>();

  private SyncState(Journal journal) {
    this.journal = journal;
  }

  /**
   * Reads the state from the journal. A state file of an older version ({@code oldFile}) is
   * taken up once, when the journal has none, and renamed so that it is not read again.
   */
  static SyncState load(Journal journal, Path oldFile) {
    var state = new SyncState(journal);
    String saved = journal.load(KEY);
    if (saved != null) {
      try {
        state.read(saved);
      } catch (IllegalArgumentException e) {
        log.warn("the saved Matrix sync state is unreadable ({}); starting as on a first start",
            e.getMessage());
      }
    } else if (Files.exists(oldFile)) {
      try {
        state.read(Files.readString(oldFile));
        state.save();
        journal.awaitWritten(WRITE_WAIT);
        Files.move(oldFile, oldFile.resolveSibling(oldFile.getFileName() + ".imported"));
        log.info("took the Matrix sync state from {} into the database (the file is renamed "
            + ".imported)", oldFile);
      } catch (IOException | IllegalArgumentException e) {
        log.warn("old sync state {} is unreadable ({}); starting as on a first start", oldFile,
            e.getMessage());
      }
    }
    return state;
  }

  private void read(String text) {
    Map<String, Object> json = Json.parseObject(text);
    nextBatch = json.get("next_batch") instanceof String s && !s.isEmpty() ? s : null;
    if (json.get("warned_encrypted") instanceof List<?> rooms) {
      rooms.forEach(room -> warnedEncrypted.add(String.valueOf(room)));
    }
    if (json.get("unsent") instanceof List<?> sends) {
      for (Object send : sends) {
        if (Json.at(send, "path") instanceof String path) {
          unsent.put(path, Json.at(send, "body"));
        }
      }
    }
    if (json.get("handled") instanceof List<?> ids) { // only in old state files
      ids.forEach(id -> importedHandled.add(String.valueOf(id)));
    }
  }

  /** The token to sync from, or null on a first start. */
  synchronized String since() {
    return nextBatch;
  }

  /** True for an event an old state file said was handled. */
  synchronized boolean handledBefore(String eventId) {
    return importedHandled.contains(eventId);
  }

  /** A sync answer's events are in the journal: the sync goes on from {@code next}. */
  synchronized void synced(String next) {
    if (!next.equals(nextBatch)) {
      nextBatch = next;
      save();
    }
  }

  /** A send is about to go out: it is kept first, so that a kill cannot lose it. */
  void sending(String path, Object body) {
    synchronized (this) {
      unsent.put(path, body);
      save();
    }
    journal.awaitWritten(WRITE_WAIT);
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

  /** True the first time a room is found encrypted, ever (the warning is said once). */
  synchronized boolean firstEncryptedWarning(String roomId) {
    boolean first = warnedEncrypted.add(roomId);
    if (first) {
      save();
    }
    return first;
  }

  private void save() {
    var sends = new ArrayList<Object>();
    unsent.forEach((path, body) -> sends.add(Map.of("path", path, "body", body)));
    journal.save(KEY, Json.write(Map.of("next_batch", nextBatch == null ? "" : nextBatch,
        "warned_encrypted", new ArrayList<>(warnedEncrypted), "unsent", sends)));
  }
}
