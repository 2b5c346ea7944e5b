"""``sunpy-sr export-weights``: write a training checkpoint's network as a weight file and its JSON."""
from pathlib import Path

from sunpy_sr.cli import _common

__all__ = ["add_parser", "run"]


def add_parser(subparsers, parents):
    p = subparsers.add_parser(
        "export-weights", parents=parents, help="write a checkpoint's network as a weight file + JSON",
        description="Write a training checkpoint's network as OUT (.pt, tensors only) and OUT's .json "
                    "(architecture, SHA-256, training data), for superresolve(..., weights=OUT).")
    p.add_argument("checkpoint", help="a checkpoint written by sunpy-sr train")
    p.add_argument("output", help="output .pt (the .json goes beside it)")
    p.add_argument("--metadata", help="JSON file of extra metadata (data, metrics)")
    p.add_argument("--fp32", action="store_true", help="store float32 (default float16)")
    _common.add_overwrite_option(p, "the output files")
    return p


def run(args):
    out = Path(args.output)
    for path in (out, out.with_suffix(".json")):
        _common.check_output(path, args.overwrite)
    if not Path(args.checkpoint).exists():
        raise FileNotFoundError(f"no such file: {args.checkpoint}")
    import json

    from sunpy_sr.weights import export_weights
    extra = json.loads(Path(args.metadata).read_text()) if args.metadata else {}
    out = export_weights(args.checkpoint, out, fp16=not args.fp32, **extra)
    print(f"wrote {out} and {out.with_suffix('.json')}")
