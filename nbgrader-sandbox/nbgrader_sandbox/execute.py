"""nbgrader's Execute step hardened for untrusted submissions: one preprocessor, set by traits.

- ``sandbox``: the kernel runs in the bubblewrap sandbox (sandbox.py) over ipc sockets; a missing
  or broken bwrap is an error, never a silent fallback. Its working folder is a size-capped tmpfs
  holding a copy of the notebook's folder (disk.py): only the declared outputs are copied back,
  and a notebook that fills it is noted in the intake's records. What the student's submitted
  folder holds as a link, device or oversized file is left out of that copy, although nbgrader's
  own copy into autograded/ followed it (data.py): plain `nbgrader autograde` is safe too.
- ``fork_kernels``: kernels are forked from a warm zygote (kernels.py) instead of started from a
  new Python; sandboxed, the zygote in a sandbox of its own.
- A cell that times out is interrupted (nbgrader's ``Execute.timeout``) and scores 0; the next
  cells still run. If the kernel does not come back, it is treated as dead.
- A notebook that runs past ``notebook_timeout`` seconds in all gets no further cells run: they
  score 0 and the checks that ran keep their credit.
- A dead kernel (``os._exit``, a crash, the memory or CPU cap) fails that cell and every later
  code cell instead of failing the whole submission, so the checks that ran keep their credit.
- Each output stream (stdout, stderr) of a cell, and each text value of a rich output, keeps at
  most ``max_output_chars`` characters, as the output arrives (LimitOutput then caps lines).
"""
import os
import tempfile
import time
from contextlib import contextmanager

from jupyter_core.utils import run_sync
from nbclient.exceptions import CellTimeoutError, DeadKernelError
from nbformat.v4 import new_output
from nbgrader.coursedir import CourseDirectory
from nbgrader.preprocessors import Execute
from traitlets import Bool, Integer, List, Unicode

from . import cgroup, disk
from .data import refusals
from .kernels import ForkingKernelManager, disk_folder, kernel_slot
from .launcher import KERNEL_NAME, READY, kernelspec_installed
from .sandbox import Sandbox, SandboxError

TRUNCATED = "\n... Output truncated (too many characters) ...\n"


def _error(ename, evalue):
    return new_output("error", ename=ename, evalue=evalue, traceback=[f"{ename}: {evalue}"])


class SafeExecute(Execute):
    """Execute in a sandboxed kernel; survive timeouts, dead kernels and huge outputs."""

    sandbox = Bool(True, help="Run the kernel in the bubblewrap sandbox (sandbox.py).").tag(config=True)
    fork_kernels = Bool(
        False, help="Fork kernels from a warm zygote process (Linux; kernels.py) instead of starting each "
        "from a new Python. Parallel autograde turns this on."
    ).tag(config=True)
    preload = List(
        Unicode(), help="Modules the zygote imports before it forks kernels (with fork_kernels); parallel "
        "autograde sets those the assignment's read-only cells import."
    ).tag(config=True)
    max_output_chars = Integer(
        100_000, help="Characters kept per output stream of a cell and per text of a rich output (-1: no limit)."
    ).tag(config=True)

    notebook_timeout = Integer(
        600, help="Seconds a whole notebook may run; cells that would start later are not run (-1: no limit)."
    ).tag(config=True)

    def preprocess(self, nb, resources=None, km=None):
        self._dead = None
        self._disk, self._full = None, False
        self._deadline = time.monotonic() + self.notebook_timeout if self.notebook_timeout >= 0 else None
        if not self.sandbox:
            self.log.warning("SafeExecute.sandbox is off: student code runs without a sandbox")
            return super().preprocess(nb, resources, km)
        sandbox = Sandbox(parent=self)
        sandbox.check()
        if not kernelspec_installed():
            raise SandboxError(f"kernelspec {KERNEL_NAME!r} not found: run `python -m nbgrader_sandbox install` "
                               "(or set c.SafeExecute.sandbox = False)")
        tasks = f"{sandbox.process_limit} tasks" if cgroup.available(sandbox.cgroup_parent) else "tasks not capped: no cgroups here"
        self.log.info("Executing in the bubblewrap sandbox (kernel %s, %d MiB, %d CPU s, %d MiB folder, %s)",
                      KERNEL_NAME, sandbox.memory_limit // 2**20, sandbox.cpu_limit, sandbox.disk_limit // 2**20,
                      tasks)
        self._folder = ((resources or {}).get("metadata") or {}).get("path") or os.getcwd()
        self._refused = self.refused_entries(resources)
        with self.kernel_folder(resources) as self._ipc_dir:
            # The kernel waits for a byte in this FIFO (READY) before it starts: its folder is filled.
            os.mkfifo(os.path.join(self._ipc_dir, READY), 0o600)
            self._ready = os.open(os.path.join(self._ipc_dir, READY), os.O_RDWR)
            try:
                result = super().preprocess(nb, resources, km)
            finally:
                os.close(self._ready)
                self._release_disk(sandbox)
        self._record_disk(sandbox, resources)
        return result

    def refused_entries(self, resources):
        """{path: why} of what the student's submitted folder holds that is not data (a link, a device,
        an oversized file): nbgrader copies it into autograded/ following links, so it is kept out of
        the kernel's folder."""
        graded = (resources or {}).get("nbgrader", {})
        if not {"student", "assignment"} <= set(graded):
            return {}
        coursedir = CourseDirectory(config=self.config)
        folder = coursedir.format_path(coursedir.submitted_directory, graded["student"], graded["assignment"])
        refused = refusals(folder, 1000 * coursedir.max_file_size) if os.path.isdir(folder) else {}
        for path, why in refused.items():
            self.log.warning("Not given to the kernel: %s (%s in the submission)", path, why)
        return refused

    def kept(self, relative):
        """Whether a file of the notebook's folder goes into the kernel's folder."""
        return not any(relative == path or relative.startswith(path + os.sep) for path in self._refused)

    @contextmanager
    def kernel_folder(self, resources):
        """The folder for the sandboxed kernel's connection file and sockets. A forked kernel runs in
        its zygote's working folder, any other in the notebook's folder (in the sandbox, a tmpfs)."""
        if not self.fork_kernels:
            with tempfile.TemporaryDirectory(prefix="nbgrader-kernel-") as folder:
                yield folder
            return
        metadata = resources.setdefault("metadata", {})
        original = metadata.get("path")
        try:
            with kernel_slot() as slot:
                metadata["path"] = disk_folder()
                yield slot
        finally:
            metadata["path"] = original

    async def _open_disk(self, cwd):
        """Open the started kernel's working folder and copy the notebook's folder into it."""
        provisioner = self.km.provisioner
        zygote = getattr(provisioner, "zygote", None)
        sandbox = Sandbox(parent=self)
        try:
            self._disk = disk.Disk.open((zygote or provisioner).process.pid, cwd, sandbox.disk_limit)
            if not self._disk.fill(self._folder, sandbox.disk_limit, self.kept):
                self._full = True
            os.write(self._ready, b"1")
        except BaseException:
            await self.km.shutdown_kernel(now=True)
            raise

    def _release_disk(self, sandbox):
        """Once the kernel is gone: note a full working folder, copy the outputs back, empty it."""
        if self._disk is None:
            return
        try:
            self._full = self._full or self._disk.full()
            self._disk.take(self._folder, sandbox.outputs, sandbox.disk_limit)
        finally:
            self._disk.close()
            self._disk = None

    def _record_disk(self, sandbox, resources):
        """Keep in the intake's records whether the notebook filled its working folder."""
        graded = (resources or {}).get("nbgrader", {})
        notebook = f"{graded.get('notebook', 'the notebook')}.ipynb"
        note = f"disk quota reached: {notebook} filled its {sandbox.disk_limit / 2**20:g} MiB folder"
        if self._full:
            self.log.warning("%s (files it wrote there are not kept, but for the declared outputs)", note)
        if {"student", "assignment", "notebook"} <= set(graded):
            disk.record(CourseDirectory(config=self.config).root, graded["assignment"], graded["student"], notebook,
                        note if self._full else None)

    def create_kernel_manager(self):
        if self.fork_kernels:
            self.kernel_manager_class = ForkingKernelManager
        if self.sandbox:
            self.kernel_name = KERNEL_NAME
        km = super().create_kernel_manager()
        if self.fork_kernels:
            km.preload = list(self.preload)
            km.sandbox = Sandbox(parent=self) if self.sandbox else None
        if self.sandbox:
            km.transport = "ipc"
            km.ip = os.path.join(self._ipc_dir, "kernel")
            km.connection_file = os.path.join(self._ipc_dir, "kernel.json")
        return km

    async def async_start_new_kernel(self, **kwargs):
        configured = self.extra_arguments
        if self.sandbox:
            self.extra_arguments = [*configured, *Sandbox(parent=self).arguments()]
        try:
            await super().async_start_new_kernel(**kwargs)
        finally:
            self.extra_arguments = configured
        if self.sandbox:
            await self._open_disk(kwargs.get("cwd") or self.resources.get("metadata", {}).get("path") or os.getcwd())

    start_new_kernel = run_sync(async_start_new_kernel)

    def preprocess_cell(self, cell, resources, index):
        try:
            return self._preprocess_cell(cell, resources, index)
        finally:
            if self._disk is not None and not self._full:
                self._full = self._disk.full()

    def _preprocess_cell(self, cell, resources, index):
        if cell.cell_type != "code" or not cell.source.strip():
            return cell, resources
        if not self._dead and self._deadline is not None and time.monotonic() > self._deadline:
            self._dead = f"the notebook ran past its limit of {self.notebook_timeout} s"
            self.log.warning("Cell %d: %s; it and later cells are not run", index, self._dead)
        if self._dead:
            cell.outputs = [_error("KernelDied", f"not run: {self._dead}")]
            return cell, resources
        try:
            return super().preprocess_cell(cell, resources, index)
        except DeadKernelError:
            self._dead = f"the kernel died in cell {index}"
            reason = "the kernel died running this cell (os._exit, a crash, or the memory or CPU limit)"
        except CellTimeoutError:
            self._dead = f"the kernel stopped responding in cell {index}"
            reason = "the kernel did not respond after a timeout and an interrupt"
        self.log.warning("Cell %d: %s; later cells are not run", index, reason)
        cell.outputs.append(_error("DeadKernelError", reason))
        return cell, resources

    def output(self, outs, msg, display_id, cell_index):
        out = super().output(outs, msg, display_id, cell_index)
        if out is None or self.max_output_chars < 0:
            return out
        if out.output_type != "stream":
            for mime, value in out.get("data", {}).items():
                if mime.startswith("text/") and len(value) > self.max_output_chars:
                    out.data[mime] = value[:self.max_output_chars] + TRUNCATED
            return out
        used = sum(len(o.text) for o in outs[:-1] if o.output_type == "stream" and o.name == out.name)
        room = self.max_output_chars - used
        if room <= 0:
            outs.pop()
            return None
        if len(out.text) > room:
            out.text = out.text[:room] + TRUNCATED
        return out
