# Runs once in each fresh sandbox, before any of the agent's code.
# It defines how agent code is run and how tools reach the bot, and closes
# the holes that the sandbox policy leaves open (see FACTS.md).
import ast as _ast
import builtins as _builtins
import io as _io
import json as _json
import re as _re
import sys as _sys
import traceback as _traceback

# Agent code may delete or replace builtins; _repair puts them back before each run.
_BUILTINS = dict(_builtins.__dict__)
_RECURSION_LIMIT = _sys.getrecursionlimit()


def _close_holes():
    import os
    import posix
    import signal
    import _signal

    def refused(name):
        def f(*args, **kwargs):
            raise PermissionError(name + " is not available in the sandbox")
        return f

    # Signal handlers would act on the whole host process, and signal.alarm
    # starts a host thread: neither is for agent code.
    for module in (signal, _signal):
        for name in ("signal", "alarm", "setitimer", "pthread_kill", "raise_signal",
                     "siginterrupt", "set_wakeup_fd"):
            if hasattr(module, name):
                setattr(module, name, refused("signal." + name))
    for module in (os, posix):
        for name in ("kill", "killpg", "fork", "forkpty", "execv", "execve", "abort",
                     "_exit", "system", "popen", "spawnv", "posix_spawn"):
            if hasattr(module, name):
                setattr(module, name, refused("os." + name))


_close_holes()
del _close_holes

_ERRORS = {"TypeError": TypeError, "ValueError": ValueError, "KeyError": KeyError,
           "PermissionError": PermissionError, "FileNotFoundError": FileNotFoundError,
           "RuntimeError": RuntimeError, "OSError": OSError, "NameError": NameError}


class _HostOutput(_io.RawIOBase):
    """Where sys.stdout and sys.stderr write: straight to the bot (see SandboxChild.write).
    Unbuffered, so an interrupted run leaves nothing behind to show up in the next one."""

    def __init__(self, host_write):
        self._host_write = host_write

    def writable(self):
        return True

    def write(self, data):
        self._host_write(data)
        return len(data)


def _setup(host_call, host_write, tool_source):
    """Defines the tools in a fresh namespace for agent code and returns the runner."""

    dumps, loads = _json.dumps, _json.loads  # bound now: agent code may patch the json module

    def call_tool(name, args):
        reply = loads(host_call(name, dumps(args)))
        if "error" in reply:
            raise _ERRORS.get(reply.get("type"), RuntimeError)(reply["error"])
        return reply.get("value")

    tool_namespace = {"_call_tool": call_tool}
    exec(tool_source, tool_namespace)
    agent_globals = {"__name__": "__main__", "__builtins__": __builtins__}
    for name, value in tool_namespace.items():
        if not name.startswith("_"):
            agent_globals[name] = value

    tools = {n: v for n, v in tool_namespace.items() if not n.startswith("_")}

    def help(what=None):
        """Prints how to call a tool (give the tool or its name) and what it does."""
        name = what if isinstance(what, str) else getattr(what, "__name__", None)
        if name in tools:
            import inspect
            print(name + str(inspect.signature(tools[name])) + "\n" + tools[name].__doc__)
        elif what is not None and getattr(what, "__doc__", None):
            print(what.__doc__)
        else:
            print("help(name) describes one of the tools: " + ", ".join(tools))

    agent_globals["help"] = help
    # Small models write math.pow(2, 20) without importing math, and then copy the NameError.
    agent_globals["math"] = __import__("math")
    streams = {}

    def run(source):
        _repair(streams, host_write)
        try:
            return _run(source, agent_globals)
        finally:
            _sys.stdout.flush()
            _sys.stderr.flush()

    return run


def _repair(streams, host_write):
    """Undoes what earlier code did to builtins, sys.stdout and sys.stderr, the recursion limit."""
    _builtins.__dict__.update(_BUILTINS)
    _sys.setrecursionlimit(_RECURSION_LIMIT)
    for name in ("stdout", "stderr"):
        if name not in streams or streams[name].closed:
            streams[name] = _io.TextIOWrapper(_HostOutput(host_write), encoding="utf-8",
                                              errors="backslashreplace", write_through=True)
        setattr(_sys, name, streams[name])


def _run(source, agent_globals):
    """Runs agent code; prints the value of a final expression like a REPL; returns an error text."""
    try:
        tree = compile(source, "<agent>", "exec", _ast.PyCF_ONLY_AST)
    except SyntaxError as e:
        return "".join(_traceback.format_exception_only(type(e), e)).rstrip()
    last = None
    if tree.body and isinstance(tree.body[-1], _ast.Expr):
        last = _ast.Expression(tree.body.pop().value)
    try:
        exec(compile(tree, "<agent>", "exec"), agent_globals)
        if last is not None:
            value = eval(compile(last, "<agent>", "eval"), agent_globals)
            if value is not None:
                print(repr(value))
        return None
    except BaseException as e:
        return _describe(e, source)


def _describe(error, source):
    """A short traceback that shows only the agent's own lines."""
    lines = source.splitlines()
    out = []
    for frame in _traceback.extract_tb(error.__traceback__):
        if frame.filename == "<agent>":
            text = lines[frame.lineno - 1].strip() if 0 < frame.lineno <= len(lines) else ""
            where = "" if frame.name == "<module>" else ", in " + frame.name
            out.append("  line %d%s: %s" % (frame.lineno, where, text))
    head = "Traceback (most recent call last):\n" if out else ""
    if type(error).__module__ == "polyglot":
        # A Java exception from the runtime, e.g. a refused host call: name a Python type instead.
        tail = "RuntimeError: " + _re.sub(r"^([\w$]+\.)+[\w$]+: ", "", str(error))
    else:
        tail = "".join(_traceback.format_exception_only(type(error), error)).rstrip()
        if isinstance(error, ModuleNotFoundError):
            # Small models ask the user to install it; say what there is instead.
            tail += " (only Python's standard library is here: do it without that module)"
    return head + "\n".join(out[-5:]) + ("\n" if out else "") + tail
