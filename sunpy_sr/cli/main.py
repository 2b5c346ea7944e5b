"""
The ``sunpy-sr`` command line.

::

    sunpy-sr superresolve IN.fits OUT.fits [--method rcan] [--weights W.pt]
    sunpy-sr superresolve --sample OUT.fits          # the bundled real HMI cutout
    sunpy-sr degrade IN.fits OUT.fits [--factor 4] [--method gaussian-bilinear|bin]
    sunpy-sr train rcan --data DIR --out DIR [--config RUN.json] [--resume]
    sunpy-sr export-weights CHECKPOINT.pt OUT.pt
    sunpy-sr fit-linear --data DIR --out linear.npz [--config RUN.json]
    sunpy-sr evaluate --data DIR --methods bicubic,linear,rcan [--out DIR]

Errors print one line (``sunpy-sr: error: ...``) and exit with status 1; an
output file is written to a temporary name and renamed only when complete, so a
failure never leaves a half-written file.
"""
import argparse
import os
import sys
import warnings
from pathlib import Path

__all__ = ["main"]


def _write_map_atomic(smap, out):
    out = Path(out)
    if not out.parent.is_dir():
        raise FileNotFoundError(f"output folder {out.parent} does not exist")
    tmp = out.with_name(f".{out.name}.partial.fits")
    try:
        smap.save(tmp, overwrite=True, filetype="fits")
        os.replace(tmp, out)
    finally:
        if tmp.exists():
            tmp.unlink()


def _read_map(path):
    import sunpy.map
    if not Path(path).exists():
        raise FileNotFoundError(f"no such file: {path}")
    m = sunpy.map.Map(path)
    if isinstance(m, list):
        raise ValueError(f"{path} holds {len(m)} images; give one map")
    return m


def _cmd_superresolve(a):
    import sunpy_sr
    if a.sample:
        from sunpy_sr.data import sample
        smap, out = sample.hmi_active_region(), a.sample
    else:
        if not a.input or not a.output:
            raise ValueError("give IN.fits OUT.fits, or --sample OUT.fits")
        smap, out = _read_map(a.input), a.output
    opts = {"weights": a.weights} if a.weights else {}
    if a.device:
        opts["device"] = a.device
    buffer, buffer_path = None, None
    if a.memmap:
        import tempfile

        import numpy as np
        from sunpy_sr.methods import get_method
        scale = get_method(a.method).scale
        fd, buffer_path = tempfile.mkstemp(suffix=".sr.mmap", dir=Path(out).resolve().parent)
        os.close(fd)
        buffer = np.memmap(buffer_path, dtype=np.float32, mode="w+",
                           shape=tuple(scale * n for n in smap.data.shape))
    try:
        sr = sunpy_sr.superresolve(smap, method=a.method, tile_size=a.tile_size, progress=not a.quiet,
                                   threads=a.threads, out=buffer, **opts)
        _write_map_atomic(sr, out)
    finally:
        if buffer_path is not None:
            del buffer
            os.unlink(buffer_path)
    print(f"wrote {out}: {sr.data.shape[1]}x{sr.data.shape[0]} px at {sr.scale[0]:.4f} ({a.method})")


def _cmd_degrade(a):
    import sunpy_sr
    lr = sunpy_sr.degrade(_read_map(a.input), factor=a.factor, method=a.method, sigma=a.sigma,
                          kernel_size=a.kernel_size)
    _write_map_atomic(lr, a.output)
    print(f"wrote {a.output}: {lr.data.shape[1]}x{lr.data.shape[0]} px at {lr.scale[0]:.4f}")


def _cmd_train(a):
    from sunpy_sr.training import TrainConfig, train_from_folder
    config = None
    if a.iterations or a.preset:
        from sunpy_sr.training import load_run_file
        config = load_run_file(a.config)[0] if a.config else TrainConfig()
        config.iterations = a.iterations or config.iterations
        config.preset = a.preset or config.preset
    train_from_folder(a.data, a.out, a.config, config=config, resume=a.resume, progress=not a.quiet)
    print(f"training done: {Path(a.out) / 'checkpoint.pt'}")


def _cmd_export(a):
    import json

    from sunpy_sr.weights import export_weights
    extra = json.loads(Path(a.metadata).read_text()) if a.metadata else {}
    out = export_weights(a.checkpoint, a.output, fp16=not a.fp32, **extra)
    print(f"wrote {out} and {out.with_suffix('.json')}")


def _run_pairs(a):
    from sunpy_sr.core.pairs import PairRecipe, find_magnetograms, make_pairs, select_by_date
    from sunpy_sr.training import load_run_file
    files = find_magnetograms(a.data)
    spec, recipe = {}, PairRecipe()
    if a.config:
        config, spec = load_run_file(a.config)
        recipe = PairRecipe(**config.recipe)
    if "train_dates" in spec:
        files = select_by_date(files, spec["train_dates"])
    return make_pairs(files, recipe, Path(a.out).parent / "cache")


def _cmd_fit_linear(a):
    from sunpy_sr.methods.linear import fit_linear_filter
    pairs = _run_pairs(a)
    filt = fit_linear_filter(pairs, size=a.size)
    filt.save(a.out, fitted_on=sorted(set(pairs.source)), size=a.size)
    print(f"wrote {a.out} ({len(pairs)} pairs)")


def _cmd_evaluate(a):
    from sunpy_sr.evaluation import run_evaluation
    run_evaluation(a.data, a.methods.split(","), out_dir=a.out, max_distance=a.max_distance,
                   size=a.size, stride=a.stride, progress=not a.quiet)


def _parser():
    p = argparse.ArgumentParser(prog="sunpy-sr", description="4x super-resolution of HMI magnetograms")
    p.add_argument("--quiet", action="store_true", help="no progress bars")
    sub = p.add_subparsers(dest="command", required=True)

    s = sub.add_parser("superresolve", help="super-resolve a magnetogram FITS file 4x")
    s.add_argument("input", nargs="?", help="input FITS file (LOS magnetogram)")
    s.add_argument("output", nargs="?", help="output FITS file")
    s.add_argument("--sample", metavar="OUT", help="super-resolve the bundled real HMI cutout into OUT")
    s.add_argument("--method", default="rcan", help="bicubic, linear or rcan (default)")
    s.add_argument("--weights", help="your own weight file (from sunpy-sr train / export-weights)")
    s.add_argument("--tile-size", type=int, default=768, help="tile size in input pixels (default 768)")
    s.add_argument("--threads", type=int, help="torch threads (default: all cores)")
    s.add_argument("--device", help="cpu (default), cuda or mps")
    s.add_argument("--memmap", action="store_true",
                   help="keep the output in a memory-mapped file beside OUT while it is computed "
                        "(for full disks on machines with little memory)")
    s.set_defaults(func=_cmd_superresolve)

    s = sub.add_parser("degrade", help="degrade a magnetogram (Gaussian + bilinear, or block mean)")
    s.add_argument("input")
    s.add_argument("output")
    s.add_argument("--factor", type=int, default=4)
    s.add_argument("--method", default="gaussian-bilinear", choices=["gaussian-bilinear", "bin"])
    s.add_argument("--sigma", type=float, default=2.0, help="Gaussian sigma in HR pixels")
    s.add_argument("--kernel-size", type=int, default=5)
    s.set_defaults(func=_cmd_degrade)

    s = sub.add_parser("train", help="train a network on a folder of HMI magnetograms")
    s.add_argument("arch", choices=["rcan"])
    s.add_argument("--data", required=True, help="folder with *magnetogram*.fits")
    s.add_argument("--out", required=True, help="output folder (checkpoints, logs)")
    s.add_argument("--config", help="run file (JSON); see training/rcan-small.json")
    s.add_argument("--preset", help="architecture preset, e.g. rcan-small, rcan-paper")
    s.add_argument("--iterations", type=int)
    s.add_argument("--resume", action="store_true", help="continue exactly from OUT/checkpoint.pt")
    s.set_defaults(func=_cmd_train)

    s = sub.add_parser("export-weights", help="write a checkpoint's network as a weight file + JSON")
    s.add_argument("checkpoint")
    s.add_argument("output")
    s.add_argument("--metadata", help="JSON file of extra metadata (data, metrics)")
    s.add_argument("--fp32", action="store_true", help="store float32 (default float16)")
    s.set_defaults(func=_cmd_export)

    s = sub.add_parser("fit-linear", help="fit the least-squares optimal linear 4x filter")
    s.add_argument("--data", required=True)
    s.add_argument("--out", required=True, help="output .npz")
    s.add_argument("--config", help="run file (JSON) giving the training dates and crop recipe")
    s.add_argument("--size", type=int, default=7, help="LR neighbourhood (odd)")
    s.set_defaults(func=_cmd_fit_linear)

    s = sub.add_parser("evaluate", help="the paper's Table 1 and Figures 2-3 for several methods")
    s.add_argument("--data", required=True, help="a FITS file or a folder of *magnetogram*.fits")
    s.add_argument("--methods", default="bicubic,linear,rcan")
    s.add_argument("--out", default="evaluation", help="folder for the table and figures")
    s.add_argument("--max-distance", type=float, default=500.0, help='arcsec from disk centre')
    s.add_argument("--size", type=int, default=512, help="HR crop size (pixels)")
    s.add_argument("--stride", type=int, default=512, help="HR crop stride (pixels)")
    s.set_defaults(func=_cmd_evaluate)
    return p


def main(argv=None):
    """Entry point of ``sunpy-sr``; returns the exit status."""
    args = _parser().parse_args(argv)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("default")
            args.func(args)
    except KeyboardInterrupt:
        print("sunpy-sr: interrupted", file=sys.stderr)
        return 130
    except Exception as e:  # one clear line, no traceback (sunpy's messages span several lines)
        print(f"sunpy-sr: error: {' '.join(str(e).split()) or type(e).__name__}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
