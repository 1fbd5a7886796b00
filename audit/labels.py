"""How the record reads: a label for every action code the portal writes, and
an event's payload as named fields.

The codes stay in the database, the CSV export and the filters (they are the
record's stable vocabulary); pages show these labels. ``audit/tests/test_labels.py``
finds every code the code base emits and fails when one has no label here.
"""

from __future__ import annotations

import json
import re
from datetime import datetime

from django.utils import dateformat, timezone

ACTION_LABELS: dict[str, str] = {
    # Signing in
    "auth.login": "Signed in",
    "auth.logout": "Signed out",
    "auth.login_failed": "Sign-in failed",
    "mfa.added": "Added a second factor",
    "mfa.removed": "Removed a second factor",
    "mfa.reset": "Second factors reset",
    "sso.start": "Started single sign-on",
    "sso.login": "Signed in through single sign-on",
    "sso.bind": "Account bound to an identity provider",
    "sso.step_up": "Proved identity again at the identity provider",
    "sso.refused": "Single sign-on refused",
    "sso.error": "Identity provider error",
    "sso.provider.create": "Identity provider added",
    "sso.provider.update": "Identity provider changed",
    "sso.policy.set": "Sign-in policy changed",
    # People
    "invitation.send": "Invitation sent",
    "invitation.resend": "Invitation sent again",
    "invitation.revoke": "Invitation withdrawn",
    "invitation.accept": "Invitation accepted",
    "invitation.existing_account": "Invitation for an existing account",
    "membership.set": "Role or organisation set",
    "user.deactivate": "Account deactivated",
    "user.reactivate": "Account reactivated",
    "user.time_zone": "Time zone changed",
    "user.keyboard_shortcuts": "Keyboard shortcuts turned on or off",
    "api_token.create": "API token created",
    "api_token.revoke": "API token revoked",
    "api_token.revoke_all": "All API tokens revoked",
    # Reviews
    "review.create": "Review drafted",
    "review.edit": "Draft review edited",
    "review.delete": "Draft review deleted",
    "review.submit": "Review submitted",
    "review.open": "Review window opened",
    "review.close": "Review closed",
    "review.withdraw": "Review withdrawn",
    "review.sign_off": "Agency signed off",
    "review.certify": "Return or destruction certified",
    "terms.update": "Access terms changed",
    "terms.accept": "Access terms accepted",
    "assignment.invite": "Reviewer asked to review",
    "assignment.accept": "Assignment accepted",
    "assignment.decline": "Assignment declined",
    "assignment.remove": "Reviewer removed",
    "access.grant": "Access granted",
    "access.revoke": "Access revoked",
    "access.expire": "Access expired",
    "access.expiry_set": "Access end date set",
    "extension.request": "Extension requested",
    "extension.suggest": "Extension suggested to the lead",
    "extension.answer": "Company answered an extension request",
    "extension.position": "Agency stated its position on an extension",
    "extension.approve": "Extension approved",
    "extension.decline": "Extension declined",
    # Material
    "document.upload": "Document uploaded",
    "document.edit": "Document details changed",
    "document.view": "Document viewed",
    "document.download": "Document downloaded",
    "document.scan": "Document scanned",
    "search.run": "Searched",
    "search.alerted": "Told of new matches for a saved search",
    "rfi.create": "Question asked",
    "rfi.answer": "Question answered",
    "rfi.assign": "Question routed",
    "rfi.follow": "Question followed",
    "rfi.faq": "Answer published to the review's FAQ",
    "rfi.reopen": "Question reopened",
    "rfi.close": "Question closed",
    "finding.create": "Finding drafted",
    "finding.record": "Finding recorded",
    "finding.edit": "Finding edited",
    "finding.revise": "Finding revised after sharing",
    "finding.share": "Finding shared",
    "finding.comment": "Comment on a finding",
    "finding.evidence": "Evidence attached to a finding",
    "finding.respond": "Company responded to a finding",
    "finding.retest": "Finding retested",
    "finding.link": "Findings linked as possible duplicates",
    "finding.close": "Finding closed",
    "finding.risk_expired": "Accepted risk expired",
    "checklist.answer": "Readiness checklist answered",
    "model.create": "Model registered",
    "model.edit": "Model details changed",
    "model_access.endpoint_create": "Model endpoint described",
    "model_access.credential_issue": "Credential issued",
    "model_access.credential_reveal": "Credential revealed",
    "model_access.credential_reveal_refused": "Credential reveal refused",
    "model_access.credential_revoke": "Credential revoked",
    "model_access.credential_rotated": "Credential rotated",
    "model_access.credential_end": "Credential ended",
    "model_access.keys_rotated": "Credential encryption keys rotated",
    # Exports and the record
    "report.generate": "Closing report generated",
    "export.json": "JSON export downloaded",
    "export.oscal": "OSCAL export downloaded",
    "export.package": "Closing package requested",
    "export.package_download": "Closing package downloaded",
    "audit.export": "Audit trail exported",
    "audit.verify": "Audit chain verified",
    "admin.add": "Added in the admin",
    "admin.change": "Changed in the admin",
    "admin.delete": "Deleted in the admin",
}


def action_label(code: str) -> str:
    """The label of ``code``; a code without one (written by a newer version, or a
    test) reads as its words ("widget.frobnicate" → "Widget frobnicate")."""
    label = ACTION_LABELS.get(code)
    if label:
        return label
    words = (code or "").replace(".", " ").replace("_", " ").strip()
    return words[:1].upper() + words[1:]


# Payload keys whose plain words would read badly.
FIELD_LABELS = {
    "agency_id": "Agency (id)",
    "company_id": "Company (id)",
    "user_id": "Account (id)",
    "review_id": "Review (id)",
    "sha256": "SHA-256",
    "acr": "Assurance (acr)",
    "amr": "Methods (amr)",
    "is_staff": "Staff",
    "to": "Shared with",
    "typed_not_listed": "More typed, not listed",
}


def field_label(key: str) -> str:
    if key in FIELD_LABELS:
        return FIELD_LABELS[key]
    words = str(key).replace("_", " ").strip()
    return words[:1].upper() + words[1:]


# A moment written into a payload as ISO 8601 with its offset (a search's
# "from" and "until", an audit search's bounds, in UTC): shown as the page
# shows each event's time, in the reader's zone; a bare date stays as written.
_MOMENT = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:\d{2})")


def _moment_text(value: str) -> str | None:
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        return None
    return dateformat.format(timezone.localtime(moment), "Y-m-d H:i:s T")


def _value_text(value) -> str:
    if value is None or value == "":
        return "—"
    if isinstance(value, str) and _MOMENT.fullmatch(value):
        return _moment_text(value) or value
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, (list, tuple)):
        if all(not isinstance(v, (dict, list, tuple)) for v in value):
            return ", ".join(_value_text(v) for v in value) if value else "—"
        return json.dumps(value, ensure_ascii=False, sort_keys=True)
    if isinstance(value, dict):
        if all(not isinstance(v, (dict, list, tuple)) for v in value.values()):
            return "; ".join(f"{field_label(k)}: {_value_text(v)}" for k, v in value.items()) if value else "—"
        return json.dumps(value, ensure_ascii=False, sort_keys=True)
    return str(value)


def payload_fields(payload) -> list[tuple[str, str]]:
    """An event's payload as (label, value) pairs, in the payload's order: a
    nested mapping reads "Key: value; …", a list its items joined, anything
    deeper its JSON."""
    if not payload:
        return []
    if not isinstance(payload, dict):
        return [("Details", _value_text(payload))]
    return [(field_label(k), _value_text(v)) for k, v in payload.items()]
