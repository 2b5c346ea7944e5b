"""
Sphinx configuration for the sunpy_sr documentation.

Build from the top of the repository (as CI does)::

    python -m sphinx -W --keep-going -b html docs docs/_build/html

No environment variable is needed, with or without network access:

* The example gallery (``examples/``) is executed during the build. Examples
  that read the observations in ``../shared/data`` beside the repository (the
  folder ``SUNPY_SR_DATA`` points to, if set) are rendered without being run
  when that folder is absent, and the build log says so. ``-D plot_gallery=0``
  renders the whole gallery without running it.
* Links to the documentation of Python, numpy, astropy, sunpy, ndcube,
  matplotlib and PyTorch (intersphinx): when the build starts, each inventory
  is downloaded with a short timeout into the build folder. An inventory that
  cannot be reached is replaced by the copy saved by an earlier build if there
  is one, and otherwise left out with a note in the log; references to its
  names are then plain text. ``nitpicky`` is off, so an unresolved external
  name is not a warning and an offline build passes with ``-W``.
"""
import datetime
import importlib.util
import os
import re
import threading
import time
import urllib.request
from pathlib import Path

from sphinx.util import logging

from sunpy_sr import __version__

logger = logging.getLogger(__name__)

DOCS_DIR = Path(__file__).resolve().parent
REPO_DIR = DOCS_DIR.parent
GENERATED_DIR = DOCS_DIR / "generated"
GENERATED_DIR.mkdir(exist_ok=True)

# -- Project information -----------------------------------------------------
project = "sunpy_sr"
author = "The sunpy_sr developers"
copyright = f"{datetime.date.today().year}, {author}"
release = __version__
# "0.1.0" -> "0.1"; a development version "0.2.dev3+g..." -> "0.2"
version = ".".join(__version__.split(".")[:2])

# -- General configuration ---------------------------------------------------
extensions = [
    "sphinx.ext.autodoc",
    "sphinx.ext.intersphinx",
    "sphinx.ext.mathjax",
    "sphinx.ext.viewcode",
    "numpydoc",
    "sphinx_automodapi.automodapi",
    "sphinx_automodapi.smart_resolver",
    "sphinx_changelog",
    "sphinx_gallery.gen_gallery",
]

source_suffix = {".rst": "restructuredtext"}
root_doc = "index"
exclude_patterns = ["_build", "Thumbs.db", ".DS_Store", "**.ipynb_checkpoints",
                    # pieces included by other pages, not pages themselves:
                    "generated/includes"]
# Single backticks link to any Python object, as in sunpy and astropy.
default_role = "obj"
# References to names of other packages resolve when their inventory could be
# loaded (see "Intersphinx" below) and are plain text otherwise, without a warning.
nitpicky = False

# numpydoc: automodapi writes the member tables itself.
numpydoc_show_class_members = False
numpydoc_xref_param_type = False

# automodapi: stub pages go under generated/api (ignored by git and by pytest).
automodapi_toctreedirnm = "generated/api"
automodapi_writereprocessed = False
# Inheritance diagrams need Graphviz's ``dot``, which is not a dependency.
automodapi_inheritance_diagram = False
automodsumm_inherited_members = False
autodoc_typehints = "none"

# -- Intersphinx -------------------------------------------------------------
intersphinx_mapping = {
    "python": ("https://docs.python.org/3/", None),
    "numpy": ("https://numpy.org/doc/stable/", None),
    "matplotlib": ("https://matplotlib.org/stable/", None),
    "astropy": ("https://docs.astropy.org/en/stable/", None),
    "sunpy": ("https://docs.sunpy.org/en/stable/", None),
    "ndcube": ("https://docs.sunpy.org/projects/ndcube/en/stable/", None),
    "torch": ("https://docs.pytorch.org/docs/stable/", None),
}
# Seconds allowed to connect to (and to wait for each read from) an inventory's
# server when the build starts.
INVENTORY_TIMEOUT = 2.0
# Folder of the inventories saved by the last build that could reach them.
INVENTORY_DIR = DOCS_DIR / "_build" / "intersphinx"


def _download_inventory(name, url):
    """Download ``url`` into INVENTORY_DIR; return the local path (None if unreachable)."""
    target = INVENTORY_DIR / f"{name}-objects.inv"
    try:
        request = urllib.request.Request(url, headers={"User-Agent": "sunpy_sr-docs (intersphinx)"})
        with urllib.request.urlopen(request, timeout=INVENTORY_TIMEOUT) as response:
            data = response.read()
    except Exception as exc:  # no network, DNS failure, timeout, HTTP error
        return None, f"{type(exc).__name__}: {exc}"
    if not data.startswith(b"# Sphinx inventory version"):
        return None, "the answer is not a Sphinx inventory"
    INVENTORY_DIR.mkdir(parents=True, exist_ok=True)
    partial = target.with_suffix(".part")
    partial.write_bytes(data)
    partial.replace(target)
    return target, None


def _local_inventories(app, config):
    """
    Point every intersphinx entry at a local inventory file, or leave it out.

    Runs at ``config-inited``, before the intersphinx extension reads the
    mapping. All downloads run at once, so an offline build loses at most
    INVENTORY_TIMEOUT + 1 seconds. A mapping entry whose inventory location is
    already a local file is kept as it is.
    """
    mapping = config.intersphinx_mapping
    remote, kept = {}, {}
    for name, (target_uri, inventory) in mapping.items():
        location = inventory or target_uri.rstrip("/") + "/objects.inv"
        if "://" in location:
            remote[name] = (target_uri, location)
        elif Path(location).is_file():
            kept[name] = (target_uri, location)
        else:
            logger.info(f"intersphinx: {name}: no inventory at {location}; links to it are left out")
    # Daemon threads with one deadline for all: a name lookup that hangs (it has no
    # timeout of its own) cannot hold the build up.
    results = {}

    def fetch(name, location):
        results[name] = _download_inventory(name, location)

    t0 = time.perf_counter()
    threads = [threading.Thread(target=fetch, args=(name, location), daemon=True)
               for name, (_, location) in remote.items()]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(max(0.0, t0 + INVENTORY_TIMEOUT + 1.0 - time.perf_counter()))
    missing = []
    for name in remote:
        path, error = results.get(name, (None, f"no answer within {INVENTORY_TIMEOUT + 1.0:.0f} s"))
        saved = INVENTORY_DIR / f"{name}-objects.inv"
        if path is not None:
            kept[name] = (remote[name][0], str(path))
        elif saved.is_file():
            day = datetime.date.fromtimestamp(saved.stat().st_mtime).isoformat()
            logger.info(f"intersphinx: {name}: {remote[name][1]} unreachable ({error}); "
                        f"using the copy saved on {day}")
            kept[name] = (remote[name][0], str(saved))
        else:
            missing.append(name)
            logger.info(f"intersphinx: {name}: {remote[name][1]} unreachable ({error})")
    if missing:
        logger.info(f"intersphinx: left out {', '.join(missing)} (no network and no saved copy, "
                    f"{time.perf_counter() - t0:.1f} s): names of these packages are not linked")
    config.intersphinx_mapping = kept


# -- Sphinx-gallery ------------------------------------------------------------
EXAMPLES_DIR = REPO_DIR / "examples"
DATA_DIR = Path(os.environ.get("SUNPY_SR_DATA", REPO_DIR.parent / "shared" / "data"))
# An example that reads ../shared/data names it (or SUNPY_SR_DATA) in its source.
_NEEDS_DATA = re.compile(r"SUNPY_SR_DATA|[\"']shared[\"']")


def _examples_to_run():
    """A ``filename_pattern`` for the examples that can run here, and those that cannot."""
    skipped = []
    if not DATA_DIR.is_dir():
        skipped = sorted(p.stem for p in EXAMPLES_DIR.glob("plot_*.py")
                         if _NEEDS_DATA.search(p.read_text(encoding="utf-8")))
    if not skipped:
        return r"[\\/]plot_", skipped
    return r"[\\/](?!(?:" + "|".join(map(re.escape, skipped)) + r")\.py$)plot_", skipped


_filename_pattern, _skipped_examples = _examples_to_run()
if _skipped_examples:
    print(f"sunpy_sr docs: {DATA_DIR} is absent: the examples {', '.join(_skipped_examples)} "
          "are rendered without being run")

sphinx_gallery_conf = {
    "examples_dirs": os.path.relpath(EXAMPLES_DIR, DOCS_DIR),
    "gallery_dirs": "generated/gallery",
    "backreferences_dir": "generated/modules",
    "doc_module": ("sunpy_sr",),
    "filename_pattern": _filename_pattern,
    # A failing example fails the build, which lists the failures at its end.
    "abort_on_example_error": False,
    "only_warn_on_example_error": False,
    "remove_config_comments": True,
    "matplotlib_animations": False,
    "download_all_examples": False,
}

# -- HTML output -----------------------------------------------------------------
# The SunPy look: sunpy-sphinx-theme (the ``docs`` extra), else the theme it is
# built on, as in the SunPy package template.
if importlib.util.find_spec("sunpy_sphinx_theme") is not None:
    html_theme = "sunpy"
    html_theme_options = {
        "footer_start": ["copyright"],
        # Not a page of sunpy.org: no sunpy.org page counter.
        "goatcounter_analytics_url": False,
    }
elif importlib.util.find_spec("pydata_sphinx_theme") is not None:
    html_theme = "pydata_sphinx_theme"
    html_theme_options = {"show_toc_level": 2, "footer_start": ["copyright"]}
else:
    html_theme = "alabaster"
    html_theme_options = {}
html_title = f"sunpy_sr {release}"
html_static_path = []
html_last_updated_fmt = "%Y-%m-%d"
ogp_site_url = ""

# -- Pieces included by the pages --------------------------------------------
INCLUDES_DIR = GENERATED_DIR / "includes"


def _write_if_changed(path, text):
    path.parent.mkdir(parents=True, exist_ok=True)
    if not path.is_file() or path.read_text(encoding="utf-8") != text:
        path.write_text(text, encoding="utf-8")


def _readme_install_section():
    """The install section of README.rst (the one place the install commands live)."""
    readme = (REPO_DIR / "README.rst").read_text(encoding="utf-8")
    # Section titles are underlined with "-" in README.rst below the package title.
    sections = re.split(r"\n(?=[^\n]+\n-{3,}\n)", readme)
    for section in sections:
        title = section.split("\n", 1)[0]
        if re.search(r"\binstall", title, re.IGNORECASE):
            body = section.split("\n", 2)[2] if section.count("\n") >= 2 else ""
            return title.strip(), body.strip()
    return None, None


def _write_includes():
    title, body = _readme_install_section()
    if body:
        text = (f".. The section \"{title}\" of README.rst, copied by conf.py at build time.\n\n"
                + body + "\n")
    else:
        text = ("The install commands are in ``README.rst`` at the top of the "
                "repository, in its install section.\n")
    _write_if_changed(INCLUDES_DIR / "readme_install.rst", text)

    cff = REPO_DIR / "CITATION.cff"
    if cff.is_file():
        text = (".. literalinclude:: /../CITATION.cff\n"
                "   :language: yaml\n")
    else:
        text = "(This version of the package has no ``CITATION.cff``.)\n"
    _write_if_changed(INCLUDES_DIR / "citation_cff.rst", text)

    released = REPO_DIR / "CHANGELOG.rst"
    text = (".. include:: /../CHANGELOG.rst\n" if released.is_file()
            else "There has been no release yet.\n")
    _write_if_changed(INCLUDES_DIR / "changelog_released.rst", text)


_write_includes()

# -- Optional modules in the API reference -----------------------------------
# A module listed here is documented when it exists; when it does not (yet), its
# section of api.rst (the heading just above its automodapi directive, and the
# directive) is left out. Any other module that fails to import fails the build.
OPTIONAL_MODULES = ("sunpy_sr.batch",)


def _drop_missing_modules(sourcestr):
    for modname in OPTIONAL_MODULES:
        try:
            found = importlib.util.find_spec(modname) is not None
        except ModuleNotFoundError:
            found = False
        if found:
            continue
        section = re.compile(r"^[^\n]+\n=+\n\n(?:[^\n.][^\n]*\n)*\n?"       # heading and text
                             r"\.\. automodapi::[ \t]+" + re.escape(modname) + r"[ \t]*\n"
                             r"(?:[ \t]+\S[^\n]*\n)*", re.MULTILINE)
        sourcestr = section.sub("", sourcestr)
    return sourcestr


def _patch_automodapi():
    # automodapi_replace is called both when the stub pages are generated
    # (builder-inited) and when a page is read (source-read): filter both.
    from sphinx_automodapi import automodapi

    original = automodapi.automodapi_replace
    if getattr(original, "_sunpy_sr_filtered", False):
        return

    def automodapi_replace(sourcestr, app, *args, **kwargs):
        return original(_drop_missing_modules(sourcestr), app, *args, **kwargs)

    automodapi_replace._sunpy_sr_filtered = True
    automodapi.automodapi_replace = automodapi_replace


# -- Optional pages ---------------------------------------------------------------
# A page listed here is written separately and may not exist yet in a given
# checkout. While it is absent, every line of the other pages that names it (its
# toctree entry, a sentence linking to it) is left out, so the build stays free of
# warnings; once it exists, it is linked from those lines.
OPTIONAL_PAGES = ("many_maps",)


def _missing_pages():
    return tuple(page for page in OPTIONAL_PAGES if not (DOCS_DIR / f"{page}.rst").is_file())


def _reread_if_pages_changed(app, env, added, changed, removed):
    # An incremental build re-reads every page when an optional page appears or goes.
    if getattr(env, "sunpy_sr_missing_pages", None) == _missing_pages():
        return []
    env.sunpy_sr_missing_pages = _missing_pages()
    return sorted(env.found_docs)


def _drop_missing_pages(app, docname, source):
    missing = _missing_pages()
    if not missing:
        return
    names = "|".join(map(re.escape, missing))
    pattern = re.compile(r"^.*(?<![\w-])(?:\.\./)?(?:" + names + r")(?![\w-]).*\n?", re.MULTILINE)
    text = pattern.sub("", source[0])
    if text != source[0]:
        logger.info(f"{docname}: left out the lines that link to {', '.join(missing)} (not written yet)")
        source[0] = text


# -- Changelog ------------------------------------------------------------------
def _changelog_directive():
    """sphinx-changelog's directive, rendering the draft as "<version> (unreleased)".

    The draft is rendered from the fragments in ``changelog/`` with the
    towncrier settings of pyproject.toml; two things are changed for the
    documentation: the entries of the draft are not dated yet, and the
    fragment numbers (a repository detail) are not shown.
    """
    from sphinx_changelog.directive import ChangeLog

    class DraftChangeLog(ChangeLog):
        def render_towncrier(self):
            lines = list(super().render_towncrier())
            if len(lines) >= 2 and set(lines[1]) <= set("=-~^*+#"):
                lines[0] = f"{release} (unreleased)"
                lines[1] = lines[1][0] * len(lines[0])
            return [re.sub(r" \(#\d+(?:, #\d+)*\)$", "", line) for line in lines]

    return DraftChangeLog


def setup(app):
    _patch_automodapi()
    app.add_directive("changelog", _changelog_directive(), override=True)
    app.connect("source-read", _drop_missing_pages)
    app.connect("env-get-outdated", _reread_if_pages_changed)
    # Before the intersphinx extension normalises the mapping (priority 800).
    app.connect("config-inited", _local_inventories, priority=100)
