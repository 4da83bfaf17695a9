package scrittabot.monitor;

import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.function.Supplier;
import scrittabot.kernel.Watcher;

/**
 * What is down, for the page to say: the LLM (as the kernel finds it: failing from a failed call
 * until a call goes through) and the channel (its homeserver, as it says). The database says so
 * itself when the snapshot cannot be read.
 */
final class Health implements Watcher {
  private volatile String llmTrouble;
  private volatile Supplier<String> channelTrouble = () -> null;

  void channel(Supplier<String> trouble) {
    channelTrouble = trouble;
  }

  @Override
  public void failed(Failure what, String detail) {
    if (what == Failure.LLM && llmTrouble == null) {
      llmTrouble = "failing since " + Instant.now().truncatedTo(ChronoUnit.SECONDS) + ": " + detail;
    }
  }

  @Override
  public void took(Timing what, Duration time) {
    if (what == Timing.LLM) {
      llmTrouble = null; // a call went through
    }
  }

  /** Each part's trouble, or null when it works. */
  Map<String, Object> now() {
    var now = new LinkedHashMap<String, Object>();
    now.put("llm", llmTrouble);
    String channel;
    try {
      channel = channelTrouble.get();
    } catch (RuntimeException e) {
      channel = "cannot tell: " + e;
    }
    now.put("channel", channel);
    return now;
  }
}
