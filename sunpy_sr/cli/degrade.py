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
    p.add_argument("--assume-magnetogram", action="store_true",
                   help="skip the product and unit checks (as superresolve's option): values in "
                        "another unit are degraded as they are, and keep their BUNIT")
    _common.add_overwrite_option(p)
    _common.add_compress_option(p)
    return p


def run(args):
    _common.check_output(args.output, args.overwrite)  # refuse before any work
    _common.check_input(args.input)  # before sunpy is imported
    import sunpy_sr
    from sunpy_sr.core.units import is_field_unit
    from sunpy_sr.core.validation import check_magnetogram
    with _common.magnetogram_advice():
        smap = _common.read_map(args.input, assume_magnetogram=args.assume_magnetogram,
                                array_call="sunpy_sr.degrade(array)")
        if not args.assume_magnetogram:
            check_magnetogram(smap)  # the product error of superresolve
    bunit = smap.meta.get("bunit")
    if args.assume_magnetogram and smap.unit is not None and not is_field_unit(smap.unit):
        # sunpy_sr.degrade refuses a unit that is not a field; the caller vouches for the values
        smap = smap._new_instance(smap.data, {k: v for k, v in smap.meta.items() if k != "bunit"})
    lr = sunpy_sr.degrade(smap, factor=args.factor, method=args.method, sigma=args.sigma,
                          kernel_size=args.kernel_size)
    if bunit is not None:
        lr.meta["bunit"] = bunit
    _common.write_map(lr, args.output, overwrite=args.overwrite, compress=args.compress)
    print(f"wrote {args.output}: {lr.data.shape[1]}x{lr.data.shape[0]} px at {lr.scale[0]:.4f}")
