"""The configuration of a training run (saved in every checkpoint and run file)."""
from dataclasses import dataclass, field

from sunpy_sr.models.registry import get_preset

__all__ = ["TrainConfig"]


@dataclass
class TrainConfig:
    """Everything that defines a training run (saved in every checkpoint)."""
    preset: str = "rcan-small"
    model: dict = field(default_factory=dict)       # overrides of the preset
    iterations: int = 10000
    batch_size: int = 8
    patch: int = 48                                 # LR patch size (pixels); HR is factor x
    lr: float = 1e-4
    lr_halving: int = 200000                        # iterations between halvings (paper: 2e5)
    betas: tuple = (0.9, 0.999)
    seed: int = 0
    strong_fraction: float = 0.5                    # share of patches drawn from strong-field places
    strong_threshold: float = 300.0                 # G: a patch is "strong" if max |B_HR| exceeds this
    checkpoint_every: int = 500
    validate_every: int = 500
    threads: int = 0                                # 0: all cores
    recipe: dict = field(default_factory=dict)      # PairRecipe fields for training files
    val_recipe: dict = field(default_factory=dict)  # PairRecipe fields for validation files
    loss: str = "l1"                                # "l1" (the paper) or "mse" (aligned with PSNR)
    sign_flip: bool = True                          # also augment B -> -B (physics is sign-symmetric)
    init_weights: str = ""                          # start from these weights (fine-tuning, or growing a
                                                    # shallower RCAN deeper); "" = random
    gan: dict = field(default_factory=dict)         # progressive-GAN settings (`GanSettings` fields):
                                                    # set, the run trains with the adversarial strategy

    def model_config(self):
        cfg = get_preset(self.preset)
        cfg.update(self.model)
        return cfg
