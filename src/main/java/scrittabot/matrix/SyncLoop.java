package scrittabot.matrix;

import java.io.IOException;
import java.time.Duration;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import scrittabot.Json;
import scrittabot.kernel.Event;
import scrittabot.kernel.EventQueue;

/**
 * Long-polls /sync and puts what people do into the kernel's queue the moment it arrives. Also
 * answers invites and warns once in encrypted rooms. Nothing that comes from the homeserver can
 * end this loop, except a revoked access token, which ends the bot.
 */
final class SyncLoop implements Runnable {
  private static final Logger log = LoggerFactory.getLogger(SyncLoop.class);
  private static final int POLL_MS = 30_000;
  private static final Duration TIMEOUT = Duration.ofMillis(POLL_MS + 30_000);
  /**
   * Only what the bot uses: messages, reactions, the encryption state of its rooms and (in the
   * timeline) joins, to tell where the bot came in.
   */
  private static final String FILTER = MatrixHttp.segment(Json.write(Map.of(
      "presence", Map.of("types", List.of()),
      "account_data", Map.of("types", List.of()),
      "room", Map.of(
          "state", Map.of("lazy_load_members", true, "types", List.of("m.room.encryption")),
          "timeline", Map.of("limit", 50, "types", List.of("m.room.message", "m.reaction",
              "m.room.encrypted", "m.room.encryption", "m.room.member")),
          "ephemeral", Map.of("types", List.of()),
          "account_data", Map.of("types", List.of())))));
  static final String ENCRYPTED_NOTICE = "This room is end-to-end encrypted, and I cannot read "
      + "encrypted messages. Please talk to me in a room without encryption.";

  private final MatrixHttp http;
  private final SyncState state;
  private final EventParser parser;
  private final EventQueue queue;
  private final Rooms rooms;
  private final String userId;
  private final Consumer<Map.Entry<String, String>> recent;
  private final Outbox outbox;
  private final Consumer<String> fatal;

  /**
   * {@code recent} learns each queued event's id and room (for reactions); {@code fatal} is told
   * when the bot cannot go on (the token was revoked).
   */
  SyncLoop(MatrixHttp http, SyncState state, EventParser parser, EventQueue queue, Rooms rooms,
      String userId, Consumer<Map.Entry<String, String>> recent, Outbox outbox,
      Consumer<String> fatal) {
    this.http = http;
    this.state = state;
    this.parser = parser;
    this.queue = queue;
    this.rooms = rooms;
    this.userId = userId;
    this.recent = recent;
    this.outbox = outbox;
    this.fatal = fatal;
  }

  @Override
  public void run() {
    boolean listening = false;
    while (!Thread.currentThread().isInterrupted()) {
      String since = state.since();
      try {
        String path = MatrixHttp.CLIENT + "/sync?filter=" + FILTER
            + (since == null ? "&timeout=0" : "&timeout=" + POLL_MS + "&since="
                + MatrixHttp.segment(since));
        handle(http.retrying("GET", path, null, TIMEOUT), since == null);
        if (!listening) {
          listening = true;
          log.info(since == null ? "first start: earlier messages are not answered; listening"
              : "listening (from where the last run stopped)");
        }
      } catch (InterruptedException e) {
        return;
      } catch (MatrixException e) {
        if (e.errcode().equals("M_UNKNOWN_TOKEN")) {
          fatal.accept("the homeserver no longer accepts the access token (" + e.getMessage()
              + "); log in again with --login");
          return;
        }
        rest("sync refused: " + e.getMessage());
      } catch (IOException | RuntimeException e) {
        log.error("sync failed; trying again", e);
        rest(e.toString());
      } catch (Error e) { // e.g. out of memory: a bot that no longer hears must not look alive
        log.error("the sync thread failed", e);
        fatal.accept("the sync thread failed: " + e);
        return;
      }
    }
  }

  /** A failure that is not the network's (those are retried inside): pause, then go on. */
  private void rest(String why) {
    log.warn("sync pauses 5 s: {}", why);
    try {
      Thread.sleep(5_000);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  /** One sync answer. On a first start, the rooms' history is not answered. */
  void handle(Map<String, Object> sync, boolean firstStart) throws InterruptedException {
    if (!(sync.get("next_batch") instanceof String nextBatch)) {
      throw new IllegalStateException("sync answer without next_batch");
    }
    if (Json.at(sync, "rooms", "invite") instanceof Map<?, ?> invites) {
      invites.forEach((roomId, room) -> invited(String.valueOf(roomId), room));
    }
    if (Json.at(sync, "rooms", "leave") instanceof Map<?, ?> left) {
      left.keySet().forEach(roomId -> {
        log.warn("the bot is no longer in room {}", rooms.name(String.valueOf(roomId)));
        rooms.left(String.valueOf(roomId));
      });
    }
    if (Json.at(sync, "rooms", "join") instanceof Map<?, ?> joined) {
      for (var entry : joined.entrySet()) {
        String roomId = String.valueOf(entry.getKey());
        if (rooms.name(roomId).equals(roomId)) {
          rooms.joined(roomId, roomId, false); // e.g. a direct chat accepted in an earlier run
        }
        checkEncryption(roomId, Json.at(entry.getValue(), "state", "events"));
        if (Json.at(entry.getValue(), "timeline", "events") instanceof List<?> events) {
          checkEncryption(roomId, events);
          if (!firstStart) {
            timeline(roomId, events);
          }
          if (Boolean.TRUE.equals(Json.at(entry.getValue(), "timeline", "limited"))
              && !firstStart) {
            log.warn("room {} had more new events than one sync gives; older ones are skipped",
                rooms.name(roomId));
          }
        }
      }
    }
    state.synced(nextBatch); // after the events: the journal keeps them first
  }

  private void timeline(String roomId, List<?> events) throws InterruptedException {
    // A room the bot has just joined comes with its recent history: that is not for it to answer.
    int from = 0;
    for (int i = 0; i < events.size(); i++) {
      Object e = events.get(i);
      if ("m.room.member".equals(Json.at(e, "type")) && userId.equals(Json.at(e, "state_key"))
          && "join".equals(Json.at(e, "content", "membership"))) {
        from = i + 1;
      }
    }
    for (Object item : events.subList(from, events.size())) {
      if (!(item instanceof Map<?, ?> raw)) {
        continue;
      }
      @SuppressWarnings("unchecked")
      var event = (Map<String, Object>) raw;
      String id = event.get("event_id") instanceof String s ? s : null;
      String sender = event.get("sender") instanceof String s ? s : null;
      if (userId.equals(sender) || (id != null && (queue.knows(id) || state.handledBefore(id)))
          || sender == null || !rooms.hears(roomId, sender)) {
        continue;
      }
      try {
        Event parsed = parser.parse(event, rooms.name(roomId));
        if (parsed != null && queue.put(parsed)) {
          recent.accept(Map.entry(id, roomId));
          if (parsed instanceof Event.FileMessage f && f.problem() != null) {
            // the person learns at once; the agent hears of it as well, in the event
            outbox.send(roomId, "m.room.message", Map.of("msgtype", "m.notice", "body",
                "I could not keep the file " + f.filename() + ": " + f.problem() + "."));
          }
        }
      } catch (RuntimeException e) {
        log.error("skipping event {} in {}: it could not be read: {}", id, rooms.name(roomId),
            Json.abbreviate(Json.write(event), 300), e);
      }
    }
  }

  private void invited(String roomId, Object room) {
    String inviter = null;
    if (Json.at(room, "invite_state", "events") instanceof List<?> events) {
      for (Object e : events) {
        if ("m.room.member".equals(Json.at(e, "type")) && userId.equals(Json.at(e, "state_key"))
            && Json.at(e, "sender") instanceof String s) {
          inviter = s;
        }
      }
    }
    String path = MatrixHttp.CLIENT + "/rooms/" + MatrixHttp.segment(roomId);
    try {
      // Retried: an invite shows up in one sync only, and the inviter cannot invite again.
      if (inviter != null && rooms.acceptsInvite(roomId, inviter)) {
        http.retrying("POST", path + "/join", Map.of(), TIMEOUT);
        rooms.joined(roomId, roomId, false);
        log.info("accepted the invite of {} to room {}", inviter, roomId);
      } else {
        http.retrying("POST", path + "/leave", Map.of(), TIMEOUT);
        log.info("declined the invite of {} to room {}: not in allowed_users", inviter, roomId);
      }
    } catch (IOException e) {
      log.warn("could not answer the invite of {} to room {}: {}", inviter, roomId,
          e.getMessage());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  /** The bot cannot read encrypted rooms: it says so there, once, rather than stay silent. */
  private void checkEncryption(String roomId, Object events) {
    if (!(events instanceof List<?> list)) {
      return;
    }
    boolean encrypted = list.stream().anyMatch(e -> "m.room.encryption".equals(Json.at(e, "type"))
        || "m.room.encrypted".equals(Json.at(e, "type")));
    if (encrypted && state.firstEncryptedWarning(roomId)) {
      log.warn("room {} is encrypted, which the bot does not support; said so in the room",
          rooms.name(roomId));
      outbox.send(roomId, "m.room.message", Map.of("msgtype", "m.notice", "body",
          ENCRYPTED_NOTICE));
    }
  }
}
