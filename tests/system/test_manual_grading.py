"""An instructor grades a written answer of the second assignment in formgrader (headless Chromium),
and the student's feedback shows the score and the comment."""
import pytest
from nbgrader.api import Gradebook
from playwright.sync_api import expect

from transformer_course import BLOCKS, NOTEBOOK
from transformer_course.course import Course, check
from transformer_course.lifecycle.release import generate
from transformer_course.simulation import classroom

from conftest import make_course
from test_browser import browser, open_lab, page, serving, shoot

FIXTURES = browser, page, shoot  # test_browser's, used here by name
COMMENT = "Right: causality already hides the pads from every real token."


@pytest.fixture
def blocks(tmp_path, monkeypatch):
    """A scratch course with alice's second assignment autograded (her written answers unmarked)."""
    monkeypatch.setenv("JUPYTER_DATA_DIR", str(tmp_path / "jupyter-data"))
    monkeypatch.setenv("IPYTHONDIR", str(tmp_path / "ipython"))
    course = Course(make_course(tmp_path / "course", generated=False).root, assignment=BLOCKS)
    generate(course)
    classroom.place_submission(course, "alice", dict(classroom.solutions(course), **classroom.WRITTEN))
    check(course.api().autograde(BLOCKS, "alice"), "autograde alice")
    return course


def test_instructor_grades_a_written_answer_in_formgrader(blocks, page, shoot, tmp_path):
    db = blocks.config.CourseDirectory.db_url
    with Gradebook(db, course_id="transformer-math") as gradebook:
        submission = gradebook.find_submission_notebook(NOTEBOOK, BLOCKS, "alice")
        assert (submission.score, submission.needs_manual_grade) == (22, True)
        notebook_id = submission.id
    with serving("instructor", blocks.root, tmp_path / "exchange", shoot) as server:
        open_lab(page, server)  # logs the instructor in
        page.goto(f"{server.url}formgrader/submissions/{notebook_id}/")
        expect(page.locator("body")).to_contain_text("the causal part already hides the pads")
        score = page.locator("input.score#reflection_padding")
        expect(score).to_be_visible()
        shoot("written-answer")
        with page.expect_response(lambda r: "/formgrader/api/grade/" in r.url and r.request.method == "PUT") as saved:
            score.fill("2")
            score.press("Tab")
        assert saved.value.ok
        with page.expect_response(lambda r: "/formgrader/api/comment/" in r.url and r.request.method == "PUT") as saved:
            page.locator("textarea#reflection_padding-comment").fill(COMMENT)
            page.locator("textarea#reflection_padding-comment").press("Tab")
        assert saved.value.ok
        shoot("graded-by-hand")

    with Gradebook(db, course_id="transformer-math") as gradebook:
        assert gradebook.find_grade("reflection_padding", NOTEBOOK, BLOCKS, "alice").manual_score == 2
        assert gradebook.find_comment("reflection_padding", NOTEBOOK, BLOCKS, "alice").manual_comment == COMMENT
        assert gradebook.find_submission(BLOCKS, "alice").score == 24
    check(blocks.api().generate_feedback(BLOCKS, "alice", force=True), "generate_feedback alice")
    page.goto(blocks.path("feedback", "alice").joinpath(f"{NOTEBOOK}.html").as_uri())
    expect(page.locator("#toc")).to_contain_text("Written response (Score: 2.0 / 2.0)")
    expect(page.locator("#toc")).to_contain_text("Exercise 6, gpt2_params: worked example (Score: 1.0 / 1.0)")
    expect(page.locator(".panel-footer", has_text=COMMENT)).to_be_visible()
    shoot("feedback")
