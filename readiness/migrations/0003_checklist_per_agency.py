"""Each participating agency answers its own readiness checklist (issue 17 item 1).

An existing item (one checklist shared by all agencies) goes to the agency of
the person who answered it, else to the review's first participating agency
(by acronym); every other participating agency gets its own unanswered items.
"""

from django.db import migrations, models


def split(apps, schema_editor):
    ChecklistItem = apps.get_model("readiness", "ChecklistItem")
    ReviewAgency = apps.get_model("reviews", "ReviewAgency")
    Membership = apps.get_model("accounts", "Membership")
    agencies_of = {}
    for row in ReviewAgency.objects.order_by("agency__acronym").values("review_id", "agency_id"):
        agencies_of.setdefault(row["review_id"], []).append(row["agency_id"])
    answerer_agency = dict(Membership.objects.filter(agency__isnull=False).values_list("user_id", "agency_id"))
    for item in ChecklistItem.objects.filter(agency__isnull=True).order_by("id"):
        participating = agencies_of.get(item.review_id) or []
        agency = answerer_agency.get(item.answered_by_id)
        if agency not in participating:
            agency = participating[0] if participating else None
        if agency is None:
            item.delete()
            continue
        item.agency_id = agency
        item.save(update_fields=["agency"])
    have = set(ChecklistItem.objects.values_list("review_id", "agency_id", "criterion_id"))
    criteria = {}
    for review_id, agency_id, criterion_id in list(have):
        criteria.setdefault(review_id, set()).add(criterion_id)
    missing = [
        ChecklistItem(review_id=review_id, agency_id=agency_id, criterion_id=criterion_id)
        for review_id, criterion_ids in criteria.items()
        for agency_id in agencies_of.get(review_id, [])
        for criterion_id in criterion_ids
        if (review_id, agency_id, criterion_id) not in have
    ]
    ChecklistItem.objects.bulk_create(missing)


class Migration(migrations.Migration):
    dependencies = [
        ("readiness", "0002_seed_criteria"),
        ("reviews", "0014_extension_positions"),
        ("agencies", "0001_initial"),
        ("accounts", "0001_initial"),
    ]

    operations = [
        migrations.RemoveConstraint(model_name="checklistitem", name="checklist_item_unique"),
        migrations.AddField(
            model_name="checklistitem",
            name="agency",
            field=models.ForeignKey(null=True, on_delete=models.deletion.PROTECT, related_name="+", to="agencies.agency"),
        ),
        migrations.RunPython(split, migrations.RunPython.noop),
        migrations.AlterField(
            model_name="checklistitem",
            name="agency",
            field=models.ForeignKey(on_delete=models.deletion.PROTECT, related_name="+", to="agencies.agency"),
        ),
        migrations.AlterModelOptions(
            name="checklistitem", options={"ordering": ["agency__acronym", "criterion__position", "criterion__name", "id"]}
        ),
        migrations.AddConstraint(
            model_name="checklistitem",
            constraint=models.UniqueConstraint(fields=("review", "agency", "criterion"), name="checklist_item_unique_per_agency"),
        ),
    ]
