package scrittabot.memory;

import java.io.IOException;
import java.nio.file.Path;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Databases in the throwaway PostgreSQL that {@code scripts/test-postgres run} starts for the
 * tests ({@code make test} does): each call makes a fresh database with pgvector, copied from
 * its template in about 0.1 s. The cluster and all its databases go when the test run ends.
 */
public final class TestDatabase {
  private static final AtomicInteger NEXT = new AtomicInteger();
  private static final String SERVER = System.getenv("SCRITTABOT_TEST_POSTGRES");
  private static final String DIR = System.getenv("SCRITTABOT_TEST_POSTGRES_DIR");

  private TestDatabase() {}

  /** A fresh, empty database; its URL in database_url's form. */
  public static String create(String name) {
    if (SERVER == null) {
      throw new IllegalStateException("no test PostgreSQL: run the tests with 'make test', or "
          + "wrap the command in scripts/test-postgres run ...");
    }
    String db = (name.replaceAll("[^A-Za-z0-9]", "_") + "_" + ProcessHandle.current().pid() + "_"
        + NEXT.incrementAndGet()).toLowerCase();
    try (var c = DriverManager.getConnection("jdbc:postgresql://" + SERVER + "/postgres",
        "scrittabot", "");
        var s = c.createStatement()) {
      s.execute("CREATE DATABASE " + db + " TEMPLATE scrittabot_template");
    } catch (SQLException e) {
      throw new IllegalStateException("cannot create test database " + db + ": " + e, e);
    }
    return "postgresql://scrittabot@" + SERVER + "/" + db;
  }

  /** Opens a fresh database as the bot does. */
  public static Database open(String name) throws Exception {
    return Database.open(DatabaseUrl.parse(create(name)));
  }

  /** Stops the test server (a database that goes away); {@link #startServer} brings it back. */
  public static void stopServer() throws IOException, InterruptedException {
    script("stop");
  }

  public static void startServer() throws IOException, InterruptedException {
    script("start");
  }

  private static void script(String command) throws IOException, InterruptedException {
    var process = new ProcessBuilder(Path.of("scripts/test-postgres").toAbsolutePath().toString(),
        command, DIR).inheritIO().start();
    if (!process.waitFor(60, TimeUnit.SECONDS) || process.exitValue() != 0) {
      throw new IOException("scripts/test-postgres " + command + " failed");
    }
  }
}
