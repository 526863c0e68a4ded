"""The feature vector the classifier sees: colour and texture statistics of a photo.

No pretrained network can be downloaded here, so the model learns from measures that are
computed, not learnt: on a 128 × 128 copy of the photo,

* a hue histogram of the coloured pixels, saturation and value histograms (the colours of
  healthy green, straw-yellow blight, orange-brown hopperburn, brown spots, grey lesions);
* colour moments (means and spreads of R, G, B and the excess-green index);
* the shares of named leaf and lesion colours (green, yellow, straw, brown, orange, grey-white,
  dark, blue);
* texture: a gradient-magnitude histogram and a rotation-invariant local-binary-pattern
  histogram (riu2, 8 neighbours), the log-variance of the Laplacian;
* lesions: the connected blobs of lesion colours — how many, how large, how elongated (blast
  lesions are spindles, brown spots are round) — and how much of the lesion colour lies on a
  green leaf rather than on bare soil.

Histograms are rotation-invariant, so a sideways photo gives nearly the same vector. Pure:
numpy and scipy.ndimage, no I/O. ``FEATURE_VERSION`` changes whenever the vector does.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray
from PIL import Image
from scipy import ndimage

FEATURE_VERSION = 1
SIDE = 128
HUE_BINS = 24

Vector = NDArray[np.float32]


def _hsv(img: Image.Image) -> NDArray[np.float64]:
    arr = np.asarray(img.convert("HSV"), dtype=np.float64)
    return np.stack([arr[..., 0] * 360 / 255, arr[..., 1] / 255, arr[..., 2] / 255], axis=-1)


def _lbp_riu2(grey: NDArray[np.float64]) -> NDArray[np.float64]:
    """Histogram (10 bins) of rotation-invariant uniform local binary patterns, radius 1."""
    c = grey[1:-1, 1:-1]
    shifts = [(-1, -1), (-1, 0), (-1, 1), (0, 1), (1, 1), (1, 0), (1, -1), (0, -1)]
    h, w = grey.shape
    bits = np.stack([grey[1 + dy : h - 1 + dy, 1 + dx : w - 1 + dx] >= c + 2.0
                     for dy, dx in shifts], axis=0).astype(np.int8)
    transitions = np.abs(np.diff(np.concatenate([bits, bits[:1]], axis=0), axis=0)).sum(axis=0)
    ones = bits.sum(axis=0)
    code = np.where(transitions <= 2, ones, 9)
    return np.bincount(code.ravel(), minlength=10)[:10] / code.size


def _blobs(mask: NDArray[np.bool_]) -> tuple[float, float, float]:
    """Count (log), mean size (share of the image) and mean elongation of the blobs."""
    labels, n = ndimage.label(mask)
    if n == 0:
        return 0.0, 0.0, 0.0
    sizes = np.bincount(labels.ravel())[1:]
    keep = np.flatnonzero(sizes >= 3) + 1
    if keep.size == 0:
        return 0.0, 0.0, 0.0
    keep = keep[:200]
    yy, xx = np.nonzero(np.isin(labels, keep))
    lab = labels[yy, xx]
    elongations = []
    for k in keep[:60]:
        sel = lab == k
        if sel.sum() < 4:
            continue
        cov = np.cov(np.stack([xx[sel], yy[sel]]).astype(np.float64))
        ev = np.linalg.eigvalsh(cov)
        elongations.append(float(np.sqrt(max(ev[1], 1e-6) / max(ev[0], 1e-6))))
    mean_size = float(sizes[keep - 1].mean() / mask.size)
    elong = float(np.log(np.mean(elongations))) if elongations else 0.0
    return float(np.log1p(keep.size)), mean_size * 100, elong


def _orientation(gx: NDArray[np.float64], gy: NDArray[np.float64]) -> list[float]:
    """Structure: leaves give long straight edges and veins (locally coherent gradients, a
    few dominant directions); soil, sky and clutter do not. Rotation-invariant: the local
    coherence's mean and histogram (4 bins), and how concentrated the doubled gradient
    angles are over the whole image."""
    jxx = ndimage.gaussian_filter(gx * gx, 3.0)
    jyy = ndimage.gaussian_filter(gy * gy, 3.0)
    jxy = ndimage.gaussian_filter(gx * gy, 3.0)
    trace = jxx + jyy
    coherence = np.sqrt((jxx - jyy) ** 2 + 4 * jxy**2) / np.maximum(trace, 1e-6)
    weight = trace / max(float(trace.sum()), 1e-6)
    hist = np.histogram(coherence, bins=4, range=(0, 1), weights=weight)[0]
    mag2 = gx * gx + gy * gy
    doubled = np.abs(((gx * gx - gy * gy) + 2j * gx * gy).sum()) / max(float(mag2.sum()), 1e-6)
    return [float((coherence * weight).sum()), *hist.tolist(), float(doubled)]


def extract(image: Image.Image) -> Vector:
    """The feature vector of an RGB photo (length ``len(feature_names())``)."""
    small = image.convert("RGB").resize((SIDE, SIDE), Image.Resampling.BILINEAR)
    rgb = np.asarray(small, dtype=np.float64)
    hsv = _hsv(small)
    hue, sat, val = hsv[..., 0], hsv[..., 1], hsv[..., 2]
    n = hue.size
    coloured = (sat > 0.15) & (val > 0.15)
    hue_hist = np.histogram(hue[coloured], bins=HUE_BINS, range=(0, 360))[0] / n
    sat_hist = np.histogram(sat, bins=8, range=(0, 1))[0] / n
    val_hist = np.histogram(val, bins=8, range=(0, 1))[0] / n
    r, g, b = rgb[..., 0] / 255, rgb[..., 1] / 255, rgb[..., 2] / 255
    exg = 2 * g - r - b
    moments = [r.mean(), g.mean(), b.mean(), r.std(), g.std(), b.std(), exg.mean(), exg.std()]

    green = coloured & (hue >= 65) & (hue <= 170)
    yellow = coloured & (hue >= 45) & (hue < 65) & (sat > 0.3)
    straw = (hue >= 35) & (hue < 65) & (sat > 0.12) & (sat <= 0.45) & (val > 0.6)
    brown = (hue >= 5) & (hue < 40) & (sat > 0.35) & (val > 0.15) & (val < 0.55)
    orange = (hue >= 15) & (hue < 45) & (sat > 0.4) & (val >= 0.55)
    greywhite = (sat < 0.15) & (val > 0.55)
    dark = val < 0.15
    blue = coloured & (hue >= 185) & (hue <= 260)
    shares = [m.mean() for m in (green, yellow, straw, brown, orange, greywhite, dark, blue)]

    # Texture on a lightly smoothed grey image: a phone's sensor noise, which depends on the
    # resolution the photo was taken at, should not look like leaf texture.
    grey = ndimage.gaussian_filter(rgb @ np.array([0.299, 0.587, 0.114]), 1.0)
    gy, gx = np.gradient(grey)
    mag = np.hypot(gx, gy)
    grad_hist = np.histogram(np.log1p(mag), bins=8, range=(0, 5))[0] / n
    lap = ndimage.laplace(grey)
    texture = [float(np.log1p(lap.var()))]
    texture += _orientation(gx, gy)

    lesion = (brown | greywhite | orange) & ~green
    on_leaf = ndimage.binary_dilation(green, iterations=2)
    lesion_on_leaf = float((lesion & on_leaf).sum() / max(lesion.sum(), 1))
    blob_count, blob_size, blob_elong = _blobs(lesion & on_leaf)
    lesions = [blob_count, blob_size, blob_elong, lesion_on_leaf, float(lesion.mean())]

    return np.concatenate([
        hue_hist, sat_hist, val_hist, moments, shares, grad_hist, _lbp_riu2(grey), texture,
        lesions,
    ]).astype(np.float32)


def feature_names() -> list[str]:
    names = [f"hue_{i}" for i in range(HUE_BINS)] + [f"sat_{i}" for i in range(8)]
    names += [f"val_{i}" for i in range(8)]
    names += ["r_mean", "g_mean", "b_mean", "r_std", "g_std", "b_std", "exg_mean", "exg_std"]
    names += ["green", "yellow", "straw", "brown", "orange", "grey_white", "dark", "blue"]
    names += [f"grad_{i}" for i in range(8)] + [f"lbp_{i}" for i in range(10)]
    names += ["log_laplacian_var", "coherence", "coherence_0", "coherence_1", "coherence_2",
              "coherence_3", "orientation_concentration"]
    names += ["lesion_blobs", "lesion_blob_size", "lesion_elongation", "lesion_on_leaf",
              "lesion_share"]
    return names


def extract_many(images: list[Image.Image]) -> NDArray[np.float32]:
    return np.stack([extract(img) for img in images]) if images else np.zeros(
        (0, len(feature_names())), dtype=np.float32)
