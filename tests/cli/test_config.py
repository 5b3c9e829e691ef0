"""``newsarchive.toml``: crawl defaults kept in the archive (or ``--config-file``); flags beat the environment,
which beats the file, which beats the built-in defaults."""

from __future__ import annotations

from pathlib import Path

from helpers import iter_records, run_cli

from newsarchive.archive.runs import read_runs


def warcinfo_operator(archive: Path) -> str:
    for _, record in iter_records(archive):
        if record.rec_type == "warcinfo":
            fields = dict(line.split(": ", 1) for line in record.content_stream().read().decode().splitlines() if line)
            return fields["operator"]
    raise AssertionError("no warcinfo record")


def crawl(archive: Path, site_url: str, *args: str, env: dict[str, str] | None = None) -> None:
    result = run_cli("crawl", site_url + "/", "--archive", str(archive), "--max-articles", "1", *args, env=env)
    assert result.returncode == 0, result.stderr


def test_the_archive_config_gives_the_profile_and_the_operator(tmp_path, news_site):
    archive = tmp_path / "archive"
    archive.mkdir()
    (archive / "newsarchive.toml").write_text(
        '[crawl]\nprofile = "report.az"\noperator = "Config Archive"\ndelay = 0\n'
    )
    crawl(archive, news_site.url)
    assert warcinfo_operator(archive) == "Config Archive"
    (run,) = read_runs(archive)
    assert run["targets"] == ["report.az", news_site.url + "/"]


def test_flags_beat_the_environment_which_beats_the_config_file(tmp_path, news_site):
    config = tmp_path / "crawl.toml"
    config.write_text('[crawl]\nprofile = "report.az"\noperator = "from the file"\ndelay = 0\n')
    env = {"NEWSARCHIVE_OPERATOR": "from the environment"}
    crawl(tmp_path / "a", news_site.url, "--config-file", str(config), env=env)
    assert warcinfo_operator(tmp_path / "a") == "from the environment"
    crawl(tmp_path / "b", news_site.url, "--config-file", str(config), "--operator", "from the flag", env=env)
    assert warcinfo_operator(tmp_path / "b") == "from the flag"


def test_an_unknown_key_in_the_config_file_names_it(tmp_path):
    archive = tmp_path / "archive"
    archive.mkdir()
    (archive / "newsarchive.toml").write_text("[crawl]\nconcurency = 2\n")
    result = run_cli("crawl", "http://127.0.0.1:9/", "--archive", str(archive))
    assert result.returncode == 2
    assert result.stderr == (
        f"Error: config file {archive / 'newsarchive.toml'}: unknown key 'crawl.concurency'; known keys: profile, "
        "operator, contact, user_agent, concurrency, delay, timeout, max_size\n"
    )
    assert sorted(p.name for p in archive.iterdir()) == ["newsarchive.toml"]


def test_a_wrong_type_in_the_config_file_names_the_key(tmp_path):
    config = tmp_path / "crawl.toml"
    config.write_text('[crawl]\ndelay = "slow"\n')
    result = run_cli("crawl", "http://127.0.0.1:9/", "--archive", str(tmp_path / "a"), "--config-file", str(config))
    assert result.returncode == 2
    assert result.stderr == f"Error: config file {config}: crawl.delay must be a number of seconds, not 'slow'\n"
