"""Is this photo usable for a diagnosis? Simple measures, each with a clear answer.

Measured on a working copy of at most 256 pixels on its long side (so that the figures do not
depend on the phone's resolution), except the screenshot measures, which need the pixels as
sent:

* sharpness — variance of the 4-neighbour Laplacian of the grey image (low: blurry);
* brightness — mean luma (low: dark; very high with most pixels white: over-exposed);
* flat share and dominant-colour share — how many neighbouring pixels are exactly equal and
  how much of the image is one exact colour (a camera's noise never gives either; a screen
  capture gives both);
* sky share above and green share below — a landscape of the whole field rather than a leaf;
* plant share — pixels of a leaf's colours, green through straw to brown (none: not a plant).

Thresholds were set on the seeded synthetic sets (``synthetic.py``) and on the obvious cases;
``tests/vision/test_quality.py`` checks them. Pure: no I/O.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

import numpy as np
from numpy.typing import NDArray
from PIL import Image

from nongso.vision.imaging import working_copy

WORK_SIDE = 256
MIN_SHARPNESS = 25.0
SCREENSHOT_SHARPNESS = 100.0
MIN_BRIGHTNESS = 40.0
MAX_BRIGHTNESS = 235.0
SCREENSHOT_FLAT = 0.45
SCREENSHOT_DOMINANT = 0.18
FIELD_SKY = 0.4
FIELD_GREEN = 0.45
MIN_PLANT = 0.08


@dataclass(frozen=True)
class Measures:
    sharpness: float
    blur: float
    brightness: float
    bright_share: float
    flat_share: float
    dominant_share: float
    sky_top: float
    green_bottom: float
    plant_share: float

    def as_dict(self) -> dict[str, float]:
        return {k: round(v, 4) for k, v in asdict(self).items()}


@dataclass(frozen=True)
class Problem:
    code: str  # blurry, dark, overexposed, screenshot, whole_field, no_plant
    message_vi: str
    message_en: str

    def message(self, lang: str) -> str:
        return self.message_vi if lang == "vi" else self.message_en


PROBLEMS: dict[str, tuple[str, str]] = {
    "blurry": ("Ảnh bị mờ (rung tay hoặc chưa lấy nét). Hãy giữ máy chắc tay, chạm vào lá "
               "trên màn hình để lấy nét rồi chụp lại.",
               "The photo is blurry (shaken or out of focus). Hold the phone steady, tap the "
               "leaf on the screen to focus and take it again."),
    "dark": ("Ảnh quá tối. Hãy chụp lúc trời sáng, không che bóng lên lá.",
             "The photo is too dark. Take it in daylight without shading the leaf."),
    "overexposed": ("Ảnh bị cháy sáng. Hãy tránh chụp ngược nắng hoặc dưới nắng gắt.",
                    "The photo is over-exposed. Avoid shooting into the sun or in harsh light."),
    "screenshot": ("Đây là ảnh chụp màn hình, không phải ảnh chụp cây. Hãy chụp trực tiếp lá "
                   "lúa bằng máy ảnh.",
                   "This is a screenshot, not a photo of a plant. Photograph the rice leaf "
                   "itself with the camera."),
    "whole_field": ("Ảnh chụp cả cánh đồng, quá xa để nhận biết bệnh. Hãy chụp gần một lá "
                    "hoặc một khóm lúa có triệu chứng (cách 20–30 cm).",
                    "The photo shows the whole field, too far away to see a disease. Take a "
                    "close-up of one leaf or hill with the symptoms (20–30 cm away)."),
    "no_plant": ("Không thấy cây trồng trong ảnh. Hãy chụp lá lúa có triệu chứng.",
                 "No plant can be seen in the photo. Photograph the rice leaf with the "
                 "symptoms."),
}


def problem(code: str) -> Problem:
    vi, en = PROBLEMS[code]
    return Problem(code, vi, en)


def _grey(rgb: NDArray[np.float64]) -> NDArray[np.float64]:
    return rgb[..., 0] * 0.299 + rgb[..., 1] * 0.587 + rgb[..., 2] * 0.114


def laplacian_variance(grey: NDArray[np.float64]) -> float:
    lap = (grey[1:-1, :-2] + grey[1:-1, 2:] + grey[:-2, 1:-1] + grey[2:, 1:-1]
           - 4 * grey[1:-1, 1:-1])
    return float(lap.var())


def blur_metric(grey: NDArray[np.float64]) -> float:
    """The no-reference blur metric of Crété-Roffet et al. (2007): how little the neighbour
    differences drop when the image is blurred again; 0 sharp … 1 fully blurred. Worse of the
    horizontal and vertical directions."""
    values = []
    for axis in (0, 1):
        img = grey if axis == 1 else grey.T
        kernel = np.ones(9) / 9
        padded = np.pad(img, ((0, 0), (4, 4)), mode="edge")
        cs = np.cumsum(np.pad(padded, ((0, 0), (1, 0))), axis=1)
        blurred = (cs[:, 9:] - cs[:, :-9]) * kernel[0]
        d_orig = np.abs(np.diff(img, axis=1))
        d_blur = np.abs(np.diff(blurred, axis=1))
        total = d_orig.sum()
        if total <= 1e-9:
            values.append(1.0)
            continue
        lost = np.maximum(0.0, d_orig - d_blur).sum()
        values.append(float((total - lost) / total))
    return max(values)


def hsv(image: Image.Image) -> NDArray[np.float64]:
    """Hue in degrees (0–360), saturation and value in 0–1."""
    arr = np.asarray(image.convert("HSV"), dtype=np.float64)
    return np.stack([arr[..., 0] * 360 / 255, arr[..., 1] / 255, arr[..., 2] / 255], axis=-1)


def green_mask(h: NDArray[np.float64]) -> NDArray[np.bool_]:
    return (h[..., 0] >= 60) & (h[..., 0] <= 170) & (h[..., 1] > 0.18) & (h[..., 2] > 0.15)


def plant_mask(h: NDArray[np.float64]) -> NDArray[np.bool_]:
    """Colours of a leaf, healthy or not: green, yellow, straw, orange-brown."""
    leafy = (h[..., 0] >= 15) & (h[..., 0] <= 170) & (h[..., 1] > 0.15) & (h[..., 2] > 0.12)
    return leafy


def sky_mask(rgb: NDArray[np.float64], h: NDArray[np.float64]) -> NDArray[np.bool_]:
    blue = (h[..., 0] >= 185) & (h[..., 0] <= 250) & (h[..., 1] > 0.12) & (h[..., 2] > 0.45)
    cloud = (h[..., 1] < 0.12) & (h[..., 2] > 0.8)
    return blue | cloud


def _flat(content: NDArray[np.uint8]) -> tuple[float, float]:
    """Share of horizontally adjacent pixels exactly equal; share of the commonest colour
    (on a central crop of at most 256 × 256 pixels of the photo as sent)."""
    h, w = content.shape[:2]
    top, left = max(0, (h - 256) // 2), max(0, (w - 256) // 2)
    crop = content[top : top + 256, left : left + 256].astype(np.int32)
    same = np.all(crop[:, 1:] == crop[:, :-1], axis=-1)
    packed = (crop[..., 0] << 16) | (crop[..., 1] << 8) | crop[..., 2]
    _, counts = np.unique(packed, return_counts=True)
    return float(same.mean()), float(counts.max() / packed.size)


def measure(image: Image.Image) -> Measures:
    """The measures of an RGB photo (see the module's docstring)."""
    flat, dominant = _flat(np.asarray(image))
    small = working_copy(image, WORK_SIDE)
    rgb = np.asarray(small, dtype=np.float64)
    grey = _grey(rgb)
    h = hsv(small)
    rows = rgb.shape[0]
    top, bottom = slice(0, max(1, rows // 4)), slice(rows // 2, rows)
    return Measures(
        sharpness=laplacian_variance(grey),
        blur=blur_metric(grey),
        brightness=float(grey.mean()),
        bright_share=float((grey > 245).mean()),
        flat_share=flat,
        dominant_share=dominant,
        sky_top=float(sky_mask(rgb[top], h[top]).mean()),
        green_bottom=float(green_mask(h[bottom]).mean()),
        plant_share=float(plant_mask(h).mean()),
    )


def problems(m: Measures) -> list[Problem]:
    """What is wrong with a photo of these measures, most telling first (empty: usable)."""
    found: list[str] = []
    if (m.flat_share >= SCREENSHOT_FLAT and m.dominant_share >= SCREENSHOT_DOMINANT
            and m.sharpness >= SCREENSHOT_SHARPNESS):
        return [problem("screenshot")]
    if m.brightness < MIN_BRIGHTNESS:
        found.append("dark")
    elif m.brightness > MAX_BRIGHTNESS and m.bright_share > 0.5:
        found.append("overexposed")
    if not found and m.sky_top >= FIELD_SKY and m.green_bottom >= FIELD_GREEN:
        found.append("whole_field")
    if not found and m.plant_share < MIN_PLANT:
        found.append("no_plant")
    if not found and m.sharpness < MIN_SHARPNESS:
        found.append("blurry")
    return [problem(code) for code in found]
