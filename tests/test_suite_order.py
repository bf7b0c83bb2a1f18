"""The suite's own order: the files listed to go first exist, and they do go first."""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import LONGEST_FILES, pytest_collection_modifyitems

HERE = Path(__file__).resolve().parent


def test_every_file_listed_to_go_first_exists():
    assert [name for name in LONGEST_FILES if not (HERE / name).is_file()] == []


def test_the_listed_files_go_first_in_their_order_and_the_rest_keep_theirs(
    request: pytest.FixtureRequest,
):
    given = list(reversed(request.session.items))  # any order but the collected one
    items = list(given)
    pytest_collection_modifyitems(items)
    assert sorted(map(id, items)) == sorted(map(id, given))
    files = list(dict.fromkeys(item.path.name for item in items))
    listed = [name for name in LONGEST_FILES if name in files]
    assert files[: len(listed)] == listed
    before = [name for name in dict.fromkeys(i.path.name for i in given) if name not in listed]
    assert files[len(listed) :] == before
    assert [i for i in items if i.path.name not in listed] == [
        i for i in given if i.path.name not in listed
    ]
