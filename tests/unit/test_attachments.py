import base64

import pytest

from shared.attachments import clean_filename, decode_upload, sniff
from shared.errors import FileTooLarge, UnsupportedFile
from tests.support.files import PDF, image_bytes


@pytest.mark.parametrize("kind, expected", [("JPEG", "image/jpeg"), ("PNG", "image/png"), ("WEBP", "image/webp")])
def test_photos_are_recognised_by_their_content(kind, expected):
    assert sniff(image_bytes(kind)) == expected


def test_a_pdf_is_a_document():
    assert sniff(PDF) == "application/pdf"


@pytest.mark.parametrize(
    "disguised",
    [
        b"MZ\x90\x00 this is a windows program",
        b"<html><script>alert(1)</script></html>",
        image_bytes("PNG")[:40],  # a PNG's header on nothing: truncated
        b"GIF89a" + b"\x00" * 20,
        image_bytes("BMP"),
    ],
    ids=["exe", "html", "truncated png", "gif", "bmp"],
)
def test_a_file_that_lies_about_its_type_is_refused(disguised):
    with pytest.raises(UnsupportedFile):
        sniff(disguised)


def test_an_upload_larger_than_the_limit_is_refused():
    with pytest.raises(FileTooLarge):
        decode_upload(base64.b64encode(b"x" * 2048).decode(), max_bytes=1024)


def test_filenames_lose_paths_and_odd_characters():
    assert clean_filename("../../etc/passwd") == "passwd"
    assert clean_filename("C:\\photos\\垃圾 1.jpg") == "垃圾 1.jpg"
    assert clean_filename("a<b>.jpg") == "a_b_.jpg"
