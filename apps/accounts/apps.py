from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "apps.accounts"
    label = "accounts"

    def ready(self) -> None:
        from apps.accounts import ratelimits

        ratelimits.install()  # allauth's rate limits, counted per program
