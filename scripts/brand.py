"""Draw the integration's brand images into custom_components/shared_calendars/brand/.

Home Assistant (2026.3 and later) serves a custom integration's own icon and logo
from that folder. The picture: two members' calendars, one orange and one teal,
fanned out behind a combined calendar whose days hold both colours' events.

Everything is drawn at four times the size and scaled down, which smooths edges.
Run it with the project's venv (Pillow comes with Home Assistant):

    .venv/bin/python scripts/brand.py
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from PIL import Image, ImageDraw, ImageFont

BRAND = (
    Path(__file__).resolve().parent.parent
    / "custom_components"
    / "shared_calendars"
    / "brand"
)
UNIT = 256
"""Coordinates below are on a 256 x 256 icon."""
SUPERSAMPLE = 4

BLUE = "#039BE5"
BLUE_DARK = "#0277BD"
ORANGE = "#FB8C00"
ORANGE_DARK = "#E65100"
TEAL = "#26A69A"
TEAL_DARK = "#00796B"
PAPER = "#FFFFFF"
EMPTY_DAY = "#E3EAF0"
RING = "#37474F"
TEXT_LIGHT = "#212121"
TEXT_DARK = "#F5F5F5"


@dataclass(frozen=True, kw_only=True)
class Card:
    """One calendar page: a coloured header with two rings over a body."""

    box: tuple[float, float, float, float]
    header: str
    body: str
    outline: str | None = None


def _scaled(value: float, scale: float) -> int:
    return round(value * scale)


def _draw_card(draw: ImageDraw.ImageDraw, card: Card, scale: float) -> None:
    left, top, right, bottom = (_scaled(v, scale) for v in card.box)
    radius = _scaled(18, scale)
    header_bottom = top + _scaled(42, scale)
    width = _scaled(6, scale) if card.outline else 0
    draw.rounded_rectangle(
        (left, top, right, bottom),
        radius,
        fill=card.body,
        outline=card.outline,
        width=width,
    )
    draw.rounded_rectangle(
        (left, top, right, header_bottom),
        radius,
        fill=card.header,
        corners=(True, True, False, False),
    )
    span = right - left
    ring_w, ring_h = _scaled(12, scale), _scaled(30, scale)
    for centre in (left + span * 0.3, left + span * 0.7):
        draw.rounded_rectangle(
            (
                centre - ring_w / 2,
                top - ring_h / 2,
                centre + ring_w / 2,
                top + ring_h / 2,
            ),
            ring_w / 2,
            fill=RING,
        )


def _back_card(header: str, body: str, angle: float, size: int) -> Image.Image:
    """Return a member's calendar, turned by `angle` degrees, on a layer of `size`."""
    scale = size / UNIT
    layer = Image.new("RGBA", (size, size), (0, 0, 0, 0))
    _draw_card(
        ImageDraw.Draw(layer),
        Card(box=(68, 30, 188, 160), header=header, body=body),
        scale,
    )
    centre = (_scaled(128, scale), _scaled(160, scale))
    return layer.rotate(angle, Image.Resampling.BICUBIC, center=centre)


def _icon_layer(size: int) -> Image.Image:
    """Return the icon drawn at `size` pixels square, on a transparent background."""
    scale = size / UNIT
    image = Image.new("RGBA", (size, size), (0, 0, 0, 0))
    for header, body, angle, shift in (
        (ORANGE_DARK, ORANGE, 12, -34),
        (TEAL_DARK, TEAL, -12, 34),
    ):
        card = _back_card(header, body, angle, size)
        image.alpha_composite(card, (_scaled(shift, scale), 0))
    draw = ImageDraw.Draw(image)
    front = Card(box=(40, 70, 216, 246), header=BLUE, body=PAPER, outline=BLUE)
    _draw_card(draw, front, scale)
    # Days of the combined calendar: events of both members, and free days.
    days = (
        (ORANGE, EMPTY_DAY, TEAL),
        (TEAL, ORANGE, ORANGE),
        (EMPTY_DAY, TEAL, EMPTY_DAY),
    )
    width, height, gap, left, top = 44, 30, 10, 52, 124
    for row, colours in enumerate(days):
        for column, colour in enumerate(colours):
            x = left + column * (width + gap)
            y = top + row * (height + gap // 2 + 3)
            draw.rounded_rectangle(
                (
                    _scaled(x, scale),
                    _scaled(y, scale),
                    _scaled(x + width, scale),
                    _scaled(y + height, scale),
                ),
                _scaled(7, scale),
                fill=colour,
            )
    return image


def icon(size: int) -> Image.Image:
    """Return the icon, `size` pixels square."""
    big = _icon_layer(size * SUPERSAMPLE)
    return big.resize((size, size), Image.Resampling.LANCZOS)


def logo(height: int, *, dark: bool) -> Image.Image:
    """Return the icon with the name beside it, `height` pixels high."""
    big = height * SUPERSAMPLE
    font = ImageFont.load_default(size=big * 0.3)
    words = ("Shared", "Calendars")
    text_width = max(font.getlength(word) for word in words)
    margin = big * 0.12
    image = Image.new(
        "RGBA", (round(big + margin + text_width + margin / 2), big), (0, 0, 0, 0)
    )
    image.alpha_composite(_icon_layer(big))
    draw = ImageDraw.Draw(image)
    colour = TEXT_DARK if dark else TEXT_LIGHT
    for line, word in enumerate(words):
        draw.text(
            (big + margin, big * (0.2 + 0.34 * line)),
            word,
            font=font,
            fill=colour,
        )
    width = round(image.width / SUPERSAMPLE)
    logo = image.resize((width, height), Image.Resampling.LANCZOS)
    # Trimmed on the right, as the brands guidelines ask; the icon fills the height.
    bbox = logo.getchannel("A").getbbox()
    assert bbox is not None
    return logo.crop((0, 0, bbox[2], height))


def main() -> None:
    """Write every image Home Assistant's brands integration asks for."""
    BRAND.mkdir(exist_ok=True)
    images = {
        "icon.png": icon(256),
        "icon@2x.png": icon(512),
        "logo.png": logo(256, dark=False),
        "logo@2x.png": logo(512, dark=False),
        "dark_logo.png": logo(256, dark=True),
        "dark_logo@2x.png": logo(512, dark=True),
    }
    for name, image in images.items():
        image.save(BRAND / name, optimize=True)


if __name__ == "__main__":
    main()
