"""``sunpy-sr degrade``: degrade a magnetogram as the training pairs are made (the forward model)."""
from sunpy_sr.cli import _common

__all__ = ["add_parser", "run"]


def add_parser(subparsers, parents):
    p = subparsers.add_parser(
        "degrade", parents=parents, help="degrade a magnetogram (Gaussian + bilinear, or block mean)",
        description="Degrade a magnetogram FITS file (sunpy_sr.degrade): a 5x5 Gaussian of sigma 2 HR px "
                    "then bilinear down-sampling (the paper's recipe), or a block mean (bin).")
    p.add_argument("input", help="input FITS file")
    p.add_argument("output", help="output FITS file")
    p.add_argument("--factor", type=int, default=4, help="down-sampling factor (default 4)")
    p.add_argument("--method", default="gaussian-bilinear", choices=["gaussian-bilinear", "bin"],
                   help="gaussian-bilinear (default) or bin")
    p.add_argument("--sigma", type=float, default=2.0, help="Gaussian sigma in HR pixels (default 2)")
    p.add_argument("--kernel-size", type=int, default=5, help="Gaussian kernel size (default 5)")
    _common.add_overwrite_option(p)
    _common.add_compress_option(p)
    return p


def run(args):
    _common.check_output(args.output, args.overwrite)  # refuse before any work
    _common.check_input(args.input)  # before sunpy is imported
    import sunpy_sr
    lr = sunpy_sr.degrade(_common.read_map(args.input), factor=args.factor, method=args.method,
                          sigma=args.sigma, kernel_size=args.kernel_size)
    _common.write_map(lr, args.output, overwrite=args.overwrite, compress=args.compress)
    print(f"wrote {args.output}: {lr.data.shape[1]}x{lr.data.shape[0]} px at {lr.scale[0]:.4f}")
