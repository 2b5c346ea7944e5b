"""``sunpy-sr fit-errors``: fit and calibrate a method's error model (what ``uncertainty=True`` uses).

The recipe of ``tools/fit_error_models.py`` (`sunpy_sr.training.error_fit`) on the user's files:
each ``--fit`` and ``--calibrate`` file is a real HR magnetogram, degraded here, super-resolved
by the frozen method and compared with the HR data; an ``ErrorNet`` is fit on the residuals of
the ``--fit`` files and calibrated on those of the ``--calibrate`` files (other files: residuals
a network was fit on underestimate its error).
"""
import dataclasses
import os
from pathlib import Path

from sunpy_sr.cli import _common

__all__ = ["add_parser", "run"]

#: ErrorNet presets ``--preset`` accepts (`sunpy_sr.models.registry`)
PRESETS = ("errornet-small", "errornet-tiny")


def add_parser(subparsers, parents):
    p = subparsers.add_parser(
        "fit-errors", parents=parents, help="fit and calibrate a method's error model (uncertainty=True)",
        description="Fit and calibrate the error model of METHOD (the calibrated 1-sigma error map of "
                    "superresolve(..., uncertainty=True)) on real HR magnetograms, degraded here: the "
                    "network is fit on the residuals of the --fit files and calibrated on those of the "
                    "--calibrate files, which must be other files, none of them a training image of the "
                    "method. Writes OUT.pt and its OUT.json and prints the calibration on the "
                    "--calibrate files.")
    p.add_argument("method", metavar="METHOD", help="a registered method, e.g. rcan, rcan-fast, progan")
    p.add_argument("--fit", nargs="+", required=True, metavar="FILE",
                   help="HR magnetogram FITS files whose residuals fit the network")
    p.add_argument("--calibrate", nargs="+", required=True, metavar="FILE",
                   help="other HR magnetogram FITS files, on which the calibration factors are set "
                        "and reported")
    p.add_argument("--weights", metavar="W.pt",
                   help="the method's network weights (default: the bundled ones); the error model is "
                        "then written as W-errors.pt beside them, where superresolve(..., weights=W.pt, "
                        "uncertainty=True) finds it")
    p.add_argument("--out", metavar="OUT.pt",
                   help="output error model (.pt; OUT.json is written beside it); default with "
                        "--weights: W-errors.pt beside W.pt; required without --weights")
    p.add_argument("--iterations", type=int, metavar="N",
                   help="training iterations of the network (default 2000, as for the bundled ones)")
    p.add_argument("--preset", choices=PRESETS, default="errornet-small",
                   help="network size (default errornet-small; errornet-tiny for classical methods or "
                        "quick tests)")
    _common.add_overwrite_option(p, "the output error model (OUT.pt, OUT.json)")
    return p


def _out_path(args):
    if args.out is not None:
        out = Path(args.out)
    elif args.weights is not None:
        from sunpy_sr.weights.catalogue import ERROR_SUFFIX  # where error_model_path looks
        w = Path(args.weights)
        out = w.with_name(w.stem + ERROR_SUFFIX + ".pt")
    else:
        raise _common.UsageError("--out is required without --weights")
    if out.suffix != ".pt":
        raise _common.UsageError(f"--out must end in .pt (its .json goes beside it), got {out}")
    return out


def _check_files(args):
    fit = {Path(f).resolve(): f for f in args.fit}
    for f in args.calibrate:
        if Path(f).resolve() in fit:
            raise _common.UsageError(f"{f} is both a --fit and a --calibrate file; the calibration must "
                                     "be on other files than the fit")
    if args.iterations is not None and args.iterations < 1:
        raise _common.UsageError(f"--iterations must be at least 1, got {args.iterations}")
    for f in [*args.fit, *args.calibrate, *([args.weights] if args.weights else [])]:
        if not Path(f).is_file():
            raise FileNotFoundError(f"no such file: {f}")


def run(args):
    out = _out_path(args)
    _check_files(args)
    _common.check_output(out, args.overwrite)
    _common.check_output(out.with_suffix(".json"), args.overwrite)

    from sunpy_sr.inference.errors import ErrorModel
    from sunpy_sr.methods import get_method
    from sunpy_sr.training.error_fit import (
        ErrorFitConfig,
        calibrate,
        calibration_report,
        error_model_metadata,
        fit_error_net,
        residual_image,
    )
    from sunpy_sr.weights import export_error_model

    method = get_method(args.method)
    func, radius = method.build(weights=args.weights) if args.weights else method.build()
    fit = [residual_image(_common.read_map(f), func, radius, name=Path(f).name) for f in args.fit]
    cal_images = [residual_image(_common.read_map(f), func, radius, name=Path(f).name)
                  for f in args.calibrate]
    config = ErrorFitConfig(preset=args.preset)
    if args.iterations is not None:
        config = dataclasses.replace(config, iterations=args.iterations)
    net = fit_error_net(fit, config, progress=False if args.quiet else None)
    cal = calibrate(net, cal_images, config, fallback_images=fit)
    stats = calibration_report(ErrorModel(net, cal, name=out.stem), cal_images)["all"]
    extra = {"weights": Path(args.weights).name} if args.weights else {}
    meta = error_model_metadata(config, cal, method=args.method, **extra,
                                fit_files=[Path(f).name for f in args.fit],
                                calibration_files=[Path(f).name for f in args.calibrate])
    # written beside OUT under a temporary name, renamed when complete (the .json holds the .pt's hash)
    tmp = out.with_name(f".{out.stem}.partial.pt")
    try:
        export_error_model(net, tmp, meta)
        os.replace(tmp.with_suffix(".json"), out.with_suffix(".json"))
        os.replace(tmp, out)
    finally:
        for p in (tmp, tmp.with_suffix(".json")):
            p.unlink(missing_ok=True)
    print(f"wrote {out} and {out.with_suffix('.json').name} ({args.method}, {config.preset}, "
          f"{config.iterations} iterations)")
    print(f"calibration files ({stats['n']} pixels): rms_z {stats['rms_z']:.3f}, "
          f"coverage_1 {stats['coverage_1']:.3f}, coverage_2 {stats['coverage_2']:.3f}, "
          f"nll {stats['nll']:.3f} vs nll_constant {stats['nll_constant']:.3f} nats/pixel")
