"""The compute precision of a network: native-bfloat16 detection and ``dtype="auto"``.

The CPU side is torch-free: the CPU's flags are read from ``/proc/cpuinfo`` (Linux);
elsewhere bfloat16 is not assumed native. Only ``"auto"`` on a CUDA device imports torch
(to ask the GPU what it supports).
"""
import functools
import sys
from dataclasses import dataclass
from pathlib import Path

from sunpy_sr.exceptions import SunpySRError

__all__ = ["DTYPES", "COMPUTE_DTYPES", "FLOAT16_CAPABILITY", "BF16_FLAGS", "BFloat16Support",
           "cpu_bfloat16_flags", "native_bfloat16", "check_dtype", "resolve_dtype"]

#: The values ``dtype`` accepts; "auto" resolves to one of `COMPUTE_DTYPES` (`resolve_dtype`).
DTYPES = ("float32", "bfloat16", "auto")
#: The compute types `resolve_dtype` returns: "float16" only for "auto" on a CUDA GPU.
COMPUTE_DTYPES = ("float32", "bfloat16", "float16")
#: The CUDA compute capability from which "auto" may choose float16 (tensor cores: Volta on).
FLOAT16_CAPABILITY = (7, 0)
#: CPU flags (``/proc/cpuinfo``) of native bfloat16 arithmetic: AVX-512 BF16 and AMX-BF16.
BF16_FLAGS = ("avx512_bf16", "amx_bf16")
CPUINFO = "/proc/cpuinfo"


@dataclass(frozen=True)
class BFloat16Support:
    """What `native_bfloat16` detected.

    Attributes
    ----------
    native : bool
        The CPU runs bfloat16 natively (one of `BF16_FLAGS` found).
    flags : tuple of str
        The `BF16_FLAGS` found, in that order (empty if none).
    source : str
        Where the answer came from: the cpuinfo path read, ``"text"`` for a text given,
        or why nothing was read (e.g. ``"not Linux (darwin)"``).
    """

    native: bool
    flags: tuple
    source: str


def cpu_bfloat16_flags(cpuinfo=None, *, text=None):
    """
    Detect native bfloat16 from a cpuinfo text or file (without caching).

    Parameters
    ----------
    cpuinfo : str or `~pathlib.Path`, optional
        The file to read (default ``/proc/cpuinfo``); ignored if ``text`` is given.
    text : str, optional
        The contents of a cpuinfo file.

    Returns
    -------
    `BFloat16Support`
        Not native, with the reason as ``source``, if the file cannot be read.

    Examples
    --------
    >>> from sunpy_sr.inference.precision import cpu_bfloat16_flags
    >>> cpu_bfloat16_flags(text="flags\\t\\t: fpu sse2 avx2 avx512f avx512_bf16\\n")
    BFloat16Support(native=True, flags=('avx512_bf16',), source='text')
    >>> cpu_bfloat16_flags(text="flags\\t\\t: fpu sse2 avx2\\n").native
    False
    """
    source = "text"
    if text is None:
        path = Path(CPUINFO if cpuinfo is None else cpuinfo)
        source = str(path)
        try:
            text = path.read_text(errors="replace")
        except OSError as e:
            return BFloat16Support(False, (), f"{path} unreadable ({type(e).__name__})")
    found = set()
    for line in text.splitlines():
        key, sep, value = line.partition(":")
        if sep and key.strip().lower() in ("flags", "features"):  # x86 "flags", ARM "Features"
            found.update(value.split())
    flags = tuple(f for f in BF16_FLAGS if f in found)
    return BFloat16Support(bool(flags), flags, source)


@functools.lru_cache(maxsize=1)
def native_bfloat16():
    """
    Whether this CPU runs bfloat16 natively, detected once per process.

    On Linux the flags of ``/proc/cpuinfo`` are searched for ``avx512_bf16`` or
    ``amx_bf16``; on other systems the answer is False.

    Returns
    -------
    `BFloat16Support`
        The answer, the flags found and their source (for a log line).

    Examples
    --------
    >>> from sunpy_sr.inference.precision import native_bfloat16
    >>> support = native_bfloat16()
    >>> isinstance(support.native, bool), support is native_bfloat16()  # cached
    (True, True)
    """
    if not sys.platform.startswith("linux"):
        return BFloat16Support(False, (), f"not Linux ({sys.platform})")
    return cpu_bfloat16_flags()


def check_dtype(dtype):
    """
    ``dtype`` if it is one of `DTYPES`, else a `~sunpy_sr.exceptions.SunpySRError`.

    Examples
    --------
    >>> from sunpy_sr.inference.precision import check_dtype
    >>> check_dtype("auto")
    'auto'
    """
    if not isinstance(dtype, str) or dtype not in DTYPES:
        raise SunpySRError(f"dtype must be one of {', '.join(repr(d) for d in DTYPES)}; got {dtype!r}")
    return dtype


def resolve_dtype(dtype, device="cpu"):
    """
    The compute type a network runs in: ``"float32"``, ``"bfloat16"`` or ``"float16"``.

    ``"float32"`` and ``"bfloat16"`` are kept as given. ``"auto"`` is the fastest type
    the device that will run the network computes natively:

    * on a CUDA GPU, ``"bfloat16"`` where ``torch.cuda.is_bf16_supported`` says so
      without emulation (Ampere and later), else ``"float16"`` on compute capability
      `FLOAT16_CAPABILITY` or later (tensor cores), else ``"float32"``;
    * on the CPU, ``"bfloat16"`` where `native_bfloat16` detects native support,
      ``"float32"`` otherwise;
    * on "mps", ``"float32"``.

    "cuda" without a CUDA device resolves as the CPU, where the network then runs
    (`sunpy_sr.inference.resolve_device` falls back to it with a warning).

    Parameters
    ----------
    dtype : {"float32", "bfloat16", "auto"}
    device : str or `torch.device`
        The device asked for ("cpu", "cuda", "cuda:1", "mps").

    Examples
    --------
    >>> from sunpy_sr.inference.precision import resolve_dtype
    >>> resolve_dtype("bfloat16", "cpu"), resolve_dtype("float32", "cuda")
    ('bfloat16', 'float32')
    >>> resolve_dtype("auto", "mps")
    'float32'
    """
    check_dtype(dtype)
    if dtype != "auto":
        return dtype
    kind = str(device).split(":")[0]
    if kind == "cuda":
        import torch
        if torch.cuda.is_available():
            return _cuda_auto_dtype(torch, torch.device(str(device)))
        kind = "cpu"
    return "bfloat16" if kind == "cpu" and native_bfloat16().native else "float32"


def _cuda_auto_dtype(torch, device):
    """``"auto"`` on an available CUDA ``device`` (see `resolve_dtype`).

    torch answers the bfloat16 question for the current CUDA device.
    """
    try:
        bf16 = torch.cuda.is_bf16_supported(including_emulation=False)
    except TypeError:  # torch before 2.3 has no emulation flag (and reports native support)
        bf16 = torch.cuda.is_bf16_supported()
    if bf16:
        return "bfloat16"
    return "float16" if tuple(torch.cuda.get_device_capability(device)) >= FLOAT16_CAPABILITY else "float32"
