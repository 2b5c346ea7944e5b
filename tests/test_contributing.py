"""The complete example of docs/contributing.rst's "Adding a method" section runs as written."""
import re
from pathlib import Path

from sunpy_sr.methods import available_methods, registry

GUIDE = Path(__file__).parents[1] / "docs" / "contributing.rst"


def _section(text, title):
    """The body of the section titled ``title`` (up to the next heading of any level)."""
    lines = text.splitlines()
    heads = [i for i in range(len(lines) - 1)
             if lines[i].strip() and lines[i + 1].strip() and set(lines[i + 1].strip()) <= set("=-~^*#")
             and len(lines[i + 1].strip()) >= len(lines[i].strip())]
    start = [i for i in heads if lines[i].strip() == title]
    assert start, f"no section {title!r} in {GUIDE.name}"
    after = [i for i in heads if i > start[0]]
    return lines[start[0] + 2:after[0] if after else len(lines)]


def _first_python_block(lines):
    """The code of the first ``.. code-block:: python`` directive in ``lines``, dedented."""
    starts = [i for i, line in enumerate(lines) if re.match(r"\s*\.\. code-block:: python\s*$", line)]
    assert starts, "no python code block"
    indent = len(lines[starts[0]]) - len(lines[starts[0]].lstrip())
    body = []
    for line in lines[starts[0] + 1:]:
        if line.strip() and len(line) - len(line.lstrip()) <= indent:
            break
        body.append(line)
    code = list(body)
    while code and not code[0].strip():
        code.pop(0)
    margin = min(len(line) - len(line.lstrip()) for line in code if line.strip())
    return "\n".join(line[margin:] for line in code) + "\n"


def test_the_guides_method_example_registers_runs_and_unregisters(monkeypatch):
    code = _first_python_block(_section(GUIDE.read_text(), "Adding a method"))
    assert "register_method(" in code and "sample.hmi_active_region()" in code
    before = available_methods()
    assert "nearest" not in before

    # record what happens while the example runs: its unregister step runs the registry's listeners
    seen = {}

    def watch():
        if "nearest" in registry.METHODS:
            seen["registered"] = registry.METHODS["nearest"]
            seen["listed"] = "nearest" in available_methods()
    monkeypatch.setattr(registry, "_LISTENERS", [*registry._LISTENERS, watch])

    namespace = {"__name__": "contributing_example"}
    try:
        exec(compile(code, str(GUIDE), "exec"), namespace)
        left_registered = "nearest" in registry.METHODS  # after the example's own unregister step
    finally:
        registry.METHODS.pop("nearest", None)  # never leak the example into other tests
        for refresh in registry._LISTENERS:
            refresh()

    method = seen.get("registered")
    assert method is not None, "the example did not register 'nearest'"
    assert seen["listed"], "'nearest' was not in available_methods() while registered"
    assert (method.scale, method.is_network, method.error_model) == (4, False, None)
    sr, hmi = namespace["sr"], namespace["hmi"]
    assert hmi.data.shape == (256, 256)
    assert sr.data.shape == (1024, 1024)
    assert sr.meta["srmethod"] == "nearest"
    assert abs(sr.meta["cdelt1"] - hmi.meta["cdelt1"] / 4) < 1e-12
    assert not left_registered, "the example's unregister step left 'nearest' registered"
    assert available_methods() == before
