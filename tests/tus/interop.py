"""Helpers for tests/tus/interop.sh (run with the venv that has tuspy).

    python interop.py setup URL ADMIN_TOKEN WORKDIR
        enrol a worker device (w1), record one visit with four photos, push
        the visit and the evidence records through /v1/sync/push, write the
        photos and WORKDIR/evidence.json
    python interop.py tuspy URL WORKDIR
        upload photo 0 whole with sha1 chunk checksums, and photo 1 half,
        stop, then resume through tuspy's URL storage (a new uploader)
    python interop.py seed URL WORKDIR
        (tests/api/schemathesis.sh, after setup) photo 0 uploaded whole by
        plain tus requests, uploads created for the others; prints
        GRIDWORK_UPLOAD_IDS and GRIDWORK_EVIDENCE_IDS for the hooks
    python interop.py verify URL WORKDIR DATA_DIR [BLOBS]
        for every photo: HEAD says offset == length, the server answers the
        same bytes, the blob is byte-identical (the file in DATA_DIR/blobs,
        or with BLOBS=s3://bucket/prefix the object in the bucket, read with
        boto3 from AWS_ENDPOINT), the record is stored
    python interop.py half URL WORKDIR
        (two instances) create an upload for every photo and send its first
        half by plain tus requests; WORKDIR/uploads.json keeps where
    python interop.py stall URL WORKDIR
        (after half) a PATCH of photo 0's rest that sends 64 kB and stalls,
        holding its upload on that instance; prints "stalled" once the bytes
        are out and waits (up to 120 s) for the connection to end
    python interop.py finish URL_A URL_B WORKDIR [BUSY]
        (after instance A was killed) every upload continued on instance B:
        HEAD there says the half A acknowledged, the rest is sent there;
        423 (an upload still held by the killed instance's PATCH) is
        retried until its lease lapses, and with BUSY=1 must have happened
    python interop.py make-bucket ENDPOINT BUCKET
        wait for the S3-compatible server at ENDPOINT, then create BUCKET

Fails loudly (non-zero exit, the reason on stderr) on anything unexpected.
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
import pathlib
import sqlite3
import sys
import time
import urllib.error
import urllib.request
import uuid


def request(method: str, url: str, token: str | None, body: bytes | None = None,
            headers: dict | None = None) -> tuple[int, dict, bytes]:
    req = urllib.request.Request(url, data=body, method=method)
    for k, v in (headers or {}).items():
        req.add_header(k, v)
    if token:
        req.add_header("Authorization", f"Bearer {token}")
    try:
        with urllib.request.urlopen(req, timeout=30) as resp:
            return resp.status, dict(resp.headers), resp.read()
    except urllib.error.HTTPError as e:
        return e.code, dict(e.headers), e.read()


def api(method: str, url: str, path: str, token: str | None, value) -> dict:
    status, _, body = request(method, f"{url}/v1{path}", token, json.dumps(value).encode(),
                              {"X-Gridwork-Protocol": "1", "Content-Type": "application/json"})
    if status != 200:
        sys.exit(f"interop: {method} {path}: {status} {body.decode(errors='replace')}")
    return json.loads(body)


def now_iso() -> str:
    t = time.time()
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(t)) + f".{int(t * 1000) % 1000:03d}Z"


def setup(url: str, admin_token: str, work: pathlib.Path) -> None:
    code = api("POST", url, "/admin/activation-codes", admin_token, {"user_id": "w1"})["code"]
    device = "tus-interop-w1"
    token = api("POST", url, "/activate", None,
                {"code": code, "device_id": device, "device_name": device})["token"]
    visit_id = str(uuid.uuid4())
    at = now_iso()
    photos = []
    # Sizes that are not multiples of any chunk size; one over 1 MiB.
    for i, size in enumerate([700_001, 1_300_007, 650_003, 900_011]):
        data = os.urandom(size)
        path = work / f"photo{i}.jpg"
        path.write_bytes(data)
        photos.append({"id": str(uuid.uuid4()), "path": str(path), "size": size,
                       "sha256": hashlib.sha256(data).hexdigest()})
    ops = [{"op": "visit_recorded", "visit": {
        "id": visit_id, "household_code": "H001", "grid_code": "G1", "worker_id": "w1",
        "patrol_id": None, "template_id": "household", "template_version": 1,
        "answers": [
            {"item_code": "ep.symptoms", "value": {"type": "choices", "value": ["none"]}},
            {"item_code": "ws.gas_use", "value": {"type": "choice", "value": "lpg"}},
            {"item_code": "ws.gas_smell", "value": {"type": "yes_no", "value": False}},
            {"item_code": "rs.house_condition", "value": {"type": "choice", "value": "sound"}},
        ],
        "notes": "", "at": at, "fix": None, "verdict": None}}]
    for p in photos:
        ops.append({"op": "evidence_recorded", "evidence": {
            "id": p["id"], "owner": {"kind": "visit", "visit_id": visit_id}, "item_code": None,
            "sha256": p["sha256"], "size": p["size"], "media_type": "image/jpeg", "taken_at": at,
            "fix": None, "local_path": None, "upload_state": "waiting", "upload_offset": 0,
            "attempts": 0, "last_error": None}})
    wall = int(time.time() * 1000)
    entries = [{"seq": i + 1, "op_id": str(uuid.uuid4()),
                "hlc": f"{wall:016d}-{i:05d}-{device}", "created_at": at, "operation": op}
               for i, op in enumerate(ops)]
    answer = api("POST", url, "/sync/push", token,
                 {"device_id": device, "acked_through": 0, "ops": entries})
    statuses = [a.get("status") for a in answer["answers"]]
    if any(s != "applied" for s in statuses):
        sys.exit(f"interop: push not applied: {json.dumps(answer, ensure_ascii=False)}")
    (work / "evidence.json").write_text(json.dumps({"token": token, "photos": photos}))
    print(f"setup: worker device {device}, 1 visit, {len(photos)} evidence records pushed", file=sys.stderr)


def load(work: pathlib.Path) -> dict:
    return json.loads((work / "evidence.json").read_text())


def tuspy(url: str, work: pathlib.Path) -> None:
    from tusclient import client
    from tusclient.storage import filestorage

    ev = load(work)
    headers = {"Authorization": f"Bearer {ev['token']}"}

    def uploader(tc, p, storage=None):
        return tc.uploader(
            file_path=p["path"], chunk_size=256 * 1024, upload_checksum=True,
            metadata={"evidence_id": p["id"], "sha256": p["sha256"], "filename": "photo.jpg",
                      "filetype": "image/jpeg"},
            store_url=storage is not None, url_storage=storage, retries=2, retry_delay=1)

    # Photo 0: whole, sha1 checksum on every chunk.
    p = ev["photos"][0]
    up = uploader(client.TusClient(f"{url}/v1/uploads", headers=headers), p)
    up.upload()
    if up.offset != p["size"]:
        sys.exit(f"tuspy: photo 0 ended at {up.offset} of {p['size']}")
    print(f"tuspy: photo 0 uploaded whole ({p['size']} bytes, sha1 chunk checksums) -> {up.url}", file=sys.stderr)

    # Photo 1: half, stop (the client goes away), then a new client resumes
    # from the URL it stored, at the offset the server reports.
    p = ev["photos"][1]
    store_path = str(work / "tuspy-urls.json")
    first = uploader(client.TusClient(f"{url}/v1/uploads", headers=headers), p,
                     filestorage.FileStorage(store_path))
    first.upload(stop_at=p["size"] // 2)
    stopped_at, url1 = first.offset, first.url
    if not (0 < stopped_at < p["size"]):
        sys.exit(f"tuspy: photo 1 stopped at {stopped_at}")
    second = uploader(client.TusClient(f"{url}/v1/uploads", headers=headers), p,
                      filestorage.FileStorage(store_path))
    if second.url != url1:
        sys.exit(f"tuspy: resume found {second.url}, not {url1}")
    if second.offset != stopped_at:
        sys.exit(f"tuspy: resume offset {second.offset} != {stopped_at} where the first stopped")
    second.upload()
    if second.offset != p["size"]:
        sys.exit(f"tuspy: photo 1 ended at {second.offset}")
    print(f"tuspy: photo 1 stopped at {stopped_at}, resumed from {url1} and completed", file=sys.stderr)


def tus_create(url: str, token: str, p: dict) -> str:
    meta = ",".join(f"{k} {base64.b64encode(v.encode()).decode()}"
                    for k, v in (("evidence_id", p["id"]), ("sha256", p["sha256"])))
    status, headers, body = request("POST", f"{url}/v1/uploads", token, b"",
                                    {"Tus-Resumable": "1.0.0", "Upload-Length": str(p["size"]),
                                     "Upload-Metadata": meta})
    h = {k.lower(): v for k, v in headers.items()}
    if status != 201 or "location" not in h:
        sys.exit(f"interop: creation answered {status} {body.decode(errors='replace')}")
    return h["location"]


def seed(url: str, work: pathlib.Path) -> None:
    import shlex

    ev = load(work)
    uploads = []
    for i, p in enumerate(ev["photos"]):
        loc = tus_create(url, ev["token"], p)
        if i == 0:
            status, _, body = request("PATCH", loc, ev["token"], pathlib.Path(p["path"]).read_bytes(),
                                      {"Tus-Resumable": "1.0.0", "Upload-Offset": "0",
                                       "Content-Type": "application/offset+octet-stream"})
            if status != 204:
                sys.exit(f"interop: PATCH answered {status} {body.decode(errors='replace')}")
        uploads.append(loc.rsplit("/", 1)[1])
    print(f"GRIDWORK_UPLOAD_IDS={shlex.quote(','.join(uploads))}")
    print(f"GRIDWORK_EVIDENCE_IDS={shlex.quote(','.join(p['id'] for p in ev['photos']))}")
    print(f"seeded: {len(uploads)} uploads (the first complete)", file=sys.stderr)


TUS = {"Tus-Resumable": "1.0.0"}


def patch(loc: str, token: str, offset: int, chunk: bytes) -> tuple[int, dict, bytes]:
    return request("PATCH", loc, token, chunk,
                   {**TUS, "Upload-Offset": str(offset),
                    "Content-Type": "application/offset+octet-stream"})


def half(url: str, work: pathlib.Path) -> None:
    ev = load(work)
    uploads = []
    for i, p in enumerate(ev["photos"]):
        loc = tus_create(url, ev["token"], p)
        cut = p["size"] // 2
        status, headers, body = patch(loc, ev["token"], 0, pathlib.Path(p["path"]).read_bytes()[:cut])
        h = {k.lower(): v for k, v in headers.items()}
        if status != 204 or h.get("upload-offset") != str(cut):
            sys.exit(f"half: photo {i}: PATCH answered {status} offset {h.get('upload-offset')}: "
                     f"{body.decode(errors='replace')}")
        uploads.append({"location": loc, "offset": cut})
    (work / "uploads.json").write_text(json.dumps(uploads))
    print(f"half: {len(uploads)} uploads half sent to {url}", file=sys.stderr)


def stall(url: str, work: pathlib.Path) -> None:
    import socket
    import urllib.parse

    ev = load(work)
    p, u = ev["photos"][0], json.loads((work / "uploads.json").read_text())[0]
    rest = pathlib.Path(p["path"]).read_bytes()[u["offset"]:]
    target = urllib.parse.urlsplit(u["location"])
    sock = socket.create_connection((target.hostname, target.port), timeout=120)
    sock.sendall((f"PATCH {target.path} HTTP/1.1\r\nHost: {target.netloc}\r\n"
                  f"Authorization: Bearer {ev['token']}\r\nTus-Resumable: 1.0.0\r\n"
                  "Content-Type: application/offset+octet-stream\r\n"
                  f"Upload-Offset: {u['offset']}\r\nContent-Length: {len(rest)}\r\n\r\n").encode())
    sock.sendall(rest[:64 * 1024])
    print("stalled", flush=True)
    try:
        sock.recv(1)  # until the server goes away
    except OSError:
        pass


def finish(url_a: str, url_b: str, work: pathlib.Path, expect_busy: bool = False) -> None:
    ev = load(work)
    uploads = json.loads((work / "uploads.json").read_text())
    busy = 0
    for i, (p, u) in enumerate(zip(ev["photos"], uploads)):
        loc = u["location"].replace(url_a, url_b, 1)
        if loc == u["location"]:
            sys.exit(f"finish: {u['location']} is not on {url_a}")
        status, headers, _ = request("HEAD", loc, ev["token"], headers=TUS)
        h = {k.lower(): v for k, v in headers.items()}
        if status != 200 or h.get("upload-offset") != str(u["offset"]):
            sys.exit(f"finish: photo {i}: HEAD on the other instance answered {status} "
                     f"offset {h.get('upload-offset')}, not the {u['offset']} acknowledged")
        rest = pathlib.Path(p["path"]).read_bytes()[u["offset"]:]
        for _ in range(240):  # bounded: 60 s
            status, headers, body = patch(loc, ev["token"], u["offset"], rest)
            if status != 423:
                break
            busy += 1
            time.sleep(0.25)
        h = {k.lower(): v for k, v in headers.items()}
        if status != 204 or h.get("upload-offset") != str(p["size"]):
            sys.exit(f"finish: photo {i}: PATCH answered {status} offset {h.get('upload-offset')}: "
                     f"{body.decode(errors='replace')}")
    if expect_busy and busy == 0:
        sys.exit("finish: the upload whose PATCH was cut by the kill was never answered 423 (no lease held?)")
    print(f"finish: {len(uploads)} uploads resumed on {url_b} at the offset {url_a} acknowledged, "
          f"and completed ({busy} answers 423 while the killed instance's lease lasted)", file=sys.stderr)


def s3_client(endpoint: str):
    import boto3  # moto[server] brings it

    return boto3.client("s3", endpoint_url=endpoint, region_name=os.environ.get("AWS_REGION", "us-east-1"),
                        aws_access_key_id=os.environ["AWS_ACCESS_KEY_ID"],
                        aws_secret_access_key=os.environ["AWS_SECRET_ACCESS_KEY"])


def make_bucket(endpoint: str, bucket: str) -> None:
    client = s3_client(endpoint)
    for _ in range(200):
        try:
            client.create_bucket(Bucket=bucket)
            print(f"bucket {bucket} at {endpoint}", file=sys.stderr)
            return
        except Exception as e:  # not listening yet
            last = e
            time.sleep(0.1)
    sys.exit(f"make-bucket: {endpoint} did not answer: {last}")


def stored_blob(data: pathlib.Path, blobs: str, sha256: str) -> tuple[str, bytes | None]:
    """Where the server keeps a photo, and its bytes there (None: missing)."""
    if blobs == "data":
        path = data / "blobs" / sha256[:2] / sha256
        return str(path), path.read_bytes() if path.is_file() else None
    bucket, _, prefix = blobs.removeprefix("s3://").partition("/")
    key = "/".join(p for p in (prefix.strip("/"), sha256[:2], sha256) if p)
    try:
        body = s3_client(os.environ["AWS_ENDPOINT"]).get_object(Bucket=bucket, Key=key)["Body"].read()
    except Exception:
        body = None
    return f"s3://{bucket}/{key}", body


def verify(url: str, work: pathlib.Path, data: pathlib.Path, blobs: str = "data") -> None:
    ev = load(work)
    # On PostgreSQL the records are not in the data directory: the
    # download below (answered only for a stored record) speaks for them.
    db = sqlite3.connect(data / "gridwork.db") if (data / "gridwork.db").exists() else None
    failures = []
    for i, p in enumerate(ev["photos"]):
        want = pathlib.Path(p["path"]).read_bytes()
        state = db and db.execute("SELECT upload_state, upload_offset FROM evidence WHERE id = ?",
                                  (p["id"],)).fetchone()
        if db and state != ("stored", p["size"]):
            failures.append(f"photo {i}: server record is {state}, not stored")
        where, stored = stored_blob(data, blobs, p["sha256"])
        if stored != want:
            failures.append(f"photo {i}: blob {where} missing or not byte-identical")
        if blobs != "data" and (data / "blobs" / p["sha256"][:2] / p["sha256"]).exists():
            failures.append(f"photo {i}: also kept in the data directory, not only in {blobs}")
        status, _, body = request("GET", f"{url}/v1/evidence/{p['id']}/content", ev["token"],
                                  headers={"X-Gridwork-Protocol": "1"})
        if status != 200 or body != want:
            failures.append(f"photo {i}: GET content {status}, {len(body)} bytes, identical={body == want}")
        # tus creation again: the same, complete upload (idempotent).
        meta = ",".join(f"{k} {base64.b64encode(v.encode()).decode()}"
                        for k, v in (("evidence_id", p["id"]), ("sha256", p["sha256"])))
        status, headers, _ = request("POST", f"{url}/v1/uploads", ev["token"], b"",
                                     {"Tus-Resumable": "1.0.0", "Upload-Length": str(p["size"]),
                                      "Upload-Metadata": meta})
        h = {k.lower(): v for k, v in headers.items()}
        if status != 201 or "location" not in h:
            failures.append(f"photo {i}: creation again answered {status}")
            continue
        status, headers, _ = request("HEAD", h["location"], ev["token"], headers={"Tus-Resumable": "1.0.0"})
        h = {k.lower(): v for k, v in headers.items()}
        if status != 200 or h.get("upload-offset") != str(p["size"]):
            failures.append(f"photo {i}: HEAD {status} offset {h.get('upload-offset')} of {p['size']}")
    if failures:
        sys.exit("verify: FAILED\n  " + "\n  ".join(failures))
    print(f"verify: {len(ev['photos'])} photos stored, byte-identical (blob in {blobs}, download), "
          "HEAD offset == length", file=sys.stderr)


if __name__ == "__main__":
    cmd, url = sys.argv[1], sys.argv[2]
    if cmd == "setup":
        setup(url, sys.argv[3], pathlib.Path(sys.argv[4]))
    elif cmd == "tuspy":
        tuspy(url, pathlib.Path(sys.argv[3]))
    elif cmd == "seed":
        seed(url, pathlib.Path(sys.argv[3]))
    elif cmd == "verify":
        verify(url, pathlib.Path(sys.argv[3]), pathlib.Path(sys.argv[4]),
               sys.argv[5] if len(sys.argv) > 5 else "data")
    elif cmd == "half":
        half(url, pathlib.Path(sys.argv[3]))
    elif cmd == "stall":
        stall(url, pathlib.Path(sys.argv[3]))
    elif cmd == "finish":
        finish(url, sys.argv[3], pathlib.Path(sys.argv[4]), len(sys.argv) > 5 and sys.argv[5] == "1")
    elif cmd == "make-bucket":
        make_bucket(url, sys.argv[3])
    else:
        sys.exit(f"unknown command {cmd}")
