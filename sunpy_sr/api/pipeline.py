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
import os
import threading
import warnings

from sunpy_sr.api.single import FILL_VALUE
from sunpy_sr.exceptions import SunpySRError, SunpySRTypeError
from sunpy_sr.inference.precision import check_dtype, resolve_dtype
from sunpy_sr.methods import available_methods, get_method
from sunpy_sr.version import version

__all__ = ["superresolve", "prepare_method", "PreparedMethod", "DEFAULT_METHOD", "FILL_VALUE"]

DEFAULT_METHOD = "rcan"

_NETWORK_OPTIONS = ("weights", "device", "dtype", "ensemble")


class PreparedMethod:
    """
    A method with its options, built once and reused for many maps.

    Made by `prepare_method`; pass it as ``method=`` to `superresolve`. The method
    function (for a network: the weights loaded and the runner made) is built on
    first use and then kept, so a series, a batch worker or a user's own loop over
    files loads a network once. Thread-safe.

    Attributes
    ----------
    name : str
        The registered method's name.
    method : `sunpy_sr.methods.Method`
        The registry entry (``scale``, ``min_size``, ``is_network``).
    options : dict
        The method options (``weights``, ``device``, ``dtype``, ``ensemble``).
    uncertainty : bool
        The function returns ``(mean, std)`` (16-symmetry self-ensemble).
    model : str
        The weight file's name for networks (``SRMODEL``), else ``""``.
    dtype : str
        The compute type actually used (``SRDTYPE``): a network's ``dtype`` option with
        "auto" resolved for its device (`sunpy_sr.inference.resolve_dtype`); "float32"
        for the classical methods.
    """

    def __init__(self, name, *, uncertainty=False, **options):
        self.method = get_method(name)
        self.name = name
        self.uncertainty = bool(uncertainty)
        self.options = dict(options)
        if "dtype" in options:
            check_dtype(options["dtype"])  # at the door, for every method
        self.dtype = "float32"
        if self.method.is_network:
            self.dtype = resolve_dtype(options.get("dtype", "float32"), options.get("device", "cpu"))
        if self.uncertainty:
            if not self.method.is_network:
                raise SunpySRError(f"uncertainty=True needs a network method (the spread of its 16-symmetry "
                                   f"self-ensemble); {name!r} is not one")
            unknown = sorted(set(options) - set(_NETWORK_OPTIONS))
            if unknown:
                raise SunpySRTypeError(f"{name} takes the options {', '.join(_NETWORK_OPTIONS)}; "
                                       f"got {unknown}")
            if options.get("ensemble", True) is False:
                raise SunpySRError("uncertainty=True runs the 16-symmetry self-ensemble; ensemble=False "
                                   "contradicts it")
        self.model = ""
        if self.method.is_network:
            from sunpy_sr.weights import CATALOGUE
            w = options.get("weights")
            if w:
                self.model = os.path.basename(str(w))
            else:  # a network registered without bundled weights is named after itself
                self.model = CATALOGUE[name].stem if name in CATALOGUE else name
        self._built = None
        self._lock = threading.Lock()

    def build(self):
        """``(function, receptive_radius)``: built on the first call, the same objects after."""
        with self._lock:
            if self._built is None:
                if self.uncertainty:
                    from sunpy_sr.inference import network_runner
                    from sunpy_sr.weights import load_network
                    model, _ = load_network(self.options.get("weights"), default=self.name)
                    func = network_runner(model, device=self.options.get("device", "cpu"),
                                          dtype=self.dtype, spread=True)
                    self._built = (func, model.receptive_radius())
                elif self.method.is_network:
                    self._built = self.method.build(**{**self.options, "dtype": self.dtype})
                else:
                    self._built = self.method.build(**self.options)
            return self._built

    @property
    def history(self):
        """The ``HISTORY`` line of an output."""
        line = f"sunpy_sr {version}: super-resolved {self.method.scale}x with {self.name}"
        line += f" ({self.model})" if self.model else ""
        if self.uncertainty:
            line += "; 16-symmetry self-ensemble mean, uncertainty = its standard deviation"
        return line

    @property
    def keys(self):
        """Provenance keywords: ``SRMETHOD``, ``SRFACTOR``, ``SRVERS``, ``SRDTYPE`` (``SRMODEL``)."""
        keys = {"srmethod": self.name, "srfactor": self.method.scale, "srvers": version}
        if self.model:
            keys["srmodel"] = self.model
        keys["srdtype"] = self.dtype
        return keys

    #: FITS comments of the provenance keywords that have one
    comments = {"srdtype": "compute precision of the method"}

    def __repr__(self):
        opts = "".join(f", {k}={v!r}" for k, v in self.options.items())
        unc = ", uncertainty=True" if self.uncertainty else ""
        return f"PreparedMethod({self.name!r}{unc}{opts})"


def prepare_method(method=DEFAULT_METHOD, *, uncertainty=False, **options):
    """
    Build a method once for many maps (a loop over files, a worker of a batch).

    Parameters
    ----------
    method : str
        A registered method (see `superresolve`).
    uncertainty : bool
        Prepare the 16-symmetry self-ensemble with its spread (networks only; see
        `superresolve`).
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
        if uncertainty and not method.uncertainty:
            raise SunpySRError("uncertainty=True needs a method prepared with uncertainty=True")
        return method
    if not isinstance(method, str):
        raise SunpySRTypeError(f"method must be a method name or a PreparedMethod, "
                               f"got {type(method).__name__}")
    return PreparedMethod(method, uncertainty=uncertainty, **options)


def superresolve(smap, method=DEFAULT_METHOD, *, tile_size=768, progress=False, threads=None,
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
        A registered method: ``"rcan"`` (default: the bundled RCAN network trained
        on real HMI), ``"linear"`` (least-squares optimal linear filter) or
        ``"bicubic"``. See `sunpy_sr.methods.available_methods`. A method built
        once by `prepare_method` is reused as it is (its options are its own).
    tile_size : int or None
        Core tile size in input pixels. Tiles are padded by the method's receptive
        field, so the result does not depend on it; None runs the map in one piece.
    progress : bool
        Show a progress bar over tiles (over frames for a sequence or a cube).
    threads : int, optional
        CPU threads to use (default: torch's own choice, one per physical core);
        the torch setting is restored afterwards.
    tile_workers : int
        Tiles computed at once, each on ``threads // tile_workers`` torch threads.
        Two single-threaded tiles keep 2 cores busier than one tile on two threads
        (a full HMI disk with ``rcan``: 363 s instead of 371 s on 2 cores), but hold
        two tiles' activations in memory (peak RSS 3.17 instead of 2.89 GB), so the
        default is 1.
    assume_magnetogram : bool
        Skip the product and unit checks.
    out : `numpy.ndarray`, optional
        Preallocated float32 output (e.g. a `numpy.memmap`) of the output shape
        (a single map or array only).
    uncertainty : bool
        Networks only. Run the 16-symmetry self-ensemble (as ``ensemble=True``: the data
        are its mean) and attach the standard deviation of the 16 outputs (ddof 0), in
        the output's unit, as an `astropy.nddata.StdDevUncertainty`: a Map's and an
        NDCube's ``.uncertainty`` (per map for a MapSequence); an array input returns
        ``(sr, std)``. It measures the network's sensitivity to the orientation and
        polarity of its input, not the error of the output: on held-out real HMI the
        error is several times larger than this spread (``docs/many_maps.rst``). 16x
        the time of one pass. sunpy does not write ``.uncertainty`` to FITS: save
        ``sr.uncertainty.array`` yourself if you need it on disk.
    **options
        Method options: ``weights=PATH`` (your own weights from ``sunpy-sr train``),
        ``ensemble=True`` (networks: average over the 16 training symmetries, 16x the time),
        ``device="cpu"|"cuda"|"mps"``, ``dtype="float32"|"bfloat16"|"auto"`` for networks
        (default "float32"; "auto" is bfloat16 on a CPU with native bfloat16, see
        `sunpy_sr.inference.native_bfloat16`, and float32 otherwise). The precision used
        is recorded as ``SRDTYPE``.

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
    if threading.current_thread() is not threading.main_thread():
        return superresolve_dispatch(smap, prepared, **kwargs)
    # Warnings from the layers below (validation, method) point at the caller's line, as they
    # did before the dispatch added frames. The caller's filters still apply inside ("error"
    # raises at once), and only the main thread does this: catch_warnings is process-wide.
    caught = []
    try:
        with warnings.catch_warnings(record=True) as caught:
            return superresolve_dispatch(smap, prepared, **kwargs)
    finally:
        for w in caught:
            warnings.warn(w.message, w.category, stacklevel=2)


def _list_methods_in_docstring(template=superresolve.__doc__):
    """Registry listener: the docstring lists the registered methods, also those registered later."""
    if template is not None:  # python -OO strips docstrings
        superresolve.__doc__ = template.replace(
            "See `sunpy_sr.methods.available_methods`.",
            f"Registered: {', '.join(available_methods())}.")


from sunpy_sr.methods.registry import _LISTENERS  # noqa: E402

_LISTENERS.append(_list_methods_in_docstring)
_list_methods_in_docstring()
