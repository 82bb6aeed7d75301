"""``manage.py gan_sweep [--loop SECONDS]``: republish lost jobs and recover expired leases."""

from __future__ import annotations

import time
from typing import Any

from django.core.management.base import BaseCommand

from gan_imaging import jobs


class Command(BaseCommand):
    help = "Republish queued jobs whose message was lost and recover jobs whose worker died."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument(
            "--loop", type=float, default=0, help="Repeat every SECONDS (0: run once)."
        )

    def handle(self, *args: Any, loop: float = 0, **options: Any) -> None:
        while True:
            r = jobs.sweep()
            self.stdout.write(
                f"republished {r.republished}, recovered {r.recovered}, failed {r.failed}, "
                f"tidied {r.tidied} renditions"
            )
            if not loop:
                return
            time.sleep(loop)
