"""``@timer`` whose interval is a setting, so tests and deployments can change it.

nameko's own ``@timer(interval=…)`` fixes the interval when the class is defined.
A timer runs in every replica of a service: what it does must be claimed in the
store to happen once (see the notifications service's delivery claims).
"""

from nameko.timer import Timer

from shared.config import setting


class ConfiguredTimer(Timer):
    def __init__(self, setting_key: str, default: float, **kwargs):
        self.setting_key = setting_key
        self.default = default
        super().__init__(interval=default, **kwargs)

    def setup(self):
        super().setup()
        self.interval = setting(self.container.config, self.setting_key, self.default, float)


timer = ConfiguredTimer.decorator
