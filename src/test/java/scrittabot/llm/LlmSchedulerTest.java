package scrittabot.llm;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import scrittabot.Config;

/** The scheduler with the scripted server: the person's calls first, background in the gaps. */
class LlmSchedulerTest {
  private final ScriptedLlmServer server = ScriptedLlmServer.start();
  private final List<String> order = new CopyOnWriteArrayList<>();
  private final ExecutorService threads = Executors.newCachedThreadPool(); // calls may block long

  @AfterEach
  void stop() {
    server.close();
    threads.shutdownNow();
  }

  private LlmClient client() throws Exception {
    return new LlmClient(Config.fromMap(Map.of("openai_url", server.url(), "model_llm", "m"),
        true), 1, Duration.ZERO);
  }

  private static List<ChatMessage> summaryRequest() {
    return List.of(ChatMessage.system(ScriptedLlmServer.SUMMARY_PROMPT_START + " here."),
        ChatMessage.user("<document>\nsome text to summarise\n</document>"));
  }

  /** A background call on its own thread; its result, or the exception's class name. */
  private CompletableFuture<String> background(LlmScheduler scheduler, LlmClient client) {
    return CompletableFuture.supplyAsync(() -> {
      try {
        String text = scheduler.background(client, () -> client.chat(summaryRequest(),
            t -> { }).text());
        order.add("background");
        return text;
      } catch (LlmScheduler.Yielded e) {
        return "yielded";
      } catch (Exception e) {
        return e.getClass().getSimpleName();
      }
    }, threads);
  }

  @Test
  void backgroundWaitsUntilTheAgentHasBeenIdleLongEnough() throws Exception {
    var scheduler = new LlmScheduler(100, 0.5, Duration.ofMillis(400));
    scheduler.agentBusy();
    var call = background(scheduler, client());
    Thread.sleep(600);
    assertFalse(call.isDone(), "no background call while the agent is busy");
    assertEquals(0, server.summaryRequests().size());
    long idle = System.nanoTime();
    scheduler.agentIdle();
    assertTrue(call.get(10, TimeUnit.SECONDS).startsWith("SUMMARY:"));
    long waited = (System.nanoTime() - idle) / 1_000_000;
    assertTrue(waited >= 390, "it started only after the idle time: " + waited + " ms");
  }

  @Test
  void theAgentCancelsABackgroundCallInFlightAndGoesFirst() throws Exception {
    server.slowSummaries(true).slowDelay(Duration.ofMillis(200)); // ~15 s for a whole summary
    var scheduler = new LlmScheduler(100, 0.5, Duration.ZERO);
    LlmClient agent = client();
    var call = background(scheduler, client());
    long deadline = System.nanoTime() + 10_000_000_000L;
    while (server.summaryRequests().isEmpty() && System.nanoTime() < deadline) {
      Thread.sleep(10);
    }
    Thread.sleep(300); // the summary is streaming now
    long asked = System.nanoTime();
    server.reply("the agent's answer");
    String answer = scheduler.agent(() -> agent.chat(List.of(ChatMessage.user("hello")),
        t -> { }).text());
    order.add("agent");
    long took = (System.nanoTime() - asked) / 1_000_000;
    assertEquals("the agent's answer", answer);
    assertEquals("yielded", call.get(5, TimeUnit.SECONDS));
    assertTrue(took < 5_000, "the agent did not wait for the summary: " + took + " ms");

    // the background asks again once the agent is idle, and the client works after the cancel
    server.slowSummaries(false);
    var again = background(scheduler, client());
    assertThrows(TimeoutException.class, () -> again.get(300, TimeUnit.MILLISECONDS),
        "not while the agent is still busy");
    scheduler.agentIdle();
    assertTrue(again.get(10, TimeUnit.SECONDS).startsWith("SUMMARY:"));
    assertEquals(List.of("agent", "background"), order);
  }

  @Test
  void aPauseHoldsTheBackgroundAndCancelsItsCallInFlight() throws Exception {
    server.slowSummaries(true).slowDelay(Duration.ofMillis(200));
    var scheduler = new LlmScheduler(100, 0.5, Duration.ZERO);
    var call = background(scheduler, client());
    long deadline = System.nanoTime() + 10_000_000_000L;
    while (server.summaryRequests().isEmpty() && System.nanoTime() < deadline) {
      Thread.sleep(10);
    }
    scheduler.holdBackground(true);
    assertEquals("yielded", call.get(5, TimeUnit.SECONDS), "the call in flight is cancelled");
    server.slowSummaries(false);
    var held = background(scheduler, client());
    Thread.sleep(500);
    assertFalse(held.isDone(), "no background call while paused, though the agent is idle");
    assertEquals(1, server.summaryRequests().size());
    scheduler.holdBackground(false);
    assertTrue(held.get(10, TimeUnit.SECONDS).startsWith("SUMMARY:"));
  }

  @Test
  void backgroundKeepsToItsShareOfTheHour() throws Exception {
    var scheduler = new LlmScheduler(4, 0.5, Duration.ZERO);
    LlmClient client = client();
    assertTrue(background(scheduler, client).get(10, TimeUnit.SECONDS).startsWith("SUMMARY:"));
    assertTrue(background(scheduler, client).get(10, TimeUnit.SECONDS).startsWith("SUMMARY:"));
    var third = background(scheduler, client);
    assertThrows(TimeoutException.class, () -> third.get(500, TimeUnit.MILLISECONDS),
        "a third call would go over half of four an hour");
    third.cancel(true);
    // the agent keeps its part: two calls still go at once
    for (int i = 0; i < 2; i++) {
      server.reply("ok " + i);
      var answer = CompletableFuture.supplyAsync(() -> {
        try {
          return scheduler.agent(() -> client.chat(List.of(ChatMessage.user("hi")),
              t -> { }).text());
        } catch (Exception e) {
          return e.toString();
        }
      }, threads);
      assertEquals("ok " + i, answer.get(5, TimeUnit.SECONDS));
    }
    assertEquals(2, server.summaryRequests().size());
    assertEquals(new LlmScheduler.Calls(2, 2), scheduler.total(),
        "the held third call was never made");
  }
}
