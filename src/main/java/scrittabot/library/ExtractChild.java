package scrittabot.library;

import java.io.BufferedWriter;
import java.io.File;
import java.io.IOException;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Set;
import org.apache.pdfbox.Loader;
import org.apache.pdfbox.io.IOUtils;
import org.apache.pdfbox.pdmodel.PDDocument;
import org.apache.pdfbox.pdmodel.encryption.InvalidPasswordException;
import org.apache.pdfbox.text.PDFTextStripper;
import org.jsoup.Jsoup;
import org.jsoup.nodes.Document;
import org.jsoup.nodes.Element;
import org.jsoup.nodes.Node;
import org.jsoup.nodes.TextNode;
import org.jsoup.select.NodeVisitor;

/**
 * The child process that turns a PDF or a web page into text: {@code ExtractChild pdf|html IN
 * OUT}. A child, because PDFBox cannot be interrupted and a hostile file can make either parser
 * take all memory or time: the parent bounds its heap and kills it when it takes too long.
 * Exit 0 with the text in OUT; else exit {@value #REFUSED} with one line on stderr that says
 * why, in words for the agent.
 */
public final class ExtractChild {
  /** Not 3: that is the JVM's exit code for running out of memory (ExitOnOutOfMemoryError). */
  static final int REFUSED = 4;
  /** Starts the line on stderr that says why; libraries may log there too. */
  static final String REASON = "REFUSED: ";
  private static final Set<String> BLOCKS = Set.of("p", "div", "section", "article", "main",
      "header", "footer", "aside", "nav", "ul", "ol", "li", "dl", "dt", "dd", "table", "tr",
      "blockquote", "pre", "figure", "figcaption", "form", "hr", "br", "address", "details",
      "summary");
  private static final Set<String> SKIPPED = Set.of("script", "style", "noscript", "template",
      "svg", "canvas", "iframe", "object", "head");

  private ExtractChild() {}

  public static void main(String[] args) {
    try {
      if (args.length != 3) {
        throw new IllegalArgumentException("usage: ExtractChild pdf|html IN OUT");
      }
      Path in = Path.of(args[1]);
      Path out = Path.of(args[2]);
      try (Writer w = new BufferedWriter(Files.newBufferedWriter(out, StandardCharsets.UTF_8))) {
        switch (args[0]) {
          case "pdf" -> pdf(in.toFile(), w);
          case "html" -> html(in.toFile(), w);
          default -> throw new IllegalArgumentException("unknown kind " + args[0]);
        }
      }
      System.exit(0);
    } catch (InvalidPasswordException e) {
      refuse("it is an encrypted PDF that needs a password");
    } catch (IOException | RuntimeException e) {
      refuse("it cannot be read as " + (args.length > 0 ? args[0].toUpperCase() : "?") + ": "
          + String.valueOf(e.getMessage()).lines().findFirst().orElse(e.toString()));
    }
  }

  private static void refuse(String reason) {
    System.err.println(REASON + reason);
    System.exit(REFUSED);
  }

  /** Page by page, a blank line between pages; the parsed objects go to temporary files. */
  private static void pdf(File in, Writer out) throws IOException {
    try (PDDocument doc = Loader.loadPDF(in, "", IOUtils.createTempFileOnlyStreamCache())) {
      var stripper = new PDFTextStripper();
      stripper.setPageEnd("\n\n");
      stripper.setSuppressDuplicateOverlappingText(true);
      stripper.writeText(doc, out);
    }
  }

  /**
   * The visible text, one line per block, headings as Markdown ("## Title") so that chunks
   * split at them as they do in Markdown files; scripts, styles and the head left out.
   */
  private static void html(File in, Writer out) throws IOException {
    Document doc = Jsoup.parse(in, null); // the charset from the page's meta tag, else UTF-8
    var text = new StringBuilder();
    String title = doc.title().strip();
    if (!title.isEmpty()) {
      text.append("# ").append(title).append("\n\n");
    }
    doc.body().traverse(new NodeVisitor() {
      private int skipping;

      @Override
      public void head(Node node, int depth) {
        if (node instanceof Element e) {
          String tag = e.normalName();
          if (SKIPPED.contains(tag)) {
            skipping++;
          } else if (skipping == 0 && tag.matches("h[1-6]")) {
            newBlock(text);
            text.append("#".repeat(tag.charAt(1) - '0')).append(' ');
          } else if (skipping == 0 && BLOCKS.contains(tag)) {
            newBlock(text);
            if (tag.equals("li")) {
              text.append("- ");
            }
          }
        } else if (node instanceof TextNode t && skipping == 0) {
          String words = t.text().replaceAll("\\s+", " ");
          char last = text.isEmpty() ? '\n' : text.charAt(text.length() - 1);
          if (last == '\n' || last == ' ') {
            words = words.stripLeading();
          }
          text.append(words);
        }
      }

      @Override
      public void tail(Node node, int depth) {
        if (node instanceof Element e) {
          String tag = e.normalName();
          if (SKIPPED.contains(tag)) {
            skipping--;
          } else if (skipping == 0 && (BLOCKS.contains(tag) || tag.matches("h[1-6]"))) {
            newBlock(text);
          }
        }
      }
    });
    out.write(text.toString().replaceAll("[ \\t]+\\n", "\n").replaceAll("\\n{3,}", "\n\n")
        .strip());
    out.write('\n');
  }

  private static void newBlock(StringBuilder text) {
    if (!text.isEmpty() && text.charAt(text.length() - 1) != '\n') {
      text.append('\n');
    }
    if (text.length() >= 2 && text.charAt(text.length() - 2) != '\n') {
      text.append('\n');
    }
  }
}
