"""Send one caseworker action to its pathway: hold the entry, run the update, map the outcome.

The entry's personal contents are staged in the database under the update id; only the action,
dates and coded facts go to Temporal. A refused action leaves nothing behind.
"""

import asyncio
from datetime import datetime

from pydantic import BaseModel
from sqlalchemy.engine import Engine
from sqlmodel import Session
from starlette.concurrency import run_in_threadpool
from temporalio.client import (
    Client,
    RPCTimeoutOrCancelledError,
    WithStartWorkflowOperation,
    WorkflowUpdateFailedError,
)
from temporalio.common import (
    SearchAttributePair,
    TypedSearchAttributes,
    WorkflowIDConflictPolicy,
    WorkflowIDReusePolicy,
)
from temporalio.exceptions import ApplicationError, WorkflowAlreadyStartedError
from temporalio.service import RPCError, RPCStatusCode

from activities import audit, rows
from api import idempotency, redaction, viewers
from api.deps import ActionContext
from api.errors import ApiError
from api.facts import RecordedFacts
from api.security import household_copy_for
from core.db import session_scope
from models.failures import REFUSALS, Failure
from models.pathway import (
    UPDATE_WAIT_SECONDS,
    Action,
    ActionInput,
    PathwayInput,
    PathwayState,
    Stage,
)
from models.records import Household, Submission, SubmissionStatus
from models.views import ActionRefused, PathwayView
from workflows import search_attributes as sa
from workflows.pathway import PathwayWorkflow, workflow_id


def _hold_submission(
    ctx: ActionContext,
    sid: str,
    household_id: str,
    action: Action,
    payload: dict,
    departement: str | None,
    digest: str,
) -> tuple[str, bool]:
    """Hold the entry; (its update id, whether it was held already by an earlier try). The
    entry and its audit row commit together (a lost race with another writer is run again)."""

    def hold(session: Session) -> tuple[str, bool]:
        dep = departement  # a first contact's; else the household's (one read, not two)
        if action is Action.REPORT:
            if ctx.principal and departement not in ctx.principal.departements:
                raise ApiError(403, "Accès refusé : ce département n'est pas le vôtre.")
        elif ctx.principal:
            dep = household_copy_for(session, ctx.principal, household_id).departement  # or 404
        elif session.get(Household, household_id) is None:
            raise ApiError(404, "Ménage inconnu.")
        existing = rows.find_submission(session, sid) or idempotency.same_key_elsewhere(
            session, ctx, action
        )
        if existing is not None:
            conflict = idempotency.key_conflict(existing, household_id, action, digest)
            if conflict:  # a reused key never returns another request's result
                raise ApiError(
                    422,
                    "Clé d'idempotence déjà utilisée pour une autre requête : rien n'a été "
                    "enregistré. Une nouvelle saisie demande une nouvelle clé.",
                    erreurs=[{"champ": "Idempotency-Key", "message": conflict}],
                )
            # A retry: dedup'd by update id and activity.
            return idempotency.update_id(existing), True
        submission = rows.build(
            Submission,
            id=sid,
            household_id=household_id,
            action=action,
            payload=payload,
            actor=ctx.actor,
            request_digest=digest,
        )
        rows.insert(session, submission)
        if ctx.principal is not None:  # who wrote which personal fields, and why
            audit.record(
                ctx.engine,
                actor=ctx.actor,
                action="écriture",
                record=action.label,
                household_id=household_id,
                fields=sorted(payload),
                purpose=action.label,
                departement=dep,
                session=session,
            )
        return idempotency.update_id(submission), False

    return audit.transaction(ctx.engine, hold)


def _drop_submission(engine: Engine, sid: str) -> None:
    """A refused or failed action: its held entry goes (an applied one stays)."""
    with session_scope(engine) as session:
        submission = session.get(Submission, sid)
        if submission is not None and submission.status == SubmissionStatus.PENDING:
            session.delete(submission)


async def send(
    ctx: ActionContext,
    *,
    household_id: str,
    action: Action,
    body: BaseModel | None,
    occurred_at: datetime,
    facts: RecordedFacts,
    departement: str | None = None,
    referent_structure: str | None = None,
    measures: list[str] | None = None,
) -> PathwayView:
    client, engine, actor = ctx.client, ctx.engine, ctx.actor
    sid = idempotency.submission_id(action, ctx.idempotency_key, actor)
    payload = body.model_dump(mode="json") if body is not None else {}
    update_id, retried = await run_in_threadpool(
        _hold_submission,
        ctx,
        sid,
        household_id,
        action,
        payload,
        departement,
        idempotency.request_digest(body),
    )
    inp = ActionInput(
        action=action,
        submission_id=sid,
        occurred_at=occurred_at,
        actor=actor,
        referent_structure=referent_structure,
        # The fields the workflow acts on itself, as well as facts.
        accompaniment_intensity=facts.accompaniment_intensity,
        exit_situation=facts.exit_situation,
        facts=facts.coded(),
        measures=measures,  # the kinds of the active accompaniment measures (codes)
    )
    wid = workflow_id(household_id)
    try:
        # Bounded: a pathway that cannot answer (worker down, an activity failing again and
        # again) gets a 503, never a request left hanging; the same key then finds the update.
        async with asyncio.timeout(UPDATE_WAIT_SECONDS):
            if action is Action.REPORT:
                assert departement is not None
                start = WithStartWorkflowOperation(
                    PathwayWorkflow.run,
                    PathwayInput(
                        household_id=household_id,
                        departement=departement,
                        wakeup_spread_seconds=ctx.wakeup_spread_seconds,
                    ),
                    id=wid,
                    task_queue=ctx.task_queue,
                    id_conflict_policy=WorkflowIDConflictPolicy.USE_EXISTING,
                    # One pathway per household id: a closed one is not silently restarted.
                    id_reuse_policy=WorkflowIDReusePolicy.REJECT_DUPLICATE,
                    search_attributes=TypedSearchAttributes(
                        [
                            SearchAttributePair(sa.DEPARTEMENT, departement),
                            SearchAttributePair(sa.STAGE, Stage.REPORTED.value),
                        ]
                    ),
                    static_summary=f"Parcours SIAO — département {departement}",
                )
                state = await client.execute_update_with_start_workflow(
                    PathwayWorkflow.act, inp, start_workflow_operation=start, id=update_id
                )
            else:
                handle = client.get_workflow_handle(wid)
                state = await handle.execute_update(PathwayWorkflow.act, inp, id=update_id)
    except WorkflowAlreadyStartedError as exc:
        await run_in_threadpool(_drop_submission, engine, sid)
        raise _closed(
            "Le parcours de ce ménage est clos : signalez-le comme un nouveau ménage."
        ) from exc
    except WorkflowUpdateFailedError as exc:
        await run_in_threadpool(_drop_submission, engine, sid)
        raise _refused(exc) from exc
    except (RPCTimeoutOrCancelledError, TimeoutError) as exc:
        raise ApiError(
            503,
            "Le parcours n'a pas confirmé l'action à temps : "
            "réessayez avec la même clé d'idempotence.",
        ) from exc
    except RPCError as exc:
        if action is not Action.REPORT and exc.status is RPCStatusCode.NOT_FOUND:
            await run_in_threadpool(_drop_submission, engine, sid)
            raise _closed("Action refusée : le parcours est clos.") from exc
        if exc.status is RPCStatusCode.FAILED_PRECONDITION:  # its workflow task is failing
            raise ApiError(  # (a worker crashed mid-task): it may already be recorded
                503,
                "Le parcours ne peut pas confirmer l'action pour l'instant ; elle est peut-être "
                "déjà enregistrée : réessayez avec la même clé d'idempotence, jamais une autre.",
            ) from exc
        raise ApiError(
            503,
            "Temporal est injoignable : l'action n'est pas enregistrée, "
            "réessayez avec la même clé d'idempotence.",
        ) from exc
    if retried:  # the update's result is as of its first try: show the pathway as it is now
        return await disclose(ctx, await read_state(client, household_id))
    return await disclose(ctx, PathwayView.of(PathwayState.model_validate(state), wid))


async def disclose(ctx: ActionContext, view: PathwayView) -> PathwayView:
    """The answer as its caller may read it: the one rule of api/redaction.py."""
    stage, dep, book = view.stage.value, view.departement, ctx.book
    seen = viewers.viewer_at_once(ctx.principal, stage=stage, departement=dep, book=book)
    if seen is None:  # the policy must be read first: not on the event loop
        seen = await run_in_threadpool(
            lambda: viewers.viewer(ctx.principal, stage=stage, departement=dep, book=book)
        )
    return redaction.pathway(view, seen)


def _closed(detail: str) -> ApiError:
    return ApiError(409, detail, stage=Stage.CLOSED.value, allowed_actions=[])


def _refused(exc: WorkflowUpdateFailedError) -> ApiError:
    cause = exc.cause
    if isinstance(cause, ApplicationError) and cause.type in REFUSALS:
        # The workflow's ActionRefused (from an older worker: stage and actions, no detail).
        details = cause.details[0] if cause.details else {}
        refused = ActionRefused.model_validate({"detail": cause.message, **details})
        shown = refused.model_dump(mode="json", exclude={"detail"})
        return ApiError(409, refused.detail, **shown)
    if isinstance(cause, ApplicationError) and cause.type == Failure.POLICY_UNAVAILABLE:
        return ApiError(503, cause.message)  # French, names the département, no personal data
    return ApiError(503, "L'action n'a pas pu être enregistrée ; rien n'a changé, réessayez.")


async def read_state(client: Client, household_id: str) -> PathwayView:
    wid = workflow_id(household_id)
    try:
        state = await client.get_workflow_handle(wid).query(PathwayWorkflow.state_query)
    except RPCError as exc:
        if exc.status is RPCStatusCode.NOT_FOUND:
            raise ApiError(404, "Aucun parcours pour ce ménage.") from exc
        raise ApiError(503, "Temporal est injoignable : réessayez dans un instant.") from exc
    return PathwayView.of(PathwayState.model_validate(state), wid)
