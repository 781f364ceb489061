"""action.yml, the CLI options and the README's tables stay in step."""

import re

import yaml
from conftest import ROOT

from gps.config import OPTIONS
from gps.report import outputs
from gps.model import Owner, SyncResult

ACTION = yaml.safe_load((ROOT / "action.yml").read_text())
README = (ROOT / "README.md").read_text()


def kebab(option):
    return option.field.replace("_", "-")


def test_every_option_is_an_input_mapped_to_its_variable_with_the_cli_default():
    inputs = ACTION["inputs"]
    assert list(inputs) == [kebab(o) for o in OPTIONS]
    env = ACTION["runs"]["env"]
    for option in OPTIONS:
        name = kebab(option)
        assert env[option.env] == "${{ inputs.%s }}" % name
        assert inputs[name]["description"]
        assert str(inputs[name].get("default", "")) == option.default, name
    assert inputs["github-key"]["required"] is True
    assert ACTION["runs"]["using"] == "docker" and ACTION["runs"]["image"] == "Dockerfile"


def test_outputs_match_what_gps_writes():
    written = outputs(SyncResult(owners=[Owner("o", "user")], dry_run=False))
    assert set(ACTION["outputs"]) == set(written)
    assert {"events-sent", "events-skipped", "events-failed", "repositories", "views",
            "clones"} <= set(written)


def table_names(heading):
    section = re.split(r"\n#{2,3} ", README.split(heading, 1)[1], maxsplit=1)[0]
    return [m.group(1) for m in re.finditer(r"^\| `([a-z-]+)` \|", section, re.M)]


def test_readme_tables_list_every_input_and_output():
    assert table_names("### Inputs") == list(ACTION["inputs"])
    assert table_names("### Outputs") == list(ACTION["outputs"])


def test_readme_configuration_table_lists_every_variable():
    for option in OPTIONS:
        assert f"| `{option.env}` |" in README


def test_branding_uses_githubs_lists():
    assert ACTION["branding"]["color"] in {"white", "black", "yellow", "blue", "green", "orange",
                                           "red", "purple", "gray-dark"}
    assert ACTION["branding"]["icon"]
