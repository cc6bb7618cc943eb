"""The doctor's report: one row per check, a mark, the detail and what to do about it."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Literal, TextIO

from bot.log import redact

Status = Literal["ok", "warn", "fail", "skip"]

UNICODE_MARKS: dict[Status, str] = {"ok": "✓", "warn": "!", "fail": "✗", "skip": "–"}
ASCII_MARKS: dict[Status, str] = {"ok": "ok", "warn": "!!", "fail": "XX", "skip": "--"}


@dataclass(frozen=True, slots=True)
class Check:
    """One row of the report: what was checked, how it went, and what to do about it."""

    name: str
    status: Status
    detail: str
    advice: str = ""
    lines: tuple[str, ...] = field(default=())


def write_report(checks: Sequence[Check], out: TextIO, *, quick: bool = False) -> None:
    marks, arrow = _symbols(out)
    width = max(len(check.name) for check in checks)
    indent = " " * (width + 2 + len(marks["ok"]) + 4)
    lines: list[str] = []
    for check in checks:
        lines.append(f"  {marks[check.status]}  {check.name:<{width}}  {check.detail}")
        lines += [f"{indent}{line}" for line in check.lines]
        if check.advice:
            lines.append(f"{indent}{arrow} {check.advice}")
    failed = sum(check.status == "fail" for check in checks)
    warnings = sum(check.status == "warn" for check in checks)
    if failed:
        lines.append(f"{failed} of {len(checks)} checks failed.")
    elif warnings:
        lines.append(f"nemobot can run; {warnings} thing{'s' if warnings != 1 else ''} to fix.")
    elif quick:
        lines.append("Settings and database are fine.")
    elif skipped := [check.name for check in checks if check.status == "skip"]:
        lines.append(f"Everything checked passed; not checked: {', '.join(skipped)}.")
    else:
        lines.append("All checks passed.")
    for line in lines:
        print(redact(line), file=out)


def _symbols(out: TextIO) -> tuple[dict[Status, str], str]:
    """Unicode marks, or ASCII ones where the output cannot encode them (a C locale)."""
    encoding = getattr(out, "encoding", None) or "utf-8"
    try:
        "".join(UNICODE_MARKS.values()).encode(encoding)
        "→".encode(encoding)
    except (UnicodeEncodeError, LookupError):
        return ASCII_MARKS, "->"
    return UNICODE_MARKS, "→"
