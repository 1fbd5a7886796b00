from django.apps import AppConfig


def _end_lapsed(*, review, actor, **_) -> None:
    from .services import credentials_end_lapsed

    credentials_end_lapsed(review=review, actor=actor)


class ModelAccessConfig(AppConfig):
    name = "modelaccess"
    verbose_name = "Model access"

    def ready(self) -> None:
        from reviews import hooks

        # Whatever ends reviewers' grants ends their credentials in the same
        # transaction, and the company is told which to rotate.
        for name in ("close", "withdraw", "assignment_remove", "certify"):
            hooks.on_transition(name, _end_lapsed)
