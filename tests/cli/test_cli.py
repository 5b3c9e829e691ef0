"""The command line: one-line errors with the contract's exit codes, and the offline demo."""

from __future__ import annotations

import json
import socket
from importlib.resources import files

from click.testing import CliRunner
from helpers import run_cli

from newsarchive.cli import cli


def invoke(*args: str):
    return CliRunner().invoke(cli, list(args))


def test_crawl_with_a_bad_url_is_a_usage_error_on_one_line(tmp_path):
    result = invoke("crawl", "not a url", "--archive", str(tmp_path / "archive"))
    assert result.exit_code == 2
    assert result.stderr.startswith("Error: 'not a url' is neither a site profile nor a start URL")
    assert result.stderr.count("\n") == 1
    assert not (tmp_path / "archive").exists(), "nothing may be created for a usage error"


def test_crawl_refuses_non_http_schemes(tmp_path):
    result = invoke("crawl", "ftp://127.0.0.1/", "--archive", str(tmp_path / "archive"))
    assert result.exit_code == 2
    assert "give an absolute http(s) URL" in result.stderr


def test_crawl_with_a_missing_config_file_is_a_usage_error(tmp_path):
    result = invoke("crawl", "http://127.0.0.1/", "--config", str(tmp_path / "nope.toml"))
    assert result.exit_code == 2
    assert "does not exist" in result.stderr


def test_crawl_with_a_broken_profile_names_the_file(tmp_path):
    broken = tmp_path / "site.toml"
    broken.write_text("hosts = [", encoding="utf-8")
    result = invoke("crawl", "http://127.0.0.1/", "--config", str(broken), "--archive", str(tmp_path / "a"))
    assert result.exit_code == 2
    assert result.stderr.startswith(f"Error: site profile {broken} is not valid TOML")


def test_export_of_a_missing_archive_says_what_to_do(tmp_path):
    output = tmp_path / "out.jsonl"
    result = invoke("export", "--archive", str(tmp_path / "missing"), "--output", str(output))
    assert result.exit_code == 2
    assert result.stderr == (
        f"Error: no archive at {tmp_path / 'missing'}: run `newsarchive crawl URL --archive "
        f"{tmp_path / 'missing'}` first, or pass the right --archive\n"
    )
    assert not output.exists()


def test_export_rejects_an_unknown_format(tmp_path):
    result = invoke("export", "--archive", str(tmp_path), "--format", "xml")
    assert result.exit_code == 2
    assert "'xml' is not one of 'jsonl', 'csv'" in result.stderr


def test_every_command_has_help():
    for name, command in cli.commands.items():
        assert command.help, f"{name} has no help text"
        assert invoke(name, "--help").exit_code == 0


def test_demo_crawls_the_bundled_site_offline_and_prints_next_steps(tmp_path):
    archive = tmp_path / "demo"
    result = run_cli("demo", "--archive", str(archive))
    assert result.returncode == 0, result.stderr
    assert "Fetched" in result.stderr and "articles" in result.stderr
    assert "newsarchive export" in result.stderr
    exported = run_cli("export", "--archive", str(archive))
    articles = [json.loads(line) for line in exported.stdout.splitlines()]
    site_data = json.loads((files("newsarchive.demo") / "site-data.json").read_text(encoding="utf-8"))
    assert len(articles) == len(site_data["articles"])
    assert {a["language"] for a in articles} == {"az", "ru", "en"}
    assert all(a["published"] and a["published"].endswith("+04:00") for a in articles)


def test_export_rejects_a_date_that_is_not_a_date(tmp_path):
    result = invoke("export", "--archive", str(tmp_path), "--since", "yesterday")
    assert result.exit_code == 2
    assert "Invalid value for '--since'" in result.stderr


def test_demo_run_twice_into_one_archive_archives_each_article_once(tmp_path):
    archive = tmp_path / "demo"
    first = run_cli("demo", "--archive", str(archive))
    assert first.returncode == 0, first.stderr
    second = run_cli("demo", "--archive", str(archive))
    assert second.returncode == 0, second.stderr
    assert "archived 0 articles into" in second.stderr
    site_data = json.loads((files("newsarchive.demo") / "site-data.json").read_text(encoding="utf-8"))
    exported = run_cli("export", "--archive", str(archive)).stdout.splitlines()
    assert len(exported) == len(site_data["articles"])


def test_demo_whose_port_is_taken_says_so(tmp_path):
    archive = tmp_path / "demo"
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        (archive / "warc").mkdir(parents=True)
        (archive / "demo-site.json").write_text(json.dumps({"port": port}))
        result = run_cli("demo", "--archive", str(archive))
    assert result.returncode == 2
    assert result.stderr == (
        f"Error: port {port}, where the demo site of {archive} is served, is in use; "
        "free it, or give another --archive for a new demo\n"
    )
