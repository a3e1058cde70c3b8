"""INSEE commune codes (5 characters: the département's code, then the commune's number; Paris
is 75056, its arrondissements 75101–75120). Imports nothing of ours: bodies and tables use it."""

import re
from typing import Annotated

from pydantic import Field

# Metropolitan 01–95 (no 20), Corsica 2A/2B, overseas 971–976: then the commune's number.
INSEE_COMMUNE_PATTERN = r"^((0[1-9]|1\d|[3-8]\d|9[0-5])\d{3}|2[AB]\d{3}|97[1-6]\d{2})$"
INSEE_COMMUNE = re.compile(INSEE_COMMUNE_PATTERN)
Commune = Annotated[
    str,
    Field(
        pattern=INSEE_COMMUNE_PATTERN,
        description="code commune INSEE (5 caractères, ex. 93066)",
        examples=["93066"],
    ),
]


def departement_of(commune: str) -> str:
    """The département of an INSEE commune code: 3 characters overseas, else 2."""
    return commune[:3] if commune.startswith("97") else commune[:2]


def commune_in(commune: str | None, departement: str) -> str | None:
    """The commune, if it lies in the département (ValueError in French otherwise)."""
    if commune is not None and departement_of(commune) != departement:
        raise ValueError(f"la commune {commune} n'est pas dans le département {departement}")
    return commune
