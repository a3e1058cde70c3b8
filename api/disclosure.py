"""Routes that return personal data say so, and are audited by what they declare.

A route declares a parameter `Annotated[Disclosed, Depends(Disclosure(...), scope="function")]`
(or `ANSWERS_A_WRITE` in its dependencies): the declaration is what a test reads off
`app.routes` (tests/test_disclosure.py), and the same object writes the audit row. A read is
audited once the route has its answer and before the answer leaves — a refused or failed call
returns nothing and writes nothing; a route that names no household still writes one row. The
answer to a write is covered by the write's own audit row (api/actions.py), written with the
entry it records.
"""

from collections.abc import AsyncIterator, Iterable
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from fastapi import Depends
from starlette.concurrency import run_in_threadpool

from activities import audit
from api.security import CurrentPrincipal, Principal
from api.state import EngineDep


class Access(StrEnum):
    """The audit row's `action`: what was done with the data."""

    READ = "lecture"
    EXPORT = "export"
    SIMULATION = "simulation"
    WRITE = "écriture"
    DECODE = "déchiffrement"


class AuditedBy(StrEnum):
    """Who writes the audit row of a route that returns personal data."""

    DISCLOSURE = "déclaration"  # this dependency, once the answer is ready
    WRITE = "écriture"  # the write the answer reports, with the entry it records
    ROUTE = "route"  # the route itself, one row per household it decoded or withheld


@dataclass
class Disclosed:
    """What one call disclosed, to whom; written to the audit trail as one transaction."""

    principal: Principal
    engine: Any
    access: Access
    record: str
    purpose: str
    entries: list[tuple[str | None, list[str], str | None]] = field(default_factory=list)
    written: bool = False

    @property
    def actor(self) -> str:
        return f"agent-{self.principal.user_id}"

    def household(
        self, household_id: str | None, fields: Iterable[str], departement: str | None = None
    ) -> None:
        """This call discloses these fields of this household (None: no household in
        particular, e.g. figures on a département)."""
        self.entries.append((household_id, sorted(fields), departement))

    def write(self) -> None:
        """Blocking. Write the rows now (a route whose answer must list its own read); the
        dependency then writes nothing more."""
        if self.written:
            return
        entries = self.entries or [(None, [], None)]

        def work(session: Any) -> None:
            for household_id, fields, departement in entries:
                audit.append(
                    session,
                    actor=self.actor,
                    action=self.access.value,
                    record=self.record,
                    purpose=self.purpose,
                    household_id=household_id,
                    fields=fields,
                    departement=departement,
                    flush=False,  # one flush for the whole list
                )
            session.flush()

        audit.transaction(self.engine, work)
        self.written = True


@dataclass(frozen=True)
class Declaration:
    """What personal data a route returns, and who audits it: read off `app.routes`."""

    access: Access
    record: str
    purpose: str
    audited_by: AuditedBy


@dataclass(frozen=True)
class Disclosure(Declaration):
    """A route that returns personal data and is audited by this dependency."""

    audited_by: AuditedBy = AuditedBy.DISCLOSURE

    async def __call__(
        self, engine: EngineDep, principal: CurrentPrincipal
    ) -> AsyncIterator[Disclosed]:
        disclosed = Disclosed(principal, engine, self.access, self.record, self.purpose)
        yield disclosed  # the route runs; an error it raises ends here, unaudited (no data)
        await run_in_threadpool(disclosed.write)


@dataclass(frozen=True)
class AuditedElsewhere(Declaration):
    """A route that returns personal data audited by the write it answers, or by itself."""

    async def __call__(self) -> None:
        return None


# The answer to an action (its pathway) is audited with the write itself.
ANSWERS_A_WRITE = Depends(
    AuditedElsewhere(Access.WRITE, "réponse à une saisie", "saisie du parcours", AuditedBy.WRITE)
)
# Payloads decrypted for the Temporal UI: audited by the codec route, per household.
DECODES = Depends(
    AuditedElsewhere(
        Access.DECODE, "payloads Temporal", "supervision des parcours", AuditedBy.ROUTE
    )
)


def declarations(dependant: Any) -> list[Declaration]:
    """Every declaration in a route's dependency tree (for tests and documentation)."""
    found = [dependant.call] if isinstance(dependant.call, Declaration) else []
    for sub in dependant.dependencies:
        found += declarations(sub)
    return found
