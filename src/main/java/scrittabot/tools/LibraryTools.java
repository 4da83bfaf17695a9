package scrittabot.tools;

import java.io.IOException;
import java.nio.file.Path;
import java.sql.SQLException;
import java.time.Duration;
import java.util.EnumSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import scrittabot.kernel.Control;
import scrittabot.kernel.Event;
import scrittabot.library.Library;
import scrittabot.library.WebFetch;
import scrittabot.memory.Memory;
import scrittabot.memory.Search;

/** The agent's tools for the files people sent: what is there, and reading them in slices. */
public final class LibraryTools {
  private static final int MAX_LENGTH = 10_000;
  /** A PDF not indexed yet is read while the code waits: less than sandbox_time_limit. */
  private static final Duration EXTRACTION_TIME = Duration.ofSeconds(20);

  private static final int MAX_RESULTS = 20;

  /** A page fetched within this time is read from the library, not fetched again. */
  private static final Duration FETCHED_FRESH = Duration.ofDays(1);

  private final Library library;
  private final Memory memory;
  private final Control control;
  private final WebFetch web;

  /**
   * {@code memory} finds the parts of documents; without it search_document says so.
   * {@code web} is null when fetching web pages is off (web_fetch: false).
   */
  public LibraryTools(Library library, Memory memory, Control control, WebFetch web) {
    this.library = library;
    this.memory = memory;
    this.control = control;
    this.web = web;
  }

  /** The tools; fetch_url only when fetching is on (a tool the agent cannot use costs tokens). */
  public List<Tool> all() {
    return web == null ? List.of(listFiles(), readFile(), searchDocument(), writeFile())
        : List.of(listFiles(), readFile(), searchDocument(), writeFile(), fetchUrl());
  }

  Tool fetchUrl() {
    return new Tool("fetch_url", "url", """
        Fetch a web page (http or https, public sites only) into your files, and return the
        start of its text; read_file() reads on. A page fetched today is not fetched again.
        Example: print(fetch_url("URL"))""", args -> {
          String url = args.string("url");
          if (web == null) {
            throw new ToolError("PermissionError", "fetch_url(): fetching web pages is off "
                + "here (the bot's admin can turn it on with web_fetch: true)");
          }
          try {
            String name = library.fetchedBefore(url, FETCHED_FRESH);
            String source = "kept from an earlier fetch";
            if (name == null) {
              WebFetch.Page page = web.fetch(url);
              String mime = page.contentType().split(";")[0].strip();
              name = Library.webName(url, mime);
              if (name == null) {
                throw ToolError.value("fetch_url(): " + url + " is " + mime + ", not a page "
                    + "the library reads (web pages, text, JSON, PDF)");
              }
              library.storeFetched(name, url, page.body(), mime);
              source = "fetched from " + page.url();
              control.acted("fetch_url");
            }
            String text = slice(name, library.textOf(library.resolve(name), EXTRACTION_TIME), 0,
                2000);
            return "[saved as " + name + ", " + source + "]\n" + text;
          } catch (Library.Refused e) {
            throw ToolError.value("fetch_url(): " + url + " was not fetched: " + e.getMessage());
          } catch (IOException e) {
            throw new ToolError("OSError", "fetch_url(): " + url + " failed: " + e.getMessage());
          } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new ToolError("OSError", "fetch_url(): interrupted");
          } catch (IllegalArgumentException e) {
            throw ToolError.value("fetch_url(): " + url + " is not a valid address");
          }
        });
  }

  Tool searchDocument() {
    return new Tool("search_document", "filename, query, limit=5", """
        Find the parts of one file, or summaries of them, that best match query, by meaning
        and words. Returns a list of dicts: where (the file and the characters), text.
        Example: print(search_document("FILENAME", "QUESTION"))""", args -> {
          String name = args.string("filename");
          String query = args.string("query");
          if (query.isBlank()) {
            throw ToolError.value("search_document(): query is empty");
          }
          Double limitArg = args.optionalNumber("limit");
          int limit = limitArg == null ? 5 : (int) Math.max(1, Math.min(MAX_RESULTS, limitArg));
          if (memory == null) {
            throw new ToolError("OSError", "search_document(): there is no memory database");
          }
          try {
            Library.Document document = library.document(name);
            if (document == null) {
              throw new ToolError("FileNotFoundError", "search_document(): no such file in "
                  + "your files folder: " + name + ". list_files() shows what is there.");
            }
            // its chunks are searchable while the summaries are still being written
            if (!document.state().equals("indexed") && !document.state().equals("summarising")) {
              throw ToolError.value("search_document(): " + name + " is not indexed"
                  + (document.state().equals("new") || document.state().equals("indexing")
                  ? " yet: read_file() reads it meanwhile" : ": " + document.progress()));
            }
            return memory.searchRanked(query, EnumSet.of(Search.Source.CHUNKS), null,
                document.id(), limit).stream().map(h -> {
                  var json = new LinkedHashMap<String, Object>();
                  json.put("where", h.who());
                  json.put("text", h.text());
                  return (Object) json;
                }).toList();
          } catch (SQLException e) {
            throw new ToolError("OSError", "search_document(): the memory database failed: "
                + e.getMessage());
          }
        });
  }

  Tool writeFile() {
    return new Tool("write_file", "filename, content", """
        Write a text file of your own (replacing one of that name), in the folder agent/ of
        your files. Returns its name for read_file() and send_file().
        Example: name = write_file("FILENAME", TEXT)""", args -> {
          String name = args.string("filename");
          String content = args.string("content");
          try {
            String written = library.write(name, content).filename();
            control.acted("write_file");
            return written;
          } catch (Library.Refused e) {
            throw ToolError.value("write_file(): " + name + " was not written: "
                + e.getMessage());
          } catch (IOException e) {
            throw new ToolError("OSError", "write_file(): cannot write " + name + ": "
                + e.getMessage());
          }
        });
  }

  Tool listFiles() {
    return new Tool("list_files", "query=None", """
        List the files in your folder, newest first (the latest 50), or those whose name
        holds query. Returns a list of dicts: filename, type, size, sender, date, state,
        summary (when indexed).
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
            return slice(name, library.textOf(file, EXTRACTION_TIME), start, length);
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

  /** Characters start to start + length of a file's text, and a line when more follows. */
  private String slice(String name, Path text, int start, int length) throws IOException {
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
    if (f.summary() != null) {
      json.put("summary", f.summary());
    }
    return json;
  }
}
