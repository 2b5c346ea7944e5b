"""
What the subcommands of ``sunpy-sr`` share: the parser class, the overwrite policy,
reading maps and writing them atomically (optionally tile-compressed).

Light to import (standard library only): numpy, astropy, sunpy and torch are
imported inside the functions that need them.
"""
import argparse
import importlib
import re
import warnings
from contextlib import contextmanager
from pathlib import Path

__all__ = ["CLIParser", "UsageError", "one_line", "add_overwrite_option", "add_compress_option",
           "check_output", "check_input", "read_map", "write_map", "magnetogram_advice",
           "torch_threads"]

#: RICE_1 on float data quantises each tile to this fraction of its noise (astropy's and
#: fpack's default): lossy, but far below the noise of HMI (about 0.04 G at most on the
#: bundled sample super-resolved with rcan, whose noise is several G).
QUANTIZE_LEVEL = 16
#: A fixed dither seed: the same map always gives the same bytes.
DITHER_SEED = 1
#: Library warnings about a header that astropy or sunpy fix or ignore while reading it (named by
#: module and class, so that naming them imports nothing): noise on the command line, where
#: `read_map` sums them up in one line per file.
HEADER_WARNINGS = ("astropy.io.fits.verify.VerifyWarning", "astropy.wcs.wcs.FITSFixedWarning",
                   "sunpy.util.exceptions.SunpyMetadataWarning")


class UsageError(Exception):
    """The command line is incomplete or contradictory (exit status 2)."""


def one_line(text):
    """``text`` on one line (sunpy's and astropy's messages can span several)."""
    return " ".join(str(text).split())


class CLIParser(argparse.ArgumentParser):
    """
    An `argparse.ArgumentParser` whose errors are one line and whose help can be
    completed just before it is shown (``help_hooks``: callables taking the parser),
    so that ``sunpy-sr --help`` never pays for what only one subcommand's help lists.

    A subcommand may define an option of the same name as a global one (``batch``'s
    ``--threads`` is per worker): its own definition then replaces the global one for
    that subcommand (``conflict_handler="resolve"``) instead of failing the whole parser.
    """

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("conflict_handler", "resolve")
        super().__init__(*args, **kwargs)
        self.help_hooks = []

    def format_help(self):
        for hook in self.help_hooks:
            hook(self)
        return super().format_help()

    def error(self, message):
        self.exit(2, f"sunpy-sr: error: {one_line(message)} (see '{self.prog} --help')\n")


def add_overwrite_option(parser, what="the output file"):
    parser.add_argument("--overwrite", action="store_true",
                        help=f"replace {what} if it exists (default: refuse)")


def add_compress_option(parser):
    parser.add_argument("--compress", action="store_true",
                        help="write a RICE tile-compressed FITS file (image in HDU 1, as JSOC's files; "
                             "read by sunpy.map.Map as usual): about 4x smaller; values are quantised "
                             f"to 1/{QUANTIZE_LEVEL} of each tile's noise (changes of a few hundredths "
                             "of a gauss), NaN kept")


def check_output(path, overwrite):
    """
    Refuse an existing ``path`` unless ``overwrite``, and a missing folder for it.

    Called before any work, so that a run that would be refused fails at once.
    """
    path = Path(path)
    if path.is_dir():
        raise IsADirectoryError(f"output {path} is a folder; give a file name")
    if path.exists() and not overwrite:
        raise FileExistsError(f"output {path} exists; pass --overwrite to replace it")
    if not path.parent.is_dir():
        raise FileNotFoundError(f"output folder {path.parent} does not exist")
    return path


def check_input(path):
    """A missing input file, reported before anything heavy is imported."""
    if not Path(path).exists():
        raise FileNotFoundError(f"no such file: {path}")


def read_map(path, *, assume_magnetogram=False, array_call="sunpy_sr.superresolve(array)"):
    """
    One map from a FITS file, or one clear error saying why the file is not one.

    A file astropy cannot read is "not a FITS file we can read"; a file sunpy cannot make a
    map of is, unless ``assume_magnetogram``, first checked for its product (a Hinode SP Stokes
    cube is "not a LOS magnetogram", as a continuum map is), then for a celestial WCS (without
    one, the message points to ``array_call`` in Python). The header warnings of astropy and
    sunpy (`HEADER_WARNINGS`) become one `~sunpy_sr.exceptions.SunpySRUserWarning` naming the
    file, and are ignored for the rest of the command (`main` restores the filters when it ends).

    A file written by `sunpy_sr.save` (a map with its ``UNCERT`` or ``MASK`` extension) is
    read with `sunpy_sr.load`: one map, the extensions attached to it.
    """
    import sunpy.map
    from sunpy.map.mapbase import MapMetaValidationError

    from sunpy_sr.core.validation import check_magnetogram
    from sunpy_sr.exceptions import SunpySRError, warn_user
    check_input(path)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        header = _image_header(path, caught)
        try:
            m = sunpy.map.Map(path)
        except MapMetaValidationError:
            if header is not None and not assume_magnetogram:
                check_magnetogram(header, name=Path(path).name)
            if header is not None and not _has_celestial_wcs(header):
                raise SunpySRError(f"{path} has no usable header (no celestial WCS), so it is not a map; "
                                   f"in Python, {array_call} takes its data as a plain 2D array") from None
            raise
        except (OSError, TypeError, ValueError) as e:  # the data (not the header) cannot be read
            raise SunpySRError(f"not a FITS file we can read: {path}: {_short_reason(e, caught)}") from None
        if not isinstance(m, list):
            _ = (m.unit, m.wcs)  # sunpy parses both lazily: their header warnings come here
    noise = []
    for w in caught:
        if _is_header_warning(w.category):
            text = one_line(str(w.message).splitlines()[0])
            if text not in noise:
                noise.append(text)
        else:
            warnings.warn_explicit(w.message, w.category, w.filename, w.lineno, source=w.source)
    if noise:
        more = f" (and {len(noise) - 1} more)" if len(noise) > 1 else ""
        warn_user(f"{path}: non-standard header, read anyway: {noise[0]}{more}")
    for name in HEADER_WARNINGS:  # lazily parsed keys warn again later: said once, above
        module, _, cls = name.rpartition(".")
        warnings.filterwarnings("ignore", category=getattr(importlib.import_module(module), cls))
    if isinstance(m, list):
        from astropy.io import fits
        with fits.open(path) as hdul:
            names = {h.name for h in hdul[1:]}
        if names & {"UNCERT", "MASK"}:
            from sunpy_sr.io import load
            return load(path)
        raise ValueError(f"{path} holds {len(m)} images; give one map")
    return m


def _is_header_warning(category):
    return any(f"{c.__module__}.{c.__qualname__}" in HEADER_WARNINGS for c in category.__mro__)


def _short_reason(error, caught):
    """The reason astropy or sunpy give, in one sentence, without their advice to Python callers."""
    truncated = [str(w.message) for w in caught if "truncated" in str(w.message)]
    text = truncated[0] if truncated else str(error)
    sentences = [s.strip().rstrip(".") for s in re.split(r"(?<=\.)\s+|\n", text) if s.strip()]
    plain = [s for s in sentences if "=True" not in s and not s.startswith("Failed to read")]
    return (plain or sentences or [type(error).__name__])[0]


def _image_header(path, caught):
    """The header of the first image in ``path`` (None if it has none); an unreadable file is an error."""
    from astropy.io import fits

    from sunpy_sr.exceptions import SunpySRError
    try:
        with fits.open(path) as hdul:
            for hdu in hdul:
                if hdu.is_image and hdu.header.get("NAXIS", 0) > 0:
                    return hdu.header.copy()
    except (OSError, TypeError, ValueError) as e:
        raise SunpySRError(f"not a FITS file we can read: {path}: {_short_reason(e, caught)}") from None
    return None


def _has_celestial_wcs(header):
    from astropy.wcs import WCS
    try:
        return WCS(header, fix=False).has_celestial
    except Exception:  # a header astropy cannot even parse as a WCS has none
        return False


def write_map(smap, out, *, overwrite=False, compress=False):
    """
    Write ``smap`` to ``out`` atomically: to a temporary file beside it, renamed when complete
    (`sunpy_sr.io.atomic_write`; the file gets the permissions of the umask). A map's
    uncertainty goes into an ``UNCERT`` extension (`sunpy_sr.io.save`).

    A failure never leaves a half-written file, and an existing ``out`` is kept
    until the new one is complete. Without ``overwrite`` an existing ``out`` is
    refused, also one that appeared while the map was computed (a hard link, which
    fails if the name exists, puts the file in place).
    """
    from sunpy_sr.exceptions import SunpySRError
    from sunpy_sr.io import atomic_write, save
    out = check_output(out, overwrite)
    try:
        if compress:
            with atomic_write(out, overwrite=overwrite, suffix=".partial.fits") as tmp:
                _write_compressed(smap, tmp)
        else:
            save(smap, out, overwrite=overwrite)  # with the UNCERT (and MASK) extension sunpy drops
    except (FileExistsError, SunpySRError):
        if overwrite or not out.exists():
            raise
        raise FileExistsError(f"output {out} exists; pass --overwrite to replace it") from None
    return out


def _write_compressed(smap, path):
    """RICE_1 tile compression in HDU 1 (an empty primary HDU), deterministic bytes; the
    uncertainty and mask follow uncompressed (``UNCERT``, ``MASK``: `sunpy_sr.io.save`'s)."""
    import numpy as np
    from astropy.io import fits

    from sunpy_sr.io.fits import extension_hdus
    extra = extension_hdus(smap)
    hdu = fits.CompImageHDU(data=np.asarray(smap.data), header=smap.fits_header, compression_type="RICE_1",
                            quantize_level=QUANTIZE_LEVEL, dither_seed=DITHER_SEED)
    fits.HDUList([fits.PrimaryHDU(), hdu, *extra]).writeto(path, overwrite=True, output_verify="fix")


@contextmanager
def magnetogram_advice():
    """A `~sunpy_sr.exceptions.NotMagnetogramError` raised in the block, with ``--assume-magnetogram``
    as its advice (the library names ``assume_magnetogram=True``)."""
    from sunpy_sr.exceptions import NotMagnetogramError, SunpySRError
    try:
        yield
    except NotMagnetogramError as e:
        raise SunpySRError(e.advice("--assume-magnetogram")) from None


@contextmanager
def torch_threads(threads):
    """Run a block with ``threads`` torch threads, then restore (None: unchanged, torch not imported)."""
    if threads is None:
        yield
        return
    from sunpy_sr.inference.state import torch_threads as limited
    with limited(threads):
        yield
