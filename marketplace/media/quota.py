"""Photos a producer may upload per hour, counted in the rate-limit storage (Redis in production): uploads are
the costliest requests, and producer accounts are self-service."""
from flask_babel import gettext as _
from limits import parse

from ..errors import DomainError
from ..extensions import limiter

PHOTOS_PER_HOUR = parse("60 per hour")


class TooManyPhotos(DomainError):
    """The producer has uploaded as many photos as an hour allows."""

    status_code = 429


def charge_photos(user_id, count):
    """Count `count` photos against the user's hourly allowance; TooManyPhotos (429) when they do not fit."""
    if count <= 0 or not limiter.enabled:  # RATELIMIT_ENABLED off (load tests): nothing is counted
        return
    strategy = limiter.limiter
    if not strategy.hit(PHOTOS_PER_HOUR, "photos", str(user_id), cost=count):
        raise TooManyPhotos(_("Terlalu banyak foto diunggah dalam satu jam (maksimal %(n)d). Coba lagi nanti.",
                              n=PHOTOS_PER_HOUR.amount))
