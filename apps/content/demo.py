"""Demo content for `seed_demo`: a few assets and Help center articles. Idempotent."""

from __future__ import annotations

from collections.abc import Sequence
from io import BytesIO
from typing import TYPE_CHECKING, Any

from django.core.files.uploadedfile import SimpleUploadedFile

from apps.content.models import (
    Article,
    ArticleCategory,
    Asset,
    AssetCategory,
    Audience,
)
from apps.content.services import ASSET_UPLOAD_POLICY, article_save, asset_create
from apps.core.uploads import CheckedUpload, validate_upload
from apps.partners.models import PartnerType, Tier

if TYPE_CHECKING:
    from apps.accounts.models import User
    from apps.tenancy.models import Tenant


def tiny_pdf(title: str, lines: Sequence[str] = ()) -> bytes:
    """A small, valid one-page PDF (Helvetica text), made in code so no binary is committed."""

    def esc(text: str) -> str:
        return text.replace("\\", "\\\\").replace("(", "\\(").replace(")", "\\)")

    ops = ["BT", "/F1 24 Tf", "72 720 Td", f"({esc(title)}) Tj", "/F1 12 Tf", "0 -36 Td"]
    for line in lines:
        ops += [f"({esc(line)}) Tj", "0 -18 Td"]
    ops.append("ET")
    stream = "\n".join(ops).encode("latin-1", "replace")
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] "
        b"/Resources << /Font << /F1 4 0 R >> >> /Contents 5 0 R >>",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
        b"<< /Length %d >>\nstream\n" % len(stream) + stream + b"\nendstream",
    ]
    out = BytesIO()
    out.write(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n")
    offsets: list[int] = []
    for number, body in enumerate(objects, 1):
        offsets.append(out.tell())
        out.write(b"%d 0 obj\n" % number + body + b"\nendobj\n")
    xref = out.tell()
    out.write(b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1))
    for offset in offsets:
        out.write(b"%010d 00000 n \n" % offset)
    out.write(
        b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, xref)
    )
    return out.getvalue()


def _pdf_upload(filename: str, title: str, lines: list[str]) -> CheckedUpload:
    return validate_upload(
        SimpleUploadedFile(filename, tiny_pdf(title, lines), "application/pdf"),
        ASSET_UPLOAD_POLICY,
    )


ARTICLES = [
    (
        "Getting started with the partner portal",
        ArticleCategory.GETTING_STARTED,
        """Welcome to the partner portal! This is where you complete your onboarding, find sales
material and get answers.

## Your first day

1. **Check your company profile** on the home page: partner type, tier and your channel manager.
2. **Invite your team.** Partner admins can add colleagues, so everyone selling works from the
   same material.
3. **Open the Assets library** and download the program overview.

## Where to find things

- **Assets** holds price lists, pitch decks, logos and product videos. You only see what your
  partner type and tier give you access to.
- **Help center** answers most questions. Use the search box: it understands plain words such
  as *deal registration* or *logo*.
- **Notifications** tell you when something needs your attention.

> Stuck? Your channel manager is one email away: their address is on your home page.
""",
    ),
    (
        "How deal registration works",
        ArticleCategory.DEALS,
        """Registering a deal protects your opportunity and unlocks the registration discount.

## When to register

Register as soon as you have a **qualified opportunity**: a named customer, a known need and a
timeline within the next six months.

## What you need

| Field | Example |
| --- | --- |
| Customer | Contoso Ltd |
| Estimated value | 25,000 USD |
| Expected close | end of next quarter |

## What happens next

1. Your channel manager reviews the registration within **two business days**.
2. Once approved, the deal is yours for **90 days**, and you can extend it once.
3. If another partner registers the same customer, the first approved registration wins.

Questions about a conflict? Reply to the approval email and your channel manager will help.
""",
    ),
    (
        "Brand guidelines for partners",
        ArticleCategory.MARKETING,
        """Use our brand consistently and customers recognise the partnership at a glance.

## Logos

- Download the official logos from the **Partner brand kit** in the Assets library.
- Keep clear space around the logo equal to the height of the letter *A*.
- Never stretch, recolour or add effects to the logo.

## Naming

Write **Acme Cloud** in full the first time, then *Acme* is fine. Describe yourself as an
*Acme Cloud Partner* (or *Gold Partner* and so on, matching your tier).

## Co-branded material

Co-branded campaigns are welcome. Send the draft to your channel manager before it goes out:
approval usually takes a day.
""",
    ),
    (
        "Requesting market development funds (MDF)",
        ArticleCategory.PROGRAM,
        """Silver partners and above can request **market development funds** for campaigns that
generate pipeline.

## Eligible activities

- Webinars and events with a clear audience
- Digital campaigns with measurable leads
- Co-branded content

## How to request

1. Describe the activity, its budget and the pipeline you expect.
2. Your channel manager approves or asks for changes.
3. After the activity, send proof of execution and the lead list to be reimbursed.

Funds are reimbursed within 30 days of the claim.
""",
    ),
]


def content_seed_demo(*, tenant: Tenant, actor: User | None) -> None:
    """Demo assets and articles for a tenant; skips what exists (by title / slug)."""
    existing = set(Asset.objects.filter(tenant=tenant).values_list("title", flat=True))
    types = {t.name: t for t in PartnerType.objects.filter(tenant=tenant)}
    assets: list[dict[str, Any]] = [
        {
            "title": "Partner program overview",
            "category": AssetCategory.SALES,
            "description": "Everything the program offers, by tier: benefits, discounts, "
            "certification paths and the people to talk to.",
            "tags": ["program", "overview"],
            "upload": lambda: _pdf_upload(
                "partner-program-overview.pdf",
                "Partner program overview",
                [
                    "Tiers: Registered, Silver, Gold, Platinum.",
                    "Benefits grow with certifications and registered pipeline.",
                    "Questions? Ask your channel manager.",
                ],
            ),
        },
        {
            "title": "Partner brand kit",
            "category": AssetCategory.BRAND,
            "description": "Logos, colours and templates for co-branded material.",
            "tags": ["logo", "brand"],
            "url": "https://brand.acme.example/partner-kit",
        },
        {
            "title": "Price list for Gold and Platinum partners",
            "category": AssetCategory.PRICING,
            "description": "Current list prices and the partner discount for each product line.",
            "tags": ["pricing"],
            "audience": Audience.SELECTED,
            "tiers": [Tier.GOLD, Tier.PLATINUM],
            "upload": lambda: _pdf_upload(
                "price-list-gold-platinum.pdf",
                "Price list: Gold and Platinum",
                ["Acme Cloud Compute: 18% partner discount.", "Acme Cloud Storage: 22%."],
            ),
        },
        {
            "title": "Managed services playbook",
            "category": AssetCategory.TRAINING,
            "description": "How to package Acme Cloud into a managed service, with pricing models.",
            "tags": ["msp", "playbook"],
            "audience": Audience.SELECTED,
            "partner_types": [types["Managed Service Provider"]]
            if "Managed Service Provider" in types
            else [],
            "upload": lambda: _pdf_upload(
                "managed-services-playbook.pdf",
                "Managed services playbook",
                ["Packaging, pricing and support models for MSPs."],
            ),
        },
        {
            "title": "Product demo video",
            "category": AssetCategory.TRAINING,
            "description": "A 12-minute walkthrough of the platform for your first customer calls.",
            "tags": ["video", "demo"],
            "url": "https://video.acme.example/product-demo",
        },
    ]
    for spec in assets:
        if spec["title"] in existing:
            continue
        if spec.get("audience") == Audience.SELECTED and not (
            spec.get("partner_types") or spec.get("tiers")
        ):
            continue
        make_upload = spec.pop("upload", None)
        asset_create(
            tenant=tenant,
            actor=actor,
            upload=make_upload() if make_upload else None,
            **spec,
        )
    slugs = set(Article.objects.filter(tenant=tenant).values_list("title", flat=True))
    for title, category, body in ARTICLES:
        if title in slugs:
            continue
        article_save(
            tenant=tenant,
            actor=actor,
            title=title,
            category=category,
            body_markdown=body,
            publish=True,
        )
