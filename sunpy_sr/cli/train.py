"""``sunpy-sr train``: train a network on a folder of HMI magnetograms."""
from pathlib import Path

__all__ = ["add_parser", "run"]


def add_parser(subparsers, parents):
    p = subparsers.add_parser(
        "train", parents=parents, help="train a network on a folder of HMI magnetograms",
        description="Train a network on a folder of HMI magnetograms (sunpy_sr.training.train_from_folder); "
                    "OUT/checkpoint.pt holds everything an exact resume needs.")
    p.add_argument("arch", choices=["rcan"], help="architecture (rcan)")
    p.add_argument("--data", required=True, help="folder with *magnetogram*.fits")
    p.add_argument("--out", required=True, help="output folder (checkpoints, logs)")
    p.add_argument("--config", help="run file (JSON); see training/rcan-small/rcan-small.json")
    p.add_argument("--preset", help="architecture preset, e.g. rcan-small, rcan-paper")
    p.add_argument("--iterations", type=int)
    p.add_argument("--resume", action="store_true", help="continue exactly from OUT/checkpoint.pt")
    p.add_argument("--overwrite", action="store_true",
                   help="start afresh even if OUT/checkpoint.pt exists (default: refuse; see --resume)")
    return p


def run(args):
    checkpoint = Path(args.out) / "checkpoint.pt"
    if checkpoint.exists() and not (args.resume or args.overwrite):
        raise FileExistsError(f"{checkpoint} exists; pass --resume to continue it "
                              "or --overwrite to start afresh")
    from sunpy_sr.training import TrainConfig, load_run_file, train_from_folder
    config = None
    if args.iterations or args.preset:
        config = load_run_file(args.config)[0] if args.config else TrainConfig()
        config.iterations = args.iterations or config.iterations
        config.preset = args.preset or config.preset
    train_from_folder(args.data, args.out, args.config, config=config, resume=args.resume,
                      progress=False if args.quiet else None)
    print(f"training done: {checkpoint}")
