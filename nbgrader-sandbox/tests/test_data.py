"""Submissions are data: links, devices and oversized files are refused and never copied."""
import os

import pytest

from nbgrader_sandbox.data import copy_data, refusals
from nbgrader_sandbox.intake import inspect_student


@pytest.fixture
def submission(tmp_path):
    """A submission folder beside an instructor's secret, with every kind of entry to refuse."""
    secret = tmp_path / "course" / "source.ipynb"
    secret.parent.mkdir()
    secret.write_text("SOLUTIONS")
    folder = tmp_path / "submitted" / "ada" / "ps1"
    (folder / "data").mkdir(parents=True)
    (folder / "ps1.ipynb").write_text("{}")
    (folder / "data" / "table.csv").write_text("a,b\n")
    os.link(folder / "data" / "table.csv", folder / "data" / "same-table.csv")  # a hard link inside: data
    (folder / "secret.ipynb").symlink_to(secret)
    (folder / "course").symlink_to(secret.parent, target_is_directory=True)
    os.link(secret, folder / "copy.ipynb")  # a hard link to a file outside
    os.mkfifo(folder / "pipe")
    (folder / "big.bin").write_bytes(b"x" * 2000)
    return folder, secret


EXPECTED = {"secret.ipynb": "symbolic link to {secret}", "course": "symbolic link to {parent}",
            "copy.ipynb": "hard link to a file outside the submission", "pipe": "a device, FIFO or socket",
            "big.bin": "2,000 bytes, over the limit of 1,000"}


def expected(secret):
    return {path: why.format(secret=secret, parent=secret.parent) for path, why in EXPECTED.items()}


def test_refusals_name_every_entry_that_is_not_data(submission):
    folder, secret = submission
    assert refusals(folder, max_bytes=1000) == expected(secret)


def test_copy_data_copies_only_regular_files(submission, tmp_path):
    folder, secret = submission
    dest = tmp_path / "copy"
    assert copy_data(folder, dest, max_bytes=1000) == expected(secret)
    copied = sorted(str(p.relative_to(dest)) for p in dest.rglob("*"))
    assert copied == ["data", "data/same-table.csv", "data/table.csv", "ps1.ipynb"]
    assert not any(p.is_symlink() for p in dest.rglob("*"))
    assert (dest / "data" / "table.csv").read_text() == "a,b\n"


def test_intake_grades_a_staged_copy_without_them(submission, tmp_path):
    folder, secret = submission
    before = sorted(os.listdir(folder))
    staged = tmp_path / "intake" / "ada" / "ps1"
    record = inspect_student(folder, {}, staged, max_bytes=1000)
    assert record == {"graded": True, "notes": [f"refused: {p} ({why})" for p, why in sorted(expected(secret).items())]}
    assert sorted(os.listdir(staged)) == ["data", "ps1.ipynb"] and sorted(os.listdir(folder)) == before


def test_a_linked_notebook_is_not_graded(tmp_path):
    secret = tmp_path / "source.ipynb"
    secret.write_text("{}")
    folder = tmp_path / "submitted"
    folder.mkdir()
    (folder / "ps1.ipynb").symlink_to(secret)
    record = inspect_student(folder, {"ps1": {}}, tmp_path / "staged", max_bytes=1000)
    assert record == {"graded": False,
                      "notes": ["unreadable: no notebook", f"refused: ps1.ipynb (symbolic link to {secret})"]}
    assert not (tmp_path / "staged").exists()
