"""
Validation of a super-resolved magnetogram against a higher-resolution observation.

Rahman et al. (2020, ApJL 897, L32, Section 2.2 and Figure 4) validate their
network against a Hinode/SOT Narrowband Filter Imager (NFI) magnetogram: the NFI
map is aligned to HMI, interpolated to the super-resolved (SR) grid, calibrated
to HMI by a third-order polynomial fit of the HMI field as a function of the NFI
signal (the cross-comparison of Moon et al. 2007), and then compared with the SR
and the bicubic maps (CC, PSNR, SSIM). :func:`compare_maps` does the same with
sunpy Maps, one module per concern:

`sunpy_sr.compare.reference`
    the reference header: Hinode SOT/NFI repair (:func:`prepare_reference`),
    observer, time offset, the headers of the result maps;
`sunpy_sr.compare.regrid`
    footprint, cropping (`~sunpy.map.GenericMap.submap`) and resampling of the
    reference onto the SR grid;
`sunpy_sr.compare.align`
    pointing corrections and the sub-pixel cross-correlation (:func:`align_shift`);
`sunpy_sr.compare.calibrate`
    the polynomial calibration (:func:`calibrate_polynomial`, `PolynomialCalibration`);
`sunpy_sr.compare.results`
    `MetricSet` and `ComparisonResult`, whose figures are drawn by
    `sunpy_sr.visualization.comparison`;
`sunpy_sr.compare.maps`
    :func:`compare_maps`, one call per phase.

Fields enter in any field unit and are compared in gauss (`sunpy_sr.core.units`).

References
----------
* Rahman, S., Moon, Y.-J., Park, E., et al. 2020, ApJL 897, L32,
  doi:10.3847/2041-8213/ab9d79
* Moon, Y.-J., Kim, Y.-H., Park, Y.-D., et al. 2007, PASJ 59, S625
  (pixel-to-pixel cross-comparison of Hinode/SOT and SOHO/MDI magnetograms)
"""
from sunpy_sr.compare.align import align_shift
from sunpy_sr.compare.calibrate import PolynomialCalibration, calibrate_polynomial
from sunpy_sr.compare.maps import compare_maps
from sunpy_sr.compare.reference import prepare_reference
from sunpy_sr.compare.results import ComparisonResult, MetricSet

__all__ = ["compare_maps", "ComparisonResult", "MetricSet", "PolynomialCalibration",
           "calibrate_polynomial", "align_shift", "prepare_reference"]
