"""
``superresolve``: the package's interface, from a Map to a 4x Map with an exact header.

The way a map travels::

    Map -> validate -> float32 array (native byte order), NaN mask kept aside, NaN -> 0 G
        -> method (registry; tiled with receptive-field padding, off-disk tiles skipped)
        -> NaN restored (children of NaN parents are NaN)
        -> header (sunpy's resample rule, provenance keys, HISTORY)
        -> smap._new_instance(data, meta, plot_settings)

`superresolve` is the entry of a dispatch on the input's container
(`sunpy_sr.api.dispatch`): a Map or an array is handled by ``sunpy_sr.api.single``, a
`~sunpy.map.MapSequence` or an `~ndcube.NDCube` frame by frame with one built method
(`prepare_method`: the network is loaded once for the whole series).
"""
import numbers
import os
import threading

import numpy as np
import sunpy.map

from sunpy_sr.exceptions import SunpySRError, SunpySRTypeError
from sunpy_sr.inference.precision import check_dtype, resolve_dtype
from sunpy_sr.io.provenance import FACTOR_KEY, METHOD_KEY, VERSION_KEY
from sunpy_sr.methods import add_registry_listener, available_methods, get_method
from sunpy_sr.methods.networks import bundled_weights_stem
from sunpy_sr.progress import show_progress
from sunpy_sr.version import version

__all__ = ["superresolve", "prepare_method", "PreparedMethod", "DEFAULT_METHOD"]

DEFAULT_METHOD = "rcan"

#: values of ``uncertainty``: False, True (the method's calibrated error model), "ensemble"
UNCERTAINTY_KINDS = (False, True, "ensemble")


def _uncertainty_kind(uncertainty):
    """``False``, ``"error-model"`` or ``"ensemble"`` for a value of ``uncertainty`` (checked)."""
    if uncertainty is None or uncertainty is False:
        return False
    if uncertainty is True:
        return "error-model"
    if isinstance(uncertainty, str) and uncertainty == "ensemble":
        return "ensemble"
    raise SunpySRError(f"uncertainty must be False, True (the method's calibrated error map) or "
                       f"'ensemble' (the 16-symmetry spread of a network), got {uncertainty!r}")


def _is_int(value):
    """An integer (numpy's too), not a bool."""
    return isinstance(value, numbers.Integral) and not isinstance(value, (bool, np.bool_))


def _check_flag(name, value):
    if not isinstance(value, (bool, np.bool_)):
        raise SunpySRTypeError(f"{name} must be True or False, got {value!r}")


def _check_count(name, value, *, none_ok=False, hint=""):
    """``value`` a positive integer (or None where ``none_ok``), else an error naming ``name``."""
    if value is None and none_ok:
        return
    if not _is_int(value):
        raise SunpySRTypeError(f"{name} must be a positive integer{' or None' if none_ok else ''}{hint}, "
                               f"got {value!r}")
    if value < 1:
        raise SunpySRError(f"{name} must be a positive integer{hint}, got {value!r}")


def _check_method_options(name, method, options):
    """The values of the method options every method shares, checked before anything is built."""
    allowed = getattr(method.build, "options", None)  # the networks of register_network declare theirs
    if allowed is not None:
        unknown = sorted(set(options) - set(allowed))
        if unknown:
            raise SunpySRTypeError(f"{name} takes the options {', '.join(allowed)}; got unknown "
                                   f"option{'s' if len(unknown) > 1 else ''} {', '.join(map(repr, unknown))}")
    if "dtype" in options:
        check_dtype(options["dtype"])
    if "tile_batch" in options:
        from sunpy_sr.inference.runner import check_tile_batch
        check_tile_batch(options["tile_batch"])
    if "device" in options:
        device = options["device"]
        if not isinstance(device, str):
            import torch
            if not isinstance(device, torch.device):
                raise SunpySRTypeError(f"device must be 'cpu', 'cuda' or 'mps' (or a torch.device), "
                                       f"got {device!r}")
        elif device.split(":")[0] not in ("cpu", "cuda", "mps"):
            raise SunpySRError(f"unknown device {device!r}; use 'cpu', 'cuda' or 'mps'")
    if "ensemble" in options:
        _check_flag("ensemble", options["ensemble"])
    if "consistent" in options:
        from sunpy_sr.inference.consistency import consistency_recipe
        consistency_recipe(options["consistent"])
    weights = options.get("weights")
    if weights is not None and not isinstance(weights, (str, os.PathLike)):
        raise SunpySRTypeError(f"weights must be a path to a weight file (str or os.PathLike), "
                               f"got {weights!r}")


def _check_call_options(smap, prepared, *, tile_size, progress, threads, tile_workers, assume_magnetogram,
                        out):
    """The call options of `superresolve`, checked before any work (a bad one names itself)."""
    _check_count("tile_size", tile_size, none_ok=True, hint=" (input pixels)")
    _check_count("threads", threads, none_ok=True)
    _check_count("tile_workers", tile_workers)
    show_progress(progress, long=False)  # checks its type
    _check_flag("assume_magnetogram", assume_magnetogram)
    if out is None:
        return
    if not isinstance(out, np.ndarray):
        raise SunpySRTypeError(f"out must be a float32 numpy.ndarray (e.g. a numpy.memmap), "
                               f"got {type(out).__name__}")
    if out.dtype != np.float32:
        raise SunpySRTypeError(f"out must be a float32 array, got dtype {out.dtype}")
    if not out.flags.writeable:
        raise SunpySRError("out must be a writeable array")
    shape = None
    if isinstance(smap, (np.ndarray, sunpy.map.GenericMap)):
        shape = np.shape(smap.data if isinstance(smap, sunpy.map.GenericMap) else smap)
    if shape is not None and len(shape) == 2:
        want = tuple(n * prepared.method.scale for n in shape)
        if out.shape != want:
            raise SunpySRError(f"out has shape {out.shape}; the output of this {shape} input has shape "
                               f"{want}")


class PreparedMethod:
    """
    A method with its options, built once and reused for many maps.

    Made by `prepare_method`; pass it as ``method=`` to `superresolve`. The method
    function (for a network: the weights loaded and the runner made) and its error model
    are built on first use and then kept, so a series, a batch worker or a user's own loop
    over files loads a network once. Thread-safe.

    Attributes
    ----------
    name : str
        The registered method's name.
    method : `sunpy_sr.methods.Method`
        The registry entry (``scale``, ``min_size``, ``is_network``, ``error_model``).
    options : dict
        The method options (e.g. ``weights``, ``device``, ``dtype``, ``ensemble``, ``consistent``).
    consistent : bool, str or dict
        The consistency projection in effect: the ``consistent`` option, or the method's
        default where it is not given (True for ``progan`` and ``progan-gan3``, False for
        the others). A default projection yields to the range guard where the input leaves
        the training range; one asked for takes precedence over it.
    uncertainty : {False, "error-model", "ensemble"}
        What the uncertainty is: none, the method's calibrated error model
        (``uncertainty=True``), or the 16-symmetry spread of a network.
    model : str
        The weight file's name for networks (``SRMODEL``), else ``""``.
    dtype : str
        The compute type actually used (``SRDTYPE``): a network's ``dtype`` option with
        "auto" resolved for its device (`sunpy_sr.inference.resolve_dtype`); "float32"
        for the classical methods.
    """

    def __init__(self, name, *, uncertainty=False, **options):
        if not isinstance(name, str):
            raise SunpySRTypeError(f"method must be a registered method's name (a str) or a PreparedMethod, "
                                   f"got {name!r}")
        self.method = get_method(name)
        self.name = name
        self.uncertainty = _uncertainty_kind(uncertainty)
        self.options = dict(options)
        if "spread" in options:
            raise SunpySRTypeError("the 16-symmetry spread is uncertainty='ensemble', not a method option")
        _check_method_options(name, self.method, options)  # at the door, before anything loads
        #: the consistency recipe in effect: the option, or the method's default (progan's is True)
        self.consistent = options.get("consistent",
                                      getattr(self.method.build, "defaults", {}).get("consistent", False))
        self.dtype = "float32"
        if self.method.is_network:
            self.dtype = resolve_dtype(options.get("dtype", "auto"), options.get("device", "cpu"))
        if self.uncertainty == "ensemble":
            if not self.method.is_network:
                raise SunpySRError(f"uncertainty='ensemble' needs a network method (the spread of its "
                                   f"16-symmetry self-ensemble); {name!r} is not one: use uncertainty=True")
            if options.get("ensemble", True) is False:
                raise SunpySRError("uncertainty='ensemble' runs the 16-symmetry self-ensemble; "
                                   "ensemble=False contradicts it")
            if options.get("consistent", False) is not False:
                raise SunpySRError("uncertainty='ensemble' cannot be combined with consistent: use "
                                   "uncertainty=True (the calibrated error map), which can")
            self.options.pop("ensemble", None)
        if self.uncertainty == "error-model" and self.method.error_model is None:
            raise SunpySRError(f"{name!r} has no error model, so uncertainty=True cannot give an error map "
                               "(register one with register_method(..., error_model=...))")
        self.model = ""
        if self.method.is_network:
            w = options.get("weights")
            self.model = os.path.basename(str(w)) if w else bundled_weights_stem(name)
        self.error_model = None
        self._built = None
        self._lock = threading.Lock()

    @property
    def is_built(self):
        """True once `build` has run (the method's function exists and is reused)."""
        return self._built is not None

    def build(self):
        """``(function, receptive_radius)``: built on the first call, the same objects after.

        With ``uncertainty=True`` the method's error model is loaded too (`error_model`);
        with ``uncertainty="ensemble"`` the function returns ``(mean, std)``.
        """
        with self._lock:
            if self._built is None:
                # the build resolves dtype="auto" for its device as self.dtype did (resolve_dtype)
                options = dict(self.options)
                if self.uncertainty == "ensemble":
                    options["spread"] = True
                built = self.method.build(**options)
                if self.uncertainty == "error-model":
                    self.error_model = self.method.error_model(**self.options)
                self._built = built
            return self._built

    @property
    def history(self):
        """The ``HISTORY`` line of an output."""
        line = f"sunpy_sr {version}: super-resolved {self.method.scale}x with {self.name}"
        line += f" ({self.model})" if self.model else ""
        if self.uncertainty == "ensemble":
            line += ("; 16-symmetry self-ensemble mean, uncertainty = its standard deviation "
                     "(not an error bar)")
        elif self.uncertainty == "error-model":
            line += "; uncertainty = calibrated 1-sigma error map"
            if self.error_model is not None:
                line += f" ({self.error_model.name})"
        return line

    @property
    def keys(self):
        """Provenance: ``SRMETHOD``, ``SRFACTOR``, ``SRVERS``, ``SRDTYPE`` (``SRMODEL``, ``SRERRMOD``)."""
        keys = {METHOD_KEY.lower(): self.name, FACTOR_KEY.lower(): self.method.scale,
                VERSION_KEY.lower(): version}
        if self.model:
            keys["srmodel"] = self.model
        keys["srdtype"] = self.dtype
        if self.uncertainty == "error-model" and self.error_model is not None:
            keys["srerrmod"] = self.error_model.name
        elif self.uncertainty == "ensemble":
            keys["srerrmod"] = "16-symmetry spread"
        return keys

    #: FITS comments of the provenance keywords that have one
    comments = {"srdtype": "compute precision of the method", "srerrmod": "error model of the uncertainty"}

    def __repr__(self):
        opts = "".join(f", {k}={v!r}" for k, v in self.options.items())
        unc = {False: "", "error-model": ", uncertainty=True", "ensemble": ", uncertainty='ensemble'"}
        return f"PreparedMethod({self.name!r}{unc[self.uncertainty]}{opts})"


def prepare_method(method=DEFAULT_METHOD, *, uncertainty=False, **options):
    """
    Build a method once for many maps (a loop over files, a worker of a batch).

    Parameters
    ----------
    method : str
        A registered method (see `superresolve`).
    uncertainty : bool or "ensemble"
        Prepare the method's calibrated error map (True) or a network's 16-symmetry
        spread ("ensemble"); see `superresolve`.
    **options
        Method options, as for `superresolve`.

    Returns
    -------
    `PreparedMethod`
        Pass it as ``superresolve(smap, method=prepared)``; the network is loaded at the
        first call and reused by every later one.

    Examples
    --------
    >>> from sunpy_sr.api import prepare_method, superresolve
    >>> from sunpy_sr.data import sample
    >>> fast = prepare_method("rcan-fast")  # the network is loaded once, for the first map
    >>> maps = [sample.hmi_active_region(), sample.hmi_limb()]
    >>> [superresolve(m, method=fast).data.shape for m in maps]
    [(1024, 1024), (1024, 1024)]
    """
    return PreparedMethod(method, uncertainty=uncertainty, **options)


def _as_prepared(method, uncertainty, options):
    if isinstance(method, PreparedMethod):
        if options:
            raise SunpySRTypeError(f"method options ({', '.join(sorted(options))}) belong to prepare_method, "
                                   "not to superresolve with a prepared method")
        if _uncertainty_kind(uncertainty) not in (False, method.uncertainty):
            raise SunpySRError(f"uncertainty={uncertainty!r} needs a method prepared with it "
                               f"(this one was prepared with uncertainty={method.uncertainty!r})")
        return method
    if not isinstance(method, str):
        raise SunpySRTypeError(f"method must be a method name or a PreparedMethod, "
                               f"got {method!r} ({type(method).__name__})")
    return PreparedMethod(method, uncertainty=uncertainty, **options)


def superresolve(smap, method=DEFAULT_METHOD, *, tile_size=768, progress=None, threads=None,
                 tile_workers=1, assume_magnetogram=False, out=None, uncertainty=False, **options):
    """
    Super-resolve a LOS magnetogram 4x.

    Parameters
    ----------
    smap : `~sunpy.map.GenericMap`, `~sunpy.map.MapSequence`, `~ndcube.NDCube` or `numpy.ndarray`
        An HMI LOS magnetogram in any field unit (G, kG, T, mT, Mx/cm^2), a sequence of
        them (e.g. a time series), a cube with two celestial axes and any others (e.g.
        time), or a plain 2D array of field values in gauss (an array comes back).
    method : str or `PreparedMethod`
        A registered method (`sunpy_sr.methods.available_methods`; ``docs/results.rst``
        measures each):

        - ``"rcan"`` (default): the bundled RCAN network (preset ``rcan-lite``) trained on
          real HMI, the best PSNR of the bundled methods;
        - ``"rcan-fast"``: a 4,255-parameter RCAN, faster, between ``linear`` and ``rcan``
          in quality;
        - ``"rcan-small"``: a larger, slower RCAN, the former default;
        - ``"progan"``: the progressive GAN generator (bicubic + predicted residual,
          fine-tuned adversarially with its output projected onto the maps that degrade to
          the input and its pixel term against a sharpened target; ``consistent=True`` by
          default): more and smaller magnetic elements than ``rcan``, lower PSNR;
        - ``"progan-gan3"``: the ``progan`` before this version (without sharpened targets;
          ``consistent=True`` by default);
        - ``"progan-gan"``: the ``progan`` before that (without the projection);
        - ``"progan-small-l1gan"``: the pixel-trained generator ``progan-gan`` was
          fine-tuned from, kept so that earlier results reproduce;
        - ``"linear"``: the least-squares optimal linear filter;
        - ``"bicubic"``: cubic convolution.

        Methods registered later (`sunpy_sr.methods.register_method`) are accepted too.
        See `sunpy_sr.methods.available_methods`.

        A method built once by `prepare_method` (``from sunpy_sr.api import prepare_method``)
        is reused as it is (its options are its own): the network is loaded once for a
        loop over many maps.
    tile_size : int or None
        Core tile size in input pixels. Tiles are padded by the method's receptive
        field, so the result does not depend on it; None runs the map in one piece.
    progress : bool or None
        Show a progress bar over tiles (over maps for a sequence, frames for a cube).
        None (default): a bar when the work is long (at least 16 tiles, e.g. a full
        disk; at least 2 maps or frames) and the standard error is a terminal
        (`sunpy_sr.progress.show_progress`).
    threads : int, optional
        CPU threads to use (default: torch's own choice, one per physical core);
        the torch setting is restored afterwards.
    tile_workers : int
        Tiles computed at once, each on ``threads // tile_workers`` torch threads.
        Two single-threaded tiles keep 2 cores busier than one tile on two threads,
        but hold two tiles' activations in memory (the performance docs measure
        both), so the default is 1.
    assume_magnetogram : bool
        Skip the product and unit checks.
    out : `numpy.ndarray`, optional
        Preallocated float32 output (e.g. a `numpy.memmap`) of the output shape
        (a single map or array only).
    uncertainty : bool or "ensemble"
        ``True``: attach the method's calibrated 1-sigma error map, an estimate of the
        standard deviation of ``output - truth`` at each pixel (truth: what HMI would record
        at 4x the resolution under the training degradation), as an
        `astropy.nddata.StdDevUncertainty` in the output's unit: a Map's and an NDCube's
        ``.uncertainty`` (per map for a MapSequence); an array input returns ``(sr, sigma)``.
        Every bundled method has one (`sunpy_sr.weights.ERROR_MODELS`), fit and calibrated on
        held-out real HMI (``docs/guide/error_maps.rst``: calibration by band and disk ring;
        the cost is about that of a small network on the input grid). A map in
        helioprojective coordinates gets the calibration of each ring of disk position; an
        array, a CEA cutout or a cube that of the inner disk. With your own ``weights``, the
        error model beside them (``sunpy-sr fit-errors``) is used, and its absence is an
        error. Where the input leaves the training range (the last 2 pixels at the limb,
        fields beyond 2000 G) sigma has its own, larger calibration. Errors of the
        degradation model itself (a real PSF unlike the training Gaussian) are not in it.
        ``"ensemble"``: networks only, the former meaning: the 16-symmetry self-ensemble
        mean, with the standard deviation of its 16 outputs as the uncertainty. That
        measures the network's sensitivity to the orientation and polarity of its input,
        not the error (on held-out real HMI the error is 5-7x larger), at 16x the time.
        Write a map with its uncertainty with `sunpy_sr.save` (sunpy's own ``save`` drops it).
    **options
        Method options: ``weights=PATH`` (your own weights from ``sunpy-sr train``),
        ``ensemble=True`` (networks: average over the 16 training symmetries, 16x the time),
        ``consistent=True`` (every method: project the output so that it degrades back onto
        the input, `sunpy_sr.inference.consistency`; ``"bin"`` or a dict for another
        degradation recipe; False for every method but ``progan`` and ``progan-gan3``, which
        project by default except where the input leaves the training range (the range guard
        bounds it there; an explicit ``consistent=True`` projects there too, and
        ``consistent=False`` not at all)), ``device="cpu"|"cuda"|"mps"``,
        ``dtype="auto"|"float32"|"bfloat16"`` for networks
        (default "auto": on the CPU bfloat16 where it is native, see
        `sunpy_sr.inference.native_bfloat16`, and float32 otherwise; on a CUDA GPU bfloat16
        where it has it natively, else float16 from compute capability 7.0, else float32:
        `sunpy_sr.inference.resolve_dtype`; "float32" reproduces float32 results exactly).
        On the real 2016 full disk bfloat16 differs from float32 by 0.49 G RMS, at most
        7.6 G within 0.99 solar radii, at 2.0x the speed (``docs/performance.rst``). The
        precision used is recorded as ``SRDTYPE``. ``tile_batch=1|N|"auto"`` for
        networks: tiles of one padded shape run in one forward pass (default 1; "auto":
        on CUDA as many as fill half the free GPU memory with two batches in flight, by
        `sunpy_sr.inference.runner.auto_tile_batch`, 1 on the CPU). Most tiles of a map
        share a shape; those at the border and the limb run in their own smaller
        batches, never padded to a common shape, and the result does not depend on it
        beyond float32 rounding. With ``device="cuda"`` a batch size above 1 keeps one
        batch computing while the previous one is copied back and stitched
        (``docs/performance.rst``).

    Returns
    -------
    `~sunpy.map.GenericMap`, `~sunpy.map.MapSequence`, `~ndcube.NDCube` or `numpy.ndarray`
        A new map of the same class (an `~sunpy.map.sources.HMIMap` stays one), 4x the
        pixels, the same unit, observer and dates. Header: ``CDELTi / 4``,
        ``CRPIXi' = 4 * CRPIXi - 1.5`` (sunpy's ``resample`` convention: CRPIX counts
        pixel edges), ``CRVAL`` and the rotation (``CROTA2``/``PCi_j``) unchanged,
        ``R_SUN`` x4, and provenance keys ``SRMETHOD``, ``SRFACTOR``, ``SRVERS``
        ``SRDTYPE`` (``SRMODEL`` for networks) plus a ``HISTORY`` line. Pixels whose parent
        input pixel is NaN (off the limb) are NaN. The input is not modified.
        A `~sunpy.map.MapSequence` gives a MapSequence of such maps. An
        `~ndcube.NDCube` gives an NDCube whose WCS has its two celestial axes
        rescaled by the same rule (`sunpy_sr.core.header.rescale_wcs`) and every
        other axis untouched, with the input's unit and meta (plus the provenance
        keys); its mask carries over (children of masked pixels are masked, and
        NaN: masked input is treated as missing).

    Notes
    -----
    A level-1 HMI map (``CROTA2`` about 180 degrees) is super-resolved on its
    native grid, without interpolation, and the header's rotation carries over
    unchanged, so the output WCS is exact. The networks were trained with all 8
    rotations and flips of the square, but a single pass is not exactly
    equivariant: with ``rcan``, a real 256^2 HMI crop rotated by 180 degrees,
    super-resolved and rotated back differs from the direct result by about
    1.3 G RMS (``tests/test_tiling.py::test_rotation_single_pass_vs_ensemble``).
    ``ensemble=True`` averages over the 16 symmetries and makes the result exactly
    equivariant.

    Where an input pixel leaves the range the methods were trained on (within 2 pixels of
    the limb, or ``|B| > 2000 G`` in its 3x3 neighbourhood), its output pixels are bounded by
    the range of that neighbourhood (`sunpy_sr.core.range_guard`), so the output never holds
    a field the input does not support nearby; with ``consistent=True`` the projection takes
    precedence.

    Units are converted at the boundary: the networks work in gauss, so a map in
    T, kG or mT is converted to gauss, super-resolved, and converted back; the
    output has the input's unit and values in it.

    A sequence or a cube is super-resolved frame by frame with one built method:
    the network is loaded once for the whole series (`prepare_method` does the same
    for a loop of your own).

    References
    ----------
    Rahman, S. et al. 2020, ApJL 897, L32, doi:10.3847/2041-8213/ab9d79;
    Zhang, Y. et al. 2018, ECCV, "Image Super-Resolution Using Very Deep Residual
    Channel Attention Networks".

    Examples
    --------
    The shipped real HMI cutout (256 x 256 pixels of 0.504"), with the fast bundled
    network (``method="rcan"`` is the default and the better network):

    >>> import sunpy_sr
    >>> from sunpy_sr.data import sample
    >>> hmi = sample.hmi_active_region()
    >>> sr = sunpy_sr.superresolve(hmi, method="rcan-fast")
    >>> type(sr).__name__, sr.data.shape, sr.unit
    ('HMIMap', (1024, 1024), Unit("G"))
    >>> print(f"{hmi.scale.axis1:.4f} -> {sr.scale.axis1:.4f}")
    0.5043 arcsec / pix -> 0.1261 arcsec / pix
    >>> float(hmi.meta["crpix1"]), float(sr.meta["crpix1"])  # CRPIX' = 4 * CRPIX - 1.5
    (990.84863, 3961.89452)
    >>> sr.meta["srmethod"]
    'rcan-fast'
    """
    from sunpy_sr.api.dispatch import superresolve_dispatch
    prepared = _as_prepared(method, uncertainty, options)
    kwargs = dict(tile_size=tile_size, progress=progress, threads=threads, tile_workers=tile_workers,
                  assume_magnetogram=assume_magnetogram, out=out)
    _check_call_options(smap, prepared, **kwargs)
    return superresolve_dispatch(smap, prepared, **kwargs)


def _list_methods_in_docstring(template=superresolve.__doc__):
    """Registry listener: the docstring lists the registered methods, also those registered later."""
    if template is not None:  # python -OO strips docstrings
        superresolve.__doc__ = template.replace(
            "See `sunpy_sr.methods.available_methods`.",
            f"Registered: {', '.join(available_methods())}.")


add_registry_listener(_list_methods_in_docstring)
_list_methods_in_docstring()
