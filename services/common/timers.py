"""Deadline checks: a nameko timer whose interval comes from config, and the `now` override rule."""
from nameko.timer import Timer

from . import clock
from .errors import Forbidden
from .schemas import BaseSchema, load, moment
from .settings import flag, number


class ConfiguredTimer(Timer):
    def __init__(self, setting, default, **kwargs):
        super().__init__(interval=default, **kwargs)
        self.setting = setting

    def setup(self):
        self.interval = number(self.container.config, self.setting, self.interval)


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
