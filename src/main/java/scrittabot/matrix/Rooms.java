package scrittabot.matrix;

import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.regex.Pattern;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The bot's rooms and who may talk to it. Rooms are named for the agent by the alias in the
 * config when there is one (people and the agent read "#lobby:example.org" better than an id),
 * else by their id.
 *
 * <p>Without {@code allowed_users}, people in the configured rooms may talk to the bot and it
 * joins no other room. With it, invites from those users are accepted (direct chats) and
 * everyone else is ignored, in any room.
 */
final class Rooms {
  private static final Logger log = LoggerFactory.getLogger(Rooms.class);

  private final List<Pattern> allowed; // null: the configured rooms' people
  private final Map<String, String> names = new ConcurrentHashMap<>();
  private final Set<String> configured = ConcurrentHashMap.newKeySet();
  private final Set<String> ignoredOnce = ConcurrentHashMap.newKeySet();
  private volatile String defaultRoom;

  Rooms(List<String> allowedUsers) {
    this.allowed = allowedUsers == null ? null : allowedUsers.stream().map(Rooms::glob).toList();
  }

  /** The full alias for a room_id entry: '!id' and '#alias:server' stay, a short one gets the server. */
  static String qualify(String entry, String serverName) {
    if (entry.startsWith("!") || entry.contains(":")) {
      return entry;
    }
    return (entry.startsWith("#") ? entry : "#" + entry) + ":" + serverName;
  }

  /** A room the bot is in; {@code name} is how the agent sees it. */
  void joined(String roomId, String name, boolean fromConfig) {
    names.put(roomId, name);
    if (fromConfig) {
      configured.add(roomId);
      if (defaultRoom == null) {
        defaultRoom = name;
      }
    }
  }

  void left(String roomId) {
    names.remove(roomId);
  }

  String name(String roomId) {
    return names.getOrDefault(roomId, roomId);
  }

  /**
   * The id of a room by its name or id; null when it is no room the bot knows. Any room id is
   * taken as it is: the homeserver refuses it if the bot is not in that room.
   */
  String id(String nameOrId) {
    if (names.containsKey(nameOrId) || nameOrId.startsWith("!")) {
      return nameOrId;
    }
    for (var e : names.entrySet()) {
      if (e.getValue().equals(nameOrId)) {
        return e.getKey();
      }
    }
    return null;
  }

  Set<String> all() {
    return Set.copyOf(names.values());
  }

  String defaultRoom() {
    return defaultRoom;
  }

  boolean acceptsInvite(String roomId, String inviter) {
    return configured.contains(roomId) || (allowed != null && allows(inviter));
  }

  /** Whether the agent hears this sender in this room; who is not heard is logged once. */
  boolean hears(String roomId, String sender) {
    boolean hears = allowed == null ? configured.contains(roomId) : allows(sender);
    if (!hears && ignoredOnce.add(allowed == null ? roomId : sender)) {
      log.info(allowed == null
          ? "ignoring messages in room {} (from {} first): it is not in room_id"
          : "ignoring messages in room {} from {}: not in allowed_users", name(roomId), sender);
    }
    return hears;
  }

  private boolean allows(String userId) {
    return allowed.stream().anyMatch(p -> p.matcher(userId).matches());
  }

  /** "@*:example.org" and the like: '*' matches any characters, the rest is literal. */
  private static Pattern glob(String pattern) {
    var parts = Arrays.stream(pattern.split("\\*", -1)).map(Pattern::quote).toList();
    return Pattern.compile(String.join(".*", parts));
  }
}
