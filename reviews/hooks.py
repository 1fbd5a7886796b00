"""Where apps above the reviews core join its lifecycle and its page.

The reviews core never imports the apps that hang off a review (documents,
RFIs, findings, readiness, reminders…): they are a layer above it (the
import-linter contracts in ``.importlinter`` say so). What the core needs
from them it asks through these registries, which those apps fill in their
``AppConfig.ready()``:

* ``on_transition(name, fn)`` — ``fn(review, actor)`` runs inside the
  transition's transaction after the move (readiness creates the checklist
  when a review opens). Besides the lifecycle's "open", "close" and
  "withdraw", the acts that end agency-side grants are announced the same
  way: "assignment_remove" (a reviewer taken off) and "certify" (an agency's
  return-or-destroy certificate); model access ends credentials on them;
* ``guard(name, fn)`` — ``fn(review)`` returns why the move may not happen, or
  None (readiness refuses to close while a mandatory criterion is open);
* ``signoff_guard(fn)`` — ``fn(review, agency_id, conclusion)`` returns why an
  agency may not sign off yet (readiness: its own mandatory criteria open);
* ``warning(fn)`` — ``fn(review)`` returns what is still open when the review
  closes (open RFIs, unshared findings), as a list of sentences; the close
  form shows them and the close records them (``Review.closing_warnings``);
* ``summary(name, fn)`` — ``fn(user)`` returns an expression annotated on the
  review's own statement on its pages (``selectors.review_detail_get``): the
  open RFIs, the documents, the readiness tally … in one query;
* ``provide(name, fn)`` / ``provided(name)`` — a service one app offers apps
  of its own layer, which may not import each other (the exports app
  provides ``review_export_json``, ``fn(review=, user=)`` → the recorded JSON
  export, which the API serves).
"""

from __future__ import annotations

from collections import defaultdict
from typing import Callable

_after: dict[str, list[Callable]] = defaultdict(list)
_guards: dict[str, list[Callable]] = defaultdict(list)
_summaries: dict[str, Callable] = {}
_provided: dict[str, Callable] = {}
_warnings: list[Callable] = []
_signoff_guards: list[Callable] = []


def on_transition(name: str, fn: Callable) -> None:
    if fn not in _after[name]:
        _after[name].append(fn)


def guard(name: str, fn: Callable) -> None:
    if fn not in _guards[name]:
        _guards[name].append(fn)


def signoff_guard(fn: Callable) -> None:
    """``fn(review, agency_id, conclusion)`` returns why that agency may not sign off yet, or None."""
    if fn not in _signoff_guards:
        _signoff_guards.append(fn)


def signoff_guards() -> list[Callable]:
    return list(_signoff_guards)


def warning(fn: Callable) -> None:
    if fn not in _warnings:
        _warnings.append(fn)


def warnings(review) -> list[str]:
    """Every registered app's closing warnings for ``review``."""
    return [text for fn in _warnings for text in fn(review)]


def summary(name: str, fn: Callable) -> None:
    _summaries[name] = fn


def after(name: str) -> list[Callable]:
    return list(_after[name])


def guards(name: str) -> list[Callable]:
    return list(_guards[name])


def summaries(user) -> dict:
    """Annotations for a review's page: ``{name: expression}`` from every registered app."""
    return {name: fn(user) for name, fn in _summaries.items()}


def summary_names() -> tuple[str, ...]:
    return tuple(_summaries)


def provide(name: str, fn: Callable) -> None:
    _provided[name] = fn


def provided(name: str) -> Callable:
    """The function an app registered under ``name`` (``LookupError`` when no installed app provides it)."""
    try:
        return _provided[name]
    except KeyError:
        raise LookupError(f"no installed app provides {name!r}") from None
