"""The check ``tagpip verify`` runs inside the target's interpreter.

``CHECK_SOURCE`` reaches the interpreter on its standard input (``python -B -s -``), followed by one
line that calls ``main`` with the run's payload (see :mod:`tagpip.verify.interpreter`), so nothing
is copied next to the interpreter: the same text works for a local Python, ``docker run -i`` and a
chroot or qemu-user wrapper. It uses the standard library only, and it must parse on any Python (2.7
included: an old interpreter is told apart by the one event it then sends, not by a
``SyntaxError``), which is why it has no f-strings, no keyword-only arguments and no ``nonlocal``;
the work after the version check needs Python 3.6.

What it does, in order:

1. Keeps its standard output for its own events, one JSON object a line behind a marker (the
   payload's ``mark``), and points file descriptor 1 and ``sys.stdout`` at standard error, so
   nothing an imported module prints can be taken for an event.
2. Runs tagpip's interpreter probe (:data:`tagpip.target.probe.PROBE_SOURCE`, given in the payload)
   and sends the facts with ``sys.path`` and the distributions the interpreter sees outside the
   folder (``hello``).
3. For each job (one distribution's modules, or the smoke calls) starts a child, by ``fork``
   where there is one, else a fresh ``sys.executable``, which imports each module in turn and
   reports ``start`` and ``done`` for each on a pipe. A child that dies (a segfault, an
   ``os._exit``) or is still on one import after the time limit (then killed, with its process
   group) gets that module marked and a new child for the rest, so one crash or hang never
   hides the other modules. Each job's child is fresh: what one distribution's import does to
   the interpreter cannot make another's pass or fail.
4. Sends ``end``.

Extension module files come as paths; this interpreter's ``EXTENSION_SUFFIXES`` say which
module each one is, or that it is built for another interpreter (``foreign``).
"""

from __future__ import annotations

__all__ = ["CHECK_SOURCE"]

CHECK_SOURCE = r"""
import json
import os
import sys
import time

_OUT = [None]
_MARK = [""]
_CHILD = [None]


def _emit(event):
    data = (_MARK[0] + json.dumps(event, sort_keys=True) + "\n").encode("utf-8")
    _write_all(_OUT[0], data)


def _write_all(fd, data):
    while data:
        written = os.write(fd, data)
        data = data[written:]


def _first_line(error):
    try:
        text = str(error)
    except Exception:
        text = ""
    for line in text.strip().splitlines():
        if line.strip():
            return line.strip()
    return ""


def _type_name(error):
    kind = type(error)
    module = getattr(kind, "__module__", "") or ""
    name = getattr(kind, "__qualname__", None) or kind.__name__
    if module in ("builtins", "exceptions", "__main__"):
        return name
    return module + "." + name


def _attempt(item):
    import importlib

    if item.get("fresh"):
        # The folder's module of a standard library name: this process imported the standard
        # one before the folder was on the path (json needs re, re needs enum), and a fresh
        # interpreter with the folder first would import the folder's. Forget the loaded one.
        top = item["module"].split(".")[0]
        for name in list(sys.modules):
            if name == top or name.startswith(top + "."):
                del sys.modules[name]
    started = time.time()
    result = {"outcome": "ok"}
    try:
        module = importlib.import_module(item["module"])
        if item.get("expression") is not None:
            value = eval(item["expression"], dict(vars(module)))
            if value is False:
                result = {"outcome": "false"}
    except BaseException as error:
        result = {"outcome": "error", "type": _type_name(error), "message": _first_line(error)}
        cause = _root_cause(error)
        if cause is not None:
            result["cause"] = _type_name(cause) + ": " + _first_line(cause)
    result["seconds"] = round(time.time() - started, 3)
    return result


def _root_cause(error):
    # The innermost exception the error was raised from or while handling (numpy's "IMPORTANT:
    # PLEASE READ THIS" ImportError comes from the real one), or None.
    seen = set([id(error)])
    found = None
    while True:
        nested = error.__cause__
        if nested is None and not error.__suppress_context__:
            nested = error.__context__
        if nested is None or id(nested) in seen:
            return found
        seen.add(id(nested))
        error = found = nested


def _child(items, fd):
    # One event a line on fd: which item starts, and how it ended.
    for position in range(len(items)):
        _write_all(fd, (json.dumps({"start": position}) + "\n").encode("utf-8"))
        result = _attempt(items[position])
        _write_all(fd, (json.dumps({"done": position, "result": result}) + "\n").encode("utf-8"))


def _child_main():
    # A spawned child (no fork here): its job comes on stdin, its events go to stdout.
    out = os.dup(1)
    os.dup2(2, 1)
    sys.stdout = sys.stderr
    job = json.loads(sys.stdin.readline())
    if "" in sys.path:
        sys.path.remove("")
    sys.path[0:0] = job["paths"]
    try:
        _child(job["items"], out)
    finally:
        os._exit(0)


def _signal_name(number):
    import signal

    try:
        return signal.Signals(number).name
    except ValueError:
        return "signal " + str(number)


def _ended(status):
    # How a child that stopped in the middle of an item ended, as a result for that item.
    if status is None:
        return {"outcome": "crashed", "detail": "no exit status"}
    if status < 0:
        return {"outcome": "crashed", "signal": -status, "detail": _signal_name(-status)}
    if status >= 0xC0000000:
        return {"outcome": "crashed", "detail": "exit code " + hex(status)}
    return {"outcome": "exited", "code": status}


class _Forked(object):
    def __init__(self, items):
        import signal

        read_end, write_end = os.pipe()
        pid = os.fork()
        if pid == 0:
            try:
                os.close(read_end)
                os.close(_OUT[0])
                signal.signal(signal.SIGTERM, signal.SIG_DFL)
                signal.signal(signal.SIGINT, signal.SIG_DFL)
                try:
                    os.setpgid(0, 0)
                except OSError:
                    pass
                _child(items, write_end)
            finally:
                os._exit(0)
        os.close(write_end)
        try:
            os.setpgid(pid, pid)
        except OSError:
            pass
        self.pid = pid
        self.fd = read_end
        self.buffer = b""
        self.status = None
        self.open = True
        _CHILD[0] = pid

    def read(self, wait):
        # Lines that arrived within ``wait`` seconds; None once the pipe is closed.
        import select

        if not self.open:
            return None
        ready = select.select([self.fd], [], [], wait)[0]
        if not ready:
            return []
        data = os.read(self.fd, 65536)
        if not data:
            self.open = False
            if self.buffer:
                return [self.buffer]
            return None
        self.buffer += data
        lines = self.buffer.split(b"\n")
        self.buffer = lines.pop()
        return lines

    def exited(self):
        # True once the child is gone (reaped here); what it left in the pipe is still read.
        if self.status is not None:
            return True
        pid, status = os.waitpid(self.pid, os.WNOHANG)
        if pid == 0:
            return False
        self.status = _wait_status(status)
        return True

    def stop(self):
        import signal

        try:
            os.killpg(self.pid, signal.SIGKILL)
        except OSError:
            try:
                os.kill(self.pid, signal.SIGKILL)
            except OSError:
                pass
        if self.status is None:
            self.status = _wait_status(os.waitpid(self.pid, 0)[1])
        self.close()

    def close(self):
        if self.open:
            os.close(self.fd)
            self.open = False
        else:
            try:
                os.close(self.fd)
            except OSError:
                pass
        import signal

        try:
            os.killpg(self.pid, signal.SIGKILL)
        except OSError:
            pass
        _CHILD[0] = None


def _wait_status(status):
    if os.WIFSIGNALED(status):
        return -os.WTERMSIG(status)
    return os.WEXITSTATUS(status)


class _Spawned(object):
    def __init__(self, items, paths, flags, source):
        import subprocess
        import threading

        try:
            import queue
        except ImportError:
            import Queue as queue
        command = [sys.executable] + flags + ["-c", source + "\n_child_main()\n"]
        self.process = subprocess.Popen(command, stdin=subprocess.PIPE, stdout=subprocess.PIPE)
        self.queue = queue.Queue()
        self.open = True
        self.status = None
        line = json.dumps({"paths": paths, "items": items}) + "\n"
        self.process.stdin.write(line.encode("utf-8"))
        self.process.stdin.close()
        stream = self.process.stdout
        waiting = self.queue

        def pump():
            for chunk in iter(stream.readline, b""):
                waiting.put(chunk.rstrip(b"\r\n"))
            waiting.put(None)

        thread = threading.Thread(target=pump)
        thread.daemon = True
        thread.start()

    def read(self, wait):
        import queue

        if not self.open:
            return None
        try:
            line = self.queue.get(timeout=wait)
        except queue.Empty:
            return []
        if line is None:
            self.open = False
            return None
        return [line]

    def exited(self):
        if self.status is None:
            self.status = self.process.poll()
        return self.status is not None

    def stop(self):
        try:
            self.process.kill()
        except OSError:
            pass
        self.status = self.process.wait()
        self.close()

    def close(self):
        self.open = False


def _run_job(job, timeout, spawn):
    # Runs the job's items (index, item) in as many children as crashes and hangs need.
    pending = list(job["items"])
    while pending:
        items = [item for _, item in pending]
        if spawn:
            child = _Spawned(items, spawn["paths"], spawn["flags"], spawn["source"])
        else:
            child = _Forked(items)
        pending = _follow(child, job["id"], pending, timeout)


def _follow(child, job_id, pending, timeout):
    current = None
    deadline = None
    finished = 0
    drained = False
    while True:
        wait = 0.25
        if current is not None:
            wait = max(0.0, min(wait, deadline - time.time()))
        lines = child.read(wait)
        if lines is None:
            break
        for line in lines:
            try:
                event = json.loads(line.decode("utf-8"))
            except ValueError:
                continue
            if "start" in event:
                current = event["start"]
                deadline = time.time() + timeout
                _emit({"kind": "start", "job": job_id, "index": pending[current][0]})
            elif "done" in event:
                _emit({"kind": "result", "job": job_id, "index": pending[event["done"]][0],
                       "result": event["result"]})
                current = None
                finished = event["done"] + 1
        if lines:
            continue
        if current is not None and time.time() >= deadline:
            child.stop()
            result = {"outcome": "timeout", "seconds": timeout}
            _emit({"kind": "result", "job": job_id, "index": pending[current][0], "result": result})
            return pending[current + 1:]
        if child.exited():
            # Gone, but a process it started may hold the pipe open: what is already in the
            # pipe is read once more without waiting, and the rest is not waited for.
            if drained:
                break
            drained = True
    # A child that closed its pipe by dying is reaped a moment later (a core dump takes longer).
    until = time.time() + timeout
    while not child.exited() and time.time() < until:
        time.sleep(0.01)
    if not child.exited():
        child.stop()
    status = child.status
    child.close()
    if current is not None:
        _emit({"kind": "result", "job": job_id, "index": pending[current][0],
               "result": _ended(status)})
        return pending[current + 1:]
    if finished == 0 and pending:
        # It died before it could start anything: the first item takes the blame.
        _emit({"kind": "result", "job": job_id, "index": pending[0][0], "result": _ended(status)})
        return pending[1:]
    return pending[finished:]


def _identifier(text):
    return text.isidentifier()


def _extension_module(path, suffixes):
    # The module an extension file is to this interpreter, or None when its suffix is not one
    # this interpreter loads (built for another Python or another machine).
    parts = path.split("/")
    name = parts[-1]
    for suffix in suffixes:
        if name.endswith(suffix):
            stem = name[: -len(suffix)]
            if _identifier(stem) and all(_identifier(part) for part in parts[:-1]):
                return ".".join(parts[:-1] + [stem])
            return None
    return None


def _visible(site):
    # The distributions this interpreter sees outside the folder: its own site-packages and
    # the extra paths. Names and versions from the metadata folders' names.
    found = []
    own = os.path.normcase(os.path.abspath(site))
    for entry in sys.path:
        if not entry or os.path.normcase(os.path.abspath(entry)) == own:
            continue
        try:
            names = sorted(os.listdir(entry))
        except OSError:
            continue
        for name in names:
            if name.endswith(".dist-info") or name.endswith(".egg-info"):
                parts = name.rsplit(".", 1)[0].split("-")
                if len(parts) >= 2:
                    found.append([parts[0], parts[1], entry])
    return found


def _standard_origin(name, paths):
    # Where the standard library's own module ``name`` is, when it has one on the path that the
    # folder's module of that name shadows; None otherwise (built-in modules cannot be shadowed).
    import importlib.machinery
    import sysconfig

    if name in sys.builtin_module_names:
        return None
    outside = [entry for entry in sys.path if entry not in paths]
    try:
        spec = importlib.machinery.PathFinder.find_spec(name, outside)
    except (ImportError, ValueError):
        return None
    origin = getattr(spec, "origin", None) if spec is not None else None
    if not origin:
        return None
    config = sysconfig.get_paths()
    for key in ("stdlib", "platstdlib"):
        folder = config.get(key)
        if folder and os.path.realpath(origin).startswith(os.path.realpath(folder) + os.sep):
            if "site-packages" not in os.path.relpath(origin, folder).split(os.sep):
                return origin
    return None


def _stop_on_signal():
    # As PID 1 of a container, Python would ignore the SIGTERM that `docker run` passes on.
    import signal

    def stop(number, frame):
        import signal as module

        if _CHILD[0] is not None:
            try:
                os.killpg(_CHILD[0], module.SIGKILL)
            except OSError:
                pass
        os._exit(128 + number)

    for name in ("SIGTERM", "SIGINT", "SIGHUP"):
        if hasattr(signal, name):
            try:
                signal.signal(getattr(signal, name), stop)
            except (OSError, ValueError):
                pass


def main(payload_text):
    payload = json.loads(payload_text)
    _MARK[0] = payload["mark"]
    _OUT[0] = os.dup(1)
    os.dup2(2, 1)
    sys.stdout = sys.stderr
    if sys.version_info < (3, 6):
        _emit({"kind": "unsupported", "version": ".".join(str(p) for p in sys.version_info[:3])})
        return
    _stop_on_signal()
    if sys.path and sys.path[0] == "":
        del sys.path[0]
    namespace = {"__name__": "tagpip_probe"}
    try:
        exec(compile(payload["probe"], "<tagpip probe>", "exec"), namespace)
        facts = namespace["_facts"]()
    except Exception as error:
        facts = {"error": _type_name(error) + ": " + _first_line(error)}
    paths = payload["paths"]
    if not os.path.isdir(paths[0]):
        _emit({"kind": "missing", "path": paths[0], "facts": facts})
        return
    sys.path[0:0] = paths
    from importlib.machinery import EXTENSION_SUFFIXES

    suffixes = sorted(EXTENSION_SUFFIXES, key=len, reverse=True)
    can_fork = hasattr(os, "fork") and not payload.get("spawn")
    _emit({"kind": "hello", "facts": facts, "sys_path": sys.path, "visible": _visible(paths[0]),
           "fork": can_fork, "suffixes": suffixes})
    spawn = None
    if not can_fork:
        spawn = {"paths": paths, "flags": payload["flags"], "source": payload["source"]}
    for job in payload["jobs"]:
        runnable = []
        for index, item in enumerate(job["items"]):
            if "file" in item:
                module = _extension_module(item["file"], suffixes)
                if module is None:
                    _emit({"kind": "result", "job": job["id"], "index": index,
                           "result": {"outcome": "foreign"}})
                    continue
                _emit({"kind": "resolved", "job": job["id"], "index": index, "module": module})
                item = {"module": module}
            elif "." not in item["module"] and item.get("expression") is None:
                origin = _standard_origin(item["module"], paths)
                if origin is not None:
                    _emit({"kind": "shadows", "job": job["id"], "index": index, "origin": origin})
                    item = dict(item, fresh=True)
            runnable.append((index, item))
        if runnable:
            _run_job({"id": job["id"], "items": runnable}, payload["timeout"], spawn)
    _emit({"kind": "end"})
"""
