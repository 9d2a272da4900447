"""Access to the process's services from route handlers."""

from __future__ import annotations

from dataclasses import dataclass

from fastapi import Request

from slidestream.generation.service import PresentationService
from slidestream.settings import Settings
from slidestream.storage.repository import Repository
from slidestream.streaming.channels import NotificationChannel


@dataclass
class Services:
    settings: Settings
    repository: Repository
    channel: NotificationChannel
    presentations: PresentationService


def services(request: Request) -> Services:
    result: Services = request.app.state.services
    return result
