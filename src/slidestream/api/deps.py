"""Access to the process's services from route handlers."""

from __future__ import annotations

from dataclasses import dataclass

from fastapi import Request

from slidestream.access import KeyStore
from slidestream.documents.store import UploadStore
from slidestream.generation.service import PresentationService
from slidestream.generation.tasks import TaskService
from slidestream.render.export import ExportService
from slidestream.settings import Settings
from slidestream.storage.repository import Repository
from slidestream.streaming.channels import NotificationChannel
from slidestream.webhooks import WebhookService


@dataclass
class Services:
    settings: Settings
    repository: Repository
    channel: NotificationChannel
    presentations: PresentationService
    uploads: UploadStore
    tasks: TaskService
    webhooks: WebhookService
    exports: ExportService
    keys: KeyStore


def services(request: Request) -> Services:
    result: Services = request.app.state.services
    return result
