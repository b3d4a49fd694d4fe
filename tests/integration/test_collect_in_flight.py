"""A collect at the moment a student submits: nbgrader's submit copies the files into the
exchange before it writes timestamp.txt and submission_secret.txt, so a collect in between would
take a part of a submission. The engine's SafeExchangeCollect leaves such a submission for the
next collect and takes the student's latest complete one: never a mix of files."""
import json
import os

from nbgrader.utils import parse_utc

from transformer_course.lifecycle.collect import collect
from transformer_course.lifecycle.release import release
from transformer_course.simulation import classroom

from conftest import make_course


def test_a_submission_still_being_copied_is_left_for_the_next_collect(tmp_path, reference):
    course = make_course(tmp_path / "course")
    release(course)
    inbound = course.exchange / "transformer-math" / "inbound"
    submitted = course.path("submitted", "ada")
    for _ in range(2):
        classroom.fetch_and_submit(course, "ada", reference, tmp_path / "homes")
    earlier, later = sorted(inbound.glob("ada+*"), key=lambda p: parse_utc((p / "timestamp.txt").read_text()))

    # The later one as a collect finds it mid-copy: part of the notebook, no timestamp or secret yet.
    whole = {name: (later / name).read_bytes() for name in os.listdir(later)}
    for name in ("timestamp.txt", "submission_secret.txt"):
        (later / name).unlink()
    (later / "exercises.ipynb").write_bytes(whole["exercises.ipynb"][:1000])
    collect(course)
    assert (submitted / "timestamp.txt").read_text() == (earlier / "timestamp.txt").read_text()
    for name in os.listdir(submitted):
        assert (submitted / name).read_bytes() == (earlier / name).read_bytes(), name
    json.loads((submitted / "exercises.ipynb").read_text())

    # The copy ends; the next collect takes it, whole.
    for name, data in whole.items():
        (later / name).write_bytes(data)
    collect(course)
    assert sorted(os.listdir(submitted)) == sorted(whole)
    for name in whole:
        assert (submitted / name).read_bytes() == whole[name], name


def test_a_first_submission_still_being_copied_is_not_collected(tmp_path, reference):
    course = make_course(tmp_path / "course")
    release(course)
    classroom.fetch_and_submit(course, "ada", reference, tmp_path / "homes")
    (folder,) = (course.exchange / "transformer-math" / "inbound").glob("ada+*")
    (folder / "submission_secret.txt").unlink()
    collect(course)
    assert not course.path("submitted", "ada").exists()
