"""Deadline checks: a nameko timer whose interval comes from config, and the `now` override rule."""
import logging

from nameko.timer import Timer

from . import clock
from .errors import Forbidden
from .schemas import BaseSchema, load, moment
from .logs import error_summary, quiet_expected_errors
from .settings import flag, number

log = logging.getLogger(__name__)


class ConfiguredTimer(Timer):
    """A timer whose failed tick is one warning line: the next tick tries again."""

    def __init__(self, setting, default, **kwargs):
        super().__init__(interval=default, expected_exceptions=(Exception,), **kwargs)
        self.setting = setting

    def setup(self):
        self.interval = number(self.container.config, self.setting, self.interval)
        quiet_expected_errors()

    def handle_result(self, worker_ctx, result, exc_info):
        if exc_info is not None:
            log.warning("%s failed (%s); the next tick retries", self.method_name, error_summary(exc_info[1]))
        return super().handle_result(worker_ctx, result, exc_info)


configured_timer = ConfiguredTimer.decorator


class NowArg(BaseSchema):
    now = moment(required=True)


def effective_now(config, now):
    """The clock for `check_deadlines(now)`: `now` only where ALLOW_CLOCK_OVERRIDE is true."""
    if now is None:
        return clock.now()
    if not flag(config, "ALLOW_CLOCK_OVERRIDE"):
        raise Forbidden("不允许指定时间(ALLOW_CLOCK_OVERRIDE is off).")
    return load(NowArg, {"now": now})["now"].astimezone(clock.CAMPAIGN_TZ)
