"""Photos are checked by content, cleaned of EXIF (GPS above all), oriented, resized, and stored by content."""

import io

import pytest
from PIL import Image

from app.photos import (
    LONG_EDGE,
    MAX_PIXELS,
    THUMB_EDGE,
    LocalPhotoStore,
    PhotoRefused,
    clean_photo,
    content_name,
)
from tests.factories import GPS_IFD, MAKE, MODEL, ORIENTATION, camera_jpeg, decompression_bomb

pytestmark = pytest.mark.usefixtures("app_context")


def _read(data: bytes) -> Image.Image:
    image = Image.open(io.BytesIO(data))
    image.load()
    return image


def test_a_jpeg_with_gps_comes_back_without_any_exif():
    original = camera_jpeg()
    assert _read(original).getexif().get_ifd(GPS_IFD)  # the fixture does carry a position
    photo = clean_photo(original)
    for data in (photo.image, photo.thumbnail):
        image = _read(data)
        assert image.format == "JPEG"
        exif = image.getexif()
        assert not exif.get_ifd(GPS_IFD) and MAKE not in exif and MODEL not in exif and len(exif) == 0
        assert "exif" not in image.info and b"PhoneMaker" not in data and b"Pocket 12" not in data


def test_the_cameras_orientation_is_applied_to_the_pixels():
    # Orientation 6: the camera was turned; the stored pixels are landscape, shown as portrait.
    photo = clean_photo(camera_jpeg(size=(1200, 900), orientation=6))
    assert (photo.width, photo.height) == (900, 1200)
    image = _read(photo.image)
    assert image.size == (900, 1200) and ORIENTATION not in image.getexif()


def test_large_photos_are_resized_with_a_thumbnail_beside():
    photo = clean_photo(camera_jpeg(size=(4032, 3024)))
    assert max(photo.width, photo.height) == LONG_EDGE and (photo.width, photo.height) == (2048, 1536)
    assert max(_read(photo.thumbnail).size) == THUMB_EDGE
    small = clean_photo(camera_jpeg(size=(640, 480)))
    assert (small.width, small.height) == (640, 480)  # never enlarged


def test_png_with_transparency_becomes_a_jpeg_on_white():
    image = Image.new("RGBA", (300, 200), (0, 0, 0, 0))
    out = io.BytesIO()
    image.save(out, format="PNG")
    photo = clean_photo(out.getvalue())
    assert _read(photo.image).getpixel((10, 10)) == pytest.approx((255, 255, 255), abs=2)


def test_a_renamed_text_file_is_refused_naming_the_field():
    with pytest.raises(PhotoRefused) as caught:
        clean_photo(b"#!/bin/sh\necho this is not a photo, whatever its name says\n")
    assert (caught.value.field, caught.value.code, caught.value.status) == ("photo", "not_an_image", 415)


def test_other_image_types_and_broken_files_are_refused():
    out = io.BytesIO()
    Image.new("RGB", (50, 50)).save(out, format="GIF")
    with pytest.raises(PhotoRefused) as caught:
        clean_photo(out.getvalue())
    assert caught.value.code == "not_an_image"
    truncated = camera_jpeg()[:600]
    with pytest.raises(PhotoRefused) as caught:
        clean_photo(truncated)
    assert caught.value.code == "not_an_image"


@pytest.mark.parametrize("width, height", [(8000, 8000), (20000, 20000)])
def test_a_decompression_bomb_is_refused_before_its_pixels_are_read(width, height):
    data = decompression_bomb(width, height)
    assert len(data) < 200_000 and width * height > MAX_PIXELS
    with pytest.raises(PhotoRefused) as caught:
        clean_photo(data)
    assert (caught.value.field, caught.value.code, caught.value.status) == ("photo", "photo_too_many_pixels", 413)


def test_too_many_bytes_are_refused():
    from app import photos
    with pytest.raises(PhotoRefused) as caught:
        clean_photo(b"\xff\xd8" + b"\0" * (photos.MAX_BYTES + 1))
    assert (caught.value.code, caught.value.status) == ("photo_too_large", 413)


def test_store_keeps_files_by_content_once_and_refuses_other_names(tmp_path):
    store = LocalPhotoStore(tmp_path)
    photo = clean_photo(camera_jpeg())
    again = clean_photo(camera_jpeg())
    assert photo.name == again.name == content_name(photo.image)  # the same photo is the same file
    store.put(photo.name, photo.image)
    store.put(again.name, again.image)
    assert store.read(photo.name) == photo.image
    assert len(list(tmp_path.rglob("*.jpg"))) == 1 and not list(tmp_path.rglob("*.tmp"))
    assert store.path(photo.name).relative_to(tmp_path).parts[:2] == (photo.name[:2], photo.name[2:4])
    for bad in ("../../etc/passwd", "x.jpg", photo.name.replace(".jpg", ".png")):
        assert store.read(bad) is None
        with pytest.raises(ValueError):
            store.put(bad, b"")
    store.delete(photo.name)
    assert store.read(photo.name) is None
