#!/usr/bin/env python3
"""Differential test: vramplan's compose interpolation against `docker-compose config`.

Each folder under CASES holds compose.yml and optionally .env (read as docker-compose reads it,
beside the compose file), env.json (process environment variables) and expect.json (for an
intended difference: the values vramplan must produce, with the reason; docker-compose is then
not consulted). Both tools must agree on every interpolated value of image, command, entrypoint,
environment, labels, working_dir and user, or both must refuse the file.

Usage: run.py VRAMPLAN_COMPOSE_DUMP CASES_DIR      (exit 77 when docker-compose is missing)
"""
import json
import os
import shutil
import subprocess
import sys

FIELDS = ("image", "command", "entrypoint", "environment", "labels", "working_dir", "user")


def environment_map(value):
    if isinstance(value, list):
        out = {}
        for item in value:
            key, sep, val = str(item).partition("=")
            out[key] = val if sep else None
        return out
    return {k: (None if v is None else str(v)) for k, v in (value or {}).items()}


def normalize(services, from_compose):
    """The compared fields; docker-compose writes a literal $ as $$ and lists environment as a map."""
    def text(v):
        if isinstance(v, str):
            return v.replace("$$", "$") if from_compose else v
        if isinstance(v, list):
            return [text(x) for x in v]
        if isinstance(v, dict):
            return {text(k): text(x) for k, x in v.items()}
        return v if v is None else str(v)

    out = {}
    for name, svc in (services or {}).items():
        row = {}
        for field in FIELDS:
            if field in svc:
                value = svc[field]
                if field == "environment":
                    value = environment_map(value)
                row[field] = text(value)
        out[name] = row
    return out


def run_case(dump, case):
    env_vars = {}
    if os.path.exists(os.path.join(case, "env.json")):
        with open(os.path.join(case, "env.json")) as f:
            env_vars = json.load(f)
    env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), **env_vars}
    compose = os.path.join(case, "compose.yml")
    ours = subprocess.run([dump, compose], capture_output=True, text=True, env=env)

    expect_path = os.path.join(case, "expect.json")
    if os.path.exists(expect_path):
        with open(expect_path) as f:
            expect = json.load(f)
        if expect.get("error"):
            if ours.returncode == 0:
                return "vramplan accepted a file it must refuse (%s)" % expect["reason"]
            if expect["error"] not in ours.stderr:
                return "vramplan's error lacks %r: %s" % (expect["error"], ours.stderr.strip())
            return None
        if ours.returncode != 0:
            return "vramplan refused: " + ours.stderr.strip()
        got = normalize(json.loads(ours.stdout), False)
        if got != expect["services"]:
            return "vramplan %s != expected %s" % (got, expect["services"])
        return None

    import yaml  # docker-compose's own dependency (python3-yaml)
    theirs = subprocess.run(["docker-compose", "--project-directory", case, "-f", compose,
                             "config"], capture_output=True, text=True, env=env, cwd=case)
    if theirs.returncode != 0 or ours.returncode != 0:
        if theirs.returncode != 0 and ours.returncode != 0:
            return None  # both refuse
        return "docker-compose rc=%d (%s), vramplan rc=%d (%s)" % (
            theirs.returncode, theirs.stderr.strip()[-300:], ours.returncode,
            ours.stderr.strip())
    want = normalize(yaml.safe_load(theirs.stdout).get("services"), True)
    got = normalize(json.loads(ours.stdout), False)
    # docker-compose keeps a command string unsplit, as vramplan's tree does; compare as given.
    if got != want:
        return "values differ:\n  docker-compose: %s\n  vramplan:       %s" % (want, got)
    return None


def main():
    dump, cases = os.path.abspath(sys.argv[1]), os.path.abspath(sys.argv[2])
    if shutil.which("docker-compose") is None:
        print("SKIPPED: docker-compose is not installed (scripts/install-deps.sh installs it)")
        return 77
    failures = 0
    names = sorted(os.listdir(cases))
    for name in names:
        problem = run_case(dump, os.path.join(cases, name))
        print("%-40s %s" % (name, "ok" if problem is None else "FAILED"))
        if problem:
            print("  " + problem)
            failures += 1
    print("%d cases, %d failed" % (len(names), failures))
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
