"""Submissions are data, never links: a link to the instructor's source notebook, planted in the
exchange or in submitted/, is neither collected nor copied into the folder the student's code
runs in, and the intake's status says so."""
import contextlib
import io
import os

import nbformat

from nbgrader_sandbox.intake import load
from transformer_course import cli
from transformer_course.course import check
from transformer_course.lifecycle.collect import collect
from transformer_course.lifecycle.release import release
from transformer_course.simulation import classroom

from conftest import make_course

PEEK = "    print('secret seen:', __import__('os').path.exists('secret.ipynb'))\n"


def test_links_are_refused_at_collection_and_before_grading(tmp_path):
    course = make_course(tmp_path / "course")
    source = course.notebook("source")
    reference = classroom.solutions(course)
    bodies = dict(reference, attention_weights=PEEK + reference["attention_weights"])
    release(course)
    classroom.fetch_and_submit(course, "exchanger", bodies, tmp_path / "homes")
    (inbound,) = (course.exchange / "transformer-math" / "inbound").glob("exchanger+*")
    (inbound / "secret.ipynb").symlink_to(source)  # the inbound folder is writable by every student
    collect(course)
    assert sorted(os.listdir(course.path("submitted", "exchanger"))) == \
        ["exercises.ipynb", "submission_secret.txt", "timestamp.txt"]

    folder = classroom.place_submission(course, "linker", bodies)
    (folder / "secret.ipynb").symlink_to(source)
    with contextlib.redirect_stdout(io.StringIO()) as output:
        assert cli.main(["--course", str(course.root), "grade"]) == 0

    records = load(course.root, course.assignment)
    assert records["exchanger"]["notes"] == [f"refused at collection: secret.ipynb (symbolic link to {source})"]
    assert records["linker"]["notes"] == [f"refused: secret.ipynb (symbolic link to {source})"]
    assert (folder / "secret.ipynb").is_symlink()  # submitted/ stays as handed in
    for student in ("exchanger", "linker"):
        assert f"  {student}: graded" in output.getvalue().splitlines()
        assert not course.path("autograded", student).joinpath("secret.ipynb").exists()
        nb = nbformat.read(course.notebook("autograded", student), as_version=4)
        # a kernel may flush one print in several stream messages: read the stdout whole
        printed = "".join(o.text for c in nb.cells if c.cell_type == "code"
                          for o in c.outputs if o.get("name") == "stdout")
        assert "secret seen: False\n" in printed and "secret seen: True" not in printed
        with course.gradebook() as gradebook:
            assert gradebook.find_submission(course.assignment, student).score == 41


def test_plain_nbgrader_autograde_gives_the_kernel_no_link(tmp_path):
    """Plain `nbgrader autograde` copies a link planted in submitted/ into autograded/ as a file (it
    follows links, but for notebooks); SafeExecute still leaves it out of the kernel's folder."""
    course = make_course(tmp_path / "course")
    reference = classroom.solutions(course)
    peek = "    print('notes seen:', __import__('os').path.exists('notes.txt'))\n"
    folder = classroom.place_submission(course, "plain", dict(reference, attention_weights=peek + reference["attention_weights"]))
    (folder / "notes.txt").symlink_to(course.notebook("source"))
    check(course.api().autograde(course.assignment, "plain"), "autograde plain")
    assert course.path("autograded", "plain").joinpath("notes.txt").is_file()  # nbgrader's own copy
    nb = nbformat.read(course.notebook("autograded", "plain"), as_version=4)
    printed = "".join(o.text for c in nb.cells if c.cell_type == "code" for o in c.outputs if o.get("name") == "stdout")
    assert "notes seen: False\n" in printed and "notes seen: True" not in printed
    with course.gradebook() as gradebook:
        assert gradebook.find_submission(course.assignment, "plain").score == 41
