"""``@timer`` whose interval is a setting, so tests and deployments can change it.

nameko's own ``@timer(interval=…)`` fixes the interval when the class is defined.
A timer runs in every replica of a service: a periodic scan takes its lease first
(``shared.lease``) so it runs in one replica at a time, and what it does stays
guarded in the store on its own (a delivery's claim, a rung's ladder), since two
replicas may still overlap for a moment.
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
