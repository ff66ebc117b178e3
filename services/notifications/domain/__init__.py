"""The notifications' pure rules: who hears of what, what they are told, and the life of a delivery.

No broker, store, network or framework here (``tests/unit/test_service_layout.py``): a function takes the time, the
ids and the reference data it needs as arguments. The templates are read from ``templates/`` beside these modules:
they are part of the program, like the rules, not data kept anywhere.
"""
