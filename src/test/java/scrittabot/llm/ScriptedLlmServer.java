package scrittabot.llm;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpHandler;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.Deque;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Function;
import scrittabot.Json;

/**
 * The one stand-in for the LLM in every test: an in-process OpenAI-compatible server that speaks
 * the HTTP and SSE of llama.cpp's server, with scripted replies and named misbehaviours.
 *
 * <p>Replies come from a queue ({@link #reply}); when it is empty, from a responder keyed on the
 * prompt ({@link #respond}), as smolagents tests script their fake models; else {@link
 * #DEFAULT_REPLY}. Streams are cut into deltas of {@link #DELTA_CHARS} code points, and {@code
 * stop} sequences in the request cut the reply as llama.cpp does. Usage and timings are
 * deterministic estimates: a token is four characters of message text, and cache_n counts the
 * prompt prefix shared with the previous request.
 *
 * <p>Hazards handled: handler threads are daemons and a stalled reply is released by {@link
 * #close()}, so a test that forgets to close never hangs the JVM; a cut-off reply really drops the
 * TCP connection (the handler throws, and the JDK server then closes it without the final chunk).
 */
public final class ScriptedLlmServer implements AutoCloseable {
  /** What the model says when nothing was scripted. */
  public static final String DEFAULT_REPLY = "Nothing to add.";
  /** Code points per streamed delta: small, like a real model, so tags get split across deltas. */
  public static final int DELTA_CHARS = 3;
  public static final int DEFAULT_EMBEDDING_DIMENSIONS = 8;
  /**
   * How the librarian's prompts begin (summaries of documents, descriptions of images): such
   * requests bypass the agent's script.
   */
  public static final String SUMMARY_PROMPT_START = "You index ";
  private static final Duration STALL_LIMIT = Duration.ofMinutes(10);
  private static final Duration BEFORE_DROP = Duration.ofMillis(200);

  /** How one scripted reply is delivered. */
  public enum Behaviour {
    NORMAL,
    /** A pause of {@link #slowDelay} before each delta (before the whole answer if not streamed). */
    SLOW,
    /** Half the text, then the connection is dropped: no finish_reason, no [DONE]. */
    CUT_OFF,
    /** Some text, then silence with the connection open until the server closes; not streamed:
     *  no answer at all. */
    STALL,
    /** HTTP 500 with an OpenAI-style error body; the retry gets the text. */
    ERROR_500_THEN_OK,
    /** HTTP 429 with {@code Retry-After: 1}; the retry gets the text. */
    RATE_LIMIT_429,
    /** HTTP 400 whose {@code error.message} is the scripted text. */
    BAD_REQUEST_400,
    /** HTTP 200, but the body is neither server-sent events nor JSON. */
    GARBAGE,
    /** A well-formed answer with no content; the scripted text is ignored. */
    EMPTY
  }

  /** One message as the server received it; {@code text} joins the text parts of a list content. */
  public record Message(String role, String text, List<String> imageUrls) {}

  /** One chat request as received: the whole JSON payload and its messages. */
  public record Request(Map<String, Object> payload, List<Message> messages, boolean stream,
      String authorization) {

    /** The text of the last user message, or "" if there is none. */
    public String lastUserText() {
      for (int i = messages.size() - 1; i >= 0; i--) {
        if (messages.get(i).role().equals("user")) {
          return messages.get(i).text();
        }
      }
      return "";
    }

    /** A request of the librarian's: to summarise a part of a document or describe an image. */
    public boolean isSummary() {
      return !messages.isEmpty() && messages.getFirst().role().equals("system")
          && messages.getFirst().text().startsWith(SUMMARY_PROMPT_START);
    }

    /** Every message's text, one after the other: what a responder looks into. */
    public String prompt() {
      var out = new StringBuilder();
      for (Message m : messages) {
        out.append(m.text()).append('\n');
      }
      return out.toString();
    }

    /** The stop sequences the client asked for (a string or a list on the wire). */
    public List<String> stops() {
      return switch (payload.get("stop")) {
        case String s -> List.of(s);
        case List<?> list -> list.stream().map(String::valueOf).toList();
        case null, default -> List.of();
      };
    }
  }

  private record Scripted(Behaviour behaviour, String text) {}

  /** Thrown by a handler to make the JDK server drop the connection mid-answer. */
  private static final class DropConnection extends RuntimeException {
    DropConnection() {
      super("scripted connection drop", null, false, false);
    }
  }

  private final HttpServer server;
  private final ExecutorService executor;
  private final CountDownLatch closed = new CountDownLatch(1);
  private final AtomicInteger ids = new AtomicInteger();
  private final Deque<Scripted> script = new ArrayDeque<>();
  private final List<Request> requests = new ArrayList<>();
  private Function<Request, String> responder;
  private final List<Request> summaryRequests = new ArrayList<>();
  private volatile Function<Request, String> librarian = ScriptedLlmServer::summaryOf;
  private volatile boolean slowSummaries;
  private String previousPrompt = "";
  private volatile Duration slowDelay = Duration.ofMillis(200);
  private volatile boolean honourStops = true;
  private volatile int embeddingDimensions = DEFAULT_EMBEDDING_DIMENSIONS;
  private volatile boolean embeddingsDown;
  private volatile Function<String, float[]> embeddingModel;

  private ScriptedLlmServer(HttpServer server, ExecutorService executor) {
    this.server = server;
    this.executor = executor;
  }

  /** Starts a server on 127.0.0.1 and a free port. */
  public static ScriptedLlmServer start() {
    // Small SSE writes would otherwise wait ~40 ms each for the client's delayed ACK (Nagle);
    // llama.cpp sends without delay too. Read once, when the JDK's server is first used.
    System.setProperty("sun.net.httpserver.nodelay", "true");
    try {
      var server = HttpServer.create(
          new InetSocketAddress(InetAddress.getByName("127.0.0.1"), 0), 0);
      var executor = Executors.newCachedThreadPool(r -> {
        var t = new Thread(r, "scripted-llm");
        t.setDaemon(true);
        return t;
      });
      var scripted = new ScriptedLlmServer(server, executor);
      server.setExecutor(executor);
      server.createContext("/v1/chat/completions", scripted.guarded(scripted::chat));
      server.createContext("/v1/embeddings", scripted.guarded(scripted::embeddings));
      server.createContext("/v1/rerank", scripted.guarded(scripted::rerank));
      server.createContext("/health", scripted.guarded(
          ex -> sendJson(ex, 200, Map.of("status", "ok"))));
      server.createContext("/", scripted.guarded(ex -> sendJson(ex, 404,
          error(404, "no such endpoint: " + ex.getRequestURI().getPath(), "not_found_error"))));
      server.start();
      return scripted;
    } catch (IOException e) {
      throw new IllegalStateException("cannot start the scripted LLM server", e);
    }
  }

  /** The base URL, without /v1, as config.yaml's openai_url takes it. */
  public String url() {
    return "http://127.0.0.1:" + server.getAddress().getPort();
  }

  /** Queues a reply delivered normally. */
  public ScriptedLlmServer reply(String text) {
    return reply(Behaviour.NORMAL, text);
  }

  /** Queues a reply delivered with the given behaviour. */
  public synchronized ScriptedLlmServer reply(Behaviour behaviour, String text) {
    script.addLast(new Scripted(behaviour, text));
    return this;
  }

  /** Answers requests the queue has no reply for, usually by looking into the prompt. */
  public synchronized ScriptedLlmServer respond(Function<Request, String> responder) {
    this.responder = responder;
    return this;
  }

  /** The pause between deltas of a {@link Behaviour#SLOW} reply. */
  public ScriptedLlmServer slowDelay(Duration delay) {
    this.slowDelay = delay;
    return this;
  }

  /** False makes the server ignore {@code stop}, like one that accepts fewer than sent. */
  public ScriptedLlmServer honourStops(boolean honour) {
    this.honourStops = honour;
    return this;
  }

  /** The length of embedding vectors, to match a database column in tests that store them. */
  public ScriptedLlmServer embeddingDimensions(int dimensions) {
    this.embeddingDimensions = dimensions;
    return this;
  }

  /** True: /v1/embeddings answers 503, as a server whose model is away; false: it is back. */
  public ScriptedLlmServer embeddingsDown(boolean down) {
    this.embeddingsDown = down;
    return this;
  }

  /** A real embedding model instead of hashed words (for benchmarks of recall quality). */
  public ScriptedLlmServer embeddingModel(Function<String, float[]> model) {
    this.embeddingModel = model;
    return this;
  }

  /**
   * Answers the librarian's summary requests, which neither take the script's replies nor
   * count in {@link #requests()}; by default a summary naming the part's first words.
   * A responder that throws makes the server answer 500; one that returns null, 400.
   */
  public ScriptedLlmServer librarian(Function<Request, String> responder) {
    this.librarian = responder;
    return this;
  }

  /** True: summaries stream slowly ({@link #slowDelay} between deltas), to be cancelled. */
  public ScriptedLlmServer slowSummaries(boolean slow) {
    this.slowSummaries = slow;
    return this;
  }

  /** Every summary request received so far, oldest first. */
  public List<Request> summaryRequests() {
    synchronized (summaryRequests) {
      return List.copyOf(summaryRequests);
    }
  }

  /** Waits until {@code n} librarian requests have arrived, or the time is up; returns them. */
  public List<Request> awaitSummaryRequests(int n, Duration timeout) throws InterruptedException {
    long deadline = System.nanoTime() + timeout.toNanos();
    synchronized (summaryRequests) {
      while (summaryRequests.size() < n && System.nanoTime() < deadline) {
        summaryRequests.wait(Math.max(1, (deadline - System.nanoTime()) / 1_000_000));
      }
      return List.copyOf(summaryRequests);
    }
  }

  /**
   * The default summary: the first words of the part, and two keywords; for an image, a
   * description that says how many pixels of PNG data it was shown.
   */
  public static String summaryOf(Request request) {
    String user = request.lastUserText();
    List<String> images = request.messages().getLast().imageUrls();
    if (!images.isEmpty()) {
      int bytes = java.util.Base64.getDecoder().decode(images.getFirst()
          .substring(images.getFirst().indexOf(',') + 1)).length;
      return "SHORT: A scripted look at " + user.replace("File: ", "") + "\nLONG: An image of "
          + bytes + " bytes, seen by the scripted librarian. It shows nothing in particular."
          + "\nKEYWORDS: scripted, picture";
    }
    int open = user.indexOf("<document>\n");
    String part = open < 0 ? user : user.substring(open + 11);
    String words = String.join(" ", java.util.Arrays.stream(part.strip().split("\\s+"))
        .limit(8).toList());
    return "SUMMARY: A part that begins: " + words + "\nKEYWORDS: scripted, summary";
  }

  private void summarise(HttpExchange exchange, Request request) throws IOException {
    synchronized (summaryRequests) {
      summaryRequests.add(request);
      summaryRequests.notifyAll();
    }
    synchronized (this) {
      previousPrompt = request.prompt(); // one slot: the agent's cached prompt is gone
    }
    String text;
    try {
      text = librarian.apply(request);
    } catch (RuntimeException e) {
      sendJson(exchange, 500, error(500, "the test's librarian failed: " + e, "server_error"));
      return;
    }
    if (text == null) {
      sendJson(exchange, 400, error(400, "scripted refusal", "invalid_request_error"));
      return;
    }
    answer(exchange, request, new Scripted(slowSummaries ? Behaviour.SLOW : Behaviour.NORMAL,
        text), 0);
  }

  /** Every chat request received so far, failed ones included, oldest first. */
  public List<Request> requests() {
    synchronized (requests) {
      return List.copyOf(requests);
    }
  }

  /** The last user text of the last chat request. */
  public String lastUserText() {
    var all = requests();
    if (all.isEmpty()) {
      throw new IllegalStateException("the scripted LLM server has received no chat request");
    }
    return all.getLast().lastUserText();
  }

  /** Waits until {@code n} chat requests have arrived; fails the test if they do not in time. */
  public List<Request> awaitRequests(int n, Duration timeout) throws InterruptedException {
    long deadline = System.nanoTime() + timeout.toNanos();
    synchronized (requests) {
      while (requests.size() < n) {
        long left = deadline - System.nanoTime();
        if (left <= 0) {
          throw new AssertionError("expected " + n + " chat requests within " + timeout
              + ", got " + requests.size());
        }
        TimeUnit.NANOSECONDS.timedWait(requests, left);
      }
      return List.copyOf(requests);
    }
  }

  /** Stops at once: open connections are dropped and stalled replies released. */
  @Override
  public void close() {
    closed.countDown();
    server.stop(0);
    executor.shutdownNow();
  }

  /** The vector the server gives a text: words hashed into buckets, so shared words mean near. */
  public static float[] embedding(String text, int dimensions) {
    var vector = new float[dimensions];
    for (String word : words(text)) {
      vector[Math.floorMod(word.hashCode(), dimensions)] += 1;
    }
    vector[0] += 0.1f; // never the zero vector, which has no direction
    double norm = 0;
    for (float v : vector) {
      norm += v * v;
    }
    for (int i = 0; i < dimensions; i++) {
      vector[i] /= (float) Math.sqrt(norm);
    }
    return vector;
  }

  /** The reranker's score: the share of the query's words that the document contains. */
  public static double relevance(String query, String document) {
    var queryWords = new HashSet<>(words(query));
    if (queryWords.isEmpty()) {
      return 0;
    }
    var shared = new HashSet<>(queryWords);
    shared.retainAll(new HashSet<>(words(document)));
    return (double) shared.size() / queryWords.size();
  }

  private static List<String> words(String text) {
    return Arrays.stream(text.toLowerCase(Locale.ROOT).split("[^\\p{L}\\p{N}]+"))
        .filter(w -> !w.isEmpty())
        .toList();
  }

  // ---- chat ----

  private void chat(HttpExchange exchange) throws IOException {
    Map<String, Object> payload;
    try {
      payload = Json.parseObject(readBody(exchange));
    } catch (IllegalArgumentException e) {
      sendJson(exchange, 400, error(400, e.getMessage(), "invalid_request_error"));
      return;
    }
    var request = parseRequest(payload, exchange.getRequestHeaders().getFirst("Authorization"));
    if (request.isSummary()) {
      summarise(exchange, request);
      return;
    }
    int cachedTokens = record(request);
    Scripted next;
    try {
      next = nextReply(request);
    } catch (RuntimeException e) { // shown to the test through the client's exception
      sendJson(exchange, 500, error(500, "the test's responder failed: " + e, "server_error"));
      return;
    }
    switch (next.behaviour()) {
      case ERROR_500_THEN_OK ->
          sendJson(exchange, 500, error(500, "scripted internal server error", "server_error"));
      case RATE_LIMIT_429 -> {
        exchange.getResponseHeaders().set("Retry-After", "1");
        sendJson(exchange, 429, error(429, "scripted rate limit", "rate_limit_error"));
      }
      case BAD_REQUEST_400 ->
          sendJson(exchange, 400, error(400, next.text(), "invalid_request_error"));
      case GARBAGE -> sendGarbage(exchange, request.stream());
      default -> answer(exchange, request, next, cachedTokens);
    }
  }

  /** Takes the next reply; a fail-then-OK reply stays queued, as NORMAL, for the retry. */
  private Scripted nextReply(Request request) {
    Function<Request, String> fallback;
    synchronized (this) {
      Scripted next = script.pollFirst();
      if (next != null) {
        if (next.behaviour() == Behaviour.ERROR_500_THEN_OK
            || next.behaviour() == Behaviour.RATE_LIMIT_429) {
          script.addFirst(new Scripted(Behaviour.NORMAL, next.text()));
        }
        return next;
      }
      fallback = responder;
    }
    // outside the lock: a responder may take its time or look at requests()
    return new Scripted(Behaviour.NORMAL, fallback != null ? fallback.apply(request) : DEFAULT_REPLY);
  }

  /** Records the request and returns llama.cpp's cache_n: the prompt prefix shared with the last. */
  private int record(Request request) {
    String prompt = request.prompt();
    int shared;
    synchronized (this) {
      int max = Math.min(prompt.length(), previousPrompt.length());
      shared = 0;
      while (shared < max && prompt.charAt(shared) == previousPrompt.charAt(shared)) {
        shared++;
      }
      previousPrompt = prompt;
    }
    synchronized (requests) {
      requests.add(request);
      requests.notifyAll();
    }
    return shared / 4;
  }

  private void answer(HttpExchange exchange, Request request, Scripted reply, int cachedTokens)
      throws IOException {
    String text = reply.behaviour() == Behaviour.EMPTY ? "" : cutAtStop(reply.text(), request);
    var accounting = usageAndTimings(request, text, cachedTokens);
    String model = String.valueOf(request.payload().getOrDefault("model", "scripted"));
    if (request.stream()) {
      stream(exchange, reply.behaviour(), text, accounting, model);
    } else {
      whole(exchange, reply.behaviour(), text, accounting, model);
    }
  }

  /** llama.cpp stops before the first stop string and does not include it. */
  private String cutAtStop(String text, Request request) {
    if (!honourStops) {
      return text;
    }
    int cut = text.length();
    for (String stop : request.stops()) {
      int i = text.indexOf(stop);
      if (i >= 0 && i < cut && !stop.isEmpty()) {
        cut = i;
      }
    }
    return text.substring(0, cut);
  }

  private static Map<String, Object> usageAndTimings(Request request, String text, int cached) {
    int chars = request.messages().stream().mapToInt(m -> m.text().length()).sum();
    int promptTokens = Math.max(1, chars / 4);
    int completionTokens = (text.length() + 3) / 4;
    int cacheN = Math.min(cached, promptTokens);
    var timings = new LinkedHashMap<String, Object>();
    timings.put("cache_n", cacheN);
    timings.put("prompt_n", promptTokens - cacheN);
    timings.put("prompt_ms", (promptTokens - cacheN) * 0.5 + 1.0);
    timings.put("predicted_n", completionTokens);
    timings.put("predicted_ms", completionTokens * 20.0 + 1.0);
    var out = new LinkedHashMap<String, Object>();
    out.put("usage", Map.of("prompt_tokens", promptTokens, "completion_tokens", completionTokens,
        "total_tokens", promptTokens + completionTokens));
    out.put("timings", timings);
    return out;
  }

  private void stream(HttpExchange exchange, Behaviour behaviour, String text,
      Map<String, Object> accounting, String model) throws IOException {
    exchange.getResponseHeaders().set("Content-Type", "text/event-stream");
    exchange.getResponseHeaders().set("Cache-Control", "no-cache");
    exchange.sendResponseHeaders(200, 0);
    OutputStream out = exchange.getResponseBody();
    List<String> deltas = deltas(text);
    String id = nextId(); // one id for all chunks of a completion, as llama.cpp does
    boolean broken = behaviour == Behaviour.CUT_OFF || behaviour == Behaviour.STALL;
    int sent = broken ? Math.min(deltas.size(), Math.max(1, deltas.size() / 2)) : deltas.size();
    event(out, chunk(id, model, Map.of("role", "assistant"), null));
    for (String delta : deltas.subList(0, sent)) {
      if (behaviour == Behaviour.SLOW) {
        pause(slowDelay);
      }
      event(out, chunk(id, model, Map.of("content", delta), null));
    }
    if (behaviour == Behaviour.STALL) {
      stallUntilClosed();
    }
    if (broken) {
      // The JDK client discards text it has not read yet when the connection fails, so give it
      // time to read what was sent, as a network drop after a while of streaming would.
      pause(BEFORE_DROP);
      throw new DropConnection();
    }
    event(out, chunk(id, model, Map.of(), "stop"));
    var last = envelope(id, model, "chat.completion.chunk");
    last.put("choices", List.of());
    last.putAll(accounting);
    event(out, last);
    out.write("data: [DONE]\n\n".getBytes(StandardCharsets.UTF_8));
    out.flush();
  }

  private void whole(HttpExchange exchange, Behaviour behaviour, String text,
      Map<String, Object> accounting, String model) throws IOException {
    if (behaviour == Behaviour.STALL) {
      stallUntilClosed();
      throw new DropConnection();
    }
    if (behaviour == Behaviour.SLOW) {
      pause(slowDelay);
    }
    var body = envelope(nextId(), model, "chat.completion");
    body.put("choices", List.of(Map.of("index", 0, "finish_reason", "stop",
        "message", Map.of("role", "assistant", "content", text))));
    body.putAll(accounting);
    byte[] bytes = Json.write(body).getBytes(StandardCharsets.UTF_8);
    if (behaviour == Behaviour.CUT_OFF) {
      exchange.getResponseHeaders().set("Content-Type", "application/json");
      exchange.sendResponseHeaders(200, bytes.length);
      exchange.getResponseBody().write(bytes, 0, bytes.length / 2);
      exchange.getResponseBody().flush();
      throw new DropConnection();
    }
    send(exchange, 200, "application/json", bytes);
  }

  private static void sendGarbage(HttpExchange exchange, boolean stream) throws IOException {
    if (stream) {
      send(exchange, 200, "text/event-stream",
          "<html>proxy error</html>\ndata: {\"choices\": [ truncated\n\n".getBytes(
              StandardCharsets.UTF_8));
    } else {
      send(exchange, 200, "application/json",
          "<html><body>502 Bad Gateway</body></html>".getBytes(StandardCharsets.UTF_8));
    }
  }

  private static Map<String, Object> chunk(String id, String model, Map<String, Object> delta,
      String finish) {
    var choice = new LinkedHashMap<String, Object>();
    choice.put("index", 0);
    choice.put("delta", delta);
    if (finish != null) {
      choice.put("finish_reason", finish);
    }
    var chunk = envelope(id, model, "chat.completion.chunk");
    chunk.put("choices", List.of(choice));
    return chunk;
  }

  private String nextId() {
    return "chatcmpl-scripted-" + ids.incrementAndGet();
  }

  private static Map<String, Object> envelope(String id, String model, String object) {
    var map = new LinkedHashMap<String, Object>();
    map.put("id", id);
    map.put("object", object);
    map.put("created", System.currentTimeMillis() / 1000);
    map.put("model", model);
    return map;
  }

  private static void event(OutputStream out, Map<String, Object> data) throws IOException {
    out.write(("data: " + Json.write(data) + "\n\n").getBytes(StandardCharsets.UTF_8));
    out.flush();
  }

  static List<String> deltas(String text) {
    var out = new ArrayList<String>();
    int i = 0;
    while (i < text.length()) {
      int end = text.offsetByCodePoints(i,
          Math.min(DELTA_CHARS, text.codePointCount(i, text.length())));
      out.add(text.substring(i, end));
      i = end;
    }
    return out;
  }

  private void stallUntilClosed() {
    try {
      closed.await(STALL_LIMIT.toMillis(), TimeUnit.MILLISECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  private static void pause(Duration delay) {
    try {
      Thread.sleep(delay.toMillis());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new DropConnection(); // the server is closing
    }
  }

  private static Request parseRequest(Map<String, Object> payload, String authorization) {
    var messages = new ArrayList<Message>();
    if (payload.get("messages") instanceof List<?> list) {
      for (Object m : list) {
        messages.add(parseMessage(m));
      }
    }
    return new Request(Collections.unmodifiableMap(payload), List.copyOf(messages),
        Boolean.TRUE.equals(payload.get("stream")), authorization);
  }

  private static Message parseMessage(Object message) {
    String role = String.valueOf(Json.at(message, "role"));
    Object content = Json.at(message, "content");
    if (!(content instanceof List<?> parts)) {
      return new Message(role, content == null ? "" : content.toString(), List.of());
    }
    var texts = new ArrayList<String>();
    var images = new ArrayList<String>();
    for (Object part : parts) {
      if ("text".equals(Json.at(part, "type"))) {
        texts.add(String.valueOf(Json.at(part, "text")));
      } else if ("image_url".equals(Json.at(part, "type"))) {
        images.add(String.valueOf(Json.at(part, "image_url", "url")));
      }
    }
    return new Message(role, String.join("\n", texts), List.copyOf(images));
  }

  // ---- embeddings and rerank ----

  /** Answers in reverse input order, so a client that ignores {@code index} is caught. */
  private void embeddings(HttpExchange exchange) throws IOException {
    Map<String, Object> payload = Json.parseObject(readBody(exchange));
    if (embeddingsDown) {
      sendJson(exchange, 503, Map.of("error", Map.of("message", "embedding model is loading")));
      return;
    }
    Function<String, float[]> model = embeddingModel;
    List<?> inputs = switch (payload.get("input")) {
      case List<?> list -> list;
      case null -> List.of();
      case Object one -> List.of(one);
    };
    int dimensions = embeddingDimensions;
    var data = new ArrayList<Object>();
    for (int i = inputs.size() - 1; i >= 0; i--) {
      var numbers = new ArrayList<Double>();
      float[] vector = model != null ? model.apply(String.valueOf(inputs.get(i)))
          : embedding(String.valueOf(inputs.get(i)), dimensions);
      for (float v : vector) {
        numbers.add((double) v);
      }
      data.add(Map.of("object", "embedding", "index", i, "embedding", numbers));
    }
    sendJson(exchange, 200, Map.of("object", "list", "model",
        String.valueOf(payload.getOrDefault("model", "scripted")), "data", data));
  }

  /** Answers in input order, unsorted, as llama.cpp does; sorting is the client's job. */
  private void rerank(HttpExchange exchange) throws IOException {
    Map<String, Object> payload = Json.parseObject(readBody(exchange));
    String query = String.valueOf(payload.get("query"));
    List<?> documents = payload.get("documents") instanceof List<?> list ? list : List.of();
    var results = new ArrayList<Object>();
    for (int i = 0; i < documents.size(); i++) {
      results.add(Map.of("index", i,
          "relevance_score", relevance(query, String.valueOf(documents.get(i)))));
    }
    sendJson(exchange, 200, Map.of("object", "list", "results", results));
  }

  // ---- plumbing ----

  /**
   * Closes every exchange it answered; a malformed request body is a 400, as on the real server.
   * A {@link DropConnection} leaves the exchange open, so the JDK server drops the connection
   * instead of ending the response cleanly.
   */
  private HttpHandler guarded(HttpHandler handler) {
    return exchange -> {
      try {
        if (!exchange.getRequestMethod().equals("POST")
            && !exchange.getRequestURI().getPath().equals("/health")) {
          sendJson(exchange, 405, error(405, "only POST is supported", "invalid_request_error"));
        } else {
          handler.handle(exchange);
        }
      } catch (DropConnection e) {
        throw e;
      } catch (IllegalArgumentException e) {
        sendJson(exchange, 400, error(400, e.getMessage(), "invalid_request_error"));
      } catch (IOException e) {
        // the client went away, e.g. after it cut the stream at a stop sequence
      }
      exchange.close();
    };
  }

  private static String readBody(HttpExchange exchange) throws IOException {
    return new String(exchange.getRequestBody().readAllBytes(), StandardCharsets.UTF_8);
  }

  private static Map<String, Object> error(int code, String message, String type) {
    return Map.of("error", Map.of("code", code, "message", message, "type", type));
  }

  private static void sendJson(HttpExchange exchange, int status, Map<String, Object> body)
      throws IOException {
    send(exchange, status, "application/json", Json.write(body).getBytes(StandardCharsets.UTF_8));
  }

  private static void send(HttpExchange exchange, int status, String type, byte[] body)
      throws IOException {
    exchange.getResponseHeaders().set("Content-Type", type);
    exchange.sendResponseHeaders(status, body.length);
    try (OutputStream out = exchange.getResponseBody()) {
      out.write(body);
    }
  }
}
