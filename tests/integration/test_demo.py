"""`demo` on a small simulated class, and the command line's answer to bad input."""
import csv
import shutil
import zipfile

import pytest

from transformer_course import cli

from conftest import make_course

pytestmark = pytest.mark.xdist_group("demo")


@pytest.fixture(scope="module")
def demo_run(tmp_path_factory):
    course = make_course(tmp_path_factory.mktemp("demo"))
    shutil.rmtree(course.root / "release")
    code = cli.main(["--course", str(course.root), "demo", "--students", "6"])
    return course, code


def test_demo_runs_from_roster_to_report(demo_run, capsys):
    course, code = demo_run
    assert code == 0
    for name in ("demo_roster.csv", "grades.csv", "grades_by_exercise.csv", "grades_canvas.csv",
                 "reports/transformer_architecture.png", "reports/transformer_architecture.html",
                 "reports/transformer_blocks.png", "reports/transformer_blocks.html"):
        assert (course.root / name).is_file(), name


def test_demo_has_one_missing_and_one_late_student(demo_run):
    course, _ = demo_run
    rows = list(csv.DictReader(open(course.root / "grades_by_exercise.csv")))
    first = [r for r in rows if r["assignment"] == "transformer_architecture"]
    assert len(first) == 6
    assert sorted(r["status"] for r in first) == ["graded"] * 4 + ["late", "missing"]
    totals = {r["student_id"]: float(r["total"]) for r in first}
    assert totals["sim-perfect"] == 41 and totals["sim-blank"] == 0


def test_demo_grades_the_second_assignment(demo_run, capsys):
    course, _ = demo_run
    rows = [r for r in csv.DictReader(open(course.root / "grades_by_exercise.csv"))
            if r["assignment"] == "transformer_blocks"]
    assert sorted(r["status"] for r in rows) == ["graded"] * 5 + ["missing"]
    totals = {r["student_id"]: float(r["total"]) for r in rows}
    assert totals["sim-perfect"] == 22 + 2 and totals["sim-blank"] == 0  # one written answer graded by hand
    perfect = next(r for r in rows if r["student_id"] == "sim-perfect")
    assert float(perfect["reflection_padding"]) == 2 and float(perfect["reflection_layernorm"]) == 0
    assert float(perfect["max_score"]) == 28 and float(perfect["gpt2_params"]) == 4
    canvas = list(csv.DictReader(open(course.root / "grades_canvas.csv")))
    assert {"transformer_architecture", "transformer_blocks"} <= set(canvas[0])
    capsys.readouterr()
    assert cli.main(["--course", str(course.root), "--assignment", "transformer_blocks", "report"]) == 0
    text = capsys.readouterr().out
    # Only sim-perfect wrote answers (nbgrader gives an untouched written answer 0, nothing to grade);
    # one of them was graded in the demo, two wait.
    assert "to grade by hand in formgrader: sim-perfect (" in text and "reflection_padding (" not in text


def test_steps_rerun_without_duplicating_rows(demo_run, capsys):
    course, _ = demo_run
    assert cli.main(["--course", str(course.root), "export"]) == 0
    assert len(list(csv.DictReader(open(course.root / "grades.csv")))) == 12  # 6 students, 2 assignments
    assert cli.main(["--course", str(course.root), "report"]) == 0
    assert "6 students: 5 graded (1 late), 0 not graded, 1 missing" in capsys.readouterr().out


def error_of(capsys, *argv):
    code = cli.main(list(argv))
    err = capsys.readouterr().err.strip()
    return code, err


def test_bad_input_gives_one_line_and_a_nonzero_exit(course, tmp_path, capsys):
    root = str(course.root)
    (tmp_path / "bad.csv").write_text("id,name\ns1,Ada\n")
    zipfile.ZipFile(tmp_path / "empty.zip", "w").close()
    cases = {
        ("--course", root, "--assignment", "nope", "collect"): "unknown assignment nope",
        ("--course", root, "roster", str(tmp_path / "bad.csv")): "missing column(s) first_name, last_name, email",
        ("--course", root, "roster", str(tmp_path / "none.csv")): "not found",
        ("--course", root, "collect"): "no exchange for this course",
        ("--course", root, "release", "--due", "next tuesday-ish"): "cannot read the due date",
        ("--course", root, "zip-collect", str(tmp_path / "empty.zip")): "empty.zip is empty",
        ("--course", str(tmp_path), "report"): "is not a course folder",
    }
    for argv, message in cases.items():
        code, err = error_of(capsys, *argv)
        assert code == 2 and err.startswith("error: ") and message in err and "\n" not in err, (argv, err)
