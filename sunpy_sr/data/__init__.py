"""Data shipped with sunpy_sr (see `sunpy_sr.data.sample`)."""
