"""
Output files of a batch: names, atomic writes, and the check that an output is complete.

A file is written under a temporary name in the output folder (the same file system) and
renamed with `os.replace` only when it is complete (`sunpy_sr.io.atomic_write`; it gets the
permissions of the umask, as any new file), so a batch killed at any moment leaves either the
whole output or none under its name. Leftover temporary files of a killed run
carry the prefix `PARTIAL_PREFIX` and are removed by the next run (:func:`remove_partials`).
"""
from pathlib import Path

from sunpy_sr.exceptions import SunpySRError
from sunpy_sr.io.provenance import PROVENANCE_KEYS

__all__ = ["OUTPUT_SUFFIX", "PARTIAL_PREFIX", "output_path", "write_map_atomic",
           "remove_partials", "input_shape", "validate_output", "is_valid_output", "OutputError"]

#: Appended to the input's name (without its FITS extension) to name the output.
OUTPUT_SUFFIX = "_sr.fits"
#: Prefix of the temporary files a write goes through (hidden, in the output folder).
PARTIAL_PREFIX = ".sunpy-sr-partial-"

_FITS_EXTENSIONS = (".fits.gz", ".fits.fz", ".fits", ".fts.gz", ".fts", ".fit.gz", ".fit")


class OutputError(SunpySRError):
    """An output file that is missing, unreadable, incomplete or not what the batch would write."""


def output_path(path, output_dir):
    """
    The output of input ``path`` in ``output_dir``: its name without the FITS extension + ``_sr.fits``.

    Examples
    --------
    >>> output_path("data/hmi.m_720s.20160707_010000_TAI.magnetogram.fits", "out").as_posix()
    'out/hmi.m_720s.20160707_010000_TAI.magnetogram_sr.fits'
    """
    name = Path(path).name
    for ext in _FITS_EXTENSIONS:
        if name.lower().endswith(ext):
            name = name[:-len(ext)]
            break
    return Path(output_dir) / f"{name}{OUTPUT_SUFFIX}"


def write_map_atomic(smap, path):
    """
    Write a Map to FITS at ``path`` atomically: a temporary file beside it, then `os.replace`.

    The file is `sunpy_sr.io.save`'s: sunpy's primary HDU and, for a map with an uncertainty
    (``superresolve(..., uncertainty=True)``), its ``UNCERT`` extension (``MASK`` for a mask).

    Parameters
    ----------
    smap : `~sunpy.map.GenericMap`
    path : path-like
        The output; its folder must exist.

    Returns
    -------
    `pathlib.Path`
        ``path``, with permissions ``0o666 & ~umask``. On any error the temporary file is
        removed and ``path`` is unchanged.

    Examples
    --------
    >>> import tempfile
    >>> from pathlib import Path
    >>> import numpy as np
    >>> import sunpy.map
    >>> from sunpy_sr.batch import write_map_atomic
    >>> from sunpy_sr.data.sample import hmi_active_region
    >>> hmi = hmi_active_region()
    >>> with tempfile.TemporaryDirectory() as tmp:
    ...     path = write_map_atomic(hmi, Path(tmp) / "hmi_copy.fits")
    ...     names = sorted(p.name for p in Path(tmp).iterdir())  # no temporary file left beside it
    ...     copy = sunpy.map.Map(path)
    ...     same = copy.date == hmi.date and np.array_equal(copy.data, hmi.data, equal_nan=True)
    >>> names, copy.data.shape, same
    (['hmi_copy.fits'], (256, 256), True)
    """
    from sunpy_sr.io.fits import save
    path = Path(path)
    # on disk before the rename makes it visible (fsync); permissions 0o666 & ~umask; the map's
    # uncertainty and mask in the UNCERT and MASK extensions (sunpy's Map.save drops them)
    return save(smap, path, overwrite=True, prefix=f"{PARTIAL_PREFIX}{path.name}.", fsync=True)


def remove_partials(output_dir):
    """Remove the temporary files a killed run left in ``output_dir``; returns their paths."""
    removed = []
    for p in Path(output_dir).glob(f"{PARTIAL_PREFIX}*"):
        try:
            p.unlink()
            removed.append(p)
        except FileNotFoundError:  # another process got there first
            pass
    return removed


def _image_hdu(hdul):
    """Index and HDU of the first HDU holding an image (JSOC files: the compressed HDU 1)."""
    for i, hdu in enumerate(hdul):
        if hdu.is_image and hdu.header.get("NAXIS", 0) >= 2:
            return i, hdu
    raise OutputError("no image HDU")


def input_shape(path):
    """
    The ``(ny, nx)`` image shape of a FITS file, from its header alone (no data read).

    Raises
    ------
    OSError, OutputError
        If the file cannot be read as FITS or holds no image.
    """
    from astropy.io import fits
    with open(path, "rb") as f, fits.open(f, memmap=False, lazy_load_hdus=True) as hdul:
        _, hdu = _image_hdu(hdul)
        h = hdu.header
        return tuple(int(h[f"NAXIS{k}"]) for k in range(h["NAXIS"], 0, -1))


def validate_output(path, *, expected_shape=None, method=None, uncertainty=False):
    """
    Check that ``path`` is a complete output of `sunpy_sr.superresolve`.

    Parameters
    ----------
    path : path-like
        The output file.
    expected_shape : tuple of int, optional
        ``(ny, nx)`` it must have (4x the input's).
    method : str, optional
        The ``SRMETHOD`` it must carry.
    uncertainty : bool, optional
        It must hold the map's uncertainty: an ``UNCERT`` image extension of the image's
        shape (`sunpy_sr.io.save`). Default False (an ``UNCERT`` is then not looked at).

    Raises
    ------
    OutputError
        (a `ValueError`) naming the first problem: missing, not FITS, no image, the data
        cut short (fewer bytes than the header announces), another shape, a provenance
        keyword (``SRMETHOD``, ``SRFACTOR``, ``SRVERS``) missing, another method, or (with
        ``uncertainty``) no ``UNCERT`` extension of the image's shape.

    Examples
    --------
    >>> import os
    >>> import tempfile
    >>> from pathlib import Path
    >>> import sunpy_sr
    >>> from sunpy_sr.batch import validate_output, write_map_atomic
    >>> from sunpy_sr.batch.files import is_valid_output
    >>> from sunpy_sr.data.sample import hmi_active_region
    >>> sr = sunpy_sr.superresolve(hmi_active_region(), method="bicubic")  # 256x256 -> 1024x1024
    >>> tmp = tempfile.TemporaryDirectory()
    >>> path = write_map_atomic(sr, Path(tmp.name) / "hmi_active_region_sr.fits")
    >>> validate_output(path, expected_shape=(1024, 1024), method="bicubic").name
    'hmi_active_region_sr.fits'
    >>> validate_output(path, method="rcan")
    Traceback (most recent call last):
    ...
    sunpy_sr.batch.files.OutputError: hmi_active_region_sr.fits was made with 'bicubic', not 'rcan'
    >>> os.truncate(path, 100_000)  # cut short, as a killed copy would leave it
    >>> is_valid_output(path, expected_shape=(1024, 1024), method="bicubic")
    False
    >>> tmp.cleanup()
    """
    from astropy.io import fits
    path = Path(path)
    if not path.is_file():
        raise OutputError(f"{path} does not exist")
    size = path.stat().st_size
    try:  # the file object is ours to close, also when astropy gives up on a broken file
        with open(path, "rb") as f, fits.open(f, memmap=False, lazy_load_hdus=False) as hdul:
            i, hdu = _image_hdu(hdul)
            info = hdul.fileinfo(i)
            header = hdu.header
            unc = None
            if uncertainty and "UNCERT" in hdul:
                j = hdul.index_of("UNCERT")
                unc = (hdul[j].header, hdul.fileinfo(j))
    except OutputError:
        raise
    except Exception as e:  # astropy raises OSError, ValueError, ... for broken files
        raise OutputError(f"{path.name} is not a readable FITS file: {e}") from None
    if info["datLoc"] + info["datSpan"] > size:
        raise OutputError(f"{path.name} is truncated: {size} bytes, the header announces "
                          f"{info['datLoc'] + info['datSpan']}")
    shape = tuple(int(header[f"NAXIS{k}"]) for k in range(header["NAXIS"], 0, -1))
    if expected_shape is not None and shape != tuple(expected_shape):
        raise OutputError(f"{path.name} has shape {shape}, expected {tuple(expected_shape)}")
    missing = [k for k in PROVENANCE_KEYS if k not in header]
    if missing:
        raise OutputError(f"{path.name} lacks the provenance keywords {', '.join(missing)}")
    if method is not None and header["SRMETHOD"] != method:
        raise OutputError(f"{path.name} was made with {header['SRMETHOD']!r}, not {method!r}")
    if uncertainty:
        if unc is None:
            raise OutputError(f"{path.name} has no UNCERT extension (the uncertainty)")
        unc_header, unc_info = unc
        if unc_info["datLoc"] + unc_info["datSpan"] > size:
            raise OutputError(f"{path.name} is truncated: {size} bytes, its UNCERT extension ends at "
                              f"{unc_info['datLoc'] + unc_info['datSpan']}")
        unc_shape = tuple(int(unc_header[f"NAXIS{k}"]) for k in range(unc_header.get("NAXIS", 0), 0, -1))
        if unc_shape != shape:
            raise OutputError(f"{path.name}: its UNCERT extension has shape {unc_shape}, the image {shape}")
    return path


def is_valid_output(path, **kwargs):
    """True if :func:`validate_output` accepts ``path`` (same keywords)."""
    try:
        validate_output(path, **kwargs)
    except OutputError:
        return False
    return True
