"""Typed settings: a bad value from the environment or the instance file stops either app at start with
one message naming the setting, the value and what is allowed."""
import pytest
from click.testing import CliRunner

import collector
import kiosk
from skm.cli import main
from skmweb import SettingError
from tests.helpers import init_kiosk

APPS = {"kiosk": (kiosk.create_app, "KIOSK", "kiosk.cfg"), "collector": (collector.create_app, "COLLECTOR",
                                                                          "collector.cfg")}

BAD_VALUES = [
    ("kiosk", "BURST_COUNT", "lima", "a whole number from 1 to 1000 is needed"),
    ("kiosk", "BURST_COUNT", "0", "a whole number from 1 to 1000 is needed"),
    ("kiosk", "BURST_COUNT", "2.5", "a whole number from 1 to 1000 is needed"),
    ("kiosk", "IDLE_SECONDS", "-5", "a whole number from 1 to 3600 is needed"),
    ("kiosk", "MIN_SURVEY_SECONDS", "sepuluh", "a number from 0 to 600 is needed"),
    ("kiosk", "MIN_SURVEY_SECONDS", "nan", "a number from 0 to 600 is needed"),
    ("kiosk", "SYNC_ENABLED", "maybe", "true or false (also yes/no, 1/0) is needed"),
    ("kiosk", "SYNC_BATCH_SIZE", "100000", "a whole number from 1 to 10000 is needed"),
    ("kiosk", "LOG_FORMAT", "xml", "one of text, json is needed"),
    ("kiosk", "LOG_LEVEL", "loud", "one of DEBUG, INFO, WARNING, ERROR is needed"),
    ("collector", "BATCH_MAX", "banyak", "a whole number from 1 to 10000 is needed"),
    ("collector", "IDLE_MINUTES", "0", "a whole number from 1 to 1440 is needed"),
    ("collector", "MIN_SURVEY_SECONDS", "-1", "a number from 0 to 600 is needed"),
    ("collector", "TRUSTED_PROXIES", "yes", "a whole number from 0 to 10 is needed"),
    ("collector", "LOG_FORMAT", "yaml", "one of text, json is needed"),
]
IDS = [f"{app}-{name}-{value}" for app, name, value, _ in BAD_VALUES]


@pytest.fixture
def instance(tmp_path, monkeypatch):
    for prefix in ("KIOSK", "COLLECTOR"):
        monkeypatch.delenv(f"SKM_{prefix}_INSTANCE", raising=False)
    return init_kiosk(tmp_path / "instance")


@pytest.mark.parametrize("app, name, value, allowed", BAD_VALUES, ids=IDS)
def test_a_bad_environment_value_stops_the_app_with_its_name(instance, monkeypatch, app, name, value, allowed):
    create_app, prefix, _file = APPS[app]
    monkeypatch.setenv(f"SKM_{prefix}_{name}", value)
    with pytest.raises(SettingError) as raised:
        create_app(instance_path=instance)
    assert str(raised.value) == f"SKM_{prefix}_{name}={value!r} is not valid: {allowed}"


@pytest.mark.parametrize("app, name, value, allowed", BAD_VALUES, ids=IDS)
def test_a_bad_instance_file_value_stops_the_app_with_its_name(instance, app, name, value, allowed):
    create_app, prefix, config_file = APPS[app]
    (instance / config_file).write_text(f"{prefix}_{name} = {value!r}\n")
    with pytest.raises(SettingError) as raised:
        create_app(instance_path=instance)
    assert str(raised.value) == (f"{prefix}_{name}={value!r} in {instance.resolve() / config_file} is not valid: "
                                 f"{allowed}")


def test_instance_file_values_of_the_wrong_python_type_are_refused(instance):
    (instance / "kiosk.cfg").write_text("KIOSK_IDLE_SECONDS = 90.5\n")
    with pytest.raises(SettingError, match=r"KIOSK_IDLE_SECONDS=90.5 in .* a whole number from 1 to 3600"):
        kiosk.create_app(instance_path=instance)


@pytest.mark.parametrize("word, expected", [("true", True), ("FALSE", False), ("1", True), ("0", False),
                                            ("yes", True), ("No", False)])
def test_booleans_accept_the_usual_words(instance, monkeypatch, word, expected):
    monkeypatch.setenv("SKM_KIOSK_SYNC_ENABLED", word)
    assert kiosk.create_app(instance_path=instance).config["KIOSK_SYNC_ENABLED"] is expected


def test_good_values_are_converted_to_their_types(instance, monkeypatch):
    monkeypatch.setenv("SKM_KIOSK_BURST_COUNT", "12")
    monkeypatch.setenv("SKM_KIOSK_MIN_SURVEY_SECONDS", "7")
    monkeypatch.setenv("SKM_KIOSK_RECEIPT_API_KEY", "123456")
    monkeypatch.setenv("SKM_KIOSK_LOG_LEVEL", "debug")
    (instance / "kiosk.cfg").write_text("KIOSK_IDLE_SECONDS = 90\n")
    config = kiosk.create_app(instance_path=instance).config
    assert (config["KIOSK_BURST_COUNT"], config["KIOSK_MIN_SURVEY_SECONDS"], config["KIOSK_IDLE_SECONDS"]) == (12, 7.0, 90)
    assert isinstance(config["KIOSK_MIN_SURVEY_SECONDS"], float)
    assert config["KIOSK_RECEIPT_API_KEY"] == "123456" and config["KIOSK_LOG_LEVEL"] == "DEBUG"


@pytest.mark.parametrize("app", ["kiosk", "collector"])
def test_the_command_line_exits_with_the_message(instance, app):
    _create, prefix, _file = APPS[app]
    command = [app, "--instance", str(instance), "run"] if app == "kiosk" else [app, "--instance", str(instance),
                                                                                  "migrate"]
    result = CliRunner().invoke(main, command, env={f"SKM_{prefix}_BATCH_MAX" if app == "collector"
                                                    else "SKM_KIOSK_BURST_COUNT": "lima"})
    assert result.exit_code == 1
    name = "BATCH_MAX" if app == "collector" else "BURST_COUNT"
    assert f"Error: SKM_{prefix}_{name}='lima' is not valid: a whole number from 1 to" in result.output


def test_an_old_three_field_declaration_still_works_and_is_typed_by_its_default():
    from skmweb import Setting
    old = Setting("QUEUE_SECONDS", 15, "An older declaration without type or range.")
    assert old.convert("20") == 20 and old.allowed() == "a whole number"
    with pytest.raises(ValueError):
        old.convert("lima belas")


@pytest.mark.parametrize("app", ["kiosk", "collector"])
def test_settings_command_shows_type_and_range(app):
    output = CliRunner().invoke(main, [app, "settings"]).output
    if app == "kiosk":
        assert "KIOSK_BURST_COUNT (int: a whole number from 1 to 1000; default 5)" in output
        assert "KIOSK_SYNC_ENABLED (bool: true or false (also yes/no, 1/0); default True)" in output
    else:
        assert "COLLECTOR_LOG_FORMAT (str: one of text, json; default 'text')" in output
