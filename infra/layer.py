"""Build the shared Lambda layer (the `selfcare` package and its runtime dependencies) without Docker.

The layer holds `python/selfcare` (copied from layers/selfcare/selfcare) and the wheels of its runtime
dependencies for the Lambda target (architecture and Python version from infra/definitions.py),
installed with `uv pip install --target ... --python-platform ... --only-binary :all:`: no compiler,
no container. The dependency list is pyproject.toml's `[project].dependencies` resolved by the lock
(`uv export`), minus what the Lambda runtime or the Powertools managed layer already ship.

No CDK import here: the benchmark uses `build_layer` and `layer_size_bytes` without starting jsii.
The CDK side (a local bundler that calls `build_layer`) is infra/stacks/constructs/layer.py.
"""

from __future__ import annotations

import hashlib
import re
import shutil
import subprocess
import sys
import tempfile
import tomllib
from pathlib import Path

from infra.definitions import LAMBDA_ARCHITECTURE, LAMBDA_PYTHON_VERSION, LAYER_SOURCE_DIR, ROOT

PACKAGE_NAME = "selfcare"
PACKAGE_DIR = LAYER_SOURCE_DIR / PACKAGE_NAME
PYPROJECT = ROOT / "pyproject.toml"
LOCKFILE = ROOT / "uv.lock"
# Built layers, by content hash, so that repeated synths (tests, several cdk.out directories) copy
# instead of reinstalling.
CACHE_DIR = ROOT / "build" / "layer-cache"
CACHE_ENTRIES = 4

# Lambda's manylinux target per architecture (Amazon Linux 2023: glibc 2.34, so manylinux_2_28 fits).
UV_PYTHON_PLATFORM: dict[str, str] = {
    "arm64": "aarch64-manylinux_2_28",
    "x86_64": "x86_64-manylinux_2_28",
}

# Packages not installed in our layer, even as transitive dependencies, because the function already
# has them at run time. Names are PEP 503 normalised.
PROVIDED_BY_RUNTIME_OR_MANAGED_LAYER: frozenset[str] = frozenset(
    {
        # The Lambda Python runtime ships the AWS SDK and its dependencies.
        "boto3",  # AWS SDK, in the runtime
        "botocore",  # boto3's core, in the runtime
        "s3transfer",  # boto3 dependency, in the runtime
        "jmespath",  # botocore dependency, in the runtime
        "urllib3",  # botocore dependency, in the runtime
        "python-dateutil",  # botocore dependency, in the runtime
        "six",  # python-dateutil dependency, in the runtime
        # The Powertools v3 managed layer is built with the `all` extra (parser, tracer, validation,
        # data masking with aws-encryption-sdk), so it carries these.
        "aws-lambda-powertools",  # the managed layer itself
        "pydantic",  # parser extra
        "pydantic-core",  # pydantic's compiled core
        "annotated-types",  # pydantic dependency
        "typing-extensions",  # pydantic and powertools dependency
        "typing-inspection",  # pydantic dependency
        "aws-xray-sdk",  # tracer extra
        "wrapt",  # aws-xray-sdk dependency
        "cryptography",  # data masking extra (aws-encryption-sdk); also what pyjwt[crypto] needs
        "cffi",  # cryptography dependency (argon2-cffi-bindings uses it too)
        "pycparser",  # cffi dependency
    }
)


# Dependencies of our dependencies that our code never needs at run time: not installed in the layer.
NOT_USED_AT_RUN_TIME: frozenset[str] = frozenset(
    {
        "pillow",  # fpdf2 imports it only to embed images (21 MB on arm64); the VOD PDF has none
    }
)
# Packages whose compiled accelerators (Cython extensions and their C sources) are optional: without
# them the package runs its pure-Python modules. Removed from the layer to keep it small.
PURE_PYTHON_FALLBACK: tuple[str, ...] = (
    "fontTools",  # fpdf2's font handling: 12 MB of extensions + 6 MB of C sources for speed-ups we do not need
)


class LayerBuildError(RuntimeError):
    """The layer could not be built (uv missing, lock out of date, install failed)."""


def normalize(name: str) -> str:
    """PEP 503 normalised project name."""
    return re.sub(r"[-_.]+", "-", name).lower()


def _requirement_name(requirement: str) -> str:
    match = re.match(r"\s*([A-Za-z0-9][A-Za-z0-9._-]*)", requirement)
    if match is None:
        raise LayerBuildError(f"cannot read a project name in requirement {requirement!r}")
    return normalize(match.group(1))


def declared_dependencies() -> list[str]:
    """`[project].dependencies` of pyproject.toml, as written."""
    with PYPROJECT.open("rb") as f:
        return list(tomllib.load(f)["project"]["dependencies"])


def declared_version(package: str) -> str | None:
    """The version pinned with `==` for `package` in `[project].dependencies`, if any."""
    for requirement in declared_dependencies():
        if _requirement_name(requirement) == normalize(package):
            match = re.search(r"==\s*([^\s;,]+)", requirement)
            return match.group(1) if match else None
    return None


def find_uv() -> Path:
    """uv from the repository's tool directory (the Makefile installs it there), else from PATH."""
    local = ROOT / ".tools" / "bin" / "uv"
    if local.is_file():
        return local
    found = shutil.which("uv")
    if found is None:
        raise LayerBuildError("uv not found: run `make setup` (it installs .tools/bin/uv)")
    return Path(found)


def resolved_requirements() -> list[str]:
    """Every runtime requirement (transitive, pinned by uv.lock) as `name==version[ ; marker]`."""
    result = subprocess.run(
        [str(find_uv()), "export", "--frozen", "--no-dev", "--no-emit-project", "--no-hashes", "--no-header"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    if result.returncode != 0:
        raise LayerBuildError(f"uv export failed:\n{result.stderr}")
    lines = [line.strip() for line in result.stdout.splitlines()]
    return [line for line in lines if line and not line.startswith("#")]


def layer_requirements() -> list[str]:
    """The requirements installed in our layer: the lock's runtime closure minus what is provided.

    Fails when a dependency declared in pyproject.toml is missing from the lock at the declared version
    (the lock is out of date): the layer would not match what the tests ran against.
    """
    resolved = resolved_requirements()
    pins = {_requirement_name(line): line for line in resolved}
    for declared in declared_dependencies():
        name = _requirement_name(declared)
        version = declared_version(name)
        if name not in pins or (version is not None and f"=={version}" not in pins[name]):
            raise LayerBuildError(f"uv.lock does not pin {declared!r}: run `uv lock`")
    excluded = PROVIDED_BY_RUNTIME_OR_MANAGED_LAYER | NOT_USED_AT_RUN_TIME
    return sorted(line for line in resolved if _requirement_name(line) not in excluded)


def _package_files() -> list[Path]:
    return sorted(
        p for p in PACKAGE_DIR.rglob("*") if p.is_file() and "__pycache__" not in p.parts and p.suffix != ".pyc"
    )


def layer_fingerprint(requirements: list[str] | None = None) -> str:
    """A hash of everything the layer's content depends on: sources, pinned requirements, target, recipe."""
    digest = hashlib.sha256()
    for part in (LAMBDA_PYTHON_VERSION, LAMBDA_ARCHITECTURE, *(requirements or layer_requirements())):
        digest.update(part.encode() + b"\0")
    digest.update(Path(__file__).read_bytes())
    for path in _package_files():
        digest.update(path.relative_to(PACKAGE_DIR).as_posix().encode() + b"\0")
        digest.update(path.read_bytes() + b"\0")
    return digest.hexdigest()


def _install(requirements: list[str], target: Path) -> None:
    with tempfile.NamedTemporaryFile("w", suffix=".txt", delete=False) as f:
        f.write("\n".join(requirements) + "\n")
        requirements_file = f.name
    try:
        result = subprocess.run(
            [
                str(find_uv()),
                "pip",
                "install",
                "--python",
                sys.executable,
                "--target",
                str(target),
                "--python-platform",
                UV_PYTHON_PLATFORM[LAMBDA_ARCHITECTURE],
                "--python-version",
                LAMBDA_PYTHON_VERSION,
                "--only-binary",
                ":all:",
                "--no-compile",
                # The list is already the full resolved closure: installing dependencies again would
                # bring back the excluded packages.
                "--no-deps",
                "--requirement",
                requirements_file,
            ],
            cwd=ROOT,
            capture_output=True,
            text=True,
            check=False,
        )
    finally:
        Path(requirements_file).unlink()
    if result.returncode != 0:
        raise LayerBuildError(f"uv pip install failed:\n{result.stderr}")


def build_layer(out_dir: Path) -> Path:
    """Build the layer into `<out_dir>/python` (replaced if present) and return that directory."""
    requirements = layer_requirements()
    python_dir = Path(out_dir) / "python"
    if python_dir.exists():
        shutil.rmtree(python_dir)
    python_dir.mkdir(parents=True)
    if requirements:
        _install(requirements, python_dir)
        _drop_accelerators(python_dir)
    shutil.copytree(PACKAGE_DIR, python_dir / PACKAGE_NAME, ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
    return python_dir


def _drop_accelerators(python_dir: Path) -> None:
    """Remove the optional extensions (only where the pure-Python module of the same name is there)
    and their C/Cython sources, never imported."""
    for package in PURE_PYTHON_FALLBACK:
        for path in list((python_dir / package).rglob("*")):
            pure = path.with_name(path.name.split(".")[0] + ".py")
            if path.suffix in (".c", ".pyx", ".pxd") or (path.suffix == ".so" and pure.exists()):
                path.unlink()


def build_layer_cached(out_dir: Path, fingerprint: str | None = None) -> Path:
    """`build_layer`, served from build/layer-cache when nothing it depends on changed."""
    key = fingerprint or layer_fingerprint()
    cached = CACHE_DIR / key
    if not (cached / "python").is_dir():
        CACHE_DIR.mkdir(parents=True, exist_ok=True)
        staging = Path(tempfile.mkdtemp(prefix=f"{key[:12]}-", dir=CACHE_DIR))
        build_layer(staging)
        try:
            staging.rename(cached)
        except OSError:  # another process built the same layer meanwhile
            shutil.rmtree(staging, ignore_errors=True)
        _prune_cache(keep=cached)
    python_dir = Path(out_dir) / "python"
    if python_dir.exists():
        shutil.rmtree(python_dir)
    shutil.copytree(cached / "python", python_dir)
    return python_dir


def _prune_cache(keep: Path, entries: int = CACHE_ENTRIES) -> None:
    """Keep the newest few builds (sources change often while developing), always including `keep`."""
    builds = sorted(
        (p for p in CACHE_DIR.iterdir() if p.is_dir() and (p / "python").is_dir()),
        key=lambda p: p.stat().st_mtime,
        reverse=True,
    )
    for old in builds[entries:]:
        if old != keep:
            shutil.rmtree(old, ignore_errors=True)


def layer_size_bytes(path: Path) -> int:
    """Unzipped size of a built layer (the directory holding `python/`, or `python/` itself)."""
    return sum(p.stat().st_size for p in Path(path).rglob("*") if p.is_file() and not p.is_symlink())


def installed_distributions(python_dir: Path) -> set[str]:
    """Normalised names of the distributions installed in a layer's `python/` directory."""
    names = set()
    for dist_info in Path(python_dir).glob("*.dist-info"):
        name = dist_info.name.removesuffix(".dist-info").rsplit("-", 1)[0]
        names.add(normalize(name))
    return names


if __name__ == "__main__":
    out = Path(sys.argv[1]) if len(sys.argv) > 1 else ROOT / "build" / "layer"
    built = build_layer(out)
    print(f"{built}: {layer_size_bytes(built) / 1_000_000:.1f} MB unzipped")
    print("\n".join(sorted(installed_distributions(built))))
