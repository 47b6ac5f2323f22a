"""Two editors saved a claim at once: compare their versions field by field.

The claim as saved meanwhile ("theirs"), the editor's refused edit ("mine") and the version the
editor started from ("base", read from the claim's history) give a three-way comparison:
a field only one of them changed takes that change; a field both changed keeps theirs unless
the editor picks their own. The conflict form posts the chosen values with the current version,
so saving again never wipes what the other editor added.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from claims.models import Claim, ClaimKind, ClaimStatus

FIELDS = (
    ("statement", "Statement"),
    ("kind", "Kind"),
    ("status", "Status"),
    ("verdict_summary", "Verdict summary"),
    ("tags", "Tags"),
    ("notes", "Notes"),
)
_LABELS = {"kind": dict(ClaimKind.choices), "status": dict(ClaimStatus.choices)}


@dataclass
class ConflictRow:
    name: str
    label: str
    theirs: str  # the form value (a choice code, tags comma-separated)
    mine: str
    theirs_label: str
    mine_label: str
    keep_mine: bool  # preselected: only this editor changed the field
    both_changed: bool


def _form_value(name: str, value: Any) -> str:
    if name == "tags":
        return ", ".join(sorted(value or []))
    if name == "statement":
        return " ".join(str(value).split())
    return str(value or "")


def _values(source: Any) -> dict[str, str]:
    return {name: _form_value(name, getattr(source, name)) for name, _ in FIELDS}


def claim_conflict(
    *, claim: Claim, base_version: int, mine: dict[str, Any]
) -> tuple[list[ConflictRow], dict[str, str]]:
    """Rows for the fields where the two versions differ, and the fields they agree on."""
    base_record = claim.history.filter(version=base_version).order_by("-history_id").first()
    base = _values(base_record) if base_record is not None else None
    theirs = _values(claim)
    ours = {name: _form_value(name, mine.get(name)) for name, _ in FIELDS}
    rows, same = [], {}
    for name, label in FIELDS:
        if theirs[name] == ours[name]:
            same[name] = theirs[name]
            continue
        they_changed = base is None or base[name] != theirs[name]
        i_changed = base is None or base[name] != ours[name]
        labels = _LABELS.get(name, {})
        rows.append(
            ConflictRow(
                name=name,
                label=label,
                theirs=theirs[name],
                mine=ours[name],
                theirs_label=labels.get(theirs[name], theirs[name]),
                mine_label=labels.get(ours[name], ours[name]),
                keep_mine=i_changed and not they_changed,
                both_changed=i_changed and they_changed,
            )
        )
    return rows, same
