"""Configuration: precedence, empty means unset, validation with one-line errors naming the setting."""

import pytest

from gps.config import OPTIONS, Config, load_config
from gps.errors import ConfigError

BASE = {"GPS_GITHUB_KEY": "ghp_x", "GPS_POSTHOG_KEY": "phc_x"}


def load(env=None, flags=None, dotenv=None, tmp_path=None):
    if dotenv is not None:
        (tmp_path / ".env").write_text(dotenv)
    return load_config(flags or {}, {**BASE, **(env or {})}, tmp_path)


def test_defaults_match_the_original_tool(tmp_path):
    config = load(tmp_path=tmp_path)
    assert config.github_url == "https://api.github.com"
    assert config.posthog_url == "https://us.i.posthog.com"
    assert (config.allow_forks, config.allow_private, config.allow_archived) == (False, False, True)
    assert config.posthog_historical is True
    assert config.dry_run is False
    assert config.github_id == () and config.posthog_id is None


def test_every_option_is_a_config_field_in_order():
    assert [f for f in Config.__dataclass_fields__] == [o.field for o in OPTIONS]


def test_precedence_flag_over_env_over_dotenv_over_default(tmp_path):
    dotenv = "GPS_GITHUB_ID=from-dotenv\nGPS_ALLOW_FORKS=1\nGPS_TIMEOUT=5\n"
    config = load({"GPS_GITHUB_ID": "from-env"}, {"github_id": "from-flag"}, dotenv, tmp_path)
    assert config.github_id == ("from-flag",)
    config = load({"GPS_GITHUB_ID": "from-env"}, {}, dotenv, tmp_path)
    assert config.github_id == ("from-env",)
    assert config.allow_forks is True and config.timeout == 5
    assert load({}, {}, "GPS_GITHUB_ID=from-dotenv\n", tmp_path).github_id == ("from-dotenv",)


def test_empty_string_means_unset(tmp_path):
    config = load({"GPS_GITHUB_URL": "", "GPS_ALLOW_ARCHIVED": " ", "GPS_POSTHOG_ID": ""},
                  {"github_id": ""}, "GPS_GITHUB_ID=dotenv-owner\n", tmp_path)
    assert config.github_url == "https://api.github.com"
    assert config.allow_archived is True
    assert config.posthog_id is None
    assert config.github_id == ("dotenv-owner",)  # an empty flag and env fall through to .env


@pytest.mark.parametrize("word,value", [("1", True), ("TRUE", True), ("Yes", True), ("on", True),
                                        ("0", False), ("False", False), ("NO", False), ("off", False)])
def test_flag_words(tmp_path, word, value):
    assert load({"GPS_ALLOW_PRIVATE": word}, tmp_path=tmp_path).allow_private is value


@pytest.mark.parametrize("env,names", [
    ({"GPS_ALLOW_FORKS": "maybe"}, "GPS_ALLOW_FORKS"),
    ({"GPS_DRY_RUN": "2"}, "GPS_DRY_RUN"),
    ({"GPS_POSTHOG_ID": "12a"}, "GPS_POSTHOG_ID"),
    ({"GPS_POSTHOG_ID": "0"}, "GPS_POSTHOG_ID"),
    ({"GPS_POSTHOG_ID": "-3"}, "GPS_POSTHOG_ID"),
    ({"GPS_GITHUB_URL": "api.github.com"}, "GPS_GITHUB_URL"),
    ({"GPS_GITHUB_URL": "ftp://api.github.com"}, "GPS_GITHUB_URL"),
    ({"GPS_POSTHOG_URL": "https://us.i.posthog.com/a b"}, "GPS_POSTHOG_URL"),
    ({"GPS_GITHUB_ID": "bad_login!"}, "GPS_GITHUB_ID"),
    ({"GPS_GITHUB_ID": "-leading"}, "GPS_GITHUB_ID"),
    ({"GPS_GITHUB_ID": "../orgs/x"}, "GPS_GITHUB_ID"),
    ({"GPS_TIMEOUT": "soon"}, "GPS_TIMEOUT"),
    ({"GPS_GITHUB_KEY": ""}, "GPS_GITHUB_KEY"),
    ({"GPS_SHARD": "3/2"}, "GPS_SHARD"),
    ({"GPS_SHARD": "0/4"}, "GPS_SHARD"),
    ({"GPS_SHARD": "two"}, "GPS_SHARD"),
    ({"GPS_CONCURRENCY": "0"}, "GPS_CONCURRENCY"),
    ({"GPS_MAX_WAIT": "-1"}, "GPS_MAX_WAIT"),
    ({"GPS_METRICS": "views,forks"}, "GPS_METRICS"),
    ({"GPS_REPOSITORIES": "not-a-repo"}, "GPS_REPOSITORIES"),
    ({"GPS_EXCLUDE": "a/b/c"}, "GPS_EXCLUDE"),
    ({"GPS_BACKFILL": "everything"}, "GPS_BACKFILL"),
    ({"GPS_GITHUB_ID": "ok,bad login"}, "GPS_GITHUB_ID"),
    ({"GPS_POSTHOG_KEY": ""}, "GPS_POSTHOG_KEY"),
])
def test_bad_values_name_the_setting(tmp_path, env, names):
    with pytest.raises(ConfigError) as caught:
        load(env, tmp_path=tmp_path)
    message = str(caught.value)
    assert message.startswith(names + ":")
    assert "\n" not in message


def test_posthog_key_not_needed_in_dry_run(tmp_path):
    config = load({"GPS_POSTHOG_KEY": "", "GPS_DRY_RUN": "1"}, tmp_path=tmp_path)
    assert config.dry_run is True


def test_trailing_slash_is_dropped(tmp_path):
    assert load({"GPS_GITHUB_URL": "https://ghe.example/api/v3/"}, tmp_path=tmp_path).github_url == \
        "https://ghe.example/api/v3"


def test_malformed_dotenv_line_is_named(tmp_path):
    with pytest.raises(ConfigError) as caught:
        load({}, {}, "GPS_GITHUB_ID=ok\nthis is not a setting\n", tmp_path)
    assert ".env line 2" in str(caught.value)


def test_secrets_are_listed_for_redaction(tmp_path):
    config = load({"GPS_POSTHOG_TOKEN": "phx_y"}, tmp_path=tmp_path)
    assert sorted(config.secrets) == ["ghp_x", "phc_x", "phx_y"]


def test_new_settings_parse(tmp_path):
    config = load({"GPS_SHARD": " 2 / 4 ", "GPS_CONCURRENCY": "16", "GPS_MAX_WAIT": "0",
                   "GPS_GITHUB_ID": "a, b,a", "GPS_METRICS": "clones, VIEWS",
                   "GPS_BACKFILL": "stargazers"}, tmp_path=tmp_path)
    assert config.shard == (2, 4) and config.concurrency == 16 and config.max_wait == 0
    assert config.github_id == ("a", "b") and config.metrics == ("views", "clones")
    assert config.backfill == "stargazers"
    default = load(tmp_path=tmp_path)
    assert default.metrics == ("views", "clones", "referrers", "paths", "snapshot")
    assert default.concurrency == 4 and default.max_wait == 60 and default.shard is None
