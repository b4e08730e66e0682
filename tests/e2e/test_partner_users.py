"""A CAM manages a partner account's users from the console's partner page: invites a user
(an address outside the account's domains, which only staff may), makes them partner admin,
deactivates and reactivates them; the partner's timeline says each change. Screenshots."""

import pytest
from playwright.sync_api import expect

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def eager_tasks():
    from config.celery import app

    app.conf.task_always_eager = True
    yield
    app.conf.task_always_eager = False


def test_a_cam_manages_a_partners_users(acme, page, site, screenshot, mailoutbox, eager_tasks):
    page.goto(site("acme.localhost", "/accounts/login/"))
    page.get_by_label("Email").fill(acme.cam.email)
    page.get_by_label("Password").fill("pw-cam-123456")
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url("**/console/")

    page.goto(site("acme.localhost", f"/console/partners/{acme.partner.pk}/"))
    users = page.locator("#users")
    expect(users.get_by_role("heading", name="Users")).to_be_visible()
    screenshot("console-partner-users")

    # A refused invitation comes back on its own page, with the error at the field.
    users.get_by_label("Email").fill(acme.other_partner_user.email)
    users.get_by_role("button", name="Send invitation").click()
    expect(page.get_by_text("is a user of another partner account")).to_be_visible()
    screenshot("console-partner-user-invite-error")

    page.get_by_label("Email").fill("freelancer@gmail.com")
    page.get_by_label("First name").fill("Fran")
    page.get_by_label("Last name").fill("Lance")
    page.get_by_role("button", name="Send invitation").click()
    expect(page.get_by_text("Invitation sent to freelancer@gmail.com")).to_be_visible()
    assert any(m.to == ["freelancer@gmail.com"] for m in mailoutbox)
    row = page.locator("#users li", has_text="freelancer@gmail.com")
    expect(row.get_by_text("Invitation pending")).to_be_visible()

    row.get_by_role("button", name="Make partner admin").click()
    expect(page.get_by_text("Fran Lance is now a partner admin.")).to_be_visible()
    row = page.locator("#users li", has_text="freelancer@gmail.com")
    row.get_by_role("button", name="Revoke invitation").click()
    expect(page.get_by_text("The invitation to freelancer@gmail.com is revoked.")).to_be_visible()
    row = page.locator("#users li", has_text="freelancer@gmail.com")
    row.get_by_role("button", name="Reactivate").click()
    expect(page.get_by_text("Fran Lance can use the portal again")).to_be_visible()
    expect(
        page.get_by_text("Invited freelancer@gmail.com to Acme Partner One as partner user")
    ).to_be_visible()
    screenshot("console-partner-users-after-changes")
