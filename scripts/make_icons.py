"""Draw StepFree's app icons (static/icons/icon-192.png and icon-512.png) with the standard library alone.

The manifest needs PNG icons of 192 and 512 px for a phone to offer installing the app. They are drawn here,
not copied: a white step (the "step-free" idea: a ramp rising over a step) on the site's accent blue, with a
margin wide enough to survive the circle a launcher may crop the icon to. No imaging library: the picture is
three shapes, and PNG is zlib-compressed rows, which the standard library writes in a few lines.
"""

import struct
import sys
import zlib
from pathlib import Path

ACCENT = (0x0B, 0x5C, 0xAD)
WHITE = (0xFF, 0xFF, 0xFF)
SIZES = (192, 512)


def pixel(x: float, y: float) -> tuple[int, int, int]:
    """The colour at (x, y) in a unit square: a ramp from the lower left rising to a step on the right."""
    inside = 0.2 <= x <= 0.8 and y <= 0.78
    ramp = inside and y >= 0.78 - (x - 0.2) * 0.6 and x <= 0.62
    step = inside and x >= 0.62 and y >= 0.40
    return WHITE if ramp or step else ACCENT


def png(size: int) -> bytes:
    """An RGB PNG of the icon at size × size pixels."""
    rows = bytearray()
    for row in range(size):
        rows.append(0)  # filter type "none" for each scanline
        for column in range(size):
            rows.extend(pixel((column + 0.5) / size, (row + 0.5) / size))

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    header = struct.pack(">IIBBBBB", size, size, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(bytes(rows), 9)) \
        + chunk(b"IEND", b"")


def main(folder: Path) -> None:
    """Write the icons that are missing (they never change, so an existing file is kept)."""
    folder.mkdir(parents=True, exist_ok=True)
    for size in SIZES:
        path = folder / f"icon-{size}.png"
        if not path.exists():
            path.write_bytes(png(size))


if __name__ == "__main__":
    main(Path(sys.argv[1]) if len(sys.argv) > 1 else Path(__file__).resolve().parents[1] / "static" / "icons")
