import os
from pathlib import Path

import pytest
from django_scopes import scope

from apps.onboarding.demo import BuiltPipeline, StageSpec, pipeline_build
from apps.partners.models import PartnerType

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "screenshots"
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


@pytest.fixture(scope="session")
def browser():
    # Playwright's sync API runs an event loop in this thread; the ORM calls made by test
    # set-up are still synchronous and safe here.
    os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def page(browser):
    context = browser.new_context(viewport={"width": 1366, "height": 860})
    page = context.new_page()
    page.set_default_timeout(15000)
    yield page
    context.close()


@pytest.fixture
def screenshot(page):
    ARTIFACTS.mkdir(parents=True, exist_ok=True)

    def shoot(name: str, target=None):
        (target or page).screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)

    return shoot


@pytest.fixture
def site(live_server):
    """Base URL of the live server for a tenant host (Chromium resolves *.localhost)."""
    port = live_server.url.rsplit(":", 1)[1]

    def url(host: str, path: str = "/") -> str:
        return f"http://{host}:{port}{path}"

    return url


@pytest.fixture
def pipeline_for():
    """Build a pipeline with the builder seed_demo and bench/ use (apps/onboarding/demo.py):
    `pipeline_for(program, [StageSpec(...), ...])` makes the program admin's "Reseller
    onboarding", the default of Reseller / VAR."""

    def build(
        program, stages: list[StageSpec], *, name: str = "Reseller onboarding"
    ) -> BuiltPipeline:
        tenant = program.tenant
        with scope(tenant=tenant):
            return pipeline_build(
                tenant=tenant,
                actor=program.admin,
                name=name,
                partner_types=[PartnerType.objects.get(tenant=tenant, name="Reseller / VAR")],
                stages=stages,
            )

    return build
