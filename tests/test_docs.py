"""The pages of docs/ point at files that exist: the figures and printed
output the tutorials show (``make figures``), the example code they include,
and no page cites a file outside the project."""
import pathlib
import re

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[1]
DOCS = ROOT / "docs"
PAGES = sorted(DOCS.glob("*.md"))


def _targets(page):
    text = page.read_text()
    images = re.findall(r"!\[[^\]]*\]\(([^)\s]+)\)", text)
    includes = re.findall(r"```\{literalinclude\}\s+(\S+)", text)
    return images + includes


@pytest.mark.parametrize("page", PAGES, ids=lambda p: p.name)
def test_figures_and_included_files_exist(page):
    missing = [t for t in _targets(page) if not (page.parent / t).is_file()]
    assert not missing, f"{page.name} points at missing files: {missing}"


def test_each_paper_has_a_tutorial_with_figures():
    tutorials = sorted(DOCS.glob("tutorial_*.md"))
    assert len(tutorials) == 3           # one per seed paper
    index = (DOCS / "index.md").read_text()
    for page in tutorials:
        assert page.stem in index, f"{page.name} is not in the index's toctree"
        assert any(t.endswith(".png") for t in _targets(page)), page.name


def test_every_tutorial_example_is_made_by_make_figures():
    """A figure under figures/examples/ is one the Makefile regenerates."""
    makefile = (ROOT / "Makefile").read_text()
    examples = re.search(r"^EXAMPLES = (.*)$", makefile, re.M).group(1).split()
    for page in DOCS.glob("tutorial_*.md"):
        for target in _targets(page):
            if target.startswith("figures/examples/"):
                assert pathlib.Path(target).stem in examples, (page.name, target)
                assert (ROOT / "examples" / (pathlib.Path(target).stem + ".py")).is_file()


def test_no_page_cites_a_file_outside_the_project():
    for path in list(DOCS.glob("*.md")) + list((ROOT / "kwant_noneq").rglob("*.py")):
        assert "design.md" not in path.read_text(), path
