"""What `siao check` and the daily consistency check report: ids, codes and dates only.

The read model on the `household` row (stage, overdue, next_deadline) is compared with the live
state of its PathwayWorkflow, which is the source of truth. Nothing here may hold a name or a
note: the report crosses the Temporal boundary (ConsistencyCheckWorkflow returns it) and is
printed and logged.
"""

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, Field

ReadModelField = Literal["stage", "overdue", "next_deadline"]


class ConsistencyCheckInput(BaseModel):
    """Input of ConsistencyCheckWorkflow and of its activity."""

    repair: bool = False
    household_ids: list[str] | None = None  # None: every household and pathway
    # Stale pending submissions hold names and notes for no purpose: the scheduled check (and
    # schedules created before this field, whose input lacks it) always deletes them.
    purge_stale: bool = True


class Difference(BaseModel):
    """One field of the read model that disagrees with the workflow."""

    household_id: str
    field: ReadModelField
    # Rendered as text: a stage code, "true"/"false", or an ISO 8601 UTC date (None: no date).
    db_value: str | None
    workflow_value: str | None
    repaired: bool = False


class StaleSubmission(BaseModel):
    """A caseworker entry still pending long after its request gave up waiting for it."""

    submission_id: str
    household_id: str
    action: str
    created_at: datetime
    purged: bool = False


class WorkflowWithoutHousehold(BaseModel):
    workflow_id: str
    run_id: str | None = None
    started_at: datetime | None = None


class HouseholdWithoutWorkflow(BaseModel):
    household_id: str
    workflow_id: str
    status: str = Field(description="not_found, or the closed execution's status (terminated…)")


class Unreachable(BaseModel):
    """A running workflow whose state could not be read (no worker, query failing)."""

    household_id: str
    workflow_id: str
    error: str = Field(description="an RPC status or an exception class, never a message")


class CheckReport(BaseModel):
    checked_at: datetime
    repair: bool
    settle_seconds: int = Field(description="younger rows and workflows are left for next time")
    households_checked: int = 0
    recently_updated: int = 0  # rows written within the settle window: maybe mid-update
    workflows_running: int = 0
    differences: list[Difference] = Field(default_factory=list)
    stale_submissions: list[StaleSubmission] = Field(default_factory=list)
    workflows_without_household: list[WorkflowWithoutHousehold] = Field(default_factory=list)
    households_without_workflow: list[HouseholdWithoutWorkflow] = Field(default_factory=list)
    unreachable: list[Unreachable] = Field(default_factory=list)

    def counts(self) -> dict[str, int]:
        return {
            "differences": len(self.differences),
            "stale_submissions": len(self.stale_submissions),
            "workflows_without_household": len(self.workflows_without_household),
            "households_without_workflow": len(self.households_without_workflow),
            "unreachable": len(self.unreachable),
        }

    @property
    def problems(self) -> int:
        """Everything found, repaired or not."""
        return sum(self.counts().values())

    @property
    def clean(self) -> bool:
        return self.problems == 0

    @property
    def remaining(self) -> int:
        """What is still wrong after this run: found and not repaired (orphans never are)."""
        return (
            sum(not d.repaired for d in self.differences)
            + sum(not s.purged for s in self.stale_submissions)
            + len(self.workflows_without_household)
            + len(self.households_without_workflow)
            + len(self.unreachable)
        )
