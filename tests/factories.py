"""Test bodies are the documented examples: what the docs show is what the tests send."""

from api.examples import (  # noqa: F401
    accepted,
    commission,
    exit_,
    first_contact,
    flash,
    in_depth,
    orientation,
    placement,
    refused,
    review,
)
