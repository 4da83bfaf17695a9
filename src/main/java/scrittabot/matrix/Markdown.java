package scrittabot.matrix;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.commonmark.Extension;
import org.commonmark.ext.gfm.tables.TablesExtension;
import org.commonmark.parser.Parser;
import org.commonmark.renderer.html.HtmlRenderer;

/**
 * The agent writes Markdown; Matrix clients show {@code formatted_body} HTML. Raw HTML in the
 * agent's text is escaped, not passed on: the text may echo what a stranger wrote.
 */
final class Markdown {
  private static final List<Extension> EXTENSIONS = List.of(TablesExtension.create());
  private static final Parser PARSER = Parser.builder().extensions(EXTENSIONS).build();
  private static final HtmlRenderer RENDERER = HtmlRenderer.builder().extensions(EXTENSIONS)
      .escapeHtml(true).sanitizeUrls(true).build();

  private Markdown() {}

  /** The HTML for a Markdown text, or null when it is a plain paragraph that needs none. */
  static String toHtml(String markdown) {
    String html = RENDERER.render(PARSER.parse(markdown)).strip();
    String plain = "<p>" + escape(markdown.strip()) + "</p>";
    return html.equals(plain) ? null : html;
  }

  /** The text of an m.room.message: plain Markdown as body, HTML as formatted_body if any. */
  static Map<String, Object> messageContent(String markdown) {
    var content = new LinkedHashMap<String, Object>();
    content.put("msgtype", "m.text");
    content.put("body", markdown);
    String html = toHtml(markdown);
    if (html != null) {
      content.put("format", "org.matrix.custom.html");
      content.put("formatted_body", html);
    }
    return content;
  }

  private static String escape(String text) {
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
        .replace("\"", "&quot;");
  }
}
