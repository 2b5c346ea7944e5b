"""Drawing augmented training patches, balanced between quiet Sun and strong fields."""
import numpy as np
import torch

from sunpy_sr.core.grid import apply_symmetry
from sunpy_sr.exceptions import SunpySRError

__all__ = ["PatchSampler"]


class PatchSampler:
    """
    Draws augmented (LR, HR) patch batches, balancing quiet Sun and strong fields.

    Candidate patches lie on a grid of stride ``patch // 2`` (LR pixels) in every
    pair; a candidate is *strong* when its HR ``max |B|`` exceeds ``strong_threshold``.
    With probability ``strong_fraction`` a patch is drawn from the strong
    candidates, otherwise from all. Each patch gets one of the 8 symmetries of the
    square (rotations by 90 degrees and flips), which move pixels but keep the
    sign of the LOS field, and, with ``sign_flip``, a reversal of polarity with
    probability 1/2: the degradation is linear and the Sun has no preferred
    polarity, so ``-B`` is as valid a training pair as ``B``.
    """

    def __init__(self, pairs, patch, factor, strong_fraction, strong_threshold, rng, sign_flip=False):
        self.pairs, self.patch, self.factor = pairs, patch, factor
        self.strong_fraction = strong_fraction
        self.sign_flip = sign_flip
        self.rng = rng
        all_c, strong_c = [], []
        step = max(1, patch // 2)
        for k, lr in enumerate(pairs.lr):
            ny, nx = lr.shape
            for r in range(0, ny - patch + 1, step):
                for c in range(0, nx - patch + 1, step):
                    all_c.append((k, r, c))
                    hr = pairs.hr[k][r * factor:(r + patch) * factor, c * factor:(c + patch) * factor]
                    if np.abs(hr).max() > strong_threshold:
                        strong_c.append((k, r, c))
        if not all_c:
            raise SunpySRError(f"no LR crop is at least {patch} pixels wide")
        self.all, self.strong = np.array(all_c), np.array(strong_c).reshape(-1, 3)

    def batch(self, n):
        lrs, hrs = [], []
        f, p = self.factor, self.patch
        for _ in range(n):
            use_strong = len(self.strong) and self.rng.random() < self.strong_fraction
            pool = self.strong if use_strong else self.all
            k, r, c = pool[self.rng.integers(len(pool))]
            lr = self.pairs.lr[k][r:r + p, c:c + p]
            hr = self.pairs.hr[k][r * f:(r + p) * f, c * f:(c + p) * f]
            rot, flip = int(self.rng.integers(4)), bool(self.rng.integers(2))
            sign = -1.0 if (self.sign_flip and self.rng.integers(2)) else 1.0
            lr, hr = apply_symmetry(lr, rot, flip, sign), apply_symmetry(hr, rot, flip, sign)
            lrs.append(lr.copy())
            hrs.append(hr.copy())
        return (torch.from_numpy(np.stack(lrs)[:, None]), torch.from_numpy(np.stack(hrs)[:, None]))
