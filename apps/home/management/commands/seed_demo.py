"""Load the demo programs. Idempotent: a second run changes nothing."""

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django_scopes import scope, scopes_disabled

from apps.home.services import program_create, staff_member_add
from apps.partners.models import PartnerAccount, PartnerType, Region, Tier
from apps.partners.services import partner_account_create, partner_user_add
from apps.tenancy.models import Role, Tenant

PASSWORD = "onramp-demo"

# (company, type, tier, country, region, domain) for a believable Partner Explorer.
ACME_PARTNERS = [
    (
        "Northwind Solutions",
        "Reseller / VAR",
        Tier.GOLD,
        "US",
        Region.NORTH_AMERICA,
        "northwind.test",
    ),
    (
        "Contoso Managed IT",
        "Managed Service Provider",
        Tier.SILVER,
        "GB",
        Region.EMEA,
        "contoso.test",
    ),
    (
        "Fabrikam Integrators",
        "Systems Integrator",
        Tier.PLATINUM,
        "DE",
        Region.EMEA,
        "fabrikam.test",
    ),
    ("Tailspin Distribution", "Distributor", Tier.GOLD, "NL", Region.EMEA, "tailspin.test"),
    (
        "Adventure Works Referrals",
        "Referral / Agent",
        Tier.REGISTERED,
        "CA",
        Region.NORTH_AMERICA,
        "adventureworks.test",
    ),
    (
        "Proseware Cloud",
        "Technology / Alliance",
        Tier.SILVER,
        "US",
        Region.NORTH_AMERICA,
        "proseware.test",
    ),
    (
        "Litware Networks",
        "Reseller / VAR",
        Tier.REGISTERED,
        "BR",
        Region.LATIN_AMERICA,
        "litware.test",
    ),
    (
        "Woodgrove Services",
        "Managed Service Provider",
        Tier.GOLD,
        "AU",
        Region.APAC,
        "woodgrove.test",
    ),
    ("Lucerne Consulting", "Systems Integrator", Tier.SILVER, "CH", Region.EMEA, "lucerne.test"),
    ("Wingtip Partners", "Reseller / VAR", Tier.SILVER, "SG", Region.APAC, "wingtip.test"),
    (
        "Blue Yonder Advisory",
        "Referral / Agent",
        Tier.REGISTERED,
        "MX",
        Region.LATIN_AMERICA,
        "blueyonder.test",
    ),
    ("Coho Data Systems", "Technology / Alliance", Tier.GOLD, "JP", Region.APAC, "coho.test"),
]


class Command(BaseCommand):
    help = "Load the demo programs acme and globex (development only)."

    def handle(self, *args, **options):
        if not settings.DEBUG:
            raise CommandError("seed_demo only runs with DEBUG on: it creates known passwords.")
        with transaction.atomic():
            acme = self._program("acme", "Acme Cloud Partner Program", "acme.localhost", "#4f46e5")
            globex = self._program(
                "globex", "Globex Partner Network", "globex.localhost", "#0f766e"
            )
            with scope(tenant=acme):
                self._acme(acme)
                self._acme_content(acme)
                self._acme_onboarding(acme)
                self._acme_applications(acme)
                self._acme_milestones(acme)
            with scope(tenant=globex):
                self._milestone_template(globex)
                staff_member_add(
                    tenant=globex,
                    actor=None,
                    email="admin@globex.test",
                    role=Role.PROGRAM_ADMIN,
                    first_name="Grace",
                    last_name="Hopper",
                    password=PASSWORD,
                )
        self.stdout.write(self.style.SUCCESS("Demo programs acme and globex are ready."))

    def _program(self, slug, name, host, colour) -> Tenant:
        with scopes_disabled():
            tenant = Tenant.objects.filter(slug=slug).first()
        if tenant is None:
            tenant = program_create(
                actor=None,
                slug=slug,
                name=name,
                hostnames=[host],
                brand_color=colour,
                support_email=f"partners@{slug}.test",
            )
        return tenant

    def _acme(self, acme: Tenant) -> None:
        admin = staff_member_add(
            tenant=acme,
            actor=None,
            email="admin@acme.test",
            role=Role.PROGRAM_ADMIN,
            first_name="Ada",
            last_name="Admin",
            password=PASSWORD,
        ).user
        cam = staff_member_add(
            tenant=acme,
            actor=admin,
            email="cam@acme.test",
            role=Role.CHANNEL_MANAGER,
            first_name="Casey",
            last_name="Manager",
            password=PASSWORD,
        ).user
        types = {t.name: t for t in PartnerType.objects.filter(tenant=acme)}
        existing = set(PartnerAccount.objects.filter(tenant=acme).values_list("name", flat=True))
        for i, (name, type_name, tier, country, region, domain) in enumerate(ACME_PARTNERS):
            if name in existing:
                continue
            partner_account_create(
                tenant=acme,
                actor=admin,
                name=name,
                partner_type=types[type_name],
                domains=[domain],
                tier=tier,
                country=country,
                region=region,
                cam=(cam if i % 3 != 2 else admin),
                website=f"https://www.{domain}",
            )
        northwind = PartnerAccount.objects.get(tenant=acme, name="Northwind Solutions")
        partner_user_add(
            tenant=acme,
            actor=cam,
            account=northwind,
            email="partner@northwind.test",
            role=Role.PARTNER_ADMIN,
            first_name="Nina",
            last_name="Northwind",
            password=PASSWORD,
        )

    def _acme_content(self, acme: Tenant) -> None:
        """Assets (a generated PDF, links) and Help center articles (apps/content/demo.py)."""
        from apps.content.demo import content_seed_demo

        cam = get_user_model().objects.get(email="cam@acme.test")
        content_seed_demo(tenant=acme, actor=cam)

    def _acme_onboarding(self, acme: Tenant) -> None:
        """The "Reseller onboarding" pipeline, with Northwind enrolled at its first stage."""
        from apps.onboarding.models import ActionType, Enrollment, Pipeline
        from apps.onboarding.services import partner_enroll
        from apps.onboarding.services.pipelines import (
            action_create,
            pipeline_assign_types,
            pipeline_create,
            stage_create,
        )

        admin = get_user_model().objects.get(email="admin@acme.test")
        pipeline = Pipeline.objects.filter(tenant=acme, name="Reseller onboarding").first()
        if pipeline is None:
            pipeline = pipeline_create(
                tenant=acme,
                actor=admin,
                name="Reseller onboarding",
                description="From signed agreements to the first registered deal.",
            )
            pipeline_assign_types(
                tenant=acme,
                actor=admin,
                pipeline=pipeline,
                partner_types=[PartnerType.objects.get(tenant=acme, name="Reseller / VAR")],
            )
            asset, article, deal_article = self._demo_content(acme)
            welcome = stage_create(
                tenant=acme,
                actor=admin,
                pipeline=pipeline,
                name="Welcome & agreements",
                description="Get to know the program and sign the mutual NDA.",
            )
            if asset is not None:
                action_create(
                    tenant=acme,
                    actor=admin,
                    stage=welcome,
                    type=ActionType.VIEW_ASSET,
                    title="Read the partner program guide",
                    asset=asset,
                    instructions="Everything about tiers, margins and support in one document.",
                )
            if article is not None:
                action_create(
                    tenant=acme,
                    actor=admin,
                    stage=welcome,
                    type=ActionType.READ_ARTICLE,
                    title="Take the portal tour",
                    article=article,
                )
            action_create(
                tenant=acme,
                actor=admin,
                stage=welcome,
                type=ActionType.UPLOAD_DOCUMENT,
                title="Upload the signed NDA",
                requires_approval=True,
                upload_types=["pdf"],
                upload_max_files=2,
                instructions="Sign the NDA you received by email and upload it as a PDF.",
            )
            profile = stage_create(
                tenant=acme,
                actor=admin,
                pipeline=pipeline,
                name="Company profile",
                description="The details we need for the reseller agreement.",
            )
            action_create(
                tenant=acme,
                actor=admin,
                stage=profile,
                type=ActionType.PROVIDE_INFORMATION,
                title="Company legal details",
                requires_approval=True,
                form_fields=[
                    {"label": "Registered company name", "kind": "text", "required": True},
                    {"label": "VAT / tax number", "kind": "text", "required": True},
                    {"label": "Billing email", "kind": "email", "required": True},
                    {"label": "Website", "kind": "url"},
                    {"label": "Number of sales reps", "kind": "number"},
                    {
                        "label": "Primary market",
                        "kind": "choice",
                        "choices": ["North America", "Latin America", "EMEA", "Asia Pacific"],
                    },
                    {"label": "I accept the reseller terms", "kind": "checkbox", "required": True},
                ],
            )
            action_create(
                tenant=acme,
                actor=admin,
                stage=profile,
                type=ActionType.UPLOAD_DOCUMENT,
                title="Upload your logo",
                upload_types=["png", "jpeg"],
                instructions="For co-branded material and the partner locator.",
            )
            stage_create(
                tenant=acme,
                actor=admin,
                pipeline=pipeline,
                name="Kick-off call",
                description="Your channel manager walks you through the first 90 days.",
            )
            enablement = stage_create(
                tenant=acme,
                actor=admin,
                pipeline=pipeline,
                name="Sales enablement",
            )
            if deal_article is not None:
                action_create(
                    tenant=acme,
                    actor=admin,
                    stage=enablement,
                    type=ActionType.READ_ARTICLE,
                    title="Learn how deal registration works",
                    article=deal_article,
                )
            action_create(
                tenant=acme,
                actor=admin,
                stage=enablement,
                type=ActionType.PROVIDE_INFORMATION,
                title="First 90-day sales plan",
                form_fields=[
                    {"label": "Target date for the first deal", "kind": "date", "required": True},
                    {"label": "Expected first-deal size (USD)", "kind": "number"},
                    {"label": "Accounts you will approach", "kind": "long_text"},
                ],
            )
        northwind = PartnerAccount.objects.get(tenant=acme, name="Northwind Solutions")
        if not Enrollment.objects.filter(tenant=acme, partner_account=northwind).exists():
            partner_enroll(tenant=acme, actor=admin, account=northwind, pipeline=pipeline)

    def _acme_applications(self, acme: Tenant) -> None:
        """Application settings and a Pending Partners queue with one of each kind."""
        from apps.applications.models import PUBLIC_MAIL_DOMAINS, Application, Invitation
        from apps.applications.services import (
            Applicant,
            application_reject,
            application_submit,
            invitations_send,
            program_settings_update,
        )

        admin = get_user_model().objects.get(email="admin@acme.test")
        cam = get_user_model().objects.get(email="cam@acme.test")
        program_settings_update(
            tenant=acme,
            actor=admin,
            domain_matching=True,
            questions=[
                {
                    "key": "sales-reps",
                    "label": "How many sales reps do you have?",
                    "kind": "number",
                    "required": False,
                    "choices": [],
                    "help": "",
                },
                {
                    "key": "markets",
                    "label": "Main market",
                    "kind": "choice",
                    "required": True,
                    "choices": ["Small business", "Mid-market", "Enterprise", "Public sector"],
                    "help": "",
                },
            ],
        )
        types = {t.name: t for t in PartnerType.objects.filter(tenant=acme)}
        # (email, first, last, company, type, country, confirmed, message)
        people = [
            (
                "liam.chen@northwind.test",
                "Liam",
                "Chen",
                "Northwind Solutions",
                "Reseller / VAR",
                "US",
                True,
                "I run our new Seattle office and need portal access.",
            ),
            (
                "sofia.rossi@gmail.com",
                "Sofia",
                "Rossi",
                "Rossi IT Consulting",
                "Referral / Agent",
                "IT",
                True,
                "Independent consultant for mid-size manufacturers.",
            ),
            (
                "ana.lima@lumen-networks.test",
                "Ana",
                "Lima",
                "Lumen Networks",
                "Reseller / VAR",
                "BR",
                True,
                "We resell networking and cloud in São Paulo.",
            ),
            (
                "tom@quickbyte.test",
                "Tom",
                "Berg",
                "QuickByte",
                "Managed Service Provider",
                "SE",
                False,
                "",
            ),
            (
                "max.profit.leads@yahoo.com",
                "Max",
                "Profit",
                "Cheap Leads Ltd",
                "Referral / Agent",
                "US",
                True,
                "Buy 10,000 leads today!!!",
            ),
        ]
        for email, first, last, company, type_name, country, confirmed, message in people:
            if Application.objects.filter(tenant=acme, email=email).exists():
                continue
            submission = application_submit(
                tenant=acme,
                applicant=Applicant(
                    email=email,
                    first_name=first,
                    last_name=last,
                    company=company,
                    partner_type=types[type_name],
                    country=country,
                    website=(
                        ""
                        if email.split("@")[1] in PUBLIC_MAIL_DOMAINS
                        else f"https://www.{email.split('@')[1]}"
                    ),
                    message=message,
                    answers=[
                        {
                            "key": "sales-reps",
                            "label": "How many sales reps do you have?",
                            "value": "4",
                        },
                        {"key": "markets", "label": "Main market", "value": "Mid-market"},
                    ],
                ),
                email_verified=confirmed,
            )
            if company == "Cheap Leads Ltd":
                application_reject(
                    tenant=acme,
                    actor=cam,
                    application_id=submission.application.pk,
                    reason="Lead reseller, not a fit for the program.",
                )
        if not Invitation.objects.filter(tenant=acme, email="ops@bluefin.test").exists():
            invitations_send(
                tenant=acme,
                actor=cam,
                emails=["ops@bluefin.test"],
                partner_type=types["Managed Service Provider"],
                note="Great to meet you at Partner Summit. Here is the link we talked about.",
            )

    @staticmethod
    def _demo_content(acme: Tenant):
        """The demo asset and articles the pipeline points at, when the library has them."""
        try:
            from apps.content.models import Article, Asset
        except ImportError:  # pragma: no cover - content app not installed
            return None, None, None
        asset = Asset.objects.filter(tenant=acme).order_by("id").first()
        articles = list(Article.objects.filter(tenant=acme).order_by("id"))
        deal = next((a for a in articles if "deal" in a.title.lower()), None)
        first = next((a for a in articles if a is not deal), None)
        return asset, first, deal

    @staticmethod
    def _milestone_template(tenant: Tenant) -> None:
        """Programs created before milestones existed get the seed-004 template too."""
        from apps.milestones.services import milestone_template_install

        milestone_template_install(tenant=tenant)

    def _acme_milestones(self, acme: Tenant) -> None:
        """Contoso Managed IT (MSP) enrolled 40 days ago with part of its milestones done, and
        Adventure Works Referrals (30-day window) 45 days ago with none: after the first
        sweep the CAM has overdue alerts, and Adventure Works is a dark partner."""
        from datetime import timedelta

        from django.utils import timezone

        from apps.milestones.models import PartnerTrack
        from apps.milestones.services import milestone_event_record, partner_track_start

        self._milestone_template(acme)
        cam = get_user_model().objects.get(email="cam@acme.test")
        now = timezone.now()
        contoso = PartnerAccount.objects.get(tenant=acme, name="Contoso Managed IT")
        if not PartnerTrack.objects.filter(tenant=acme, account=contoso).exists():
            enrolled = now - timedelta(days=40)
            partner_track_start(tenant=acme, actor=cam, account=contoso, enrolled_at=enrolled)
            course = {"course": "Acme Cloud Deployment Specialist"}
            for day, type_, source, reference, data in [
                (2, "profile.completed", "console", "", {"label": "Partner profile completed"}),
                (18, "certification.attempted", "api", "technical", course),
                (19, "certification.failed", "api", "technical", {**course, "score": 64}),
                (
                    33,
                    "mdf.requested",
                    "api",
                    "MDF-2207",
                    {"campaign": "Managed backup webinar", "amount": 5000, "currency": "USD"},
                ),
                (
                    38,
                    "deal.registered",
                    "api",
                    "DR-1042",
                    {"customer": "Initech", "amount": 48000, "currency": "USD"},
                ),
            ]:
                milestone_event_record(
                    tenant=acme,
                    account_id=contoso.pk,
                    type=type_,
                    source=source,
                    actor=cam if source == "console" else None,
                    occurred_at=enrolled + timedelta(days=day, hours=3),
                    reference=reference,
                    data=data,
                )
        adventure = PartnerAccount.objects.get(tenant=acme, name="Adventure Works Referrals")
        if not PartnerTrack.objects.filter(tenant=acme, account=adventure).exists():
            partner_track_start(
                tenant=acme, actor=cam, account=adventure, enrolled_at=now - timedelta(days=45)
            )
