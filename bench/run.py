#!/usr/bin/env python3
"""Helper of bench/run.sh: the request lists, wrk's figures, the three-node test, the table.

    run.py words RECORDS_JSONL OUT_JSON
        ~200 free-text words from the records' titles and notes, and organization/tag pairs.
    run.py lists BASE_URL WORDS_JSON LUA_DIR INFO_JSON
        Asks the running server for every dataset name (package_list), every organization
        (organization_list) and the range of metadata_modified, and writes one wrk Lua script per
        request kind into LUA_DIR (every path ready, URL-encoded; Lua only picks one at random)
        and LUA_DIR/names.txt. INFO_JSON gets the matches of 20 sampled searches of each kind.
    run.py body BASE_URL NAMES_TXT OUT_FILE
        Writes the package_show response (the exact bytes) of the dataset whose response is
        closest to the mean size among the catalogue's distinct records; prints name, bytes and
        that mean.
    run.py warm BASE_URL NAMES_TXT
        The warm-up before the figures: package_show of every dataset once, on 8 connections;
        prints the seconds it took.
    run.py wrk RESULTS BACKEND KEY CONNECTIONS RSS_KB WRK_OUTPUT...
        Parses wrk's output of each round and appends a row (medians, sums of errors).
    run.py set RESULTS BACKEND KEY VALUE          (a string)
    run.py setjson RESULTS BACKEND KEY JSON
    run.py nodes RESULTS NAMES_TXT TOKEN URL_A URL_B URL_C [TIMES]
        package_patch on A, then package_show on B and C every 5 ms until the new notes appear.
    run.py table RESULTS
        Prints the markdown table.

Standard library only.
"""

import collections
import http.client
import json
import os
import random
import re
import statistics
import sys
import time
import urllib.parse
import urllib.request
import uuid

ACTION = "/api/3/action/"
# (key, label) in the order of the table; the keys are also the Lua file names.
QUERIES = [
    ("show", "`package_show`, random dataset"),
    ("text", "`package_search` `q=<word>`, random word"),
    ("facets", "`package_search` `fq=organization:X AND tags:\"Y\"`, 3 facet fields"),
    ("range", "`package_search` `fq=metadata_modified:[A TO B]`, `sort=id asc`, `rows=100`"),
    ("list", "`package_list` (every name)"),
    ("current", "`current_package_list_with_resources` `limit=10`, random offset"),
    ("org", "`organization_show`, random organization"),
]
MATCH_LABELS = {"text": "`q`", "facets": "organization AND tag", "range": "`metadata_modified` window"}
LIMIT_LABEL = "**limit**: bare actix-web, fixed body"
STOP = set("""about after also among been before being between both could data dataset datasets each
from have however into just more most must only other over same shall should since some such than
that their them then there these they this those through under upon very were what when where which
while will with within would your dies ist und der die das den dem des ein eine einer eines mit von
für fur auf aus bei nach oder sind wird werden zum zur dans pour avec sont une les des aux par sur
della delle degli dati sono anche come alla nella""".split())


def get_json(base, path):
    with urllib.request.urlopen(base + path, timeout=120) as response:
        return json.load(response)


def q(value):
    return urllib.parse.quote(str(value), safe="")


# --- words ---------------------------------------------------------------------------------------


def words(records_path, out_path):
    """Words and (organization, tag) pairs from the first 1,000 records: the generator repeats
    the same ~200 package dicts, so these are every distinct record."""
    documents = collections.Counter()  # word -> distinct records it appears in
    pairs = collections.Counter()
    seen = set()
    with open(records_path, encoding="utf-8") as f:
        for n, line in enumerate(f):
            if n >= 1000:
                break
            record = json.loads(line)
            key = (record.get("title"), record.get("notes"), record.get("owner_org"))
            if key in seen:
                continue
            seen.add(key)
            text = " ".join(str(record.get(field) or "") for field in ("title", "notes"))
            text = re.sub(r"https?://\S+", " ", text)
            found = {w.lower() for w in re.findall(r"[^\W\d_]{4,20}", text)}
            documents.update(w for w in found if w not in STOP)
            if not record.get("private") and record.get("state", "active") == "active":
                for tag in record.get("tags") or []:
                    pairs[(record["owner_org"], tag["name"])] += 1
    rng = random.Random(20261126)
    # Words found in at least two distinct records (not one record's oddities), 200 at random:
    # common and rare ones, so the number of matches varies from word to word.
    candidates = sorted(w for w, df in documents.items() if df >= 2)
    chosen = rng.sample(candidates, min(200, len(candidates)))
    chosen_pairs = rng.sample(sorted(pairs), min(200, len(pairs)))
    with open(out_path, "w", encoding="utf-8") as out:
        json.dump({"words": chosen, "pairs": chosen_pairs, "distinct_records": len(seen)}, out)
    sys.stderr.write("{} distinct records: {} words, {} organization/tag pairs\n".format(
        len(seen), len(chosen), len(chosen_pairs)))


# --- warm-up -------------------------------------------------------------------------------------


def warm(base, names_path):
    """package_show of every dataset once (8 keep-alive connections): the read cache then holds
    what a server that has run a while holds."""
    import concurrent.futures
    with open(names_path, encoding="utf-8") as f:
        names = [line.strip() for line in f if line.strip()]
    host = urllib.parse.urlsplit(base)

    def ask(part):
        connection = http.client.HTTPConnection(host.hostname, host.port, timeout=60)
        for name in part:
            connection.request("GET", ACTION + "package_show?id=" + q(name))
            response = connection.getresponse()
            response.read()
            if response.status != 200:
                raise SystemExit("warm-up: package_show?id={} answered {}".format(name, response.status))
        connection.close()

    started = time.monotonic()
    with concurrent.futures.ThreadPoolExecutor(8) as pool:
        list(pool.map(ask, [names[i::8] for i in range(8)]))
    print("{:.1f}".format(time.monotonic() - started))


# --- Lua -----------------------------------------------------------------------------------------

LUA_HEAD = """-- Generated by bench/run.py: every path is ready (URL-encoded); a random one per request.
local paths = {}
local function add(chunk) for i = 1, #chunk do paths[#paths + 1] = chunk[i] end end
"""
LUA_TAIL = """
local threads = 0
function setup(thread)
  threads = threads + 1
  thread:set("thread_number", threads)
end
function init(args)
  math.randomseed(os.time() * 1000 + (thread_number or 0) * 7919)
  for _ = 1, 10 do math.random() end
end
function request()
  return wrk.format("GET", paths[math.random(#paths)])
end
"""


def write_lua(path, paths):
    assert paths, path
    with open(path, "w", encoding="ascii") as out:
        out.write(LUA_HEAD)
        # LuaJIT allows at most 65,536 constants per function: one function per 10,000 paths.
        for start in range(0, len(paths), 10000):
            out.write("add((function() return {\n")
            for p in paths[start:start + 10000]:
                assert re.fullmatch(r"[!#-\[\]-~]+", p), p  # printable ASCII, no quote/backslash
                out.write('"{}",\n'.format(p))
            out.write("} end)())\n")
        out.write(LUA_TAIL)


def utc(timestamp):
    """A stored `metadata_modified` (UTC, without zone) as the query syntax writes it."""
    return timestamp if timestamp.endswith("Z") else timestamp + "Z"


def lists(base, words_path, lua_dir, info_path):
    with open(words_path, encoding="utf-8") as f:
        chosen = json.load(f)
    names = get_json(base, ACTION + "package_list")["result"]
    orgs = get_json(base, ACTION + "organization_list")["result"]
    search = ACTION + "package_search"
    # metadata_modified at 21 quantiles of the catalogue (the records repeat, and those without
    # one got the time of the load: the dates are far from uniform); each window spans 1 to 6
    # twentieths of the datasets, from a random quantile.
    count = get_json(base, search + "?rows=0")["result"]["count"]
    quantiles = []
    for i in range(21):
        start = min(count - 1, round(i * (count - 1) / 20))
        found = get_json(base, search + "?rows=1&start={}&sort=".format(start) + q("metadata_modified asc"))
        quantiles.append(found["result"]["results"][0]["metadata_modified"])
    rng = random.Random(42)
    facets = q(json.dumps(["organization", "tags", "res_format"], separators=(",", ":")))
    windows = []
    for _ in range(200):
        width = rng.randint(1, 6)
        start = rng.randrange(0, 21 - width)
        windows.append((utc(quantiles[start]), utc(quantiles[start + width])))
    paths = {
        "show": [ACTION + "package_show?id=" + q(n) for n in names],
        "text": [search + "?q=" + q(w) for w in chosen["words"]],
        "facets": [search + "?fq=" + q('organization:{} AND tags:"{}"'.format(o, t)) + "&facet.field=" + facets
                   for o, t in chosen["pairs"]],
        "range": [search + "?fq=" + q("metadata_modified:[{} TO {}]".format(a, b)) + "&sort=" + q("id asc")
                  + "&rows=100" for a, b in windows],
        "list": [ACTION + "package_list"],
        "current": [ACTION + "current_package_list_with_resources?limit=10&offset={}".format(rng.randrange(max(1, len(names) - 10)))
                    for _ in range(1000)],
        "org": [ACTION + "organization_show?id=" + q(o) for o in orgs],
    }
    os.makedirs(lua_dir, exist_ok=True)
    for key, value in paths.items():
        write_lua(os.path.join(lua_dir, key + ".lua"), value)
    with open(os.path.join(lua_dir, "names.txt"), "w", encoding="utf-8") as out:
        out.write("\n".join(names) + "\n")
    # What the searches match: 20 sampled paths of each kind.
    info = {"names": len(names), "organizations": len(orgs), "modified": [quantiles[0], quantiles[-1]],
            "matches": {}}
    for key in ("text", "facets", "range"):
        counts = [get_json(base, p)["result"]["count"] for p in rng.sample(paths[key], min(20, len(paths[key])))]
        info["matches"][key] = [statistics.median(counts), min(counts), max(counts), sum(1 for c in counts if c == 0)]
    with open(info_path, "w", encoding="utf-8") as out:
        json.dump(info, out)
    sys.stderr.write("lists: {} names, {} organizations, metadata_modified {} to {}; matches {}\n".format(
        len(names), len(orgs), info["modified"][0], info["modified"][1], info["matches"]))


def body(base, names_path, out_path):
    with open(names_path, encoding="utf-8") as f:
        names = [n for n in f.read().split("\n") if n]
    # The generator repeats its ~200 distinct records in turn (names `<name>-<n>`): the first
    # 250 numbers hold each of them once or twice.
    sample = [n for n in names if int(n.rsplit("-", 1)[1]) < 250] or names[:250]
    sizes = {}
    for name in sample:
        with urllib.request.urlopen(base + ACTION + "package_show?id=" + q(name), timeout=60) as response:
            sizes[name] = len(response.read())
    mean = statistics.mean(sizes.values())
    name = min(sizes, key=lambda n: (abs(sizes[n] - mean), n))
    with urllib.request.urlopen(base + ACTION + "package_show?id=" + q(name), timeout=60) as response:
        data = response.read()
    with open(out_path, "wb") as out:
        out.write(data)
    print(name, len(data), round(mean))


# --- results -------------------------------------------------------------------------------------


def append(results, row):
    with open(results, "a", encoding="utf-8") as out:
        out.write(json.dumps(row) + "\n")


def seconds(text):
    m = re.fullmatch(r"([\d.]+)(us|ms|s|m|h)", text)
    if not m:
        return None
    factor = {"us": 1e-6, "ms": 1e-3, "s": 1, "m": 60, "h": 3600}[m.group(2)]
    return float(m.group(1)) * factor


def size(text):
    m = re.fullmatch(r"([\d.]+)(B|KB|MB|GB|TB)", text)
    factor = {"B": 1, "KB": 1024, "MB": 1024**2, "GB": 1024**3, "TB": 1024**4}[m.group(2)]
    return float(m.group(1)) * factor


def parse_wrk(text):
    out = {"rps": 0.0, "p50": None, "p99": None, "requests": 0, "bytes": 0.0, "non2xx": 0,
           "socket": {"connect": 0, "read": 0, "write": 0, "timeout": 0}}
    for line in text.splitlines():
        line = line.strip()
        if line.startswith("Requests/sec:"):
            out["rps"] = float(line.split()[1])
        elif line.startswith("50%"):
            out["p50"] = seconds(line.split()[1])
        elif line.startswith("99%"):
            out["p99"] = seconds(line.split()[1])
        elif re.match(r"\d+ requests in ", line):
            m = re.match(r"(\d+) requests in [^,]+, ([\d.]+[KMGT]?B) read", line)
            out["requests"], out["bytes"] = int(m.group(1)), size(m.group(2))
        elif line.startswith("Non-2xx or 3xx responses:"):
            out["non2xx"] = int(line.split(":")[1])
        elif line.startswith("Socket errors:"):
            for kind, n in re.findall(r"(\w+) (\d+)", line.split(":", 1)[1]):
                out["socket"][kind] = int(n)
    return out


def wrk(results, backend, key, connections, rss_kb, files):
    rounds = []
    for path in files:
        with open(path, encoding="utf-8", errors="replace") as f:
            rounds.append(parse_wrk(f.read()))

    def median(field):
        values = [r[field] for r in rounds if r[field] is not None]
        return statistics.median(values) if values else None

    requests = sum(r["requests"] for r in rounds)
    append(results, {
        "kind": "wrk", "backend": backend, "key": key, "connections": int(connections),
        "rps": median("rps"), "p50": median("p50"), "p99": median("p99"),
        "rounds": [r["rps"] for r in rounds], "requests": requests,
        "bytes_per_response": sum(r["bytes"] for r in rounds) / requests if requests else None,
        "non2xx": sum(r["non2xx"] for r in rounds),
        "socket": {k: sum(r["socket"][k] for r in rounds) for k in rounds[0]["socket"]},
        "rss_kb": int(rss_kb) if rss_kb.isdigit() else None,
    })
    sys.stderr.write("  {} {} c={}: {:.0f} req/s, p50 {}, p99 {}, non-2xx {}, socket errors {}\n".format(
        backend, key, connections, median("rps") or 0, ms(median("p50")), ms(median("p99")),
        sum(x["non2xx"] for x in rounds), sum(sum(x["socket"].values()) for x in rounds)))


def set_value(results, backend, key, value):
    append(results, {"kind": "set", "backend": backend, "key": key, "value": value})


# --- three nodes ---------------------------------------------------------------------------------


class Node:
    def __init__(self, url):
        parts = urllib.parse.urlsplit(url)
        self.host, self.port = parts.hostname, parts.port
        self.connection = None

    def request(self, method, path, body=None, headers=None):
        for attempt in range(2):
            try:
                if self.connection is None:
                    self.connection = http.client.HTTPConnection(self.host, self.port, timeout=30)
                self.connection.request(method, path, body=body, headers=headers or {})
                response = self.connection.getresponse()
                return response.status, response.read()
            except (http.client.HTTPException, OSError):
                self.connection = None
                if attempt:
                    raise
        raise AssertionError("unreachable")

    def notes(self, name):
        status, data = self.request("GET", ACTION + "package_show?id=" + q(name))
        return json.loads(data)["result"].get("notes") if status == 200 else None


def nodes(results, names_path, token, url_a, url_b, url_c, times="20"):
    with open(names_path, encoding="utf-8") as f:
        names = [n for n in f.read().split("\n") if n]
    a, others = Node(url_a), {"B": Node(url_b), "C": Node(url_c)}
    rng = random.Random(5)
    delays, patches, missed = [], [], 0
    for i in range(int(times)):
        name = rng.choice(names)
        for node in others.values():  # in each node's cache first: the write must reach it
            node.notes(name)
            node.notes(name)
        notes = "bench propagation {} {}".format(i, uuid.uuid4())
        body = json.dumps({"id": name, "notes": notes}).encode()
        start = time.monotonic()
        status, data = a.request("POST", ACTION + "package_patch", body,
                                 {"Authorization": token, "Content-Type": "application/json"})
        acknowledged = time.monotonic()
        if status != 200:
            raise SystemExit("package_patch on A answered {}: {}".format(status, data[:300]))
        patches.append(acknowledged - start)
        pending = dict(others)
        while pending and time.monotonic() - acknowledged < 10:
            for label, node in list(pending.items()):
                if node.notes(name) == notes:
                    delays.append(time.monotonic() - acknowledged)
                    del pending[label]
            time.sleep(0.005)
        missed += len(pending)
        time.sleep(rng.uniform(0.05, 0.25))  # not in step with the nodes' polling
    value = {"times": int(times), "observations": len(delays), "missed": missed,
             "median": statistics.median(delays) if delays else None, "max": max(delays) if delays else None,
             "patch_median": statistics.median(patches)}
    set_value(results, "postgres", "nodes", value)
    sys.stderr.write("three nodes: {}\n".format(value))


# --- the table -----------------------------------------------------------------------------------


def ms(value):
    if value is None:
        return "—"
    value *= 1000
    if value >= 1000:
        return "{:.2f} s".format(value / 1000)
    return "{:.2f} ms".format(value) if value < 10 else "{:.1f} ms".format(value) if value < 100 else "{:.0f} ms".format(value)


def number(value, digits=0):
    return "—" if value is None else "{:,.{}f}".format(value, digits)


def mb(kb):
    return "—" if kb in (None, "") else "{:.0f} MB".format(int(kb) / 1024)


def table(results):
    values = collections.defaultdict(dict)
    rows, problems = [], []
    with open(results, encoding="utf-8") as f:
        for line in f:
            row = json.loads(line)
            if row["kind"] == "set" and row["key"] == "problem":
                problems.append(row["value"])
            elif row["kind"] == "set":
                values[row["backend"]][row["key"]] = row["value"]
            else:
                rows.append(row)
    for r in rows:
        errors = sum(r["socket"].values())
        if r["non2xx"] or errors:
            problems.append("{} {} at {} connection(s): {} non-2xx/3xx responses, {} socket errors ({})".format(
                r["backend"], r["key"], r["connections"], r["non2xx"], errors,
                ", ".join("{} {}".format(k, v) for k, v in r["socket"].items() if v) or "none"))
    meta = values["run"]
    backends = [b for b in ("sqlite", "postgres") if b in values]
    title = {"sqlite": "SQLite", "postgres": "PostgreSQL"}
    out = []
    w = out.append
    w("### Results ({})".format(meta["date"]))
    w("")
    w("Machine: {} × {} (`nproc` {}), {} RAM; {}. Load average at the start {}, at the end {}.".format(
        meta["nproc"], meta["cpu"], meta["nproc"], meta["memory"], meta["os"], meta["load_start"], meta["load_end"]))
    w("Settings: `RECORDS={}` `DURATION={}` `ROUNDS={}`; datahavn `{}` (release, {}); wrk {}: `-t2` (`-t1` at 1 connection) "
      "`--latency --timeout 30s`, a random path per request from a generated list{}.".format(
          meta["records"], meta["duration"], meta["rounds"], meta["commit"], meta["rustc"], meta["wrk"],
          "; PostgreSQL " + meta["postgres"] if meta.get("postgres") else ""))
    w("")
    w("#### Load and start-up")
    w("")
    w("| | " + " | ".join(title[b] for b in backends) + " |")
    w("|---|" + "---:|" * len(backends))

    def line(label, render):
        w("| {} | {} |".format(label, " | ".join(render(values[b]) for b in backends)))

    line("`datahavn load --create-orgs`: datasets/s", lambda v: "**{}**".format(number(v.get("load_rate"))))
    line("load: time; created · failed", lambda v: "{} s; {} · {}".format(
        number(v.get("load_seconds"), 1), number(v.get("created")), number(v.get("failed"))))
    line("database growth by the load, bytes per dataset (total)", lambda v: "{} ({})".format(
        number(v.get("db_bytes") / v["created"] if v.get("created") else None), human(v.get("db_bytes"))))
    line("search index, bytes per dataset (total)", lambda v: "{} ({})".format(
        number(v.get("index_bytes") / v["created"] if v.get("created") else None), human(v.get("index_bytes"))))
    line("`serve` start-up: `/api` answers after", lambda v: "{} s".format(number(v.get("start_api"), 2)))
    line("`serve` start-up: first `package_search` answers after", lambda v: "{} s".format(number(v.get("start_search"), 2)))
    line("server RSS at rest (after start-up, before wrk)", lambda v: mb(v.get("rss_rest")))
    line("server RSS under load (max, sampled every 0.5 s)", lambda v: mb(v.get("rss_load")))
    line("of which its own memory (`RssAnon`, not mapped file pages) at rest / under load",
         lambda v: "{} / {}".format(mb(v.get("anon_rest")), mb(v.get("anon_load"))))
    w("")
    limit = {r["connections"]: r for r in rows if r["key"] == "limit"}
    lim = values["limit"]["limit"]
    header = "| request | conns | req/s | p50 | p99 | × limit | bytes/response | non-2xx / requests | socket errors | max RSS |"
    rule = "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|"

    def request_row(label, r):
        base = limit.get(r["connections"])
        ratio = r["rps"] / base["rps"] if base and base["rps"] and r["rps"] is not None else None
        errors = sum(r["socket"].values())
        bold = "**" if r["non2xx"] else ""
        w("| {} | {} | {} | {} | {} | {} | {} | {}{}{} / {} | {} | {} |".format(
            label, r["connections"], number(r["rps"]), ms(r["p50"]), ms(r["p99"]),
            number(ratio, 3) if ratio is not None and ratio < 0.1 else number(ratio, 2),
            number(r["bytes_per_response"]), bold, number(r["non2xx"]), bold, number(r["requests"]),
            "**{}** ({})".format(errors, ", ".join("{} {}".format(k, v) for k, v in r["socket"].items() if v))
            if errors else "0",
            mb(r["rss_kb"]) if r["key"] != "limit" else "—"))

    w("#### Requests")
    w("")
    w("wrk, median of the rounds; × limit = req/s ÷ the limit's req/s at the same number of connections; "
      "bytes/response as wrk read them (headers included); errors: wrk's non-2xx/3xx responses and socket "
      "errors (connect/read/write/timeout), summed over the rounds; max RSS: the server's VmRSS, sampled "
      "every 0.5 s during the row's runs. Before the rows of a database, unrecorded, `package_show` of every "
      "dataset once on 8 connections (the warm-up: the read cache then holds what a server that has run a "
      "while holds; it took {}).".format(", ".join(
          "{} s on {}".format(values[b]["warm_seconds"], title[b]) for b in backends
          if "warm_seconds" in values[b])))
    w("")
    w("The limit: a bare actix-web server (`bench/limit.rs`, 2 workers) answering every GET with the {:,} bytes "
      "of `package_show` of `{}` (the dataset whose response is closest to the mean, {:,} bytes, of the "
      "catalogue's distinct records), measured as `package_show` is (same Lua script, same settings), once, "
      "while the first server was idle.".format(lim["bytes"], lim["name"], lim["mean"]))
    w("")
    w(header)
    w(rule)
    for r in sorted(limit.values(), key=lambda r: r["connections"]):
        request_row(LIMIT_LABEL, r)
    for b in backends:
        w("")
        info = values[b].get("info", {})
        w("**{}** ({} public datasets, {} organizations, `metadata_modified` {} to {})".format(
            title[b], number(info.get("names")), number(info.get("organizations")),
            *(info.get("modified") or ["?", "?"])))
        w("")
        w(header)
        w(rule)
        for key, label in QUERIES:
            for r in sorted((r for r in rows if r["backend"] == b and r["key"] == key), key=lambda r: r["connections"]):
                request_row(label, r)
        matches = info.get("matches", {})
        if matches:
            w("")
            w("Matches of 20 sampled searches each (median, min–max, how many matched nothing): " + "; ".join(
                "{} {} ({}–{}, {} empty)".format(MATCH_LABELS[k], number(v[0]), number(v[1]), number(v[2]), v[3])
                for k, v in matches.items()) + ".")
    n = values.get("postgres", {}).get("nodes")
    if n:
        w("")
        w("#### Three nodes on one PostgreSQL database")
        w("")
        w("`package_patch` of a dataset's `notes` on node A ({} times, a random dataset each, already in "
          "B's and C's caches), then `package_show` on B and C every 5 ms until the new notes appear, "
          "timed from A's answer: **median {}, max {}** ({} observations, {} not seen within 10 s). "
          "`package_patch` itself: median {}.".format(
              n["times"], ms(n["median"]), ms(n["max"]), n["observations"], n["missed"], ms(n["patch_median"])))
    w("")
    w("Problems seen: " + ("; ".join(problems) if problems else "none (no failed load line, no non-2xx response, "
                                                             "no socket error)") + ".")
    print("\n".join(out))


def human(n):
    if n is None:
        return "—"
    for unit in ("B", "kB", "MB", "GB"):
        if n < 1000 or unit == "GB":
            return "{:.0f} {}".format(n, unit) if unit == "B" else "{:.1f} {}".format(n, unit)
        n /= 1000
    return str(n)


def main():
    command, args = sys.argv[1], sys.argv[2:]
    if command == "words":
        words(*args)
    elif command == "lists":
        lists(*args)
    elif command == "body":
        body(*args)
    elif command == "warm":
        warm(*args)
    elif command == "wrk":
        wrk(args[0], args[1], args[2], args[3], args[4], args[5:])
    elif command == "set":
        set_value(args[0], args[1], args[2], args[3])
    elif command == "setjson":
        set_value(args[0], args[1], args[2], json.loads(args[3]))
    elif command == "nodes":
        nodes(*args)
    elif command == "table":
        table(*args)
    else:
        raise SystemExit("unknown command " + command)


if __name__ == "__main__":
    main()
