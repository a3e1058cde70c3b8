"""One way to reach Temporal: the client factory, with the project's one data converter.

Pydantic JSON, then every payload encrypted (core.codec); failures too: their message and stack
trace travel in an encoded (so encrypted) attribute instead of in clear text.
"""

import dataclasses

from temporalio.client import Client, TLSConfig
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.converter import DataConverter, DefaultFailureConverterWithEncodedAttributes

from core.codec import EncryptionCodec, KeyRing, dev_key_ring, key_ring_from_settings
from core.settings import Settings, get_settings


def converter_for(ring: KeyRing) -> DataConverter:
    return dataclasses.replace(
        pydantic_data_converter,
        payload_codec=EncryptionCodec(ring),
        failure_converter_class=DefaultFailureConverterWithEncodedAttributes,
    )


def data_converter(settings: Settings) -> DataConverter:
    """The converter with the settings' keys (raises KeyRingError on unusable keys)."""
    return converter_for(key_ring_from_settings(settings))


# The development converter (public development key): tests, bench and local tools. Processes
# that follow the settings (worker, API) go through `connect`, which uses `data_converter`.
DATA_CONVERTER = converter_for(dev_key_ring())


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
        data_converter=data_converter(settings),
        tls=tls or bool(settings.temporal_api_key),
        api_key=settings.temporal_api_key,
    )
