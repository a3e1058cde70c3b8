"""The PathwayWorkflow's patches, in one place: pathways stay open for months, so each change of
what the workflow does is taken only by the runs that reach it first under the new code
(`workflow.patched`); older histories replay as they ran (tests/histories, tests/test_replay.py).
Never rename one: a recorded marker names it."""

# Pathways started before the département rules existed replay without them (see tests/histories).
RULES_PATCH = "policy-rules-v1"
PURGE_PATCH = "purge-after-follow-up-v1"
# An action whose records were committed just before a crash advances the pathway on replay.
EXACTLY_ONCE_PATCH = "applied-submission-advances-v1"
# The rules' `refuse_solicitation` refuses a landlord's solicitation (before: recorded anyway).
SOLICITATION_PATCH = "refuse-solicitation-v1"
# Deadlines that time alone brings (a DLS a year old, an abnormally long stay): the rules are
# asked on the day, not at the next action.
TIME_FACTS_PATCH = "time-driven-facts-v1"
# Deadline wake-ups spread over the input's window (a mass wake-up drains, actions go on).
SPREAD_PATCH = "wakeups-spread-v1"
# An action planned, evaluated and written in one local activity (activities/recording.py), not
# evaluated then written in two (workflows/pathway_steps.py).
ONE_CALL_PATCH = "one-call-per-action-v1"
