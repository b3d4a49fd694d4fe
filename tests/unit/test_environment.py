"""requirements.txt and environment.yml pin the same packages."""
import re

from transformer_course.course import ROOT


def pins(text):
    return sorted(re.findall(r"^[\s-]*([A-Za-z0-9_.-]+==[^\s#]+)", text, re.M))


def test_environment_yml_agrees_with_requirements():
    assert pins((ROOT / "environment.yml").read_text()) == pins((ROOT / "requirements.txt").read_text())
