"""The icon and logo Home Assistant serves for the integration from brand/."""

from __future__ import annotations

from http import HTTPStatus
from pathlib import Path

from homeassistant.core import HomeAssistant
from homeassistant.setup import async_setup_component
from PIL import Image
import pytest
from pytest_homeassistant_custom_component.typing import ClientSessionGenerator

from custom_components.shared_calendars.const import DOMAIN

BRAND = Path(__file__).parent.parent / "custom_components" / DOMAIN / "brand"

SIZES = {
    "icon.png": (256, 256),
    "icon@2x.png": (512, 512),
    "logo.png": (None, 256),
    "logo@2x.png": (None, 512),
    "dark_logo.png": (None, 256),
    "dark_logo@2x.png": (None, 512),
}
"""Width (None: any, landscape) and height of each image, as the brands rules ask."""


@pytest.mark.parametrize(("name", "size"), SIZES.items())
def test_brand_images_have_the_sizes_home_assistant_expects(
    name: str, size: tuple[int | None, int]
) -> None:
    """Square icons of 256 and 512 pixels; logos as high, wider; transparent PNGs."""
    with Image.open(BRAND / name) as image:
        assert image.format == "PNG"
        assert image.mode == "RGBA"
        width, height = size
        assert image.height == height
        assert image.width == (width or image.width)
        assert image.width >= image.height
        corner = image.getpixel((0, 0))
        assert isinstance(corner, tuple)
        assert corner[3] == 0, "the background is transparent"


async def test_home_assistant_serves_the_integrations_own_icon_and_logo(
    hass: HomeAssistant, hass_client: ClientSessionGenerator
) -> None:
    """The brands integration answers with our files, never its placeholder.

    The dark icon is not drawn: Home Assistant falls back to the icon, which
    reads on a dark background too.
    """
    assert await async_setup_component(hass, "brands", {})
    client = await hass_client()

    served = {
        "icon.png": "icon.png",
        "icon@2x.png": "icon@2x.png",
        "logo.png": "logo.png",
        "dark_logo@2x.png": "dark_logo@2x.png",
        "dark_icon.png": "icon.png",
    }
    for image, file in served.items():
        response = await client.get(f"/api/brands/integration/{DOMAIN}/{image}")
        assert response.status == HTTPStatus.OK, image
        assert response.content_type == "image/png"
        assert await response.read() == (BRAND / file).read_bytes(), image
