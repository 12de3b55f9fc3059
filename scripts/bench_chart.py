"""The benchmark's chart, drawn with Pillow (already installed with Home Assistant).

Three panels against calendar size: the CPU and the bytes received of a quiet cycle,
and the wall time of a first sync; one line per strategy.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from PIL import Image, ImageDraw, ImageFont

WIDTH, HEIGHT = 1200, 430
PANEL = 400
MARGIN_LEFT, MARGIN_TOP, MARGIN_BOTTOM = 70, 60, 70
COLORS = ((31, 119, 180), (255, 127, 14))
PANELS = (
    ("quiet cycle: CPU (ms)", "quiet_cpu_ms"),
    ("quiet cycle: KB received", "quiet_kb_in"),
    ("first sync: wall (s), no latency", "first_wall_s"),
)


@dataclass(frozen=True, kw_only=True)
class Series:
    """One strategy's figures at each size."""

    name: str
    quiet_cpu_ms: list[float]
    quiet_kb_in: list[float]
    first_wall_s: list[float]

    @classmethod
    def of(cls, name: str, runs: list[list[dict[str, Any]]]) -> Series:
        """Build from the steps of one scenario run per size."""

        def figure(steps: list[dict[str, Any]], name: str) -> dict[str, Any]:
            return next(s for s in steps if s["name"] == name)

        return cls(
            name=name,
            quiet_cpu_ms=[figure(s, "quiet cycle")["cpu"] * 1000 for s in runs],
            quiet_kb_in=[figure(s, "quiet cycle")["received"] / 1024 for s in runs],
            first_wall_s=[figure(s, "first sync")["wall"] for s in runs],
        )


def _font(size: int) -> ImageFont.FreeTypeFont | ImageFont.ImageFont:
    return ImageFont.load_default(size=size)


def draw_chart(path: Path, copies: list[int], series: list[Series]) -> None:
    """Draw the panels for calendars of `copies` copies and save a PNG at `path`."""
    image = Image.new("RGB", (WIDTH, HEIGHT), "white")
    draw = ImageDraw.Draw(image)
    draw.text(
        (WIDTH // 2, 18),
        "Cost against calendar size (family of 5, fake Google API)",
        fill="black",
        font=_font(18),
        anchor="mt",
    )
    for index, (title, attribute) in enumerate(PANELS):
        left = index * PANEL + MARGIN_LEFT
        right = (index + 1) * PANEL - 20
        top, bottom = MARGIN_TOP + 20, HEIGHT - MARGIN_BOTTOM
        values = [getattr(s, attribute) for s in series]
        highest = max(max(v) for v in values) * 1.1 or 1.0
        draw.text(
            ((left + right) // 2, MARGIN_TOP),
            title,
            fill="black",
            font=_font(14),
            anchor="mt",
        )
        draw.line([(left, top), (left, bottom), (right, bottom)], fill="black")
        for tick in range(5):
            value = highest * tick / 4
            y = bottom - (bottom - top) * tick / 4
            draw.line([(left - 4, y), (left, y)], fill="black")
            draw.line([(left, y), (right, y)], fill=(230, 230, 230))
            draw.text(
                (left - 6, y),
                f"{value:,.0f}" if highest >= 10 else f"{value:.1f}",
                fill="black",
                font=_font(11),
                anchor="rm",
            )

        def x_of(copy_count: int, left: int = left, right: int = right) -> float:
            return left + (right - left) * copy_count / (max(copies) * 1.05)

        for count in copies:
            draw.line([(x_of(count), bottom), (x_of(count), bottom + 4)], fill="black")
            draw.text(
                (x_of(count), bottom + 6),
                f"{count:,}",
                fill="black",
                font=_font(11),
                anchor="mt",
            )
        draw.text(
            ((left + right) // 2, bottom + 24),
            "copies",
            fill="black",
            font=_font(12),
            anchor="mt",
        )
        for color, line in zip(COLORS, values, strict=False):
            points = [
                (x_of(c), bottom - (bottom - top) * v / highest)
                for c, v in zip(copies, line, strict=True)
            ]
            draw.line(points, fill=color, width=3)
            for x, y in points:
                draw.ellipse([(x - 4, y - 4), (x + 4, y + 4)], fill=color)
    for index, (color, s) in enumerate(zip(COLORS, series, strict=False)):
        x = 80 + index * 220
        draw.rectangle([(x, HEIGHT - 22), (x + 18, HEIGHT - 10)], fill=color)
        draw.text(
            (x + 24, HEIGHT - 16), s.name, fill="black", font=_font(13), anchor="lm"
        )
    path.parent.mkdir(parents=True, exist_ok=True)
    image.save(path)
