package scrittabot.memory;

import java.sql.ResultSet;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.EnumMap;
import java.util.EnumSet;
import java.util.List;
import java.util.Map;
import java.util.Random;
import scrittabot.Config;
import scrittabot.bench.Table;
import scrittabot.kernel.Event;

/**
 * Is a fact told in one language found when asked in another? Ten facts, two in each of
 * English, Finnish, Italian, Japanese and Arabic, among 250 lines of everyday chatter in the
 * same five languages; each is asked in its own language and in two others, with other words.
 * Searched by words alone, by meaning alone and both (the bot's hybrid search), with the
 * embedding model of a real server ({@code EMBED_URL}, e.g. the multilingual-e5-small of
 * ../shared/real-llm): hashed words, as in the tests, cannot cross languages.
 */
public final class LanguagesBench {
  private static final Instant T = Instant.parse("2026-05-04T10:00:00Z");

  /** A fact, its language, and questions about it: the first in its own language. */
  record Fact(String language, String told, List<String> asked) {}

  static final List<Fact> FACTS = List.of(
      new Fact("en", "My sister Clara works as a veterinarian in Bristol.", List.of(
          "What is Clara's job?", "Mikä on Claran ammatti?", "クララの仕事は何ですか？")),
      new Fact("en", "The wifi password of the office is written on the fridge door.", List.of(
          "Where can I find the office wifi password?",
          "Dove trovo la password del wifi dell'ufficio?",
          "أين أجد كلمة مرور الواي فاي في المكتب؟")),
      new Fact("fi", "Mökkimme on Sotkamossa, Vuokatin rinteiden lähellä.", List.of(
          "Missä teidän mökkinne sijaitsee?", "Where is our summer cottage?",
          "私たちの別荘はどこにありますか？")),
      new Fact("fi", "Koirani nimi on Musti ja se on kolmevuotias.", List.of(
          "Mikä koirasi nimi on?", "What is my dog called?", "私の犬の名前は何ですか？")),
      new Fact("it", "La nonna abita a Perugia, vicino alla piazza grande.", List.of(
          "In quale città vive la nonna?", "Which city does grandma live in?",
          "おばあちゃんはどの町に住んでいますか？")),
      new Fact("it", "Il mio treno per Milano parte alle sette e mezza di venerdì.", List.of(
          "A che ora parte il treno?", "When does my train to Milan leave?",
          "Milloin junani Milanoon lähtee?")),
      new Fact("ja", "私は東京の大学で物理学を勉強しています。", List.of(
          "大学で何を専攻していますか？", "What do I study at university?",
          "Che cosa studio all'università?")),
      new Fact("ja", "来週の月曜日に歯医者の予約があります。", List.of(
          "歯医者の予約はいつですか？", "When is my dentist appointment?",
          "متى موعدي عند طبيب الأسنان؟")),
      new Fact("ar", "أحب القهوة العربية مع الهيل في الصباح", List.of(
          "ماذا أشرب في الصباح؟", "What do I like to drink in the morning?",
          "Mitä juon aamulla mielelläni?")),
      new Fact("ar", "أخي يعيش في القاهرة ويعمل مهندسا", List.of(
          "أين يعيش أخي؟", "Where does my brother live and what does he do?",
          "Dove vive mio fratello?")));

  /** Everyday chatter: a time, something done, and how it went, in each language. */
  private static final Map<String, List<List<String>>> CHATTER = Map.of(
      "en", List.of(List.of("Yesterday", "This morning", "On Sunday", "Tonight"),
          List.of("I went to the market", "we cooked pasta", "I watched a film",
              "I cleaned the kitchen", "we played football", "I called my mother",
              "I read a book", "we walked by the river"),
          List.of(", and it rained.", ", it was fun.", " with friends.")),
      "fi", List.of(List.of("Eilen", "Tänään", "Sunnuntaina", "Illalla"),
          List.of("kävin kaupassa", "leivoimme pullaa", "katsoin elokuvan", "siivosin keittiön",
              "pelasimme jalkapalloa", "soitin äidille", "luin kirjaa", "kävelimme joen varrella"),
          List.of(" ja satoi.", ", oli hauskaa.", " ystävien kanssa.")),
      "it", List.of(List.of("Ieri", "Stamattina", "Domenica", "Stasera"),
          List.of("sono andato al mercato", "abbiamo cucinato la pasta", "ho visto un film",
              "ho pulito la cucina", "abbiamo giocato a calcio", "ho chiamato mia madre",
              "ho letto un libro", "abbiamo camminato lungo il fiume"),
          List.of(" e pioveva.", ", è stato divertente.", " con gli amici.")),
      "ja", List.of(List.of("昨日", "今朝", "日曜日に", "今夜"),
          List.of("市場に行きました", "パスタを作りました", "映画を見ました", "台所を掃除しました",
              "サッカーをしました", "母に電話しました", "本を読みました", "川沿いを散歩しました"),
          List.of("。雨でした。", "。楽しかったです。", "。友達と一緒でした。")),
      "ar", List.of(List.of("أمس", "هذا الصباح", "يوم الأحد", "الليلة"),
          List.of("ذهبت إلى السوق", "طبخنا المعكرونة", "شاهدت فيلما", "نظفت المطبخ",
              "لعبنا كرة القدم", "اتصلت بأمي", "قرأت كتابا", "مشينا على ضفة النهر"),
          List.of(" وكانت تمطر.", " وكان ممتعا.", " مع الأصدقاء.")));

  private static final int CHATTER_PER_LANGUAGE = 50;

  /** How a search was made: by words, by meaning, or both. */
  enum Mode { WORDS, MEANING, HYBRID }

  /** Per mode: found first and in the first five, asked in the fact's language and in others. */
  record Result(String model, int lines, Map<Mode, int[]> found, List<String> missedHybrid) {}

  private LanguagesBench() {}

  public static Result run(String embedUrl) throws Exception {
    Config config = Config.fromMap(Map.of("openai_url", embedUrl, "model_llm", "unused",
        "model_embedding", "e5", "model_rerank", "none"), true);
    try (Memory memory = new Memory(TestDatabase.open("languages"), config)) {
      var random = new Random(7);
      var lines = new ArrayList<String>();
      for (String language : List.of("en", "fi", "it", "ja", "ar")) {
        var parts = CHATTER.get(language);
        for (int i = 0; i < CHATTER_PER_LANGUAGE; i++) {
          String line = parts.get(0).get(random.nextInt(4)) + (language.equals("ja") ? "、"
              : " ") + parts.get(1).get(random.nextInt(8)) + parts.get(2).get(random.nextInt(3));
          lines.add(line);
        }
      }
      FACTS.forEach(f -> lines.add(f.told()));
      Collections.shuffle(lines, random);
      for (String line : lines) {
        memory.arrived(new Event.UserMessage(T, "@anna:example.org", "lobby", line));
      }
      awaitEmbedded(memory);
      // autovacuum analyzes a table that grew this much; its common words are left out of
      // queries by words (Search.commonWords), and here that is not left to its timing
      memory.database().transaction(c -> c.createStatement().execute("ANALYZE"));
      var found = new EnumMap<Mode, int[]>(Mode.class);
      var missed = new ArrayList<String>();
      for (Mode mode : Mode.values()) {
        int[] counts = new int[4]; // own language @1, @5; other languages @1, @5
        for (Fact fact : FACTS) {
          for (int q = 0; q < fact.asked().size(); q++) {
            String question = fact.asked().get(q);
            int rank = rank(memory, mode, question, fact.told());
            int at = q == 0 ? 0 : 2;
            counts[at] += rank == 1 ? 1 : 0;
            counts[at + 1] += rank >= 1 && rank <= 5 ? 1 : 0;
            if (mode == Mode.HYBRID && (rank < 1 || rank > 5)) {
              missed.add(question + " (" + fact.language() + ")");
            }
          }
        }
        found.put(mode, counts);
      }
      return new Result(config.modelEmbedding(), lines.size(), found, missed);
    }
  }

  /** The place of {@code told} among the first ten hits (1 = first), 0 when not there. */
  private static int rank(Memory memory, Mode mode, String question, String told)
      throws Exception {
    float[] vector = mode == Mode.WORDS ? null : memory.embeddings().embed(question);
    var hits = memory.search().run(new Search.Query(mode == Mode.MEANING ? "" : question,
        vector, EnumSet.of(Search.Source.DIALOGUE), Long.MAX_VALUE, true, null, null, null,
        null, 10));
    for (int i = 0; i < hits.size(); i++) {
      if (hits.get(i).text().equals(told)) {
        return i + 1;
      }
    }
    return 0;
  }

  private static void awaitEmbedded(Memory memory) throws Exception {
    if (!memory.flush(Duration.ofSeconds(30))) {
      throw new IllegalStateException("the dialogue was not written in 30 s");
    }
    long deadline = System.nanoTime() + Duration.ofMinutes(5).toNanos();
    while (memory.database().transaction(c -> {
      try (ResultSet r = c.createStatement().executeQuery("SELECT count(*) FROM dialogue "
          + "WHERE embedding IS NULL AND NOT repeats")) {
        r.next();
        return r.getLong(1);
      }
    }) > 0) {
      if (System.nanoTime() > deadline) {
        throw new IllegalStateException("the embedding server did not embed the dialogue in "
            + "5 min");
      }
      Thread.sleep(200);
    }
  }

  public static void print(Result r) {
    int own = FACTS.size();
    int other = FACTS.stream().mapToInt(f -> f.asked().size() - 1).sum();
    var table = new Table("Facts across languages (" + r.lines() + " lines, embeddings by "
        + r.model() + ")", "search", "own language: first", "in top 5",
        "other language: first", "in top 5");
    for (Mode mode : Mode.values()) {
      int[] c = r.found().get(mode);
      table.row(mode.name().toLowerCase(), c[0] + " of " + own, c[1] + " of " + own,
          c[2] + " of " + other, c[3] + " of " + other);
    }
    table.note("Missed by hybrid search (not in the top 5): "
        + (r.missedHybrid().isEmpty() ? "none" : String.join("; ", r.missedHybrid())));
    table.print();
  }
}
