"""srcset and src helpers point only at variants a photo really has, labelled with real widths."""
from types import SimpleNamespace

from marketplace.media.urls import media_src, media_srcset


def photo(width, height):
    return SimpleNamespace(content_hash="ab" + "0" * 62, width=width, height=height)


def test_srcset_of_a_large_portrait_uses_real_widths(app):
    with app.test_request_context():
        srcset = media_srcset(photo(1536, 2048))
    assert srcset.split(", ") == [
        f"/media/v/ab/ab{'0' * 62}-320.webp 240w",
        f"/media/v/ab/ab{'0' * 62}-640.webp 480w",
        f"/media/v/ab/ab{'0' * 62}-960.webp 720w",
        f"/media/v/ab/ab{'0' * 62}-1280.webp 960w",
    ]


def test_small_photo_lists_only_its_own_variant(app):
    with app.test_request_context():
        assert media_srcset(photo(200, 150)) == f"/media/v/ab/ab{'0' * 62}-320.webp 200w"
        assert media_src(photo(200, 150), 640).endswith("-320.webp")
        assert media_src(photo(500, 400), 640).endswith("-640.webp")
        assert media_src(photo(2048, 1536), 640).endswith("-640.webp")
