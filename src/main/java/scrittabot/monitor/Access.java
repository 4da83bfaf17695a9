package scrittabot.monitor;

import com.sun.net.httpserver.HttpExchange;
import java.io.IOException;
import java.net.InetAddress;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.util.Base64;
import java.util.Set;

/**
 * Who may see the page: whoever holds the token, on loopback too (the chats are private to the
 * people in the rooms, not to every local user). The token comes in a link once (?token=), then
 * in an HttpOnly cookie, which Server-Sent Events carry; scrapers send it as a Bearer header.
 * A page served on loopback answers only to loopback host names, so a DNS-rebinding site cannot
 * talk to it under its own name; a request from another origin is refused.
 */
final class Access {
  private static final String TOKEN_FILE = "monitor-token";

  private final byte[] token;
  private final Set<String> hosts;
  private final String cookieName;

  /**
   * {@code hosts}: the Host headers accepted, or empty for any (a non-loopback bind); {@code
   * port}: the page's, which names its cookie.
   */
  Access(String token, Set<String> hosts, int port) {
    this.token = token.getBytes(StandardCharsets.UTF_8);
    this.hosts = hosts;
    this.cookieName = cookieName(port);
  }

  /**
   * A browser keeps one cookie per name and host, whatever the port: two bots on one machine
   * would take each other's place in it.
   */
  static String cookieName(int port) {
    return "scrittabot_monitor_" + port;
  }

  /** The Host headers a page bound to {@code bind} on {@code port} answers to. */
  static Set<String> hostsFor(String bind, int port) throws IOException {
    InetAddress address = InetAddress.getByName(bind);
    if (!address.isLoopbackAddress()) {
      return Set.of(); // reached by whatever name the server has: the token guards it
    }
    // the loopback names, and the bind as written and as an address (127.0.1.1, say)
    return Set.copyOf(java.util.List.of("127.0.0.1:" + port, "localhost:" + port,
        "[::1]:" + port, hostName(bind) + ":" + port,
        hostName(address.getHostAddress()) + ":" + port));
  }

  /** An address or name as a Host header writes it: IPv6 in brackets, ::1 short. */
  static String hostName(String bindOrAddress) {
    String name = bindOrAddress.toLowerCase(java.util.Locale.ROOT);
    if (name.startsWith("[") || !name.contains(":")) {
      return name;
    }
    return name.equals("0:0:0:0:0:0:0:1") ? "[::1]" : "[" + name + "]";
  }

  /** monitor_token from the config, or the one kept in state_dir (made once, owner-only). */
  static String token(String configured, Path stateDir) throws IOException {
    if (configured != null && !configured.isBlank()) {
      return configured.strip();
    }
    Path file = stateDir.resolve(TOKEN_FILE);
    if (Files.isRegularFile(file)) {
      String kept = Files.readString(file).strip();
      if (!kept.isEmpty()) {
        return kept;
      }
    }
    Files.createDirectories(stateDir);
    String made = random();
    Path partial = stateDir.resolve(TOKEN_FILE + ".part");
    Files.deleteIfExists(partial); // a leftover keeps its own permissions: make a new one
    try {
      // owner-only from the start, not after: another user must never be able to open it
      Files.createFile(partial, PosixFilePermissions.asFileAttribute(
          PosixFilePermissions.fromString("rw-------")));
    } catch (UnsupportedOperationException e) {
      // not a POSIX file system: the state folder's own permissions guard it
    }
    Files.writeString(partial, made + "\n");
    Files.move(partial, file, java.nio.file.StandardCopyOption.ATOMIC_MOVE);
    return made;
  }

  /** 24 random bytes, as URL-safe text. */
  static String random() {
    byte[] random = new byte[24];
    new SecureRandom().nextBytes(random);
    return Base64.getUrlEncoder().withoutPadding().encodeToString(random);
  }

  /** Why a request is refused (status and words), or null when it may pass. */
  Refusal check(HttpExchange exchange) {
    String host = exchange.getRequestHeaders().getFirst("Host");
    if (!hosts.isEmpty() && (host == null || !hosts.contains(host.toLowerCase()))) {
      return new Refusal(421, "this page answers only to its own address");
    }
    String origin = exchange.getRequestHeaders().getFirst("Origin");
    if (origin != null && !sameOrigin(origin, host)) {
      return new Refusal(403, "requests from other sites are refused");
    }
    if (!holdsToken(exchange)) {
      return new Refusal(401, "the monitor needs its token: open the link the bot's log "
          + "printed at start (…/?token=...)");
    }
    return null;
  }

  record Refusal(int status, String reason) {}

  private static boolean sameOrigin(String origin, String host) {
    try {
      URI uri = URI.create(origin);
      return host != null && uri.getRawAuthority() != null
          && uri.getRawAuthority().equalsIgnoreCase(host);
    } catch (IllegalArgumentException e) {
      return false;
    }
  }

  /** The token in the link (?token=), the cookie or a Bearer header. */
  boolean holdsToken(HttpExchange exchange) {
    String fromLink = linkToken(exchange);
    if (fromLink != null) {
      return matches(fromLink);
    }
    String auth = exchange.getRequestHeaders().getFirst("Authorization");
    if (auth != null && auth.startsWith("Bearer ")) {
      return matches(auth.substring(7).strip());
    }
    for (String header : exchange.getRequestHeaders().getOrDefault("Cookie", java.util.List.of())) {
      for (String part : header.split(";")) {
        String p = part.strip();
        if (p.startsWith(cookieName + "=") && matches(p.substring(cookieName.length() + 1))) {
          return true;
        }
      }
    }
    return false;
  }

  /** The token given in the address, or null. */
  static String linkToken(HttpExchange exchange) {
    return parameter(exchange, "token");
  }

  /** A parameter of the request's query, decoded; null when it is not there. */
  static String parameter(HttpExchange exchange, String name) {
    String query = exchange.getRequestURI().getRawQuery();
    for (String pair : query == null ? new String[0] : query.split("&")) {
      if (pair.startsWith(name + "=")) {
        // a badly encoded one never gets here: the JDK's server answers it with a 400
        String value = java.net.URLDecoder.decode(pair.substring(name.length() + 1),
            StandardCharsets.UTF_8);
        if (value.indexOf('\0') >= 0) {
          throw new BadRequest(name + " holds a NUL character");
        }
        return value;
      }
    }
    return null;
  }

  /** A request the page cannot answer as asked: a 400 with these words. */
  static final class BadRequest extends RuntimeException {
    BadRequest(String message) {
      super(message);
    }
  }

  private boolean matches(String given) {
    return MessageDigest.isEqual(token, given.getBytes(StandardCharsets.UTF_8));
  }

  /** A secret compared in constant time; a null {@code given} never matches. */
  static boolean sameSecret(String given, String secret) {
    return given != null && MessageDigest.isEqual(given.getBytes(StandardCharsets.UTF_8),
        secret.getBytes(StandardCharsets.UTF_8));
  }

  /**
   * The cookie that keeps the token for the page's later requests. Lax, not Strict: a link
   * clicked in another site (a web mail, Element) must open the page, and Lax sends the cookie
   * only with such GETs, which change nothing; a POST needs the CSRF header and our Origin.
   */
  String cookie() {
    return cookieName + "=" + new String(token, StandardCharsets.UTF_8)
        + "; HttpOnly; SameSite=Lax; Path=/";
  }
}
