#!/usr/bin/env python3
"""Drives a running datahavn with ckanapi, the reference CKAN client: its library
(`ckanapi.RemoteCKAN`) and its command line (`ckanapi action|dump|load|search ... -r URL -a KEY [-g]`).

Environment:
    DATAHAVN_URL             the server's base URL, e.g. http://127.0.0.1:5000
    DATAHAVN_SYSADMIN_TOKEN  an API token of a sysadmin
    DATAHAVN_ORG             an organization the dataset tests load into (else one is made
                             with organization_create)
    DATAHAVN_PORTALS         the real portal records (default: tests/fixtures/portals)

Run by `cargo test --test ckanapi` (tests/ckanapi.rs); standalone:
    DATAHAVN_URL=... DATAHAVN_SYSADMIN_TOKEN=... python tests/ckanapi/test_ckanapi.py
Exits non-zero when a test fails.
"""

import ast
import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
import unittest
import urllib.request
import uuid

# ckanapi reads its request timeout when it is imported; never let a request hang the run.
os.environ.setdefault("CKANAPI_REQUEST_TIMEOUT", "30")

import ckanapi  # noqa: E402

URL = os.environ.get("DATAHAVN_URL", "").rstrip("/")
SYSADMIN_TOKEN = os.environ.get("DATAHAVN_SYSADMIN_TOKEN", "")
PORTALS = os.environ.get("DATAHAVN_PORTALS") or os.path.join(
    os.path.dirname(os.path.abspath(__file__)), "..", "fixtures", "portals"
)
CLI_TIMEOUT_SECONDS = 120


def fresh_name(prefix):
    """A user name no other test uses."""
    return "{}-{}".format(prefix, uuid.uuid4().hex[:10])


def sysadmin():
    return ckanapi.RemoteCKAN(URL, apikey=SYSADMIN_TOKEN)


def anonymous():
    return ckanapi.RemoteCKAN(URL)


def as_user(token):
    return ckanapi.RemoteCKAN(URL, apikey=token)


def new_user(prefix, **fields):
    """Creates a user as the sysadmin; returns the user dict."""
    name = fresh_name(prefix)
    data = {"name": name, "email": name + "@example.org", "password": "password123"}
    data.update(fields)
    return sysadmin().action.user_create(**data)


def token_for(name, token_name="ckanapi-test"):
    return sysadmin().action.api_token_create(user=name, name=token_name)["token"]


class Cli:
    """The `ckanapi` command line, run as a subprocess.

    `ckanapi dump` starts its workers as `ckanapi ...` from PATH, so the directory of the
    command comes first on PATH. ckanapi 4.11 has no `python -m ckanapi`: use the console
    script installed beside this Python, else a shim that runs the same entry point.
    """

    def __init__(self):
        self._shim_dir = None
        bin_dir = os.path.dirname(sys.executable)
        installed = os.path.join(bin_dir, "ckanapi")
        if os.path.isfile(installed) and os.access(installed, os.X_OK):
            self.command = installed
        else:
            self._shim_dir = tempfile.mkdtemp(prefix="ckanapi-shim-")
            bin_dir = self._shim_dir
            self.command = os.path.join(bin_dir, "ckanapi")
            entry = "import sys; from ckanapi.cli.main import main; sys.argv[0] = 'ckanapi'; sys.exit(main())"
            with open(self.command, "w") as shim:
                shim.write('#!/bin/sh\nexec "{}" -c "{}" "$@"\n'.format(sys.executable, entry))
            os.chmod(self.command, 0o755)
        self.env = dict(os.environ)
        self.env["PATH"] = bin_dir + os.pathsep + self.env.get("PATH", "")

    def close(self):
        if self._shim_dir:
            shutil.rmtree(self._shim_dir, ignore_errors=True)

    def run(self, *args, apikey=None, get=False):
        command = [self.command, *args, "-r", URL]
        if apikey:
            command += ["-a", apikey]
        if get:
            command.append("-g")
        return subprocess.run(
            command, capture_output=True, text=True, env=self.env, timeout=CLI_TIMEOUT_SECONDS
        )

    def action(self, name, *args, apikey=None, get=False):
        """`ckanapi action NAME args -j`: the decoded result; fails the test on an error."""
        done = self.run("action", name, *args, "-j", apikey=apikey, get=get)
        if done.returncode != 0:
            raise AssertionError(
                "ckanapi action {} failed ({}):\n{}{}".format(name, done.returncode, done.stdout, done.stderr)
            )
        return json.loads(done.stdout)

    def action_error(self, name, *args, apikey=None, get=False):
        """`ckanapi action` that must fail: its stderr (the traceback of the exception)."""
        done = self.run("action", name, *args, "-j", apikey=apikey, get=get)
        if done.returncode == 0:
            raise AssertionError("ckanapi action {} succeeded: {}".format(name, done.stdout))
        return done.stderr


CLI = None


def setUpModule():
    global CLI
    CLI = Cli()


def tearDownModule():
    if CLI:
        CLI.close()


class SiteActions(unittest.TestCase):
    def test_status_show(self):
        status = anonymous().action.status_show()
        self.assertEqual(status["site_url"], URL)
        self.assertTrue(status["ckan_version"].startswith("2."), status)
        self.assertIsInstance(status["extensions"], list)
        for get in (False, True):
            self.assertEqual(CLI.action("status_show", get=get), status)
        self.assertEqual(CLI.action("status_show", apikey=SYSADMIN_TOKEN, get=True)["site_url"], URL)

    def test_license_list(self):
        licenses = anonymous().action.license_list()
        self.assertTrue(licenses)
        for licence in licenses:
            self.assertIsInstance(licence["id"], str)
            self.assertIsInstance(licence["title"], str)
        ids = [licence["id"] for licence in licenses]
        self.assertIn("cc-by", ids)
        for get in (False, True):
            self.assertEqual([l["id"] for l in CLI.action("license_list", get=get)], ids)

    def test_site_read(self):
        self.assertIs(anonymous().action.site_read(), True)
        self.assertIs(sysadmin().action.site_read(), True)
        for get in (False, True):
            self.assertIs(CLI.action("site_read", get=get), True)

    def test_help_show(self):
        text = anonymous().action.help_show(name="user_show")
        self.assertIsInstance(text, str)
        self.assertIn(":param id:", text)
        for get in (False, True):
            self.assertEqual(CLI.action("help_show", "name=user_show", get=get), text)
        with self.assertRaises(ckanapi.NotFound):
            anonymous().action.help_show(name="no_such_action")


class UserActions(unittest.TestCase):
    def test_create_show_and_list(self):
        created = new_user("ck-lib", fullname="Library User", about="made by RemoteCKAN")
        name = created["name"]
        self.assertEqual(created["fullname"], "Library User")
        self.assertEqual(created["email"], name + "@example.org")
        self.assertEqual(created["state"], "active")
        self.assertIs(created["sysadmin"], False)
        self.assertNotIn("password", created)

        # The CLI creates one too, KEY=STRING and KEY:JSON arguments.
        cli_name = fresh_name("ck-cli")
        cli_created = CLI.action(
            "user_create",
            "name=" + cli_name,
            "email=" + cli_name + "@example.org",
            "password=password123",
            'fullname:"CLI User"',
            apikey=SYSADMIN_TOKEN,
        )
        self.assertEqual(cli_created["name"], cli_name)
        self.assertEqual(cli_created["fullname"], "CLI User")
        self.assertEqual(cli_created["email"], cli_name + "@example.org")

        # Email: for the user themself and sysadmins, not for anyone else.
        own = as_user(token_for(name)).action.user_show(id=name)
        self.assertEqual(own["email"], name + "@example.org")
        self.assertEqual(sysadmin().action.user_show(id=created["id"])["email"], name + "@example.org")
        public = anonymous().action.user_show(id=name)
        self.assertEqual(public["id"], created["id"])
        self.assertNotIn("email", public)
        other = as_user(token_for(cli_name)).action.user_show(id=name)
        self.assertNotIn("email", other)
        for get in (False, True):
            self.assertNotIn("email", CLI.action("user_show", "id=" + cli_name, get=get))
            shown = CLI.action("user_show", "id=" + cli_name, apikey=SYSADMIN_TOKEN, get=get)
            self.assertEqual(shown["email"], cli_name + "@example.org")

        # With a key and no id, user_show is the caller.
        me = sysadmin().action.user_show()
        self.assertIs(me["sysadmin"], True)
        self.assertIn("email", me)

        # Lists: names with all_fields=false (a JSON false, or "False" in a GET query), dicts
        # otherwise.
        names = sysadmin().action.user_list(all_fields=False, limit=1000)
        self.assertIn(name, names)
        self.assertIn(cli_name, names)
        self.assertIn(me["name"], names)
        dicts = anonymous().action.user_list(q=name)
        self.assertEqual([u["name"] for u in dicts], [name])
        self.assertNotIn("email", dicts[0])
        for get in (False, True):
            listed = CLI.action("user_list", "all_fields:false", "limit:1000", apikey=SYSADMIN_TOKEN, get=get)
            self.assertIn(name, listed)
            self.assertIn(cli_name, listed)
            listed = CLI.action("user_list", "q=" + cli_name, get=get)
            self.assertEqual([u["name"] for u in listed], [cli_name])
        get_only = ckanapi.RemoteCKAN(URL, apikey=SYSADMIN_TOKEN, get_only=True)
        self.assertIn(name, get_only.action.user_list(all_fields=False, limit=1000))
        self.assertEqual(get_only.action.user_show(id=name)["email"], name + "@example.org")

    def test_patch_and_update(self):
        created = new_user("ck-edit", fullname="Before", about="first words")
        name = created["name"]
        token = token_for(name)

        # patch keeps what it is not given
        patched = sysadmin().action.user_patch(id=name, about="patched by the sysadmin")
        self.assertEqual(patched["about"], "patched by the sysadmin")
        self.assertEqual(patched["fullname"], "Before")
        self.assertEqual(patched["email"], name + "@example.org")
        patched = CLI.action("user_patch", "id=" + name, "fullname=Patched Name", apikey=token)
        self.assertEqual(patched["fullname"], "Patched Name")
        self.assertEqual(patched["about"], "patched by the sysadmin")
        self.assertEqual(patched["display_name"], "Patched Name")

        # update: email is required; fields not given keep their values (as in CKAN)
        updated = as_user(token).action.user_update(
            id=created["id"], email="new-" + name + "@example.org", fullname="Updated"
        )
        self.assertEqual(updated["fullname"], "Updated")
        self.assertEqual(updated["email"], "new-" + name + "@example.org")
        self.assertEqual(updated["about"], "patched by the sysadmin")
        updated = CLI.action(
            "user_update",
            "id=" + name,
            "email=" + name + "@example.org",
            "about=via the CLI",
            apikey=SYSADMIN_TOKEN,
        )
        self.assertEqual(updated["about"], "via the CLI")
        self.assertEqual(updated["fullname"], "Updated")
        with self.assertRaises(ckanapi.ValidationError) as raised:
            sysadmin().action.user_update(id=name, fullname="no email")
        self.assertIn("email", raised.exception.error_dict)

        # the stored state is what the actions answered
        shown = sysadmin().action.user_show(id=name)
        self.assertEqual(shown["about"], "via the CLI")
        self.assertEqual(shown["email"], name + "@example.org")

        # others may not edit, nor rename
        with self.assertRaises(ckanapi.NotAuthorized):
            anonymous().action.user_patch(id=name, about="anonymous")
        other = new_user("ck-other")
        with self.assertRaises(ckanapi.NotAuthorized):
            as_user(token_for(other["name"])).action.user_patch(id=name, about="someone else")
        with self.assertRaises(ckanapi.ValidationError) as raised:
            as_user(token).action.user_patch(id=name, name=name + "-renamed")
        self.assertIn("name", raised.exception.error_dict)
        with self.assertRaises(ckanapi.NotFound):
            sysadmin().action.user_patch(id="no-such-user-" + uuid.uuid4().hex[:8], about="x")

    def test_autocomplete(self):
        created = new_user("ck-auto", fullname="Auto Complete")
        name = created["name"]
        found = anonymous().action.user_autocomplete(q=name[:16])
        self.assertEqual(found, [{"id": created["id"], "name": name, "fullname": "Auto Complete"}])
        for get in (False, True):
            self.assertEqual(CLI.action("user_autocomplete", "q=" + name, get=get), found)
            limited = CLI.action("user_autocomplete", "q=" + name, "limit=1", apikey=SYSADMIN_TOKEN, get=get)
            self.assertEqual(limited, found)
        self.assertEqual(as_user(token_for(name)).action.user_autocomplete(q=name, ignore_self=True), [])
        self.assertEqual(anonymous().action.user_autocomplete(q="zz-nobody-" + uuid.uuid4().hex[:8]), [])

    def test_delete(self):
        doomed = new_user("ck-gone")
        name = doomed["name"]
        token = token_for(name)
        self.assertEqual(as_user(token).action.user_show()["name"], name)
        with self.assertRaises(ckanapi.NotAuthorized):
            as_user(token).action.user_delete(id=name)

        self.assertIsNone(CLI.action("user_delete", "id=" + name, apikey=SYSADMIN_TOKEN))

        with self.assertRaises(ckanapi.NotFound):
            anonymous().action.user_show(id=name)
        self.assertEqual(sysadmin().action.user_show(id=name)["state"], "deleted")
        self.assertNotIn(name, sysadmin().action.user_list(all_fields=False, limit=1000))
        self.assertEqual(anonymous().action.user_autocomplete(q=name), [])
        # a deleted user's token is anonymous
        with self.assertRaises(ckanapi.NotFound):
            as_user(token).action.user_show()
        with self.assertRaises(ckanapi.NotFound):
            as_user(token).action.user_show(id=name)

        # deleting by the library, and an unknown user
        second = new_user("ck-gone")
        self.assertIsNone(sysadmin().action.user_delete(id=second["id"]))
        self.assertEqual(sysadmin().action.user_show(id=second["name"])["state"], "deleted")
        with self.assertRaises(ckanapi.NotFound):
            sysadmin().action.user_delete(id="no-such-user-" + uuid.uuid4().hex[:8])


class ApiTokens(unittest.TestCase):
    def test_create_use_list_and_revoke(self):
        owner = new_user("ck-token")
        name = owner["name"]

        # a sysadmin creates a token for the user; the user acts with it
        created = sysadmin().action.api_token_create(user=name, name="first")
        self.assertEqual(set(created), {"token", "id"})
        first = created["token"]
        me = as_user(first).action.user_show()
        self.assertEqual(me["name"], name)
        self.assertEqual(me["email"], name + "@example.org")

        # the user creates their own, with the CLI and the first token
        second = CLI.action("api_token_create", "user=" + name, "name=second", apikey=first)
        self.assertEqual(CLI.action("user_show", apikey=second["token"], get=True)["name"], name)

        # both are listed, oldest first, without the token itself
        tokens = as_user(first).action.api_token_list(user_id=name)
        self.assertEqual([t["name"] for t in tokens], ["first", "second"])
        self.assertEqual([t["id"] for t in tokens], [created["id"], second["id"]])
        for token in tokens:
            self.assertEqual(token["user_id"], owner["id"])
            self.assertNotIn("token", token)
        for get in (False, True):
            own = CLI.action("api_token_list", "user_id=" + name, apikey=second["token"], get=get)
            self.assertEqual(own, tokens)
            by_sysadmin = CLI.action("api_token_list", "user=" + name, apikey=SYSADMIN_TOKEN, get=get)
            self.assertEqual(by_sysadmin, tokens)
        with self.assertRaises(ckanapi.NotAuthorized):
            anonymous().action.api_token_list(user_id=name)

        # revoke the first by value, using itself: from then on it is anonymous
        self.assertIsNone(as_user(first).action.api_token_revoke(token=first))
        revoked = as_user(first)
        self.assertNotIn("email", revoked.action.user_show(id=name))
        with self.assertRaises(ckanapi.NotFound):
            revoked.action.user_show()
        with self.assertRaises(ckanapi.NotAuthorized):
            revoked.action.api_token_list(user_id=name)
        with self.assertRaises(ckanapi.NotAuthorized):
            revoked.action.api_token_create(user=name, name="third")
        self.assertNotIn("email", CLI.action("user_show", "id=" + name, apikey=first, get=True))
        self.assertIn("NotAuthorized", CLI.action_error("api_token_list", "user_id=" + name, apikey=first))

        # the second still works; revoke it by id with the CLI
        remaining = as_user(second["token"]).action.api_token_list(user_id=name)
        self.assertEqual([t["id"] for t in remaining], [second["id"]])
        self.assertIsNone(CLI.action("api_token_revoke", "jti=" + second["id"], apikey=second["token"]))
        with self.assertRaises(ckanapi.NotFound):
            as_user(second["token"]).action.user_show()
        self.assertEqual(sysadmin().action.api_token_list(user_id=name), [])


class ErrorMapping(unittest.TestCase):
    def test_unknown_user_is_not_found(self):
        missing = "no-such-user-" + uuid.uuid4().hex[:8]
        with self.assertRaises(ckanapi.NotFound):
            anonymous().action.user_show(id=missing)
        with self.assertRaises(ckanapi.NotFound):
            ckanapi.RemoteCKAN(URL, get_only=True).action.user_show(id=missing)
        for get in (False, True):
            stderr = CLI.action_error("user_show", "id=" + missing, apikey=SYSADMIN_TOKEN, get=get)
            self.assertIn("ckanapi.errors.NotFound", stderr)

    def test_anonymous_user_create_is_not_authorized(self):
        name = fresh_name("ck-anon")
        with self.assertRaises(ckanapi.NotAuthorized) as raised:
            anonymous().action.user_create(name=name, email=name + "@example.org", password="password123")
        error = raised.exception.extra_msg
        self.assertEqual(error["__type"], "Authorization Error")
        self.assertTrue(error["message"].startswith("Access denied"), error)
        stderr = CLI.action_error(
            "user_create", "name=" + name, "email=" + name + "@example.org", "password=password123"
        )
        self.assertIn("ckanapi.errors.NotAuthorized", stderr)
        with self.assertRaises(ckanapi.NotFound):
            sysadmin().action.user_show(id=name)

    def test_missing_fields_are_validation_errors(self):
        with self.assertRaises(ckanapi.ValidationError) as raised:
            sysadmin().action.user_create()
        errors = raised.exception.error_dict
        self.assertEqual(errors["__type"], "Validation Error")
        for field in ("name", "email", "password"):
            self.assertIn(field, errors)
            self.assertIsInstance(errors[field], list)
        with self.assertRaises(ckanapi.ValidationError) as raised:
            sysadmin().action.user_create(name=fresh_name("ck-half"))
        errors = raised.exception.error_dict
        self.assertNotIn("name", errors)
        self.assertIn("email", errors)
        self.assertIn("password", errors)
        with self.assertRaises(ckanapi.ValidationError) as raised:
            sysadmin().action.api_token_create()
        self.assertIn("user", raised.exception.error_dict)
        self.assertIn("name", raised.exception.error_dict)
        stderr = CLI.action_error("user_create", "name=" + fresh_name("ck-half"), apikey=SYSADMIN_TOKEN)
        self.assertIn("ckanapi.errors.ValidationError", stderr)
        self.assertIn("'email'", stderr)
        self.assertIn("'password'", stderr)
        stderr = CLI.action_error("user_autocomplete", apikey=SYSADMIN_TOKEN, get=True)
        self.assertIn("ckanapi.errors.ValidationError", stderr)
        self.assertIn("'q'", stderr)

    def test_unknown_action_is_a_generic_error(self):
        # The server answers 400 with a bare JSON string; ckanapi knows no error type for that and
        # raises its base CKANAPIError with [url, status, body].
        for client in (anonymous(), sysadmin(), ckanapi.RemoteCKAN(URL, get_only=True)):
            with self.assertRaises(ckanapi.CKANAPIError) as raised:
                client.call_action("no_such_action", {"x": 1})
            error = raised.exception
            self.assertIs(type(error), ckanapi.CKANAPIError)
            url, status, body = ast.literal_eval(error.extra_msg)  # repr([url, status, response])
            self.assertEqual(url, URL + "/api/action/no_such_action")
            self.assertEqual(status, 400)
            self.assertEqual(json.loads(body), "Bad request: Action name not known: no_such_action")
        for get in (False, True):
            stderr = CLI.action_error("no_such_action", apikey=SYSADMIN_TOKEN, get=get)
            self.assertIn("ckanapi.errors.CKANAPIError", stderr)
            self.assertIn("Action name not known: no_such_action", stderr)

    def test_get_on_a_write_action_is_a_generic_error(self):
        get_only = ckanapi.RemoteCKAN(URL, apikey=SYSADMIN_TOKEN, get_only=True)
        with self.assertRaises(ckanapi.CKANAPIError) as raised:
            get_only.action.user_create(name=fresh_name("ck-get"))
        self.assertIs(type(raised.exception), ckanapi.CKANAPIError)
        self.assertIn("Please use POST", str(raised.exception))


class Dump(unittest.TestCase):
    def test_dump_and_load_organizations_and_groups(self):
        # `ckanapi dump organizations --all`: organization_list, then organization_show of each.
        site = sysadmin()
        org_name = fresh_name("ck-org")
        org = site.action.organization_create(
            name=org_name, title="Dumped Org", description="for ckanapi", foi_email="foi@example.org"
        )
        group_name = fresh_name("ck-group")
        site.action.group_create(name=group_name, title="Dumped Group")
        with tempfile.TemporaryDirectory() as directory:
            for kind, name in (("organizations", org_name), ("groups", group_name)):
                output = os.path.join(directory, kind + ".jsonl")
                done = CLI.run("dump", kind, "--all", "-O", output, apikey=SYSADMIN_TOKEN)
                self.assertEqual(done.returncode, 0, done.stdout + done.stderr)
                with open(output, encoding="utf-8") as lines:
                    dumped = {d["name"]: d for d in (json.loads(l) for l in lines if l.strip())}
                self.assertIn(name, dumped, kind)
                shown = getattr(site.action, kind[:-1] + "_show")(id=name)
                for key in ("id", "name", "title", "description", "type", "is_organization", "state"):
                    self.assertEqual(dumped[name][key], shown[key], (kind, key))
            # `ckanapi load organizations` of an edited dump line updates the organization.
            with open(os.path.join(directory, "organizations.jsonl"), encoding="utf-8") as lines:
                record = next(r for r in (json.loads(l) for l in lines if l.strip()) if r["name"] == org_name)
            record["title"] = "Reloaded Org"
            edited = os.path.join(directory, "edited.jsonl")
            with open(edited, "w", encoding="utf-8") as out:
                out.write(json.dumps(record) + "\n")
            done = CLI.run("load", "organizations", "-I", edited, apikey=SYSADMIN_TOKEN)
            self.assertEqual(done.returncode, 0, done.stdout + done.stderr)
        reloaded = site.action.organization_show(id=org_name)
        self.assertEqual(reloaded["title"], "Reloaded Org")
        self.assertEqual(reloaded["id"], org["id"])
        self.assertEqual(reloaded["foi_email"], "foi@example.org")

    def test_dump_users(self):
        users = [new_user("ck-dump", fullname="Dumped {}".format(i)) for i in range(2)]
        me = sysadmin().action.user_show()
        with tempfile.TemporaryDirectory() as directory:
            output = os.path.join(directory, "users.jsonl")
            done = CLI.run("dump", "users", "--all", "-O", output, apikey=SYSADMIN_TOKEN)
            self.assertEqual(done.returncode, 0, done.stdout + done.stderr)
            with open(output, encoding="utf-8") as lines:
                dumped = [json.loads(line) for line in lines if line.strip()]
        by_name = {user["name"]: user for user in dumped}
        self.assertEqual(len(by_name), len(dumped), "a user is dumped twice")
        for user in users + [me]:
            self.assertIn(user["name"], by_name)
            record = by_name[user["name"]]
            self.assertEqual(record["id"], user["id"])
            self.assertEqual(record["email"], user["email"])
            self.assertIn("password_hash", record)  # dump asks for it; a sysadmin gets it
        for user in dumped:
            self.assertEqual(user["state"], "active")
            self.assertEqual(list(user), sorted(user))  # ckanapi sorts the keys

        # -g: the same with GET requests, JSON lines on stdout
        done = CLI.run("dump", "users", "--all", "-q", apikey=SYSADMIN_TOKEN, get=True)
        self.assertEqual(done.returncode, 0, done.stdout + done.stderr)
        dumped_get = [json.loads(line) for line in done.stdout.splitlines() if line.strip()]
        names_get = [user["name"] for user in dumped_get]
        for user in users + [me]:
            self.assertIn(user["name"], names_get)

        # without a key: public fields only
        done = CLI.run("dump", "users", users[0]["name"], "-q")
        self.assertEqual(done.returncode, 0, done.stdout + done.stderr)
        [public] = [json.loads(line) for line in done.stdout.splitlines() if line.strip()]
        self.assertEqual(public["id"], users[0]["id"])
        self.assertNotIn("email", public)
        self.assertNotIn("password_hash", public)

    def test_load_users_round_trip(self):
        # `ckanapi load users` sends whole dumped dicts back: user_update for a user that exists
        # (found by id, else name), user_create (with id and password_hash) for one that does not.
        original = new_user("ck-load", fullname="Before Load")
        done = CLI.run("dump", "users", original["name"], "-q", apikey=SYSADMIN_TOKEN)
        self.assertEqual(done.returncode, 0, done.stdout + done.stderr)
        [record] = [json.loads(line) for line in done.stdout.splitlines() if line.strip()]
        record["fullname"] = "After Load"
        twin = dict(record)
        twin_name = fresh_name("ck-load")
        twin.update(id=str(uuid.uuid4()), name=twin_name, email=twin_name + "@example.org", fullname="Twin")
        with tempfile.TemporaryDirectory() as directory:
            lines = os.path.join(directory, "users.jsonl")
            with open(lines, "w", encoding="utf-8") as out:
                for obj in (record, twin):
                    out.write(json.dumps(obj) + "\n")
            done = CLI.run("load", "users", "-I", lines, apikey=SYSADMIN_TOKEN)
        self.assertEqual(done.returncode, 0, done.stdout + done.stderr)
        self.assertNotIn("Error", done.stderr, done.stderr)
        updated = sysadmin().action.user_show(id=original["id"], include_password_hash=True)
        self.assertEqual(updated["fullname"], "After Load")
        self.assertEqual(updated["email"], original["email"])
        created = sysadmin().action.user_show(id=twin["id"], include_password_hash=True)
        self.assertEqual(created["name"], twin_name)
        self.assertEqual(created["fullname"], "Twin")
        self.assertEqual(created["password_hash"], record["password_hash"])


# Keys CKAN computes or owns (ignored on input), and the default schema's own keys.
COMPUTED = {
    "organization", "num_resources", "num_tags", "license_title", "license_url", "isopen",
    "creator_user_id", "relationships_as_subject", "relationships_as_object", "revision_id",
    "tracking_summary", "metadata_created", "metadata_modified", "tag_string", "plugin_data",
}
SCHEMA = {
    "id", "name", "title", "author", "author_email", "maintainer", "maintainer_email", "notes",
    "url", "version", "license_id", "state", "type", "private", "owner_org", "extras",
    "resources", "tags", "groups",
}
RESOURCE_OWN = {
    "id", "url", "format", "size", "package_id", "position", "revision_id", "tracking_summary",
    "metadata_modified",
}


def organization():
    """The organization datasets are loaded into."""
    name = os.environ.get("DATAHAVN_ORG")
    if not name:
        name = fresh_name("ck-org")
        sysadmin().action.organization_create(name=name)
    return name


def real_records():
    """A few real records, as a harvester would send them to this site: the ckanapi dump of
    open.canada.ca (4 datasets), two Norwegian ones and a data.gov.uk INSPIRE record with many
    extras. Their organization is this site's; groups, which do not exist here, are left out."""
    records = []
    with open(os.path.join(PORTALS, "open.canada.ca-package_dump-1.jsonl"), encoding="utf-8") as lines:
        records += [json.loads(line) for line in lines if line.strip()]
    with open(os.path.join(PORTALS, "data.smartbydata.no-package_list-1.json"), encoding="utf-8") as f:
        records += json.load(f)[:2]
    with open(os.path.join(PORTALS, "data.gov.uk-package_show-3.json"), encoding="utf-8") as f:
        records.append(json.load(f)["result"])
    org = organization()
    for record in records:
        record["owner_org"] = org
        record.pop("organization", None)
        record.pop("groups", None)
    return records


def assert_intact(test, sent, shown):
    """What package_show gives back holds what was sent: free-form keys as sent, core text,
    tags, extras (as strings) and every resource's own keys."""
    for key, value in sent.items():
        if key in COMPUTED or key in SCHEMA:
            continue
        test.assertEqual(shown.get(key), value, key)
    for key in ("name", "notes", "author", "maintainer", "license_id", "version"):
        if key in sent:
            test.assertEqual(shown[key], sent[key], key)
    test.assertEqual(shown["title"], (sent.get("title") or sent["name"]).strip())
    test.assertEqual(
        sorted(tag["name"] for tag in shown["tags"]),
        sorted({tag["name"].strip() for tag in sent.get("tags") or []}),
    )
    extras = {e["key"]: e["value"] if isinstance(e["value"], str) else json.dumps(e["value"], separators=(",", ":"))
              for e in sent.get("extras") or []}
    test.assertEqual({e["key"]: e["value"] for e in shown["extras"]}, extras)
    test.assertEqual(len(shown["resources"]), len(sent["resources"]))
    for sent_resource, shown_resource in zip(sent["resources"], shown["resources"]):
        for key, value in sent_resource.items():
            if key not in RESOURCE_OWN:
                test.assertEqual(shown_resource.get(key), value, "resource " + key)
        if sent_resource.get("id"):
            test.assertEqual(shown_resource["id"], sent_resource["id"])


def write_lines(path, records):
    with open(path, "w", encoding="utf-8") as out:
        for record in records:
            out.write(json.dumps(record, ensure_ascii=False) + "\n")


def load_report(stderr):
    """`ckanapi load` reports a line per record: `finished job_ids stats action error response`."""
    report = []
    for line in stderr.splitlines():
        match = re.match(r"^\d+ \[[^\]]*\] \S+ (\w+) (\S+)", line)
        if match:
            report.append(match.groups())
    return report


class Search(unittest.TestCase):
    """package_search through ckanapi: the library's calls and `ckanapi search datasets`, which
    pages through every result 1000 rows at a time."""

    @classmethod
    def setUpClass(cls):
        org = organization()
        cls.word = "zq" + uuid.uuid4().hex[:8]  # a word no other dataset has
        cls.public = sorted(fresh_name("ck-search") for _ in range(3))
        for i, name in enumerate(cls.public):
            sysadmin().action.package_create(
                name=name, owner_org=org, notes="about " + cls.word,
                tags=[{"name": cls.word}, {"name": "even" if i % 2 == 0 else "odd"}],
                resources=[{"url": "http://example.org/x.csv", "format": "CSV"}],
            )
        cls.private = fresh_name("ck-search-private")
        sysadmin().action.package_create(name=cls.private, owner_org=org, notes="about " + cls.word, private=True)

    def test_library_query_filters_facets_sort_and_paging(self):
        found = anonymous().action.package_search(q=self.word, rows=100)
        self.assertEqual(found["count"], 3)
        self.assertEqual(sorted(d["name"] for d in found["results"]), self.public)
        self.assertEqual(list(found), ["count", "facets", "results", "sort", "search_facets"])

        both = sysadmin().action.package_search(q=self.word, include_private=True, rows=100)
        self.assertEqual(both["count"], 4, "a sysadmin with include_private")
        self.assertEqual(anonymous().action.package_search(q=self.word, include_private=True)["count"], 3)

        faceted = anonymous().action.package_search(
            fq="tags:" + self.word, **{"facet.field": ["tags", "res_format"], "facet.limit": -1}
        )
        self.assertEqual(faceted["facets"]["tags"], {self.word: 3, "even": 2, "odd": 1})
        self.assertEqual(faceted["facets"]["res_format"], {"CSV": 3})
        items = faceted["search_facets"]["tags"]["items"]
        self.assertEqual(sum(item["count"] for item in items), 6)

        ordered = anonymous().action.package_search(q=self.word, sort="name desc")
        self.assertEqual([d["name"] for d in ordered["results"]], list(reversed(self.public)))
        self.assertEqual(ordered["sort"], "name desc")
        pages = [
            anonymous().action.package_search(q=self.word, sort="id asc", rows=2, start=start)["results"]
            for start in (0, 2, 4)
        ]
        self.assertEqual([len(page) for page in pages], [2, 1, 0])
        self.assertEqual(sorted(d["name"] for page in pages for d in page), self.public)

        with self.assertRaises(ckanapi.SearchQueryError):
            anonymous().action.package_search(q="title:(unclosed")
        with self.assertRaises(ckanapi.SearchQueryError):
            anonymous().action.package_search(sort="bogus asc")

    def test_cli_search_datasets_pages_through_everything(self):
        done = CLI.run("search", "datasets", "q=" + self.word)
        self.assertEqual(done.returncode, 0, done.stdout + done.stderr)
        names = sorted(json.loads(line)["name"] for line in done.stdout.splitlines() if line.strip())
        self.assertEqual(names, self.public)
        done = CLI.run("search", "datasets", "q=" + self.word, "include_private:true", apikey=SYSADMIN_TOKEN)
        self.assertEqual(done.returncode, 0, done.stdout + done.stderr)
        names = sorted(json.loads(line)["name"] for line in done.stdout.splitlines() if line.strip())
        self.assertEqual(names, sorted(self.public + [self.private]))


class Datasets(unittest.TestCase):
    def test_load_real_records_then_load_again_updates(self):
        records = real_records()
        with tempfile.TemporaryDirectory() as directory:
            lines = os.path.join(directory, "datasets.jsonl")
            write_lines(lines, records)
            done = CLI.run("load", "datasets", "-I", lines, apikey=SYSADMIN_TOKEN)
            self.assertEqual(done.returncode, 0, done.stdout + done.stderr)
            self.assertEqual(load_report(done.stderr), [("create", "None")] * len(records), done.stderr)
            first = {}
            for record in records:
                shown = sysadmin().action.package_show(id=record["id"])
                assert_intact(self, record, shown)
                first[record["id"]] = shown

            # Loaded again, with two changes: every line is an update (ckanapi finds each by id);
            # what did not change keeps its metadata_modified.
            changed = dict(records[0])
            changed["notes"] = "Notes changed by the second load"
            changed["portal_release_date"] = "2024-01-01"
            renamed = dict(records[4])
            del renamed["id"]  # found by name this time
            second = [changed] + records[1:4] + [renamed] + records[5:]
            write_lines(lines, second)
            done = CLI.run("load", "datasets", "-I", lines, apikey=SYSADMIN_TOKEN)
            self.assertEqual(done.returncode, 0, done.stdout + done.stderr)
            self.assertEqual(load_report(done.stderr), [("update", "None")] * len(records), done.stderr)
        shown = sysadmin().action.package_show(id=records[0]["id"])
        self.assertEqual(shown["notes"], "Notes changed by the second load")
        self.assertEqual(shown["portal_release_date"], "2024-01-01")
        assert_intact(self, changed, shown)
        for record in records[1:]:
            again = sysadmin().action.package_show(id=record["id"])
            self.assertEqual(again, first[record["id"]], record["name"])

        # A line that fails is reported, and ckanapi exits with 3.
        with tempfile.TemporaryDirectory() as directory:
            lines = os.path.join(directory, "bad.jsonl")
            bad = dict(records[0], id=str(uuid.uuid4()), name="Not A Valid Name")
            write_lines(lines, [bad])
            done = CLI.run("load", "datasets", "-I", lines, apikey=SYSADMIN_TOKEN)
        self.assertEqual(done.returncode, 3, done.stdout + done.stderr)
        [(action, error)] = load_report(done.stderr)
        self.assertEqual((action, error), ("create", "ValidationError"))
        self.assertIn("Must be purely lowercase alphanumeric", done.stderr)

    def test_dump_datasets_equals_package_show(self):
        org = organization()
        names = [fresh_name("ck-dump-ds") for _ in range(2)]
        for name in names:
            sysadmin().action.package_create(
                name=name, owner_org=org, title="Dumped æøå", notes="for **dump**",
                tags=[{"name": "Dump Tag"}], extras=[{"key": "k", "value": "v"}],
                resources=[{"url": "http://example.org/a.csv", "custom": {"nested": [1, 2]}}],
                contact_points=[{"name": "Odense"}],
            )
        hidden = fresh_name("ck-dump-private")
        sysadmin().action.package_create(name=hidden, owner_org=org, private=True)
        with tempfile.TemporaryDirectory() as directory:
            output = os.path.join(directory, "datasets.jsonl")
            done = CLI.run("dump", "datasets", "--all", "-O", output, apikey=SYSADMIN_TOKEN)
            self.assertEqual(done.returncode, 0, done.stdout + done.stderr)
            with open(output, encoding="utf-8") as lines:
                dumped = [json.loads(line) for line in lines if line.strip()]
        by_name = {dataset["name"]: dataset for dataset in dumped}
        self.assertEqual(len(by_name), len(dumped), "a dataset is dumped twice")
        for name in names:
            self.assertIn(name, by_name)
        self.assertNotIn(hidden, by_name)  # package_list lists public datasets only
        self.assertEqual(sorted(by_name), sorted(anonymous().action.package_list()))
        for dataset in dumped:
            self.assertEqual(dataset, sysadmin().action.package_show(id=dataset["id"]))
            self.assertEqual(list(dataset), sorted(dataset))
        self.assertEqual(by_name[names[0]]["resources"][0]["custom"], {"nested": [1, 2]})

        # -g and no key: the same lines on stdout
        done = CLI.run("dump", "datasets", "--all", "-q", get=True)
        self.assertEqual(done.returncode, 0, done.stdout + done.stderr)
        dumped_get = [json.loads(line) for line in done.stdout.splitlines() if line.strip()]
        self.assertEqual(sorted(d["name"] for d in dumped_get), sorted(by_name))
        for dataset in dumped_get:
            self.assertEqual(dataset, by_name[dataset["name"]])

    def test_action_package_show(self):
        org = organization()
        name = fresh_name("ck-show")
        created = sysadmin().action.package_create(
            name=name, owner_org=org, title="  Shown  ", resources=[{"url": "http://example.org/x.json"}]
        )
        self.assertEqual(created["title"], "Shown")
        shown = anonymous().action.package_show(id=name)
        self.assertEqual(shown, created)
        self.assertEqual(sysadmin().action.package_show(id=created["id"]), created)
        for get in (False, True):
            self.assertEqual(CLI.action("package_show", "id=" + name, get=get), created)
            self.assertEqual(CLI.action("package_show", "id=" + created["id"], apikey=SYSADMIN_TOKEN, get=get), created)
        get_only = ckanapi.RemoteCKAN(URL, get_only=True)
        self.assertEqual(get_only.action.package_show(id=name), created)


class DatasetErrors(unittest.TestCase):
    def test_unknown_dataset_is_not_found(self):
        missing = "no-such-dataset-" + uuid.uuid4().hex[:8]
        for client in (anonymous(), sysadmin(), ckanapi.RemoteCKAN(URL, get_only=True)):
            with self.assertRaises(ckanapi.NotFound):
                client.action.package_show(id=missing)
        with self.assertRaises(ckanapi.NotFound):
            sysadmin().action.package_update(id=missing, name=missing)
        with self.assertRaises(ckanapi.NotFound):
            sysadmin().action.package_patch(id=missing, title="x")
        with self.assertRaises(ckanapi.NotFound):
            sysadmin().action.package_delete(id=missing)
        with self.assertRaises(ckanapi.NotFound):
            sysadmin().action.resource_show(id=missing)
        for get in (False, True):
            stderr = CLI.action_error("package_show", "id=" + missing, apikey=SYSADMIN_TOKEN, get=get)
            self.assertIn("ckanapi.errors.NotFound", stderr)

    def test_writes_and_private_reads_are_not_authorized(self):
        org = organization()
        name = fresh_name("ck-private")
        sysadmin().action.package_create(name=name, owner_org=org, private=True)
        with self.assertRaises(ckanapi.NotAuthorized):
            anonymous().action.package_show(id=name)
        outsider = new_user("ck-outsider")
        as_outsider = as_user(token_for(outsider["name"]))
        with self.assertRaises(ckanapi.NotAuthorized):
            as_outsider.action.package_show(id=name)
        with self.assertRaises(ckanapi.NotAuthorized):
            as_outsider.action.package_patch(id=name, title="not mine")
        with self.assertRaises(ckanapi.NotAuthorized):
            as_outsider.action.package_create(name=fresh_name("ck-nope"), owner_org=org)
        with self.assertRaises(ckanapi.NotAuthorized) as raised:
            anonymous().action.package_create(name=fresh_name("ck-anon"), owner_org=org)
        self.assertEqual(raised.exception.extra_msg["__type"], "Authorization Error")
        stderr = CLI.action_error("package_show", "id=" + name)
        self.assertIn("ckanapi.errors.NotAuthorized", stderr)
        stderr = CLI.action_error("package_create", "name=" + fresh_name("ck-cli-anon"), "owner_org=" + org)
        self.assertIn("ckanapi.errors.NotAuthorized", stderr)
        self.assertEqual(sysadmin().action.package_show(id=name)["private"], True)

    def test_invalid_datasets_are_validation_errors(self):
        org = organization()
        with self.assertRaises(ckanapi.ValidationError) as raised:
            sysadmin().action.package_create(name="Not Valid!", owner_org=org, tags=[{"name": "x"}])
        errors = raised.exception.error_dict
        self.assertEqual(errors["__type"], "Validation Error")
        self.assertIn("name", errors)
        self.assertIn("tags", errors)
        with self.assertRaises(ckanapi.ValidationError) as raised:
            sysadmin().action.package_create(name=fresh_name("ck-no-org"))
        self.assertEqual(raised.exception.error_dict["owner_org"], ["An organization must be provided"])
        with self.assertRaises(ckanapi.ValidationError) as raised:
            sysadmin().action.package_create(name=fresh_name("ck-bad-org"), owner_org="no-such-org")
        self.assertEqual(raised.exception.error_dict["owner_org"], ["Organization does not exist"])
        taken = fresh_name("ck-taken")
        sysadmin().action.package_create(name=taken, owner_org=org)
        with self.assertRaises(ckanapi.ValidationError) as raised:
            sysadmin().action.package_create(name=taken, owner_org=org)
        self.assertEqual(raised.exception.error_dict["name"], ["That URL is already in use."])
        with self.assertRaises(ckanapi.ValidationError) as raised:
            sysadmin().action.package_update(title="no id")
        self.assertIn("id", raised.exception.error_dict)
        stderr = CLI.action_error("package_create", "name=Bad Name", "owner_org=" + org, apikey=SYSADMIN_TOKEN)
        self.assertIn("ckanapi.errors.ValidationError", stderr)
        self.assertIn("'name'", stderr)


class ResourceFiles(unittest.TestCase):
    """Uploads as ckanapi sends them (`upload@FILE` on the command line, a file object in the
    library: a multipart/form-data POST with the other keys as form fields), downloaded back
    from the URL the resource then has."""

    @classmethod
    def setUpClass(cls):
        cls.dataset = sysadmin().action.package_create(name=fresh_name("ck-files"), owner_org=organization())
        cls.dir = tempfile.mkdtemp(prefix="datahavn-ckanapi-")

    @classmethod
    def tearDownClass(cls):
        shutil.rmtree(cls.dir, ignore_errors=True)

    def write(self, name, content):
        path = os.path.join(self.dir, name)
        with open(path, "wb") as f:
            f.write(content)
        return path

    @staticmethod
    def download(url, token=None):
        request = urllib.request.Request(url, headers={"Authorization": token} if token else {})
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status, response.headers, response.read()

    def test_cli_upload_then_download(self):
        content = b"kommune,antal\nOdense,205000\n"
        path = self.write("Counts 2024.CSV", content)
        created = CLI.action(
            "resource_create",
            "package_id=" + self.dataset["id"],
            "name=Counts",
            "upload@" + path,
            apikey=SYSADMIN_TOKEN,
        )
        self.assertEqual(created["url_type"], "upload")
        self.assertEqual(created["size"], len(content))
        self.assertEqual(created["mimetype"], "text/csv")
        self.assertEqual(created["hash"], hashlib.sha256(content).hexdigest())
        self.assertEqual(
            created["url"],
            "{}/dataset/{}/resource/{}/download/counts-2024.csv".format(URL, self.dataset["id"], created["id"]),
        )
        status, headers, body = self.download(created["url"])
        self.assertEqual((status, body), (200, content))
        self.assertEqual(headers["Content-Type"], "text/csv")

        # resource_patch with another file, through the library (a file object).
        replacement = b'{"Odense": 205000}'
        with open(self.write("counts.json", replacement), "rb") as f:
            patched = sysadmin().action.resource_patch(id=created["id"], upload=f)
        self.assertEqual(patched["name"], "Counts")
        self.assertEqual(patched["size"], len(replacement))
        self.assertTrue(patched["url"].endswith("/download/counts.json"), patched["url"])
        self.assertEqual(self.download(patched["url"])[2], replacement)
        # The CSV uploaded first is being loaded into the DataStore in the background, which may
        # mark the resource datastore_active meanwhile.
        settled = lambda r: {k: v for k, v in r.items() if k not in ("datastore_active", "metadata_modified")}
        self.assertEqual(settled(sysadmin().action.resource_show(id=created["id"])), settled(patched))

    def test_library_upload_limits_and_permissions(self):
        user = new_user("ck-files-outsider")
        with open(self.write("x.txt", b"x"), "rb") as f:
            with self.assertRaises(ckanapi.NotAuthorized):
                as_user(token_for(user["name"])).action.resource_create(package_id=self.dataset["id"], upload=f)
        big = self.write("big.bin", b"0" * (10 * 1024 * 1024 + 1))
        stderr = CLI.action_error(
            "resource_create", "package_id=" + self.dataset["id"], "upload@" + big, apikey=SYSADMIN_TOKEN
        )
        self.assertIn("ckanapi.errors.ValidationError", stderr)
        self.assertIn("File upload too large", stderr)


class DataStore(unittest.TestCase):
    """The DataStore through ckanapi: a CSV uploaded with `upload@FILE` is loaded by the server
    and read back with datastore_search; a table made with datastore_create is written, searched
    with filters, queried with SQL and refused to those who may not read it."""

    @classmethod
    def setUpClass(cls):
        cls.org = organization()
        cls.dataset = sysadmin().action.package_create(name=fresh_name("ck-datastore"), owner_org=cls.org)
        cls.dir = tempfile.mkdtemp(prefix="datahavn-ckanapi-datastore-")

    @classmethod
    def tearDownClass(cls):
        shutil.rmtree(cls.dir, ignore_errors=True)

    def wait_for_load(self, resource_id):
        deadline = time.time() + 60
        while time.time() < deadline:
            status = sysadmin().action.xloader_status(resource_id=resource_id)
            if status["status"] in ("complete", "error"):
                return status
            time.sleep(0.1)
        self.fail("the load of {} did not end".format(resource_id))

    def test_uploaded_csv_is_loaded_and_read_back(self):
        path = os.path.join(self.dir, "parking.csv")
        with open(path, "w", encoding="utf-8") as f:
            f.write("street,spaces,checked\nVestergade,120,2024-05-01\nAlbanigade,-3,2024-05-02\nNørregade,45,2024-05-03\n")
        created = CLI.action(
            "resource_create", "package_id=" + self.dataset["id"], "name=Parking", "upload@" + path,
            apikey=SYSADMIN_TOKEN,
        )
        status = self.wait_for_load(created["id"])
        self.assertEqual(status["status"], "complete", status)
        found = anonymous().action.datastore_search(resource_id=created["id"], sort="spaces desc")
        self.assertEqual(found["total"], 3)
        self.assertEqual([r["street"] for r in found["records"]], ["Vestergade", "Nørregade", "Albanigade"])
        self.assertEqual([f["type"] for f in found["fields"]], ["int", "text", "numeric", "timestamp"])
        by_cli = CLI.action("datastore_search", "resource_id=" + created["id"], 'filters={"street": "Vestergade"}')
        self.assertEqual(by_cli["records"][0]["spaces"], 120)
        self.assertEqual(sysadmin().action.resource_show(id=created["id"])["datastore_active"], True)

    def test_datastore_create_upsert_search_sql_and_privacy(self):
        made = sysadmin().action.datastore_create(
            resource={"package_id": self.dataset["id"], "name": "Air"},
            fields=[{"id": "station", "type": "text"}, {"id": "pm10", "type": "numeric"}],
            primary_key=["station"],
            records=[{"station": "Odense", "pm10": 12.5}, {"station": "Dalum", "pm10": 8}],
        )
        resource_id = made["resource_id"]
        sysadmin().action.datastore_upsert(resource_id=resource_id, records=[{"station": "Dalum", "pm10": 9}])
        found = anonymous().action.datastore_search(resource_id=resource_id, q="dalum")
        self.assertEqual(found["records"][0]["pm10"], 9)
        rows = anonymous().action.datastore_search_sql(
            sql='SELECT station FROM "{}" WHERE pm10 > 10'.format(resource_id)
        )["records"]
        self.assertEqual(rows, [{"station": "Odense"}])
        with self.assertRaises(ckanapi.NotAuthorized):
            anonymous().action.datastore_search_sql(sql="SELECT * FROM pg_catalog.pg_user")
        with self.assertRaises(ckanapi.ValidationError):
            anonymous().action.datastore_search(resource_id=resource_id, filters={"nope": 1})
        with self.assertRaises(ckanapi.NotAuthorized):
            anonymous().action.datastore_upsert(resource_id=resource_id, records=[{"station": "X"}])
        secret = sysadmin().action.package_create(name=fresh_name("ck-datastore-private"), owner_org=self.org, private=True)
        hidden = sysadmin().action.datastore_create(
            resource={"package_id": secret["id"]}, records=[{"a": 1}]
        )["resource_id"]
        with self.assertRaises(ckanapi.NotAuthorized):
            anonymous().action.datastore_search(resource_id=hidden)
        self.assertEqual(sysadmin().action.datastore_search(resource_id=hidden)["total"], 1)
        with self.assertRaises(ckanapi.NotFound):
            anonymous().action.datastore_search(resource_id="no-such-table")


if __name__ == "__main__":
    if not URL or not SYSADMIN_TOKEN:
        sys.stderr.write("set DATAHAVN_URL and DATAHAVN_SYSADMIN_TOKEN\n")
        sys.exit(2)
    from ckanapi.version import __version__ as ckanapi_version

    location = os.path.dirname(ckanapi.__file__)
    sys.stderr.write("ckanapi {} ({}) against {}\n".format(ckanapi_version, location, URL))
    unittest.main(verbosity=2)
