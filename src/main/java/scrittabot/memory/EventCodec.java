package scrittabot.memory;

import java.time.Instant;
import java.util.Base64;
import java.util.HashMap;
import java.util.Map;
import scrittabot.Json;
import scrittabot.kernel.Event;
import scrittabot.llm.ChatMessage;

/**
 * Events as JSON text and back, so that one that waited in the queue when the bot stopped is
 * queued again at the next start exactly as it was. JSON text, not jsonb: it keeps NUL escaped.
 */
final class EventCodec {
  private EventCodec() {}

  /** The kind stored with an event: the dialogue table's {@code kind} column. */
  static String kind(Event event) {
    return switch (event) {
      case Event.UserMessage m -> "message";
      case Event.FileMessage f -> "file";
      case Event.Reaction r -> "reaction";
      case Event.CodeOutput c -> "code";
      case Event.WakeUp w -> "wakeup";
      case Event.SystemNotice n -> "notice";
    };
  }

  /** The searchable text of an event. */
  static String text(Event event) {
    return switch (event) {
      case Event.UserMessage m -> m.text();
      case Event.FileMessage f -> f.filename() + (f.caption() == null ? "" : "\n" + f.caption())
          + (f.problem() == null ? "" : "\n" + f.problem());
      case Event.Reaction r -> r.key();
      case Event.CodeOutput c -> c.output() + (c.error() == null ? "" : "\n" + c.error());
      case Event.WakeUp w -> "woke up";
      case Event.SystemNotice n -> n.text();
    };
  }

  static String write(Event event) {
    var map = new HashMap<String, Object>();
    map.put("kind", kind(event));
    map.put("time", event.time().toString());
    if (event instanceof Event.Incoming in) {
      map.put("user", in.user());
      map.put("room", in.room());
      map.put("refs", refs(in.refs()));
    }
    switch (event) {
      case Event.UserMessage m -> map.put("text", m.text());
      case Event.FileMessage f -> {
        map.put("filename", f.filename());
        map.put("size", f.size());
        map.put("mime_type", f.mimeType());
        map.put("caption", f.caption());
        map.put("problem", f.problem());
        if (f.image() != null) {
          map.put("image", Map.of("mime_type", f.image().mimeType(),
              "data", Base64.getEncoder().encodeToString(f.image().data())));
        }
      }
      case Event.Reaction r -> {
        map.put("target", r.target());
        map.put("key", r.key());
      }
      case Event.CodeOutput c -> {
        map.put("output", c.output());
        map.put("error", c.error());
      }
      case Event.WakeUp w -> { }
      case Event.SystemNotice n -> {
        map.put("text", n.text());
        map.put("urgent", n.urgent());
      }
    }
    return Json.write(map);
  }

  /** Reads an event back; throws {@link IllegalArgumentException} for one it cannot read. */
  static Event read(String json) {
    Map<String, Object> m = Json.parseObject(json);
    String kind = string(m, "kind");
    try {
      Instant time = Instant.parse(string(m, "time"));
      return switch (kind) {
        case "message" -> new Event.UserMessage(time, string(m, "user"), string(m, "room"),
            string(m, "text"), refs(m.get("refs")));
        case "file" -> new Event.FileMessage(time, string(m, "user"), string(m, "room"),
            refs(m.get("refs")), string(m, "filename"), ((Number) m.get("size")).longValue(),
            string(m, "mime_type"), string(m, "caption"), image(m.get("image")),
            string(m, "problem"));
        case "reaction" -> new Event.Reaction(time, string(m, "user"), string(m, "room"),
            refs(m.get("refs")), string(m, "target"), string(m, "key"));
        case "code" -> new Event.CodeOutput(time, string(m, "output"), string(m, "error"));
        case "wakeup" -> new Event.WakeUp(time);
        case "notice" -> new Event.SystemNotice(time, string(m, "text"),
            Boolean.TRUE.equals(m.get("urgent")));
        default -> throw new IllegalArgumentException("unknown event kind " + kind);
      };
    } catch (RuntimeException e) {
      throw new IllegalArgumentException("a " + kind + " event with missing or wrong fields: "
          + e.getMessage(), e);
    }
  }

  private static Map<String, Object> refs(Event.Refs refs) {
    var map = new HashMap<String, Object>();
    map.put("id", refs.id());
    map.put("reply_to", refs.replyTo());
    map.put("edit_of", refs.editOf());
    map.put("thread", refs.thread());
    return map;
  }

  private static Event.Refs refs(Object json) {
    return json == null ? Event.Refs.NONE : new Event.Refs(string(json, "id"),
        string(json, "reply_to"), string(json, "edit_of"), string(json, "thread"));
  }

  private static ChatMessage.Image image(Object json) {
    return json == null ? null : new ChatMessage.Image(string(json, "mime_type"),
        Base64.getDecoder().decode(string(json, "data")));
  }

  private static String string(Object map, String key) {
    return Json.at(map, key) instanceof String s ? s : null;
  }
}
