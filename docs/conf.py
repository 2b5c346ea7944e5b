"""
Sphinx configuration for the sunpy_sr documentation.

Build (from this folder)::

    python -m sphinx -b html . _build/html

Environment variables:

``SUNPY_SR_RUN_GALLERY=1``
    Execute the example gallery (``../examples``). Off by default: the examples
    read real HMI data from ``../shared/data`` and take minutes on a CPU.
``SUNPY_SR_DOCS_OFFLINE=1``
    Leave out the intersphinx inventories (no network access is attempted, and
    no "failed to reach any of the inventories" warnings are printed).
"""
import datetime
import importlib
import os
import re
from pathlib import Path

from sphinx.util import logging

from sunpy_sr import __version__

logger = logging.getLogger(__name__)

DOCS_DIR = Path(__file__).resolve().parent
RUN_GALLERY = os.environ.get("SUNPY_SR_RUN_GALLERY", "0") == "1"
OFFLINE = os.environ.get("SUNPY_SR_DOCS_OFFLINE", "0") == "1"

# -- Project information -----------------------------------------------------
project = "sunpy_sr"
author = "The sunpy_sr developers"
copyright = f"{datetime.date.today().year}, {author}"
release = __version__
# "0.1.0" -> "0.1"; a development version "0.2.dev3+g..." -> "0.2"
version = ".".join(__version__.split(".")[:2])
is_development = ".dev" in __version__

# -- General configuration ---------------------------------------------------
extensions = [
    "sphinx.ext.autodoc",
    "sphinx.ext.intersphinx",
    "sphinx.ext.mathjax",
    "sphinx.ext.todo",
    "sphinx.ext.viewcode",
    "numpydoc",
    "sphinx_automodapi.automodapi",
    "sphinx_automodapi.smart_resolver",
]

source_suffix = {".rst": "restructuredtext"}
root_doc = "index"
exclude_patterns = ["_build", "Thumbs.db", ".DS_Store", "**.ipynb_checkpoints"]
# Single backticks link to any Python object, as in sunpy and astropy.
default_role = "obj"
todo_include_todos = True

# numpydoc: automodapi writes the member tables itself.
numpydoc_show_class_members = False
numpydoc_xref_param_type = False

# automodapi: generated stubs go under generated/ (ignored by git and by
# pytest's --doctest-rst collection, see setup.cfg's norecursedirs).
automodapi_toctreedirnm = "generated/api"
automodapi_writereprocessed = False
# Inheritance diagrams need Graphviz's ``dot``, which is not a dependency.
automodapi_inheritance_diagram = False
automodsumm_inherited_members = False

autodoc_typehints = "none"

# -- Intersphinx -------------------------------------------------------------
# Inventories are fetched over the network at build time. Without network
# access each one gives a single "failed to reach any of the inventories"
# warning and the build goes on (external links are then plain text); the
# short timeout keeps an offline build fast. Set SUNPY_SR_DOCS_OFFLINE=1 to
# skip them altogether.
intersphinx_mapping = {
    "python": ("https://docs.python.org/3/", None),
    "numpy": ("https://numpy.org/doc/stable/", None),
    "astropy": ("https://docs.astropy.org/en/stable/", None),
    "sunpy": ("https://docs.sunpy.org/en/stable/", None),
    "torch": ("https://pytorch.org/docs/stable/", None),
}
if OFFLINE:
    intersphinx_mapping = {}
intersphinx_timeout = 5

# -- Sphinx-gallery ------------------------------------------------------------
EXAMPLES_DIR = DOCS_DIR.parent / "examples"
GALLERY_DIR = "generated/gallery"
_GALLERY_HEADERS = ("GALLERY_HEADER.rst", "GALLERY_HEADER.txt", "README.rst", "README.txt", "index.rst")
HAS_GALLERY = EXAMPLES_DIR.is_dir() and any((EXAMPLES_DIR / n).is_file() for n in _GALLERY_HEADERS)

if HAS_GALLERY:
    extensions.append("sphinx_gallery.gen_gallery")
    sphinx_gallery_conf = {
        "examples_dirs": os.path.relpath(EXAMPLES_DIR, DOCS_DIR),
        "gallery_dirs": GALLERY_DIR,
        "backreferences_dir": "generated/modules",
        "doc_module": ("sunpy_sr",),
        # Examples use real data in ../shared/data and are slow on a CPU: they
        # are rendered (code and text) but not executed unless asked for.
        "plot_gallery": "True" if RUN_GALLERY else "False",
        # Which files are executed when plot_gallery is on: "plot_*.py" when
        # SUNPY_SR_RUN_GALLERY=1, none otherwise ("(?!)" never matches).
        "filename_pattern": r"[\\/]plot_" if RUN_GALLERY else r"(?!)",
        "abort_on_example_error": False,
        "only_warn_on_example_error": True,
        "remove_config_comments": True,
        "matplotlib_animations": False,
    }
else:
    # No gallery header in ../examples yet (sphinx-gallery refuses to build a
    # gallery without one): write a placeholder page in its place so that the
    # toctree entry resolves. examples/README.rst turns the real gallery on.
    _stub = DOCS_DIR / GALLERY_DIR / "index.rst"
    _stub.parent.mkdir(parents=True, exist_ok=True)
    _text = ("Example gallery\n===============\n\n"
             "The examples live in ``examples/`` at the top of the repository. The\n"
             "gallery is built from them once ``examples/README.rst`` (the gallery\n"
             "header) exists.\n")
    if not _stub.is_file() or _stub.read_text() != _text:
        _stub.write_text(_text)

# -- HTML output -----------------------------------------------------------------
try:
    import pydata_sphinx_theme  # noqa: F401
    html_theme = "pydata_sphinx_theme"
    html_theme_options = {
        "navigation_with_keys": False,
        "show_toc_level": 2,
        "footer_start": ["copyright"],
        "footer_end": ["sphinx-version", "theme-version"],
    }
except ImportError:
    html_theme = "alabaster"
    html_theme_options = {}

html_title = f"sunpy_sr {release}"
html_static_path = []
html_last_updated_fmt = "%Y-%m-%d"

# -- Modules still being written ---------------------------------------------
# api.rst lists every public module. A module that does not import yet (being
# written) would make automodapi abort the whole build; instead its section is
# replaced by a note and one warning names it, so the rest of the docs build.
_AUTOMODAPI_RE = re.compile(r"^\.\. automodapi::[ \t]+(\S+)[ \t]*\n((?:[ \t]+\S.*\n)*)", re.MULTILINE)


def _importable(modname):
    try:
        importlib.import_module(modname)
    except Exception as exc:  # any failure to import, not only ImportError
        return f"{type(exc).__name__}: {exc}"
    return None


def _drop_unimportable(sourcestr, docname=None, warn=True):
    def repl(match):
        modname = match.group(1)
        error = _importable(modname)
        if error is None:
            return match.group(0)
        if warn:
            logger.warning("automodapi: %s does not import (%s); its API section is left out",
                           modname, error, location=docname)
        return (f".. note::\n\n   The reference of ``{modname}`` is missing from this build: "
                f"the module did not import.\n\n")
    return _AUTOMODAPI_RE.sub(repl, sourcestr)


def _patch_automodapi():
    # automodapi_replace is called both when the stub pages are generated
    # (builder-inited) and when a page is read (source-read): filter both.
    from sphinx_automodapi import automodapi

    original = automodapi.automodapi_replace
    if getattr(original, "_sunpy_sr_filtered", False):
        return

    def automodapi_replace(sourcestr, app, dotoctree=True, docname=None, warnings=True):
        return original(_drop_unimportable(sourcestr, docname, warn=warnings),
                        app, dotoctree, docname, warnings)

    automodapi_replace._sunpy_sr_filtered = True
    automodapi.automodapi_replace = automodapi_replace


def setup(app):
    _patch_automodapi()
