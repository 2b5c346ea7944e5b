"""The repository's layout habits: every maintained script says what it is for, and is indexed."""
import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).parents[1]
TOOLS = sorted((ROOT / "tools").glob("*.py"))
BENCHMARKS = sorted(p for p in (ROOT / "benchmarks").glob("*.py"))


@pytest.mark.parametrize("path", TOOLS, ids=lambda p: p.name)
def test_tool_docstring_says_what_when_and_how(path):
    doc = ast.get_docstring(ast.parse(path.read_text()))
    assert doc, f"{path.name} has no module docstring"
    assert "When to run:" in doc, f"{path.name}: say when to run it"
    assert f"python tools/{path.name}" in doc, f"{path.name}: give its command line"


def test_benchmarks_readme_indexes_every_script():
    index = (ROOT / "benchmarks" / "README.rst").read_text()
    assert [p.name for p in BENCHMARKS if f"``{p.name}``" not in index] == []
    assert len(BENCHMARKS) >= 10


@pytest.mark.parametrize("path", BENCHMARKS, ids=lambda p: p.name)
def test_benchmark_has_a_docstring(path):
    assert ast.get_docstring(ast.parse(path.read_text())), path.name
