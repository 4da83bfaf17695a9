package scrittabot.memory;

import java.net.URI;
import java.net.URISyntaxException;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;

/**
 * The config's {@code database_url}: the seed's {@code postgresql://user:password@host:port/db}
 * (also {@code postgres://}), or a JDBC URL {@code jdbc:postgresql://...} as it is. The password
 * is kept apart so that {@link #toString()} can be logged.
 */
public record DatabaseUrl(String jdbc, String user, String password) {

  public static DatabaseUrl parse(String url) {
    String u = url.strip();
    if (u.startsWith("jdbc:postgresql:")) {
      return new DatabaseUrl(u, null, null);
    }
    if (!u.startsWith("postgresql://") && !u.startsWith("postgres://")) {
      throw new IllegalArgumentException("database_url must look like "
          + "postgresql://user:password@host:5432/database (or jdbc:postgresql://...)");
    }
    URI uri;
    try {
      uri = new URI(u.replaceFirst("^postgres(ql)?://", "http://"));
    } catch (URISyntaxException e) {
      // The message would quote the URL, password and all.
      throw new IllegalArgumentException("database_url is not a valid URL (a password with "
          + "special characters must be percent-encoded, e.g. @ as %40)");
    }
    if (uri.getHost() == null || uri.getPath() == null || uri.getPath().length() < 2) {
      throw new IllegalArgumentException("database_url needs a host and a database name: "
          + "postgresql://user:password@host:5432/database");
    }
    String user = null;
    String password = null;
    if (uri.getRawUserInfo() != null) {
      String[] parts = uri.getRawUserInfo().split(":", 2);
      user = decode(parts[0]);
      password = parts.length > 1 ? decode(parts[1]) : null;
    }
    String jdbc = "jdbc:postgresql://" + uri.getHost() + (uri.getPort() > 0 ? ":" + uri.getPort()
        : "") + uri.getRawPath() + (uri.getRawQuery() == null ? "" : "?" + uri.getRawQuery());
    return new DatabaseUrl(jdbc, user, password);
  }

  private static String decode(String s) {
    return URLDecoder.decode(s.replace("+", "%2B"), StandardCharsets.UTF_8);
  }

  /** For logs: the address and user, never the password. */
  @Override
  public String toString() {
    String where = jdbc.replaceFirst("^jdbc:postgresql://", "").replaceAll("password=[^&]*",
        "password=***");
    return (user == null ? "" : user + "@") + where;
  }
}
