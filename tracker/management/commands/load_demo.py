"""The TICAD 9 Kenya-Japan pledges, as a first look at the tracker.

Idempotent: every record is looked up by its natural key first, so a second
run changes no count. Check dates are set relative to today, so that the
board always shows something due, something overdue and something updated.
"""

import os
import secrets
from datetime import date, timedelta

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand
from django.db import transaction
from django.utils import timezone

from tracker import services
from tracker.models import Actor, Commitment, Event, Topic

SOURCE_TITLE = "Capital News, 20 August 2025: Ruto presses Japan to ease barriers on Kenyan exports"

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

# Each pledge: its fields, then the follow-up state to reach. `next_check`
# is days from today (negative: overdue); `update` is recorded that many
# days ago with the status and progress given.
COMMITMENTS = [
    {
        "title": "Review Japan's tariff and non-tariff restrictions on Kenyan avocados and tea",
        "kind": Commitment.Kind.REVIEW,
        "made_by": "Shigeru Ishiba",
        "counterparts": ["William Ruto", "Government of Kenya"],
        "made_on": date(2025, 8, 19),
        "topics": ["Trade", "Agriculture"],
        "description": (
            "Meeting President Ruto in Yokohama on the eve of TICAD 9, Prime Minister Ishiba promised "
            "to study Kenya's concerns about market access and to review the tariff and non-tariff "
            "restrictions that keep Kenyan avocados and tea out of Japan. Kenya's exports to Japan "
            "were about $70 million a year against $1 billion of imports."
        ),
        "quote": "",
        "check_every_days": 30,
        "update": {
            "days_ago": 40,
            "status": "in_progress",
            "progress": 20,
            "note": "Demo entry: officials from both sides met on phytosanitary requirements for avocados.",
        },
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
        # The one verbatim quote in the source.
        "quote": (
            "We need to address tariff and non-tariff barriers so that Kenyan produce such as avocados "
            "and tea can access the Japanese market."
        ),
        "check_every_days": 60,
        "next_check": 20,
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
        "quote": "",
        "check_every_days": 60,
        "next_check": 5,
    },
    {
        "title": "Statement of intent on a Kenyan Samurai Bond",
        "kind": Commitment.Kind.INTENT,
        "made_by": "Government of Kenya",
        "counterparts": ["Government of Japan"],
        "made_on": date(2025, 8, 19),
        "topics": ["Finance"],
        "description": (
            "Kenya and Japan signed a statement of intent on a yen-denominated Samurai Bond that Kenya "
            "seeks to issue in Japan's financial markets, to widen its sources of financing."
        ),
        "quote": "",
        "check_every_days": 30,
        "update": {
            "days_ago": 2,
            "status": "in_progress",
            "progress": 30,
            "note": "Demo entry: arrangers shortlisted; issuance timetable not yet public.",
        },
    },
    {
        "title": "Talks with Toyota on expanding electric vehicles in Kenya",
        "kind": Commitment.Kind.INTENT,
        "made_by": "Government of Kenya",
        "counterparts": ["Toyota"],
        "made_on": date(2025, 8, 19),
        "topics": ["Mobility", "Investment"],
        "description": (
            "President Ruto cited ongoing discussions with Toyota on expanding Kenya's electric "
            "vehicle sector as part of a wider push on e-mobility."
        ),
        "quote": "",
        "check_every_days": 45,
        "next_check": -20,
    },
    {
        "title": "Keep financing of the Haiti security mission predictable",
        "kind": Commitment.Kind.REQUEST,
        "made_by": "William Ruto",
        "counterparts": ["Government of Japan"],
        "made_on": date(2025, 8, 19),
        "topics": ["Security", "Finance"],
        "description": (
            "President Ruto thanked Japan for supporting the Kenya-led Multinational Security Support "
            "mission in Haiti and asked that its financing be kept predictable."
        ),
        "quote": "",
        "check_every_days": 30,
        "next_check": 0,
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
        "quote": "",
        "due_on": date(2026, 3, 31),
        "check_every_days": 90,
        "next_check": 12,
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
        analyst, password = self._demo_analyst(username, reset_password, groups)

        actors = {}
        for fields in ACTORS:
            actor, _ = Actor.objects.get_or_create(name=fields["name"], defaults=fields)
            actors[actor.name] = actor
        topics = {}
        for name in TOPICS:
            topic, _ = Topic.objects.get_or_create(name=name, defaults={"slug": name.lower()})
            topics[name] = topic
        event, _ = Event.objects.get_or_create(name=EVENT["name"], defaults=EVENT)

        created = 0
        for spec in COMMITMENTS:
            if Commitment.objects.filter(title=spec["title"], made_by=actors[spec["made_by"]]).exists():
                continue
            self._create_commitment(spec, actors=actors, topics=topics, event=event, owner=analyst)
            created += 1

        self.stdout.write(
            f"Demo data: {created} pledge(s) created, {len(COMMITMENTS) - created} already there; "
            f"{Commitment.objects.count()} pledge(s) in all."
        )
        if password:
            self.stdout.write(self.style.SUCCESS(f"Demo analyst: username {username!r}, password {password!r}"))
        else:
            self.stdout.write(f"Demo analyst {username!r} exists; its password is unchanged (use --reset-password).")

    def _demo_analyst(self, username, reset_password, groups):
        User = get_user_model()
        analyst, created = User.objects.get_or_create(
            username=username,
            defaults={"first_name": "Demo", "last_name": "Analyst", "email": f"{username}@localhost", "is_staff": True},
        )
        analyst.groups.add(groups[services.ANALYSTS_GROUP])
        password = None
        if created or reset_password:
            password = os.environ.get("DEMO_PASSWORD") or secrets.token_urlsafe(12)
            analyst.set_password(password)
            analyst.save()
        return analyst, password

    def _create_commitment(self, spec, *, actors, topics, event, owner):
        today = timezone.localdate()
        data = {
            "title": spec["title"],
            "kind": spec["kind"],
            "made_by": actors[spec["made_by"]],
            "counterparts": [actors[name] for name in spec["counterparts"]],
            "event": event,
            "made_on": spec["made_on"],
            "topics": [topics[name] for name in spec["topics"]],
            "description": spec["description"],
            "quote": spec["quote"],
            "source_title": SOURCE_TITLE,
            "due_on": spec.get("due_on"),
            "check_every_days": spec["check_every_days"],
            "next_check_on": today + timedelta(days=spec.get("next_check", spec["check_every_days"])),
            "owner": owner,
        }
        commitment = services.commitment_create(user=owner, data=data)
        update = spec.get("update")
        if update:
            services.progress_record(
                commitment=commitment,
                author=owner,
                status=update["status"],
                progress=update["progress"],
                note=update["note"],
                recorded_on=today - timedelta(days=update["days_ago"]),
            )
        return commitment
