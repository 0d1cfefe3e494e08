"""The rules every write of the core domain obeys, whoever writes: the GraphQL mutations,
the spreadsheet import (:mod:`bocage.core.imports`) and plugins call the same functions.

Each rule takes plain values and returns the normalised value, or raises :class:`Invalid`
naming the input field at fault (GraphQL's camelCase name) and saying what to fix.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from decimal import Decimal
from typing import Any

from bocage.core.auth import policy
from bocage.core.domain import sdgs as sdg_data
from bocage.core.domain.errors import Code, Invalid
from bocage.core.models.enums import StakeholderRole

#: The largest amount a budget column holds (``Numeric(14, 2)``).
MAX_AMOUNT = Decimal("999999999999.99")
CENT = Decimal("0.01")


def money(amount: Decimal, field: str) -> Decimal:
    """An amount in euros: not negative, in cents at most, below a trillion; returned with its
    two decimals (``Decimal("3000.00")``), as it is stored and read back."""
    if not amount.is_finite():
        raise Invalid(Code.INVALID, f"{field} must be a number of euros, e.g. 2500.50", field)
    if amount < 0:
        raise Invalid(Code.INVALID, f"{field} cannot be negative", field)
    if amount > MAX_AMOUNT:
        raise Invalid(Code.INVALID, f"{field} cannot exceed {MAX_AMOUNT} euros", field)
    if amount != amount.quantize(CENT):
        raise Invalid(
            Code.INVALID, f"{field} is in euros and cents: {amount} has more decimals", field
        )
    return amount.quantize(CENT)


def check_texts(
    texts: dict[str, str], field: str, *, required: bool, max_length: int
) -> dict[str, str]:
    """A multilingual text (``{lang: text}``, blanks already dropped): present if
    ``required``, no language longer than ``max_length``."""
    if required and not texts:
        raise Invalid(
            Code.REQUIRED,
            f"{field} needs a text in at least one language (fr, nl, de or en)",
            field,
        )
    for lang, text in texts.items():
        if len(text) > max_length:
            raise Invalid(
                Code.INVALID,
                f"{field}.{lang} is {len(text)} characters long; the maximum is {max_length}",
                field,
            )
    return texts


# -- projects ---------------------------------------------------------------------------------

#: Multilingual texts of a project: (required, longest text).
PROJECT_TEXTS = {"title": (True, 300), "summary": (False, 1000), "description": (False, 20000)}


def project_texts(name: str, texts: Mapping[str, str] | None) -> dict[str, str]:
    required, limit = PROJECT_TEXTS[name]
    return check_texts(dict(texts or {}), name, required=required, max_length=limit)


def project_themes(themes: Iterable[str]) -> list[str]:
    return sorted({theme.strip().lower() for theme in themes})


def project_sdgs(sdgs: Iterable[int], targets: Iterable[str] = ()) -> list[int]:
    """The goals ``sdgs`` and those of the (checked) ``targets``: a target implies its goal."""
    return sdg_data.project_goals(sdgs, targets)


def project_sdg_targets(codes: Iterable[str], field: str = "sdgTargets") -> list[str]:
    """The official codes of the SDG targets ``codes``, each once, in the official order."""
    try:
        return sdg_data.project_targets(codes)
    except sdg_data.UnknownTarget as error:
        raise Invalid(Code.INVALID, str(error), field) from None


def check_project_values(values: Mapping[str, Any]) -> None:
    """Themes, SDGs, budget and dates of a project (those given in ``values``)."""
    for theme in values.get("themes") or []:
        if not theme.strip() or len(theme) > 60:
            raise Invalid(Code.INVALID, "each theme must be 1 to 60 characters", "themes")
    for sdg in values.get("sdgs") or []:
        if not 1 <= sdg <= 17:
            raise Invalid(Code.INVALID, f"SDG {sdg} does not exist: use 1 to 17", "sdgs")
    if values.get("budget") is not None:
        money(values["budget"], "budget")
    start, end = values.get("start_date"), values.get("end_date")
    if start and end and end < start:
        raise Invalid(Code.INVALID, f"endDate {end} is before startDate {start}", "endDate")


def require_project_communes(ids: Iterable[Any]) -> None:
    if not list(ids):
        raise Invalid(Code.REQUIRED, "a project needs at least one commune", "communes")


def authorise_project(principal: Any, codes: set[str], field: str = "communes") -> None:
    """A project may be changed only if all its communes are the principal's."""
    if not policy.may_touch_communes(principal, codes):
        raise Invalid(
            Code.FORBIDDEN,
            "you may only change projects whose communes are all among yours "
            f"({', '.join(sorted(policy.commune_scope(principal) or [])) or 'none'})",
            field,
        )


def authorise_territory(principal: Any, territory_id: int | None, field: str) -> None:
    """On an installation of several GALs, a row is put in its caller's territories only."""
    if not policy.may_touch_territory(principal, territory_id):
        raise Invalid(
            Code.FORBIDDEN,
            "this territory is not yours: give one of the GALs you act for",
            field,
        )


def check_project_roles(roles: Iterable[StakeholderRole | str]) -> None:
    if sum(1 for role in roles if StakeholderRole(role) is StakeholderRole.LEAD) > 1:
        raise Invalid(Code.INVALID, "a project has at most one lead stakeholder", "stakeholders")


def check_actions_in_communes(action_communes: Iterable[int], project_communes: set[int]) -> None:
    """The PST actions of a project belong to the PST of one of its communes."""
    if not set(action_communes) <= project_communes:
        raise Invalid(
            Code.INVALID,
            "a PST action must belong to the PST of one of the project's communes",
            "pstActions",
        )


# -- stakeholders and contacts ----------------------------------------------------------------


def enterprise_number(value: str) -> str:
    """Normalise a BCE/KBO number to 0123.456.789, checking its mod-97 check digits."""
    digits = "".join(ch for ch in value if ch.isdigit())
    if len(digits) == 9:
        digits = "0" + digits
    if len(digits) != 10 or digits[0] not in "01":
        raise Invalid(
            Code.INVALID,
            "an enterprise number has 10 digits, e.g. 0207.000.000",
            "enterpriseNumber",
        )
    if 97 - int(digits[:8]) % 97 != int(digits[8:]):
        raise Invalid(
            Code.INVALID, f"{value} fails the enterprise number's check digits", "enterpriseNumber"
        )
    return f"{digits[:4]}.{digits[4:7]}.{digits[7:]}"


def text(value: str | None, field: str, limit: int, *, required: bool) -> str | None:
    value = value.strip() if value else None
    if required and not value:
        raise Invalid(Code.REQUIRED, f"{field} cannot be empty", field)
    if value and len(value) > limit:
        raise Invalid(Code.INVALID, f"{field} is longer than {limit} characters", field)
    return value


def website(value: str | None) -> str | None:
    value = text(value, "website", 500, required=False)
    if value and not value.startswith(("https://", "http://")):
        raise Invalid(Code.INVALID, "website must start with https:// or http://", "website")
    return value


def email(value: str | None) -> str | None:
    value = text(value, "email", 320, required=False)
    if value and ("@" not in value or " " in value or value.startswith("@") or value.endswith("@")):
        raise Invalid(Code.INVALID, "email is not an e-mail address", "email")
    return value


def stakeholder_name(value: str | None) -> str:
    name = text(value, "name", 300, required=True)
    if name is None:  # required: text() refuses an empty name first
        raise Invalid(Code.REQUIRED, "name is required", "name")
    return name


def stakeholder_description(texts: Mapping[str, str] | None) -> dict[str, str]:
    return check_texts(dict(texts or {}), "description", required=False, max_length=5000)


def stakeholder_needs(needs: Iterable[Any]) -> list[str]:
    return sorted({getattr(need, "value", need) for need in needs})


def require_stakeholder_communes(ids: Iterable[Any]) -> None:
    if not list(ids):
        raise Invalid(Code.REQUIRED, "an organisation acts in at least one commune", "communes")


def authorise_stakeholder(
    principal: Any, stakeholder_id: int | None, codes: set[str], field: str
) -> None:
    if not policy.may_touch_stakeholder(principal, stakeholder_id, codes):
        raise Invalid(
            Code.FORBIDDEN,
            "you may only change your own organisation, "
            "or organisations acting only in your communes",
            field,
        )


#: Each contact field's rule (GraphQL input name, longest text, required).
CONTACT_FIELDS = {
    "given_name": lambda v: text(v, "givenName", 200, required=True),
    "family_name": lambda v: text(v, "familyName", 200, required=True),
    "email": email,
    "phone": lambda v: text(v, "phone", 50, required=False),
    "job_title": lambda v: text(v, "jobTitle", 200, required=False),
}


# -- a commune's PST --------------------------------------------------------------------------


def authorise_pst(principal: Any, nis_code: str, name: Mapping[str, str], field: str) -> None:
    if not policy.may_touch_communes(principal, {nis_code}):
        raise Invalid(
            Code.FORBIDDEN, f"the PST of {name.get('fr') or nis_code} is not yours to change", field
        )


def plan_title(texts: Mapping[str, str] | None) -> dict[str, str]:
    return check_texts(dict(texts or {}), "title", required=True, max_length=300)


def plan_years(start_year: int, end_year: int) -> None:
    if not 2000 <= start_year <= end_year <= 2100:
        raise Invalid(
            Code.INVALID, "startYear must not be after endYear (years 2000-2100)", "endYear"
        )


def pst_code(value: str) -> str:
    value = value.strip()
    if not 1 <= len(value) <= 20:
        raise Invalid(
            Code.INVALID, "code must be 1 to 20 characters, e.g. OS1, OO1.2, A1.2.3", "code"
        )
    return value


def pst_title(texts: Mapping[str, str] | None) -> dict[str, str]:
    return check_texts(dict(texts or {}), "title", required=True, max_length=500)


def pst_budget(budget: Decimal | None, *, is_action: bool) -> Decimal | None:
    if budget is None:
        return None
    if not is_action:
        raise Invalid(Code.INVALID, "only actions have a budget", "budget")
    return money(budget, "budget")
