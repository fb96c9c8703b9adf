"""How large an upload may be, and the one sentence that says so: every form hint, every refusal (the photo
pipeline's, the resumable upload's, the 413 page) and the README state these same figures in these words."""
from flask_babel import gettext as _

MB = 1024 * 1024
# One photo, as the pipeline reads it (a phone's 48 MP JPEG is 8-12 MB).
MAX_PHOTO_BYTES = 15 * MB
# One request (Flask's MAX_CONTENT_LENGTH): a photo at the limit plus the rest of the form.
MAX_REQUEST_BYTES = 16 * MB


def upload_limit():
    """The limits as a phrase for hints and messages: 'maksimal 15 MB per foto dan 16 MB per kiriman'."""
    return _("maksimal %(photo)d MB per foto dan %(request)d MB per kiriman",
             photo=MAX_PHOTO_BYTES // MB, request=MAX_REQUEST_BYTES // MB)


def photo_too_large():
    """The refusal of a photo over MAX_PHOTO_BYTES."""
    return _("Foto terlalu besar: %(limit)s. Perkecil foto lalu coba lagi.", limit=upload_limit())


def request_too_large():
    """The refusal of a request over MAX_REQUEST_BYTES (the 413 page)."""
    return _("Ukuran kiriman melebihi batas: %(limit)s. Perkecil foto lalu coba lagi.", limit=upload_limit())
