package scrittabot.memory;

import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.List;
import java.util.Objects;
import java.util.Properties;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import scrittabot.Resources;

/**
 * The bot's PostgreSQL: connections, the schema and its migrations, and the lock that keeps a
 * second bot off the same database.
 *
 * <p>Connections are few and short-lived in use: a thread borrows one for a transaction and gives
 * it back; a broken one is closed, and the next borrow connects anew, so a server that restarted
 * is picked up by itself. Every statement has a server-side timeout and every socket read a
 * client-side one, so a hung server cannot hang the bot.
 *
 * <p>Everything lives in the schema {@value #SCHEMA}; the rest of the database is never touched.
 */
public final class Database implements AutoCloseable {
  public static final String SCHEMA = "scrittabot";
  /** The schema versions this code knows, one SQL resource each, applied in order. */
  static final List<String> MIGRATIONS = List.of("schema-1.sql", "schema-2.sql",
      "schema-3.sql", "schema-4.sql");
  private static final Logger log = LoggerFactory.getLogger(Database.class);
  private static final int MAX_IDLE = 4;
  private static final Duration STATEMENT_TIMEOUT = Duration.ofSeconds(30);
  private static final Duration MAX_START_WAIT_PAUSE = Duration.ofSeconds(30);
  /** The advisory lock's key: any number, the same for every bot. */
  private static final long LOCK_KEY = 0x5c717a_b07L;

  /** One unit of work on a connection, run in a transaction. */
  @FunctionalInterface
  public interface Work<T> {
    T run(Connection connection) throws SQLException;
  }

  /** The database cannot be used as configured: wrong password, no database, no pgvector. */
  public static final class Unusable extends Exception {
    Unusable(String message) {
      super(message);
    }
  }

  private final DatabaseUrl url;
  private final Properties properties = new Properties();
  private final ArrayDeque<Connection> idle = new ArrayDeque<>();
  private Connection lock;
  /** The server process of the lock's session, to end it should the network drop it. */
  private int lockPid;
  private String vectorVersion;

  private Database(DatabaseUrl url) {
    this.url = url;
    if (url.user() != null) {
      properties.setProperty("user", url.user());
    }
    if (url.password() != null) {
      properties.setProperty("password", url.password());
    }
    properties.setProperty("ApplicationName", "scrittabot");
    properties.setProperty("connectTimeout", "10");
    properties.setProperty("loginTimeout", "15");
    properties.setProperty("socketTimeout", String.valueOf(STATEMENT_TIMEOUT.toSeconds() + 30));
    properties.setProperty("tcpKeepAlive", "true");
    // The bot's own schema first; pgvector's types live in public (or wherever it was created).
    properties.setProperty("options", "-c statement_timeout=" + STATEMENT_TIMEOUT.toMillis()
        + " -c search_path=" + SCHEMA + ",public");
  }

  /**
   * Connects, waiting as long as it takes for a server that is down (the wait ends with an
   * interrupt), checks pgvector, takes the lock and brings the schema up to date.
   */
  public static Database open(DatabaseUrl url) throws Unusable, InterruptedException {
    return open(url, true);
  }

  /**
   * As {@link #open(DatabaseUrl)}; without {@code migrate} the schema is left as it is (for
   * --reset-db, which must work on a schema too new for this bot).
   */
  public static Database open(DatabaseUrl url, boolean migrate)
      throws Unusable, InterruptedException {
    var db = new Database(url);
    db.awaitServer();
    try {
      db.checkVector();
      db.takeLock();
      if (migrate) {
        db.migrate();
      }
      return db;
    } catch (SQLException e) {
      db.close();
      throw new Unusable("cannot set up the database " + url + ": " + e.getMessage());
    } catch (Unusable e) {
      db.close();
      throw e;
    }
  }

  public DatabaseUrl url() {
    return url;
  }

  /** pgvector 0.8 and newer go on searching an HNSW index when a filter drops candidates. */
  boolean hasIterativeScans() {
    return vectorVersion != null && compareVersions(vectorVersion, "0.8.0") >= 0;
  }

  /** Runs {@code work} in a transaction on a borrowed connection. */
  public <T> T transaction(Work<T> work) throws SQLException {
    Connection c = borrow();
    boolean healthy = false;
    try {
      c.setAutoCommit(false);
      T result = work.run(c);
      c.commit();
      healthy = true;
      return result;
    } catch (SQLException | RuntimeException e) {
      healthy = rollback(c) && !isDown(e);
      throw e;
    } finally {
      giveBack(c, healthy);
    }
  }

  /**
   * Runs long maintenance work (an index over a large table, a rewrite of every row) in a
   * transaction on a connection of its own, without the statement and socket timeouts that
   * guard the bot's everyday queries; the connection is closed afterwards.
   */
  public <T> T maintenance(Work<T> work) throws SQLException {
    try (Connection c = connect()) {
      c.setNetworkTimeout(Runnable::run, 0);
      c.setAutoCommit(false);
      try (Statement s = c.createStatement()) {
        s.execute("SET LOCAL statement_timeout = 0");
      }
      T result = work.run(c);
      c.commit();
      return result;
    }
  }

  /**
   * True when {@code e} means the server is away (down, restarting, unreachable) rather than that
   * the statement was wrong: the work may be tried again later.
   */
  public static boolean isDown(Throwable e) {
    for (Throwable t = e; t != null; t = t.getCause()) {
      if (t instanceof SQLException s && s.getSQLState() != null
          && (s.getSQLState().startsWith("08") || s.getSQLState().startsWith("57P"))) {
        return true;
      }
      if (t instanceof java.net.SocketException || t instanceof java.io.EOFException
          || t instanceof java.net.SocketTimeoutException) {
        return true;
      }
    }
    return false;
  }

  /**
   * True when {@code e} says the statement itself is wrong (data exception, integrity
   * violation, syntax or access rule): trying again would fail again.
   */
  public static boolean isBadData(Throwable e) {
    if (e instanceof RuntimeException) {
      return true; // a bug of ours, e.g. in building the statement
    }
    String state = e instanceof SQLException s ? s.getSQLState() : null;
    return state != null && !isDown(e) && (state.startsWith("22") || state.startsWith("23")
        || state.startsWith("42") || state.startsWith("2B") || state.startsWith("21"));
  }

  /**
   * After the server was away: makes sure this bot still holds the lock (a restarted server
   * forgot it). False when another bot took the database meanwhile.
   */
  public synchronized boolean relock() {
    try {
      if (lock != null && lock.isValid(5)) {
        return true;
      }
      closeQuietly(lock);
      lock = null;
      try {
        takeLock();
      } catch (Unusable e) {
        // After a network drop the server may still hold the old session, and the lock with it,
        // until TCP keepalive ends it: that session is this bot's own, so end it and try again.
        endSession(lockPid);
        takeLock();
      }
      log.info("database back: the bot's lock on it is taken again");
      return true;
    } catch (SQLException e) {
      log.warn("cannot take the database lock again yet: {}", e.getMessage());
      return true; // still away: tried again with the next write
    } catch (Unusable e) {
      log.error("{}", e.getMessage());
      return false;
    }
  }

  /** Deletes every table of the bot (the schema) and makes them anew, empty. */
  public void reset() throws SQLException {
    transaction(c -> {
      try (Statement s = c.createStatement()) {
        s.execute("DROP SCHEMA IF EXISTS " + SCHEMA + " CASCADE");
      }
      return null;
    });
    migrate();
  }

  @Override
  public synchronized void close() {
    synchronized (idle) {
      idle.forEach(Database::closeQuietly);
      idle.clear();
    }
    closeQuietly(lock); // ends the session, which frees the advisory lock
    lock = null;
  }

  private Connection connect() throws SQLException {
    return DriverManager.getConnection(url.jdbc(), properties);
  }

  private Connection borrow() throws SQLException {
    synchronized (idle) {
      Connection c = idle.pollLast();
      if (c != null) {
        return c;
      }
    }
    return connect();
  }

  private void giveBack(Connection c, boolean healthy) {
    if (healthy) {
      synchronized (idle) {
        if (idle.size() < MAX_IDLE) {
          idle.addLast(c);
          return;
        }
      }
    }
    closeQuietly(c);
    if (!healthy) {
      // One broken connection usually means all are (the server restarted): start afresh.
      synchronized (idle) {
        idle.forEach(Database::closeQuietly);
        idle.clear();
      }
    }
  }

  private void awaitServer() throws Unusable, InterruptedException {
    Duration pause = Duration.ofSeconds(1);
    boolean said = false;
    while (true) {
      try (Connection c = connect()) {
        if (said) {
          log.info("database {} is reachable now", url);
        }
        return;
      } catch (SQLException e) {
        if (!isDown(e)) {
          throw new Unusable(explain(e));
        }
        if (!said) {
          log.warn("database {} is not reachable ({}); waiting for it", url, e.getMessage());
          said = true;
        } else {
          log.info("still waiting for database {}: {}", url, e.getMessage());
        }
      }
      Thread.sleep(pause.toMillis());
      pause = pause.multipliedBy(2);
      pause = pause.compareTo(MAX_START_WAIT_PAUSE) > 0 ? MAX_START_WAIT_PAUSE : pause;
    }
  }

  /** A refusal that waiting will not mend, said with what to do about it. */
  private String explain(SQLException e) {
    String state = Objects.requireNonNullElse(e.getSQLState(), "");
    return switch (state) {
      case "28P01", "28000" -> "database " + url + " refused the login (" + e.getMessage()
          + "): check the user and password in database_url";
      case "3D000" -> "database " + url + " does not exist (" + e.getMessage() + "): create it,"
          + " e.g. as the postgres user: CREATE DATABASE scrittabot OWNER scrittabot;";
      default -> "cannot use database " + url + ": " + e.getMessage();
    };
  }

  /** pgvector 0.7 or newer (halfvec) must be in the database; created here when allowed. */
  private void checkVector() throws SQLException, Unusable {
    String version = transaction(c -> {
      try (Statement s = c.createStatement();
          ResultSet r = s.executeQuery(
              "SELECT extversion FROM pg_extension WHERE extname = 'vector'")) {
        return r.next() ? r.getString(1) : null;
      }
    });
    if (version == null) {
      try {
        transaction(c -> {
          try (Statement s = c.createStatement()) {
            s.execute("CREATE EXTENSION IF NOT EXISTS vector");
          }
          return null;
        });
        log.info("created the vector extension in database {}", url);
        checkVector();
        return;
      } catch (SQLException e) {
        if (isDown(e)) {
          throw e;
        }
        throw new Unusable("database " + url + " has no pgvector extension, and this user may "
            + "not create it (" + e.getMessage() + "). As the postgres user, in that database: "
            + "CREATE EXTENSION vector;  (if that fails, install pgvector 0.7 or newer: on "
            + "Debian, scripts/install-postgres does it)");
      }
    }
    vectorVersion = version;
    if (compareVersions(version, "0.7.0") < 0) {
      throw new Unusable("database " + url + " has pgvector " + version + "; the bot needs 0.7 "
          + "or newer (halfvec). Install a newer pgvector, then as the postgres user in that "
          + "database: ALTER EXTENSION vector UPDATE;");
    }
  }

  private void endSession(int pid) throws SQLException {
    if (pid == 0) {
      return;
    }
    try (Connection c = connect(); var s = c.prepareStatement("SELECT pg_terminate_backend(?)")) {
      s.setInt(1, pid);
      s.execute();
      log.info("ended the bot's own stale database session {}, which held its lock", pid);
    }
  }

  private synchronized void takeLock() throws SQLException, Unusable {
    Connection c = connect();
    try (Statement s = c.createStatement();
        ResultSet r = s.executeQuery("SELECT pg_try_advisory_lock(" + LOCK_KEY + "), "
            + "pg_backend_pid()")) {
      r.next();
      lockPid = r.getInt(2);
      if (!r.getBoolean(1)) {
        closeQuietly(c);
        throw new Unusable("another ScrittaBot is running on database " + url + "; two bots "
            + "on one database would mix their memories. Stop it first, or give this one a "
            + "database of its own");
      }
      lock = c;
    } catch (SQLException e) {
      closeQuietly(c);
      throw e;
    }
  }

  /** Applies the migrations this schema has not had yet; a newer schema is refused. */
  private void migrate() throws SQLException {
    transaction(c -> {
      try (Statement s = c.createStatement()) {
        s.execute("CREATE SCHEMA IF NOT EXISTS " + SCHEMA);
        s.execute("CREATE TABLE IF NOT EXISTS " + SCHEMA
            + ".schema_version (version int NOT NULL)");
        int version;
        try (ResultSet r = s.executeQuery("SELECT max(version) FROM " + SCHEMA
            + ".schema_version")) {
          r.next();
          version = r.getInt(1);
        }
        if (version > MIGRATIONS.size()) {
          throw new SQLException("the database's schema is version " + version + ", newer than "
              + "this bot knows (" + MIGRATIONS.size() + "): it was used by a newer ScrittaBot. "
              + "Run that version, or start afresh with --reset-db");
        }
        for (int v = version + 1; v <= MIGRATIONS.size(); v++) {
          s.execute(Resources.text(Database.class, MIGRATIONS.get(v - 1)));
          s.execute("INSERT INTO " + SCHEMA + ".schema_version VALUES (" + v + ")");
          log.info("database schema upgraded to version {}", v);
        }
      }
      return null;
    });
  }



  static int compareVersions(String a, String b) {
    String[] x = a.split("\\.");
    String[] y = b.split("\\.");
    for (int i = 0; i < Math.max(x.length, y.length); i++) {
      int p = i < x.length ? leadingNumber(x[i]) : 0;
      int q = i < y.length ? leadingNumber(y[i]) : 0;
      if (p != q) {
        return Integer.compare(p, q);
      }
    }
    return 0;
  }

  private static int leadingNumber(String part) {
    String digits = part.replaceFirst("^(\\d*).*", "$1");
    return digits.isEmpty() ? 0 : Integer.parseInt(digits);
  }

  private static boolean rollback(Connection c) {
    try {
      c.rollback();
      return true;
    } catch (SQLException e) {
      return false;
    }
  }

  private static void closeQuietly(Connection c) {
    if (c != null) {
      try {
        c.close();
      } catch (SQLException e) {
        // closing a connection that is gone anyway
      }
    }
  }
}
