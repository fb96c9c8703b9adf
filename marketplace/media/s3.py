"""Photos in S3-compatible object storage (MEDIA_STORAGE=s3), shared by every app server.

Browsers fetch variants straight from MEDIA_PUBLIC_URL (a CDN or the bucket's website endpoint), never
through Flask. Keys name their content (a hash), so objects are written once and cached for a year.
"""
from datetime import timezone
from urllib.parse import quote

from .storage import check_key

CACHE_CONTROL = "public, max-age=31536000, immutable"
CONTENT_TYPES = {"webp": "image/webp", "jpg": "image/jpeg", "jpeg": "image/jpeg", "png": "image/png",
                 "pdf": "application/pdf"}
PRESIGNED_SECONDS = 300     # lifetime of a link to a private object


def _content_type(key):
    return CONTENT_TYPES.get(key.rpartition(".")[2].lower(), "application/octet-stream")


class S3Storage:
    """Objects in one bucket, addressed by the same relative keys as LocalStorage."""

    def __init__(self, bucket, region=None, endpoint_url=None, public_url=None, client=None):
        import boto3
        from botocore.config import Config

        self.bucket, self.public_url = bucket, (public_url or "").rstrip("/")
        # Few retries and short timeouts: an upload fails in seconds rather than holding a worker.
        self.client = client or boto3.client(
            "s3", region_name=region or None, endpoint_url=endpoint_url or None,
            config=Config(retries={"max_attempts": 2, "mode": "standard"}, connect_timeout=5, read_timeout=30))

    def save(self, key, data, private=False):
        """Write data under key (an object appears whole or not at all)."""
        extra = {} if private else {"CacheControl": CACHE_CONTROL}
        self.client.put_object(Bucket=self.bucket, Key=check_key(key), Body=data,
                               ContentType=_content_type(key), **extra)

    def open(self, key):
        """The bytes stored under key; FileNotFoundError if there are none."""
        try:
            return self.client.get_object(Bucket=self.bucket, Key=check_key(key))["Body"].read()
        except self.client.exceptions.NoSuchKey:
            raise FileNotFoundError(key) from None

    def exists(self, key):
        """Whether an object is stored under key."""
        from botocore.exceptions import ClientError

        try:
            self.client.head_object(Bucket=self.bucket, Key=check_key(key))
            return True
        except ClientError as error:
            if error.response.get("Error", {}).get("Code") in ("404", "NoSuchKey", "NotFound"):
                return False
            raise

    def delete(self, key):
        """Remove the object under key; deleting a missing key is not an error."""
        self.client.delete_object(Bucket=self.bucket, Key=check_key(key))

    def modified_at(self, key):
        """When the object under key was last written (aware UTC); FileNotFoundError if there is none."""
        from botocore.exceptions import ClientError

        try:
            head = self.client.head_object(Bucket=self.bucket, Key=check_key(key))
        except ClientError as error:
            if error.response.get("Error", {}).get("Code") in ("404", "NoSuchKey", "NotFound"):
                raise FileNotFoundError(key) from None
            raise
        return head["LastModified"].astimezone(timezone.utc)

    def keys(self, prefix=""):
        """Iterate, in sorted order, over the stored keys that start with prefix."""
        pages = self.client.get_paginator("list_objects_v2").paginate(Bucket=self.bucket, Prefix=prefix)
        for page in pages:      # S3 lists keys in UTF-8 byte order, which is sorted order for our keys
            for item in page.get("Contents", ()):
                yield item["Key"]

    def url(self, key):
        """Where browsers fetch a public object."""
        return f"{self.public_url}/{quote(check_key(key))}"

    def private_url(self, key, seconds=PRESIGNED_SECONDS):
        """A short-lived link to a private object."""
        return self.client.generate_presigned_url(
            "get_object", Params={"Bucket": self.bucket, "Key": check_key(key)}, ExpiresIn=seconds)
