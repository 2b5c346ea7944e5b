"""Every public function of the documented API has a numpydoc docstring with an Examples section
that runs as a doctest (pytest-doctestplus collects the examples themselves from the modules)."""
import importlib
import inspect

import pytest

#: the modules of docs/api.rst (its automodapi directives)
API_MODULES = ["sunpy_sr", "sunpy_sr.core", "sunpy_sr.core.pairs", "sunpy_sr.metrics", "sunpy_sr.evaluation",
               "sunpy_sr.compare", "sunpy_sr.methods", "sunpy_sr.models", "sunpy_sr.weights",
               "sunpy_sr.training", "sunpy_sr.visualization", "sunpy_sr.batch", "sunpy_sr.io",
               "sunpy_sr.progress",
               "sunpy_sr.core.range_guard", "sunpy_sr.models.error", "sunpy_sr.inference.errors",
               "sunpy_sr.training.error_fit", "sunpy_sr.data.sample"]


def _public_functions():
    seen = {}
    for name in API_MODULES:
        module = importlib.import_module(name)
        for attr in module.__all__:
            obj = getattr(module, attr)
            if inspect.isfunction(obj):
                seen.setdefault((obj.__module__, obj.__qualname__), (f"{name}.{attr}", obj))
    return sorted(seen.values(), key=lambda item: item[0])


PUBLIC = _public_functions()


def test_the_api_modules_are_those_of_the_reference_docs():
    from pathlib import Path
    api = (Path(__file__).parents[1] / "docs" / "api.rst").read_text()
    listed = [line.split("::")[1].strip() for line in api.splitlines() if line.startswith(".. automodapi::")]
    assert listed == API_MODULES
    assert len(PUBLIC) > 60


@pytest.mark.parametrize("name,func", PUBLIC, ids=[name for name, _ in PUBLIC])
def test_public_function_has_a_doctested_example(name, func):
    doc = inspect.getdoc(func) or ""
    assert doc.strip().splitlines() and doc.strip().splitlines()[0].strip(), f"{name} has no summary line"
    lines = doc.splitlines()
    heads = [i for i, line in enumerate(lines[:-1]) if line.strip() == "Examples"
             and set(lines[i + 1].strip()) == {"-"}]
    assert heads, f"{name} has no numpydoc Examples section"
    section = []
    for line in lines[heads[0] + 2:]:
        if section and line.strip() and set(line.strip()) == {"-"}:  # the next section's underline
            section.pop()
            break
        section.append(line)
    code = [line for line in section if line.lstrip().startswith(">>>")]
    assert code, f"{name}'s Examples section has no code"
    assert not any("+SKIP" in line for line in section), f"{name} skips its example"
    # an example shows a result: some line of the section is output, not code or prose before the code
    after = section[section.index(code[0]):]
    assert any(line.strip() and not line.lstrip().startswith((">>>", "...")) for line in after), \
        f"{name}'s example shows no output to check"


def test_the_method_paragraph_of_superresolve_describes_every_registered_method():
    import re

    import sunpy_sr
    from sunpy_sr.methods import available_methods
    doc = inspect.getdoc(sunpy_sr.superresolve)
    paragraph = doc.split("\nmethod : ")[1].split("\ntile_size : ")[0]
    described = re.findall(r'^\s*- ``"([a-z0-9-]+)"``', paragraph, flags=re.M)
    assert set(described) == set(available_methods())
    assert len(described) == len(set(described))
    where = re.search(r"``from (sunpy_sr[a-z_.]*) import prepare_method``", paragraph)
    assert where, "the paragraph names where prepare_method is imported from"
    assert importlib.import_module(where.group(1)).prepare_method is sunpy_sr.api.prepare_method
