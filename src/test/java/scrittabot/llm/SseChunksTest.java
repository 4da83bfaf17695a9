package scrittabot.llm;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class SseChunksTest {

  @Test
  void llamaCppErrorLineMidStreamIsReportedInItsOwnWords() {
    var sse = new SseChunks();
    var text = new StringBuilder();
    var e = assertThrows(SseChunks.StreamError.class, () -> {
      sse.accept("data: {\"choices\":[{\"delta\":{\"content\":\"Hi\"}}]}", text::append);
      sse.accept("error: {\"code\":500,\"message\":\"context shift is disabled\"}", text::append);
    });
    assertEquals("Hi", text.toString());
    assertTrue(e.getMessage().contains("context shift is disabled"), e.getMessage());
  }

  @Test
  void commentsAndEventNamesAreSkippedAndDoneEndsTheStream() throws Exception {
    var sse = new SseChunks();
    var text = new StringBuilder();
    for (String line : new String[] {": keep-alive", "event: message", "",
        "data: {\"choices\":[{\"delta\":{\"content\":\"ok\"},\"finish_reason\":\"stop\"}]}",
        "data: {\"choices\":[],\"usage\":{\"prompt_tokens\":12,\"completion_tokens\":1}}"}) {
      assertEquals(false, sse.accept(line, text::append));
    }
    assertTrue(sse.accept("data: [DONE]", text::append));
    sse.checkComplete();
    assertEquals("ok", text.toString());
    assertEquals(12, sse.usage().promptTokens());
    assertEquals("stop", sse.finishReason());
  }
}
