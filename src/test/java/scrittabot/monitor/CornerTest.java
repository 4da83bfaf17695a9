package scrittabot.monitor;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class CornerTest {
  @Test
  void markdownBecomesPlainTagsAndNothingActive() {
    String html = Corner.html(MonitorIT.CORNER + "\n\n| a | b |\n|---|---|\n| 1 | 2 |\n\n"
        + "<a href=\"https://x.example\" onclick=\"alert(4)\">raw</a> "
        + "[mail](mailto:a@b.example) [file](file:///etc/passwd) [ftp](ftp://x.example/f)");
    assertTrue(html.contains("<h1>Status</h1>"), html);
    assertTrue(html.contains("<strong>busy</strong>"), html);
    assertTrue(html.contains("<td>1</td>"), "tables stay: " + html);
    assertTrue(html.contains("&lt;script&gt;alert(2)&lt;/script&gt;"), "raw HTML is text");
    assertTrue(html.contains("<a href=\"https://example.org/docs\" rel=\"nofollow\">docs</a>"),
        html);
    assertTrue(html.contains("href=\"mailto:a@b.example\""), html);
    var doc = org.jsoup.Jsoup.parseBodyFragment(html);
    assertEquals(0, doc.select("script, img, form, input, [onerror], [onclick], [src]").size(),
        html);
    assertEquals(java.util.List.of("https://example.org/docs", "mailto:a@b.example"),
        doc.select("a[href]").eachAttr("href"), "javascript:, file: and ftp: links lose href");
    assertEquals("", Corner.html(null));
    assertEquals("", Corner.html("  "));
  }
}
