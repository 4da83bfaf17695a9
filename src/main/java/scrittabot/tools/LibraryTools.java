package scrittabot.tools;

import java.io.IOException;
import java.nio.file.Path;
import java.sql.SQLException;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import scrittabot.kernel.Event;
import scrittabot.library.Kind;
import scrittabot.library.Library;

/** The agent's tools for the files people sent: what is there, and reading them in slices. */
public final class LibraryTools {
  private static final int MAX_LENGTH = 10_000;

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
        Read part of a text file in your folder: length characters from character start.
        When more follows, the text ends with a line that says where to go on.
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
            Kind kind = Kind.of(name, null);
            if (kind != Kind.TEXT) {
              throw ToolError.value("read_file(): " + name + " is " + describe(kind)
                  + ", not a text file: read_file reads text files only");
            }
            if (Library.looksBinary(file)) {
              throw ToolError.value("read_file(): " + name + " holds binary data, not text, "
                  + "whatever its name says");
            }
            Library.Slice slice = library.read(file, start, length);
            if (slice.text().isEmpty()) {
              return start == 0 ? "(" + name + " is empty)"
                  : "(" + name + " ends before character " + start + ")";
            }
            String text = slice.text();
            if (slice.invalidUtf8()) {
              text += "\n[some bytes here are not UTF-8 text: they show as \uFFFD]";
            }
            if (slice.more()) {
              text += "\n[more follows: read_file(\"" + name + "\", start="
                  + (start + slice.text().length()) + ")]";
            }
            return text;
          } catch (IOException e) {
            throw new ToolError("OSError", "read_file(): cannot read " + name + ": "
                + e.getMessage());
          }
        });
  }

  private static String describe(Kind kind) {
    return switch (kind) {
      case HTML -> "a web page (HTML)";
      case PDF -> "a PDF";
      case IMAGE -> "an image";
      case TEXT, OTHER -> "a file of a kind the library does not read";
    };
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
