package scrittabot.tools;

import java.io.IOException;
import java.nio.file.Path;
import java.sql.SQLException;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import scrittabot.kernel.Event;
import scrittabot.library.Library;

/** The agent's tools for the files people sent: what is there, and reading them in slices. */
public final class LibraryTools {
  private static final int MAX_LENGTH = 10_000;
  /** A PDF not indexed yet is read while the code waits: less than sandbox_time_limit. */
  private static final Duration EXTRACTION_TIME = Duration.ofSeconds(20);

  private final Library library;

  public LibraryTools(Library library) {
    this.library = library;
  }

  public List<Tool> all() {
    return List.of(listFiles(), readFile());
  }

  Tool listFiles() {
    return new Tool("list_files", "query=None", """
        List the files in your folder, newest first (the latest 50), or those whose name
        holds query. Returns a list of dicts: filename, type, size, sender, date, state.
        Example: print(list_files())""", args -> {
          String query = args.optionalString("query");
          List<Library.Info> files;
          try {
            files = library.list(query);
          } catch (SQLException e) {
            throw new ToolError("OSError", "list_files(): the memory database failed: "
                + e.getMessage());
          }
          return files.stream().map(LibraryTools::infoJson).toList();
        });
  }

  Tool readFile() {
    return new Tool("read_file", "filename, start=0, length=2000", """
        Read part of a file in your folder as text (PDFs and web pages too): length
        characters from character start. When more follows, the text ends with a line that
        says where to go on.
        Example: print(read_file("FILENAME"))""", args -> {
          String name = args.string("filename");
          Double startArg = args.optionalNumber("start");
          Double lengthArg = args.optionalNumber("length");
          int start = startArg == null ? 0 : (int) Math.max(0, Math.min(Integer.MAX_VALUE,
              startArg));
          int length = lengthArg == null ? 2000 : (int) Math.max(1, Math.min(MAX_LENGTH,
              lengthArg));
          Path file = library.resolve(name);
          if (file == null) {
            throw new ToolError("FileNotFoundError", "read_file(): no such file in your files "
                + "folder: " + name + ". list_files() shows what is there.");
          }
          try {
            Path text = library.textOf(file, EXTRACTION_TIME);
            Library.Slice slice = library.read(text, start, length);
            if (slice.text().isEmpty()) {
              return start == 0 ? "(" + name + " holds no text)"
                  : "(" + name + " ends before character " + start + ")";
            }
            String out = slice.text();
            if (slice.invalidUtf8()) {
              out += "\n[some bytes here are not UTF-8 text: they show as \uFFFD]";
            }
            if (slice.more()) {
              out += "\n[more follows: read_file(\"" + name + "\", start="
                  + (start + slice.text().length()) + ")]";
            }
            return out;
          } catch (Library.Refused e) {
            throw ToolError.value("read_file(): " + name + " cannot be read: " + e.getMessage());
          } catch (IOException e) {
            throw new ToolError("OSError", "read_file(): cannot read " + name + ": "
                + e.getMessage());
          } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new ToolError("OSError", "read_file(): interrupted");
          }
        });
  }

  private static Map<String, Object> infoJson(Library.Info f) {
    var json = new LinkedHashMap<String, Object>();
    json.put("filename", f.filename());
    json.put("type", f.mimeType());
    json.put("size", f.size());
    json.put("sender", f.sender());
    json.put("date", Event.TIME.format(f.received()));
    String state = f.state().equals("new") ? "waiting to be indexed" : f.state();
    json.put("state", f.progress() == null ? state : state + ": " + f.progress());
    return json;
  }
}
