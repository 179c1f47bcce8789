"""The conditions of use of an office, for a service: what the rule engine evaluates.

Each condition is read from the office profile (``data/offices/<office>.json``, section
``requirements``) and carries the article it rests on *and* the key phrase of that article's text
(``phrase``), so a test can check that the office's terms really say it (tests/test_conformance.py).
A condition that is not in the profile is not enforced: ``hwdesk.services.eligibility.evaluate``
walks this list and nothing else. No database access here.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from hwdesk.terms import OfficeProfile, cite_text, cite_text_en, service_label

# The order the checklist shows them in (also the order of a refusal's lines).
ORDER = (
    "service",
    "consent",
    "registration",
    "registration_valid",
    "webcam",
    "environment",
    "private_room",
    "approval",
    "termination",
    "agreement",
)

LABELS = {
    "service": ("{service}の実施", "{service_en} offered"),
    "consent": ("利用規約への同意", "Consent to the terms"),
    "registration": ("求職登録の完了", "Registration complete"),
    "registration_valid": ("求職登録の有効期間内（実施日）", "Registration valid on the session date"),
    "webcam": ("WEBカメラによる通信が可能な端末", "Device with a webcam"),
    "environment": ("利用環境（端末・接続環境）", "Environment (device and connection)"),
    "private_room": ("個室又は周囲に他人がいない環境", "A private room (no one else around)"),
    "approval": ("継続的な職業相談の希望と必要性の認定", "Wish for continuing counseling, need recognized"),
    "termination": ("利用の中止を受けていないこと", "Not stopped from using the service"),
    "agreement": ("解約後の再申込み・同意", "Apply and consent again after the agreement ended"),
}


@dataclass(frozen=True)
class Condition:
    """One condition of use of an office's terms: its article and the phrase of the text it rests on."""

    key: str
    cite: dict = field(hash=False)  # {"article": n, "paragraph": p, "item": i} or {"preamble": 1}
    phrase: str
    label: str
    label_en: str
    cite_text: str = ""  # 第1条(4), 前文 …
    cite_text_en: str = ""  # Art. 1 item 4, Preamble …


# (id of a profile's dict, service) → (that dict, kept alive so the id stays its own; the conditions).
_CACHE: dict[tuple[int, str], tuple[dict, tuple[Condition, ...]]] = {}


def conditions(prof: OfficeProfile, service: str) -> tuple[Condition, ...]:
    """Every condition of ``prof``'s terms that applies to ``service``, in checklist order.

    A requirement the profile sets to null (前橋 has no registration requirement) is absent; the
    approval applies only to the services it names (渋谷 第1条(4): individual counseling).
    Built once per profile and service (booking and the queue ask for it per seeker)."""
    key = (id(prof.raw), service)
    hit = _CACHE.get(key)
    if hit is not None and hit[0] is prof.raw:
        return hit[1]
    if len(_CACHE) > 256:
        _CACHE.clear()
    out = tuple(_build(prof, service))
    _CACHE[key] = (prof.raw, out)
    return out


def _build(prof: OfficeProfile, service: str) -> list[Condition]:
    req = prof.requirements
    out = []
    for key in ORDER:
        entry = req.get(key)
        if not entry:
            continue
        if key == "approval" and service not in entry.get("services", []):
            continue
        ja, en = LABELS[key]
        if key == "service":
            phrase = entry.get("phrases", {}).get(service, "")
            ja, en = ja.format(service=service_label(service)), en.format(service_en=service_label(service, "en"))
        else:
            phrase = entry.get("phrase", "")
        out.append(Condition(key, entry["cite"], phrase, ja, en, cite_text(entry["cite"]), cite_text_en(entry["cite"])))
    return out


def condition(prof: OfficeProfile, key: str, service: str = "") -> Condition | None:
    """One condition of the office by key (None when its terms have no such condition)."""
    service = service or (prof.services[0] if prof.services else "")
    return next((c for c in conditions(prof, service) if c.key == key), None)
