package scrittabot.library;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.apache.pdfbox.pdmodel.PDDocument;
import org.apache.pdfbox.pdmodel.PDPage;
import org.apache.pdfbox.pdmodel.PDPageContentStream;
import org.apache.pdfbox.pdmodel.encryption.AccessPermission;
import org.apache.pdfbox.pdmodel.encryption.StandardProtectionPolicy;
import org.apache.pdfbox.pdmodel.font.PDType1Font;
import org.apache.pdfbox.pdmodel.font.Standard14Fonts;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** PDFs and web pages to text in the child process, and what it does with bad files. */
public class ExtractionTest {
  private static final Duration TIME = Duration.ofSeconds(60);

  @TempDir
  Path dir;

  @Test
  void aPdfBecomesItsTextPageByPage() throws Exception {
    Path pdf = pdf(dir.resolve("a.pdf"), List.of("First page: Hyvää päivää.",
        "Second page: buongiorno.", "Third page: the end."));
    String text = extract(Kind.PDF, pdf);
    int first = text.indexOf("Hyvää päivää");
    int second = text.indexOf("buongiorno");
    int third = text.indexOf("the end");
    assertTrue(first >= 0 && first < second && second < third, text);
  }

  @Test
  void aWebPageBecomesItsVisibleTextWithHeadingsAsMarkdown() throws Exception {
    Path html = dir.resolve("page.html");
    Files.writeString(html, """
        <html><head><title>The Title</title><style>p { color: red }</style>
        <script>alert("no")</script></head>
        <body><h2>Section   one</h2><p>First <b>bold</b> paragraph.</p>
        <ul><li>apples</li><li>pears</li></ul>
        <script>document.write("hidden")</script><p>Ciao, 日本語.</p></body></html>""");
    String text = extract(Kind.HTML, html);
    assertEquals("""
        # The Title

        ## Section one

        First bold paragraph.

        - apples

        - pears

        Ciao, 日本語.
        """, text);
  }

  @Test
  void aFakePdfIsRefusedWithAReason() throws IOException {
    Path fake = dir.resolve("fake.pdf");
    Files.writeString(fake, "this is no PDF at all");
    var refused = assertThrows(Library.Refused.class, () -> extract(Kind.PDF, fake));
    assertTrue(refused.getMessage().startsWith("it cannot be read as PDF"),
        refused.getMessage());
  }

  @Test
  void anEncryptedPdfSaysItNeedsAPassword() throws Exception {
    Path pdf = dir.resolve("secret.pdf");
    try (var doc = document(List.of("secret text"))) {
      var policy = new StandardProtectionPolicy("owner", "user", new AccessPermission());
      policy.setEncryptionKeyLength(128);
      doc.protect(policy);
      doc.save(pdf.toFile());
    }
    var refused = assertThrows(Library.Refused.class, () -> extract(Kind.PDF, pdf));
    assertEquals("it is an encrypted PDF that needs a password", refused.getMessage());
  }

  @Test
  void twoThousandEmptyPagesAreReadQuicklyAsNoText() throws Exception {
    Path pdf = dir.resolve("empty.pdf");
    try (var doc = new PDDocument()) {
      for (int i = 0; i < 2000; i++) {
        doc.addPage(new PDPage());
      }
      doc.save(pdf.toFile());
    }
    assertTrue(extract(Kind.PDF, pdf).isBlank());
  }

  @Test
  void anExtractionThatTakesTooLongIsStoppedAndLeavesNothing() throws Exception {
    Path pdf = pdf(dir.resolve("slow.pdf"), List.of("text"));
    Path out = dir.resolve("out/slow.txt");
    var refused = assertThrows(Library.Refused.class,
        () -> Extraction.run(Kind.PDF, pdf, out, Duration.ofMillis(50)));
    assertTrue(refused.getMessage().contains("took longer"), refused.getMessage());
    try (var left = Files.list(out.getParent())) {
      assertEquals(List.of(), left.toList());
    }
  }

  private String extract(Kind kind, Path file) throws Exception {
    Path out = dir.resolve("out").resolve(file.getFileName() + ".txt");
    Extraction.run(kind, file, out, TIME);
    assertFalse(Files.exists(out.resolveSibling(out.getFileName() + ".part")));
    return Files.readString(out);
  }

  /** A PDF of one line of text per page, in Helvetica (Latin-1 text only). */
  public static Path pdf(Path file, List<String> pages) throws IOException {
    try (var doc = document(pages)) {
      doc.save(file.toFile());
    }
    return file;
  }

  private static PDDocument document(List<String> pages) throws IOException {
    var doc = new PDDocument();
    var font = new PDType1Font(Standard14Fonts.FontName.HELVETICA);
    for (String text : pages) {
      var page = new PDPage();
      doc.addPage(page);
      try (var content = new PDPageContentStream(doc, page)) {
        content.beginText();
        content.setFont(font, 12);
        content.newLineAtOffset(72, 700);
        content.showText(text);
        content.endText();
      }
    }
    return doc;
  }
}
