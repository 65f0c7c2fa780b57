"""The emulator's registered extensions (GetExtension through the real SDK, unknown codes refused once a registry
exists) and the Date header of its answers, read from its clock."""

from __future__ import annotations

import time
from email.utils import parsedate_to_datetime

import pytest
from alibabacloud_dataworks_public20200518 import models as m
from alibabacloud_tea_openapi.exceptions import ClientException

from sandbox.emulator import Emulator
from tests.sandbox.conftest import AK, SECRET


def test_get_extension_answers_the_documented_fields_into_the_sdk_model(small_workspace, sdk):
    with Emulator(small_workspace, access_key_id=AK, access_key_secret=SECRET, extensions={}) as emu:
        emu.register_extension("ext-1", detail_url="https://og.example/checks", help_doc_url="https://og.example/docs",
                               status=0, project_testing=215001, events=("freeze-node", "backfill-data"))
        extension = sdk(emu).get_extension(m.GetExtensionRequest(extension_code="ext-1")).body.extension
    assert (extension.extension_code, extension.detail_url, extension.help_doc_url) == (
        "ext-1", "https://og.example/checks", "https://og.example/docs")
    assert (extension.status, extension.project_testing) == (0, 215001)
    assert [e.event_code for e in extension.bind_event_list] == ["freeze-node", "backfill-data"]


def test_with_a_registry_an_unknown_code_is_refused_by_the_three_actions_that_take_one(small_workspace, sdk):
    project = small_workspace["projects"][0]["ProjectId"]
    with Emulator(small_workspace, access_key_id=AK, access_key_secret=SECRET, extensions={}) as emu:
        emu.register_extension("known")
        client = sdk(emu)
        calls = [lambda code: client.get_extension(m.GetExtensionRequest(extension_code=code)),
                 lambda code: client.get_option_value_for_project(m.GetOptionValueForProjectRequest(
                     project_id=str(project), extension_code=code)),
                 lambda code: client.update_workbench_event_result(m.UpdateWorkbenchEventResultRequest(
                     message_id="m-1", extension_code=code, check_result="OK", check_result_tip="ok"))]
        for call in calls:
            assert call("known").body is not None
            with pytest.raises(ClientException) as info:
                call("unknown")
            assert (info.value.status_code, info.value.code) == (404, "InvalidExtensionCode.NotFound")
        assert [r["ExtensionCode"] for r in emu.results] == ["known"]


def test_without_a_registry_every_code_is_known(emulator, sdk):
    extension = sdk(emulator).get_extension(m.GetExtensionRequest(extension_code="anything")).body.extension
    assert extension.extension_code == "anything" and extension.status == 1


@pytest.mark.parametrize("offset", [0, 600])
def test_answers_carry_the_emulators_clock_in_a_date_header(small_workspace, offset):
    from lineage.client import DataWorksClient
    from lineage.config import DataWorksSettings
    from lineage.credentials import AccessKey

    with Emulator(small_workspace, access_key_id=AK, access_key_secret=SECRET,
                  clock=lambda: time.time() + offset) as emu:
        client = DataWorksClient(DataWorksSettings(endpoint=emu.url), AccessKey(AK, SECRET))
        before = time.time()
        client.list_projects_page(1)
        after = time.time()
        date = parsedate_to_datetime(client.last_response_headers()["date"]).timestamp()
        assert client.get_extension("x")["ExtensionCode"] == "x"
    assert int(before) + offset - 1 <= date <= after + offset
