package scrittabot.matrix;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class MarkdownTest {
  @Test
  void plainTextNeedsNoHtml() {
    assertNull(Markdown.toHtml("Hello, how are you?"));
    assertNull(Markdown.toHtml("Tom & Jerry say \"hi\"\n"), "escaped characters alone are plain");
    var content = Markdown.messageContent("just text");
    assertEquals("m.text", content.get("msgtype"));
    assertEquals("just text", content.get("body"));
    assertFalse(content.containsKey("formatted_body"));
    assertFalse(content.containsKey("format"));
  }

  @Test
  void boldListsAndCodeBecomeHtml() {
    assertEquals("<p>a <strong>bold</strong> word</p>", Markdown.toHtml("a **bold** word"));
    String list = Markdown.toHtml("- one\n- two\n");
    assertTrue(list.startsWith("<ul>") && list.contains("<li>one</li>"), list);
    assertTrue(Markdown.toHtml("1. first\n2. second").contains("<ol>"));
    String code = Markdown.toHtml("```python\nprint(1 < 2)\n```");
    assertTrue(code.contains("<pre><code class=\"language-python\">print(1 &lt; 2)"), code);
  }

  @Test
  void gfmTablesRenderAsTables() {
    String html = Markdown.toHtml("| a | b |\n|---|---|\n| 1 | 2 |\n");
    assertNotNull(html);
    assertTrue(html.contains("<table>") && html.contains("<th>a</th>")
        && html.contains("<td>2</td>"), html);
  }

  @Test
  void rawHtmlIsEscapedNotPassedOn() {
    String html = Markdown.toHtml("**note** <script>alert(1)</script> <img src=x onerror=y>\n\n"
        + "<div onclick=\"x()\">block</div>");
    assertFalse(html.contains("<script"), html);
    assertFalse(html.contains("<img"), html);
    assertFalse(html.contains("<div"), html);
    assertTrue(html.contains("&lt;script&gt;"), html);
    // a text that is nothing but raw HTML may go without formatted_body, but never as HTML
    String only = Markdown.toHtml("<script>alert(1)</script>");
    assertTrue(only == null || !only.contains("<script"), only);
  }

  @Test
  void javascriptLinksAreSanitised() {
    String html = Markdown.toHtml("[click](javascript:alert(1)) and [ok](https://example.org)");
    assertFalse(html.toLowerCase().contains("javascript:"), html);
    assertTrue(html.contains("href=\"https://example.org\""), html);
  }

  @Test
  void bodyStaysThePlainMarkdown() {
    String markdown = "# Title\n\n**bold** and `code`\n\n- item";
    var content = Markdown.messageContent(markdown);
    assertEquals(markdown, content.get("body"));
    assertEquals("org.matrix.custom.html", content.get("format"));
    String html = (String) content.get("formatted_body");
    assertTrue(html.contains("<h1>Title</h1>") && html.contains("<code>code</code>"), html);
  }
}
