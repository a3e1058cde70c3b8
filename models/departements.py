"""The 101 départements a SIAO serves: 94 metropolitan, Corsica's two, five overseas."""

DEPARTEMENTS: tuple[str, ...] = (
    *(f"{n:02d}" for n in range(1, 96) if n != 20),  # 20 became 2A and 2B in 1976
    "2A",
    "2B",
    "971",  # Guadeloupe
    "972",  # Martinique
    "973",  # Guyane
    "974",  # La Réunion
    "976",  # Mayotte
)
DEPARTEMENT_PATTERN = "^(" + "|".join(DEPARTEMENTS) + ")$"
