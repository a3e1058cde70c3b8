"""Structures and places written straight to the database, for tests that need one at hand."""

from sqlalchemy.engine import Engine
from sqlmodel import Session

from models.offer import Place, PlaceStatus, Structure, StructureKind
from tests import hunt


def place(
    engine: Engine, status: str = "occupied", departement: str = "75", name: str | None = None
) -> tuple[int, int]:
    """A new place of this status (vacant: in an emergency shelter; sheltered: an occupied one
    there) and its structure's id."""
    sheltered = status == "sheltered"
    status = "occupied" if sheltered else status
    kind = StructureKind.CHU if status == PlaceStatus.VACANT or sheltered else StructureKind.CHRS
    with Session(engine, expire_on_commit=False) as session:
        structure = Structure(
            name=name or (hunt.STRUCTURE if kind is StructureKind.CHRS else "CHU de la Gare"),
            departement=departement,
            kind=kind,
            commune="75056",
        )
        session.add(structure)
        session.flush()
        assert structure.id is not None
        unit = Place(structure_id=structure.id, label="Lit 1", status=PlaceStatus[status.upper()])
        session.add(unit)
        session.commit()
        assert unit.id is not None
        return structure.id, unit.id
