package scrittabot.library;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class FileNamesTest {
  @Test
  void aNameCannotLeaveTheFolder() {
    assertEquals("passwd", FileNames.safe("../../etc/passwd"));
    assertEquals("win.ini", FileNames.safe("..\\..\\Windows\\win.ini"));
    assertEquals("bashrc", FileNames.safe(".bashrc"));
    assertEquals("file", FileNames.safe(".."));
    assertEquals("file", FileNames.safe(""));
    assertEquals("file", FileNames.safe(null));
    assertEquals("my_report_v2.pdf", FileNames.safe("my report (v2).pdf"));
  }

  @Test
  void controlAndBidiCharactersAreGone() {
    assertEquals("a_b.txt", FileNames.safe("a\0b.txt"));
    assertEquals("a_b.txt", FileNames.safe("a\nb.txt"));
    // "invoice[RLO]fdp.exe" shows as "invoiceexe.pdf" in a right-to-left aware client
    assertEquals("invoice_fdp.exe", FileNames.safe("invoice\u202Efdp.exe"));
    assertEquals("x.txt", FileNames.safe("\u200Fx\u200E.txt"));
  }

  @Test
  void accentsGoAndLongNamesKeepTheirExtension() {
    assertEquals("Cafe_creme.txt", FileNames.safe("Café crème.txt"));
    String name = FileNames.safe("a".repeat(300) + ".pdf");
    assertEquals(FileNames.MAX_NAME, name.length());
    assertTrue(name.endsWith(".pdf"), name);
    assertEquals(FileNames.MAX_NAME, FileNames.safe("b".repeat(300)).length());
  }

  /** A name in a non-Latin script must not lose its extension to become a bare "pdf". */
  @Test
  void aNonLatinNameKeepsItsExtension() {
    assertEquals("file.pdf", FileNames.safe("отчёт.pdf"));
    assertEquals("file.txt", FileNames.safe("日本語.txt"));
  }

  @Test
  void takenNamesAreNumberedBeforeTheExtension() {
    assertEquals("notes.txt", FileNames.numbered("notes.txt", 1));
    assertEquals("notes-2.txt", FileNames.numbered("notes.txt", 2));
    assertEquals("README-3", FileNames.numbered("README", 3));
  }
}
