from celery import shared_task
from django.conf import settings


@shared_task(
    acks_late=True,
    ignore_result=True,
    soft_time_limit=settings.PORTAL_PACKAGE_TASK_SOFT_LIMIT,
    time_limit=settings.PORTAL_PACKAGE_TASK_SOFT_LIMIT + 60,
)
def build_package(package_id: int) -> str:
    """Builds one closing package (queued after the request's commit); see ``exports.packages.package_build``."""
    from .packages import package_build

    return package_build(package_id=package_id)
