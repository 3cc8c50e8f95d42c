"""Photos of entrances, toilets, parking and insides: checked, cleaned, resized, and stored by their content.

What a phone sends is never kept as it came:
- Its type is read from its bytes (Pillow decodes it), never from the file name or the declared type; only
  JPEG, PNG and WebP are taken.
- Its size and its pixel count have limits, checked before decoding the pixels, so a small file that unpacks to
  a huge image (a decompression bomb) is refused without using the memory.
- The camera's orientation is applied to the pixels, then the image is re-encoded as a new JPEG: no EXIF (GPS
  position, device, time), no other metadata, no trailing data travels on.
- The long edge is at most 2048 px, and a thumbnail (long edge 400 px) is made beside it.

The files are named by the SHA-256 of their bytes, so the same photo sent twice is stored once, and a name
never changes its content (it can be cached for good). They go through a small storage interface: local files
under MEDIA_ROOT by default; an S3-compatible object store can take its place by implementing `PhotoStore`.
Photos never go through the database; it holds their names.
"""

import contextlib
import hashlib
import io
import os
import tempfile
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from flask import current_app
from flask_babel import gettext as _
from PIL import Image, ImageOps, UnidentifiedImageError

from app.errors import AppError

ACCEPTED_FORMATS = ("JPEG", "PNG", "WEBP")
MAX_BYTES = 15 * 1024 * 1024          # a phone camera's JPEG is 2–8 MB
UPLOAD_MAX_BYTES = MAX_BYTES + 64 * 1024  # the photo and the form around it
MAX_PIXELS = 50_000_000               # 50 megapixels: more than any phone camera, far below a bomb
LONG_EDGE = 2048
THUMB_EDGE = 400
JPEG_QUALITY = 85


class PhotoRefused(AppError):
    """A file that is not a photo StepFree takes; the answer names the `photo` field."""

    def __init__(self, message: str, code: str, status: int = 400):
        super().__init__(message, "photo", code=code, status=status)


@dataclass(frozen=True)
class CleanPhoto:
    """A photo as StepFree keeps it: the re-encoded image and its thumbnail (JPEG bytes), and their names."""

    image: bytes
    thumbnail: bytes
    width: int
    height: int

    @property
    def name(self) -> str:
        return content_name(self.image)

    @property
    def thumbnail_name(self) -> str:
        return content_name(self.thumbnail)


def content_name(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest() + ".jpg"


def _open_checked(data: bytes) -> Image.Image:
    """The image in `data`, refused unless it is a JPEG, PNG or WebP within the limits (read from its header)."""
    if len(data) > MAX_BYTES:
        raise photo_too_large()
    try:
        with warnings.catch_warnings():
            # Pillow warns above its own limit and refuses at twice it; StepFree's limit is checked below.
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            image = Image.open(io.BytesIO(data))
    except Image.DecompressionBombError as error:
        raise _too_many_pixels() from error
    except (UnidentifiedImageError, OSError, ValueError) as error:
        raise PhotoRefused(_("This file is not a photo StepFree can read: send a JPEG, PNG or WebP image."),
                           "not_an_image", 415) from error
    if image.format not in ACCEPTED_FORMATS:
        raise PhotoRefused(_("This file is not a photo StepFree can read: send a JPEG, PNG or WebP image."),
                           "not_an_image", 415)
    width, height = image.size
    if width * height > MAX_PIXELS:
        raise _too_many_pixels()
    return image


def photo_too_large() -> PhotoRefused:
    return PhotoRefused(_("The photo is too large: at most %(mb)s MB.", mb=MAX_BYTES // (1024 * 1024)),
                        "photo_too_large", 413)


def _too_many_pixels() -> PhotoRefused:
    return PhotoRefused(_("The photo has too many pixels: at most %(megapixels)s megapixels.",
                          megapixels=MAX_PIXELS // 1_000_000), "photo_too_many_pixels", 413)


def clean_photo(data: bytes) -> CleanPhoto:
    """Check, orient, strip and resize an uploaded photo (see the module's description)."""
    image = _open_checked(data)
    try:
        image.load()
    except (OSError, Image.DecompressionBombError, ValueError) as error:
        raise PhotoRefused(_("This file is not a photo StepFree can read: send a JPEG, PNG or WebP image."),
                           "not_an_image", 415) from error
    image = ImageOps.exif_transpose(image)  # the camera's orientation, applied to the pixels
    if image.mode != "RGB":
        image = _on_white(image)
    image.thumbnail((LONG_EDGE, LONG_EDGE), Image.Resampling.LANCZOS)
    thumb = image.copy()
    thumb.thumbnail((THUMB_EDGE, THUMB_EDGE), Image.Resampling.LANCZOS)
    return CleanPhoto(image=_jpeg(image), thumbnail=_jpeg(thumb), width=image.width, height=image.height)


def _on_white(image: Image.Image) -> Image.Image:
    """RGB for JPEG: transparent parts on white, as a page shows them."""
    if image.mode in ("RGBA", "LA") or (image.mode == "P" and "transparency" in image.info):
        rgba = image.convert("RGBA")
        background = Image.new("RGB", rgba.size, (255, 255, 255))
        background.paste(rgba, mask=rgba.getchannel("A"))
        return background
    return image.convert("RGB")


def _jpeg(image: Image.Image) -> bytes:
    # A new image object carries no EXIF, ICC or comment unless given one: nothing of the original travels on.
    out = io.BytesIO()
    image.save(out, format="JPEG", quality=JPEG_QUALITY, optimize=True, progressive=True)
    return out.getvalue()


class PhotoStore(Protocol):
    """Where photo files live. Names are content names (content_name), so a stored file never changes."""

    def put(self, name: str, data: bytes) -> None: ...

    def read(self, name: str) -> bytes | None: ...

    def delete(self, name: str) -> None: ...


class LocalPhotoStore:
    """Files under a directory (MEDIA_ROOT), fanned out by the name's first characters: ab/cd/abcd....jpg."""

    def __init__(self, root: str | os.PathLike):
        self.root = Path(root)

    def path(self, name: str) -> Path:
        if not _is_content_name(name):
            raise ValueError(f"not a photo name: {name!r}")
        return self.root / name[:2] / name[2:4] / name

    def put(self, name: str, data: bytes) -> None:
        target = self.path(name)
        if target.exists():
            return  # the same bytes, by their name
        target.parent.mkdir(parents=True, exist_ok=True)
        handle, temporary = tempfile.mkstemp(dir=target.parent, suffix=".tmp")
        with os.fdopen(handle, "wb") as out:
            out.write(data)
        os.replace(temporary, target)

    def read(self, name: str) -> bytes | None:
        try:
            return self.path(name).read_bytes()
        except (FileNotFoundError, ValueError):
            return None

    def delete(self, name: str) -> None:
        with contextlib.suppress(FileNotFoundError, ValueError):
            self.path(name).unlink()


def _is_content_name(name: str) -> bool:
    stem, dot, extension = name.partition(".")
    return dot == "." and extension == "jpg" and len(stem) == 64 and all(c in "0123456789abcdef" for c in stem)


def init_photo_store(app) -> None:
    """The photo store the app uses: local files under MEDIA_ROOT (default: the instance folder's "media").

    A deployment with an object store sets `app.extensions["photo_store"]` to its own PhotoStore after
    create_app (README: "Photos and where they are stored")."""
    root = app.config.get("MEDIA_ROOT") or os.path.join(app.instance_path, "media")
    app.config["MEDIA_ROOT"] = root
    app.extensions["photo_store"] = LocalPhotoStore(root)


def photo_store() -> PhotoStore:
    return current_app.extensions["photo_store"]
