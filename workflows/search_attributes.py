"""Typed keys of the pathways' custom search attributes, declared here only: the workflow sets
them, the dev server is started with them (`dev_server_flags`), production registers the same
(README, « Production »)."""

from temporalio.common import SearchAttributeKey

DEPARTEMENT = SearchAttributeKey.for_keyword("SiaoDepartement")
STAGE = SearchAttributeKey.for_keyword("SiaoStage")
OVERDUE = SearchAttributeKey.for_bool("SiaoOverdue")
NEXT_DEADLINE = SearchAttributeKey.for_datetime("SiaoNextDeadline")
REFERENT_STRUCTURE = SearchAttributeKey.for_keyword("SiaoReferentStructure")

ALL: list[SearchAttributeKey] = [DEPARTEMENT, STAGE, OVERDUE, NEXT_DEADLINE, REFERENT_STRUCTURE]


def dev_server_flags() -> list[str]:
    """`--search-attribute NAME=Type` flags for `temporal server start-dev`."""
    kinds = {"KEYWORD": "Keyword", "BOOL": "Bool", "DATETIME": "Datetime"}
    return [
        flag
        for key in ALL
        for flag in ("--search-attribute", f"{key.name}={kinds[key.indexed_value_type.name]}")
    ]
