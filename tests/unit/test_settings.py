"""Configuration comes from the environment only; production refuses to start with a gap."""

from __future__ import annotations

import pytest

from server.devenv import apply_defaults, load_or_create_secrets
from server.settings import REQUIRED_IN_PRODUCTION, ConfigError, Settings


def production_env(**overrides: str) -> dict[str, str]:
    env = {name: "x" for name in REQUIRED_IN_PRODUCTION}
    env.update(MPP_ENV="production", PUBLIC_ORIGIN="https://mpp.batam.go.id", DATABASE_URL="postgresql+asyncpg://u:p@db/mpp",
               COUCHDB_URL="http://couchdb:5984")
    env.update(overrides)
    return env


@pytest.mark.parametrize("missing", sorted(REQUIRED_IN_PRODUCTION))
def test_production_names_the_missing_setting_with_an_example(missing):
    env = production_env()
    del env[missing]
    with pytest.raises(ConfigError) as err:
        Settings.from_env(env)
    line = str(err.value)
    assert "\n" not in line
    assert line.startswith(f"{missing} is not set; example: {missing}=")


def test_production_requires_https_origin():
    with pytest.raises(ConfigError, match="https"):
        Settings.from_env(production_env(PUBLIC_ORIGIN="http://mpp.batam.go.id"))


def test_complete_production_environment_is_accepted_and_derives_the_rp_id():
    s = Settings.from_env(production_env())
    assert s.production
    assert s.web.rp_id == "mpp.batam.go.id"
    assert s.web.secure_cookies


def test_push_back_off_is_a_positive_number_of_seconds():
    assert Settings.from_env(production_env()).push.backoff_seconds == 30.0
    assert Settings.from_env(production_env(PUSH_BACKOFF_SECONDS="0.5")).push.backoff_seconds == 0.5
    for wrong in ("0", "-1", "lima"):
        with pytest.raises(ConfigError, match="PUSH_BACKOFF_SECONDS"):
            Settings.from_env(production_env(PUSH_BACKOFF_SECONDS=wrong))


def test_secrets_are_not_shown_in_repr():
    s = Settings.from_env(production_env(SECRET_KEY="very-secret-value", COUCHDB_PASSWORD="couch-secret"))
    assert "very-secret-value" not in repr(s)
    assert "couch-secret" not in repr(s)


def test_a_cluster_is_given_as_its_node_list_and_databases_may_carry_a_prefix():
    s = Settings.from_env(production_env(COUCHDB_URL=" http://c1:5984/, http://c2:5984,http://c3:5984 ", COUCHDB_DB_PREFIX="batam_"))
    assert s.couch.nodes == ["http://c1:5984", "http://c2:5984", "http://c3:5984"]
    assert s.couch.db_prefix == "batam_"
    assert Settings.from_env(production_env()).couch.db_prefix == ""


@pytest.mark.parametrize("url", ["couchdb:5984", "http://admin:pw@couchdb:5984", "http://c1:5984,ftp://c2", "http://c1:5984/a,http://c2:5984/b"])
def test_a_couchdb_url_that_cannot_be_used_is_refused_with_an_example(url):
    with pytest.raises(ConfigError, match="COUCHDB_URL=.*http://"):
        Settings.from_env(production_env(COUCHDB_URL=url))


@pytest.mark.parametrize("prefix", ["Batam", "1abc", "a.b", "a/b", "a" * 65])
def test_a_database_prefix_couchdb_would_refuse_is_refused(prefix):
    with pytest.raises(ConfigError, match="COUCHDB_DB_PREFIX"):
        Settings.from_env(production_env(COUCHDB_DB_PREFIX=prefix))


def test_unknown_mode_is_refused():
    with pytest.raises(ConfigError, match="MPP_ENV"):
        Settings.from_env(production_env(MPP_ENV="staging"))


def test_development_defaults_are_generated_once_and_kept(tmp_path):
    first = load_or_create_secrets(tmp_path)
    second = load_or_create_secrets(tmp_path)
    assert first == second
    assert len(first["SECRET_KEY"]) == 64
    assert (tmp_path / "dev-secrets.json").stat().st_mode & 0o077 == 0


def test_development_defaults_never_override_the_environment(tmp_path):
    env = {"DATABASE_URL": "postgresql+asyncpg://me@localhost/mine"}
    filled = apply_defaults(env, tmp_path, port=8123)
    assert "DATABASE_URL" not in filled
    assert env["DATABASE_URL"] == "postgresql+asyncpg://me@localhost/mine"
    env["COUCHDB_URL"] = "http://127.0.0.1:5984"
    s = Settings.from_env(env)
    assert s.web.public_origin == "http://localhost:8123"
    assert s.web.rp_id == "localhost"
    assert not s.production
