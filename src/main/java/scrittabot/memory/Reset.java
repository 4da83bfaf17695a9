package scrittabot.memory;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.LinkedHashMap;
import java.util.List;

/**
 * {@code --reset-db}: says what the bot's memory holds, asks, and deletes it all by dropping the
 * bot's schema (nothing else in the database), then makes the tables anew. Files stay.
 */
public final class Reset {
  private Reset() {}

  /** Returns the exit code: 0 when reset, 1 when not confirmed or failed. */
  public static int run(Database db, boolean yes, InputStream in, PrintStream out) {
    try {
      out.println("This deletes everything the bot remembers in database " + db.url()
          + " (schema " + Database.SCHEMA + "): " + contents(db) + ". Files in files_dir stay.");
      out.flush();
      if (!yes) {
        if (System.console() == null) {
          out.println("Not reset: confirm with --yes when not on a terminal.");
          return 1;
        }
        out.print("Type 'yes' to delete it: ");
        out.flush();
        String answer = new BufferedReader(new InputStreamReader(in, StandardCharsets.UTF_8))
            .readLine();
        if (answer == null || !answer.strip().equalsIgnoreCase("yes")) {
          out.println("Not reset.");
          return 1;
        }
      }
      db.reset();
      out.println("Reset: the bot's memory is empty.");
      return 0;
    } catch (SQLException | IOException e) {
      out.println("Could not reset the database: " + e.getMessage());
      return 1;
    }
  }

  /** What the schema holds, as far as it can be read (a schema of another version may differ). */
  private static String contents(Database db) {
    var counts = new LinkedHashMap<String, Long>();
    try {
      count(db, counts);
    } catch (SQLException e) {
      return "tables this bot cannot read (" + e.getMessage().lines().findFirst().orElse("")
          + ")";
    }
    var text = new StringBuilder();
    counts.forEach((what, n) -> text.append(text.isEmpty() ? "" : ", ").append(n).append(' ')
        .append(what));
    return text + ", mood, goals and the Matrix sync position";
  }

  private static void count(Database db, LinkedHashMap<String, Long> counts)
      throws SQLException {
    db.transaction(c -> {
      for (String table : List.of("dialogue", "steps", "notes", "documents")) {
        try (var s = c.prepareStatement("SELECT count(*) FROM " + table);
            ResultSet r = s.executeQuery()) {
          r.next();
          counts.put(table.equals("dialogue") ? "dialogue entries" : table, r.getLong(1));
        }
      }
      return null;
    });
  }
}
