"""``sunpy-sr superresolve``: super-resolve a magnetogram FITS file 4x."""
import argparse
import os
import textwrap
from pathlib import Path

from sunpy_sr.cli import _common

__all__ = ["add_parser", "run"]

DEFAULT_METHOD = "rcan"  # the default of sunpy_sr.superresolve (not imported here: it pulls in torch)


def add_parser(subparsers, parents):
    p = subparsers.add_parser(
        "superresolve", parents=parents, help="super-resolve a magnetogram FITS file 4x",
        description=textwrap.fill("Super-resolve an HMI LOS magnetogram FITS file 4x "
                                  "(sunpy_sr.superresolve): a map with 4x the pixels, the same map class, "
                                  "unit and observer, and an exact WCS.", width=78),
        formatter_class=argparse.RawDescriptionHelpFormatter)  # keeps the method list's lines
    p.add_argument("input", nargs="?", help="input FITS file (LOS magnetogram)")
    p.add_argument("output", nargs="?", help="output FITS file")
    p.add_argument("--sample", metavar="OUT", help="super-resolve the bundled real HMI cutout into OUT")
    method = p.add_argument("--method", default=DEFAULT_METHOD, metavar="METHOD",
                            help=f"a registered method (default: {DEFAULT_METHOD})")
    p.add_argument("--weights", help="your own weight file (from sunpy-sr train / export-weights)")
    p.add_argument("--tile-size", type=int, default=768, help="tile size in input pixels (default 768)")
    p.add_argument("--device", help="cpu (default), cuda or mps")
    p.add_argument("--dtype", default="auto", choices=("auto", "float32", "bfloat16"),
                   help="compute precision of a network (default auto: bfloat16 on a CPU with native "
                        "bfloat16 (avx512_bf16/amx_bf16), else float32; float32 for exact reproduction); "
                        "recorded as SRDTYPE")
    p.add_argument("--memmap", action="store_true",
                   help="keep the output in a memory-mapped file beside OUT while it is computed "
                        "(for full disks on machines with little memory)")
    p.add_argument("--uncertainty", action="store_true",
                   help="also compute the uncertainty (superresolve(..., uncertainty=True)) and write it "
                        "to the UNCERT extension of OUT (astropy CCDData's convention; read it back with "
                        "sunpy_sr.load)")
    p.add_argument("--assume-magnetogram", action="store_true",
                   help="skip the product and unit checks (a map that does not say it is a LOS "
                        "magnetogram, or field values in gauss without a unit)")
    _common.add_overwrite_option(p)
    _common.add_compress_option(p)
    # The registry is imported only when this help is shown (it imports astropy).
    p.help_hooks.append(lambda parser: _describe_methods(parser, method))
    return p


def _describe_methods(parser, method_action):
    from sunpy_sr.methods import available_methods, get_method
    names = available_methods()
    method_action.help = f"one of {', '.join(names)} (default: {DEFAULT_METHOD}; see below)"
    lines = ["registered methods (sunpy_sr.methods.available_methods()):"]
    for name in names:
        lines += textwrap.wrap(get_method(name).description, width=96, initial_indent=f"  {name:<10} ",
                               subsequent_indent=" " * 13)
    parser.epilog = "\n".join(lines)


def run(args):
    if args.sample and (args.input or args.output):
        raise _common.UsageError("give IN.fits OUT.fits, or --sample OUT.fits, not both")
    if not args.sample and not (args.input and args.output):
        raise _common.UsageError("give IN.fits OUT.fits, or --sample OUT.fits")
    out = _common.check_output(args.sample or args.output, args.overwrite)  # refuse before any work
    if args.input:
        _common.check_input(args.input)  # before sunpy and torch are imported

    import sunpy_sr
    from sunpy_sr.methods import get_method
    scale = get_method(args.method).scale  # an unknown method fails here, listing the registered ones
    if args.sample:
        from sunpy_sr.data import sample
        smap = sample.hmi_active_region()
    else:
        with _common.magnetogram_advice():
            smap = _common.read_map(args.input, assume_magnetogram=args.assume_magnetogram)
    options = {"weights": args.weights} if args.weights else {}
    if args.device:
        options["device"] = args.device
    if get_method(args.method).is_network:
        options["dtype"] = args.dtype
    elif args.dtype == "bfloat16":
        raise _common.UsageError(f"--dtype bfloat16 needs a network method; {args.method} runs in float32")
    buffer, buffer_path = None, None
    if args.memmap:
        import tempfile

        import numpy as np
        fd, buffer_path = tempfile.mkstemp(suffix=".sr.mmap", dir=Path(out).resolve().parent)
        os.close(fd)
        buffer = np.memmap(buffer_path, dtype=np.float32, mode="w+",
                           shape=tuple(scale * n for n in smap.data.shape))
    try:
        with _common.magnetogram_advice():
            sr = sunpy_sr.superresolve(smap, method=args.method, tile_size=args.tile_size,
                                       progress=False if args.quiet else None, threads=args.threads,
                                       out=buffer,
                                       assume_magnetogram=args.assume_magnetogram,
                                       uncertainty=args.uncertainty, **options)
        _common.write_map(sr, out, overwrite=args.overwrite, compress=args.compress)
    finally:
        if buffer_path is not None:
            del buffer
            os.unlink(buffer_path)
    extras = (", RICE-compressed" if args.compress else "") + \
        (", with its uncertainty" if args.uncertainty else "")
    print(f"wrote {out}: {sr.data.shape[1]}x{sr.data.shape[0]} px at {sr.scale[0]:.4f} "
          f"({args.method}{extras})")
