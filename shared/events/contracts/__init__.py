"""Every event contract, one module per producing service (loaded by ``shared.events.catalogue``)."""
