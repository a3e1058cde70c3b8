"""The types of the errors a pathway answers with (Temporal's `ApplicationError.type`), named
once: the workflow and its activities raise them, the API maps them to its answers."""

from enum import StrEnum


class Failure(StrEnum):
    # Refusals: nothing changed, the caseworker reads why (409, models.views.ActionRefused).
    ACTION_NOT_ALLOWED = "ActionNotAllowed"  # the transition table or one of its guards
    REFUSED_BY_POLICY = "RefusedByPolicy"  # the département's rules (refuse_solicitation)
    # Nothing changed either, but trying again later may work (503).
    POLICY_UNAVAILABLE = "PolicyUnavailable"  # no usable rules: the coordinator is alerted
    ACTION_NOT_RECORDED = "ActionNotRecorded"  # the database stayed unreachable
    # Raised by activities, handled inside the workflow.
    POLICY_INVALID = "PolicyInvalid"
    POLICY_EVALUATION_FAILED = "PolicyEvaluationFailed"
    SUBMISSION_MISSING = "SubmissionMissing"
    SUBMISSION_INVALID = "SubmissionInvalid"
    HOUSEHOLD_MISSING = "HouseholdMissing"


# Answered 409 with the ActionRefused the workflow put in the error's details.
REFUSALS = frozenset({Failure.ACTION_NOT_ALLOWED, Failure.REFUSED_BY_POLICY})
