"""The directory's reference snapshot, as the other services' copies catch up with it."""

import pytest
from nameko.testing.services import worker_factory

from services.directory.service import DirectoryService
from shared.errors import ValidationFailed


class _SeededMidway:
    """A store whose departments are loaded (items and revision in one commit) right after the first items read."""

    def __init__(self):
        self.revisions = {"departments": 0}
        self.departments: list[dict] = []

    def revision(self, kind):
        return self.revisions[kind]

    def items(self, kind):
        seen = list(self.departments)
        self.departments, self.revisions["departments"] = [{"code": "justice"}], 1  # the seed commits now
        return seen


def test_a_snapshot_never_labels_data_with_a_revision_newer_than_the_data():
    service = worker_factory(DirectoryService, store=_SeededMidway())
    snapshot = service.reference_snapshot(["departments"])["departments"]
    # revision 0 with nothing is true of what was read; "revision 1, no departments" would stick in every copy,
    # as the seed's own event (revision 1) would then be nothing new to them
    assert (snapshot["revision"], snapshot["data"]["items"]) == (0, [])
    again = service.reference_snapshot(["departments"])["departments"]
    assert (again["revision"], again["data"]["items"]) == (1, [{"code": "justice"}])


class _People:
    def items(self, kind):
        assert kind == "users"
        person = {"language": "zh-CN", "phone": None, "email": None, "active": True, "failed_sign_ins": 2}
        return [
            {
                **person,
                "user_id": "U1",
                "username": "operator1",
                "name": "值班员",
                "roles": ["operator"],
                "department": None,
            },
            {
                **person,
                "user_id": "U2",
                "username": "handler-roads-1",
                "name": "处置员",
                "roles": ["handler"],
                "department": "roads",
            },
        ]


def test_people_are_listed_through_the_documented_schema_and_filtered_by_a_checked_query():
    service = worker_factory(DirectoryService, store=_People())
    assert [u["user_id"] for u in service.list_users({"role": "handler"})] == ["U2"]
    assert [u["user_id"] for u in service.list_users({"department": "roads"})] == ["U2"]
    assert all("failed_sign_ins" not in u for u in service.list_users({}))  # kept in the store, never shown
    with pytest.raises(ValidationFailed) as refused:
        service.list_users({"role": "wizard"})
    assert "role" in refused.value.details["fields"]
