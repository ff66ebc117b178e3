"""``shared.nameko_patches``: nameko's ``get_producer`` finds its pool through a key made once per set of options."""

from kombu import Connection
from kombu.pools import producers
from nameko.amqp import publish as nameko_publish
from nameko.constants import DEFAULT_TRANSPORT_OPTIONS

import shared.bus  # noqa: F401 - importing the bus applies the patch
from shared.nameko_patches import applied, pool_key

URI = "amqp://guest:guest@127.0.0.1:1/patches"


def test_importing_the_bus_puts_the_patch_in_place():
    assert applied()
    assert nameko_publish.get_producer.__module__ == "shared.nameko_patches"


def test_one_key_per_set_of_options_and_none_shared_across_them():
    options = dict(DEFAULT_TRANSPORT_OPTIONS)
    assert pool_key(URI, True, None, None, options) is pool_key(URI, True, None, None, dict(options))
    assert pool_key(URI, True, None, None, options) is not pool_key(URI, False, None, None, options)
    assert pool_key(URI, True, None, None, options) is not pool_key(URI + "2", True, None, None, options)
    assert pool_key(URI, True, None, None, options) is not pool_key(URI, True, None, None, {**options, "x": 1})


def test_a_key_finds_the_pool_nameko_would_have_built_its_own_key_for():
    options = dict(DEFAULT_TRANSPORT_OPTIONS, confirm_publish=True)
    namekos = Connection(URI, transport_options=dict(options), ssl=None, login_method=None)
    assert producers[pool_key(URI, True, None, None, options)] is producers[namekos]


def test_a_keys_options_are_its_own_whatever_its_caller_does_with_the_dict_later():
    options = dict(DEFAULT_TRANSPORT_OPTIONS)
    key = pool_key(URI + "/own", True, None, None, options)
    options["confirm_publish"] = False  # nameko writes each publish's use_confirms into the dict it was given
    assert key.transport_options["confirm_publish"] is True
    assert key.clone().transport_options["confirm_publish"] is True  # what the pool's connections are made from
