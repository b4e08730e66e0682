import socket

import pytest


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture(scope="session")
def moto_s3():
    """A real S3-compatible HTTP server (moto's standalone server) on 127.0.0.1."""
    from moto.server import ThreadedMotoServer

    port = _free_port()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.stop()


@pytest.fixture
def s3_storage(moto_s3, settings):
    """STORAGES["default"] switched to S3Storage against the moto server, with a fresh bucket."""
    import uuid

    import boto3

    bucket = f"onramp-test-{uuid.uuid4().hex[:12]}"
    client = boto3.client(
        "s3",
        endpoint_url=moto_s3,
        aws_access_key_id="test",
        aws_secret_access_key="test",
        region_name="us-east-1",
    )
    client.create_bucket(Bucket=bucket)
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {
            "BACKEND": "storages.backends.s3.S3Storage",
            "OPTIONS": {
                "access_key": "test",
                "secret_key": "test",
                "bucket_name": bucket,
                "endpoint_url": moto_s3,
                "region_name": "us-east-1",
                "querystring_expire": 60,
                "signature_version": "s3v4",
                "file_overwrite": False,
                "default_acl": None,
            },
        },
    }
    return client, bucket


@pytest.fixture(autouse=True)
def _private_media_root(settings, tmp_path):
    """Each test stores files in its own directory (xdist workers reuse tenant ids)."""
    settings.MEDIA_ROOT = str(tmp_path / "media")
