"""A kernel zygote: import ipykernel and the notebook's modules once, then fork one kernel per request.

Run as `python zygote.py MODULE...`. Each line on stdin is a JSON request {argv, env, cwd} for
`python -m ipykernel_launcher`; the zygote forks, answers the child's pid on stdout, and the child
becomes that kernel: its own session, the request's environment and folder, a fresh NumPy seed.
The zygote reaps its children and exits when stdin closes.
"""
import atexit
import importlib
import json
import os
import signal
import sys


def run_kernel(request):
    """In the forked child: become `python -m ipykernel_launcher ...` as a fresh process would."""
    os.setsid()
    signal.signal(signal.SIGCHLD, signal.SIG_DFL)
    devnull = os.open(os.devnull, os.O_RDONLY)
    os.dup2(devnull, 0)
    os.close(devnull)
    os.chdir(request["cwd"])
    os.environ.clear()
    os.environ.update(request["env"])
    sys.argv = request["argv"]
    del sys.path[0]  # this script's folder; ipykernel_launcher drops the kernel's cwd the same way
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


def serve(preload):
    # What ipykernel does at start, done before matplotlib is imported here.
    os.environ.setdefault("MPLBACKEND", "module://matplotlib_inline.backend_inline")
    import ipykernel.ipkernel  # noqa: F401 (IPython, zmq, tornado: all of ipykernel but its app)

    for name in preload:
        try:
            importlib.import_module(name)
        except Exception:  # the notebook will meet the same error itself, in its own kernel
            pass
    signal.signal(signal.SIGCHLD, signal.SIG_IGN)  # children are reaped as they exit
    replies = os.fdopen(os.dup(1), "w")
    os.dup2(2, 1)  # kernels write to stderr, never into the replies
    for line in sys.stdin:
        request = json.loads(line)
        pid = os.fork()
        if pid == 0:
            replies.close()
            run_kernel(request)
        replies.write(f"{pid}\n")
        replies.flush()


if __name__ == "__main__":
    serve(sys.argv[1:])
