"""Network methods, each built from the weight catalogue (`sunpy_sr.weights.catalogue`)."""
from sunpy_sr.exceptions import SunpySRError, SunpySRTypeError
from sunpy_sr.methods.registry import register_method
from sunpy_sr.weights.catalogue import CATALOGUE

__all__ = ["register_network", "bundled_weights_stem"]

_OPTIONS = ("weights", "device", "dtype", "tile_batch", "ensemble", "consistent", "spread")


def bundled_weights_stem(method):
    """
    The stem of ``method``'s bundled weight file, or ``method`` itself when none is bundled.

    This is the name a super-resolved map's provenance records for the network's weights.

    Examples
    --------
    >>> from sunpy_sr.methods.networks import bundled_weights_stem
    >>> bundled_weights_stem("my-own-network")
    'my-own-network'
    """
    return CATALOGUE[method].stem if method in CATALOGUE else method


def register_network(method, *, description, min_size=8, consistent=False):
    """
    Register ``method`` as a network whose bundled weights are ``CATALOGUE[method]``.

    The built function takes the options ``weights`` (a user's own weight file or training
    checkpoint, of any registered architecture), ``device``, ``dtype`` ("auto", the default,
    "float32" or "bfloat16"), ``tile_batch`` (1, another positive integer or "auto": tiles
    of one shape per forward pass), ``ensemble`` (see `sunpy_sr.inference.network_runner`)
    ``consistent`` (this registration's ``consistent`` by default; True or a degradation
    recipe projects each padded tile's output so that it degrades to its input:
    `sunpy_sr.inference.consistency.consistent_method`; False does not) and ``spread``
    (False; True makes the function return ``(mean, std)`` of the 16-symmetry self-ensemble:
    ``superresolve(..., uncertainty="ensemble")``). Its error model is the one bundled for
    ``method``, or for ``weights`` the one beside that file.

    ``consistent=True`` here makes the projection the method's default: for a network
    trained and chosen with its output projected (``progan``). The 16-symmetry spread
    (``spread``) is that of the network alone, without a default projection.
    """
    default_consistent = consistent

    def build(*, weights=None, device="cpu", dtype="auto", tile_batch=1, ensemble=False, consistent=None,
              spread=False, **options):
        if options:
            raise SunpySRTypeError(f"{method} takes the options {', '.join(_OPTIONS)}; got {sorted(options)}")
        from sunpy_sr.inference import network_runner
        from sunpy_sr.inference.consistency import consistency_recipe, consistent_method
        from sunpy_sr.inference.precision import check_dtype
        from sunpy_sr.inference.runner import check_tile_batch
        from sunpy_sr.weights import load_network
        consistency_recipe(consistent)  # a bad value fails before the network loads
        check_dtype(dtype)
        check_tile_batch(tile_batch)
        model, _ = load_network(weights, default=method)
        if spread:
            if consistent not in (None, False) or ensemble:
                raise SunpySRError("the 16-symmetry spread (uncertainty='ensemble') runs the self-ensemble "
                                   "itself and cannot be combined with consistent or ensemble")
            return (network_runner(model, device=device, dtype=dtype, spread=True, tile_batch=tile_batch),
                    model.receptive_radius())
        run = network_runner(model, device=device, dtype=dtype, ensemble=ensemble, tile_batch=tile_batch)
        if consistent is None:
            consistent = default_consistent
        return consistent_method(run, model.receptive_radius(), consistent, scale=getattr(model, "scale", 4))

    build.options = tuple(o for o in _OPTIONS if o != "spread")  # checked by PreparedMethod at the door
    build.defaults = {"consistent": default_consistent}  # what an option left out means

    def error_model(*, weights=None, device="cpu", **options):
        from sunpy_sr.inference.runner import resolve_device
        from sunpy_sr.weights import load_error_model
        return load_error_model(method, weights=weights, device=resolve_device(device).type)
    register_method(method, scale=4, min_size=min_size, is_network=True, description=description,
                    error_model=error_model)(build)
    return build


register_network("rcan", description="residual channel attention network (Zhang et al. 2018; Rahman et al. "
                                      f"2020) trained on real HMI; bundled weights: {CATALOGUE['rcan'].stem}")
register_network("rcan-small", description="a larger, slower RCAN (preset rcan-small) trained on real "
                                            "HMI, the former default; rcan is at least as good (results "
                                            "docs)")
register_network("rcan-fast", description="a 4,255-parameter RCAN (preset rcan-tiny) trained on real HMI: "
                                          "several times faster than rcan (performance docs), between "
                                          "linear and rcan in quality")
register_network("progan", consistent=True,
                 description="progressive GAN generator (ProGanSR, Wang et al. 2018; Rahman et al. 2020): "
                             "bicubic + predicted residual, fine-tuned adversarially (relativistic "
                             "least-squares GAN on full-resolution residuals, gradient-spectrum and L1 "
                             "terms, the L1 term against a target sharpened by a spectral gain) with its "
                             "output projected onto the maps that degrade to the input, in training and "
                             "by default (consistent=True); more and smaller magnetic elements than rcan "
                             "and power above the LR Nyquist closer to the target's, at a lower PSNR "
                             f"(results docs); bundled weights: {CATALOGUE['progan'].stem}")
register_network("progan-gan3", consistent=True,
                 description="the progan generator bundled before this version (trained and chosen with "
                             "the projection, consistent=True by default, without sharpened targets), "
                             "kept so that earlier results reproduce")
register_network("progan-gan", description="the adversarially fine-tuned progan generator bundled before "
                                           "progan-gan3 (without the projection), kept so that earlier "
                                           "results reproduce")
register_network("progan-small-l1gan", description="the pixel-trained progan generator (600 weak "
                                                   "adversarial iterations) that progan-gan was "
                                                   "fine-tuned from")
