from django.urls import path

from apps.partners import views, views_edit

app_name = "partners"
urlpatterns = [
    path("", views.partner_explorer, name="explorer"),
    path("export.csv", views.partner_explorer_export, name="export"),
    path("<int:partner_id>/", views.partner_detail, name="detail"),
    path("<int:partner_id>/suspend/", views.partner_suspend_view, name="suspend"),
    path("<int:partner_id>/reactivate/", views.partner_reactivate_view, name="reactivate"),
]

# Add a partner account by hand, edit one (views_edit).
urlpatterns += [
    path("new/", views_edit.partner_new, name="new"),
    path("<int:partner_id>/edit/", views_edit.partner_edit, name="edit"),
]

# Bulk CAM/tier change from the Explorer's selection (issue 10, point 2).
urlpatterns += [
    path("bulk/", views.partner_bulk_update, name="bulk"),
]

# CSV import of partner accounts (issue 10, point 5; views_import).
from apps.partners import views_import  # noqa: E402

urlpatterns += [
    path("import/", views_import.partner_import, name="import"),
    path("import/template.csv", views_import.partner_import_template, name="import_template"),
]

# Saved Explorer views, per user (issue 11, point 2; views_saved).
from apps.partners import views_saved  # noqa: E402

urlpatterns += [
    path("views/", views_saved.saved_view_create_view, name="saved_view_create"),
    path(
        "views/<int:view_id>/rename/", views_saved.saved_view_rename_view, name="saved_view_rename"
    ),
    path(
        "views/<int:view_id>/delete/", views_saved.saved_view_delete_view, name="saved_view_delete"
    ),
]
