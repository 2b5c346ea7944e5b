"""
int8 inference of the bundled default network: its error against float32 and its speed.

The fused default network (``method="rcan"``) is quantised with torch's FX graph mode and
the x86 backend (per-channel int8 weights, int8 activations with observed ranges):

- calibration on real LR inputs from the training data (the 2011-12-17 HMI disk: 6 crops of
  256^2 LR pixels near disk centre, each the 4x degradation of a 1024^2 HR crop; the centre
  512^2 of the training SHARP 4781, for strong fields);
- the field scaling and the global skip (the nearest-neighbour upsampled input) stay
  float32: they cost nothing, and quantising the output in G loses its dynamic range;
- error, in G, of the int8 output against the float32 output on held-out real inputs: the
  2016-07-07 disk centre (4 LR crops of 128^2, degraded from 512^2) and SHARP 377 (the
  degraded cutout); the issue's bar is an RMS below 0.1 G;
- time of one forward on a tile of 256^2 LR pixels plus the receptive padding (as a tile of
  `sunpy_sr.superresolve` is), float32 channels_last against int8, the minimum of 3, next to
  a 2048^2 float32 matmul in the same run.

Prints a table; no assertions. Usage::

    python benchmarks/int8_rcan.py [--shared ../shared] [--size 256]
"""
import argparse
import warnings
from pathlib import Path

import numpy as np
from _timing import best_of

warnings.simplefilter("ignore")
ROOT = Path(__file__).resolve().parents[1]
TRAIN_DISK = "data/hmi/fulldisk/hmi.m_720s.20111217_060000_TAI.magnetogram.fits"
VAL_DISK = "data/hmi/fulldisk/hmi.m_720s.20160707_010000_TAI.magnetogram.fits"
TRAIN_SHARP = "data/hmi/sharp/hmi.sharp_cea_720s.4781.20141106_180000_TAI.magnetogram.fits"
SHARP_377 = "data/hmi/sharp/hmi.sharp_cea_720s.377.20110215_020000_TAI.magnetogram.fits"


def _lr_crops(path, n_side, hr_size):
    """LR inputs (degraded real HR crops, in G) from a square of crops at the map centre."""
    import sunpy.map

    from sunpy_sr.core.degradation import degrade_array
    data = sunpy.map.Map(path).data.astype(np.float32)
    cy, cx = data.shape[0] // 2, data.shape[1] // 2
    out = []
    for i in range(n_side[0]):
        for j in range(n_side[1]):
            y0 = cy - n_side[0] * hr_size // 2 + i * hr_size
            x0 = cx - n_side[1] * hr_size // 2 + j * hr_size
            hr = np.clip(np.nan_to_num(data[y0:y0 + hr_size, x0:x0 + hr_size]), -2000, 2000)
            out.append(degrade_array(hr).astype(np.float32))
    return out


class _Residual:
    """The fused network split so that int8 covers its convolutions and float32 its ends."""

    @staticmethod
    def wrap(net):
        import torch
        import torch.nn.functional as F

        class Residual(torch.nn.Module):
            """Network units in, the predicted residual (network units) out: what is quantised."""

            def __init__(self):
                super().__init__()
                self.head, self.body, self.body_conv = net.head, net.body, net.body_conv
                self.upsample, self.tail = net.upsample, net.tail

            def forward(self, z):
                h = self.head(z)
                return self.tail(self.upsample(h + self.body_conv(self.body(h))))

        def full(residual):
            # the field scaling and the global skip (nearest-neighbour upsampling) stay float32
            def run(x):
                z = x / net.field_scale
                up = F.interpolate(z, scale_factor=net.scale, mode="nearest")
                return (residual(z) + up) * net.field_scale
            return run
        return Residual().eval(), full


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--shared", default=str(ROOT.parent / "shared"))
    p.add_argument("--size", type=int, default=256, help="LR tile core (pixels) for the timing")
    a = p.parse_args()
    import sunpy.map
    import torch
    from torch.ao.quantization import get_default_qconfig_mapping
    from torch.ao.quantization.quantize_fx import convert_fx, prepare_fx

    from sunpy_sr.core.degradation import degrade_array
    from sunpy_sr.weights import load_network
    torch.backends.quantized.engine = "x86"
    shared = Path(a.shared)
    net, meta = load_network()
    residual, full = _Residual.wrap(net)
    calib = _lr_crops(shared / TRAIN_DISK, (2, 3), 1024) + _lr_crops(shared / TRAIN_SHARP, (1, 1), 512)
    val = {"2016 disk centre (4 x 128^2 LR)": _lr_crops(shared / VAL_DISK, (2, 2), 512)}
    sharp = np.nan_to_num(sunpy.map.Map(shared / SHARP_377).data.astype(np.float32))
    h, w = (s - s % 4 for s in sharp.shape)
    val[f"SHARP 377 ({h // 4}x{w // 4} LR)"] = [degrade_array(np.clip(sharp[:h, :w], -2000, 2000))
                                               .astype(np.float32)]

    def t(x):
        return torch.from_numpy(np.ascontiguousarray(x))[None, None]

    with torch.inference_mode():
        prepared = prepare_fx(residual, get_default_qconfig_mapping("x86"), (t(calib[0]),))
        for x in calib:
            prepared(t(x) / net.field_scale)
        q = full(convert_fx(prepared))
        print(f"torch {torch.__version__}, {torch.get_num_threads()} threads, engine "
              f"{torch.backends.quantized.engine}; network {meta.get('name', 'rcan')}")
        print(f"\n{'held-out input':34s} {'RMS |int8 - fp32| G':>20s} {'max G':>8s} "
              f"{'RMS of fp32 output G':>21s}")
        for name, xs in val.items():
            d2, n, mx, o2 = 0.0, 0, 0.0, 0.0
            for x in xs:
                ref = net(t(x))
                out = q(t(x))
                diff = (out - ref).double()
                d2 += float((diff ** 2).sum())
                n += diff.numel()
                mx = max(mx, float(diff.abs().max()))
                o2 += float((ref.double() ** 2).sum())
            print(f"{name:34s} {np.sqrt(d2 / n):20.2f} {mx:8.1f} {np.sqrt(o2 / n):21.1f}")

        m = torch.randn(2048, 2048)
        mm = 2 * 2048 ** 3 / best_of(lambda _: m @ m, None) / 1e9
        n = a.size + 2 * net.receptive_radius()
        data = sunpy.map.Map(shared / VAL_DISK).data
        c = data.shape[0] // 2
        x = t(np.nan_to_num(data[c - n // 2:c - n // 2 + n, c - n // 2:c - n // 2 + n]).astype(np.float32))
        xc = x.contiguous(memory_format=torch.channels_last)
        fp32 = full(residual.to(memory_format=torch.channels_last))
        t32 = best_of(fp32, xc)
        t8 = best_of(q, x)
        print(f"\ntile {n}^2 LR: float32 channels_last {t32:.3f} s, int8 {t8:.3f} s "
              f"(x{t32 / t8:.2f}); float32 2048^2 matmul {mm:.0f} GFLOP/s in the same run")


if __name__ == "__main__":
    main()
