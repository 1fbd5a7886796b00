"""Reminder texts written by program admins: a fixed set of placeholders, nothing else.

A rule's subject and body may contain ``{review}``, ``{when}`` … from the list
below and nothing that reaches into an object: the text is never given to
``str.format`` (which would follow ``{review.__init__.__globals__}`` to the
settings), and a placeholder outside the list — or a stray brace — is refused
when the rule is saved. Each value is computed from what every recipient of
that rule may see.
"""

from __future__ import annotations

import re

PLACEHOLDER = re.compile(r"\{([^{}]*)\}")

FIELDS: dict[str, str] = {
    "review": "the review, e.g. “Atlas-2 v1 review #12”",
    "number": "the review's number",
    "model": "the model's name and version",
    "company": "the company",
    "when": "the deadline, in the recipient's time zone",
    "agency": "the agency concerned (assignment, information request and coverage deadlines)",
    "rfi": "the information request's subject (information request deadlines)",
}
ONLY_FOR = {"agency": {"assignment_answer", "rfi_due", "review_opened"}, "rfi": {"rfi_due"}}
PLACEHOLDER_HELP = ", ".join("{" + name + "}" for name in FIELDS) + " (see each one's meaning in the admin)."


def template_problems(text: str, *, deadline: str) -> list[str]:
    """Why ``text`` cannot be a rule's subject or body for ``deadline`` (empty: it can)."""
    problems = []
    unknown = [m.group(0) for m in PLACEHOLDER.finditer(text) if m.group(1) not in FIELDS]
    if unknown:
        problems.append(
            f"{', '.join(dict.fromkeys(unknown))} {'is not a placeholder' if len(unknown) == 1 else 'are not placeholders'}"
            f" the portal fills in. Use only {', '.join('{' + n + '}' for n in FIELDS)}."
        )
    for m in PLACEHOLDER.finditer(text):
        name = m.group(1)
        if name in ONLY_FOR and deadline not in ONLY_FOR[name]:
            problems.append(f"{m.group(0)} has no value for this deadline.")
    outside = PLACEHOLDER.sub("", text)
    if "{" in outside or "}" in outside:
        problems.append("Braces may only surround a placeholder, such as {review}.")
    return problems


def render(text: str, values: dict[str, str]) -> str:
    """``text`` with each placeholder replaced by its value (an unknown one by nothing)."""
    return PLACEHOLDER.sub(lambda m: values.get(m.group(1), ""), text)


def convert_legacy(text: str, *, deadline: str) -> str:
    """A text written for ``str.format`` as the nearest safe one: ``{review.model}`` → ``{model}``,
    ``{review.pk}`` → ``{number}``, ``{when:%b %d}`` → ``{when}``; anything else is dropped."""

    def one(match: re.Match) -> str:
        expr = match.group(1).split("!", 1)[0].split(":", 1)[0].strip()
        root, _, rest = expr.partition(".")
        if root in ONLY_FOR and deadline not in ONLY_FOR[root]:
            return ""
        if not rest and root in FIELDS:
            return "{" + root + "}"
        if root == "review":
            attr = rest.split(".", 1)[0].split("[", 1)[0]
            mapped = {"pk": "number", "id": "number", "model": "model", "company": "company"}.get(attr)
            return "{" + mapped + "}" if mapped else "{review}"
        return ""

    converted = PLACEHOLDER.sub(one, text.replace("{{", "(").replace("}}", ")"))
    # Braces left outside a placeholder (unbalanced ones) become parentheses.
    out, last = [], 0
    for match in PLACEHOLDER.finditer(converted):
        out += [converted[last : match.start()].replace("{", "(").replace("}", ")"), match.group(0)]
        last = match.end()
    out.append(converted[last:].replace("{", "(").replace("}", ")"))
    return "".join(out)
