from django.contrib import admin
from django.urls import include, path

from apps.core.views import healthz, livez
from apps.home import views as home_views

urlpatterns = [
    path("healthz", healthz, name="healthz"),
    path("livez", livez, name="livez"),
    # The operator's admin: platform host only, allauth sign-in, TOTP (apps/core/admin_site.py).
    path("admin/", admin.site.urls),
    path("accounts/", include("allauth.urls")),
    path("console/analytics/", include("apps.analytics.urls")),
    path("console/audit/", include("apps.audit.urls")),
    path("console/", include("apps.home.urls_console")),
    path("console/partners/", include("apps.partners.urls")),
    path("console/applications/", include("apps.applications.urls_console")),
    path("console/", include("apps.content.urls_console")),
    path(
        "console/partners/<int:partner_id>/onboarding/",
        include("apps.onboarding.urls_console"),
    ),
    path("console/pipelines/", include("apps.onboarding.urls_pipelines")),
    path("console/queue/", include("apps.onboarding.urls_queue")),
    path("console/alerts/", include("apps.milestones.urls_alerts")),
    path(
        "console/partners/<int:partner_id>/milestones/",
        include("apps.milestones.urls_partner"),
    ),
    path(
        "console/partners/<int:partner_id>/users/",
        include("apps.applications.urls_partner_users"),
    ),
    path("console/settings/milestones/", include("apps.milestones.urls_settings")),
    # After a partner's type changes: its new pipeline and track (composes onboarding and
    # milestones, so it lives in the higher of the two).
    path(
        "console/partners/<int:partner_id>/type-change/",
        include("apps.milestones.urls_type_change"),
    ),
    path("console/settings/api-keys/", include("apps.api.urls_console")),
    path("console/settings/webhooks/", include("apps.webhooks.urls_console")),
    path("console/settings/team/", include("apps.home.urls_team")),
    path("console/settings/partner-types/", include("apps.partners.urls_types")),
    path("console/settings/emails/", include("apps.notifications.urls_wording")),
    path("console/settings/outbox/", include("apps.outbox.urls")),
    path("console/settings/profile/", include("apps.partners.urls_profile_settings")),
    path("console/settings/privacy/", include("apps.home.urls_privacy")),
    path("console/settings/", include("apps.home.urls_settings")),
    path("branding/", include("apps.home.urls_branding")),
    path("api/v1/", include("apps.api.urls")),
    path("portal/profile/", include("apps.partners.urls_profile")),
    path("portal/", include("apps.home.urls_portal")),
    path("portal/", include("apps.content.urls_portal")),
    path("portal/suspended/", include("apps.partners.urls_portal")),
    path("portal/onboarding/", include("apps.onboarding.urls_portal")),
    path("portal/team-requests/", include("apps.applications.urls_portal")),
    path("portal/team/", include("apps.applications.urls_team")),
    path("notifications/", include("apps.notifications.urls")),
    path("apply/", include("apps.applications.urls_public")),
    path("", include("apps.onboarding.urls_nudges")),
    path("", home_views.root, name="root"),
]
