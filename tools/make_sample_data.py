"""Cut the package's sample data from the real full-disk HMI map (run once; output is committed).

Usage: python tools/make_sample_data.py ../shared/data/hmi/fulldisk
"""
import gzip
import sys
import warnings
from pathlib import Path

import astropy.units as u
import numpy as np
import sunpy.map

SOURCE = "hmi.m_720s.20160707_010000_TAI.magnetogram.fits"
OUT = Path(__file__).parents[1] / "sunpy_sr" / "data" / "sample"
#: name -> (row0, col0) of a 256x256 cutout, level-1 pixel indices (0-based)
CUTOUTS = {"hmi_active_region": (2520, 1048), "hmi_limb": (1920, 40)}
SIZE = 256


def main(folder):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        full = sunpy.map.Map(Path(folder) / SOURCE)
    for name, (r, c) in CUTOUTS.items():
        sub = full.submap([c, r] * u.pix, top_right=[c + SIZE - 1, r + SIZE - 1] * u.pix)
        assert sub.data.shape == (SIZE, SIZE), sub.data.shape
        meta = sub.meta.copy()
        meta["origfile"] = SOURCE
        meta["origser"] = "hmi.M_720s"
        meta["origpix"] = f"rows {r}:{r + SIZE}, cols {c}:{c + SIZE} (0-based, level 1)"
        for key in ("blank", "bzero", "bscale", "checksum", "datasum"):
            meta.pop(key, None)
        out = sunpy.map.Map(sub.data.astype(np.float32), meta)
        out.save(OUT / f"{name}.fits", overwrite=True, filetype="fits")
        raw = (OUT / f"{name}.fits").read_bytes()
        (OUT / f"{name}.fits.gz").write_bytes(gzip.compress(raw, mtime=0))
        (OUT / f"{name}.fits").unlink()
        print(name, out.data.shape, np.isnan(out.data).mean(), meta.get("t_rec"))


if __name__ == "__main__":
    main(sys.argv[1])
