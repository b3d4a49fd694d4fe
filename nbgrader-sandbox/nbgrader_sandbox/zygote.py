"""A kernel zygote: import ipykernel and the notebook's modules once, then fork one kernel per request.

Run as `python zygote.py [--sandbox=LIMITS] MODULE...`. Once the modules are imported it writes
"ready"; then each line on stdin is a JSON request, answered by one line on stdout:

- {"op": "fork", "argv", "cwd", "env"?, "ready"?}: fork a child that becomes `python -m
  ipykernel_launcher ARGV` in its own session, in cwd, with env (default: the zygote's), a fresh
  NumPy seed, once it could read a byte from the FIFO `ready` (the grader filled cwd); answer its pid.
- {"op": "signal", "pid", "signal"}: signal the kernel's process group; answer "ok" or "gone".
- {"op": "poll", "pid"}: answer "alive" or "gone".
- {"op": "reset"}: only with --sandbox; answer "ok".

With ``--sandbox='{"RLIMIT_AS": [soft, hard], ...}'`` the zygote runs inside a bubblewrap sandbox
of its own (see kernels.py) and serves one kernel at a time: each kernel gets those resource
limits, and before each fork and on "reset" the zygote kills every other process of the sandbox
and removes what was added to /tmp, /dev and /dev/shm, so no kernel sees what an earlier
one left. If that fails it exits, and the grader starts a new sandbox. The zygote is not dumpable:
kernels (same user, no capabilities) cannot ptrace it or read its memory and file descriptors.

The zygote reaps its children and exits when stdin closes.
"""
import atexit
import contextlib
import ctypes
import importlib
import io
import json
import os
import resource
import shutil
import signal
import sys
import time

PR_SET_DUMPABLE = 4
# What IPKernelApp imports while it starts (the debugger brings debugpy): 0.13 s of every kernel's
# start when imported in each child.
KERNEL_MODULES = ("ipykernel.debugger", "IPython.core.completerlib", "IPython.extensions.storemagic",
                  "sqlite3", "psutil", "faulthandler", "tornado.queues")
SCRATCH = ("/tmp", "/dev", "/dev/shm")


def _prctl_dumpable(flag):
    ctypes.CDLL(None, use_errno=True).prctl(PR_SET_DUMPABLE, flag, 0, 0, 0)


def run_kernel(request, limits):
    """In the forked child: become `python -m ipykernel_launcher ...` as a fresh process would."""
    os.setsid()
    signal.signal(signal.SIGCHLD, signal.SIG_DFL)
    devnull = os.open(os.devnull, os.O_RDONLY)
    os.dup2(devnull, 0)
    os.close(devnull)
    os.chdir(request["cwd"])
    if request.get("ready"):
        with open(request["ready"], "rb", buffering=0) as ready:
            ready.read(1)
    if request.get("env") is not None:
        os.environ.clear()
        os.environ.update(request["env"])
    sys.argv = request["argv"]
    if limits is not None:
        _prctl_dumpable(1)
        for name, value in limits.items():
            resource.setrlimit(getattr(resource, name), tuple(value))
    if "numpy" in sys.modules:
        sys.modules["numpy"].random.seed()  # `random` reseeds itself after a fork, NumPy does not
    from ipykernel import kernelapp  # after the environment: its defaults read JPY_PARENT_PID

    code = 0
    try:
        kernelapp.launch_new_instance()
    except SystemExit as exit:
        code = exit.code if isinstance(exit.code, int) else 1
    finally:
        atexit._run_exitfuncs()
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(code)


def _snapshot():
    """{path: (inode, mode)} of what is in SCRATCH, not crossing mount points."""
    entries = {}
    for top in SCRATCH:
        entries[top] = os.lstat(top)[1:3]
        for folder, dirs, files in os.walk(top):
            for name in dirs + files:
                path = os.path.join(folder, name)
                entries[path] = os.lstat(path)[1:3]
            dirs[:] = [d for d in dirs if not os.path.ismount(os.path.join(folder, d))]
    return entries


def _others():
    """Live processes of this sandbox's PID namespace other than its init (1) and the zygote."""
    pids = []
    for name in os.listdir("/proc"):
        if name.isdigit() and int(name) not in (1, os.getpid()):
            try:
                with open(f"/proc/{name}/stat") as f:
                    if f.read().rpartition(")")[2].split()[0] != "Z":
                        pids.append(int(name))
            except OSError:
                pass
    return pids


def remove(path):
    """Remove a file or a folder tree, also folders a kernel left without write permission."""
    def writable(func, target, _):
        os.chmod(os.path.dirname(target), 0o700)
        os.chmod(target, 0o700)
        func(target)

    if os.path.isdir(path) and not os.path.islink(path):
        shutil.rmtree(path, onerror=writable)
    else:
        os.unlink(path)


def reset(initial):
    """Kill every other process of the sandbox and remove what they added to SCRATCH; exit if that
    fails or if they changed what was there."""
    for _ in range(200):
        others = _others()
        if not others:
            break
        for pid in others:
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        time.sleep(0.005)
    else:
        sys.exit("zygote: processes of an earlier kernel survive SIGKILL")
    try:
        for path in sorted(set(_snapshot()) - set(initial)):
            if os.path.lexists(path):
                remove(path)
        changed = _snapshot() != initial
    except OSError as error:
        sys.exit(f"zygote: cannot clean up after a kernel: {error}")
    if changed:
        sys.exit("zygote: an earlier kernel changed the sandbox")


def serve(preload, limits):
    # What ipykernel does at start, done before matplotlib is imported here.
    os.environ.setdefault("MPLBACKEND", "module://matplotlib_inline.backend_inline")
    import ipykernel.ipkernel  # noqa: F401 (IPython, zmq, tornado: all of ipykernel but its app)

    with contextlib.redirect_stderr(io.StringIO()):  # debugpy warns about frozen modules
        for name in (*KERNEL_MODULES, *preload):
            try:
                importlib.import_module(name)
            except Exception:  # optional for ipykernel (debugpy, psutil), or the notebook will meet
                pass  # the same error itself, in its own kernel
    if limits is not None:
        _prctl_dumpable(0)
        initial = _snapshot()
    signal.signal(signal.SIGCHLD, signal.SIG_IGN)  # children are reaped as they exit
    replies = os.fdopen(os.dup(1), "w")
    os.dup2(2, 1)  # kernels write to stderr, never into the replies
    replies.write("ready\n")
    replies.flush()
    for line in sys.stdin:
        request = json.loads(line)
        op = request["op"]
        if op == "fork":
            if limits is not None:
                reset(initial)
            pid = os.fork()
            if pid == 0:
                replies.close()
                run_kernel(request, limits)
            answer = pid
        elif op == "signal":
            try:
                os.killpg(request["pid"], request["signal"])
                answer = "ok"
            except ProcessLookupError:
                answer = "gone"
        elif op == "poll":
            try:
                os.kill(request["pid"], 0)
                answer = "alive"
            except ProcessLookupError:
                answer = "gone"
        elif op == "reset" and limits is not None:
            reset(initial)
            answer = "ok"
        else:
            sys.exit(f"zygote: unknown request {op!r}")
        replies.write(f"{answer}\n")
        replies.flush()


if __name__ == "__main__":
    # This script's folder (the engine's modules) is no place to import from, neither for the
    # notebook's modules nor for the kernels.
    sys.path[:] = [p for p in sys.path if p != os.path.dirname(os.path.abspath(__file__))]
    args = sys.argv[1:]
    sandbox = None
    if args and args[0].startswith("--sandbox="):
        sandbox = json.loads(args.pop(0).partition("=")[2])
    serve(args, sandbox)
