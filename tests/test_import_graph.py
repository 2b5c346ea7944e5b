"""
The import graph of sunpy_sr, read from the source with `ast` (nothing is imported).

1. no import cycles between modules (module-level and function-level imports alike);
2. the subpackages depend on each other only as `ALLOWED` says: the rooms of the package,
   each importing only rooms below it;
3. no module imports a private name (or a private module) of another subpackage, or reads a
   private attribute that only another subpackage's classes define (``prepared._built``).

The torch-free core and "only the command line imports training" are checked, by running
them, in ``tests/test_house.py``.
"""
import ast
from pathlib import Path

import sunpy_sr

PACKAGE = Path(sunpy_sr.__file__).parent
REPO = PACKAGE.parent

#: What each room may import directly (besides ``sunpy_sr.exceptions``, ``sunpy_sr.version``
#: and ``sunpy_sr.progress``, which every room may use). The rooms table of the design notes,
#: corrected where the code showed it was wrong:
#:
#: * ``io`` is below ``core``, not above it: the atomic writer and the FITS files need nothing of
#:   core, and core's pairs are written with the one atomic writer;
#: * ``inference`` uses ``core`` (the degradation registry for the consistency projection);
#: * ``weights`` uses ``inference`` (the device a network is loaded onto);
#: * ``methods`` use ``inference`` (the runner, tiling, precision) and ``weights``, not ``core``;
#: * ``api`` uses ``inference`` (precision, tiling and torch threads of a prepared method), but
#:   not ``weights``: what it needs of a network's weights comes through its method;
#: * ``compare`` and ``evaluation`` use ``visualization`` (their figures) and ``core``;
#: * ``batch`` reads a method's scale from the public registry (`sunpy_sr.methods.get_method`)
#:   before it starts any worker, so it may import ``methods``;
#: * ``training`` writes the linear filter and networks through ``weights`` and never imports
#:   ``methods``.
ALLOWED = {
    "io": set(),
    "core": {"io"},
    "metrics": {"core"},
    "visualization": {"core", "metrics"},
    "models": set(),
    "inference": {"core", "models"},
    "weights": {"inference", "models"},
    "methods": {"inference", "weights"},
    "api": {"core", "io", "inference", "methods"},
    "compare": {"core", "metrics", "visualization", "api"},
    "evaluation": {"core", "metrics", "visualization", "api"},
    "batch": {"api", "io", "methods"},
    "training": {"core", "io", "metrics", "models", "weights", "inference"},
    "data": set(),
    "cli": {"sunpy_sr", "core", "io", "metrics", "visualization", "models", "inference", "weights", "methods",
            "api", "compare", "evaluation", "batch", "training", "data"},
    "sunpy_sr": {"api", "core", "io", "methods", "metrics", "visualization", "compare", "evaluation", "data"},
    "__main__": {"cli"},
}

#: Modules every room may import (standard library and astropy only).
SHARED = {"exceptions", "version", "progress"}

#: Known violations of `ALLOWED` left for a larger change: ``(importer, imported) -> why``.
ALLOWED_EXCEPTIONS = {}


def _package_modules():
    return sorted(p for p in PACKAGE.rglob("*.py") if "__pycache__" not in p.parts)


def _room(module):
    """``sunpy_sr.api.pipeline`` -> ``api``; a top-level module is its own room; the package: ``sunpy_sr``."""
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else "sunpy_sr"


def _imports(name, path, files):
    """``(target module, imported name or None, line)`` for every import of sunpy_sr in ``path``."""
    here = name.split(".") if path.name == "__init__.py" else name.split(".")[:-1]
    for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
        if isinstance(node, ast.Import):
            for a in node.names:
                yield a.name, None, node.lineno
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = here[:len(here) - node.level + 1]
                source = ".".join(base + ([node.module] if node.module else []))
            else:
                source = node.module
            for a in node.names:
                sub = f"{source}.{a.name}"
                yield (sub, None, node.lineno) if sub in files else (source, a.name, node.lineno)


def _module_name(path):
    """``sunpy_sr/metrics/image.py`` -> ``sunpy_sr.metrics.image``; a package is its ``__init__.py``."""
    parts = list(path.relative_to(REPO).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _import_graph():
    """
    ``{module: sorted modules of sunpy_sr it imports}``, from the source alone (`ast`).

    Every ``import`` and ``from ... import`` counts, at module level and inside functions (a lazy
    import closes a circle as surely as one at the top, only later); relative imports are resolved
    against the importing module (one level less for a package's ``__init__``, which is its own
    package). ``import a.b`` is an edge to ``a.b``; ``from a.b import c`` is an edge to ``a.b.c``
    where that is a module, else to ``a.b`` (the name is read from the package's namespace).
    """
    files = {_module_name(p): p for p in _package_modules()}
    return {name: sorted({t for t, _, _ in _imports(name, path, files) if t in files and t != name})
            for name, path in files.items()}


def _cycles(graph):
    """One cycle (``[a, b, ..., a]``) per strongly connected component of more than one module."""
    index, low, on_stack, stack, found = {}, {}, set(), [], []

    def connect(v):  # Tarjan
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in graph[v]:
            if w not in index:
                connect(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = set()
            while True:
                w = stack.pop()
                on_stack.discard(w)
                component.add(w)
                if w == v:
                    break
            if len(component) > 1:
                found.append(_cycle_in(graph, component))

    for v in sorted(graph):
        if v not in index:
            connect(v)
    return found


def _cycle_in(graph, component):
    """A shortest cycle through the first module of ``component`` (breadth-first, inside it)."""
    start = min(component)
    paths = {start: [start]}
    queue = [start]
    while queue:
        v = queue.pop(0)
        for w in graph[v]:
            if w == start:
                return paths[v] + [start]
            if w in component and w not in paths:
                paths[w] = paths[v] + [w]
                queue.append(w)
    raise AssertionError(f"no cycle through {start}")  # pragma: no cover


def test_import_graph_has_no_cycles():
    """
    No module of sunpy_sr imports, directly or through others, a module that imports it.

    Nodes are modules; a package is the node of its ``__init__.py``. An edge is an import
    written in the source (see `_import_graph`), not the parents Python imports on the way:
    ``import sunpy_sr.metrics.image`` runs ``sunpy_sr/metrics/__init__.py`` first, but
    counting that would make every package whose ``__init__`` imports its own submodules a
    circle (``__init__ -> child -> __init__``), which is the normal layout, not a fault.
    So an ``__init__ -> own child`` edge is fine by itself, and a circle through a package is
    reported only when a module names it: ``from sunpy_sr.metrics import rmse`` inside a
    module that ``sunpy_sr/metrics/__init__.py`` imports is reported, because that import
    reads a half-initialised package. Imports inside functions count like those at the top.
    """
    graph = _import_graph()
    assert len(graph) > 50 and "sunpy_sr.api.pipeline" in graph["sunpy_sr.api"]  # the graph is real
    cycles = _cycles(graph)
    assert not cycles, "import cycles between modules of sunpy_sr: " + "; ".join(
        " -> ".join(c) for c in cycles)


def test_subpackages_import_only_the_rooms_below_them():
    graph = _import_graph()
    rooms = {_room(m) for m in graph}
    missing = sorted(rooms - SHARED - set(ALLOWED))
    assert not missing, f"rooms missing from ALLOWED: {missing}"
    upward = []
    for module, targets in graph.items():
        here = _room(module)
        for target in targets:
            there = _room(target)
            if there == here or there in SHARED or there in ALLOWED[here]:
                continue
            if (here, there) not in ALLOWED_EXCEPTIONS:
                upward.append(f"{module} -> {target}")
    assert not upward, "imports not allowed by the order of the rooms: " + "; ".join(upward)


def test_the_order_of_the_rooms_has_no_circle():
    graph = {room: sorted(ALLOWED[room] - {room}) for room in ALLOWED}
    assert not _cycles(graph), _cycles(graph)


def _is_private(part):
    return part.startswith("_") and not part.startswith("__")


def test_no_private_names_across_subpackages():
    """``from sunpy_sr.metrics._common import _data`` outside ``metrics``: a private name across rooms."""
    files = {_module_name(p): p for p in _package_modules()}
    found = []
    for name, path in files.items():
        for target, imported, line in _imports(name, path, files):
            if not target.startswith("sunpy_sr") or _room(target) == _room(name):
                continue
            parts = target.split(".")[1:] + ([imported] if imported else [])
            if any(_is_private(p) for p in parts):
                found.append(f"{path.relative_to(REPO)}:{line}: {target}{'.' + imported if imported else ''}")
    assert not found, "private names imported across subpackages: " + "; ".join(found)


def test_the_checks_see_a_private_import(tmp_path):
    source = "from sunpy_sr.metrics._common import _arrays\n"
    path = tmp_path / "x.py"
    path.write_text(source)
    (target, imported, _), = _imports("sunpy_sr.api.x", path, {})
    assert (target, imported) == ("sunpy_sr.metrics._common", "_arrays") and _is_private("_common")


def _private_attributes(tree):
    """``(name, line)`` of every ``obj._name`` read or written in ``tree``, and the set set on ``self``."""
    defined, used = set(), []
    for node in ast.walk(tree):
        if isinstance(node, ast.Attribute) and _is_private(node.attr):
            owner = node.value.id if isinstance(node.value, ast.Name) else None
            if owner in ("self", "cls"):
                defined.add(node.attr)
            else:
                used.append((node.attr, node.lineno))
        elif isinstance(node, (ast.FunctionDef, ast.ClassDef)) and _is_private(node.name):
            defined.add(node.name)
    return defined, used


def test_no_private_attributes_of_another_subpackage():
    """
    A private attribute that sunpy_sr's own classes define in one room is not read in another.

    Private attributes of sunpy, astropy and ndcube objects are not defined in sunpy_sr and
    so not seen here; where the code reads one it says why in a comment (no public API).
    """
    trees = {_module_name(p): ast.parse(p.read_text(), filename=str(p)) for p in _package_modules()}
    defined_in = {}
    for name, tree in trees.items():
        for attr in _private_attributes(tree)[0]:
            defined_in.setdefault(attr, set()).add(_room(name))
    found = []
    for name, tree in trees.items():
        own, used = _private_attributes(tree)
        here = _room(name)
        for attr, line in used:
            rooms = defined_in.get(attr, set())
            if rooms and here not in rooms and attr not in own:
                found.append(f"{name}:{line}: .{attr} (defined in {', '.join(sorted(rooms))})")
    assert not found, "private attributes read across subpackages: " + "; ".join(found)
