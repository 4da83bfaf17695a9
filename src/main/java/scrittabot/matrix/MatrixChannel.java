package scrittabot.matrix;

import java.io.IOException;
import java.net.URLConnection;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import scrittabot.Config;
import scrittabot.Json;
import scrittabot.kernel.Channel;
import scrittabot.kernel.Event;
import scrittabot.kernel.EventQueue;
import scrittabot.kernel.Journal;
import scrittabot.library.Images;
import scrittabot.library.Library;

/**
 * The agent's home: Matrix rooms on a homeserver. {@link #start} checks the token and joins the
 * rooms; then a sync thread feeds the kernel's queue and an outbox thread sends, so the agent
 * never waits on the network longer than a moment.
 */
public final class MatrixChannel implements Channel, AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(MatrixChannel.class);
  private static final Duration TIMEOUT = Duration.ofSeconds(30);
  /** A tool waits this long for the homeserver to take a message; after that it stays queued. */
  private static final Duration SEND_WAIT = Duration.ofSeconds(5);
  private static final Duration UPLOAD_TIMEOUT = Duration.ofSeconds(20);
  private static final int TYPING_MS = 60_000;
  private static final int RECENT_EVENTS = 5000;
  private static final int MAX_OPEN = 500;
  /** Homeservers refuse events over 64 KiB; the rest of the event needs some room. */
  private static final int MAX_EVENT_BYTES = 60_000;

  private final Config config;
  private final Library library;
  private final EventQueue queue;
  private final MatrixHttp http;
  private final Outbox outbox;
  private final Rooms rooms;
  private final SyncState state;
  /** Event id to room id of what people did lately, so that the agent can react to it. */
  private final Map<String, String> recent = Collections.synchronizedMap(
      new LinkedHashMap<>() {
        @Override
        protected boolean removeEldestEntry(Map.Entry<String, String> eldest) {
          return size() > RECENT_EVENTS;
        }
      });
  private String userId;
  private Thread syncThread;
  /** Event id to room id of what the agent has seen in its current turn, for read receipts. */
  private final Map<String, String> open = Collections.synchronizedMap(new LinkedHashMap<>());

  public MatrixChannel(Config config, EventQueue queue, Journal journal, Library library) {
    this.config = config;
    this.library = library;
    this.queue = queue;
    this.http = new MatrixHttp(config.homeserver(), config.accessToken());
    this.state = SyncState.load(journal, config.stateDir().resolve("matrix-sync.json"));
    this.outbox = new Outbox(http, state);
    this.rooms = new Rooms(config.allowedUsers());
  }

  /**
   * Checks the access token, joins the configured rooms and starts syncing. A refused token or
   * no room to be in is a {@link Config.ConfigException}: the user must fix something. A
   * homeserver that is away is waited for. {@code fatal} hears of a token revoked later on.
   */
  public void start(Consumer<String> fatal) throws Config.ConfigException, InterruptedException {
    userId = whoami();
    String serverName = userId.substring(userId.indexOf(':') + 1);
    for (String entry : config.rooms()) {
      String room = Rooms.qualify(entry, serverName);
      try {
        var answer = http.retrying("POST", MatrixHttp.CLIENT + "/join/" + MatrixHttp.segment(room),
            Map.of(), TIMEOUT);
        String roomId = String.valueOf(answer.get("room_id"));
        rooms.joined(roomId, room, true);
        log.info("in room {} ({})", room, roomId);
      } catch (IOException e) {
        log.error("cannot join room {}: {}", room, e.getMessage());
      }
    }
    if (rooms.defaultRoom() == null) {
      throw new Config.ConfigException("could not join any room of room_id " + config.rooms()
          + " (see the log above): check the room ids or aliases, and invite the bot's user "
          + userId + " to private rooms");
    }
    var parser = new EventParser(http, library);
    var loop = new SyncLoop(http, state, parser, queue, rooms, userId,
        e -> recent.put(e.getKey(), e.getValue()), outbox, fatal);
    outbox.start();
    syncThread = Thread.ofPlatform().daemon().name("matrix-sync").start(loop);
  }

  private String whoami() throws Config.ConfigException, InterruptedException {
    try {
      var answer = http.retrying("GET", MatrixHttp.CLIENT + "/account/whoami", null, TIMEOUT);
      String id = answer.get("user_id") instanceof String s ? s : config.userId();
      if (!id.equals(config.userId())) {
        log.warn("user_id in the config is {}, but the access token belongs to {}: using {}",
            config.userId(), id, id);
      }
      return id;
    } catch (MatrixException e) {
      if (e.errcode().equals("M_UNKNOWN_TOKEN") || e.status() == 401) {
        throw new Config.ConfigException("the homeserver " + config.homeserver() + " refused the "
            + "access_token (" + e.errcode() + "): log in again with "
            + "'java -jar scrittabot.jar --login', which writes a new token into the config");
      }
      throw new Config.ConfigException("cannot check the access token at " + config.homeserver()
          + ": " + e.getMessage());
    } catch (IOException e) {
      throw new Config.ConfigException("cannot reach the homeserver " + config.homeserver() + ": "
          + e.getMessage());
    }
  }

  @Override
  public void send(String room, String text) throws IOException {
    var content = Markdown.messageContent(text);
    int bytes = Json.write(content).getBytes(StandardCharsets.UTF_8).length;
    if (bytes > MAX_EVENT_BYTES) {
      throw new IOException("the message is " + bytes + " bytes as a Matrix event (Markdown and"
          + " HTML); the limit is about " + MAX_EVENT_BYTES + ": split it");
    }
    deliver(outbox.send(roomId(room), "m.room.message", content));
  }

  @Override
  public void sendFile(String room, Path file) throws IOException {
    String roomId = roomId(room);
    long size = Files.size(file);
    if (size > config.maxFileSize()) {
      throw new IOException(file.getFileName() + " has " + size + " bytes; max_file_size is "
          + config.maxFileSize());
    }
    byte[] data = Files.readAllBytes(file);
    String name = file.getFileName().toString();
    String mime = mimeType(file);
    int[] wh = mime.startsWith("image/") ? Images.size(data) : null;
    String uri;
    try {
      uri = http.upload(data, mime, name, UPLOAD_TIMEOUT);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IOException("interrupted");
    }
    var info = new LinkedHashMap<String, Object>();
    info.put("mimetype", mime);
    info.put("size", size);
    if (wh != null) {
      info.put("w", wh[0]);
      info.put("h", wh[1]);
    }
    deliver(outbox.send(roomId, "m.room.message", Map.of("msgtype",
        wh != null ? "m.image" : "m.file", "body", name, "filename", name, "url", uri,
        "info", info)));
  }

  @Override
  public String react(String eventId, String key) throws IOException {
    String roomId = recent.get(eventId);
    if (roomId == null) {
      throw new IOException("no message with id " + eventId + " (use the id=\"...\" of a "
          + "message you were shown)");
    }
    deliver(outbox.send(roomId, "m.reaction", Map.of("m.relates_to",
        Map.of("rel_type", "m.annotation", "event_id", eventId, "key", key))));
    return rooms.name(roomId);
  }

  @Override
  public String trouble() {
    return http.trouble();
  }

  @Override
  public String defaultRoom() {
    return rooms.defaultRoom();
  }

  /** People see that the bot is typing in the rooms whose messages it works on. */
  @Override
  public void stepStarted(List<Event> events) {
    var rooms = new LinkedHashMap<String, String>();
    for (Event e : events) {
      if (e instanceof Event.Incoming in && in.refs().id() != null
          && this.rooms.id(in.room()) instanceof String roomId) {
        rooms.put(in.refs().id(), roomId);
      }
    }
    open.putAll(rooms);
    rooms.values().stream().distinct().forEach(roomId -> typing(roomId, true));
  }

  /** Typing ends. Once the agent's turn is over, read receipts go out for what it has seen. */
  @Override
  public void stepEnded(List<Event> events, boolean turnOver) {
    var rooms = events.stream().filter(e -> e instanceof Event.Incoming)
        .map(e -> this.rooms.id(((Event.Incoming) e).room())).filter(Objects::nonNull)
        .distinct().toList();
    rooms.forEach(roomId -> typing(roomId, false));
    if (!turnOver && open.size() < MAX_OPEN) { // an agent that never rests must not pile up
      return;
    }
    var last = new LinkedHashMap<String, String>();
    synchronized (open) {
      open.forEach((eventId, roomId) -> last.put(roomId, eventId));
      open.clear();
    }
    last.forEach((roomId, eventId) -> outbox.tryOnce("POST", MatrixHttp.CLIENT + "/rooms/"
        + MatrixHttp.segment(roomId) + "/receipt/m.read/" + MatrixHttp.segment(eventId),
        Map.of()));
  }

  @Override
  public void close() {
    if (syncThread != null) {
      syncThread.interrupt();
    }
    outbox.close();
    http.close();
  }

  private void typing(String roomId, boolean on) {
    outbox.tryOnce("PUT", MatrixHttp.CLIENT + "/rooms/" + MatrixHttp.segment(roomId) + "/typing/"
        + MatrixHttp.segment(userId), on ? Map.of("typing", true, "timeout", TYPING_MS)
        : Map.of("typing", false));
  }

  /** The id of a room the agent named by its name or id. */
  private String roomId(String room) throws IOException {
    String id = rooms.id(room);
    if (id == null) {
      throw new IOException("the bot is not in a room called '" + room + "'; its rooms are "
          + rooms.all());
    }
    return id;
  }

  /**
   * Waits a moment for the homeserver to take what was sent. If it is away, the message stays in
   * the outbox and goes out when it is back: the agent need not send it again.
   */
  private static void deliver(CompletableFuture<String> sent)
      throws IOException {
    try {
      sent.get(SEND_WAIT.toMillis(), TimeUnit.MILLISECONDS);
    } catch (TimeoutException e) {
      log.warn("the homeserver has not taken a message yet; it stays queued and is retried");
    } catch (ExecutionException e) {
      throw new IOException(e.getCause().getMessage(), e.getCause());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IOException("interrupted");
    }
  }

  private static String mimeType(Path file) throws IOException {
    String type = Files.probeContentType(file);
    if (type == null) {
      type = URLConnection.guessContentTypeFromName(file.getFileName().toString());
    }
    return type == null ? "application/octet-stream" : type;
  }
}
