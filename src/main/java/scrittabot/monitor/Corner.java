package scrittabot.monitor;

import java.util.List;
import org.commonmark.Extension;
import org.commonmark.ext.gfm.tables.TablesExtension;
import org.commonmark.parser.Parser;
import org.commonmark.renderer.html.HtmlRenderer;
import org.jsoup.Jsoup;
import org.jsoup.safety.Safelist;

/**
 * The agent's corner of the page (set_page): its Markdown as HTML that can hold nothing active.
 * The agent's text may echo a stranger's, so raw HTML is escaped by the renderer, and what the
 * Markdown makes is cleaned to a list of plain tags: no scripts, no images (none from afar),
 * no forms, links only to the web or mail. The page's Content-Security-Policy would stop a
 * script or a remote image too; this keeps them out of the page in the first place.
 */
final class Corner {
  private static final List<Extension> EXTENSIONS = List.of(TablesExtension.create());
  private static final Parser PARSER = Parser.builder().extensions(EXTENSIONS).build();
  private static final HtmlRenderer RENDERER = HtmlRenderer.builder().extensions(EXTENSIONS)
      .escapeHtml(true).sanitizeUrls(true).build();
  private static final Safelist ALLOWED = Safelist.basic()
      .addTags("h1", "h2", "h3", "h4", "h5", "h6", "hr", "table", "thead", "tbody", "tr", "th",
          "td")
      .removeProtocols("a", "href", "ftp");

  private Corner() {}

  static String html(String markdown) {
    return markdown == null || markdown.isBlank() ? ""
        : Jsoup.clean(RENDERER.render(PARSER.parse(markdown)), ALLOWED);
  }
}
