package scrittabot.llm;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;
import scrittabot.Config;
import scrittabot.Config.Endpoint;
import scrittabot.Json;

/**
 * An OpenAI-compatible client for chat (streamed over SSE, or in one piece), embeddings and
 * reranking. Written against llama.cpp's server, which also reports timings; works with any
 * server that speaks the same HTTP.
 */
public final class LlmClient implements AutoCloseable {
  /** The bot's tags: the model must not write them, the bot does. */
  public static final List<String> TAG_STOPS =
      List.of("<message", "<system", "<python", "<file", "<image", "<note",
          "<reaction");
  /** How many stop sequences to send to the server (OpenAI accepts four); all are enforced here. */
  private static final int SERVER_STOPS = 4;

  private final Endpoint llm;
  private final Endpoint embedding;
  private final Endpoint rerank;
  private final String model;
  private final Config.Sampling sampling;
  private final String embeddingModel;
  private final String rerankModel;
  private final LlmHttp http;
  private volatile InputStream openStream;
  private volatile boolean cancelled;

  public LlmClient(Config config) {
    this(config, 4, Duration.ofSeconds(1));
  }

  /** {@code maxTries} and {@code firstBackoff} bound the retries; tests make them small. */
  public LlmClient(Config config, int maxTries, Duration firstBackoff) {
    this(config, config.requestTimeout(), maxTries, firstBackoff, config.logsDir());
  }

  /**
   * A client for calls that must not hold anything up (embeddings and reranking for recall):
   * one try, a short timeout, and no dumps (a server that is away would fill the logs folder).
   */
  public static LlmClient quick(Config config, Duration timeout) {
    return new LlmClient(config, timeout, 1, Duration.ZERO, null);
  }

  private LlmClient(Config config, Duration timeout, int maxTries, Duration firstBackoff,
      java.nio.file.Path dumpDir) {
    this.llm = config.llm();
    this.embedding = config.embedding();
    this.rerank = config.rerank();
    this.model = config.modelLlm();
    this.sampling = config.sampling();
    this.embeddingModel = config.modelEmbedding();
    this.rerankModel = config.modelRerank();
    var secrets = List.of(llm.key(), embedding.key(), rerank.key());
    this.http = new LlmHttp(timeout, new RequestDumps(dumpDir, secrets), maxTries, firstBackoff);
  }

  /**
   * Streams a chat completion. {@code onText} receives the text as it arrives, with the tag stop
   * sequences already enforced. A failure after some text was delivered is not retried (the caller
   * may have acted on that text); the exception carries it as {@link LlmException#partialText()}.
   */
  public Completion chat(List<ChatMessage> messages, Consumer<String> onText) throws LlmException {
    return chat(messages, 0, onText);
  }

  /** As {@link #chat(List, Consumer)}, with the reply capped at {@code maxTokens} (0: no cap). */
  public Completion chat(List<ChatMessage> messages, int maxTokens, Consumer<String> onText)
      throws LlmException {
    return chat(messages, maxTokens, sampling, onText);
  }

  /** As {@link #chat(List, int, Consumer)}, with other sampling settings than the config's. */
  public Completion chat(List<ChatMessage> messages, int maxTokens, Config.Sampling sampling,
      Consumer<String> onText) throws LlmException {
    var payload = chatPayload(messages, true, sampling);
    if (maxTokens > 0) {
      payload.put("max_tokens", maxTokens);
    }
    HttpResponse<InputStream> response = http.send(llm, "/v1/chat/completions", payload);
    openStream = response.body();
    if (cancelled) { // cancelled while the request was on its way
      closeQuietly(openStream);
    }
    var stops = new StopFilter(TAG_STOPS);
    var text = new StringBuilder();
    Consumer<String> deliver = delta -> {
      if (!delta.isEmpty()) {
        text.append(delta);
        onText.accept(delta);
      }
    };
    var sse = new SseChunks();
    try (InputStream in = response.body();
        var reader = new BufferedReader(new InputStreamReader(in, StandardCharsets.UTF_8))) {
      String line;
      while ((line = http.timedRead(in, reader::readLine)) != null) { // a stall closes the stream
        if (sse.accept(line, delta -> deliver.accept(stops.accept(delta)))) {
          break;
        }
        if (stops.stoppedAt() != null) {
          break; // the model began a tag of the bot's: stop reading, like a server-side stop
        }
      }
      if (stops.stoppedAt() == null) {
        deliver.accept(stops.flush());
        sse.checkComplete();
      }
      // A complete stream with no text is the model saying nothing (small models do, at once):
      // an answer for the kernel to handle, not a failure to retry until the events are dropped.
      String finish = stops.stoppedAt() != null ? "stop" : sse.finishReason();
      return new Completion(text.toString(), sse.usage(), finish, stops.stoppedAt());
    } catch (SseChunks.StreamError | IOException e) {
      String problem = http.aborted() ? "stream cancelled: shutting down"
          : cancelled ? "stream cancelled" : "chat stream failed after " + text.length() + " characters: " + e.getMessage();
      var dump = http.aborted() || cancelled ? null : http.dumps().write(llm, "/v1/chat/completions", payload,
          200, sse.rawTail(), problem);
      throw new LlmException(problem, 200, text.toString(), dump, e);
    } finally {
      openStream = null;
    }
  }

  /** A chat completion in one piece (no streaming); stop sequences enforced the same way. */
  public Completion complete(List<ChatMessage> messages) throws LlmException {
    var payload = chatPayload(messages, false, sampling);
    String body = http.post(llm, "/v1/chat/completions", payload);
    try {
      Object root = Json.parse(body);
      Object content = Json.at(root, "choices", 0, "message", "content");
      if (!(content instanceof String s) || s.isEmpty()) {
        throw new IllegalArgumentException("no message content in the answer");
      }
      var stops = new StopFilter(TAG_STOPS);
      String text = stops.accept(s) + (stops.stoppedAt() == null ? stops.flush() : "");
      String finish = Json.at(root, "choices", 0, "finish_reason") instanceof String f ? f : null;
      return new Completion(text, SseChunks.usage(root), finish, stops.stoppedAt());
    } catch (IllegalArgumentException e) {
      throw http.failure(llm, "/v1/chat/completions", payload, 200, body,
          "malformed chat answer: " + e.getMessage(), e);
    }
  }

  /** Embeds a batch of texts; the vectors come back in input order. */
  public List<float[]> embed(List<String> inputs) throws LlmException {
    var payload = new LinkedHashMap<String, Object>();
    payload.put("model", embeddingModel);
    payload.put("input", inputs);
    String body = http.post(embedding, "/v1/embeddings", payload);
    try {
      var vectors = new float[inputs.size()][];
      if (!(Json.at(Json.parse(body), "data") instanceof List<?> data)) {
        throw new IllegalArgumentException("no data list");
      }
      for (int i = 0; i < data.size(); i++) {
        int index = Json.at(data.get(i), "index") instanceof Number n ? n.intValue() : i;
        if (!(Json.at(data.get(i), "embedding") instanceof List<?> numbers) || index < 0
            || index >= vectors.length) {
          throw new IllegalArgumentException("entry " + i + " has no usable embedding");
        }
        vectors[index] = new float[numbers.size()];
        for (int j = 0; j < numbers.size(); j++) {
          vectors[index][j] = ((Number) numbers.get(j)).floatValue();
        }
      }
      for (int i = 0; i < vectors.length; i++) {
        if (vectors[i] == null) {
          throw new IllegalArgumentException("no embedding for input " + i);
        }
      }
      return List.of(vectors);
    } catch (IllegalArgumentException | ClassCastException | NullPointerException e) {
      throw http.failure(embedding, "/v1/embeddings", payload, 200, body,
          "malformed embeddings answer: " + e.getMessage(), e);
    }
  }

  /** One reranked document: its index in the input list and its relevance. */
  public record Ranked(int index, double score) {}

  /** Reranks documents against a query; best first. */
  public List<Ranked> rerank(String query, List<String> documents) throws LlmException {
    var payload = new LinkedHashMap<String, Object>();
    payload.put("model", rerankModel);
    payload.put("query", query);
    payload.put("documents", documents);
    String body = http.post(rerank, "/v1/rerank", payload);
    try {
      if (!(Json.at(Json.parse(body), "results") instanceof List<?> results)) {
        throw new IllegalArgumentException("no results list");
      }
      var ranked = new ArrayList<Ranked>();
      for (Object r : results) {
        int index = ((Number) Json.at(r, "index")).intValue();
        double score = ((Number) Json.at(r, "relevance_score")).doubleValue();
        if (index < 0 || index >= documents.size()) {
          throw new IllegalArgumentException("index " + index + " out of range");
        }
        ranked.add(new Ranked(index, score));
      }
      ranked.sort((a, b) -> Double.compare(b.score(), a.score()));
      return List.copyOf(ranked);
    } catch (IllegalArgumentException | ClassCastException | NullPointerException e) {
      throw http.failure(rerank, "/v1/rerank", payload, 200, body,
          "malformed rerank answer: " + e.getMessage(), e);
    }
  }

  /** Cancels the stream being read, and every request after it; for shutdown. */
  @Override
  public void close() {
    http.abort();
    closeQuietly(openStream);
  }

  /**
   * Ends the chat stream being read, if any, without the shutdown of {@link #close}: later calls
   * go on after {@link #resetCancel}. The scheduler cancels a background call this way.
   */
  public void cancel() {
    cancelled = true;
    closeQuietly(openStream);
  }

  /** Lets calls run again after {@link #cancel}. */
  public void resetCancel() {
    cancelled = false;
  }

  /** The sampling settings of the config. */
  public Config.Sampling sampling() {
    return sampling;
  }

  private Map<String, Object> chatPayload(List<ChatMessage> messages, boolean stream,
      Config.Sampling sampling) {
    var payload = new LinkedHashMap<String, Object>();
    payload.put("model", model);
    payload.put("messages", messages.stream().map(ChatMessage::toWire).toList());
    payload.put("temperature", sampling.temperature());
    putIfSet(payload, "top_p", sampling.topP());
    putIfSet(payload, "min_p", sampling.minP());
    putIfSet(payload, "repeat_penalty", sampling.repeatPenalty());
    putIfSet(payload, "seed", sampling.seed());
    payload.put("cache_prompt", true);
    payload.put("stop", TAG_STOPS.subList(0, SERVER_STOPS));
    payload.put("stream", stream);
    if (stream) {
      payload.put("stream_options", Map.of("include_usage", true));
    }
    return payload;
  }

  private static void putIfSet(Map<String, Object> payload, String key, Object value) {
    if (value != null) {
      payload.put(key, value);
    }
  }

  static void closeQuietly(InputStream in) {
    if (in != null) {
      try {
        in.close();
      } catch (IOException e) {
        // closing to unblock a reader; nothing to do
      }
    }
  }
}
