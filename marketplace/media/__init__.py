"""Product photos: the image pipeline (validate, normalise, WebP variants) and where the files live."""
