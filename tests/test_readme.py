"""
The README's quickstart runs: every ``.. code-block:: python`` block and every ``sunpy-sr ...``
shell line, in a temporary folder.

File names are substituted by files placed in that folder, not by editing the snippets:
``hmi.fits`` ("any HMI LOS magnetogram file") is the sample shipped with the package
(`sunpy_sr.data.sample.hmi_active_region`), and the full-disk file name is a link to
that observation in ``../shared/data`` (the snippet is skipped, with the reason, where
it is absent). The only edits are where the README itself says a full disk takes
minutes with ``rcan``: there the same lines run with a fast method, and the test
checks that the README still says so (see ``FULL_DISK_SUBSTITUTIONS``).
"""
import re
import shlex
import textwrap
from pathlib import Path

import matplotlib.pyplot as plt
import pytest
from conftest import FULLDISK_2016

from sunpy_sr.cli import main
from sunpy_sr.data import sample

README = Path(__file__).resolve().parents[1] / "README.rst"
FULL_DISK_NAME = "hmi.m_720s.20160707_010000_TAI.magnetogram.fits"

#: (README text, what the test runs instead, what the README must say about it): only where the
#: README says a full disk takes over a minute with rcan (docs/performance.rst: 103.7 s on two cores,
#: bicubic 10.4 s in the same run). ``sunpy-sr evaluate`` on the full disk runs as written (rcan on
#: nine 512x512 crops: 39 s of CPU time, measured when rcan was rcan-small).
FULL_DISK_SUBSTITUTIONS = {
    "python": ('method="rcan"', 'method="bicubic"', "takes over a minute with ``rcan``"),
}


def _python_blocks(text):
    blocks = re.findall(r"^\.\. code-block:: python\n\n((?:[ ]{4}.*\n|\n)+)", text, flags=re.M)
    return [textwrap.dedent(b).strip() + "\n" for b in blocks]


def _shell_lines(text):
    return [line.strip() for line in text.splitlines() if line.startswith("    sunpy-sr ")]


TEXT = README.read_text()
PYTHON_BLOCKS = _python_blocks(TEXT)
SHELL_LINES = _shell_lines(TEXT)


def _param(snippet, index):
    marks = [pytest.mark.realdata] if FULL_DISK_NAME in snippet else []
    return pytest.param(index, id=str(index), marks=marks)


def test_readme_has_the_snippets_this_module_runs():
    assert len(PYTHON_BLOCKS) == 2
    assert "sr.peek(" in PYTHON_BLOCKS[0] and "vmin=-500" in PYTHON_BLOCKS[0]
    assert FULL_DISK_NAME in PYTHON_BLOCKS[1]
    commands = [shlex.split(line)[1] for line in SHELL_LINES]
    assert commands == ["superresolve", "superresolve", "degrade", "evaluate"]


@pytest.fixture
def workdir(tmp_path, monkeypatch):
    """A temporary working folder with ``hmi.fits`` (the shipped sample) and a link to the full disk."""
    monkeypatch.chdir(tmp_path)
    sample.hmi_active_region().save(tmp_path / "hmi.fits")
    if FULLDISK_2016.exists():
        (tmp_path / FULL_DISK_NAME).symlink_to(FULLDISK_2016)
    yield tmp_path
    plt.close("all")


def _need_full_disk(snippet):
    if FULL_DISK_NAME in snippet and not FULLDISK_2016.exists():
        pytest.skip(f"the README snippet reads the full disk {FULL_DISK_NAME}: real data not found at "
                    f"{FULLDISK_2016} (../shared/data beside the repository)")


def _full_disk_edit(snippet, kind):
    """The README's snippet with its full-disk method swapped (the README must still say why)."""
    old, new, reason = FULL_DISK_SUBSTITUTIONS[kind]
    assert reason in " ".join(TEXT.split()), f"README no longer says {reason!r}: drop the substitution?"
    assert old in snippet
    return snippet.replace(old, new)


@pytest.mark.parametrize("index", [_param(b, i) for i, b in enumerate(PYTHON_BLOCKS)])
def test_readme_python_block(index, workdir):
    block = PYTHON_BLOCKS[index]
    _need_full_disk(block)
    # a block goes on from the imports of the blocks before it, as in one session
    earlier = [line for b in PYTHON_BLOCKS[:index] for line in b.splitlines()
               if line.startswith(("import ", "from "))]
    if FULL_DISK_NAME in block:
        block = _full_disk_edit(block, "python")
    namespace = {}
    exec(compile("\n".join(earlier) + "\n" + block, f"README.rst python block {index}", "exec"), namespace)
    sr = namespace["sr"]
    if index == 0:
        assert sr.data.shape == (1024, 1024)
        assert sr.meta["srmethod"] == "rcan"
        norm = sr.plot_settings["norm"]
        assert (norm.vmin, norm.vmax) == (-500, 500)
        assert plt.get_fignums()  # peek drew the map
    else:
        from astropy.io import fits
        assert sr.data.shape == (16384, 16384)
        header = fits.getheader(workdir / "hmi_sr.fits")
        assert (header["NAXIS1"], header["NAXIS2"]) == (16384, 16384)


@pytest.mark.parametrize("index", [_param(line, i) for i, line in enumerate(SHELL_LINES)])
def test_readme_shell_line(index, workdir, capsys):
    line = SHELL_LINES[index]
    _need_full_disk(line)
    argv = shlex.split(line)
    assert argv[0] == "sunpy-sr"
    before = {p.name for p in workdir.iterdir()}
    status = main(argv[1:])
    out, err = capsys.readouterr()
    assert status == 0, err
    written = {p.name for p in workdir.iterdir()} - before
    expected = {"superresolve": {argv[-1] if "--sample" in argv else argv[3]},
                "degrade": {argv[3]}, "evaluate": {"evaluation"}}[argv[1]]
    assert written == expected
    if argv[1] == "evaluate":
        assert "9 crops of 512x512 px from 1 file(s)" in out  # "the nine 512x512 crops" of the README
        from astropy.table import QTable
        table = QTable.read(workdir / "evaluation" / "table.ecsv")
        assert list(table["method"]) == ["bicubic", "linear", "rcan"]
        assert sorted(table["psnr"].value) == list(table["psnr"].value)  # rcan > linear > bicubic
        for name in ("error_budget.ecsv", "figure2.png", "figure3.png"):
            assert (workdir / "evaluation" / name).exists()
    else:
        assert out.startswith(f"wrote {next(iter(expected))}: ")
