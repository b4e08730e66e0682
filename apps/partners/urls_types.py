"""The program's partner types and tiers (/console/settings/partner-types/), program admins."""

from django.urls import path

from apps.partners import views_types as views

app_name = "partner_types"
urlpatterns = [
    path("", views.partner_types, name="list"),
    path("<int:type_id>/rename/", views.type_rename, name="rename"),
    path("<int:type_id>/move/", views.type_move, name="move"),
    path("<int:type_id>/archive/", views.type_archive, name="archive"),
    path("<int:type_id>/restore/", views.type_restore, name="restore"),
    path("<int:type_id>/delete/", views.type_delete, name="delete"),
    path("tiers/", views.tier_add, name="tier_add"),
    path("tiers/<int:tier_id>/rename/", views.tier_rename, name="tier_rename"),
    path("tiers/<int:tier_id>/move/", views.tier_move, name="tier_move"),
    path("tiers/<int:tier_id>/archive/", views.tier_archive, name="tier_archive"),
    path("tiers/<int:tier_id>/restore/", views.tier_restore, name="tier_restore"),
]
