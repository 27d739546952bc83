"""The documentation is tested like code.

* Every docstring example (``>>>``) of every module of the package runs and
  prints what it says (``doctest``), and every public class has one.
* Every public name (``__all__`` of ``skopt_gd``, ``skopt_gd.optimizers`` and
  ``skopt_gd.schedules``) has an entry in the API reference, ``docs/api.rst``,
  and every entry there names a real object.
* Every ``python`` code block of the guide pages runs (the blocks of one page
  share a namespace, as a reader's session would), including their ``assert``s
  of the documented numerical mappings.
* Every figure the pages show exists, and each example script that makes one
  runs end to end and writes a PNG (slow; ``-m slow``).
* Every option of ``skopt-gd compare --help`` is documented in ``docs/cli.md``.
* The Sphinx build has no warnings (its packages are in the test extra, so CI builds it).
* The built pages load MathJax from the site itself, so formulas render offline.
"""

import doctest
import importlib
import inspect
import os
import pkgutil
import re
import runpy
import subprocess
import sys
import warnings
from html.parser import HTMLParser
from pathlib import Path

import pytest

import skopt_gd
import skopt_gd.optimizers
import skopt_gd.schedules

DOCS = Path(__file__).resolve().parents[1] / "docs"
API_PAGE = DOCS / "api.rst"

#: Pages whose ``python`` blocks the suite executes (the ones this project writes
#: as tutorials; benchmark pages run their own scripts).
GUIDE_PAGES = [
    "getting_started.md",
    "guide/objective.md",
    "guide/preconditioning.md",
    "guide/optimizers.md",
    "guide/schedules.md",
    "guide/penalties.md",
    "guide/training.md",
    "guide/callbacks.md",
]

#: Example script -> the figure it writes and the page committing it.
EXAMPLES = {
    "loss_curves.py": "loss_curves.png",
    "grid_search.py": "grid_search.png",
    "leave_one_out.py": "leave_one_out.png",
    "vs_linear_regression.py": "vs_linear_regression.png",
    "lr_free.py": "lr_free.png",
    "cv_path.py": "cv_path.png",
}

PUBLIC_MODULES = {
    "skopt_gd": skopt_gd,
    "skopt_gd.optimizers": skopt_gd.optimizers,
    "skopt_gd.schedules": skopt_gd.schedules,
}


# --------------------------------------------------------------------------- #
# Doctests
# --------------------------------------------------------------------------- #

def _package_modules():
    names = ["skopt_gd"]
    for info in pkgutil.walk_packages(skopt_gd.__path__, prefix="skopt_gd."):
        if not info.name.endswith("__main__"):  # running it would start the CLI
            names.append(info.name)
    return sorted(names)


def _import_or_skip(name):
    """Import a module; skip when an optional third-party dependency is missing."""
    try:
        return importlib.import_module(name)
    except ModuleNotFoundError as exc:
        if exc.name and not exc.name.startswith("skopt_gd"):
            pytest.skip(f"{name} needs the optional dependency {exc.name!r}")
        raise


def _needs(examples_source, module):
    return re.search(rf"\b(import|from)\s+{module}\b", examples_source) is not None


@pytest.mark.parametrize("module_name", _package_modules())
def test_docstring_examples_run(module_name, monkeypatch):
    monkeypatch.setenv("MPLBACKEND", "Agg")
    module = _import_or_skip(module_name)
    finder = doctest.DocTestFinder(exclude_empty=True)
    tests = [t for t in finder.find(module, module_name) if t.examples]
    source = "\n".join(ex.source for t in tests for ex in t.examples)
    for optional in ("matplotlib", "pandas", "dask"):
        if _needs(source, optional):
            pytest.importorskip(optional)
    runner = doctest.DocTestRunner(
        optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE)
    report = []
    for test in tests:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", FutureWarning)
            runner.run(test, out=report.append)
    result = runner.summarize(verbose=False)
    assert result.failed == 0, "".join(report)


def _public_classes():
    for mod_name, module in PUBLIC_MODULES.items():
        for name in module.__all__:
            obj = getattr(module, name)
            if inspect.isclass(obj):
                yield f"{mod_name}.{name}", obj


@pytest.mark.parametrize(
    "qualname, cls", list(_public_classes()), ids=[q for q, _ in _public_classes()])
def test_every_public_class_has_a_doctest_example(qualname, cls):
    if cls in (skopt_gd.optimizers.Optimizer, skopt_gd.schedules.Schedule):
        pytest.skip("abstract base: its subclasses carry the examples")
    doc = inspect.getdoc(cls) or ""
    assert ">>>" in doc, f"{qualname} has no runnable example in its docstring"


# --------------------------------------------------------------------------- #
# API reference
# --------------------------------------------------------------------------- #

_DIRECTIVE = re.compile(r"^\.\. auto(?:class|data|function|module)::\s+([\w.]+)\s*$",
                        re.MULTILINE)


def _documented():
    return set(_DIRECTIVE.findall(API_PAGE.read_text(encoding="utf-8")))


@pytest.mark.parametrize("module_name", sorted(PUBLIC_MODULES))
def test_every_public_name_is_in_the_api_reference(module_name):
    documented = _documented()
    missing = [name for name in PUBLIC_MODULES[module_name].__all__
               if f"{module_name}.{name}" not in documented]
    assert not missing, f"add to docs/api.rst: {[f'{module_name}.{n}' for n in missing]}"


def test_every_api_reference_entry_names_a_real_object():
    documented = _documented()
    assert len(documented) >= 20  # the page was parsed at all
    for dotted in documented:
        module_name, _, attr = dotted.rpartition(".")
        if dotted in sys.modules or attr == "":
            continue
        try:
            importlib.import_module(dotted)
            continue
        except ImportError:
            pass
        module = importlib.import_module(module_name)
        assert hasattr(module, attr), f"docs/api.rst documents {dotted}, which does not exist"


# --------------------------------------------------------------------------- #
# Code blocks and figures of the pages
# --------------------------------------------------------------------------- #

_PY_BLOCK = re.compile(r"^```python\n(.*?)^```", re.MULTILINE | re.DOTALL)


@pytest.mark.parametrize("page", GUIDE_PAGES)
def test_guide_code_blocks_run(page, monkeypatch, capsys):
    monkeypatch.setenv("MPLBACKEND", "Agg")
    text = (DOCS / page).read_text(encoding="utf-8")
    blocks = _PY_BLOCK.findall(text)
    if any(_needs(b, "matplotlib") or "LossCurveDisplay" in b for b in blocks):
        pytest.importorskip("matplotlib")
    namespace = {"__name__": f"docs_page_{Path(page).stem}"}
    for k, block in enumerate(blocks):
        code = compile(block, f"{page} [python block {k + 1}]", "exec")
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # e.g. ConvergenceWarning of short demos
            exec(code, namespace)
    assert blocks, f"{page} has no python example"


_IMAGE = re.compile(r"!\[[^\]]*\]\(([^)\s]+\.png)\)")


def test_every_figure_shown_exists():
    shown = []
    for page in DOCS.rglob("*.md"):
        if "_build" in page.parts:
            continue
        for target in _IMAGE.findall(page.read_text(encoding="utf-8")):
            path = (page.parent / target).resolve()
            shown.append(path)
            assert path.is_file(), f"{page.relative_to(DOCS)} shows missing {target}"
    figures = DOCS / "examples" / "figures"
    for figure in EXAMPLES.values():
        assert (figures / figure).resolve() in shown, f"no page shows figures/{figure}"


@pytest.mark.parametrize("script", sorted(EXAMPLES))
def test_every_example_script_is_on_its_page(script):
    page = DOCS / "examples" / script.replace(".py", ".md")
    text = page.read_text(encoding="utf-8")
    assert f"```{{literalinclude}} {script}" in text
    assert page.stem in (DOCS / "examples" / "index.md").read_text(encoding="utf-8")


@pytest.mark.slow
@pytest.mark.parametrize("script", sorted(EXAMPLES))
def test_example_script_writes_its_figure(script, tmp_path, monkeypatch, capsys):
    pytest.importorskip("matplotlib")
    monkeypatch.setenv("MPLBACKEND", "Agg")
    namespace = runpy.run_path(str(DOCS / "examples" / script), run_name="docs_example")
    out = tmp_path / EXAMPLES[script]
    namespace["main"](out)
    assert out.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert out.stat().st_size > 10_000  # a drawn figure, not an empty canvas
    assert capsys.readouterr().out.strip()  # it reports its numbers too


# --------------------------------------------------------------------------- #
# Command line page
# --------------------------------------------------------------------------- #

def test_every_compare_option_is_documented():
    cli_page = DOCS / "cli.md"
    result = subprocess.run([sys.executable, "-m", "skopt_gd", "compare", "--help"],
                            capture_output=True, text=True, timeout=120,
                            env={**os.environ, "MPLBACKEND": "Agg"})
    assert result.returncode == 0, result.stderr
    usage = result.stdout.split("\n\n")[0]
    options = set(re.findall(r"\[(--[a-z][a-z-]*)", usage)) - {"--help"}
    assert len(options) >= 8, usage  # --data, --target, --cv, --format, ...
    text = cli_page.read_text(encoding="utf-8")
    missing = sorted(opt for opt in options if f"`{opt}" not in text)
    assert not missing, f"document in docs/cli.md: {missing}"


# --------------------------------------------------------------------------- #
# The site itself
# --------------------------------------------------------------------------- #

#: The extensions docs/conf.py loads that are not part of Sphinx (all in the docs extra).
#: ``sphinx-mathjax-offline`` is named as installed: its module name has hyphens.
SPHINX_PACKAGES = ("sphinx", "numpydoc", "myst_parser", "furo", "sphinx-mathjax-offline")


@pytest.fixture(scope="module")
def built_site(tmp_path_factory):
    """The site built once (warnings as errors) for the tests of this section."""
    for module in SPHINX_PACKAGES:
        pytest.importorskip(module)
    out = tmp_path_factory.mktemp("site")
    result = subprocess.run(
        [sys.executable, "-m", "sphinx", "-W", "--keep-going", "-q", "-b", "html",
         "-d", str(out / "doctrees"), str(DOCS), str(out / "html")],
        capture_output=True, text=True, timeout=300,
        env={**os.environ, "MPLBACKEND": "Agg"})
    return result, out / "html"


def test_sphinx_build_has_no_warnings(built_site):
    """Issue 4: the site builds in CI with warnings as errors (docs deps are in the test extra)."""
    result, html = built_site
    assert result.returncode == 0, result.stdout + result.stderr
    assert (html / "api.html").is_file()


class _Scripts(HTMLParser):
    def __init__(self):
        super().__init__()
        self.sources = []

    def handle_starttag(self, tag, attrs):
        src = dict(attrs).get("src")
        if tag == "script" and src:
            self.sources.append(src)


def test_math_renders_offline_with_the_bundled_mathjax(built_site):
    """Issue 13: opened with no network, a page loading MathJax from a CDN shows raw LaTeX.

    A page with formulas loads MathJax from the site's own ``_static/`` (copied
    there by ``sphinx-mathjax-offline``), the file is there, and no script of the
    page comes from another host.
    """
    result, html = built_site
    assert result.returncode == 0, result.stdout + result.stderr
    page = html / "guide" / "objective.html"
    text = page.read_text(encoding="utf-8")
    assert 'class="math' in text  # the page has formulas, so it loads MathJax
    parser = _Scripts()
    parser.feed(text)
    remote = [src for src in parser.sources if re.match(r"^(https?:)?//", src)]
    assert not remote, f"scripts from the network: {remote}"
    assert "cdn.jsdelivr.net" not in text and "mathjax@" not in text
    mathjax = [src for src in parser.sources if "mathjax" in src.lower()]
    assert len(mathjax) == 1, parser.sources
    local = (page.parent / mathjax[0].split("?")[0]).resolve()
    assert local.is_relative_to((html / "_static").resolve()), mathjax[0]
    assert local.is_file() and local.stat().st_size > 100_000, local  # the real library
