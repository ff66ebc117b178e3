"""An RPC answers data or raises (shared/errors.py); only the gateway speaks HTTP (docs/architecture.md#errors)."""

import inspect
import re

from deploy.services import service_classes


def test_no_rpc_answers_a_status_code():
    for cls in service_classes():
        for name, method in inspect.getmembers(cls, inspect.isfunction):
            if not getattr(method, "nameko_entrypoints", None):
                continue
            source = inspect.getsource(method)
            assert "tuple[int" not in str(inspect.signature(method).return_annotation), (cls.name, name)
            assert not re.search(r"return \(?(20[0-9]|[1-5]\d\d)\b", source), (cls.name, name)
