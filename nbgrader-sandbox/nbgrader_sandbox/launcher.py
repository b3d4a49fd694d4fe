"""The sandboxed kernel's launcher and its kernelspec.

    nbgrader-sandbox install [--prefix=PREFIX]                  # write the kernelspec (cli.py)
    python -I -m nbgrader_sandbox.launcher -f CONNECTION_FILE   # what the kernelspec runs

The kernelspec names this installed module, never a file of a course folder, so every course of
an environment shares one spec that stays valid wherever its courses live.
"""
import json
import os
import sys

from jupyter_client.kernelspec import KernelSpecManager
from traitlets import Unicode
from traitlets.config import Application

from .sandbox import Sandbox

KERNEL_NAME = "python3-sandbox"
# A FIFO beside the connection file: the kernel starts once the grader has written a byte to it,
# after it filled the kernel's working folder (disk.py).
READY = "ready"
# -I: the launcher runs outside the sandbox, in the student's folder; never import from there.
LAUNCHER = ["-I", "-m", "nbgrader_sandbox.launcher"]


def kernelspec():
    """The sandboxed kernel's spec for this Python."""
    return {
        "argv": [sys.executable, *LAUNCHER, "-f", "{connection_file}"],
        "display_name": "Python 3 (grading sandbox)",
        "language": "python",
        "interrupt_mode": "message",
        "metadata": {"debugger": False},
    }


def install_kernelspec(prefix=sys.prefix):
    """Install the sandboxed kernelspec under prefix/share/jupyter/kernels (only when it is missing or
    differs); return its folder."""
    folder = os.path.join(prefix, "share", "jupyter", "kernels", KERNEL_NAME)
    path = os.path.join(folder, "kernel.json")
    text = json.dumps(kernelspec(), indent=1)
    if not os.path.exists(path) or open(path).read() != text:
        os.makedirs(folder, exist_ok=True)
        with open(path, "w") as f:
            f.write(text)
    return folder


def kernelspec_installed():
    return KERNEL_NAME in KernelSpecManager().find_kernel_specs()


class SandboxLauncher(Application):
    """Start ipykernel inside the sandbox for a connection file that uses the ipc transport."""

    name = "nbgrader-sandbox"
    description = __doc__
    classes = [Sandbox]
    connection_file = Unicode(help="The kernel's connection file.").tag(config=True)
    aliases = {"f": "SandboxLauncher.connection_file"}

    def start(self):
        if not self.connection_file or self.extra_args:
            self.exit("usage: python -I -m nbgrader_sandbox.launcher -f CONNECTION_FILE")
        with open(self.connection_file) as f:
            info = json.load(f)
        if info.get("transport") != "ipc":
            self.exit("the sandboxed kernel has no network: start it with the ipc transport "
                      "(KernelManager.transport = 'ipc')")
        sandbox = Sandbox(parent=self)
        conn = os.path.abspath(self.connection_file)
        kernel_args = [f"--{section}.{name}={value}" for section, values in self.config.items()
                       if section not in ("Sandbox", "SandboxLauncher") for name, value in values.items()]
        argv = [sys.executable, "-m", "ipykernel_launcher", "-f", conn, *kernel_args]
        sockets = os.path.dirname(os.path.abspath(info["ip"]))
        cmd = sandbox.command(argv, os.getcwd(), writable=[sockets], readable=[conn])
        ready = os.path.join(os.path.dirname(conn), READY)
        if os.path.exists(ready):
            fd = os.open(ready, os.O_RDONLY)
            os.set_inheritable(fd, True)
            cmd[1:1] = ["--block-fd", str(fd)]  # bwrap waits for it with the sandbox made, before the kernel
        sandbox.apply_limits()
        group = sandbox.cgroup()
        if group is not None:
            group.join()  # bwrap and everything in the sandbox stay in it
        try:
            os.execvp(cmd[0], cmd)
        except FileNotFoundError:
            self.exit(f"bubblewrap ({sandbox.bwrap!r}) is not installed: `apt-get install bubblewrap`")


main = SandboxLauncher.launch_instance

if __name__ == "__main__":
    main()
