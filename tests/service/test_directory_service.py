"""The directory's reference snapshot, as the other services' copies catch up with it."""

from nameko.testing.services import worker_factory

from services.directory.service import DirectoryService


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
