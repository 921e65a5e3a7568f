#!/usr/bin/env python3
"""Turn criterion results and the `figure:` lines the benches print into
docs/benchmarks.md. Called by scripts/bench.sh; nothing here is typed by hand
except the goals, which come from the issues."""
import json, os, platform, subprocess, sys, datetime, pathlib

ROOT = pathlib.Path(__file__).resolve().parent.parent
CRIT = ROOT / "target" / "criterion"

# (title, gridwork bench id, baseline bench id or None, goal text, goal in ns or None, max ratio or None)
ROWS = [
    ("Household list page (50 of 5,000, due state, 50,000 visits)", "household_page/store", "household_page/raw_sql",
     "< 5 ms, within 2× of raw SQL", 5e6, 2.0),
    ("Record a visit with 30 answers (synchronous=FULL)", "record_visit_30_answers/store", "record_visit_30_answers/raw_sql",
     "< 1 ms median", 1e6, None),
    ("Open a case detail (timeline, chain check, allowed actions)", "case_detail/store", None, "—", None, None),
]

# The encrypted store (SQLCipher, ADR 0013) beside the same store plain, same run:
# (title, encrypted bench id, plain bench id, goal text, max ratio or None, max added ns or None)
ENCRYPTION_ROWS = [
    ("Household list page", "encryption_household_page/encrypted", "encryption_household_page/plain",
     "at most 25% slower", 1.25, None),
    ("Record a visit with 30 answers", "encryption_record_visit/encrypted", "encryption_record_visit/plain",
     "at most 25% slower", 1.25, None),
    ("Open the store (50,000 visits)", "encryption_open_store/encrypted", "encryption_open_store/plain",
     "< 50 ms added", None, 50e6),
]


def encryption_section():
    lines = ["## The phone store encrypted (SQLCipher, raw 256-bit key) beside plain SQLite\n",
             "Same bench run (`cargo bench -p gridwork-core --features vendored-openssl --bench store`: SQLCipher on the "
             "OpenSSL the phones ship, built from source and linked in): a copy of the device-store fixture "
             "encrypted in place (pages authenticated with HMAC-SHA256, ADR 0013), each operation timed on both files. "
             "Medians from criterion; a visit is timed in 60 samples over 10 s each way, as its fsync makes it the noisiest.\n",
             "| what | encrypted | plain | ratio | added | goal | met |",
             "|---|---|---|---|---|---|---|"]
    for title, enc_id, plain_id, goal, max_ratio, max_added in ENCRYPTION_ROWS:
        e, p = median_ns(enc_id), median_ns(plain_id)
        if e is None or p is None:
            lines.append(f"| {title} | {fmt(e)} | {fmt(p)} | — | — | {goal} | — |")
            continue
        ratio, added = e / p, e - p
        ok = (max_ratio is None or ratio <= max_ratio) and (max_added is None or added <= max_added)
        lines.append(f"| {title} | {fmt(e)} | {fmt(p)} | {ratio:.2f}× | {fmt(max(added, 0))} | {goal} | "
                     f"{'yes' if ok else '**no**'} |")
    lines.append("")
    return lines


def median_ns(bench_id):
    p = CRIT / bench_id / "new" / "estimates.json"
    if not p.exists():
        return None
    return json.loads(p.read_text())["median"]["point_estimate"]


def fmt(ns):
    if ns is None:
        return "—"
    if ns >= 1e6:
        return f"{ns / 1e6:.2f} ms"
    return f"{ns / 1e3:.0f} µs"


def sh(cmd):
    try:
        return subprocess.check_output(cmd, shell=True, text=True, stderr=subprocess.DEVNULL).strip()
    except Exception:
        return "?"


def load(path):
    try:
        return json.loads(pathlib.Path(path).read_text())
    except (OSError, ValueError):
        return None


def sync_section(out_dir):
    g, p = load(out_dir / "sync.json"), load(out_dir / "pouchdb.json")
    if not g:
        return []
    lines = ["## Sync (`gridwork-bench sync` beside `bench/pouchdb/run.mjs`)\n",
             f"One phone, a real `gridwork serve` process and a real `pouchdb-server` on loopback, the same "
             f"{g['n']:,} records: the initial sync of a worker's grid (households and members) and the push of "
             f"{g['n']:,} visit operations with ~30 answers each. Gridwork pushes gzip'd batches of 500 and then pulls; "
             "PouchDB replicates with its defaults. Bytes are HTTP bodies as sent (compressed where compressed).\n",
             "| | Gridwork | PouchDB | Gridwork faster by | goal | met |",
             "|---|---|---|---|---|---|"]
    for phase, label in (("pull", "initial sync"), ("push", "push")):
        gs, ps = g[phase]["seconds"], (p[phase]["seconds"] if p else None)
        ratio = (ps / gs) if ps else None
        met = "—" if ratio is None else ("yes" if ratio >= 5 else "**no**")
        lines.append(f"| {label}: seconds | {gs:.2f} | {ps:.2f} | {ratio:.1f}× | ≥ 5× faster | {met} |" if ps
                     else f"| {label}: seconds | {gs:.2f} | — | — | ≥ 5× faster | — |")
        for key, name in (("requests", "round trips (HTTP requests)"), ("bytes_up", "bytes up"), ("bytes_down", "bytes down")):
            pv = p[phase][key] if p else None
            lines.append(f"| {label}: {name} | {g[phase][key]:,} | {pv:,} | | | |" if pv is not None
                         else f"| {label}: {name} | {g[phase][key]:,} | — | | | |")
    if p:
        srv, cli = p.get("server", {}), p.get("client", {})
        lines.append(f"\nBaseline: pouchdb {cli.get('version', '?')} client ({cli.get('storage', '')}) replicating with "
                     f"pouchdb-server {srv.get('version', '?')} ({srv.get('storage', '')}); {p.get('n', '')} records.\n")
    return lines


def morning_section(out_dir):
    m = load(out_dir / "morning.json")
    if not m:
        return []
    pg = load(out_dir / "morning-pg.json")
    pg2 = load(out_dir / "morning-pg2.json")
    lines = ["## A city's morning (`gridwork-bench morning`)\n",
             f"{m['devices']:,} phones, each with a credential from a real activation, push {m['ops_per_device']} visit "
             f"operations at once ({m['concurrency']} requests in flight) to one `gridwork serve` process: its records "
             "in SQLite (the data directory), then in PostgreSQL (`--database`, a throwaway cluster of Debian's "
             "PostgreSQL on the same machine, fsync and synchronous commit on), then two `gridwork serve` processes with "
             "data directories of their own on one such PostgreSQL, the phones taking them in turn; all in the same script "
             "(`scripts/bench.sh morning` re-runs this section alone).\n",
             "| records in | operations | seconds | operations/s | latency p50 | p90 | p99 | max | goal | met |",
             "|---|---|---|---|---|---|---|---|---|---|"]

    def row(label, r, goal, met):
        lat = r["latency_ms"]
        return (f"| {label} | {r['operations']:,} | {r['seconds']:.1f} | {r['ops_per_second']:,.0f} | {lat['p50']:.0f} ms | "
                f"{lat['p90']:.0f} ms | {lat['p99']:.0f} ms | {lat['max']:.0f} ms | {goal} | {met} |")

    lines.append(row("SQLite", m, "< 30 s", "yes" if m["seconds"] < 30 else "**no**"))
    if pg:
        ratio = pg["seconds"] / m["seconds"]
        lines.append(row("PostgreSQL, one instance", pg, f"≤ 1.5× SQLite ({ratio:.2f}×)",
                         "yes" if ratio <= 1.5 else "**no**"))
    if pg2:
        ratio = pg2["seconds"] / m["seconds"]
        lines.append(row("PostgreSQL, two instances", pg2, f"no goal of its own ({ratio:.2f}× SQLite; "
                         "2 cores shared by both instances, PostgreSQL and the clients)", "—"))
    best_p99 = min([m["latency_ms"]["p99"]] + [r["latency_ms"]["p99"] for r in (pg, pg2) if r])
    lines.append(f"\nThe fastest backend's p99 at {m['concurrency']} requests in flight: {best_p99:.0f} ms "
                 f"(issue 21's goal: under 1,000 ms; {'met' if best_p99 < 1000 else '**not met**'}).\n")
    return lines


def uploads_section(out_dir):
    u = load(out_dir / "uploads.json")
    if not u:
        return []
    def row(label, ours, base, goal):
        ratio = ours["mb_per_s"] / base["mb_per_s"]
        met = "yes" if ratio >= 0.9 else "**no**"
        return (f"| {label} | {ours['mb_per_s']:.1f} MB/s ({ours['seconds']:.2f} s, {ours['requests']} requests) | "
                f"{base['mb_per_s']:.1f} MB/s ({base['seconds']:.2f} s, {base['requests']} requests) | "
                f"{ratio:.0%} | {goal} | {met} |")
    s, i = u["shaped"], u["interrupted"]
    mb = u["photos"] * u["photo_bytes"] / 1e6
    return ["## Photo uploads (`gridwork-bench uploads`)\n",
            f"One phone uploads {u['photos']} photos of {u['photo_bytes']:,} bytes ({mb:.0f} MB) with the core's tus "
            "client to a real `gridwork serve` (creation with the bytes, a sha256 chunk checksum, the whole file's "
            "SHA-256 checked before the answer; answered early with `Prefer: respond-async` and made durable in "
            "batches: the time runs until the phone's one `POST /v1/evidence/upload-states` has confirmed every photo "
            "stored, durably). The baseline is a raw HTTP PUT of the same files, one after "
            "another, to a minimal server in the benchmark process that writes each file and fsyncs it (the least a "
            "durable upload does); the same PUT without fsync is shown for reference.\n",
            "| link | tus (Gridwork) | raw HTTP PUT + fsync | tus / raw | goal | met |",
            "|---|---|---|---|---|---|",
            row("loopback", u["tus"], u["raw_put_fsync"], "≥ 90% of raw"),
            row(f"{s['link_kbit_per_s'] / 1000:.0f} Mbit/s, 20 ms each way ({s['photos']} photos)", s["tus"],
                s["raw_put_fsync"], "≥ 90% of raw"),
            "",
            f"Raw PUT without fsync on loopback: {u['raw_put']['mb_per_s']:.0f} MB/s.\n",
            f"Interrupted: the link cut {i['cuts']} times mid-upload (a loopback proxy dropping the connection after "
            f"1–2 MB more), the uploads resumed: {i['bytes_resent']:,} photo bytes sent again "
            f"({i['bytes_resent'] / max(i['cuts'], 1):,.0f} per cut; a cut chunk counts whole, and the chunk on the "
            f"wire when the link dies is at most one), {i['wire_bytes_up']:,} bytes on the wire for {i['photo_bytes']:,} "
            f"photo bytes (HTTP and tus headers included), in {i['runs']} upload runs.\n"]


def demo_section(out_dir):
    d = load(out_dir / "demo.json")
    if not d:
        return []
    a, f = d["args"], d["report"]["figures"]
    phone = d.get("measured_phone") or {}
    mib = lambda b: f"{(b or 0) / 1048576:.1f} MiB"
    lines = [
        "## The demo city (`scripts/bench_demo.sh`: `gridwork demo`, release)\n",
        f"One command from a fresh directory: a real `gridwork serve` child process on loopback, "
        f"{a['grids']:,} grids, {a['workers']:,} grid workers' phones and every secretary's and supervisor's "
        f"(each its own SQLite store, at most {a['concurrency']} at once on one tokio runtime), enrolled by "
        f"activation code, {a['visits']} visits per worker, cases, photos by tus, escalations pushed to a loopback "
        f"Web Push service. Peak memory is VmHWM from /proc: the server's, and one more phone's day run as its own "
        f"process (`gridwork demo-device`).\n",
        "| phase | seconds |",
        "|---|---|",
    ]
    for p in d["phases"]:
        lines.append(f"| {p['phase']} | {p['secs']:.1f} |")
    lines.append(f"| **total (wall, the whole command)** | **{d.get('wall_secs', d['total_secs']):.1f}** |")
    lines += [
        "",
        "| what | figure |",
        "|---|---|",
        f"| server peak memory (VmHWM) | {mib((d.get('server_vm_hwm_kib') or 0) * 1024)} |",
        f"| one phone's day in its own process: peak memory (VmHWM), wall time | "
        f"{mib((phone.get('vm_hwm_kib') or 0) * 1024)}, {phone.get('secs', 0):.2f} s ({phone.get('visits', 0)} visits) |",
        f"| server database after the day (gridwork.db + auth.db, with WAL) | {mib(d['server_db_bytes'])} |",
        f"| server photo blobs after the day | {mib(d['server_blob_bytes'])} ({f['evidence_stored']:,} photos, "
        f"{d['report']['photos_verified']:,} re-verified by hash) |",
        f"| visits, cases, escalations, pushes delivered | {f['visits']:,}, {f['cases']:,}, {f['escalations']:,}, "
        f"{d['pushes_received']:,} |",
        f"| sync bytes as the phones saw them (sent / received) | {mib(d['phone_bytes_sent'])} / {mib(d['phone_bytes_received'])} |",
        "",
    ]
    return lines


def escalation_section(out_dir):
    e = load(out_dir / "escalation.json")
    if not e:
        return []
    met = "yes" if e["latency_p95_s"] < 60 else "**no**"
    ratio = e["scan_baseline_ms"] / e["idle_pass_ms"] if e["idle_pass_ms"] else 0
    return [
        "## Escalation engine (`gridwork-bench escalation`)\n",
        f"The server's own engine tick (`gridwork_server::escalation`) in process on its SQLite storage, with "
        f"{e['open_cases']:,} open cases and {e['devices']} township-supervisor devices subscribed to Web Push at a push "
        "service on loopback (`gridwork_push::receiver`, in the same process: it verifies each VAPID token and "
        "decrypts each body, so its CPU is in the figures), on a test clock. The baseline is what an engine without "
        "the next-threshold index pays every minute: raw SQL over every open case, each parsed and assessed, on the "
        "same database in the same process.\n",
        "| what | Gridwork | baseline | goal | met |",
        "|---|---|---|---|---|",
        f"| a pass with nothing due ({e['open_cases']:,} open cases), median of 21 | {e['idle_pass_ms']:.2f} ms | "
        f"{e['scan_baseline_ms']:.1f} ms scanning every open case ({ratio:.0f}× more) | — | — |",
        f"| deadline passed → push request at the push service, one-minute schedule ({e['latency_pushes']} pushes) | "
        f"p50 {e['latency_p50_s']:.1f} s, p95 {e['latency_p95_s']:.1f} s, max {e['latency_max_s']:.1f} s | — | "
        f"p95 < 60 s | {met} |",
        f"| one tick of the schedule (pass + dispatch) | p50 {e['tick_p50_ms']:.0f} ms, max {e['tick_max_ms']:.0f} ms | — | — | — |",
        f"| everything due at once: the pass | {e['all_due_escalations']:,} escalations, {e['all_due_inbox_items']:,} "
        f"inbox items, {e['all_due_push_jobs']:,} push jobs in {e['all_due_pass_s']:.1f} s | — | — | — |",
        f"| … and their dispatch | {e['all_due_pushes_delivered']:,} Web Push requests delivered in "
        f"{e['all_due_dispatch_s']:.1f} s ({e['all_due_pushes_delivered'] / max(e['all_due_dispatch_s'], 1e-9):,.0f}/s) | — | — | — |",
        "",
        "Latency is the test-clock time of the tick that sent a push minus its deadline (acceptance limits spread "
        "uniformly over an hour, ticks every 60 s of test time, as `gridwork serve` ticks every minute), plus the "
        "real time from the tick's start to the request reaching the push service. Most of it is the schedule "
        "itself: a deadline waits up to a minute for the next tick.\n",
    ]


def store_sections(figures, rerun_note=None):
    """The device store's sections: the store beside raw SQL, then the
    encrypted store beside the plain one."""
    out = ["## Device store (`cargo bench -p gridwork-core --features vendored-openssl --bench store`)\n"]
    if rerun_note:
        out.append(rerun_note + "\n")
    out.append("Medians from criterion. The raw-SQL baseline runs the same statements by hand on the same database file.\n")
    out.append("| what | Gridwork | raw SQL baseline | ratio | goal | met |")
    out.append("|---|---|---|---|---|---|")
    for title, ours_id, base_id, goal, goal_ns, max_ratio in ROWS:
        ours, base = median_ns(ours_id), (median_ns(base_id) if base_id else None)
        ratio = (ours / base) if (ours and base) else None
        met = "—"
        if ours is not None and goal_ns is not None:
            ok = ours < goal_ns and (max_ratio is None or (ratio is not None and ratio <= max_ratio))
            met = "yes" if ok else "**no**"
        out.append(f"| {title} | {fmt(ours)} | {fmt(base)} | {f'{ratio:.2f}×' if ratio else '—'} | {goal} | {met} |")
    out.append("")
    if figures:
        out.append("Other figures from the same run:\n")
        for f in figures:
            out.append(f"- {f}")
        out.append("")
    out.extend(encryption_section())
    return out


def splice_store(figures, command):
    """Re-run of the store benchmarks only: replace their sections in the
    existing document and keep every other section as it was measured."""
    path = ROOT / "docs" / "benchmarks.md"
    text = path.read_text(encoding="utf-8")
    start = text.index("## Device store")
    rest = text[start:].split("\n## ")
    # Sections after the store ones (the first that is not a store section).
    keep_from = next((i for i, sec in enumerate(rest[1:], 1)
                      if not sec.startswith("The phone store encrypted")), len(rest))
    tail = "\n## ".join(rest[keep_from:])
    when = datetime.datetime.now(datetime.timezone.utc).strftime('%Y-%m-%d %H:%M UTC')
    note = f"Re-run alone on {when} with `{command}` ({sh('rustc --version')}); the other sections are from the run above."
    new = "\n".join(store_sections(figures, note)) + "\n"
    path.write_text(text[:start] + new + ("## " + tail if tail else ""), encoding="utf-8")
    print("rewrote the device store sections of docs/benchmarks.md")


def ingest_section(out_dir):
    runs = [(label, load(out_dir / f"ingest-{name}.json")) for name, label in (
        ("data", "data directory (records in SQLite)"),
        ("s3", "S3-compatible server, moto (records in SQLite)"),
        ("shared", "moto, records in PostgreSQL (uploads in progress shared)"))]
    runs = [(label, r) for label, r in runs if r]
    if not runs:
        return []
    first = runs[0][1]
    mb = first["photos"] * first["photo_bytes"] / 1e6
    lines = ["## Photo ingest under load (`gridwork-bench ingest`)\n",
             f"{first['phones']} phones upload {first['photos']} photos of {first['photo_bytes']:,} bytes ({mb:.0f} MB) "
             "at once to one `gridwork serve`, each phone with the core's tus client (the time runs until every phone "
             "has heard \"stored\" for every photo). Beside it, in the same run, a raw HTTP PUT of the same files at the "
             "same concurrency to a minimal server in the benchmark process that writes each file and fsyncs it. The "
             "photo store is the data directory, then an S3-compatible server (moto, PyPI, on loopback), then moto with "
             "the records in PostgreSQL, where uploads in progress are shared by instances (each acknowledged chunk an "
             "object, the whole photo put once more when complete). `scripts/bench.sh ingest` re-runs this section.\n",
             "| photos in | tus (Gridwork) | raw HTTP PUT + fsync | tus / raw | goal | met | raw PUT to the object store | tus / that |",
             "|---|---|---|---|---|---|---|---|"]
    for label, r in runs:
        ours, base, store = r["tus"], r["raw_put_fsync"], r.get("raw_put_store")
        ratio = ours["photos_per_s"] / base["photos_per_s"]
        against_store = (f"{store['photos_per_s']:.0f} photos/s ({store['seconds']:.2f} s) | "
                         f"{ours['photos_per_s'] / store['photos_per_s']:.0%}") if store else "— | —"
        lines.append(f"| {label} | {ours['photos_per_s']:.0f} photos/s ({ours['seconds']:.2f} s, {ours['requests']} "
                     f"requests) | {base['photos_per_s']:.0f} photos/s ({base['seconds']:.2f} s) | {ratio:.0%} | "
                     f"≥ 90% of raw | {'yes' if ratio >= 0.9 else '**no**'} | {against_store} |")
    lines.append("")
    lines.append("Every figure shares the machine's 2 cores with the 32 simulated phones (each hashes its photos and keeps "
                 "its upload queue in SQLite), which the raw baseline's client does not do. The last columns show what "
                 "the object store itself takes at the same concurrency (a PUT of the same files to moto, signed and checksummed as the server's): with "
                 "moto, a Python server, the store sets the pace.\n")
    return lines


def splice_section(md_path):
    """Re-run of one section written as Markdown by its own script (its
    first line the `## ` heading): replace the section with that heading in
    the existing document, or append it, and keep every other section."""
    section = pathlib.Path(md_path).read_text(encoding="utf-8").rstrip() + "\n"
    heading = section.splitlines()[0]
    path = ROOT / "docs" / "benchmarks.md"
    text = path.read_text(encoding="utf-8")
    if heading in text:
        start = text.index(heading)
        end = text.find("\n## ", start + len(heading))
        text = text[:start] + section + ("\n" + text[end + 1:] if end >= 0 else "")
    else:
        text = text.rstrip() + "\n\n" + section
    path.write_text(text, encoding="utf-8")
    print(f"rewrote the section '{heading}' of docs/benchmarks.md")


def main():
    if sys.argv[1] == "--splice":
        splice_section(sys.argv[2])
        return
    if sys.argv[1] == "--ingest":
        out_dir = pathlib.Path(sys.argv[2])
        (out_dir / "ingest.md").write_text("\n".join(ingest_section(out_dir)) + "\n", encoding="utf-8")
        splice_section(out_dir / "ingest.md")
        return
    if sys.argv[1] == "--morning":
        out_dir = pathlib.Path(sys.argv[2])
        (out_dir / "morning.md").write_text("\n".join(morning_section(out_dir)) + "\n", encoding="utf-8")
        splice_section(out_dir / "morning.md")
        return
    figures_file, command, out_dir = sys.argv[1], sys.argv[2], pathlib.Path(sys.argv[3])
    extra_md = [out_dir / "size.md", out_dir / "screens.md", out_dir / "console.md"]
    figures = [l.split("figure:", 1)[1].strip() for l in open(figures_file, encoding="utf-8") if "figure:" in l]
    if "--only-store" in sys.argv[4:]:
        splice_store(figures, command)
        return
    cpu = sh("grep -m1 'model name' /proc/cpuinfo | cut -d: -f2").strip()
    mem = sh("free -g | awk '/Mem:/ {print $2}'")
    out = []
    out.append("# Benchmarks\n")
    out.append("Generated by `scripts/bench.sh`; do not edit by hand. Every figure is from the run described here,\n"
               "each beside its baseline measured in the same process.\n")
    out.append(f"- Date: {datetime.datetime.now(datetime.timezone.utc).strftime('%Y-%m-%d %H:%M UTC')}")
    out.append(f"- Machine: {os.cpu_count()} cores ({cpu}), {mem} GiB RAM, {platform.system()} {platform.release()}")
    out.append(f"- Toolchain: {sh('rustc --version')}")
    out.append(f"- Command: `{command}`\n")
    out.extend(store_sections(figures))
    out.extend(sync_section(out_dir))
    out.extend(morning_section(out_dir))
    out.extend(uploads_section(out_dir))
    out.extend(ingest_section(out_dir))
    out.extend(escalation_section(out_dir))
    out.extend(demo_section(out_dir))
    for path in extra_md:
        p = pathlib.Path(path)
        if p.exists():
            out.append(p.read_text().rstrip() + "\n")
    (ROOT / "docs" / "benchmarks.md").write_text("\n".join(out) + "\n", encoding="utf-8")
    print("wrote docs/benchmarks.md")


if __name__ == "__main__":
    main()
