package scrittabot.memory;

import java.io.StringReader;
import java.sql.ResultSet;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Random;
import org.postgresql.PGConnection;
import scrittabot.bench.Samples;
import scrittabot.bench.Table;

/**
 * Recall at scale: the dialogue table filled with 10k and 100k rows of 1024-dimensional
 * embedding-like vectors (a seeded generator), its HNSW index built as the bot builds it, then
 * the recall query timed and its recall@10 measured against exact search, for several
 * ef_search; and the whole hybrid search of a step (three sources, vectors and words), without
 * the embedding call.
 *
 * <p>Uniform random vectors are HNSW's worst case and unlike real embeddings, which share a
 * common direction and lie near a space of few dimensions: here each vector is a common mean,
 * two or three of 48 topics, and noise, normalised.
 */
public final class RecallBench {
  static final int DIMENSIONS = 1024;
  private static final int TOPICS = 48;
  private static final int QUERIES = 200;
  private static final int[] EF_SEARCH = {40, 100, 200};
  private static final long SEED = 20261130;

  /** One ef_search at one size: latency of the vector query and its recall@10. */
  public record Row(int items, int efSearch, Samples latency, double recallAt10) {}

  /** The hybrid search of one step at one size. */
  public record Hybrid(int items, Samples latency, double buildSeconds) {}

  public record Result(List<Row> rows, List<Hybrid> hybrid) {}

  private RecallBench() {}

  public static Result run(int... sizes) throws Exception {
    var rows = new ArrayList<Row>();
    var hybrid = new ArrayList<Hybrid>();
    for (int n : sizes) {
      var random = new Random(SEED);
      var generator = new Generator(random);
      float[][] items = new float[n][];
      for (int i = 0; i < n; i++) {
        items[i] = generator.next();
      }
      float[][] queries = new float[QUERIES][];
      for (int i = 0; i < QUERIES; i++) {
        queries[i] = generator.next();
      }
      try (Memory memory = new Memory(TestDatabase.open("recall_bench_" + n))) {
        double build = fill(memory.database(), items);
        for (int ef : EF_SEARCH) {
          rows.add(measure(memory.database(), items, queries, n, ef));
        }
        var times = new ArrayList<Long>();
        var search = memory.search();
        for (int i = 0; i < QUERIES; i++) {
          long start = System.nanoTime();
          search.run(new Search.Query("what did we say about item " + i, queries[i],
              EnumSet.allOf(Search.Source.class), n - 20, false, null, null, null, null, 20));
          times.add(System.nanoTime() - start);
        }
        hybrid.add(new Hybrid(n, Samples.of(times), build));
      }
    }
    return new Result(rows, hybrid);
  }

  /** Embedding-like vectors: a common direction, a few topics each, noise; unit length. */
  static final class Generator {
    private final Random random;
    private final float[] mean;
    private final float[][] topics = new float[TOPICS][];

    Generator(Random random) {
      this.random = random;
      this.mean = gaussian(1);
      for (int t = 0; t < TOPICS; t++) {
        topics[t] = gaussian(1);
      }
    }

    float[] next() {
      float[] v = new float[DIMENSIONS];
      add(v, mean, 0.6);
      int count = 2 + random.nextInt(2);
      for (int k = 0; k < count; k++) {
        add(v, topics[random.nextInt(TOPICS)], 0.3 + random.nextDouble() * 0.7);
      }
      add(v, gaussian(1), 0.45);
      return normalised(v);
    }

    private float[] gaussian(double scale) {
      float[] v = new float[DIMENSIONS];
      for (int i = 0; i < DIMENSIONS; i++) {
        v[i] = (float) (random.nextGaussian() * scale);
      }
      return normalised(v);
    }

    private static void add(float[] to, float[] v, double weight) {
      for (int i = 0; i < DIMENSIONS; i++) {
        to[i] += (float) (v[i] * weight);
      }
    }

    private static float[] normalised(float[] v) {
      double norm = 0;
      for (float x : v) {
        norm += x * x;
      }
      float scale = (float) (1 / Math.sqrt(norm));
      for (int i = 0; i < v.length; i++) {
        v[i] *= scale;
      }
      return v;
    }
  }

  /** COPY the rows in, then fix the dimension and build the index as the bot does. */
  private static double fill(Database db, float[][] items) throws Exception {
    db.maintenance(c -> {
      var copy = c.unwrap(PGConnection.class).getCopyAPI();
      var text = new StringBuilder();
      for (int i = 0; i < items.length; i++) {
        text.append(i + 1).append("\t2026-01-01 00:00:00+00\tmessage\tsaid item ").append(i)
            .append('\t').append(i + 1).append('\t').append(vectorText(items[i])).append('\n');
        if ((i + 1) % 2000 == 0 || i == items.length - 1) {
          try {
            copy.copyIn("COPY dialogue (id, time, kind, text, step, embedding) FROM STDIN",
                new StringReader(text.toString()));
          } catch (java.io.IOException e) {
            throw new java.sql.SQLException(e);
          }
          text.setLength(0);
        }
      }
      return null;
    });
    long start = System.nanoTime();
    db.maintenance(c -> {
      try (var s = c.createStatement()) {
        // The graph must fit, or the build slows many times: ~2 GB at a million items.
        s.execute("SET LOCAL maintenance_work_mem = '" + (items.length > 200_000 ? 6 : 1)
            + "GB'");
        s.execute("SET LOCAL max_parallel_maintenance_workers = 2");
      }
      Embeddings.setDimensions(c, DIMENSIONS, "synthetic");
      try (var s = c.createStatement()) {
        s.execute("ANALYZE dialogue");
      }
      return null;
    });
    return (System.nanoTime() - start) / 1e9;
  }

  private static String vectorText(float[] v) {
    var out = new StringBuilder(v.length * 8).append('[');
    for (int i = 0; i < v.length; i++) {
      out.append(i == 0 ? "" : ",").append(String.format(Locale.ROOT, "%.5f", v[i]));
    }
    return out.append(']').toString();
  }

  private static Row measure(Database db, float[][] items, float[][] queries, int n, int ef)
      throws Exception {
    var times = new ArrayList<Long>();
    double found = 0;
    String sql = Search.sql(Search.Source.DIALOGUE, new Search.Query("", queries[0],
        EnumSet.of(Search.Source.DIALOGUE), n + 1, false, null, null, null, null, 10), true);
    for (float[] q : queries) {
      long start = System.nanoTime();
      List<Long> ids = db.transaction(c -> {
        try (var s = c.createStatement()) {
          s.execute("SET LOCAL hnsw.ef_search = " + ef);
          if (db.hasIterativeScans()) {
            s.execute("SET LOCAL hnsw.iterative_scan = relaxed_order");
          }
        }
        try (var s = c.prepareStatement(sql)) {
          s.setLong(1, n + 1);
          s.setArray(2, c.createArrayOf("text", Search.DIALOGUE_KINDS.toArray()));
          s.setObject(3, Embeddings.vector(q));
          s.setInt(4, 10);
          var result = new ArrayList<Long>();
          try (ResultSet r = s.executeQuery()) {
            while (r.next()) {
              result.add(r.getLong(1));
            }
          }
          return result;
        }
      });
      times.add(System.nanoTime() - start);
      var exact = new HashSet<>(exactTop10(items, q));
      found += ids.stream().filter(exact::contains).count() / 10.0;
    }
    return new Row(n, ef, Samples.of(times), found / queries.length);
  }

  /** Ids (1-based) of the ten items nearest by cosine: all vectors are unit length. */
  private static List<Long> exactTop10(float[][] items, float[] q) {
    var best = new java.util.PriorityQueue<double[]>((a, b) -> Double.compare(a[0], b[0]));
    for (int i = 0; i < items.length; i++) {
      double dot = 0;
      for (int d = 0; d < DIMENSIONS; d++) {
        dot += items[i][d] * q[d];
      }
      if (best.size() < 10) {
        best.add(new double[] {dot, i + 1});
      } else if (dot > best.peek()[0]) {
        best.poll();
        best.add(new double[] {dot, i + 1});
      }
    }
    return best.stream().map(e -> (long) e[1]).toList();
  }

  public static void print(Result result) {
    var table = new Table("Recall at scale (dialogue table, 1024 dims, halfvec, HNSW m=16 "
        + "ef_construction=64, " + QUERIES + " queries)", "items", "ef_search", "p50", "p99",
        "recall@10");
    for (Row r : result.rows()) {
      table.row(r.items(), r.efSearch(), Table.ms(r.latency().p50()),
          Table.ms(r.latency().p99()), Table.num(r.recallAt10(), 3));
    }
    boolean met = result.rows().stream().anyMatch(r -> r.items() >= 100_000
        && r.recallAt10() >= 0.95 && r.latency().p50() < 10);
    table.goal("a setting with recall@10 >= 0.95 at p50 < 10 ms with 100k items", met);
    for (Hybrid h : result.hybrid()) {
      table.note("Whole hybrid search of a step (notes, dialogue, documents; vectors and words; "
          + "ef_search " + Search.EF_SEARCH + "), " + h.items() + " items: p50 "
          + Table.ms(h.latency().p50()) + ", p99 " + Table.ms(h.latency().p99())
          + "; fixing the dimension and building the index took "
          + Table.num(h.buildSeconds(), 0) + " s.");
    }
    table.print();
  }
}
