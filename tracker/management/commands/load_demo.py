"""The TICAD 9 Kenya-Japan pledges, as a first look at the tracker.

Idempotent: every record is looked up by its natural key first, so a second
run changes no count. Dates are set relative to today: the board always
shows something due, something overdue, and updates spread over past weeks.

Each pledge cites a published report of it (outlet, date, headline and
address). The quotes are the words as reported, the speaker's own where the
report quotes them; the progress notes are invented for the demo, and so are
the interim assessment's scores, whose rationales say what they rest on, the
money lines, whose notes say "Demo entry", and the Samurai Bond's milestones.
Japan's TICAD 8 pledge (Tunis, 2022) is renewed by its TICAD 9 financing
pledge, as a chain to follow.
"""

import os
import secrets
from datetime import date, datetime, time, timedelta
from decimal import Decimal

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from tracker import assessments, milestones, money, services
from tracker.models import Actor, AssessmentCycle, Commitment, Event, ProgressUpdate, Topic

ACTORS = [
    {
        "name": "Shigeru Ishiba",
        "kind": Actor.Kind.PERSON,
        "country": "JP",
        "role": "Prime Minister of Japan",
        "aliases": "Ishiba\nPrime Minister Ishiba\nMr Ishiba\nPrime Minister Shigeru Ishiba",
    },
    {
        "name": "William Ruto",
        "kind": Actor.Kind.PERSON,
        "country": "KE",
        "role": "President of Kenya",
        "aliases": "Ruto\nPresident Ruto\nMr Ruto\nPresident William Ruto",
    },
    {
        "name": "Government of Japan",
        "kind": Actor.Kind.GOVERNMENT,
        "country": "JP",
        "role": "",
        "aliases": "Japan\nTokyo\nthe Japanese government",
    },
    {
        "name": "Government of Kenya",
        "kind": Actor.Kind.GOVERNMENT,
        "country": "KE",
        "role": "",
        "aliases": "Kenya\nNairobi\nthe Kenyan government",
    },
    {
        "name": "Toyota",
        "kind": Actor.Kind.COMPANY,
        "country": "JP",
        "role": "Car maker",
        "aliases": "Toyota Corporation\nToyota Motor Corporation",
    },
]

TOPICS = ["Trade", "Agriculture", "Finance", "Investment", "Mobility", "Security"]

EVENT = {
    "name": "TICAD 9",
    "location": "Yokohama",
    "country": "JP",
    "starts_on": date(2025, 8, 20),
    "ends_on": date(2025, 8, 22),
}
PREVIOUS_EVENT = {
    "name": "TICAD 8",
    "location": "Tunis",
    "country": "TN",
    "starts_on": date(2022, 8, 27),
    "ends_on": date(2022, 8, 28),
}

# Each pledge: its fields, then the follow-up state to reach. `updates` are
# recorded `days_ago` (oldest first); the last one sets the next check to
# its date + check_every_days. Without updates, `next_check` is days from
# today (negative: overdue). As set, three checks are due in the last few
# days (check-up emails), Toyota's is weeks late and the investment
# conference's target date has passed (escalations), two are due soon.
COMMITMENTS = [
    {
        "title": "Review Japan's tariff and non-tariff restrictions on Kenyan avocados and tea",
        "kind": Commitment.Kind.REVIEW,
        "made_by": "Shigeru Ishiba",
        "counterparts": ["William Ruto", "Government of Kenya"],
        # The Prime Minister pledged for his government, whose compliance is assessed.
        "members": ["Government of Japan"],
        "made_on": date(2025, 8, 19),
        "topics": ["Trade", "Agriculture"],
        "description": (
            "Meeting President Ruto in Yokohama on the eve of TICAD 9, Prime Minister Ishiba promised "
            "to study Kenya's concerns about market access and to review the tariff and non-tariff "
            "restrictions that keep Kenyan avocados and tea out of Japan. Kenya's exports to Japan "
            "were about $70 million a year against $1 billion of imports."
        ),
        "quote": (
            "In response, Prime Minister Ishiba pledged that his administration would look into market "
            "access issues raised by President Ruto, while non-tariff barriers would be studied and "
            "responded to."
        ),
        "source_url": "https://kahawatungu.com/rutos-busy-schedule-ahead-of-ticad-meeting-in-japan/",
        "source_title": "Kahawa Tungu, 20 August 2025: Ruto's busy schedule ahead of TICAD meeting in Japan",
        "check_every_days": 30,
        "updates": [
            {
                "days_ago": 68,
                "status": "in_progress",
                "progress": 10,
                "note": "Demo entry: Japan's agriculture ministry asked Kenya for pest-risk data on Hass avocados.",
            },
            {
                "days_ago": 33,
                "status": "in_progress",
                "progress": 20,
                "note": "Demo entry: officials from both sides met on phytosanitary requirements for avocados.",
            },
        ],
    },
    {
        "title": "Ease tariff and non-tariff barriers on Kenyan produce",
        "kind": Commitment.Kind.REQUEST,
        "made_by": "William Ruto",
        "counterparts": ["Shigeru Ishiba", "Government of Japan"],
        "made_on": date(2025, 8, 19),
        "topics": ["Trade", "Agriculture"],
        "description": (
            "President Ruto asked Japan to lower the barriers facing Kenyan farm produce, pointing to a "
            "trade balance heavily in Japan's favour despite trade growing by a third in 2024."
        ),
        "quote": (
            "We are appealing to Japan to address tariff and non-tariff barriers so that Kenyan produce "
            "such as avocados and tea can find more access to the Japanese market."
        ),
        "source_url": "https://www.thehourlynewswave.co.ke/post/ruto-s-appeal-to-japan-firms",
        "source_title": "The Hourly News Wave, 20 August 2025: Ruto's Appeal to Japan Firms: Invest in Kenya",
        "check_every_days": 60,
        "updates": [
            {
                "days_ago": 61,
                "status": "in_progress",
                "progress": 15,
                "note": "Demo entry: Kenya's trade ministry sent Tokyo a list of the barriers it wants lifted.",
            },
        ],
    },
    {
        "title": "Examine non-tariff hurdles on African farm exports",
        "kind": Commitment.Kind.REVIEW,
        "made_by": "Government of Japan",
        "counterparts": ["Government of Kenya"],
        "made_on": date(2025, 8, 19),
        "topics": ["Trade", "Agriculture"],
        "description": (
            "Tokyo said it was open to examining the non-tariff barriers raised by Kenya, such as "
            "plant-health rules and inspection procedures, which affect African farm exports beyond "
            "Kenya's."
        ),
        "quote": (
            "Tokyo said it was open to examining the non-tariff barriers raised by Kenya, including "
            "plant-health rules and inspection procedures."
        ),
        "source_url": (
            "https://tengele.com/news/f781d3dd-b151-4264-a99c-b8743cace157/"
            "ruto-advocates-for-increased-trade-as-japan-proposes-african-economic-bloc"
        ),
        "source_title": "Tengele, 2025: Ruto Advocates for Increased Trade as Japan Proposes African Economic Bloc",
        "check_every_days": 60,
        "next_check": 5,
    },
    {
        "title": "Statement of intent on a Kenyan Samurai Bond",
        "kind": Commitment.Kind.INTENT,
        "made_by": "Government of Kenya",
        "counterparts": ["Government of Japan"],
        # A statement both governments signed: each is assessed on it.
        "members": ["Government of Kenya", "Government of Japan"],
        "made_on": date(2025, 8, 19),
        "topics": ["Finance"],
        "description": (
            "Kenya and Japan signed a statement of intent on a yen-denominated Samurai Bond that Kenya "
            "seeks to issue in Japan's financial markets, to widen its sources of financing."
        ),
        "quote": (
            "Kenya and Japan signed a statement of intent on the issuance of a Samurai Bond by Kenya in "
            "Japan's financial markets."
        ),
        "source_url": (
            "https://www.standardmedia.co.ke/business/article/2001527502/"
            "kenya-targets-funds-from-japan-through-samurai-bond-issuance"
        ),
        "source_title": "The Standard, 22 August 2025: Kenya targets funds from Japan through Samurai Bond issuance",
        "check_every_days": 30,
        "updates": [
            {
                "days_ago": 36,
                "status": "in_progress",
                "progress": 15,
                "note": "Demo entry: the National Treasury named the bond in its medium-term debt strategy.",
            },
            {
                "days_ago": 2,
                "status": "in_progress",
                "progress": 30,
                "note": "Demo entry: arrangers shortlisted; issuance timetable not yet public.",
                # Not for the public site: the timetable is confidential.
                "internal": True,
            },
        ],
        # Invented for the demo: two steps done, one overdue, the issue itself to come.
        "milestones": [
            {"title": "Bond named in the medium-term debt strategy", "due_days": -30, "weight": 1, "done_days": 36},
            {"title": "Arrangers shortlisted", "due_days": -10, "weight": 1, "done_days": 2},
            {"title": "Shelf registration filed in Japan", "due_days": -5, "weight": 2},
            {"title": "Samurai Bond issued", "due_days": 120, "weight": 4},
        ],
    },
    {
        "title": "Talks with Toyota on expanding electric vehicles in Kenya",
        # Commercial talks: followed inside, not published.
        "is_public": False,
        "kind": Commitment.Kind.INTENT,
        "made_by": "Government of Kenya",
        "counterparts": ["Toyota"],
        "made_on": date(2025, 8, 19),
        "topics": ["Mobility", "Investment"],
        "description": (
            "President Ruto cited ongoing discussions with Toyota on expanding Kenya's electric "
            "vehicle sector as part of a wider push on e-mobility."
        ),
        "quote": (
            "We are seeking partnerships with Japanese automotive manufacturer Toyota Motor Corporation "
            "in e-mobility to begin the transition from fossil fuels."
        ),
        "source_url": (
            "https://www.county254.news/national-initiatives-in-the-kenyan-47-counties-from-national/"
            "article/1677/kenya-eyes-e-mobility-leap-with-toyota-partnership/"
        ),
        "source_title": "County 254, August 2025: Kenya eyes e-mobility leap with Toyota partnership",
        "check_every_days": 45,
        # 65 days ago + 45: the check was due 20 days ago (overdue, escalated).
        "updates": [
            {
                "days_ago": 65,
                "status": "in_progress",
                "progress": 10,
                "note": "Demo entry: a Toyota delegation visited Nairobi; no investment announced yet.",
            },
        ],
    },
    {
        "title": "Keep financing of the Haiti security mission predictable",
        "is_public": False,
        "kind": Commitment.Kind.REQUEST,
        "made_by": "William Ruto",
        "counterparts": ["Government of Japan"],
        "made_on": date(2025, 8, 19),
        "topics": ["Security", "Finance"],
        "description": (
            "President Ruto thanked Japan for supporting the Kenya-led Multinational Security Support "
            "mission in Haiti and asked that its financing be kept predictable."
        ),
        "quote": (
            "Ruto thanked Japan for its support to the Kenya-led Multinational Security Support mission "
            "in Haiti and called for predictable financing of the mission."
        ),
        "source_url": "https://kahawatungu.com/rutos-busy-schedule-ahead-of-ticad-meeting-in-japan/",
        "source_title": "Kahawa Tungu, 20 August 2025: Ruto's busy schedule ahead of TICAD meeting in Japan",
        "check_every_days": 30,
        # 30 days ago + 30: due for a check today.
        "updates": [
            {
                "days_ago": 30,
                "status": "stalled",
                "progress": 0,
                "note": "Demo entry: no new Japanese contribution to the mission's trust fund announced.",
            },
        ],
    },
    {
        "title": "Invitation to Japanese investors to the 4th Kenya International Investment Conference",
        "kind": Commitment.Kind.REQUEST,
        "made_by": "Government of Kenya",
        "counterparts": ["Government of Japan"],
        "made_on": date(2025, 8, 20),
        "topics": ["Investment"],
        "description": (
            "Kenya invited Japanese companies to the 4th Kenya International Investment Conference in "
            "Nairobi in March 2026 and urged more private investment in its skilled young workforce."
        ),
        "quote": (
            "Let us work together and translate our aligned priorities into fruitful ventures that "
            "transform our economies, create jobs, and lead the way in sustainable development."
        ),
        "source_url": (
            "https://www.the-star.co.ke/news/2025-08-20-ruto-courts-japanese-investors-hails-sh26bn-boost-to-kenya-in-2024"
        ),
        "source_title": "The Star, 20 August 2025: Ruto courts Japanese investors, hails Sh26bn boost to Kenya in 2024",
        "due_on": date(2026, 3, 31),
        "check_every_days": 90,
        "next_check": 12,
    },
    # Before the pledge that renews it: `renews` names a pledge loaded already.
    {
        "title": "Invest US$30 billion of public and private funds in Africa over three years",
        "kind": Commitment.Kind.PROMISE,
        "made_by": "Government of Japan",
        "counterparts": [],
        "event": "TICAD 8",
        "made_on": date(2022, 8, 27),
        "topics": ["Finance", "Investment"],
        "description": (
            "Speaking online at the opening of TICAD 8 in Tunis, Prime Minister Kishida said Japan would "
            "invest US$30 billion in public and private financial contributions over three years, with an "
            "emphasis on investment in people and the quality of growth. The package included co-financing "
            "of up to US$5 billion with the African Development Bank."
        ),
        "quote": (
            "He stated that Japan is going to invest US$ 30 billion as the sum of public and private "
            'financial contribution over the next three years, with an emphasis on "investment in people" '
            'and "quality of growth".'
        ),
        "source_url": "https://www.mofa.go.jp/afr/af2/page1e_000469.html",
        "source_title": (
            "Ministry of Foreign Affairs of Japan, 27 August 2022: TICAD 8 (Day 1: Opening Session and Plenary 1)"
        ),
        "pledged_amount": Decimal("30000000000"),
        "pledged_currency": "USD",
        "check_every_days": 90,
        "next_check": 40,
    },
    {
        "title": "Up to US$5.5 billion of financing for Africa with the African Development Bank",
        "kind": Commitment.Kind.PROMISE,
        "made_by": "Government of Japan",
        "counterparts": [],
        "made_on": date(2025, 8, 20),
        "topics": ["Finance", "Investment"],
        "description": (
            "Opening TICAD 9, Prime Minister Ishiba announced a financing framework of up to US$5.5 billion "
            "with the African Development Bank, with the private-sector investment finance of the Japan "
            "International Cooperation Agency (JICA) as a catalyst. Demo entry: linked as renewing Japan's "
            "TICAD 8 pledge, whose package included co-financing with the same bank; the money lines are "
            "invented for the demo."
        ),
        "quote": (
            "Japan and the African Development Bank (AfDB) have announced a $5.5 billion financing framework "
            "to accelerate sustainable growth and infrastructure development across Africa, leveraging the "
            "Japan International Cooperation Agency's (JICA) private sector investment finance as a catalyst."
        ),
        "source_url": (
            "https://nairametrics.com/2025/08/20/"
            "japan-afdb-launch-5-5-billion-africa-financing-deal-as-tinubu-hails-nigerian-troops/"
        ),
        "source_title": (
            "Nairametrics, 20 August 2025: Japan, AfDB launch $5.5 billion Africa financing deal "
            "as Tinubu hails Nigerian troops"
        ),
        "pledged_amount": Decimal("5500000000"),
        "pledged_currency": "USD",
        "renews": "Invest US$30 billion of public and private funds in Africa over three years",
        "check_every_days": 60,
        "next_check": 25,
        # Pledged, committed in part and disbursed in part; a yen loan stays in yen.
        "money_lines": [
            {
                "days_ago": 75,
                "kind": "committed",
                "amount": "1200000000",
                "currency": "USD",
                "note": "Demo entry: invented for the demo, as if loan agreements had been signed.",
            },
            {
                "days_ago": 30,
                "kind": "disbursed",
                "amount": "350000000",
                "currency": "USD",
                "note": "Demo entry: invented for the demo, as if a first tranche had been paid.",
            },
            {
                "days_ago": 10,
                "kind": "disbursed",
                "amount": "15000000000",
                "currency": "JPY",
                "note": "Demo entry: invented for the demo; a yen loan is shown in yen, never converted.",
            },
        ],
    },
]


# The interim assessment of the pledges Japan and Kenya made for themselves;
# Kenya's requests and its invitation are asks, not pledges, and are left
# out. Published, so that the report has numbers; two cells are left not
# assessed, as the evidence on file does not settle them. Rationales rest on
# the pledges' sources and on the timeline's demo entries, and say so.
CYCLE = {
    "name": "TICAD 9 interim assessment, February 2026",
    "kind": AssessmentCycle.Kind.INTERIM,
    "period_start": EVENT["ends_on"],
    "period_end": date(2026, 2, 28),
}
CYCLE_PLEDGES = [
    {
        "title": "Review Japan's tariff and non-tariff restrictions on Kenyan avocados and tea",
        "made_by": "Shigeru Ishiba",
        "criteria_full": (
            "Japan completes the review and eases at least one tariff or non-tariff restriction on Kenyan "
            "avocados or tea, such as a lower tariff rate or a plant-quarantine approval, in a published "
            "decision of its government."
        ),
        "criteria_partial": (
            "The review is under way: Japanese officials have asked for data, met their Kenyan counterparts "
            "or opened a pest-risk analysis of Kenyan avocados or tea, but no restriction is eased yet."
        ),
        "criteria_none": (
            "No review begun: no request, meeting or analysis on record, and no change to the tariffs or "
            "plant-quarantine rules on Kenyan avocados or tea."
        ),
        "scores": {
            "Government of Japan": (
                0,
                "Demo assessment: the pledge's timeline records Japan's agriculture ministry asking Kenya for "
                "pest-risk data on Hass avocados and officials of both sides meeting on phytosanitary "
                "requirements (demo entries). The review is under way; the evidence on file shows no tariff "
                "or non-tariff restriction on Kenyan avocados or tea eased.",
            ),
        },
    },
    {
        "title": "Examine non-tariff hurdles on African farm exports",
        "made_by": "Government of Japan",
        "criteria_full": (
            "Japan examines the plant-health rules and inspection procedures Kenya raised and announces a "
            "change to them, or a dated plan for one, that applies to African farm exports."
        ),
        "criteria_partial": (
            "Japan has opened a technical consultation with Kenya or African exporters on those rules and "
            "procedures, but announced no change."
        ),
        "criteria_none": "No examination on record: no consultation opened and no rule or procedure reviewed.",
        "scores": {
            "Government of Japan": (
                -1,
                "Demo assessment: nothing on file shows the examination starting. The pledge has no update "
                "since it was recorded, and its one source reports Tokyo's readiness to examine the barriers, "
                "not an examination.",
            ),
        },
    },
    {
        "title": "Statement of intent on a Kenyan Samurai Bond",
        "made_by": "Government of Kenya",
        "criteria_full": (
            "Kenya: a yen-denominated bond is issued in Japan's market within the period. Japan: a public "
            "step that makes the issue possible, such as a guarantee, a regulatory approval or a public "
            "lender's support."
        ),
        "criteria_partial": (
            "Preparation under way: Kenya names the bond in its borrowing plans, appoints arrangers or sets "
            "a timetable; Japan holds working talks on the issue; no bond is issued yet."
        ),
        "criteria_none": "No step beyond the statement of intent signed at TICAD 9.",
        "scores": {
            "Government of Kenya": (
                0,
                "Demo assessment: the pledge's timeline records the National Treasury naming the bond in its "
                "medium-term debt strategy and arrangers being shortlisted (demo entries). No issue is on "
                "file and no timetable is public.",
            ),
            # Japan: not assessed; nothing on file about its part.
        },
    },
    {
        "title": "Talks with Toyota on expanding electric vehicles in Kenya",
        # Commercial talks: followed inside, not published.
        "is_public": False,
        "made_by": "Government of Kenya",
        "criteria_full": (
            "Kenya and Toyota sign an agreement or announce an investment in electric vehicles in Kenya, "
            "such as local assembly, a pilot fleet or charging points."
        ),
        "criteria_partial": "Talks continue, with meetings or visits on record, but nothing is signed or announced.",
        "criteria_none": "No talks on record after TICAD 9.",
        # Not assessed: the check is overdue and the last update predates it.
        "scores": {},
    },
]


class Command(BaseCommand):
    help = "Load the TICAD 9 Kenya-Japan demo pledges, the Analysts and Viewers groups and a demo analyst."

    def add_arguments(self, parser):
        parser.add_argument("--username", default="analyst", help="The demo analyst's username.")
        parser.add_argument(
            "--reset-password",
            action="store_true",
            help="Give the demo analyst a new password (DEMO_PASSWORD or a generated one) even if it exists.",
        )

    @transaction.atomic
    def handle(self, *args, username, reset_password, **options):
        groups = services.roles_ensure()
        analyst, password, action = self._demo_analyst(username, reset_password, groups)

        actors = {}
        for fields in ACTORS:
            actor, _ = Actor.objects.get_or_create(name=fields["name"], defaults=fields)
            actors[actor.name] = actor
        topics = {}
        for name in TOPICS:
            topic, _ = Topic.objects.get_or_create(name=name, defaults={"slug": name.lower()})
            topics[name] = topic
        event, _ = Event.objects.get_or_create(name=EVENT["name"], defaults=EVENT)
        previous_event, _ = Event.objects.get_or_create(name=PREVIOUS_EVENT["name"], defaults=PREVIOUS_EVENT)
        events = {event.name: event, previous_event.name: previous_event}

        created = 0
        for spec in COMMITMENTS:
            if Commitment.objects.filter(title=spec["title"], made_by=actors[spec["made_by"]]).exists():
                continue
            self._create_commitment(
                spec, actors=actors, topics=topics, event=events[spec.get("event", EVENT["name"])], owner=analyst
            )
            created += 1

        self.stdout.write(
            f"Demo data: {created} pledge(s) created, {len(COMMITMENTS) - created} already there; "
            f"{Commitment.objects.count()} pledge(s) in all."
        )
        if AssessmentCycle.objects.filter(name=CYCLE["name"]).exists():
            self.stdout.write(f"Demo assessment {CYCLE['name']!r} already there.")
        else:
            cycle = self._assessment_cycle(actors=actors, event=event, user=analyst)
            report = reverse("tracker:cycle-report", args=[cycle.pk])
            self.stdout.write(f"Demo assessment {cycle.name!r} published; its report is at {report}")
        if password:
            self.stdout.write(
                self.style.SUCCESS(f"Demo analyst {action}: username {username!r}, password {password!r}")
            )
        else:
            self.stdout.write(f"Demo analyst {username!r} exists; its password is unchanged (use --reset-password).")

    def _demo_analyst(self, username, reset_password, groups):
        User = get_user_model()
        analyst, created = User.objects.get_or_create(
            username=username,
            defaults={"first_name": "Demo", "last_name": "Analyst", "email": f"{username}@localhost", "is_staff": True},
        )
        analyst.groups.add(groups[services.ANALYSTS_GROUP])
        if not (created or reset_password):
            return analyst, None, None
        password = os.environ.get("DEMO_PASSWORD") or secrets.token_urlsafe(12)
        analyst.set_password(password)
        analyst.save()
        return analyst, password, "created" if created else "password reset"

    def _assessment_cycle(self, *, actors, event, user):
        """The interim cycle, scored and published, through the services as an analyst would."""
        cycle = assessments.cycle_create(user=user, data={**CYCLE, "event": event})
        specs = {spec["title"]: spec for spec in COMMITMENTS}
        pledges = []
        for entry in CYCLE_PLEDGES:
            commitment = Commitment.objects.filter(title=entry["title"], made_by=actors[entry["made_by"]]).first()
            if commitment is None:  # removed by hand since an earlier run
                continue
            members = [actors[name] for name in specs[entry["title"]].get("members", ())]
            if members and not commitment.members.exists():  # recorded before pledges had members
                services.commitment_update(commitment=commitment, user=user, data={"members": members})
            pledges.append((commitment, entry))
        assessments.cycle_add_commitments(cycle=cycle, commitments=[commitment for commitment, _ in pledges], user=user)
        entries = {entry.commitment_id: entry for entry in cycle.cycle_commitments.select_related("cycle")}
        for commitment, entry in pledges:
            assessments.criteria_set(
                entry=entries[commitment.pk],
                user=user,
                data={name: entry[name] for name in assessments.CRITERIA_FIELDS},
            )
            for member, (score, rationale) in entry["scores"].items():
                assessments.score_set(
                    cycle=cycle,
                    commitment=commitment,
                    member=actors[member],
                    score=score,
                    rationale=rationale,
                    evidence_urls=[commitment.source_url],
                    user=user,
                )
        assessments.cycle_move(cycle=cycle, state=AssessmentCycle.State.REVIEW, user=user)
        return assessments.cycle_move(cycle=cycle, state=AssessmentCycle.State.PUBLISHED, user=user)

    def _create_commitment(self, spec, *, actors, topics, event, owner):
        today = timezone.localdate()
        data = {
            "title": spec["title"],
            "kind": spec["kind"],
            "made_by": actors[spec["made_by"]],
            "counterparts": [actors[name] for name in spec["counterparts"]],
            "members": [actors[name] for name in spec.get("members", ())],
            "event": event,
            "made_on": spec["made_on"],
            "topics": [topics[name] for name in spec["topics"]],
            "description": spec["description"],
            "quote": spec["quote"],
            "source_url": spec["source_url"],
            "source_title": spec["source_title"],
            "due_on": spec.get("due_on"),
            "check_every_days": spec["check_every_days"],
            "next_check_on": today + timedelta(days=spec.get("next_check", spec["check_every_days"])),
            "owner": owner,
            "pledged_amount": spec.get("pledged_amount"),
            "pledged_currency": spec.get("pledged_currency", ""),
            # The demo's public site shows most pledges, and their notes unless marked internal.
            "is_public": spec.get("is_public", True),
        }
        if "renews" in spec:
            # None when the earlier pledge was removed by hand since an earlier run.
            data["renews"] = Commitment.objects.filter(title=spec["renews"], made_by=actors[spec["made_by"]]).first()
        commitment = services.commitment_create(user=owner, data=data)
        entered_on = min(spec["made_on"] + timedelta(days=1), today)
        _backdate(commitment, entered_on)
        for line in spec.get("money_lines", []):
            money.money_line_add(
                commitment=commitment,
                user=owner,
                data={
                    "kind": line["kind"],
                    "amount": line["amount"],
                    "currency": line["currency"],
                    "on": max(today - timedelta(days=line["days_ago"]), spec["made_on"]),
                    "note": line["note"],
                },
            )
        for step in spec.get("milestones", []):
            done_days = step.get("done_days")
            milestones.milestone_add(
                commitment=commitment,
                user=owner,
                data={
                    "title": step["title"],
                    "due_on": max(today + timedelta(days=step["due_days"]), spec["made_on"]),
                    "weight": step["weight"],
                    "done_on": max(today - timedelta(days=done_days), spec["made_on"]) if done_days else None,
                },
            )
        for update in spec.get("updates", []):
            recorded_on = max(today - timedelta(days=update["days_ago"]), entered_on)
            progress_update = services.progress_record(
                commitment=commitment,
                author=owner,
                status=update["status"],
                progress=update["progress"],
                note=update["note"],
                note_is_internal=update.get("internal", False),
                recorded_on=recorded_on,
            )
            _backdate(commitment, recorded_on, progress_update=progress_update)
        return commitment


def _backdate(commitment, day, *, progress_update=None):
    """Dates the rows just written on `day`, as if the analyst had entered them then.

    The board's "Recently updated" and the pledge's timeline read these
    timestamps; left at the moment of loading, every demo pledge would look
    updated today. QuerySet.update() leaves auto_now alone.
    """
    at = timezone.make_aware(datetime.combine(day, time(10, 0)))
    if progress_update is None:
        Commitment.objects.filter(pk=commitment.pk).update(created_at=at, updated_at=at)
    else:
        ProgressUpdate.objects.filter(pk=progress_update.pk).update(created_at=at)
        Commitment.objects.filter(pk=commitment.pk).update(updated_at=at)
    # Records written by this step are the only ones still later than `at`.
    commitment.history.filter(history_date__gt=at).update(history_date=at)
