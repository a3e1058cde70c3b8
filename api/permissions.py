"""Who may do what: one permission matrix, read by every route (declared per route, not in
handlers) and printed in the README. Need to know: health, administrative status and violence
only for those who accompany the household."""

from enum import StrEnum

from models.pathway import Action, DeadlineKind
from models.transitions import CLEARS, COMMISSION_AGENDA
from models.users import Role


class Permission(StrEnum):
    REPORT = "report"
    FLASH = "flash_evaluation"
    IN_DEPTH = "in_depth_evaluation"
    COMMISSION = "commission_decision"
    ORIENTATION = "orientation"
    ORIENTATION_RESPONSE = "orientation_response"
    ADMISSION = "admission"
    HOUSING = "housing"
    REVIEW = "review"
    SOLICITATION = "landlord_solicitation"
    EXIT = "exit"
    LIST = "list_households"
    READ = "read_household"
    READ_SENSITIVE = "read_sensitive"
    AUDIT = "audit"
    RIGHTS = "person_rights"
    POLICY_READ = "policy_read"
    POLICY_EDIT = "policy_edit"
    CODEC = "decode_payloads"
    USERS = "manage_users"
    STATISTICS = "statistics"
    OFFER_READ = "offer_read"
    OFFER_MANAGE = "offer_manage"
    OFFER_DECLARE = "offer_declare"
    EMERGENCY_SHELTER = "emergency_shelter"
    ALERTS = "alerts"
    MEASURES_READ = "measures_read"
    MEASURES_MANAGE = "measures_manage"
    COMMISSION_SESSIONS = "commission_sessions"  # read sessions and their agenda
    COMMISSION_SESSIONS_MANAGE = "commission_sessions_manage"  # open and close them
    OFII_LIST = "ofii_list"  # the monthly OFII list (R-FOLLOW-2): the coordinator only
    CALLS_RECORD = "calls_record"  # a request handled at the 115
    CALLS_IMPORT = "calls_import"  # the phone system's daily counts
    CALLS_READ = "calls_read"  # the 115 call log, requests included
    COVERAGE_MANAGE = "coverage_manage"  # outreach teams, day centres, their zones and hours
    COVERAGE_READ = "coverage_read"  # the teams and the white-zones report (anonymous counts)
    ANONYMISED_EXPORT = "anonymised_export"  # k-anonymous, ℓ-diverse datasets (R-OBS-1)
    REPORTS = "activity_reports"  # indicators, the annual report, data quality


P = Permission
FIRST_LINE = {P.REPORT, P.FLASH, P.LIST, P.READ}
MATRIX: dict[Role, frozenset[Permission]] = {
    Role.ECOUTANT_115: frozenset(FIRST_LINE | {P.EMERGENCY_SHELTER, P.CALLS_RECORD}),
    Role.VEILLE_SOCIALE: frozenset(FIRST_LINE | {P.EMERGENCY_SHELTER}),
    Role.REFERENT: frozenset(
        FIRST_LINE
        | {
            P.IN_DEPTH,
            P.ORIENTATION_RESPONSE,
            P.OFFER_READ,
            P.HOUSING,
            P.REVIEW,
            P.EXIT,
            P.READ_SENSITIVE,
            P.RIGHTS,
            P.MEASURES_READ,
            P.MEASURES_MANAGE,
            P.ALERTS,
        }
    ),
    Role.COORDINATEUR: frozenset(set(P) - {P.USERS, P.POLICY_EDIT}),
    Role.COMMISSION: frozenset(
        {
            P.COMMISSION,
            P.ORIENTATION,
            P.LIST,
            P.READ,
            P.READ_SENSITIVE,
            P.OFFER_READ,
            P.MEASURES_READ,
            P.COMMISSION_SESSIONS,
        }
    ),
    Role.GESTIONNAIRE: frozenset(
        {
            P.ORIENTATION_RESPONSE,
            P.ADMISSION,
            P.EXIT,
            P.READ,
            P.OFFER_READ,
            P.OFFER_DECLARE,
            P.MEASURES_READ,  # for the households its structures host or are oriented to
        }
    ),
    Role.BAILLEUR: frozenset({P.SOLICITATION}),
    Role.OBSERVATEUR: frozenset({P.STATISTICS, P.COVERAGE_READ, P.ANONYMISED_EXPORT}),
    Role.REDACTEUR: frozenset({P.POLICY_READ, P.POLICY_EDIT}),
    Role.ADMIN: frozenset({P.USERS, P.POLICY_READ}),
}
# Roles whose reach is limited to the households oriented to, or housed by, their structures.
STRUCTURE_SCOPED = frozenset({Role.GESTIONNAIRE, Role.BAILLEUR})
# Commission members see sensitive fields only for the households on their agenda.
AGENDA_ONLY = frozenset({Role.COMMISSION.value, *STRUCTURE_SCOPED})


def sees_sensitive(roles: frozenset[str], permissions: frozenset["Permission"], stage: str) -> bool:
    """Need to know: health, administrative status and violence for those who accompany the
    household (lead referent, coordinator), and for commission members while it is on their
    agenda. The one rule every answer follows (api/redaction.py)."""
    if Permission.READ_SENSITIVE not in permissions:
        return False
    if roles <= AGENDA_ONLY:
        return stage in COMMISSION_AGENDA
    return True


ACTION_PERMISSION: dict[Action, Permission] = {
    Action.REPORT: P.REPORT,
    Action.FLASH_EVALUATION: P.FLASH,
    Action.IN_DEPTH_EVALUATION: P.IN_DEPTH,
    Action.COMMISSION_DECISION: P.COMMISSION,
    Action.ORIENTATION: P.ORIENTATION,
    Action.ACCEPT_ORIENTATION: P.ORIENTATION_RESPONSE,
    Action.REFUSE_ORIENTATION: P.ORIENTATION_RESPONSE,
    Action.ADMISSION: P.ADMISSION,
    Action.HOUSING: P.HOUSING,
    Action.REVIEW: P.REVIEW,
    Action.FOLLOW_UP: P.REVIEW,
    Action.LANDLORD_SOLICITATION: P.SOLICITATION,
    Action.EXIT: P.EXIT,
    Action.ACCOMPANIMENT_CHANGE: P.MEASURES_MANAGE,
}


# A deadline is shown to those who meet it (its due date may come from the household's
# situation: a month instead of two for a critical vulnerability). The end of the follow-up
# window is met by the follow-up contacts.
DEADLINE_ACTIONS: dict[DeadlineKind, frozenset[Action]] = {
    kind: frozenset(
        {a for a, kinds in CLEARS.items() if kind in kinds}
        | ({Action.FOLLOW_UP} if kind is DeadlineKind.FOLLOW_UP_END else set())
    )
    for kind in DeadlineKind
}


def deadlines_met_by(permissions: frozenset["Permission"]) -> frozenset[DeadlineKind]:
    return frozenset(
        kind
        for kind, actions in DEADLINE_ACTIONS.items()
        if any(ACTION_PERMISSION[a] in permissions for a in actions)
    )


def permissions_of(roles: list[str]) -> frozenset[Permission]:
    found: set[Permission] = set()
    for role in roles:
        member = Role._value2member_map_.get(role)
        if isinstance(member, Role):
            found |= MATRIX[member]
    return frozenset(found)


def matrix_markdown() -> str:
    """The matrix as the README shows it."""
    roles = list(Role)
    head = "| permission | " + " | ".join(r.label for r in roles) + " |"
    rows = [head, "|---|" + "---|" * len(roles)]
    for perm in Permission:
        rows.append(
            f"| `{perm.value}` | "
            + " | ".join("✔" if perm in MATRIX[r] else "" for r in roles)
            + " |"
        )
    return "\n".join(rows)
