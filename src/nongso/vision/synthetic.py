"""Seeded synthetic photos with known labels, for the tests, the demo and the benchmark.

No legally usable rice-disease image set can be had here, so the pipeline (quality checks,
features, training, abstention) is exercised on drawn images whose truth is known exactly:

* crop photos: a close-up of one to three rice leaf blades over a blurred canopy or water,
  at a random angle, scale, light and white balance, with the symptoms of a label —
  ``healthy``; ``blast`` (đạo ôn: spindle lesions, grey centre, brown rim); ``brown_spot``
  (đốm nâu: many small oval brown spots, some with a yellow halo); ``bacterial_leaf_blight``
  (bạc lá: straw-yellow from the tip and the margins, a wavy edge); ``hopperburn`` (cháy rầy:
  plants dried orange-brown in patches);
* non-crop photos: ``soil``, ``sky``, ``objects`` (boxes, bottles, a bucket on a table; never
  a face) and ``screenshot`` (a phone screen of text);
* photos with a problem for the quality checks: ``blurry``, ``dark``, ``whole_field``.

Pure: numpy and Pillow, no I/O. The same seed gives the same pixels.
"""

from __future__ import annotations

import io
from collections.abc import Iterator, Sequence
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray
from PIL import Image, ImageDraw, ImageFilter

CROP_LABELS: tuple[str, ...] = (
    "healthy", "blast", "brown_spot", "bacterial_leaf_blight", "hopperburn")
NON_CROP_KINDS: tuple[str, ...] = ("soil", "sky", "objects", "screenshot")
PROBLEM_KINDS: tuple[str, ...] = ("blurry", "dark", "whole_field")

Array = NDArray[np.float64]


@dataclass(frozen=True)
class Sample:
    """One synthetic photo: its pixels and what it truly shows."""

    image: Image.Image
    label: str  # a crop label, a non-crop kind or a problem kind
    crop: bool  # whether it shows the crop


def _rgb(rng: np.random.Generator, base: tuple[float, float, float], spread: float) -> Array:
    return np.clip(np.array(base) + rng.normal(0, spread, 3), 0, 255)


def _smooth_noise(rng: np.random.Generator, h: int, w: int, scale: int) -> Array:
    """Low-frequency noise in [0, 1] (bilinear upsampling of a coarse random grid)."""
    gh, gw = max(2, h // scale + 2), max(2, w // scale + 2)
    coarse = Image.fromarray((rng.random((gh, gw)) * 255).astype(np.uint8))
    smooth = coarse.resize((w, h), Image.Resampling.BILINEAR).filter(
        ImageFilter.GaussianBlur(scale / 2))
    out = np.asarray(smooth, dtype=np.float64)
    lo, hi = out.min(), out.max()
    return (out - lo) / max(hi - lo, 1e-6)  # type: ignore[no-any-return]


BASE = 256  # the scenes are drawn with this long side, then scaled to the size asked for


def _base(size: tuple[int, int]) -> tuple[int, int]:
    """The drawing size: the size asked for, its long side at most BASE."""
    w, h = size
    long = min(BASE, max(w, h))
    if w >= h:
        return long, max(16, round(long * h / w))
    return max(16, round(long * w / h)), long


def _finish(rng: np.random.Generator, img: Array, noise: float = 4.0,
            size: tuple[int, int] | None = None, texture: float = 4.0) -> Image.Image:
    """White balance and exposure, the scene scaled to ``size``, then the sensor's noise (at
    the final resolution, as a camera adds it)."""
    img = img * rng.uniform(0.9, 1.1, 3) * rng.uniform(0.85, 1.15)
    if texture:  # the fine detail of real surfaces, at the scene's own scale
        img = img + rng.normal(0, texture, img.shape[:2])[..., None]
    if size is not None and (img.shape[1], img.shape[0]) != size:
        scene = Image.fromarray(np.clip(img, 0, 255).astype(np.uint8), "RGB")
        img = np.asarray(scene.resize(size, Image.Resampling.LANCZOS), dtype=np.float64)
    img = img + rng.normal(0, noise, img.shape)
    return Image.fromarray(np.clip(img, 0, 255).astype(np.uint8), "RGB")


# ------------------------------------------------------------------------------------------
# Crop photos


def _background(rng: np.random.Generator, h: int, w: int) -> Array:
    """Out-of-focus canopy (darker greens), muddy water or a mix."""
    kind = rng.integers(0, 3)
    n = _smooth_noise(rng, h, w, 24)[..., None]
    if kind == 0:
        a, b = _rgb(rng, (40, 80, 35), 10), _rgb(rng, (85, 125, 60), 12)
    elif kind == 1:
        a, b = _rgb(rng, (95, 85, 60), 10), _rgb(rng, (140, 130, 105), 12)
    else:
        a, b = _rgb(rng, (45, 75, 40), 10), _rgb(rng, (120, 115, 90), 12)
    return a * (1 - n) + b * n


def _blade(rng: np.random.Generator, h: int, w: int, width: float
           ) -> tuple[Array, Array, Array]:
    """One leaf blade across the frame: its mask and coordinates along (u, 0..1 from base to
    tip) and across (v, -1..1) the blade."""
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float64)
    angle = rng.uniform(0, np.pi)
    cx, cy = w * rng.uniform(0.35, 0.65), h * rng.uniform(0.35, 0.65)
    dx, dy = np.cos(angle), np.sin(angle)
    along = (xx - cx) * dx + (yy - cy) * dy
    across = -(xx - cx) * dy + (yy - cy) * dx
    # A slight curve of the blade.
    across = across - rng.uniform(-0.6, 0.6) * (along / max(h, w)) ** 2 * max(h, w) * 0.5
    half = np.hypot(h, w) / 2
    u = np.clip((along + half) / (2 * half), 0, 1)
    if rng.random() < 0.5:
        u = 1 - u
    taper = np.clip((1 - u) * 3.0, 0.15, 1.0) * (width / 2)
    v = across / np.maximum(taper, 1e-6)
    mask = (np.abs(v) <= 1).astype(np.float64)
    return mask, u, v


def _leaf_colour(rng: np.random.Generator, u: Array, v: Array) -> Array:
    base = _rgb(rng, (70, 135, 45), 12)
    light = 1 + 0.08 * np.cos(v * np.pi * rng.integers(5, 9))  # parallel veins
    midrib = 1 + 0.12 * np.exp(-(v / 0.08) ** 2)
    shade = 0.85 + 0.25 * (1 - np.abs(v))
    return base * (light * midrib * shade)[..., None]


def _symptoms(rng: np.random.Generator, label: str, leaf: Array, u: Array, v: Array,
              mask: Array, length_px: float) -> Array:
    """Paint the symptoms of ``label`` on one blade (in the blade's own coordinates)."""
    out = leaf.copy()
    inside = mask > 0
    # Lesion sizes are set in pixels of a 256-pixel scene: the same photo at any size.
    px = 1.0 / float(np.hypot(BASE, BASE))
    if label in ("blast", "brown_spot"):
        # Lesions are drawn on the blade's own pixels only (a third of the frame or less).
        idx = np.flatnonzero(inside.ravel())
        uu, vv = u.ravel()[idx], v.ravel()[idx]
        pix = out.reshape(-1, 3)[idx]
        if label == "blast":
            for _ in range(int(rng.integers(2, 7))):
                cu, cv = rng.uniform(0.15, 0.85), rng.uniform(-0.4, 0.4)
                ru = rng.uniform(14, 30) * px
                rv = rng.uniform(0.25, 0.45)
                near = np.flatnonzero(np.abs(uu - cu) < 1.6 * ru)
                du, dv = uu[near] - cu, vv[near] - cv
                # Spindle: pointed ends (a diamond in the blade's coordinates).
                d = (np.abs(du) / ru + np.abs(dv) / rv) * 0.6 + ((du / ru) ** 2
                                                                  + (dv / rv) ** 2) * 0.4
                halo = near[(d <= 1.5) & (d > 1.0)]
                pix[halo] = pix[halo] * 0.6 + np.array([150, 145, 60]) * 0.4
                pix[near[d <= 1.0]] = _rgb(rng, (115, 70, 35), 10)
                pix[near[d <= 0.62]] = _rgb(rng, (175, 170, 155), 12)
        else:
            for _ in range(int(rng.integers(12, 40))):
                cu, cv = rng.uniform(0.05, 0.95), rng.uniform(-0.8, 0.8)
                r = rng.uniform(2.5, 5.5) * px
                near = np.flatnonzero(np.abs(uu - cu) < 3.3 * r * 1.4)
                d = ((uu[near] - cu) / (r * 1.4)) ** 2 + ((vv[near] - cv) / (r * 16)) ** 2
                if rng.random() < 0.6:
                    halo = near[(d <= 2.3) & (d > 1.0)]
                    pix[halo] = pix[halo] * 0.5 + np.array([190, 170, 60]) * 0.5
                pix[near[d <= 1.0]] = _rgb(rng, (105, 55, 25), 12)
        out.reshape(-1, 3)[idx] = pix
    elif label == "bacterial_leaf_blight":
        idx = np.flatnonzero(inside.ravel())
        uu, av = u.ravel()[idx], np.abs(v.ravel()[idx])
        edge = rng.uniform(0.35, 0.7)
        wave = 0.06 * np.sin(v.ravel()[idx] * rng.uniform(6, 12) + rng.uniform(0, 6))
        front = uu + wave + (1 - av) * rng.uniform(0.2, 0.45) - (1 - edge) - 0.3 * (1 - av) ** 4
        pix = out.reshape(-1, 3)[idx]
        blighted = front > 0
        straw = _rgb(rng, (215, 200, 130), 12)
        pix[blighted] = straw * (0.9 + 0.1 * rng.random((int(blighted.sum()), 1)))
        border = ~blighted & (front > -0.04)
        pix[border] = pix[border] * 0.5 + np.array([200, 180, 70]) * 0.5
        out.reshape(-1, 3)[idx] = pix
    elif label == "hopperburn":
        dry = _rgb(rng, (165, 120, 65), 16)
        patch = _smooth_noise(rng, u.shape[0], u.shape[1], 40)
        level = rng.uniform(0.15, 0.45)
        burnt = inside & (patch > level)
        out[burnt] = dry * (0.8 + 0.3 * patch[burnt][:, None])
        partly = inside & (patch > level - 0.12) & ~burnt
        out[partly] = out[partly] * 0.4 + np.array([185, 160, 70]) * 0.6
    return out


def crop_photo(rng: np.random.Generator, label: str, size: tuple[int, int] = (256, 256)
               ) -> Image.Image:
    """A close-up of rice leaves showing ``label`` (one of CROP_LABELS)."""
    if label not in CROP_LABELS:
        raise ValueError(f"unknown crop label {label!r}")
    w, h = _base(size)
    if label == "hopperburn":
        img = _background(rng, h, w) * 0.3 + _rgb(rng, (150, 110, 60), 12) * 0.7
    else:
        img = _background(rng, h, w)
    blades = int(rng.integers(1, 4))
    main = int(rng.integers(0, blades))
    for n in range(blades):
        width = min(h, w) * (rng.uniform(0.22, 0.4) if n == main else rng.uniform(0.08, 0.18))
        mask, u, v = _blade(rng, h, w, width)
        leaf = _leaf_colour(rng, u, v)
        leaf_label = label if (n == main or label == "hopperburn") else (
            label if rng.random() < 0.5 else "healthy")
        leaf = _symptoms(rng, leaf_label, leaf, u, v, mask, float(np.hypot(h, w)))
        img = np.where(mask[..., None] > 0, leaf, img)
    return _finish(rng, img, size=size)


# ------------------------------------------------------------------------------------------
# Non-crop photos


def non_crop_photo(rng: np.random.Generator, kind: str, size: tuple[int, int] = (256, 256)
                   ) -> Image.Image:
    """A photo that is not of the crop: soil, sky, objects or a screenshot of text."""
    w, h = _base(size)
    if kind == "soil":
        # Grey-brown to red-brown (alluvial clay, dry mud), never green.
        base = np.array([120.0, 90.0, 60.0]) * rng.uniform(0.7, 1.2) + rng.normal(0, 6, 3)
        n1 = _smooth_noise(rng, h, w, 30)[..., None]
        n2 = _smooth_noise(rng, h, w, 6)[..., None]
        img = base * (0.65 + 0.35 * n1) * (0.8 + 0.3 * n2)
        if rng.random() < 0.5:  # cracks of dry mud
            crack = _smooth_noise(rng, h, w, 12)
            img[np.abs(crack - 0.5) < 0.015] *= 0.45
        return _finish(rng, img, noise=7, size=size)
    if kind == "sky":
        yy = np.linspace(0, 1, h)[:, None, None]
        top, bottom = _rgb(rng, (70, 120, 200), 15), _rgb(rng, (170, 200, 235), 12)
        img = top * (1 - yy) + bottom * yy + np.zeros((h, w, 3))
        clouds = _smooth_noise(rng, h, w, 40)
        cover = rng.uniform(0.3, 0.7)
        amount = np.clip((clouds - cover) * 3, 0, 1)[..., None]
        img = img * (1 - amount) + _rgb(rng, (240, 240, 245), 6) * amount
        return _finish(rng, img, noise=2.5, size=size)
    if kind == "objects":
        table = _rgb(rng, (150, 120, 90), 30)
        canvas = Image.new("RGB", (w, h), tuple(int(c) for c in table))
        draw = ImageDraw.Draw(canvas)
        for _ in range(int(rng.integers(2, 6))):
            colour = tuple(int(c) for c in rng.integers(0, 256, 3))
            x0, y0 = int(rng.integers(0, w - 40)), int(rng.integers(0, h - 40))
            x1, y1 = x0 + int(rng.integers(30, w // 2)), y0 + int(rng.integers(30, h // 2))
            shape = rng.integers(0, 3)
            if shape == 0:
                draw.rectangle((x0, y0, x1, y1), fill=colour)
            elif shape == 1:
                draw.ellipse((x0, y0, x1, y1), fill=colour)
            else:  # a bottle: body and neck
                draw.rectangle((x0, y0 + (y1 - y0) // 3, x1, y1), fill=colour)
                mid = (x0 + x1) // 2
                draw.rectangle((mid - 6, y0, mid + 6, y0 + (y1 - y0) // 3), fill=colour)
        img = np.asarray(canvas, dtype=np.float64)
        shade = 0.8 + 0.3 * _smooth_noise(rng, h, w, 60)[..., None]
        return _finish(rng, img * shade, noise=3, size=size)
    if kind == "screenshot":
        return screenshot(rng, size)
    raise ValueError(f"unknown non-crop kind {kind!r}")


WORDS = ("lúa", "rầy", "nâu", "phun", "thuốc", "giá", "đồng", "kg", "xã", "mưa", "nhật", "ký",
         "vụ", "Đông", "Xuân", "bệnh", "đạo", "ôn", "hôm", "nay", "tin", "nhắn")


def screenshot(rng: np.random.Generator, size: tuple[int, int] = (256, 256)) -> Image.Image:
    """A phone screenshot of a chat or a web page: flat colours and lines of text."""
    w, h = size
    dark_mode = rng.random() < 0.3
    bg = (24, 24, 28) if dark_mode else (255, 255, 255)
    fg = (230, 230, 230) if dark_mode else (20, 20, 20)
    canvas = Image.new("RGB", (w, h), bg)
    draw = ImageDraw.Draw(canvas)
    bar = tuple(int(c) for c in rng.integers(0, 256, 3))
    draw.rectangle((0, 0, w, max(12, h // 12)), fill=bar)
    y = h // 10 + 6
    while y < h - 14:
        x = 6
        if rng.random() < 0.3:  # a chat bubble
            draw.rectangle((4, y - 2, w * 2 // 3, y + 14), fill=(220, 240, 220) if not dark_mode
                           else (40, 70, 50))
        for _ in range(int(rng.integers(2, 7))):
            word = WORDS[int(rng.integers(0, len(WORDS)))]
            draw.text((x, y), word, fill=fg)
            x += 8 * len(word) + 6
            if x > w - 30:
                break
        y += int(rng.integers(14, 22))
    return canvas


# ------------------------------------------------------------------------------------------
# Photos with a problem


def problem_photo(rng: np.random.Generator, kind: str, size: tuple[int, int] = (256, 256)
                  ) -> Image.Image:
    """A crop photo that the quality checks should refuse: blurry, dark or a whole field."""
    label = CROP_LABELS[int(rng.integers(0, len(CROP_LABELS)))]
    if kind == "blurry":
        radius = rng.uniform(3.5, 6)
        blurred = crop_photo(rng, label, _base(size)).filter(ImageFilter.GaussianBlur(radius))
        return _finish(rng, np.asarray(blurred, dtype=np.float64), noise=3, size=size,
                       texture=0)
    if kind == "dark":
        img = np.asarray(crop_photo(rng, label, size), dtype=np.float64)
        return Image.fromarray(np.clip(img * rng.uniform(0.04, 0.12), 0, 255).astype(np.uint8))
    if kind == "whole_field":
        return whole_field(rng, size)
    raise ValueError(f"unknown problem kind {kind!r}")


def whole_field(rng: np.random.Generator, size: tuple[int, int] = (256, 256)) -> Image.Image:
    """A landscape of a rice field: sky above the horizon, rows of plants below it."""
    w, h = _base(size)
    horizon = int(h * rng.uniform(0.25, 0.45))
    sky = np.asarray(non_crop_photo(rng, "sky", (w, horizon)), dtype=np.float64)
    yy, xx = np.mgrid[0 : h - horizon, 0:w].astype(np.float64)
    depth = (yy + 1) / (h - horizon)  # 0 at the horizon, 1 at the bottom
    rows = np.sin((xx - w / 2) / (2 + 14 * depth) * rng.uniform(2, 4) + rng.uniform(0, 6))
    green = _rgb(rng, (75, 135, 50), 12)
    field = green * (0.75 + 0.25 * rows[..., None]) * (0.8 + 0.25 * depth[..., None])
    field += rng.normal(0, 10, field.shape) * depth[..., None]
    img = np.concatenate([sky, field], axis=0)
    return _finish(rng, img, noise=3, size=size)


# ------------------------------------------------------------------------------------------
# Sets


SIZES: tuple[tuple[int, int], ...] = ((128, 128), (160, 120), (192, 256), (256, 192),
                                      (320, 240), (480, 360), (480, 640))


def _size(rng: np.random.Generator, sizes: Sequence[tuple[int, int]]) -> tuple[int, int]:
    return sizes[int(rng.integers(0, len(sizes)))]


def labelled_set(seed: int, per_label: int, sizes: Sequence[tuple[int, int]] = SIZES
                 ) -> Iterator[Sample]:
    """``per_label`` crop photos of each label, interleaved, from ``seed``; each photo of a
    size drawn from ``sizes`` (phones send many)."""
    rng = np.random.default_rng(seed)
    for _ in range(per_label):
        for label in CROP_LABELS:
            yield Sample(crop_photo(rng, label, _size(rng, sizes)), label, True)


def non_crop_set(seed: int, per_kind: int, sizes: Sequence[tuple[int, int]] = SIZES
                 ) -> Iterator[Sample]:
    rng = np.random.default_rng(seed)
    for _ in range(per_kind):
        for kind in NON_CROP_KINDS:
            yield Sample(non_crop_photo(rng, kind, _size(rng, sizes)), kind, False)


def problem_set(seed: int, per_kind: int, sizes: Sequence[tuple[int, int]] = ((512, 384),)
                ) -> Iterator[Sample]:
    rng = np.random.default_rng(seed)
    for _ in range(per_kind):
        for kind in PROBLEM_KINDS:
            yield Sample(problem_photo(rng, kind, _size(rng, sizes)), kind,
                         kind != "whole_field")


def jpeg(image: Image.Image, quality: int = 90, exif: bytes | None = None) -> bytes:
    """The image as a JPEG file (as a phone would upload it)."""
    out = io.BytesIO()
    if exif is None:
        image.save(out, "JPEG", quality=quality)
    else:
        image.save(out, "JPEG", quality=quality, exif=exif)
    return out.getvalue()
