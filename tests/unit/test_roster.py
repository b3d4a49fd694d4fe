"""The roster CSV: lenient headers, strict rows, one-line errors, and a write/read round trip."""
import pytest

from transformer_course.course import CourseError
from transformer_course.lifecycle.roster import read_roster, write_roster

HEADER = "id,first_name,last_name,email"
ADA = {"id": "s1", "first_name": "Ada", "last_name": "Lovelace", "email": "ada@example.org"}
ALAN = {"id": "s2", "first_name": "Alan", "last_name": "Turing", "email": "alan@example.org"}
ADA_ROW = "s1,Ada,Lovelace,ada@example.org"
ALAN_ROW = "s2,Alan,Turing,alan@example.org"


def roster(tmp_path, *lines, encoding="utf-8"):
    path = tmp_path / "roster.csv"
    path.write_text("".join(f"{line}\n" for line in lines), encoding=encoding)
    return path


@pytest.mark.parametrize("header, row", [
    pytest.param(HEADER, ADA_ROW, id="snake-case"),
    pytest.param("ID,First Name,Last Name,Email", ADA_ROW, id="title-case-spaces"),
    pytest.param("id,first-name,LAST-NAME,EMAIL", ADA_ROW, id="dashes"),
    pytest.param(" Id , First_Name ,last name, Email ", ADA_ROW, id="padded-mixed"),
    pytest.param("Email,Last-Name,First Name,ID", "ada@example.org,Lovelace,Ada,s1", id="reordered"),
])
def test_headers_case_insensitive_with_spaces_or_dashes(tmp_path, header, row):
    assert read_roster(roster(tmp_path, header, row)) == [ADA]


def test_utf8_bom_ignored(tmp_path):
    path = roster(tmp_path, HEADER, "s1,Zoë,Ångström,zoe@example.org", encoding="utf-8-sig")
    assert path.read_bytes().startswith(b"\xef\xbb\xbfid,")
    assert read_roster(path) == [{"id": "s1", "first_name": "Zoë", "last_name": "Ångström",
                                  "email": "zoe@example.org"}]


def test_optional_lms_id_read(tmp_path):
    path = roster(tmp_path, f"{HEADER},LMS ID", f"{ADA_ROW},30006", f"{ALAN_ROW},")
    assert read_roster(path) == [{**ADA, "lms_id": "30006"}, {**ALAN, "lms_id": ""}]


def test_unknown_columns_ignored(tmp_path):
    path = roster(tmp_path, f"section,{HEADER},notes", f"A,{ADA_ROW},\"likes proofs, a lot\"")
    assert read_roster(path) == [ADA]


def test_values_stripped(tmp_path):
    assert read_roster(roster(tmp_path, HEADER, " s1 , Ada ,Lovelace,  ada@example.org")) == [ADA]


def test_blank_lines_skipped(tmp_path):
    path = roster(tmp_path, HEADER, "", ADA_ROW, "   ", ",,,", " , , , ", ALAN_ROW, "")
    assert read_roster(path) == [ADA, ALAN]


@pytest.mark.parametrize("lines, message", [
    pytest.param(["id,name,email", "s1,Ada,ada@example.org"],
                 "roster roster.csv: missing column(s) first_name, last_name", id="missing-columns"),
    pytest.param(["student,first_name,last_name,mail"], "roster roster.csv: missing column(s) id, email",
                 id="misnamed-columns"),
    pytest.param([], "roster roster.csv: missing column(s) id, first_name, last_name, email", id="empty-file"),
    pytest.param([HEADER, ADA_ROW, "s2,Alan,alan@example.org"],
                 "roster roster.csv line 3: 3 fields, expected 4", id="too-few-fields"),
    pytest.param([HEADER, f"{ADA_ROW},extra"], "roster roster.csv line 2: 5 fields, expected 4",
                 id="too-many-fields"),
    pytest.param([HEADER, ADA_ROW, "", "s2,Alan"], "roster roster.csv line 4: 2 fields, expected 4",
                 id="line-counts-blank-lines"),
    pytest.param([HEADER, ",Ada,Lovelace,ada@example.org"],
                 "roster roster.csv line 2: missing, duplicate or invalid id ''", id="empty-id"),
    pytest.param([HEADER, "  ,Ada,Lovelace,ada@example.org"],
                 "roster roster.csv line 2: missing, duplicate or invalid id ''", id="blank-id"),
    pytest.param([HEADER, ADA_ROW, ALAN_ROW, "s1,Ada,Byron,ada2@example.org"],
                 "roster roster.csv line 4: missing, duplicate or invalid id 's1'", id="duplicate-id"),
    pytest.param([HEADER, "../s1,Ada,Lovelace,ada@example.org"],
                 "roster roster.csv line 2: missing, duplicate or invalid id '../s1'", id="slash-in-id"),
    pytest.param([HEADER], "roster roster.csv: no students", id="header-only"),
    pytest.param([HEADER, "", ",,,"], "roster roster.csv: no students", id="only-blank-rows"),
])
def test_invalid_roster_rejected(tmp_path, lines, message):
    with pytest.raises(CourseError) as error:
        read_roster(roster(tmp_path, *lines))
    assert str(error.value) == message


@pytest.mark.parametrize("name", ["missing.csv", "folder"])
def test_missing_roster_rejected(tmp_path, name):
    (tmp_path / "folder").mkdir()
    path = tmp_path / name
    with pytest.raises(CourseError) as error:
        read_roster(path)
    assert str(error.value) == f"roster {path} not found"


def test_write_then_read_round_trip(tmp_path):
    zoe = {"id": "s3", "first_name": "Zoë", "last_name": "Smith, Jr.", "email": "zoe@example.org",
           "lms_id": "30006"}
    path = write_roster(tmp_path / "out.csv", [ADA, ALAN, zoe])
    assert path == tmp_path / "out.csv"
    assert path.read_text(encoding="utf-8").splitlines()[0] == f"{HEADER},lms_id"
    assert read_roster(path) == [{**ADA, "lms_id": ""}, {**ALAN, "lms_id": ""}, zoe]
