"""Sphinx configuration for the skopt_gd documentation.

Build (warnings are errors, no network needed)::

    pip install -e ".[docs]"
    python -m sphinx -W --keep-going -b html docs docs/_build/html
"""

import os
import sys

sys.path.insert(0, os.path.abspath(".."))  # the package, when not installed

import skopt_gd  # noqa: E402

project = "skopt_gd"
author = "skopt_gd developers"
copyright = "skopt_gd developers, BSD-3-Clause"
version = release = skopt_gd.__version__

extensions = [
    "sphinx.ext.autodoc",
    "sphinx.ext.mathjax",
    # MathJax ships with the site (_static/mathjax/), so the formulas render
    # offline too; without it every page loads MathJax from a CDN (issue 13).
    # The extension's module name has hyphens, so it is named as installed.
    "sphinx-mathjax-offline",
    "numpydoc",
    "myst_parser",
]

source_suffix = {".rst": "restructuredtext", ".md": "markdown"}
root_doc = "index"
exclude_patterns = ["_build", "README.md", "**/.ipynb_checkpoints"]

# MyST: $...$ / $$...$$ math, ::: fences, heading anchors for [text](#anchor) links.
myst_enable_extensions = ["dollarmath", "amsmath", "colon_fence", "deflist"]
myst_heading_anchors = 3

# autodoc + numpydoc: members are listed explicitly in api.rst, so numpydoc does
# not generate its own member tables (they would need autosummary stubs).
autodoc_member_order = "alphabetical"
autodoc_typehints = "none"
numpydoc_show_class_members = False
numpydoc_attributes_as_param_list = True
numpydoc_validation_checks = set()

html_theme = "furo"
html_title = f"skopt_gd {release}"
html_static_path = ["_static"]
html_css_files = ["custom.css"]
