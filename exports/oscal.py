"""OSCAL assessment results and a POA&M of one review, built with compliance-trestle's models.

Both are built from the reader's JSON export (``exports.data.review_export``),
so they hold exactly what the reader may see and no more: parties are
organisations (the participating agencies, the company, the program
office), never people. Every object is a trestle (pydantic) model, so a
document that does not conform to OSCAL cannot be built; ``oscal_validate``
parses the serialised text again and runs trestle's own validators
(duplicate UUIDs, role references) as ``trestle validate`` does.

Mapping (assessment results, one ``result`` per review):

* metadata: parties (agencies, company, program office) and roles
  (``assessor``, ``assessed-party``, ``program-office``); responsible parties
  link them.
* the reviewed scope: ``reviewed-controls`` over the readiness catalogue,
  the review's model as the result's subject and its summary.
* observations: one per document version examined (relevant evidence →
  the back-matter resource holding its SHA-256), one per finding (its
  evidence text and each evidence file → a back-matter resource with the
  file's SHA-256, scan state and download link), one per answered
  readiness criterion.
* findings: title, description, ``severity``, ``category``, ``sharing``,
  ``finding-status``, the company's ``response``, the ``retest`` result and
  one ``taxonomy`` property per catalogue id (OWASP LLM, MITRE ATLAS, NIST
  AI 600-1; ``class`` names the catalogue); the target status is
  ``satisfied`` once an agency's retest verified the fix, ``not-satisfied``
  otherwise; each with a risk.
* risks: status from the lifecycle (``closed`` when the finding closed,
  ``deviation-approved`` for an accepted risk, ``remediating`` while a fix is
  planned or claimed, ``open`` otherwise), the severity as a facet, and the
  company's (non-internal) responses as remediations.
* the window, clock stops and extensions as result properties.

The POA&M lists the findings the reader may see that are not closed as
POA&M items.
"""

from __future__ import annotations

import uuid
from datetime import datetime

from django.conf import settings

NS = "https://frontier-review-portal.example/ns/oscal"
_UUID_NS = uuid.UUID("6f1d2b7e-3a8c-4e55-9b1f-2c0de7a1f00d")


def _uuid(*parts) -> str:
    """A stable UUID per portal object (and audience, so two audiences' documents never share one)."""
    return str(uuid.uuid5(_UUID_NS, "/".join(str(p) for p in parts)))


def _when(value: str | None) -> datetime | None:
    return datetime.fromisoformat(value) if value else None


def _line(value) -> str:
    """One line without surrounding blanks, as OSCAL's string type asks (``^\\S(.*\\S)?$``)."""
    return " ".join(str(value).split()) or "-"


def _risk_status(f: dict) -> str:
    """OSCAL's risk status for where the finding stands."""
    if f["status"] == "closed":
        return "closed"
    if f["response"] == "risk_accepted":
        return "deviation-approved"
    if f["response"] in ("fix_planned", "fixed"):
        return "remediating"
    return "open"


def _taxonomy_prop(t: dict) -> object:
    from trestle.oscal.common import Property

    return Property(name="taxonomy", value=_line(t["code"]), ns=NS, class_=_line(f"{t['catalogue']}-{t['version']}"))


def _prop(name: str, value) -> object:
    from trestle.oscal.common import Property

    return Property(name=name, value=_line(value), ns=NS)


class _Builder:
    def __init__(self, export: dict, kind: str):
        self.x = export
        self.kind = kind
        self.audience = export["audience"]["organisation"]
        self.base = (kind, export["review"]["id"], export["audience"]["kind"], self.audience)

    def id(self, *parts) -> str:
        return _uuid(*self.base, *parts)

    # -- metadata --------------------------------------------------------------
    def metadata(self, title: str):
        from trestle.oscal import OSCAL_VERSION
        from trestle.oscal.common import Metadata, Parties, ResponsibleParty, Role

        x = self.x
        roles = [
            Role(id="assessor", title="Assessing agency"),
            Role(id="assessed-party", title="Company whose model is reviewed"),
            Role(id="program-office", title="Program office"),
        ]
        self.party = {"program office": self.id("party", "program-office"), "company": self.id("party", "company", x["company"]["id"])}
        parties = [
            Parties(uuid=self.party["program office"], type="organization", name="Program office"),
            Parties(uuid=self.party["company"], type="organization", name=_line(x["company"]["name"])),
        ]
        for a in x["agencies"]:
            self.party[a["acronym"]] = self.id("party", "agency", a["id"])
            parties.append(Parties(uuid=self.party[a["acronym"]], type="organization", name=_line(a["name"]), short_name=_line(a["acronym"])))
        responsible = [
            ResponsibleParty(role_id="assessor", party_uuids=[self.party[a["acronym"]] for a in x["agencies"]]) if x["agencies"] else None,
            ResponsibleParty(role_id="assessed-party", party_uuids=[self.party["company"]]),
            ResponsibleParty(role_id="program-office", party_uuids=[self.party["program office"]]),
        ]
        return Metadata(
            title=title,
            last_modified=_when(x["generated_at"]),
            version=f"{x['review']['id']}-{x['generated_at']}",
            oscal_version=OSCAL_VERSION,
            roles=roles,
            parties=parties,
            responsible_parties=[r for r in responsible if r is not None],
            props=[
                _prop("audience", x["audience"]["organisation"]),
                _prop("interim", "true" if x["interim"] else "false"),
                _prop("export-schema-version", x["schema_version"]),
            ],
            remarks=f"Prepared by {settings.PORTAL_NAME} for {self.audience}; holds only what {self.audience} may see.",
        )

    def origin(self, acronym: str | None):
        from trestle.oscal.common import Origin, OriginActor

        party = self.party.get(acronym) or self.party["program office"]
        return [Origin(actors=[OriginActor(type="party", actor_uuid=party)])]

    # -- back matter: the documents, by SHA-256 --------------------------------
    def back_matter(self):
        from trestle.oscal.common import BackMatter, Hash, Resource, Rlink

        resources = [
            Resource(
                uuid=self.id("resource", "review-request"),
                title=_line(f"Review request: {self.x['review']['title']}"),
                description=self.x["review"]["summary"] or "The company's request for review.",
                props=[_prop("review-id", self.x["review"]["id"])],
            )
        ]
        self.version_resource = {}
        for d in self.x["documents"]:
            for v in d["versions"]:
                rid = self.id("resource", "version", v["id"])
                self.version_resource[v["id"]] = rid
                resources.append(
                    Resource(
                        uuid=rid,
                        title=_line(f"{d['title']} (version {v['number']})"),
                        description=f"{d['kind'].replace('_', ' ').capitalize()} handed over as {v['original_name']}, marked {d['marking']}.",
                        props=[
                            _prop("document-kind", d["kind"]),
                            _prop("marking", d["marking"]),
                            _prop("version", v["number"]),
                            _prop("bytes", v["bytes"]),
                            _prop("scan-status", v["scan_status"]),
                        ],
                        rlinks=[
                            Rlink(
                                href=f"{settings.PORTAL_BASE_URL}/documents/versions/{v['id']}/download/",
                                media_type=v["content_type"] or None,
                                hashes=[Hash(algorithm="SHA-256", value=v["sha256"])],
                            )
                        ],
                    )
                )
        # Each finding's evidence files: a resource per file, its hash and download link.
        self.attachment_resource = {}
        for f in self.x["findings"]:
            for a in f.get("attachments", []):
                rid = self.id("resource", "evidence", a["id"])
                self.attachment_resource[a["id"]] = rid
                resources.append(
                    Resource(
                        uuid=rid,
                        title=_line(f"Evidence: {a['title']}"),
                        description=f"{a['stage'].capitalize()} evidence of the finding \"{_line(f['title'])}\", added by "
                                    f"{a['agency'] or 'the program office'}, marked {a['marking']}.",
                        props=[p for p in (
                            _prop("evidence-stage", a["stage"]), _prop("marking", a["marking"]),
                            _prop("bytes", a["size"]) if a["size"] is not None else None,
                            _prop("scan-status", a["scan_status"]) if a["scan_status"] else None,
                        ) if p is not None],
                        rlinks=[
                            Rlink(
                                href=f"{settings.PORTAL_BASE_URL}/findings/evidence/{a['id']}/download/",
                                hashes=[Hash(algorithm="SHA-256", value=a["sha256"])] if a["sha256"] else None,
                            )
                        ],
                    )
                )
        return BackMatter(resources=resources)

    # -- observations, risks, findings -----------------------------------------
    def observations(self):
        from trestle.oscal.common import Observation, RelevantEvidence, SubjectReference

        out = []
        subject = SubjectReference(subject_uuid=self.id("model", self.x["model"]["id"]), type="component", title=_line(self.model_title()))
        for d in self.x["documents"]:
            for v in d["versions"]:
                out.append(
                    Observation(
                        uuid=self.id("observation", "version", v["id"]),
                        title=_line(f"Examined {d['title']} (version {v['number']})"),
                        description=f"The agencies examined the {d['kind'].replace('_', ' ')} handed over by {self.x['company']['name']}.",
                        methods=["EXAMINE"],
                        types=["historic"],
                        subjects=[subject],
                        relevant_evidence=[
                            RelevantEvidence(href=f"#{self.version_resource[v['id']]}", description=f"SHA-256 {v['sha256']}")
                        ],
                        collected=_when(v["uploaded_at"]),
                    )
                )
        for f in self.x["findings"]:
            evidence = [RelevantEvidence(description=f["evidence"])] if f["evidence"].strip() else []
            evidence += [
                RelevantEvidence(href=f"#{self.attachment_resource[a['id']]}", description=_line(
                    f"{a['file_name'] or a['title']}" + (f", SHA-256 {a['sha256']}" if a["sha256"] else "")))
                for a in f.get("attachments", [])
            ]
            evidence = evidence or None
            out.append(
                Observation(
                    uuid=self.id("observation", "finding", f["id"]),
                    title=_line(f["title"]),
                    description=f["description"] or f["title"],
                    props=[_prop("agency", f["agency"])],
                    methods=["TEST"],
                    types=["finding"],
                    origins=self.origin(f["agency"]),
                    subjects=[subject],
                    relevant_evidence=evidence,
                    collected=_when(f["recorded_at"]),
                )
            )
        for n, item in enumerate(self.x["checklist"]):
            if not item["answer"]:
                continue
            out.append(
                Observation(
                    uuid=self.id("observation", "criterion", n, item["criterion"]),
                    title=_line(f"Readiness: {item['criterion']}"),
                    description=f"{item['criterion']}: {item['answer'].replace('_', ' ')}." + (f" {item['note']}" if item["note"] else ""),
                    props=[_prop("readiness-answer", item["answer"]), _prop("mandatory", "true" if item["mandatory"] else "false")],
                    methods=["EXAMINE"],
                    types=["control-objective"],
                    subjects=[subject],
                    collected=_when(item["answered_at"]) or _when(self.x["generated_at"]),
                )
            )
        return out

    def risk(self, f):
        from trestle.oscal.common import Characterization, Facet, Response, Risk

        responses = [
            Response(
                uuid=self.id("response", f["id"], n),
                lifecycle="planned",
                title=f"Response of {self.x['company']['name']}",
                description=c["body"] or "(empty)",
                origins=self.origin("company"),
                props=[_prop("responded-at", c["at"])],
            )
            for n, c in enumerate(f["comments"])
            if c["side"] == "company" and not c.get("internal", False)
        ]
        return Risk(
            uuid=self.id("risk", f["id"]),
            title=f["title"],
            description=f["description"] or f["title"],
            statement=f["evidence"] or f["description"] or f["title"],
            status=_risk_status(f),
            props=[_prop("severity", f["severity"])],
            origins=self.origin(f["agency"]),
            characterizations=[
                Characterization(
                    origin=self.origin(f["agency"])[0],
                    facets=[Facet(name="severity", system=NS, value=f["severity"])],
                )
            ],
            remediations=responses or None,
            related_observations=[{"observation_uuid": self.id("observation", "finding", f["id"])}],
        )

    def finding(self, f):
        from trestle.oscal.common import AssociatedRisk, Finding, FindingTarget, ObjectiveStatus, RelatedObservation

        props = [
            _prop("severity", f["severity"]),
            _prop("category-id", f["category"]["id"]),
            _prop("category", f["category"]["name"]),
            _prop("agency", f["agency"]),
            _prop("sharing", f["sharing"]),
            _prop("finding-status", f["status"]),
            *([_prop("response", f["response"])] if f["response"] else []),
            *([_prop("retest", f["retest_result"])] if f["retest_result"] else []),
            *[_taxonomy_prop(t) for t in f["taxonomy"]],
        ]
        return Finding(
            uuid=self.id("finding", f["id"]),
            title=f["title"],
            description=f["description"] or f["title"],
            props=props,
            origins=self.origin(f["agency"]),
            target=FindingTarget(
                type="objective-id",
                target_id=f"category-{f['category']['id']}",
                title=_line(f["category"]["name"]),
                status=(
                    ObjectiveStatus(state="satisfied", reason="pass")
                    if f["retest_result"] == "verified_fixed"
                    else ObjectiveStatus(state="not-satisfied", reason="fail")
                ),
            ),
            related_observations=[RelatedObservation(observation_uuid=self.id("observation", "finding", f["id"]))],
            related_risks=[AssociatedRisk(risk_uuid=self.id("risk", f["id"]))],
        )

    def model_title(self) -> str:
        m = self.x["model"]
        return f"{m['name']} {m['version']}".strip()

    def window_props(self):
        r = self.x["review"]
        props = [_prop("review-id", r["id"]), _prop("review-status", r["status"]), _prop("model", self.model_title()),
                 _prop("company", self.x["company"]["name"])]
        for key in ("window_start", "window_end", "closed_at"):
            if r[key]:
                props.append(_prop(key.replace("_", "-"), r[key]))
        for a in self.x["agencies"]:
            props.append(_prop("participating-agency", a["acronym"]))
        for s in self.x["clock_stops"]:
            props.append(_prop("clock-stop", f"{s['stopped_at']}/{s['resumed_at'] or 'running'}"))
        for e in self.x["extensions"]:
            props.append(_prop("extension", f"{e['status']}: {e['days']} days asked by {e['agency']} on {e['requested_at']}"
                                             + (f", window end {e['previous_end']} → {e['new_end']}" if e["new_end"] else "")))
        return props


def assessment_results(export: dict):
    """The trestle ``AssessmentResults`` of one review for the export's audience."""
    from trestle.oscal.assessment_results import AssessmentResults, ImportAp, Result
    from trestle.oscal.common import ControlSelectionsAll, IncludeAll, ReviewedControls

    b = _Builder(export, "assessment-results")
    r = export["review"]
    interim = " (interim)" if export["interim"] else ""
    metadata = b.metadata(f"Assessment results{interim}: {r['title']}")
    back_matter = b.back_matter()
    findings = export["findings"]
    result = Result(
        uuid=b.id("result"),
        title=f"{r['title']}{interim}",
        description=r["outcome_summary"] or r["summary"] or f"Early-access review of {b.model_title()}.",
        start=_when(r["window_start"] or r["submitted_at"] or r["created_at"]),
        end=_when(r["closed_at"]),
        props=b.window_props(),
        reviewed_controls=ReviewedControls(
            description="The portal's readiness criteria for government access.",
            control_selections=[ControlSelectionsAll(include_all=IncludeAll())],
        ),
        observations=b.observations() or None,
        risks=[b.risk(f) for f in findings] or None,
        findings=[b.finding(f) for f in findings] or None,
        remarks=r["recommendations"] or None,
    )
    return AssessmentResults(
        uuid=b.id("document"),
        metadata=metadata,
        import_ap=ImportAp(href=f"#{b.id('resource', 'review-request')}", remarks="The review request stands in for an assessment plan."),
        results=[result],
        back_matter=back_matter,
    )


def poam(export: dict):
    """The trestle ``PlanOfActionAndMilestones``: the findings still open at close."""
    from trestle.oscal.common import AssociatedRisk, RelatedObservation
    from trestle.oscal.poam import PlanOfActionAndMilestones, PoamItem, RelatedFinding

    b = _Builder(export, "poam")
    r = export["review"]
    metadata = b.metadata(f"Plan of action and milestones{' (interim)' if export['interim'] else ''}: {r['title']}")
    back_matter = b.back_matter()
    findings = [f for f in export["findings"] if f["status"] != "closed"]
    open_ids = {b.id("observation", "finding", f["id"]) for f in findings}
    observations = [o for o in b.observations() if o.types == ["finding"] and o.uuid in open_ids]
    items = [
        PoamItem(
            uuid=b.id("poam-item", f["id"]),
            title=f["title"],
            description=f["description"] or f["title"],
            props=[_prop("severity", f["severity"]), _prop("agency", f["agency"])],
            related_findings=[RelatedFinding(finding_uuid=b.id("finding", f["id"]))],
            related_observations=[RelatedObservation(observation_uuid=b.id("observation", "finding", f["id"]))],
            related_risks=[AssociatedRisk(risk_uuid=b.id("risk", f["id"]))],
        )
        for f in findings
    ]
    if not items:  # OSCAL asks for at least one item: say plainly that nothing is open
        items = [
            PoamItem(
                uuid=b.id("poam-item", "none"),
                title="No open findings",
                description=f"No finding that {b.audience} may see was open when this plan was produced.",
            )
        ]
    return PlanOfActionAndMilestones(
        uuid=b.id("document"),
        metadata=metadata,
        observations=observations or None,
        risks=[b.risk(f) for f in findings] or None,
        findings=[b.finding(f) for f in findings] or None,
        poam_items=items,
        back_matter=back_matter,
    )


KINDS = {"assessment-results": assessment_results, "poam": poam}


def oscal_json(export: dict, kind: str) -> bytes:
    """The OSCAL document ``kind`` as JSON (wrapped in its root key, as OSCAL files are), validated."""
    model = KINDS[kind](export)
    text = model.oscal_serialize_json_bytes(pretty=True)
    oscal_validate(text, kind)
    return text


def oscal_validate(text: bytes | str, kind: str):
    """Parses OSCAL JSON with trestle's model and runs trestle's validators; raises ``ValueError`` if invalid."""
    import json

    import argparse

    import trestle.core.validator_factory as validators  # imported first: it registers every validator
    from trestle.common import const
    from trestle.oscal.assessment_results import AssessmentResults
    from trestle.oscal.poam import PlanOfActionAndMilestones

    cls = {"assessment-results": AssessmentResults, "poam": PlanOfActionAndMilestones}[kind]
    data = json.loads(text)
    model = cls.model_validate(data[kind if kind != "poam" else "plan-of-action-and-milestones"])
    validator = validators.validator_factory.get(argparse.Namespace(mode=const.VAL_MODE_ALL))
    if not validator.model_is_valid(model, True, None):
        raise ValueError(f"trestle refused the {kind}: {validator.error_msg()}")
    return model
