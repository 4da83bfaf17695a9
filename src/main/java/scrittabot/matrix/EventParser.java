package scrittabot.matrix;

import java.io.IOException;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.regex.Pattern;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import scrittabot.Json;
import scrittabot.kernel.Event;
import scrittabot.kernel.Event.Refs;
import scrittabot.library.FileNames;
import scrittabot.library.Images;
import scrittabot.library.Library;
import scrittabot.llm.ChatMessage;

/**
 * One Matrix room event to the kernel's event, or null when it is nothing the agent needs. Every
 * field is checked: events come from anyone, and a malformed one is logged and skipped.
 * Files and images are downloaded here, into the files folder.
 */
final class EventParser {
  private static final Logger log = LoggerFactory.getLogger(EventParser.class);
  private static final Pattern MXC = Pattern.compile("mxc://([A-Za-z0-9.:\\[\\]-]+)/([A-Za-z0-9_-]+)");
  private static final Duration DOWNLOAD_TIMEOUT = Duration.ofMinutes(2);

  private final MatrixHttp http;
  private final Library library;
  private final long maxFileSize;

  EventParser(MatrixHttp http, Library library) {
    this.http = http;
    this.library = library;
    this.maxFileSize = library.maxFileSize();
  }

  /** The kernel event for a timeline event of {@code room} (the agent's name for it), or null. */
  Event parse(Map<String, Object> event, String room) throws InterruptedException {
    String type = string(event, "type");
    String id = string(event, "event_id");
    String sender = string(event, "sender");
    if (type == null || id == null || sender == null
        || !(event.get("content") instanceof Map<?, ?> raw)) {
      log.warn("skipping a malformed event in {}: {}", room, Json.abbreviate(Json.write(event), 300));
      return null;
    }
    @SuppressWarnings("unchecked")
    var content = (Map<String, Object>) raw;
    Instant time = event.get("origin_server_ts") instanceof Number ts
        ? Instant.ofEpochMilli(ts.longValue()) : Instant.now();
    return switch (type) {
      case "m.room.message" -> message(content, time, sender, room, id);
      case "m.reaction" -> reaction(content, time, sender, room, id);
      default -> null;
    };
  }

  private Event message(Map<String, Object> content, Instant time, String sender, String room,
      String id) throws InterruptedException {
    String msgtype = string(content, "msgtype");
    String body = string(content, "body");
    if (msgtype == null || body == null) {
      if (!content.isEmpty()) { // an empty content is a redacted message
        log.warn("skipping message {} from {} in {}: no msgtype or body", id, sender, room);
      }
      return null;
    }
    Refs refs = refs(content, id);
    if (refs.editOf() != null) {
      // The new text is in m.new_content; body is a fallback ("* text") for old clients.
      Object newBody = Json.at(content, "m.new_content", "body");
      body = newBody instanceof String s ? s : body.startsWith("* ") ? body.substring(2) : body;
      msgtype = Json.at(content, "m.new_content", "msgtype") instanceof String s ? s : msgtype;
    }
    return switch (msgtype) {
      case "m.image", "m.file", "m.audio", "m.video" ->
          file(content, msgtype, body, time, sender, room, refs);
      case "m.emote" -> new Event.UserMessage(time, sender, room, "/me " + body, refs);
      default -> new Event.UserMessage(time, sender, room,
          refs.replyTo() != null ? stripReplyFallback(body) : body, refs);
    };
  }

  private static Event reaction(Map<String, Object> content, Instant time, String sender,
      String room, String id) {
    Object relation = content.get("m.relates_to");
    if (Json.at(relation, "rel_type") instanceof String rel && rel.equals("m.annotation")
        && Json.at(relation, "event_id") instanceof String target
        && Json.at(relation, "key") instanceof String key) {
      return new Event.Reaction(time, sender, room, Refs.of(id), target, key);
    }
    log.warn("skipping reaction {} from {} in {}: no m.annotation relation", id, sender, room);
    return null;
  }

  /** The reply, edit and thread relations of a message. */
  private static Refs refs(Map<String, Object> content, String id) {
    Object relation = content.get("m.relates_to");
    String relType = Json.at(relation, "rel_type") instanceof String s ? s : null;
    String target = Json.at(relation, "event_id") instanceof String s ? s : null;
    String replyTo = Json.at(relation, "m.in_reply_to", "event_id") instanceof String s ? s : null;
    String thread = "m.thread".equals(relType) ? target : null;
    if (thread != null && Boolean.TRUE.equals(Json.at(relation, "is_falling_back"))) {
      replyTo = null; // in a thread, in_reply_to is only for clients without threads
    }
    String editOf = "m.replace".equals(relType) ? target : null;
    return new Refs(id, replyTo, editOf, thread);
  }

  /**
   * Older clients quote the message replied to as "> <@user:server> text" lines and an empty
   * line; drop that quote, but not a quote the person wrote themselves.
   */
  static String stripReplyFallback(String body) {
    if (!body.startsWith("> <@")) {
      return body;
    }
    var lines = body.lines().toList();
    int i = 0;
    while (i < lines.size() && lines.get(i).startsWith(">")) {
      i++;
    }
    if (i < lines.size() && lines.get(i).isBlank()) {
      i++;
    }
    return String.join("\n", lines.subList(i, lines.size()));
  }

  private Event file(Map<String, Object> content, String msgtype, String body, Instant time,
      String sender, String room, Refs refs) throws InterruptedException {
    String name = string(content, "filename") != null ? string(content, "filename") : body;
    String caption = name.equals(body) ? null : body;
    String mime = Json.at(content, "info", "mimetype") instanceof String s ? s
        : msgtype.equals("m.image") ? "image/*" : "application/octet-stream";
    long size = Json.at(content, "info", "size") instanceof Number n ? n.longValue() : -1;
    String url = string(content, "url");
    String problem = null;
    String saved = null;
    ChatMessage.Image image = null;
    if (url == null) {
      problem = content.containsKey("file") ? "it is encrypted" : "it has no url";
    } else if (size > maxFileSize) {
      problem = "it is larger than max_file_size (" + maxFileSize + " bytes)";
    } else {
      MatrixHttp.Download download = null;
      try {
        download = download(url);
      } catch (IOException e) {
        problem = "the download failed: " + e.getMessage();
      }
      try {
        if (download != null) {
          if (mime.endsWith("/*") || mime.isBlank()) {
            mime = download.contentType().split(";")[0].strip();
          }
          Library.Stored stored = library.receive(name, download.data(), mime, sender, room);
          saved = stored.filename();
          size = stored.size();
          mime = stored.mimeType();
          if (mime.startsWith("image/")) {
            image = imageForLlm(download.data(), saved);
          }
        }
      } catch (Library.Refused e) {
        problem = e.getMessage();
      } catch (IOException e) {
        log.error("cannot store a received file in {}", library.dir(), e);
        problem = "it could not be stored (" + e.getMessage() + ")";
      }
    }
    if (problem != null) {
      log.warn("file '{}' from {} in {} not saved: {}", name, sender, room, problem);
    } else {
      log.info("saved {} ({} bytes) from {} in {}", saved, size, sender, room);
    }
    return new Event.FileMessage(time, sender, room, refs,
        saved == null ? FileNames.safe(name) : saved, Math.max(size, 0), mime, caption, image,
        problem);
  }

  private static ChatMessage.Image imageForLlm(byte[] data, String saved) {
    try {
      return Images.forLlm(data);
    } catch (IOException | RuntimeException e) {
      log.warn("image {} cannot be decoded for the LLM: {}", saved, e.toString());
      return null;
    }
  }

  /**
   * The authenticated media API (spec v1.11) first; servers older than that only have the
   * legacy path, and answer the new one with 404 or 400 (unknown endpoint).
   */
  private MatrixHttp.Download download(String mxc) throws IOException, InterruptedException {
    var m = MXC.matcher(mxc);
    if (!m.matches()) {
      throw new IOException("not a valid mxc:// URI: " + Json.abbreviate(mxc, 100));
    }
    String path = MatrixHttp.segment(m.group(1)) + "/" + MatrixHttp.segment(m.group(2));
    try {
      return http.download("/_matrix/client/v1/media/download/" + path, maxFileSize,
          DOWNLOAD_TIMEOUT);
    } catch (MatrixException e) {
      if (e.status() != 404 && e.status() != 400 && e.status() != 405) {
        throw e;
      }
      try {
        return http.download("/_matrix/media/v3/download/" + path, maxFileSize,
            DOWNLOAD_TIMEOUT);
      } catch (MatrixException legacy) {
        throw e; // the authenticated API's error is the one that says what is wrong
      }
    }
  }

  private static String string(Map<String, Object> map, String key) {
    return map.get(key) instanceof String s ? s : null;
  }
}
