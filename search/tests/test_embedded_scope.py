"""Search on the run command's embedded default (SQLite, demo mode), where
each kind reads its scoped query with a plain match of every word instead of
PostgreSQL's full text (search.selectors: the SQLite branches): for every
demo role, the same pieces found, and nothing else, as on PostgreSQL
(``test_scope.EXPECTED``); a search recorded and folded into the audit
trail; and a saved search's alert."""

from __future__ import annotations

from conftest import DEMO_USERS
from portal.tests.test_embedded_pages import on_the_embedded_default

from .test_scope import EXPECTED

SCRIPT = """
import json
from django.core.management import call_command
from django.test.utils import setup_test_environment
setup_test_environment()
call_command("migrate", verbosity=0)
call_command("seed_demo", verbosity=0)
from conftest import demo_objects
from search.selectors import search
from search.tests.conftest import make_material
demo = demo_objects()
# Find in one document there too: the demo model card (v1) names its safeguards on both of its pages.
from documents.models import Document
from search.selectors import document_pages_found
def within(text):
    card = Document.objects.get(review=demo["atlas"], title="Atlas-2 model card")
    found_in = document_pages_found(user=demo["reviewer_nsa"], document=card, text=text)
    return [found_in.version.number, [[hit.page, f"<mark>{text.lower()}</mark>" in hit.snippet.lower()] for hit in found_in.pages], found_in.total]
from documents.texts import version_text_extract
version_text_extract(version_id=Document.objects.get(review=demo["atlas"], title="Atlas-2 model card").versions.get(number=1).pk)
card_pages = within("Safeguards")
material = make_material(demo)
found = {}
for role in %(roles)r:
    for word in %(words)r:
        results = search(user=demo[role], text=word)
        found[f"{role} {word}"] = {
            s.kind: [s.count, len(s.hits), all(("<mark>" + word) in h.snippet.lower() for h in s.hits)]
            for s in results.sections if s.count or s.hits
        }
# A search recorded and folded into the audit trail there too (SQLite has no row locks to skip).
from datetime import timedelta
from django.utils import timezone
from audit.models import AuditEvent
from search.models import SearchRecord
from search.services import search_record, search_records_fold
search_record(user=demo["reviewer_nsa"], results=search(user=demo["reviewer_nsa"], text="obsidian"), filters={}, via="page")
found["folded"] = [search_records_fold(now=timezone.now() + timedelta(seconds=11)), SearchRecord.objects.count(),
                   list(AuditEvent.objects.filter(action="search.run").values_list("payload__searched_for", flat=True))]
# The office's trail search finds it there too, by its words, case aside (SQLite: each column in turn).
from audit.selectors import audit_event_list
found["trail"] = list(audit_event_list(user=demo["admin"], q="OBSIDIAN").values_list("action", flat=True))
# A saved search's alert there too: saved, a question asked after and an earlier one answered, checked a quarter of an hour on
# (the earlier question, asked today, is in the window and now matches by its answer: a new match too).
from notifications.models import Notification
from rfis.services import rfi_answer, rfi_create
from search.services import saved_search_create, saved_searches_check
earlier = rfi_create(review_id=demo["atlas_mini"].pk, actor=demo["lead_nsa"], subject="About signing", question="Is the update channel signed?")
saved_search_create(owner=demo["reviewer_nsa"], text="zephyr", params="type=rfi", alert=True)
rfi_create(review_id=demo["atlas_mini"].pk, actor=demo["lead_nsa"], subject="About zephyr", question="Is the zephyr channel signed?")
rfi_answer(rfi_id=earlier.pk, actor=demo["liaison_northwind"], body="Yes, through the zephyr keys.")
# And one of findings, told of NSA's own internal comment on a finding CISA sees too, not of CISA's internal one there.
from findings.services import finding_comment
saved_search_create(owner=demo["reviewer_nsa"], text="zephyr", params="type=finding", alert=True)
finding_comment(finding_id=material["gneiss"].pk, actor=demo["lead_nsa"], body="The zephyr harness again.", internal=True)
finding_comment(finding_id=material["gneiss"].pk, actor=demo["lead_cisa"], body="Zephyr, for CISA only.", internal=True)
found["alerted"] = [saved_searches_check(now=timezone.now() + timedelta(minutes=16)),
                    sorted(Notification.objects.filter(verb="search.alert").values_list("recipient__email", "title"))]
# The material's versions of Atlas-2's card: its newest, v4, is clean and read; v2 pending and v3 quarantined are not.
found["within"] = [card_pages, within("obsidian"), within("quagmire")]
print(json.dumps(found))
"""


def test_the_embedded_defaults_search_finds_only_what_each_role_may_see(tmp_path, embedded_copy):
    found = on_the_embedded_default(SCRIPT % {"roles": list(DEMO_USERS), "words": list(EXPECTED)}, tmp_path, embedded_copy)
    for role in DEMO_USERS:
        for word, (kind, finders) in EXPECTED.items():
            assert found[f"{role} {word}"] == ({kind: [1, 1, True]} if role in finders else {}), (role, word)
    assert found["folded"] == [1, 0, ["obsidian"]]
    assert found["within"] == [[1, [[1, True], [2, True]], 2], [4, [[1, True]], 1], [4, [], 0]]
    assert found["trail"] == ["search.run"]
    assert found["alerted"] == [2, [
        # The finding, made today, is in the window and now matches by the comment: a new match too.
        [DEMO_USERS["reviewer_nsa"], "New for your saved search \u201czephyr\u201d: 1 finding, 1 comment on a finding"],
        [DEMO_USERS["reviewer_nsa"], "New for your saved search \u201czephyr\u201d: 2 questions, 1 reply in a question's thread"],
    ]]
