"""Describing model access, issuing, revealing, revoking and ending credentials.

Every service is keyword-only and atomic, locks the review row it acts on
(``select_for_update``), reads the actor's ``Standing`` under that lock and
raises ``portal.errors.Refused`` (``NotAllowed`` for a role). No secret is
ever put in an error message, an audit payload, a notification or a log
line: messages name the field, the line and the reviewer's pseudonym.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from datetime import datetime

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.debug import sensitive_variables

from audit.services import audit_record
from portal.errors import NotAllowed, Refused
from reviews.audience import review_audience
from reviews.models import Review
from reviews.pseudonyms import normalise, reviewer_pseudonyms
from reviews.standing import standing_of

from . import crypto
from .models import AccessEndpoint, Credential, CredentialKind
from .rules import lapse_reason, review_facts, wait_reason

BULK_KINDS = (CredentialKind.API_KEY, CredentialKind.TOKEN)


class CredentialError(Refused):
    """A credential that cannot be issued, revealed or changed now; the message says why."""

    code = "invalid"


class CredentialGone(Refused):
    """The credential can no longer be revealed (seen once already, revoked or expired): HTTP 410."""

    code = "gone"


def _lock_review(review_id: int) -> Review:
    return Review.objects.select_for_update().select_related("model", "company").get(pk=review_id)


def _page(review_id: int) -> str:
    return reverse("review_model_access", kwargs={"pk": review_id})


# -- endpoints -----------------------------------------------------------------
@transaction.atomic
def endpoint_create(
    *,
    review_id: int,
    actor,
    name: str,
    kind: str,
    url: str = "",
    instructions: str = "",
    rate_limits: str = "",
    available_from: datetime | None = None,
    available_until: datetime | None = None,
) -> AccessEndpoint:
    """The company describes how to reach the model. Side effects: audit
    ``model_access.endpoint_create``; everyone on the review's agency side is told."""
    review = _lock_review(review_id)
    if not standing_of(user=actor, review=review).may_describe_model_access:
        raise NotAllowed("Only the company's liaisons describe access to the model, while the review is open.")
    endpoint = AccessEndpoint(
        review=review, name=name.strip(), kind=kind, url=url.strip(), instructions=instructions.strip(),
        rate_limits=rate_limits.strip(), available_from=available_from, available_until=available_until, created_by=actor,
    )
    if kind != "onsite" and not endpoint.url:
        raise ValidationError({"url": "Give the address reviewers reach the model at (only on-site access has none)."})
    if available_from and available_until and available_until <= available_from:
        raise ValidationError({"available_until": "The end of the access window must come after its start."})
    endpoint.full_clean()
    endpoint.save()
    audit_record(
        action="model_access.endpoint_create", actor=actor, target=endpoint, review=review,
        payload={"name": endpoint.name, "kind": endpoint.kind, "url": endpoint.url},
    )
    from notifications.services import notification_send

    notification_send(
        recipients=review_audience(review=review, company=False),
        verb="model_access.endpoint",
        title=f"{review}: the company describes access to the model ({endpoint.name})",
        url=_page(review.pk),
    )
    return endpoint


# -- issuing -------------------------------------------------------------------
@sensitive_variables("secret", "payload", "csv_text", "records", "record", "rows", "content", "file")
def _secret_payload(*, kind: str, secret: str, username: str, file) -> tuple[dict, str]:
    """The payload to encrypt and the file's name; refusals name the field, never the value."""
    limit = settings.PORTAL_CREDENTIAL_SECRET_MAX_CHARS
    if kind not in CredentialKind.values:
        raise ValidationError({"kind": "Choose what kind of credential this is."})
    if kind == CredentialKind.FILE:
        if file is None:
            raise ValidationError({"file": "Choose the credential's file (e.g. a client certificate)."})
        max_bytes = settings.PORTAL_CREDENTIAL_FILE_MAX_BYTES
        if file.size > max_bytes:
            raise ValidationError(
                {"file": f"The file is {file.size:,} bytes; a credential file may be at most {max_bytes:,} bytes."}
            )
        content = file.read()
        if not content:
            raise ValidationError({"file": "The file is empty."})
        name = (getattr(file, "name", "") or "credential").replace("\\", "/").rsplit("/", 1)[-1][:200]
        return crypto.file_payload(content), name
    secret = (secret or "").strip()
    if not secret:
        raise ValidationError({"secret": "Enter the secret (it is encrypted and shown to the reviewer once)."})
    if len(secret) > limit:
        raise ValidationError({"secret": f"The secret is {len(secret):,} characters long; at most {limit:,} are allowed."})
    payload = {"secret": secret}
    if kind == CredentialKind.PASSWORD:
        username = (username or "").strip()
        if not username:
            raise ValidationError({"username": "Enter the username that goes with the password."})
        if len(username) > 200:
            raise ValidationError({"username": "The username may be at most 200 characters long."})
        payload["username"] = username
    return payload, ""


def _check_issuer(*, review: Review, actor, endpoint_id: int) -> AccessEndpoint:
    if not standing_of(user=actor, review=review).may_issue_credentials:
        raise NotAllowed("Only the company's liaisons issue credentials, once the review is submitted and until it ends.")
    endpoint = AccessEndpoint.objects.filter(pk=endpoint_id, review=review).first()
    if endpoint is None:
        raise ValidationError({"endpoint": "Choose one of this review's access endpoints."})
    return endpoint


def _eligible_reviewers(review: Review) -> dict[str, tuple[int, int, str]]:
    """``{normalised pseudonym: (reviewer_id, agency_id, pseudonym)}`` of the accepted
    reviewers whose grant holds: the only people a credential may be issued to."""
    from reviews.models import Assignment

    facts = review_facts(review)
    labels = reviewer_pseudonyms(review_id=review.pk)
    agencies = dict(
        Assignment.objects.filter(review=review, reviewer_id__in=facts.active, status="accepted").values_list("reviewer_id", "agency_id")
    )
    return {
        normalise(labels[reviewer_id]): (reviewer_id, agencies[reviewer_id], labels[reviewer_id])
        for reviewer_id in facts.active & facts.accepted
        if reviewer_id in labels and reviewer_id in agencies
    }


@sensitive_variables("secret", "payload", "csv_text", "records", "record", "rows", "content", "file")
def _store(*, review, endpoint, actor, reviewer_id, agency_id, pseudonym, kind, payload, file_name) -> Credential:
    now = timezone.now()
    replaced = list(Credential.objects.live().select_for_update().filter(endpoint=endpoint, reviewer_id=reviewer_id))
    for old in replaced:
        old.revoked_at, old.revoked_by, old.revoke_reason, old.secret = now, actor, "Replaced by a new credential", ""
        old.save(update_fields=["revoked_at", "revoked_by", "revoke_reason", "secret"])
    credential = Credential(
        endpoint=endpoint, review=review, reviewer_id=reviewer_id, agency_id=agency_id, kind=kind,
        secret=crypto.seal(payload), file_name=file_name, issued_by=actor, issued_at=now,
    )
    credential.full_clean(validate_constraints=False)
    credential.save()
    audit_record(
        action="model_access.credential_issue", actor=actor, target=credential, review=review,
        payload={"endpoint": endpoint.name, "kind": kind, "reviewer": pseudonym, "replaced": [c.pk for c in replaced]},
    )
    return credential


def _tell_reviewers(review: Review, credentials: list[Credential]) -> None:
    from accounts.models import User
    from notifications.services import notification_send

    by_reviewer: dict[int, list[Credential]] = {}
    for credential in credentials:
        by_reviewer.setdefault(credential.reviewer_id, []).append(credential)
    users = User.objects.in_bulk(list(by_reviewer))
    for reviewer_id, items in by_reviewer.items():
        names = ", ".join(sorted({c.endpoint.name for c in items}))
        notification_send(
            recipients=[users[reviewer_id]],
            verb="model_access.credential",
            title=f"{review}: your credential to the model is ready ({names})",
            body="Reveal it on the review's model access page; it is shown once, after you confirm it is you.",
            url=_page(review.pk),
        )


@sensitive_variables("secret", "payload", "csv_text", "records", "record", "rows", "content", "file")
@transaction.atomic
def credential_issue(
    *, review_id: int, actor, endpoint_id: int, pseudonym: str, kind: str, secret: str = "", username: str = "", file=None
) -> Credential:
    """Issues one accepted reviewer (named by pseudonym) a credential to one endpoint.

    A live credential of the same reviewer and endpoint is replaced (revoked).
    Side effects: the secret is stored encrypted; audit
    ``model_access.credential_issue`` (no secret); the reviewer is told it is ready."""
    review = _lock_review(review_id)
    endpoint = _check_issuer(review=review, actor=actor, endpoint_id=endpoint_id)
    target = _eligible_reviewers(review).get(normalise(pseudonym or ""))
    if target is None:
        raise ValidationError(
            {"reviewer": f"“{' '.join((pseudonym or '').split())[:60]}” is not an accepted reviewer on this review."}
        )
    payload, file_name = _secret_payload(kind=kind, secret=secret, username=username, file=file)
    reviewer_id, agency_id, label = target
    credential = _store(
        review=review, endpoint=endpoint, actor=actor, reviewer_id=reviewer_id, agency_id=agency_id, pseudonym=label,
        kind=kind, payload=payload, file_name=file_name,
    )
    _tell_reviewers(review, [credential])
    return credential


@sensitive_variables("secret", "payload", "csv_text", "records", "record", "rows", "content", "file")
@transaction.atomic
def credentials_import(*, review_id: int, actor, endpoint_id: int, kind: str, csv_text: str) -> list[Credential]:
    """Issues many credentials from ``reviewer-pseudonym,secret`` rows (a header row
    ``pseudonym,secret`` may come first). Every row is checked before anything is
    stored: one bad row refuses the whole file, each problem named by its line
    (an unknown pseudonym, a duplicate, a missing or oversize secret), never the secret."""
    review = _lock_review(review_id)
    endpoint = _check_issuer(review=review, actor=actor, endpoint_id=endpoint_id)
    if kind not in BULK_KINDS:
        raise ValidationError({"kind": "A CSV file issues API keys or tokens; issue passwords and files one by one."})
    eligible = _eligible_reviewers(review)
    limit = settings.PORTAL_CREDENTIAL_SECRET_MAX_CHARS
    problems: list[str] = []
    rows: list[tuple[int, tuple[int, int, str], str]] = []
    seen: dict[str, int] = {}
    try:
        records = list(csv.reader(io.StringIO(csv_text)))
    except csv.Error:
        raise ValidationError({"file": "The file is not a readable CSV file."}) from None
    for line, record in enumerate(records, start=1):
        if not any(cell.strip() for cell in record):
            continue
        if line == 1 and [cell.strip().lower() for cell in record[:2]] in (["pseudonym", "secret"], ["reviewer-pseudonym", "secret"]):
            continue
        if len(record) != 2:
            problems.append(f"Line {line}: expected two columns (reviewer pseudonym, secret), found {len(record)}.")
            continue
        pseudonym, secret = " ".join(record[0].split()), record[1].strip()
        key = normalise(pseudonym)
        target = eligible.get(key)
        if target is None:
            problems.append(f"Line {line}: “{pseudonym[:60]}” is not an accepted reviewer on this review.")
        elif key in seen:
            problems.append(f"Line {line}: {target[2]} already has a credential on line {seen[key]}.")
        if not secret:
            problems.append(f"Line {line}: the secret is empty.")
        elif len(secret) > limit:
            problems.append(f"Line {line}: the secret is {len(secret):,} characters long; at most {limit:,} are allowed.")
        if target is not None and key not in seen:
            seen[key] = line
            rows.append((line, target, secret))
    if not problems and not rows:
        problems.append("The file has no rows of reviewer pseudonym and secret.")
    if problems:
        raise ValidationError({"file": problems})
    issued = [
        _store(
            review=review, endpoint=endpoint, actor=actor, reviewer_id=reviewer_id, agency_id=agency_id, pseudonym=label,
            kind=kind, payload={"secret": secret}, file_name="",
        )
        for _, (reviewer_id, agency_id, label), secret in rows
    ]
    _tell_reviewers(review, issued)
    return issued


# -- revealing -------------------------------------------------------------------
@dataclass(frozen=True)
class Reveal:
    """What a reveal gave: the secret once (``payload``), or why not (``gone``: HTTP 410)."""

    credential: Credential
    payload: dict | None = None
    gone: str = ""


@sensitive_variables("secret", "payload", "csv_text", "records", "record", "rows", "content", "file")
@transaction.atomic
def credential_reveal(*, credential_id: int, actor) -> Reveal:
    """The reviewer sees their credential, once. The caller has checked step-up.

    A second attempt, or one after the credential was revoked or ended, gives
    no secret (``gone``) and is recorded; a second attempt also alerts the
    company's liaisons and the program office. Side effects: ``revealed_at``;
    the stored secret is erased (the portal keeps it no longer); audit
    ``model_access.credential_reveal`` (or ``…_reveal_refused``)."""
    review_id = Credential.objects.values_list("review_id", flat=True).get(pk=credential_id)
    review = _lock_review(review_id)
    credential = Credential.objects.select_for_update().select_related("endpoint").get(pk=credential_id)
    if credential.reviewer_id != actor.pk:
        raise NotAllowed("Only the reviewer it was issued to may reveal a credential.")
    standing = standing_of(user=actor, review=review)
    standing.require_material()
    label = reviewer_pseudonyms(review_id=review.pk).get(actor.pk, "a reviewer")
    if credential.revoked_at is not None:
        return _refused(review, credential, actor, label, "The company revoked this credential; ask it for a new one.")
    facts = review_facts(review)
    reason = credential.end_reason if credential.ended_at else lapse_reason(credential, facts)
    if reason:
        if credential.ended_at is None:
            _end(review=review, credentials=[(credential, reason)], actor=None)
        return _refused(review, credential, actor, label, f"This credential has expired: {reason}.")
    if credential.revealed_at is not None:
        credential.repeat_attempts += 1
        credential.save(update_fields=["repeat_attempts"])
        _alert_repeat(review, credential, label)
        return _refused(
            review, credential, actor, label,
            f"This credential was shown once, on {timezone.localtime(credential.revealed_at):%b %-d, %Y at %H:%M %Z}. "
            "The company and the program office have been told; ask the company to issue a new one.",
        )
    waiting = wait_reason(credential, facts)
    if waiting or not standing.may_reveal_credential:
        raise CredentialError(f"This credential cannot be revealed yet: {waiting or 'your access to the review is not active'}.")
    payload = crypto.unseal(credential.secret)
    credential.revealed_at = timezone.now()
    credential.secret = ""
    credential.save(update_fields=["revealed_at", "secret"])
    audit_record(
        action="model_access.credential_reveal", actor=actor, target=credential, review=review,
        payload={"endpoint": credential.endpoint.name, "kind": credential.kind, "reviewer": label},
    )
    return Reveal(credential=credential, payload=payload)


def _refused(review, credential, actor, label: str, message: str) -> Reveal:
    audit_record(
        action="model_access.credential_reveal_refused", actor=actor, target=credential, review=review,
        payload={"endpoint": credential.endpoint.name, "reviewer": label, "why": message[:200]},
    )
    return Reveal(credential=credential, gone=message)


def _alert_repeat(review, credential, label: str) -> None:
    from notifications.services import notification_send

    notification_send(
        recipients=review_audience(review=review, agencies=False, company=True, admins=True),
        verb="model_access.reveal_repeat",
        title=f"{review}: {label} tried to reveal a credential again ({credential.endpoint.name})",
        body=(
            f"{label} asked to see their {credential.get_kind_display().lower()} for {credential.endpoint.name} "
            "after it had been shown once. The portal showed nothing. If this was not expected, rotate the "
            "credential on your side and issue a new one."
        ),
        url=_page(review.pk),
        escalation=True,
    )


# -- revoking, ending, rotating ------------------------------------------------------
@transaction.atomic
def credential_revoke(*, credential_id: int, actor, reason: str = "") -> Credential:
    """The company revokes a credential (it can no longer be revealed). Side effects:
    the stored secret is erased; audit ``model_access.credential_revoke``."""
    review_id = Credential.objects.values_list("review_id", flat=True).get(pk=credential_id)
    review = _lock_review(review_id)
    if not standing_of(user=actor, review=review).is_company:
        raise NotAllowed("Only the company's liaisons revoke credentials.")
    credential = Credential.objects.select_for_update().select_related("endpoint").get(pk=credential_id)
    if credential.revoked_at is not None or credential.ended_at is not None:
        raise CredentialError("This credential is no longer live.")
    credential.revoked_at, credential.revoked_by = timezone.now(), actor
    credential.revoke_reason = " ".join((reason or "").split())[:300] or "Revoked by the company"
    credential.secret = ""
    credential.save(update_fields=["revoked_at", "revoked_by", "revoke_reason", "secret"])
    audit_record(
        action="model_access.credential_revoke", actor=actor, target=credential, review=review,
        payload={"endpoint": credential.endpoint.name, "reviewer": reviewer_pseudonyms(review_id=review.pk).get(credential.reviewer_id, ""),
                 "reason": credential.revoke_reason},
    )
    return credential


@transaction.atomic
def credential_rotated(*, credential_id: int, actor) -> Credential:
    """The company confirms it rotated an ended credential on its side ("to rotate" → rotated)."""
    review_id = Credential.objects.values_list("review_id", flat=True).get(pk=credential_id)
    review = _lock_review(review_id)
    if not standing_of(user=actor, review=review).is_company:
        raise NotAllowed("Only the company's liaisons confirm a rotation.")
    credential = Credential.objects.select_for_update().select_related("endpoint").get(pk=credential_id)
    if credential.ended_at is None:
        lapsed = lapse_reason(credential, review_facts(review)) if credential.revoked_at is None else None
        if not lapsed:
            raise CredentialError("This credential has not ended, so there is nothing to rotate yet.")
        _end(review=review, credentials=[(credential, lapsed)], actor=None, tell=False)
    if credential.rotated_at is not None:
        raise CredentialError("This credential's rotation is already confirmed.")
    credential.rotated_at, credential.rotated_by = timezone.now(), actor
    credential.save(update_fields=["rotated_at", "rotated_by"])
    audit_record(
        action="model_access.credential_rotated", actor=actor, target=credential, review=review,
        payload={"endpoint": credential.endpoint.name},
    )
    return credential


def _end(*, review, credentials: list[tuple[Credential, str]], actor, tell: bool = True) -> None:
    """Records the end of each credential (erasing its secret) and tells the company
    once which to rotate on its side. Runs in the caller's transaction."""
    if not credentials:
        return
    now = timezone.now()
    labels = reviewer_pseudonyms(review_id=review.pk)
    lines = []
    for credential, reason in credentials:
        credential.ended_at, credential.end_reason, credential.secret = now, reason[:300], ""
        credential.save(update_fields=["ended_at", "end_reason", "secret"])
        label = labels.get(credential.reviewer_id, "a reviewer")
        audit_record(
            action="model_access.credential_end", actor=actor, actor_label="" if actor else "system", target=credential,
            review=review, payload={"endpoint": credential.endpoint.name, "reviewer": label, "reason": reason[:300]},
        )
        lines.append(f"• {label}: {credential.get_kind_display()} for {credential.endpoint.name} ({reason})")
    if not tell:
        return
    from notifications.services import notification_send

    count = len(credentials)
    notification_send(
        recipients=review_audience(review=review, agencies=False, company=True),
        verb="model_access.to_rotate",
        title=f"{review}: {count} model access credential{'s' if count != 1 else ''} to rotate",
        body="These reviewers' access has ended. Disable or rotate their credentials on your side, then confirm "
        "it on the model access page:\n" + "\n".join(lines),
        url=_page(review.pk),
    )


def credentials_end_lapsed(*, review: Review, actor=None) -> int:
    """Ends every live credential of ``review`` that may no longer be revealed
    (``rules.lapse_reason``) and tells the company; returns how many. Called in
    the transaction of whatever ended the grants (the reviews hooks: removal,
    certificate, withdrawal, closing) and by the periodic sweep."""
    live = list(Credential.objects.live().select_for_update().select_related("endpoint").filter(review_id=review.pk))
    if not live:
        return 0
    facts = review_facts(review)
    ended = [(c, reason) for c in live if (reason := lapse_reason(c, facts))]
    _end(review=review, credentials=ended, actor=actor)
    return len(ended)


def credentials_sweep() -> int:
    """The periodic sweep: every review with live credentials, each in its own
    transaction under its row lock (``tasks.end_lapsed_credentials``)."""
    total = 0
    review_ids = list(Credential.objects.live().values_list("review_id", flat=True).distinct().order_by("review_id"))
    for review_id in review_ids:
        with transaction.atomic():
            total += credentials_end_lapsed(review=_lock_review(review_id))
    return total
