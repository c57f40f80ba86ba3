"""docs/python.md's code blocks (and README's Python one), run in order in one namespace:
the tutorial stays true.
Each `print(...)  # expected` line is checked against what it printed."""
import contextlib
import io
import pathlib
import re

ROOT = pathlib.Path(__file__).resolve().parents[2]
TUTORIAL = ROOT / "docs" / "python.md"
README = ROOT / "README.md"


def python_blocks(text):
    return re.findall(r"```python\n(.*?)```", text, flags=re.S)


def expected_outputs(block):
    return [m.group(1).strip() for m in re.finditer(r"^\s*print\(.*\)\s*#\s*(.+)$", block, flags=re.M)]


def run_blocks(page, at_least):
    blocks = python_blocks(page.read_text())
    assert len(blocks) >= at_least
    namespace = {"__name__": page.stem}
    for number, block in enumerate(blocks, 1):
        out = io.StringIO()
        with contextlib.redirect_stdout(out):
            exec(compile(block, f"{page.name} block {number}", "exec"), namespace)  # noqa: S102
        printed = [line.strip() for line in out.getvalue().splitlines()]
        assert printed == expected_outputs(block), f"{page.name} block {number}"


def test_every_code_block_of_the_tutorial_runs_and_prints_what_it_says():
    run_blocks(TUTORIAL, 5)


def test_the_readme_python_example_runs():
    run_blocks(README, 1)
