"""
FITS files that keep a map's uncertainty (`sunpy_sr.io.save`, `sunpy_sr.io.load`), in the batch
(``validate_output(..., uncertainty=True)``, ``superresolve_files(..., uncertainty=True)``) and on
the command line (``--uncertainty``). Real data: the bundled HMI cutout (a 64x64 crop of it for the
network runs, ``rcan-fast``: a network, whose uncertainty is the spread of its 16 symmetries).
"""
import os
from pathlib import Path

import astropy.units as u
import numpy as np
import pytest
import sunpy.map
from astropy.io import fits
from astropy.nddata import CCDData, StdDevUncertainty, VarianceUncertainty

import sunpy_sr
from sunpy_sr.batch.files import OutputError, is_valid_output, validate_output, write_map_atomic
from sunpy_sr.data import sample
from sunpy_sr.exceptions import SunpySRError, SunpySRTypeError
from sunpy_sr.io import load, save

METHOD = "rcan-fast"


def _crop(m, x0=96, y0=96, n=64):
    return m.submap([x0, y0] * u.pix, top_right=[x0 + n - 1, y0 + n - 1] * u.pix)


@pytest.fixture(scope="module")
def hmi():
    return sample.hmi_active_region()


@pytest.fixture(scope="module")
def sr(hmi):
    """A real super-resolved 64x64 crop (256x256) with its uncertainty, in gauss."""
    out = sunpy_sr.superresolve(_crop(hmi), method=METHOD, uncertainty=True, threads=1, progress=False)
    assert isinstance(out.uncertainty, StdDevUncertainty)
    return out


@pytest.fixture
def umask_022():
    old = os.umask(0o022)
    yield
    os.umask(old)


def _names(path):
    with fits.open(path) as hdul:
        return [hdu.name for hdu in hdul]


def test_public_names():
    assert sunpy_sr.save is save and sunpy_sr.load is load
    assert {"save", "load"} <= set(sunpy_sr.__all__) and {"save", "load"} <= set(sunpy_sr.io.__all__)


def test_round_trip_of_a_superresolved_map_with_uncertainty(sr, tmp_path):
    path = save(sr, tmp_path / "sr.fits")
    assert path == tmp_path / "sr.fits"
    assert _names(path) == ["PRIMARY", "UNCERT"]
    with fits.open(path) as hdul:
        h = hdul["UNCERT"].header
        assert h["UTYPE"] == "StdDevUncertainty"
        assert u.Unit(h["BUNIT"]) == u.G
        assert hdul["UNCERT"].data.shape == (256, 256)
        assert hdul[0].header["SRMETHOD"] == METHOD
        # the extension has the map's WCS, not its structural keywords
        for key in ("CDELT1", "CRPIX1", "CRVAL2", "CTYPE1", "CUNIT1", "DATE-OBS"):
            assert h[key] == hdul[0].header[key], key
        assert "SIMPLE" not in h and "EXTEND" not in h and h["XTENSION"] == "IMAGE"
    # sunpy reads it as two maps: the map and its uncertainty, of the same grid
    both = sunpy.map.Map(str(path))
    assert isinstance(both, list) and len(both) == 2
    np.testing.assert_array_equal(both[1].data, sr.uncertainty.array)
    assert both[1].unit == u.G and both[1].reference_pixel == sr.reference_pixel
    back = load(path)
    assert type(back) is type(sr) is sunpy.map.sources.HMIMap
    assert back.unit == sr.unit == u.G
    np.testing.assert_array_equal(back.data, sr.data)
    for key in ("CDELT1", "CDELT2", "CRPIX1", "CRPIX2", "CRVAL1", "SRMETHOD", "SRFACTOR", "SRVERS"):
        assert back.meta[key.lower()] == sr.meta[key.lower()], key
    assert back.meta["srmethod"] == METHOD and back.meta["srfactor"] == 4
    assert back.date == sr.date and back.scale == sr.scale
    assert isinstance(back.uncertainty, StdDevUncertainty)
    assert back.uncertainty.unit == u.G
    np.testing.assert_array_equal(back.uncertainty.array, sr.uncertainty.array)
    assert np.nanmax(back.uncertainty.array) > 0  # a real spread, not zeros
    assert back.mask is None
    # the primary is what sunpy's own save writes (which drops the uncertainty)
    sr.save(tmp_path / "sunpy.fits")
    assert _names(tmp_path / "sunpy.fits") == ["PRIMARY"]
    with fits.open(path) as ours, fits.open(tmp_path / "sunpy.fits") as theirs:
        ours_header = ours[0].header.copy()
        assert ours_header.pop("EXTEND") is True  # FITS: a file with extensions says so
        assert ours_header.tostring() == theirs[0].header.tostring()
        np.testing.assert_array_equal(ours[0].data, theirs[0].data)


def test_tesla_map_and_ccddata_reads_the_uncertainty(hmi, tmp_path):
    meta = hmi.meta.copy()
    meta["bunit"] = "T"
    data = (hmi.data * 1e-4).astype(np.float32)
    std = np.abs(data) * 0.1 + np.float32(1e-4)
    m = hmi._new_instance(data, meta, uncertainty=StdDevUncertainty(std, unit=u.T))
    assert m.unit == u.T
    path = save(m, tmp_path / "tesla.fits")
    back = load(path)
    assert type(back) is sunpy.map.sources.HMIMap
    assert back.unit == u.T and back.uncertainty.unit == u.T
    np.testing.assert_array_equal(back.uncertainty.array, std)
    np.testing.assert_array_equal(back.data, data)
    ccd = CCDData.read(path)
    assert ccd.unit == u.T
    assert isinstance(ccd.uncertainty, StdDevUncertainty)
    np.testing.assert_array_equal(ccd.uncertainty.array, std)
    np.testing.assert_array_equal(ccd.data, data)


def test_ccddata_reads_the_superresolved_uncertainty(sr, tmp_path):
    ccd = CCDData.read(save(sr, tmp_path / "sr.fits"))
    assert ccd.unit == u.G
    np.testing.assert_array_equal(ccd.uncertainty.array, sr.uncertainty.array)


def test_mask_round_trip(hmi, tmp_path):
    mask = np.zeros(hmi.data.shape, dtype=bool)
    mask[10:20, 30:50] = True
    m = hmi._new_instance(hmi.data, hmi.meta, mask=mask)
    path = save(m, tmp_path / "masked.fits")
    assert _names(path) == ["PRIMARY", "MASK"]
    back = load(path)
    assert back.mask.dtype == bool and int(back.mask.sum()) == 200
    np.testing.assert_array_equal(back.mask, mask)
    assert back.uncertainty is None
    np.testing.assert_array_equal(CCDData.read(path, unit="G").mask, mask)


def test_map_without_uncertainty_has_no_extension(hmi, tmp_path):
    path = save(hmi, tmp_path / "plain.fits")
    assert _names(path) == ["PRIMARY"]
    back = load(path)
    assert type(back) is sunpy.map.sources.HMIMap
    assert back.uncertainty is None and back.mask is None
    np.testing.assert_array_equal(back.data, hmi.data)
    assert back.meta["cdelt1"] == hmi.meta["cdelt1"] and back.meta["crpix1"] == hmi.meta["crpix1"]
    # and a file written by sunpy loads as sunpy reads it
    hmi.save(tmp_path / "sunpy.fits")
    theirs = load(tmp_path / "sunpy.fits")
    assert type(theirs) is sunpy.map.sources.HMIMap and theirs.uncertainty is None


def test_overwrite_refused_and_allowed(hmi, sr, tmp_path):
    path = tmp_path / "out.fits"
    path.write_bytes(b"previous result")
    with pytest.raises(SunpySRError, match="exists; pass overwrite=True"):
        save(sr, path)
    assert path.read_bytes() == b"previous result"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out.fits"]
    save(sr, path, overwrite=True)
    assert load(path).uncertainty.array.shape == (256, 256)
    save(hmi, path, overwrite=True)  # replaced by a map without one: the extension goes too
    assert _names(path) == ["PRIMARY"]


def test_non_stddev_uncertainty_is_refused(hmi, tmp_path):
    m = hmi._new_instance(hmi.data, hmi.meta,
                          uncertainty=VarianceUncertainty(np.ones(hmi.data.shape), unit=u.G ** 2))
    with pytest.raises(SunpySRTypeError, match="StdDevUncertainty"):
        save(m, tmp_path / "var.fits")
    assert list(tmp_path.iterdir()) == []  # nothing left, also no temporary file


def test_permissions_follow_the_umask(sr, tmp_path, umask_022):
    path = save(sr, tmp_path / "sr.fits")
    assert path.stat().st_mode & 0o777 == 0o644
    os.umask(0o077)
    path = save(sr, tmp_path / "private.fits")
    assert path.stat().st_mode & 0o777 == 0o600


# ------------------------------------------------------------------ the batch's files


def test_write_map_atomic_and_validate_output_with_uncertainty(hmi, sr, tmp_path, umask_022):
    with_unc = write_map_atomic(sr, tmp_path / "a_sr.fits")
    assert _names(with_unc) == ["PRIMARY", "UNCERT"]
    assert with_unc.stat().st_mode & 0o777 == 0o644
    assert validate_output(with_unc, expected_shape=(256, 256), method=METHOD, uncertainty=True) == with_unc
    without = write_map_atomic(sr._new_instance(sr.data, sr.meta), tmp_path / "b_sr.fits")
    assert _names(without) == ["PRIMARY"]
    assert is_valid_output(without, expected_shape=(256, 256), method=METHOD)
    with pytest.raises(OutputError, match="no UNCERT extension"):
        validate_output(without, expected_shape=(256, 256), method=METHOD, uncertainty=True)
    # an UNCERT of another shape, and one cut short
    wrong = tmp_path / "c_sr.fits"
    with fits.open(with_unc) as hdul:
        small = fits.ImageHDU(np.zeros((8, 8), np.float32), name="UNCERT")
        fits.HDUList([hdul[0].copy(), small]).writeto(wrong)
    with pytest.raises(OutputError, match=r"UNCERT extension has shape \(8, 8\)"):
        validate_output(wrong, uncertainty=True)
    size = with_unc.stat().st_size
    os.truncate(with_unc, size - 10 * 2880)  # inside the UNCERT data
    assert not is_valid_output(with_unc, expected_shape=(256, 256), method=METHOD, uncertainty=True)


def _client():
    distributed = pytest.importorskip("distributed")
    return distributed.Client(processes=False, n_workers=1, threads_per_worker=1, dashboard_address=None)


@pytest.fixture(scope="module")
def crop_files(hmi, tmp_path_factory):
    """Two real 64x64 crops of the bundled cutout, as FITS files."""
    folder = tmp_path_factory.mktemp("crops")
    out = []
    for name, (x0, y0) in (("a", (96, 96)), ("b", (40, 150))):
        out.append(folder / f"hmi_{name}.fits")
        _crop(hmi, x0, y0).save(out[-1])
    return out


def test_batch_with_uncertainty_writes_it_and_redoes_outputs_without_it(crop_files, tmp_path):
    from sunpy_sr.batch import output_path, superresolve_files
    with _client() as client:
        first = superresolve_files(crop_files, tmp_path, method=METHOD, client=client, progress=False,
                                   uncertainty=True)
        assert first["status"].tolist() == ["ok", "ok"], first["error"].tolist()
        outputs = [output_path(p, tmp_path) for p in crop_files]
        for p, o in zip(crop_files, outputs):
            assert _names(o) == ["PRIMARY", "UNCERT"]
            back = load(o)
            assert back.data.shape == back.uncertainty.array.shape == (256, 256)
            assert back.uncertainty.unit == back.unit == u.G
            assert np.nanmax(back.uncertainty.array) > 0
            direct = sunpy_sr.superresolve(sunpy.map.Map(p), method=METHOD, uncertainty=True, threads=1,
                                           progress=False)
            np.testing.assert_allclose(back.uncertainty.array, direct.uncertainty.array, rtol=1e-5, atol=1e-4)
            np.testing.assert_allclose(back.data, direct.data, rtol=1e-5, atol=1e-3)
        # the second output loses its uncertainty (as a batch without uncertainty=True would write it)
        stripped = load(outputs[1])
        stripped = stripped._new_instance(stripped.data, stripped.meta)
        save(stripped, outputs[1], overwrite=True)
        assert _names(outputs[1]) == ["PRIMARY"]
        mtime = outputs[0].stat().st_mtime_ns
        again = superresolve_files(crop_files, tmp_path, method=METHOD, client=client, progress=False,
                                   uncertainty=True)
        assert again["status"].tolist() == ["skipped", "ok"], again["error"].tolist()
        assert again.meta["counts"] == {"ok": 1, "skipped": 1, "error": 0}
        assert outputs[0].stat().st_mtime_ns == mtime
        assert _names(outputs[1]) == ["PRIMARY", "UNCERT"]
        # without the requirement, outputs with an uncertainty are valid too
        plain = superresolve_files(crop_files, tmp_path, method=METHOD, client=client, progress=False)
        assert plain["status"].tolist() == ["skipped", "skipped"]


# ------------------------------------------------------------------ the command line


def test_cli_superresolve_uncertainty(crop_files, tmp_path, capsys):
    from sunpy_sr.cli.main import main
    out = tmp_path / "sr.fits"
    status = main(["--quiet", "superresolve", str(crop_files[0]), str(out), "--method", METHOD,
                   "--uncertainty"])
    stdout, err = capsys.readouterr()
    assert status == 0, err
    assert "with its uncertainty" in stdout
    assert _names(out) == ["PRIMARY", "UNCERT"]
    back = load(out)
    assert type(back) is sunpy.map.sources.HMIMap
    assert back.meta["srmethod"] == METHOD
    assert back.uncertainty.array.shape == back.data.shape == (256, 256)
    assert np.nanmax(back.uncertainty.array) > 0
    assert back.meta["srerrmod"] == "rcan-tiny-errors"
    assert "calibrated 1-sigma error map" in str(back.meta.get("history", "")).replace("\n", "")
    # without the flag: no extension, as before
    plain = tmp_path / "plain.fits"
    assert main(["--quiet", "superresolve", str(crop_files[0]), str(plain), "--method", METHOD]) == 0
    assert _names(plain) == ["PRIMARY"]
    np.testing.assert_array_equal(fits.getdata(plain).shape, (256, 256))


def test_cli_batch_uncertainty(crop_files, tmp_path, capsys, monkeypatch):
    """``sunpy-sr batch --uncertainty`` passes uncertainty=True to superresolve_files (in-process cluster)."""
    import sunpy_sr.batch
    from sunpy_sr.cli.main import main
    seen = {}
    real = sunpy_sr.batch.superresolve_files

    def run_in_process(paths, output_dir, **kwargs):
        seen.update(kwargs)
        with _client() as client:
            kwargs.update(client=client, n_workers=None)
            return real(paths, output_dir, **kwargs)

    monkeypatch.setattr(sunpy_sr.batch, "superresolve_files", run_in_process)
    status = main(["--quiet", "batch", str(crop_files[0]), "--out", str(tmp_path), "--method", METHOD,
                   "--uncertainty"])
    stdout, err = capsys.readouterr()
    assert status == 0, err
    assert seen["uncertainty"] is True
    assert "1 ok, 0 skipped, 0 failed" in stdout
    out = Path(tmp_path) / "hmi_a_sr.fits"
    assert _names(out) == ["PRIMARY", "UNCERT"]
    assert load(out).uncertainty.array.shape == (256, 256)


def test_cli_compressed_output_keeps_the_uncertainty(crop_files, tmp_path, capsys):
    from sunpy_sr.cli.main import main
    out = tmp_path / "sr.fits"
    status = main(["--quiet", "superresolve", str(crop_files[0]), str(out), "--method", METHOD,
                   "--uncertainty", "--compress"])
    _, err = capsys.readouterr()
    assert status == 0, err
    assert _names(out) == ["PRIMARY", "COMPRESSED_IMAGE", "UNCERT"]
    back = load(out)  # the map from the compressed HDU 1, the uncertainty as written (lossless)
    assert type(back) is sunpy.map.sources.HMIMap and back.data.shape == (256, 256)
    assert back.uncertainty.unit == u.G and np.nanmax(back.uncertainty.array) > 0
    assert validate_output(out, expected_shape=(256, 256), method=METHOD, uncertainty=True) == out
