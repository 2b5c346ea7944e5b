"""Cut the package's sample and test data from the real full-disk HMI maps (the output is committed).

When to run: only to re-cut ``sunpy_sr/data/sample`` or ``sunpy_sr/data/test`` (a changed or added
cutout); the tests and examples read the committed files. Usage (repository root)::

    python tools/make_sample_data.py ../shared/data/hmi/fulldisk [sample|test|all]

``sample`` writes ``sunpy_sr/data/sample`` (two 256x256 cutouts of the 2016-07-07 disk, the
validation disk), ``test`` writes ``sunpy_sr/data/test`` (one active-region cutout of the
2011-12-17 disk, for the tests and examples of `sunpy_sr.compare`); ``all`` (the default) both.
The data rules of ``../shared/data/README.md`` allow the package to ship small cutouts of these
two files only; the provenance (JSOC series, T_REC, cut box) is kept in every header
(``T_REC``, ``ORIGFILE``, ``ORIGSER``, ``ORIGPIX``) and in the README
beside the files.
"""
import gzip
import sys
import warnings
from pathlib import Path

import astropy.units as u
import numpy as np
import sunpy.map

DATA = Path(__file__).parents[1] / "sunpy_sr" / "data"
#: set name -> (source file, output folder, {name: (row0, col0, ny, nx)}), level-1 pixel
#: indices (0-based) of the full-disk map.
SETS = {
    "sample": ("hmi.m_720s.20160707_010000_TAI.magnetogram.fits", DATA / "sample",
               {"hmi_active_region": (2520, 1048, 256, 256), "hmi_limb": (1920, 40, 256, 256)}),
    # An active region centred at (-207", +225"): a negative spot (-1.6 kG), pores and positive plage.
    # The 2011 disk is the networks' training disk: this cutout tests the comparison machinery,
    # it does not validate the networks.
    "test": ("hmi.m_720s.20111217_060000_TAI.magnetogram.fits", DATA / "test",
             {"hmi_ar_20111217": (1488, 2272, 224, 352)}),
}


def cut(full, source, row0, col0, ny, nx):
    """The cutout [row0:row0+ny, col0:col0+nx] as a float32 map with its provenance in the header."""
    sub = full.submap([col0, row0] * u.pix, top_right=[col0 + nx - 1, row0 + ny - 1] * u.pix)
    assert sub.data.shape == (ny, nx), sub.data.shape
    meta = sub.meta.copy()
    meta["origfile"] = source
    meta["origser"] = "hmi.M_720s"
    meta["origpix"] = f"rows {row0}:{row0 + ny}, cols {col0}:{col0 + nx} (0-based, level 1)"
    for key in ("blank", "bzero", "bscale", "checksum", "datasum"):
        meta.pop(key, None)
    return sunpy.map.Map(sub.data.astype(np.float32), meta)


def write(smap, path):
    """Write ``smap`` to ``path`` (``.fits.gz``), byte-reproducibly (gzip without a time stamp)."""
    plain = path.with_suffix("")  # x.fits.gz -> x.fits
    smap.save(plain, overwrite=True, filetype="fits")
    path.write_bytes(gzip.compress(plain.read_bytes(), mtime=0))
    plain.unlink()


def main(folder, which="all"):
    names = list(SETS) if which == "all" else [which]
    for name in names:
        source, out, cutouts = SETS[name]
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            full = sunpy.map.Map(Path(folder) / source)
        out.mkdir(exist_ok=True)
        for cut_name, box in cutouts.items():
            smap = cut(full, source, *box)
            path = out / f"{cut_name}.fits.gz"
            write(smap, path)
            print(f"{path}: {smap.data.shape}, NaN fraction {np.isnan(smap.data).mean():.3f}, "
                  f"T_REC {smap.meta.get('t_rec')}, {path.stat().st_size / 1e3:.0f} kB")


if __name__ == "__main__":
    main(*sys.argv[1:3])
