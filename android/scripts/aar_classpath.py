#!/usr/bin/env python3
"""Turn a list of resolved Maven files (jars and Android aars, one path per
line, as `coursier fetch` prints them) into a plain JVM classpath.

Gradle and the Android Gradle Plugin do this on a developer's machine; here
there is neither (../../shared/notes/ui-testing.md), so for compiling and
Robolectric-testing the app on the JVM each aar's classes.jar (and any
libs/*.jar inside it) is copied out, and each library's R class is generated
from its R.txt with made-up ids so that library code naming its own
resources links. Resources themselves are not merged: code that reads a
library's resource at run time would fail, which the tests avoid.

    aar_classpath.py FILES.txt OUT_DIR   -> prints the classpath
"""

import collections
import os
import re
import shutil
import sys
import zipfile


def main() -> None:
    files, out = sys.argv[1], sys.argv[2]
    libs = os.path.join(out, "libs")
    rgen = os.path.join(out, "rgen")
    for d in (libs, rgen):
        shutil.rmtree(d, ignore_errors=True)
        os.makedirs(d)
    ids: dict = collections.defaultdict(dict)
    classpath = []
    paths = [line.strip() for line in open(files, encoding="utf-8") if line.strip()]
    artifacts = {artifact_of(p) for p in paths}
    for path in paths:
        group, artifact = artifact_of(path)
        # Kotlin Multiplatform libraries (Compose, lifecycle) publish a root
        # artifact and an -android one; Gradle's module metadata picks the
        # latter, Maven POMs can drag in an old root (ui-1.0.1) whose classes
        # would shadow the current ones. Keep only the -android/-jvm variant.
        if (group, artifact + "-android") in artifacts or (group, artifact + "-jvm") in artifacts:
            continue
        base = os.path.basename(path)
        if not path.endswith(".aar"):
            classpath.append(path)
            continue
        with zipfile.ZipFile(path) as aar:
            names = aar.namelist()
            stem = base[: -len(".aar")]
            if "classes.jar" in names:
                jar = os.path.join(libs, stem + ".jar")
                with open(jar, "wb") as f:
                    f.write(aar.read("classes.jar"))
                classpath.append(jar)
            for name in names:
                if name.startswith("libs/") and name.endswith(".jar"):
                    jar = os.path.join(libs, f"{stem}-{os.path.basename(name)}")
                    with open(jar, "wb") as f:
                        f.write(aar.read(name))
                    classpath.append(jar)
            r_txt = aar.read("R.txt").decode() if "R.txt" in names else ""
            if r_txt.strip():
                manifest = aar.read("AndroidManifest.xml").decode()
                package = re.search(r'package="([^"]+)"', manifest)
                if package:
                    write_r(rgen, package.group(1), r_txt, ids)
    print(":".join(classpath))


FRAMEWORK_OK = 0x0104000A  # android.R.string.ok


def artifact_of(path: str) -> tuple:
    """(group path, artifact) from a Maven repository layout .../group/artifact/version/file."""
    parts = path.split("/")
    if len(parts) < 4:
        return ("", parts[-1])
    return ("/".join(parts[:-3]), parts[-3])


def write_r(rgen: str, package: str, r_txt: str, ids: dict) -> None:
    """One R.java per library package; ids unique per resource name, like aapt's."""
    types: dict = collections.defaultdict(list)
    for line in r_txt.splitlines():
        parts = line.split(" ", 3)
        if len(parts) < 4:
            continue
        kind, rtype, name, value = parts
        if kind == "int[]":
            n = len([x for x in value.strip("{} ").split(",") if x.strip()])
            types["styleable"].append(f"public static int[] {name} = new int[{n}];")
        elif rtype == "styleable":
            v = value.strip() if value.strip().isdigit() else "0"
            types["styleable"].append(f"public static int {name} = {v};")
        elif rtype == "string":
            # Library strings are not merged here (no aapt2 link): under
            # Robolectric a library that reads one (Compose's accessibility
            # words) gets the framework's "OK" instead of a crash.
            types[rtype].append(f"public static int {name} = 0x{FRAMEWORK_OK:08x};")
        else:
            table = ids[rtype]
            if name not in table:
                type_index = list(ids).index(rtype) + 1
                table[name] = 0x7F000000 | (type_index << 16) | (len(table) + 1)
            types[rtype].append(f"public static int {name} = 0x{table[name]:08x};")
    folder = os.path.join(rgen, *package.split("."))
    os.makedirs(folder, exist_ok=True)
    body = "".join(
        f" public static final class {t} {{\n  " + "\n  ".join(fields) + "\n }\n" for t, fields in types.items()
    )
    with open(os.path.join(folder, "R.java"), "w", encoding="utf-8") as f:
        f.write(f"package {package};\npublic final class R {{\n{body}}}\n")


if __name__ == "__main__":
    main()
