"""The kernel's working folder (disk.py) on a real bubblewrap sandbox, with a shell in place of a kernel:
filled before the command starts, capped, only declared outputs taken back, emptied."""
import os
import shutil
import subprocess

import pytest

from nbgrader_sandbox import disk
from nbgrader_sandbox.sandbox import Sandbox

pytestmark = pytest.mark.skipif(shutil.which("bwrap") is None, reason="bubblewrap is not installed")

MiB = 2**20


def run(folder, script, size=4 * MiB, outputs=()):
    """Run `sh -c script` in a sandbox whose working folder is `folder`, filled from it first; take the
    outputs back into it. Returns (the Disk's full(), what the script printed)."""
    sandbox = Sandbox(disk_limit=size)
    read, write = os.pipe()
    cmd = sandbox.command(["/bin/sh", "-c", script], str(folder))
    cmd[1:1] = ["--block-fd", str(read)]
    process = subprocess.Popen(cmd, pass_fds=[read], stdout=subprocess.PIPE, text=True)
    os.close(read)
    try:
        kernel_disk = disk.Disk.open(process.pid, str(folder), size)
        kernel_disk.fill(str(folder), size)
        os.write(write, b"1")
        printed = process.communicate(timeout=30)[0]
        full = kernel_disk.full()
        kernel_disk.take(str(folder), outputs, size)
        kernel_disk.clear()
        left = os.listdir(kernel_disk.path)
        kernel_disk.close()
    finally:
        os.close(write)
        process.kill()
        process.wait()
    return full, printed, left


def test_folder_is_copied_in_before_the_command_and_only_outputs_come_back(tmp_path):
    (tmp_path / "data.txt").write_text("given")
    full, printed, _ = run(tmp_path, "cat data.txt; echo 1 > plot.png; mkdir -p out; echo 2 > out/r.csv; "
                                     "echo 3 > junk.txt; echo 4 > data.txt; echo {} > other.ipynb",
                           outputs=["*.png", "out/*.csv", "*.ipynb"])
    assert printed == "given" and not full
    assert sorted(p.relative_to(tmp_path).as_posix() for p in tmp_path.rglob("*") if p.is_file()) == \
        ["data.txt", "out/r.csv", "plot.png"]
    assert (tmp_path / "data.txt").read_text() == "given" and (tmp_path / "plot.png").read_text() == "1\n"


def test_writes_stop_at_the_cap_and_the_folder_is_full(tmp_path):
    full, printed, _ = run(tmp_path, "dd if=/dev/zero of=big bs=1M count=8 2>/dev/null || echo stopped; "
                                     "ls -s big", outputs=["*"])
    assert full and printed.startswith("stopped\n")
    assert int(printed.split()[1]) <= 4 * 1024  # KiB
    assert (tmp_path / "big").stat().st_size <= 4 * MiB


def test_many_small_files_fill_it_too(tmp_path):
    full, _, _ = run(tmp_path, "i=0; while echo x > f$i 2>/dev/null; do i=$((i+1)); done")
    assert full and os.listdir(tmp_path) == []


def test_links_in_the_folder_are_never_followed(tmp_path):
    secret = tmp_path.parent / "secret.txt"
    secret.write_text("secret")
    run(tmp_path, f"ln -s {secret} leak.txt; ln -s / root.txt", outputs=["*.txt"])
    assert os.listdir(tmp_path) == []


def test_folder_emptied_even_when_the_command_locked_it(tmp_path):
    _, _, left = run(tmp_path, "mkdir -p a/b; echo x > a/b/f; chmod 000 a/b a; chmod 500 .")
    assert left == []


def test_notes_kept_per_student_and_notebook(tmp_path):
    disk.record(tmp_path, "ps1", "alice", "p1.ipynb", "disk quota reached: p1.ipynb filled its 1 MiB folder")
    disk.record(tmp_path, "ps1", "alice", "p2.ipynb", None)
    disk.record(tmp_path, "ps1", "bob", "p1.ipynb", "note")
    disk.record(tmp_path, "ps1", "bob", "p1.ipynb", None)  # graded again, within the quota
    assert disk.notes(tmp_path, "ps1") == {"alice": ["disk quota reached: p1.ipynb filled its 1 MiB folder"]}
    disk.forget(tmp_path, "ps1", "alice")  # a new intake of her submission
    assert disk.notes(tmp_path, "ps1") == {}
