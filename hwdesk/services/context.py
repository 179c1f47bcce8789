"""Who is acting, and the role checks every service applies."""

from __future__ import annotations

from dataclasses import dataclass

from hwdesk.errors import PermissionDenied
from hwdesk.models import Staff
from hwdesk.texts import pick

ROLE_RANK = {"clerk": 1, "supervisor": 2, "admin": 3}
ROLE_LABELS = {
    "clerk": ("窓口職員", "Clerk"),
    "supervisor": ("統括職員", "Supervisor"),
    "admin": ("管理者", "Administrator"),
}


@dataclass(frozen=True)
class Actor:
    """The signed-in staff member a service acts for."""

    id: int
    login: str
    name: str
    role: str
    office_id: str
    all_offices: bool = False

    @classmethod
    def of(cls, staff: Staff) -> Actor:
        """The actor for a staff row."""
        assert staff.id is not None
        return cls(staff.id, staff.login, staff.name, staff.role, staff.office_id, staff.all_offices)

    def at_least(self, role: str) -> bool:
        """Whether this actor's role is ``role`` or higher."""
        return ROLE_RANK.get(self.role, 0) >= ROLE_RANK[role]

    def role_label(self, lang: str = "ja") -> str:
        """The role's name in ``lang``."""
        ja, en = ROLE_LABELS.get(self.role, (self.role, self.role))
        return pick(ja, en, lang)


SYSTEM = Actor(id=0, login="system", name="system", role="admin", office_id="", all_offices=True)


def require(actor: Actor, role: str, *, what_ja: str, what_en: str) -> None:
    """Refuse unless ``actor`` holds ``role`` or higher."""
    if not actor.at_least(role):
        need_ja, need_en = ROLE_LABELS[role]
        raise PermissionDenied(
            f"{what_ja}は{need_ja}以上の権限が必要です（現在: {actor.role_label('ja')}）。",
            f"{what_en} needs the {need_en} role or higher (you are {actor.role_label('en')}).",
        )


def require_office(actor: Actor, office_id: str) -> None:
    """Staff see and act on their own office's data unless granted all offices."""
    if actor.all_offices or actor.id == 0 or actor.office_id == office_id:
        return
    other, mine = office_names(office_id), office_names(actor.office_id)
    raise PermissionDenied(
        f"他の事業所（{other[0]}）のデータは扱えません（あなたの事業所: {mine[0]}）。",
        f"You cannot act on another office's data ({other[1]}; your office is {mine[1]}).",
    )


def office_names(office_id: str) -> tuple[str, str]:
    """An office's name in Japanese and English for a message (the shipped offices' data), its id
    for an office hwdesk does not ship: a refusal names offices as staff know them."""
    from hwdesk.terms import office_profiles

    prof = office_profiles().get(office_id)
    if prof is None:
        return office_id, office_id
    return prof.name, prof.raw.get("name_en", prof.name)


def staff_id(actor: Actor) -> int | None:
    """The staff id to record (None for the system actor used by init and demo)."""
    return actor.id or None
