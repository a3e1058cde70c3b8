"""One way to reach Temporal: the client factory, with the project's one data converter."""

from temporalio.client import Client, TLSConfig
from temporalio.contrib.pydantic import pydantic_data_converter

from core.settings import Settings, get_settings

DATA_CONVERTER = pydantic_data_converter


async def connect(settings: Settings | None = None) -> Client:
    settings = settings or get_settings()
    tls: TLSConfig | bool = settings.temporal_tls
    if settings.temporal_tls_cert and settings.temporal_tls_key:
        tls = TLSConfig(
            client_cert=settings.temporal_tls_cert.read_bytes(),
            client_private_key=settings.temporal_tls_key.read_bytes(),
        )
    return await Client.connect(
        settings.temporal_address,
        namespace=settings.temporal_namespace,
        data_converter=DATA_CONVERTER,
        tls=tls or bool(settings.temporal_api_key),
        api_key=settings.temporal_api_key,
    )
