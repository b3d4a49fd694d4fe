"""The kernel's working folder: an empty tmpfs of ``Sandbox.disk_limit`` bytes that bubblewrap mounts
at the kernel's folder inside the sandbox (sandbox.py), so that all a kernel writes there is capped
in total, like its private /tmp.

The grader reaches that tmpfs from outside through a file descriptor opened in the sandbox's root
(``/proc/<pid>/root``), which keeps it alive after the sandbox is gone. Before any cell runs it copies
the notebook's folder in; once the kernel is dead it copies back only the files the assignment
declares as outputs (``Sandbox.outputs``), never a notebook, never through a link, and empties it.
A folder that was (nearly) full after a cell or at the end is noted in the intake's records
(``intake/<assignment>.disk/<student>.json``).
"""
import errno
import fnmatch
import json
import os
import time
from pathlib import Path

from .coursedir import STAGING
from .data import copy_data
from .zygote import remove

STARTUP = 30  # seconds bwrap may take to mount the tmpfs


class Disk:
    """An open file descriptor on the tmpfs that is a sandbox's working folder."""

    def __init__(self, fd):
        self.fd = fd
        self.path = f"/proc/self/fd/{fd}"  # the tmpfs itself, as a path for the copies

    @classmethod
    def open(cls, pid, folder, size):
        """The tmpfs of `size` bytes mounted at `folder` in the sandbox that the bwrap process `pid` runs
        (a child of it is the sandbox's init), once it is mounted."""
        page = os.sysconf("SC_PAGE_SIZE")
        expected = -(-size // page) * page
        host = os.stat(folder).st_dev if os.path.isdir(folder) else None
        deadline = time.monotonic() + STARTUP
        while time.monotonic() < deadline:
            for child in _children(pid):
                try:
                    fd = os.open(f"/proc/{child}/root{folder}", os.O_RDONLY | os.O_DIRECTORY)
                except OSError:
                    continue
                info = os.fstatvfs(fd)
                if os.fstat(fd).st_dev != host and info.f_blocks * info.f_frsize == expected:
                    return cls(fd)
                os.close(fd)
            if not _running(pid):
                break
            time.sleep(0.002)
        raise OSError(f"the sandbox of process {pid} has no working folder {folder} of {size} bytes")

    def free(self):
        """(free, total) bytes of the folder."""
        info = os.fstatvfs(self.fd)
        return info.f_bavail * info.f_frsize, info.f_blocks * info.f_frsize

    def full(self):
        """Whether less than 1 % of the folder is free."""
        free, size = self.free()
        return free * 100 < size

    def fill(self, source, max_bytes, keep=None):
        """Empty the folder, copy the regular files of `source` in (those whose relative path `keep`
        accepts); False if they did not all fit."""
        self.clear()
        try:
            copy_data(source, self.path, max_bytes, keep)
            fitted = True
        except OSError as error:
            if error.errno != errno.ENOSPC:
                raise
            fitted = False
        # A new modification time, so that a kernel that listed its folder before the copy (Python's
        # import cache) lists it again.
        stamp = max(os.fstat(self.fd).st_mtime_ns, time.time_ns()) + 10**6
        os.utime(self.fd, ns=(stamp, stamp))
        return fitted

    def take(self, dest, patterns, max_bytes):
        """Copy the regular files whose path relative to the folder matches one of the glob `patterns`,
        but notebooks, into `dest`."""
        def kept(relative):
            return not relative.endswith(".ipynb") and any(fnmatch.fnmatch(relative, p) for p in patterns)

        if patterns:
            copy_data(self.path, dest, max_bytes, kept)

    def clear(self):
        os.fchmod(self.fd, 0o755)
        for name in os.listdir(self.path):
            remove(os.path.join(self.path, name))

    def close(self):
        """Empty the folder and let it go."""
        try:
            self.clear()
        finally:
            os.close(self.fd)


def _stat(pid):
    """State and parent of a process (fields 3 and 4 of /proc/PID/stat), or None if it is gone."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            state, parent = f.read().rpartition(")")[2].split()[:2]
        return state, int(parent)
    except (OSError, ValueError):
        return None


def _children(pid):
    try:
        with open(f"/proc/{pid}/task/{pid}/children") as f:
            return [int(child) for child in f.read().split()]
    except OSError:  # a kernel without CONFIG_PROC_CHILDREN
        return [int(name) for name in os.listdir("/proc") if name.isdigit() and (_stat(name) or "")[1:] == (pid,)]


def _running(pid):
    stat = _stat(pid)
    return stat is not None and stat[0] != "Z"


def notes_file(root, assignment, student):
    return Path(root) / STAGING / f"{assignment}.disk" / f"{student}.json"


def record(root, assignment, student, notebook, note):
    """Keep `note` (or, if None, no note) on the disk quota of the student's notebook."""
    path = notes_file(root, assignment, student)
    notes = json.loads(path.read_text()) if path.exists() else {}
    notes.pop(notebook, None)
    if note:
        notes[notebook] = note
    if notes:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(notes, indent=1, sort_keys=True))
    elif path.exists():
        path.unlink()


def forget(root, assignment, student):
    notes_file(root, assignment, student).unlink(missing_ok=True)


def notes(root, assignment):
    """{student: [note]} of the students whose last grading filled a kernel's folder."""
    folder = Path(root) / STAGING / f"{assignment}.disk"
    found = {}
    for path in sorted(folder.glob("*.json")):
        found[path.stem] = [note for _, note in sorted(json.loads(path.read_text()).items())]
    return found
