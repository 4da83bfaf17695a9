package scrittabot.memory;

import java.io.PrintStream;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.List;
import scrittabot.Config;
import scrittabot.llm.LlmClient;
import scrittabot.llm.LlmException;

/**
 * {@code --reembed}: recomputes every embedding with the configured embedding model, for a new
 * model (another dimension, or just a better one). Nothing else changes: the texts are all kept,
 * so nothing is lost; what the server cannot do now, the bot fills in later as it runs.
 */
public final class Reembed {
  private Reembed() {}

  /** Returns the exit code: 0 when every embedding is new, 1 when it could not start. */
  public static int run(Database db, Config config, PrintStream out) {
    try (var client = new LlmClient(config)) {
      List<float[]> probe;
      try {
        probe = client.embed(List.of("probe"));
      } catch (LlmException e) {
        out.println("The embedding server does not answer (" + e.getMessage() + "); nothing "
            + "was changed.");
        return 1;
      }
      int dimensions = probe.getFirst().length;
      long total = db.maintenance(c -> {
        long rows = 0;
        try (Statement s = c.createStatement()) {
          for (String table : Embeddings.TABLES.keySet()) {
            s.execute("DROP INDEX IF EXISTS " + table + "_embedding"); // not kept up meanwhile
            rows += s.executeUpdate("UPDATE " + table + " SET embedding = NULL");
          }
        }
        Embeddings.setDimensions(c, dimensions, config.modelEmbedding());
        return rows;
      });
      out.println("Recomputing the embeddings of " + total + " rows with " + config.modelEmbedding()
          + " (" + dimensions + " dimensions)...");
      var embeddings = new Embeddings(db, client, config.modelEmbedding(),
          config.contextEmbedding());
      long done = 0;
      while (true) {
        int batch = 0;
        for (var table : Embeddings.TABLES.entrySet()) {
          batch += embeddings.fillBatch(table.getKey(), table.getValue());
        }
        done += batch;
        if (batch == 0) {
          break;
        }
        if (done % 1024 < batch) {
          out.println("  " + done + " done");
        }
      }
      long left = missing(db);
      out.println(left == 0 ? "Done: " + done + " embeddings." : "Done: " + done + " embeddings; "
          + left + " are left for the bot to fill in as it runs (the server refused or failed "
          + "them).");
      return 0;
    } catch (SQLException e) {
      out.println("Could not recompute the embeddings: " + e.getMessage());
      return 1;
    }
  }

  private static long missing(Database db) throws SQLException {
    return db.transaction(c -> {
      long rows = 0;
      for (var table : Embeddings.TABLES.entrySet()) {
        try (var s = c.prepareStatement("SELECT count(*) FROM " + table.getKey()
            + " WHERE embedding IS NULL AND " + table.getValue());
            ResultSet r = s.executeQuery()) {
          r.next();
          rows += r.getLong(1);
        }
      }
      return rows;
    });
  }
}
