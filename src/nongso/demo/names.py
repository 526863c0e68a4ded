"""Invented Vietnamese names for the synthetic province (no real person is described)."""

from __future__ import annotations

import random

FAMILY = ["Nguyễn", "Trần", "Lê", "Phạm", "Huỳnh", "Võ", "Phan", "Trương", "Đặng", "Bùi",
          "Đỗ", "Hồ", "Ngô", "Dương", "Lý", "Châu", "Đoàn", "Lâm", "Mai", "Tạ"]
MIDDLE_M = ["Văn", "Hữu", "Minh", "Thanh", "Quốc", "Công", "Đức", "Hoàng"]
MIDDLE_F = ["Thị", "Ngọc", "Thanh", "Kim", "Mỹ", "Bích", "Thu"]
GIVEN_M = ["An", "Bình", "Cường", "Dũng", "Hải", "Hiếu", "Hùng", "Khang", "Lộc", "Minh", "Nam",
           "Phúc", "Phước", "Quang", "Sang", "Tài", "Thành", "Trí", "Tuấn", "Vinh"]
GIVEN_F = ["Anh", "Cúc", "Diễm", "Hằng", "Hoa", "Hương", "Lan", "Liên", "Mai", "Nga", "Nhung",
           "Oanh", "Phượng", "Quyên", "Thảo", "Trang", "Tuyết", "Vân", "Xuân", "Yến"]

BUYERS = ["Công ty TNHH Nông sản Sen Hồng", "Công ty CP Lúa gạo Cửu Long Xanh",
          "Công ty TNHH Trái cây Miền Tây Tươi"]


def person(rng: random.Random) -> str:
    if rng.random() < 0.5:
        return f"{rng.choice(FAMILY)} {rng.choice(MIDDLE_M)} {rng.choice(GIVEN_M)}"
    return f"{rng.choice(FAMILY)} {rng.choice(MIDDLE_F)} {rng.choice(GIVEN_F)}"


def phone(rng: random.Random) -> str:
    """A made-up number in the 0900 000 xxx block, clearly synthetic."""
    return f"0900 000 {rng.randrange(1000):03d}"
