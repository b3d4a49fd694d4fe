"""Submissions are data, never links: what of a submission folder may be copied, and a copy of it.

A symbolic link, a hard link to a file outside the submission, a device, FIFO or socket, or a file
over the size limit would, copied the way nbgrader copies (following links), bring the grader's
own files (the source notebook, the gradebook, another student's work) into the folder that the
student's code runs in and whose outputs go back to the student. Such entries are refused: never
followed, never copied, and reported by the intake.
"""
import os
import shutil
import stat
from collections import Counter


def refusals(folder, max_bytes):
    """{path relative to folder: why} of every entry that is not a regular file of at most max_bytes
    linked only from inside the folder. Linked folders are not entered."""
    found, regular, links = {}, [], Counter()
    for top, dirs, files in os.walk(folder):
        for name in dirs + files:
            path = os.path.join(top, name)
            relative = os.path.relpath(path, folder)
            info = os.lstat(path)
            if stat.S_ISLNK(info.st_mode):
                found[relative] = f"symbolic link to {os.readlink(path)}"
            elif stat.S_ISREG(info.st_mode):
                if info.st_size > max_bytes:
                    found[relative] = f"{info.st_size:,} bytes, over the limit of {max_bytes:,}"
                else:
                    regular.append((relative, info))
                    links[info.st_dev, info.st_ino] += 1
            elif not stat.S_ISDIR(info.st_mode):
                found[relative] = "a device, FIFO or socket"
    for relative, info in regular:
        if info.st_nlink > links[info.st_dev, info.st_ino]:
            found[relative] = "hard link to a file outside the submission"
    return found


def copy_data(source, dest, max_bytes, keep=None):
    """Copy the regular files of source (but for its refusals, and those whose relative path `keep`
    rejects) into dest, opening none through a link; return the refusals."""
    refused = refusals(source, max_bytes)
    os.makedirs(dest, exist_ok=True)
    for top, dirs, files in os.walk(source):
        dirs[:] = [d for d in dirs if os.path.relpath(os.path.join(top, d), source) not in refused]
        for name in files:
            relative = os.path.relpath(os.path.join(top, name), source)
            if relative in refused or keep is not None and not keep(relative):
                continue
            target = os.path.join(dest, relative)
            os.makedirs(os.path.dirname(target), exist_ok=True)
            try:
                fd = os.open(os.path.join(source, relative), os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK)
            except OSError as error:  # replaced by a link since the scan
                refused[relative] = f"not a regular file ({error.strerror})"
                continue
            with os.fdopen(fd, "rb") as handle:
                info = os.fstat(handle.fileno())
                if not stat.S_ISREG(info.st_mode) or info.st_size > max_bytes:
                    refused[relative] = "changed while it was copied"
                    continue
                with open(target, "wb") as out:
                    shutil.copyfileobj(handle, out)
            shutil.copystat(os.path.join(source, relative), target, follow_symlinks=False)
    return refused
