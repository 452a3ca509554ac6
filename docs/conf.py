"""Sphinx configuration: the API reference from the docstrings (numpydoc,
autosummary) and the pages of docs/ (Markdown, through myst-parser)."""
import os
import sys

sys.path.insert(0, os.path.abspath(".."))   # this checkout's kwant_noneq

import kwant_noneq  # noqa: E402

project = "kwant-noneq"
author = "kwant-noneq developers"
release = version = kwant_noneq.__version__

extensions = [
    "sphinx.ext.autodoc",
    "sphinx.ext.autosummary",
    "sphinx.ext.mathjax",
    "numpydoc",
    "myst_parser",
]
source_suffix = {".rst": "restructuredtext", ".md": "markdown"}
exclude_patterns = ["_build"]
root_doc = "index"

autosummary_generate = True
autosummary_imported_members = False
autodoc_default_options = {"members": True, "undoc-members": False}
numpydoc_show_class_members = False
numpydoc_class_members_toctree = False
numpydoc_xref_param_type = False
# Headings in the Markdown pages become link targets (`page.md#heading`).
myst_heading_anchors = 3

html_theme = "alabaster"
